#include <stdexcept>

#include <gtest/gtest.h>

#include <chelete/mobile_money/circuit_breaker.hpp>

namespace chelete::mobile_money {
namespace {

using namespace std::chrono_literals;
using State = CircuitBreaker::State;

CircuitBreakerOptions three_then_10s() {
    return CircuitBreakerOptions{3, 10000ms};
}

void fail_times(CircuitBreaker& breaker, int n) {
    for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(breaker.allow());
        breaker.record_failure();
    }
}

TEST(CircuitBreaker, StaysClosedBelowTheThreshold) {
    platform::ManualClock clock;
    CircuitBreaker breaker{three_then_10s(), clock};
    fail_times(breaker, 2);
    EXPECT_EQ(breaker.state(), State::kClosed);
    EXPECT_EQ(breaker.consecutive_failures(), 2);
    EXPECT_TRUE(breaker.allow());
}

TEST(CircuitBreaker, ASuccessResetsTheCount) {
    platform::ManualClock clock;
    CircuitBreaker breaker{three_then_10s(), clock};
    fail_times(breaker, 2);
    ASSERT_TRUE(breaker.allow());
    breaker.record_success();
    fail_times(breaker, 2);
    EXPECT_EQ(breaker.state(), State::kClosed) << "failures must be consecutive to count";
}

TEST(CircuitBreaker, OpensAtTheThresholdAndRefusesDuringTheCoolDown) {
    platform::ManualClock clock;
    CircuitBreaker breaker{three_then_10s(), clock};
    fail_times(breaker, 3);
    EXPECT_EQ(breaker.state(), State::kOpen);
    EXPECT_FALSE(breaker.allow());
    clock.advance(9999ms);
    EXPECT_FALSE(breaker.allow());
    EXPECT_EQ(breaker.state(), State::kOpen);
}

TEST(CircuitBreaker, HalfOpenLetsExactlyOneProbeThrough) {
    platform::ManualClock clock;
    CircuitBreaker breaker{three_then_10s(), clock};
    fail_times(breaker, 3);
    clock.advance(10000ms);
    EXPECT_EQ(breaker.state(), State::kHalfOpen);
    EXPECT_TRUE(breaker.allow());
    EXPECT_FALSE(breaker.allow()) << "a second call went through while the probe was out";
    EXPECT_FALSE(breaker.allow());
}

TEST(CircuitBreaker, ASuccessfulProbeCloses) {
    platform::ManualClock clock;
    CircuitBreaker breaker{three_then_10s(), clock};
    fail_times(breaker, 3);
    clock.advance(10s);
    ASSERT_TRUE(breaker.allow());
    breaker.record_success();
    EXPECT_EQ(breaker.state(), State::kClosed);
    EXPECT_EQ(breaker.consecutive_failures(), 0);
    EXPECT_TRUE(breaker.allow());
    EXPECT_TRUE(breaker.allow());
}

TEST(CircuitBreaker, AFailedProbeOpensForAnotherFullCoolDown) {
    platform::ManualClock clock;
    CircuitBreaker breaker{three_then_10s(), clock};
    fail_times(breaker, 3);
    clock.advance(15s);
    ASSERT_TRUE(breaker.allow());
    breaker.record_failure();
    EXPECT_EQ(breaker.state(), State::kOpen);
    EXPECT_FALSE(breaker.allow());
    clock.advance(9s);
    EXPECT_FALSE(breaker.allow()) << "the cool-down restarted at the failed probe";
    clock.advance(1s);
    EXPECT_TRUE(breaker.allow());
}

TEST(CircuitBreaker, ALateFailureWhileOpenDoesNotExtendTheCoolDown) {
    platform::ManualClock clock;
    CircuitBreaker breaker{three_then_10s(), clock};
    ASSERT_TRUE(breaker.allow());  // a slow call, let through while closed
    fail_times(breaker, 3);
    clock.advance(5s);
    breaker.record_failure();  // the slow call finishes, failed
    clock.advance(5s);
    EXPECT_EQ(breaker.state(), State::kHalfOpen);
}

TEST(CircuitBreaker, AThresholdOfOneOpensOnTheFirstFailure) {
    platform::ManualClock clock;
    CircuitBreaker breaker{CircuitBreakerOptions{1, 1000ms}, clock};
    fail_times(breaker, 1);
    EXPECT_EQ(breaker.state(), State::kOpen);
}

TEST(CircuitBreaker, RefusesAnUnusableConfiguration) {
    platform::ManualClock clock;
    EXPECT_THROW((CircuitBreaker{CircuitBreakerOptions{0, 1000ms}, clock}), std::invalid_argument);
    EXPECT_THROW((CircuitBreaker{CircuitBreakerOptions{3, 0ms}, clock}), std::invalid_argument);
}

TEST(CircuitBreaker, StateNames) {
    EXPECT_EQ(to_string(State::kClosed), "closed");
    EXPECT_EQ(to_string(State::kOpen), "open");
    EXPECT_EQ(to_string(State::kHalfOpen), "half_open");
}

}  // namespace
}  // namespace chelete::mobile_money
