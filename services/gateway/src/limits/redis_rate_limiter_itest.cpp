#include <random>

#include <gtest/gtest.h>

#include <chelete/gateway/rate_limit.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::gateway {
namespace {

TEST(RedisRateLimiterITest, ScriptAgreesWithThePureModel) {
    CHELETE_REQUIRE_REDIS();
    RedisRateLimiter limiter{
        *testing::redis_options(), 1, testing::unique_name("chelete:rl:test") + ":"};
    const RateLimit limit{120, std::chrono::milliseconds{60'000}, 7};
    // NOLINTNEXTLINE(cert-msc32-c,cert-msc51-cpp): a fixed seed, so a failure reproduces
    std::mt19937_64 rng{20261123};
    std::optional<std::int64_t> tat;
    // Redis's TIME is far ahead of this synthetic clock, so the script never expires the key
    // early: its PX is the backlog, which is never shorter than the model's view.
    std::int64_t now = 4'000'000'000'000;
    int allowed = 0;
    for (int i = 0; i < 400; ++i) {
        now += static_cast<std::int64_t>(rng() % 900);
        const auto model = gcra_decide(tat, now, limit);
        const auto redis = limiter.check_at("client", limit, now);
        ASSERT_EQ(redis.allowed, model.allowed) << "step " << i;
        ASSERT_EQ(redis.retry_after_ms, model.retry_after_ms) << "step " << i;
        ASSERT_EQ(redis.remaining, model.remaining) << "step " << i;
        if (model.allowed) {
            tat = model.new_tat_ms;
            ++allowed;
        }
    }
    EXPECT_GT(allowed, 50);
    EXPECT_LT(allowed, 400) << "the random walk must also hit the limit";
}

TEST(RedisRateLimiterITest, RefusesPastTheBurstAndKeepsClientsApart) {
    CHELETE_REQUIRE_REDIS();
    RedisRateLimiter limiter{
        *testing::redis_options(), 2, testing::unique_name("chelete:rl:test") + ":"};
    const RateLimit limit{60, std::chrono::milliseconds{60'000}, 3};
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(limiter.check("a", limit).allowed);
    }
    const auto refused = limiter.check("a", limit);
    EXPECT_FALSE(refused.allowed);
    EXPECT_GT(refused.retry_after_ms, 0);
    EXPECT_LE(refused.retry_after_ms, 1000);
    EXPECT_TRUE(limiter.check("b", limit).allowed);
}

TEST(RedisRateLimiterITest, LetsRequestsThroughWhenRedisIsDown) {
    platform::RedisOptions nowhere;
    nowhere.port = 1;  // nothing listens there
    nowhere.connect_timeout = std::chrono::milliseconds{200};
    RedisRateLimiter limiter{nowhere, 1};
    EXPECT_TRUE(limiter.check("a", RateLimit{}).allowed);
}

}  // namespace
}  // namespace chelete::gateway
