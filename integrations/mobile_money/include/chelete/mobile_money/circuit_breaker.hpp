#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

#include <chelete/platform/clock.hpp>

namespace chelete::mobile_money {

struct CircuitBreakerOptions {
    /// Consecutive counted failures (outcome unknown, 5xx, timeouts, refused connections) that
    /// open the circuit; >= 1. Definite business answers (insufficient float, bad MSISDN) come
    /// from a partner that works, so they count as successes.
    int failure_threshold = 5;
    /// How long the circuit stays open before one probe is let through; > 0.
    std::chrono::milliseconds cool_down{30000};
};

/// A per-partner circuit breaker. Closed: every call goes through. After `failure_threshold`
/// consecutive counted failures it opens: no call goes through for `cool_down`, so a partner in
/// trouble is not hammered with payments whose outcome would only be unknown. Then half-open:
/// exactly one probe goes through; its success closes the circuit, its failure opens it again for
/// another cool-down. Thread-safe; the clock is injected so tests move time.
class CircuitBreaker {
public:
    enum class State : std::uint8_t { kClosed, kOpen, kHalfOpen };

    /// Throws std::invalid_argument for a threshold < 1 or a non-positive cool-down. `clock`
    /// must outlive the breaker.
    CircuitBreaker(CircuitBreakerOptions options, const platform::Clock& clock);

    /// True when a call may go through now. Every true must be followed by exactly one
    /// record_success() or record_failure() for that call (in half-open it is the probe).
    [[nodiscard]] bool allow();
    void record_success();
    void record_failure();

    /// The state as of now (an open circuit whose cool-down passed reads as half-open).
    [[nodiscard]] State state() const;
    [[nodiscard]] int consecutive_failures() const;

private:
    [[nodiscard]] State state_locked() const;

    CircuitBreakerOptions options_;
    const platform::Clock& clock_;
    mutable std::mutex mutex_;
    State state_ = State::kClosed;
    int failures_ = 0;
    platform::TimePoint opened_at_{};
    bool probe_in_flight_ = false;
};

[[nodiscard]] std::string_view to_string(CircuitBreaker::State state);

}  // namespace chelete::mobile_money
