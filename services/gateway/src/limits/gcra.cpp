#include <algorithm>

#include <chelete/gateway/rate_limit.hpp>

namespace chelete::gateway {

std::int64_t RateLimit::emission_interval_ms() const {
    return std::max<std::int64_t>(1, period.count() / std::max<std::int64_t>(1, rate));
}

std::int64_t RateLimit::tolerance_ms() const {
    return emission_interval_ms() * std::max<std::int64_t>(1, burst);
}

RateDecision gcra_decide(
    std::optional<std::int64_t> tat_ms, std::int64_t now_ms, const RateLimit& limit
) {
    const std::int64_t interval = limit.emission_interval_ms();
    const std::int64_t tolerance = limit.tolerance_ms();
    const std::int64_t tat = tat_ms && *tat_ms > now_ms ? *tat_ms : now_ms;
    const std::int64_t new_tat = tat + interval;
    const std::int64_t backlog = new_tat - now_ms;
    RateDecision d;
    if (backlog > tolerance) {
        d.allowed = false;
        d.retry_after_ms = backlog - tolerance;
        d.new_tat_ms = tat;
        return d;
    }
    d.allowed = true;
    d.new_tat_ms = new_tat;
    d.remaining = (tolerance - backlog) / interval;
    return d;
}

}  // namespace chelete::gateway
