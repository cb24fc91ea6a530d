#include <condition_variable>
#include <mutex>
#include <vector>

#include <spdlog/spdlog.h>

#include <chelete/gateway/rate_limit.hpp>
#include <chelete/platform/metrics.hpp>

namespace chelete::gateway {

namespace metrics = platform::metrics;

namespace {

// The same steps as gcra_decide(), atomically. Redis's own clock unless ARGV[3] gives one (tests).
constexpr std::string_view kGcraScript = R"lua(
local now
if ARGV[3] then
  now = tonumber(ARGV[3])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if (not tat) or tat < now then tat = now end
local new_tat = tat + interval
local backlog = new_tat - now
if backlog > tolerance then
  return {0, backlog - tolerance, 0}
end
redis.call('SET', KEYS[1], new_tat, 'PX', backlog)
return {1, 0, math.floor((tolerance - backlog) / interval)}
)lua";

metrics::Family<metrics::Counter>& limiter_outcomes() {
    // NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): function-local cache
    static auto& f = platform::metrics::default_registry().counter(
        "chelete_rate_limit_total", "Rate limit decisions, by outcome", {"outcome"}
    );
    return f;
}

}  // namespace

struct RedisRateLimiter::Impl {
    platform::RedisOptions options;
    std::string prefix;
    std::string sha;  // SCRIPT LOAD's answer; empty until Redis has been reached
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::unique_ptr<platform::RedisClient>> idle;

    std::unique_ptr<platform::RedisClient> take() {
        std::unique_lock lock{mutex};
        cv.wait(lock, [&] { return !idle.empty(); });
        auto c = std::move(idle.back());
        idle.pop_back();
        return c;
    }
    void give(std::unique_ptr<platform::RedisClient> c) {
        {
            std::lock_guard lock{mutex};
            idle.push_back(std::move(c));
        }
        cv.notify_one();
    }

    RateDecision run(
        const std::string& client, const RateLimit& limit, std::optional<std::int64_t> now_ms
    ) {
        auto conn = take();
        try {
            std::vector<std::string> args{
                "EVALSHA",
                sha.empty() ? std::string{"0"} : sha,
                "1",
                prefix + client,
                std::to_string(limit.emission_interval_ms()),
                std::to_string(limit.tolerance_ms())};
            if (now_ms) {
                args.push_back(std::to_string(*now_ms));
            }
            auto reply = conn->command(args);
            if (reply.is_error() && reply.str().starts_with("NOSCRIPT")) {
                args[0] = "EVAL";
                args[1] = std::string{kGcraScript};
                reply = conn->command(args);
            }
            if (reply.is_error() || reply.value().size() != 3) {
                throw platform::RedisIoError(
                    "rate limit script failed: " + std::string{reply.str()}
                );
            }
            RateDecision d;
            d.allowed = reply.value()[0].integer() == 1;
            d.retry_after_ms = reply.value()[1].integer();
            d.remaining = reply.value()[2].integer();
            give(std::move(conn));
            return d;
        } catch (const std::exception& e) {
            give(std::move(conn));
            limiter_outcomes().with({"redis_unavailable"}).inc();
            spdlog::warn("rate limiter unavailable, letting the request through: {}", e.what());
            return RateDecision{};
        }
    }
};

RedisRateLimiter::RedisRateLimiter(
    platform::RedisOptions options, std::size_t connections, std::string key_prefix
)
    : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    impl_->prefix = std::move(key_prefix);
    for (std::size_t i = 0; i < std::max<std::size_t>(1, connections); ++i) {
        impl_->idle.push_back(std::make_unique<platform::RedisClient>(impl_->options));
    }
    // EVALSHA needs the script's SHA1; SCRIPT LOAD tells us (and caches the script). After a
    // Redis restart the cache is empty: NOSCRIPT falls back to EVAL, which caches it again.
    try {
        const auto reply =
            impl_->idle.front()->command({"SCRIPT", "LOAD", std::string{kGcraScript}});
        if (!reply.is_error()) {
            impl_->sha = std::string{reply.str()};
        }
    } catch (const platform::RedisIoError& e) {
        spdlog::warn(
            "rate limiter: Redis not reachable at start ({}); EVAL will load the script later",
            e.what()
        );
    }
}

RedisRateLimiter::~RedisRateLimiter() = default;

RateDecision RedisRateLimiter::check(const std::string& client, const RateLimit& limit) {
    auto d = impl_->run(client, limit, std::nullopt);
    limiter_outcomes().with({d.allowed ? "allowed" : "limited"}).inc();
    return d;
}

RateDecision RedisRateLimiter::check_at(
    const std::string& client, const RateLimit& limit, std::int64_t now_ms
) {
    return impl_->run(client, limit, now_ms);
}

}  // namespace chelete::gateway
