#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <chelete/platform/redis.hpp>

namespace chelete::gateway {

/// `rate` requests per `period`, with up to `burst` at once (GCRA, the "leaky bucket as a meter").
struct RateLimit {
    std::int64_t rate = 600;
    std::chrono::milliseconds period{60'000};
    std::int64_t burst = 60;

    [[nodiscard]] std::int64_t emission_interval_ms() const;  // T: time one request "costs"
    [[nodiscard]] std::int64_t tolerance_ms() const;          // tau = T * burst
};

struct RateDecision {
    bool allowed = true;
    std::int64_t new_tat_ms = 0;      // theoretical arrival time to store when allowed
    std::int64_t retry_after_ms = 0;  // when refused: wait this long
    std::int64_t remaining = 0;       // requests still allowed right now
};

/// Pure GCRA step: given the stored theoretical arrival time (nullopt for a new client) and
/// now, decide. The Redis script in redis_rate_limiter.cpp performs the same arithmetic
/// atomically; RateLimiterITest checks the two agree.
[[nodiscard]] RateDecision gcra_decide(
    std::optional<std::int64_t> tat_ms, std::int64_t now_ms, const RateLimit& limit
);

/// Port: counts a request for `client` and decides.
class RateLimiter {
public:
    virtual ~RateLimiter() = default;
    [[nodiscard]] virtual RateDecision check(const std::string& client, const RateLimit& limit) = 0;

protected:
    // Copied and moved only as part of an implementation, never sliced through the interface.
    RateLimiter() = default;
    RateLimiter(const RateLimiter&) = default;
    RateLimiter(RateLimiter&&) = default;
    RateLimiter& operator=(const RateLimiter&) = default;
    RateLimiter& operator=(RateLimiter&&) = default;
};

/// GCRA in Redis (one EVALSHA per request, Redis's clock), shared by every gateway instance. When
/// Redis is unreachable the limiter lets requests through and counts it: the bus is down then
/// anyway, and refusing every request would turn a Redis blip into an outage of reads too.
class RedisRateLimiter final : public RateLimiter {
public:
    RedisRateLimiter(
        platform::RedisOptions options,
        std::size_t connections,
        std::string key_prefix = "chelete:rl:"
    );
    ~RedisRateLimiter() override;
    RedisRateLimiter(const RedisRateLimiter&) = delete;
    RedisRateLimiter& operator=(const RedisRateLimiter&) = delete;
    RedisRateLimiter(RedisRateLimiter&&) = delete;
    RedisRateLimiter& operator=(RedisRateLimiter&&) = delete;

    [[nodiscard]] RateDecision check(const std::string& client, const RateLimit& limit) override;
    /// Runs the script with an explicit clock (tests compare it with gcra_decide).
    [[nodiscard]] RateDecision check_at(
        const std::string& client, const RateLimit& limit, std::int64_t now_ms
    );

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chelete::gateway
