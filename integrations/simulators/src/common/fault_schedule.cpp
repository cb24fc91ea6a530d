#include "common/fault_schedule.hpp"

namespace chelete::simulators {

Fault FaultSchedule::next() {
    const std::uint64_t draw = rng_() % kMillion;
    std::uint64_t bound = rates_.unavailable_ppm;
    if (draw < bound) {
        return Fault::kUnavailable;
    }
    bound += rates_.timeout_ppm;
    if (draw < bound) {
        return Fault::kTimeout;
    }
    bound += rates_.malformed_ppm;
    if (draw < bound) {
        return Fault::kMalformed;
    }
    bound += rates_.unknown_ppm;
    if (draw < bound) {
        return Fault::kUnknown;
    }
    return Fault::kNone;
}

}  // namespace chelete::simulators
