#include <stdexcept>

#include <chelete/mobile_money/circuit_breaker.hpp>

namespace chelete::mobile_money {

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options, const platform::Clock& clock)
    : options_(options), clock_(clock) {
    if (options_.failure_threshold < 1) {
        throw std::invalid_argument("circuit breaker failure_threshold must be at least 1");
    }
    if (options_.cool_down.count() <= 0) {
        throw std::invalid_argument("circuit breaker cool_down must be positive");
    }
}

CircuitBreaker::State CircuitBreaker::state_locked() const {
    if (state_ == State::kOpen && clock_.now() - opened_at_ >= options_.cool_down) {
        return State::kHalfOpen;
    }
    return state_;
}

bool CircuitBreaker::allow() {
    const std::lock_guard lock{mutex_};
    switch (state_locked()) {
        case State::kClosed:
            return true;
        case State::kOpen:
            return false;
        case State::kHalfOpen:
            // One probe at a time: while it is out, everyone else waits for its verdict.
            if (probe_in_flight_) {
                return false;
            }
            state_ = State::kHalfOpen;
            probe_in_flight_ = true;
            return true;
    }
    return false;
}

void CircuitBreaker::record_success() {
    const std::lock_guard lock{mutex_};
    state_ = State::kClosed;
    failures_ = 0;
    probe_in_flight_ = false;
}

void CircuitBreaker::record_failure() {
    const std::lock_guard lock{mutex_};
    if (state_ == State::kHalfOpen) {
        // The probe failed: the partner is still in trouble.
        state_ = State::kOpen;
        opened_at_ = clock_.now();
        probe_in_flight_ = false;
        return;
    }
    if (state_ == State::kOpen) {
        // A call let through before the circuit opened finished late; the cool-down stands.
        return;
    }
    if (++failures_ >= options_.failure_threshold) {
        state_ = State::kOpen;
        opened_at_ = clock_.now();
    }
}

CircuitBreaker::State CircuitBreaker::state() const {
    const std::lock_guard lock{mutex_};
    return state_locked();
}

int CircuitBreaker::consecutive_failures() const {
    const std::lock_guard lock{mutex_};
    return failures_;
}

std::string_view to_string(CircuitBreaker::State state) {
    switch (state) {
        case CircuitBreaker::State::kClosed:
            return "closed";
        case CircuitBreaker::State::kOpen:
            return "open";
        case CircuitBreaker::State::kHalfOpen:
            return "half_open";
    }
    return "unknown";
}

}  // namespace chelete::mobile_money
