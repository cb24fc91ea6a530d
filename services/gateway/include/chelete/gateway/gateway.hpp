#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <chelete/gateway/console.hpp>
#include <chelete/gateway/dispatcher.hpp>
#include <chelete/gateway/server.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/config.hpp>
#include <chelete/platform/settings.hpp>

namespace chelete::gateway {

struct GatewaySettings {
    ServerSettings server;
    DispatcherSettings dispatch;
    TokenSettings tokens;
    std::vector<TokenKey> keys;
    IdempotencySettings idempotency;
    std::size_t workers = 4;
    std::size_t queue = 1024;
    std::chrono::milliseconds request_timeout{10000};
    std::string openapi_path;  // empty: the spec built into the binary
    std::string docs_dir;      // where redocly's index.html is
    std::chrono::milliseconds drain{2000};
    std::string rate_limit_prefix = "chelete:rl:";

    static GatewaySettings load(platform::ConfigReader& reader);
};

/// The spec compiled into the binary (api-spec/openapi.yaml at build time).
[[nodiscard]] std::string_view embedded_openapi_yaml();

/// Loads the spec from `path` (or the embedded one when empty); throws SpecError/runtime_error
/// with a clear message, so a bad spec stops the start.
[[nodiscard]] OpenApiSpec load_spec(const std::string& path);

/// A readiness probe: name and a check that throws or returns false when not ready.
struct ReadinessCheck {
    std::string name;
    std::function<bool()> check;
};

/// The gateway process: HTTP in, bus requests out.
class Gateway {
public:
    Gateway(GatewaySettings settings, const platform::PlatformSettings& platform);
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;
    Gateway(Gateway&&) = delete;
    Gateway& operator=(Gateway&&) = delete;

    /// Registers a handler for an operation (before start()).
    void route(const std::string& operation_id, RouteHandler handler);
    /// A handler that sends the request to `stream` as message type `type` and answers with the
    /// service's reply (or 504 when it does not come in time).
    [[nodiscard]] RouteHandler forward(const std::string& stream, const std::string& type);
    /// Adjusts the envelope sent to the i-th stream of a fan-out (nullptr: the same to all).
    using FanOutShape = std::function<void(nlohmann::json& envelope, std::size_t index)>;
    /// Makes one answer of every stream's reply, in stream order (nullopt: no answer in time).
    /// An answer of status 504 becomes the gateway's upstream-timeout problem.
    using FanOutCombine =
        std::function<HttpResponse(const std::vector<std::optional<HttpResponse>>& replies)>;
    /// A handler that sends the request to every stream (the ledger's shards) at once and
    /// answers with `combine` of their replies.
    [[nodiscard]] RouteHandler fan_out(
        std::vector<std::string> streams,
        const std::string& type,
        FanOutShape shape,
        FanOutCombine combine
    );
    /// Like forward(), for the login operation: the service answers {subject_id, role,
    /// token_version} for good credentials and the gateway answers with a signed token.
    [[nodiscard]] RouteHandler token_exchange(const std::string& stream, const std::string& type);
    /// The spec's operations that no handler serves yet (start() refuses while there are any).
    [[nodiscard]] std::vector<std::string> unrouted_operations() const;

    /// Migrates the gateway schema, connects, checks that every spec operation has a handler,
    /// and serves.
    void start();
    /// Readiness goes 503, the drain period passes, the server stops, workers finish.
    void stop();

    [[nodiscard]] const OpenApiSpec& spec() const { return *spec_; }
    [[nodiscard]] const TokenService& tokens() const { return *tokens_; }
    [[nodiscard]] platform::bus::BusClient& bus() { return *bus_; }
    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] bool draining() const { return draining_; }

private:
    void add_operational_routes();
    RouteHandler forward_then(
        const std::string& stream,
        const std::string& type,
        std::function<void(HttpResponse&)> transform
    );

    GatewaySettings settings_;
    const platform::PlatformSettings& platform_;
    platform::SystemClock clock_;
    std::unique_ptr<OpenApiSpec> spec_;
    std::unique_ptr<TokenService> tokens_;
    std::unique_ptr<platform::PgPool> pool_;
    std::unique_ptr<RedisRateLimiter> limiter_;
    std::unique_ptr<PgIdempotencyStore> idempotency_;
    std::unique_ptr<Executor> executor_;
    std::unique_ptr<Dispatcher> dispatcher_;
    std::unique_ptr<platform::bus::BusClient> bus_;
    std::unique_ptr<HttpServer> server_;
    std::vector<ReadinessCheck> readiness_;
    std::string docs_html_;
    ConsoleFiles console_;
    std::atomic<bool> draining_{false};
    std::atomic<bool> started_{false};
};

}  // namespace chelete::gateway
