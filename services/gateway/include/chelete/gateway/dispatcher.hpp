#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <chelete/gateway/executor.hpp>
#include <chelete/gateway/http.hpp>
#include <chelete/gateway/idempotency.hpp>
#include <chelete/gateway/jwt.hpp>
#include <chelete/gateway/openapi.hpp>
#include <chelete/gateway/rate_limit.hpp>

namespace chelete::gateway {

struct DispatcherSettings {
    std::size_t max_body_bytes = std::size_t{64} * 1024;
    RateLimit authenticated_limit{600, std::chrono::milliseconds{60'000}, 60};
    RateLimit anonymous_limit{120, std::chrono::milliseconds{60'000}, 20};
    /// A partner's signed callbacks, per callback operation and sending address: one callback per
    /// payout, so the bucket must carry the partners' whole payout rate (a 429 leaves the payout to
    /// the status query, tens of seconds later), apart from anyone else calling from elsewhere.
    RateLimit partner_limit{60'000, std::chrono::milliseconds{60'000}, 2000};
    /// Static bearer token for operations secured by the `metricsToken` scheme (Prometheus);
    /// empty: those operations accept only an admin JWT.
    std::string metrics_token;
    /// `user:password` the USSD aggregator sends by HTTP Basic on operations secured by the
    /// `ussdAggregator` scheme; empty: those operations answer 401 to everyone.
    std::string ussd_credential;
    ParseLimits parse_limits;
};

/// Turns a raw request into a call of the operation's handler, or into the right problem+json:
/// 404/405 route, 413 size, 401 token, 403 role, 429 rate, 400/415/422 validation, 409
/// idempotency, 503 overload, 500 for anything unexpected (no internals leak; the request id
/// lets support find the log line). Independent of the HTTP server, so it is unit-tested
/// without sockets.
class Dispatcher {
public:
    Dispatcher(
        const OpenApiSpec& spec,
        const TokenService& tokens,
        RateLimiter* limiter,
        IdempotencyStore* idempotency,
        Executor& executor,
        DispatcherSettings settings
    );

    /// Binds a handler to an operationId of the spec; throws for an id the spec does not have.
    void route(const std::string& operation_id, RouteHandler handler);
    /// Throws naming every spec operation that has no handler: spec and code must agree.
    void check_complete() const;
    /// The spec's operations that have no handler yet, in spec order.
    [[nodiscard]] std::vector<std::string> unrouted_operations() const;

    void dispatch(RawRequest raw, Respond respond);

    [[nodiscard]] const OpenApiSpec& spec() const { return spec_; }

private:
    void admit(
        std::shared_ptr<RawRequest> request,
        const RouteMatch& match,
        std::string request_id,
        Respond respond
    );
    Respond finisher(
        std::shared_ptr<RawRequest> request,
        const Operation* operation,
        std::string request_id,
        std::string principal_id,
        std::string idempotency_client,
        std::string idempotency_key,
        Respond respond
    ) const;

    const OpenApiSpec& spec_;
    const TokenService& tokens_;
    RateLimiter* limiter_;
    IdempotencyStore* idempotency_;
    Executor& executor_;
    DispatcherSettings settings_;
    std::map<std::string, RouteHandler, std::less<>> handlers_;
};

}  // namespace chelete::gateway
