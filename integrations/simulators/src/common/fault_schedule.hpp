#pragma once

#include <cstdint>
#include <random>

namespace chelete::simulators {

inline constexpr std::uint32_t kMillion = 1'000'000;

/// How often a simulated partner misbehaves, in parts per million of its partner-API requests.
struct FaultRates {
    std::uint32_t unavailable_ppm = 0;  // answered 503
    std::uint32_t timeout_ppm = 0;    // answered only after the hold time (past any client timeout)
    std::uint32_t malformed_ppm = 0;  // answered 200 with a body that breaks the contract
    /// Answered with the partner's "outcome unknown" code (payment partners); whether the payment
    /// was made is a further draw.
    std::uint32_t unknown_ppm = 0;

    /// These are exclusive outcomes of one draw, so they cannot add up to more than 1.
    [[nodiscard]] bool valid() const {
        return std::uint64_t{unavailable_ppm} + timeout_ppm + malformed_ppm + unknown_ppm <=
               kMillion;
    }
};

enum class Fault { kNone, kUnavailable, kTimeout, kMalformed, kUnknown };

/// A reproducible fault schedule: the same seed and rates give the same faults for the same
/// sequence of requests. Uses std::mt19937_64 and plain modulo (not a std distribution, whose
/// output differs between standard libraries). Not thread-safe: the owner serialises calls.
class FaultSchedule {
public:
    FaultSchedule(FaultRates rates, std::uint64_t seed) : rates_(rates), rng_(seed) {}

    /// The fault for the next request (one draw per request, whatever the rates).
    [[nodiscard]] Fault next();
    /// A number in [0, n) from the same stream, to vary how a fault looks; n > 0.
    [[nodiscard]] std::uint64_t pick(std::uint64_t n) { return rng_() % n; }
    /// True with probability ppm / 1e6, from the same stream (one draw, whatever the rate, so
    /// the draws that follow do not depend on it).
    [[nodiscard]] bool chance(std::uint32_t ppm) { return rng_() % kMillion < ppm; }

private:
    FaultRates rates_;
    std::mt19937_64 rng_;
};

}  // namespace chelete::simulators
