#include <gtest/gtest.h>

#include <chelete/gateway/rate_limit.hpp>

namespace chelete::gateway {
namespace {

// 60 per minute (one per second), bursts of 5.
constexpr RateLimit kLimit{60, std::chrono::milliseconds{60'000}, 5};

TEST(GcraTest, AllowsABurstThenRefusesWithRetryAfter) {
    std::optional<std::int64_t> tat;
    const std::int64_t now = 1'000'000;
    for (int i = 0; i < 5; ++i) {
        const auto d = gcra_decide(tat, now, kLimit);
        ASSERT_TRUE(d.allowed) << i;
        EXPECT_EQ(d.remaining, 4 - i);
        tat = d.new_tat_ms;
    }
    const auto refused = gcra_decide(tat, now, kLimit);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after_ms, 1000);
    // After the advertised wait, exactly one more gets through.
    const auto later = gcra_decide(tat, now + 1000, kLimit);
    EXPECT_TRUE(later.allowed);
    EXPECT_FALSE(gcra_decide(later.new_tat_ms, now + 1000, kLimit).allowed);
}

TEST(GcraTest, SteadyRateAtTheLimitIsNeverRefused) {
    std::optional<std::int64_t> tat;
    for (std::int64_t t = 0; t < 120'000; t += 1000) {
        const auto d = gcra_decide(tat, t, kLimit);
        ASSERT_TRUE(d.allowed) << t;
        tat = d.new_tat_ms;
    }
}

TEST(GcraTest, RefusalDoesNotConsumeCapacity) {
    std::optional<std::int64_t> tat;
    for (int i = 0; i < 5; ++i) {
        tat = gcra_decide(tat, 0, kLimit).new_tat_ms;
    }
    const auto before = *tat;
    for (int i = 0; i < 100; ++i) {
        const auto d = gcra_decide(tat, 0, kLimit);
        EXPECT_FALSE(d.allowed);
        EXPECT_EQ(d.new_tat_ms, before);
    }
}

TEST(GcraTest, IdleClientsStartWithAFullBurst) {
    const auto d = gcra_decide(std::int64_t{5'000}, 10'000'000, kLimit);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 4);
}

TEST(GcraTest, DegenerateSettingsStaySane) {
    const RateLimit odd{0, std::chrono::milliseconds{0}, 0};
    EXPECT_EQ(odd.emission_interval_ms(), 1);
    EXPECT_EQ(odd.tolerance_ms(), 1);
    EXPECT_TRUE(gcra_decide(std::nullopt, 0, odd).allowed);
}

}  // namespace
}  // namespace chelete::gateway
