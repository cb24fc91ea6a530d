#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <chelete/platform/clock.hpp>

#include "common/fault_schedule.hpp"
#include "common/sim_http.hpp"

namespace chelete::simulators::sms {

struct SmsOptions {
    std::string api_key;
    /// unavailable_ppm = --error-rate, timeout_ppm = --timeout-rate; the others stay 0.
    FaultRates faults;
    std::uint64_t seed = 1;
    std::chrono::milliseconds latency{0};
    std::chrono::milliseconds timeout_hold{30'000};
};

struct SmsMessage {
    std::string message_id;
    std::string to;
    std::string from;
    std::string text;
    std::string reference;
    std::size_t segments = 0;
    platform::TimePoint received_at{};
};

/// The SMS gateway simulator as a pure request -> response function (README.md documents the
/// API). One message per reference by construction; thread-safe.
class SmsApp {
public:
    SmsApp(SmsOptions options, const platform::Clock& clock);

    [[nodiscard]] SimResponse handle(const SimRequest& request);
    [[nodiscard]] std::vector<SmsMessage> messages() const;

private:
    SimResponse send(const SimRequest& request);

    SmsOptions options_;
    const platform::Clock& clock_;
    mutable std::mutex mutex_;  // guards everything below
    FaultSchedule schedule_;
    std::vector<SmsMessage> messages_;                 // arrival order
    std::map<std::string, std::size_t> by_reference_;  // reference -> index in messages_
};

}  // namespace chelete::simulators::sms
