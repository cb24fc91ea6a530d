#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <chelete/gateway/dispatcher.hpp>

namespace chelete::gateway {

struct ServerSettings {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    int threads = 2;
    std::size_t max_body_bytes = std::size_t{64} * 1024;
    std::chrono::milliseconds header_timeout{5000};
    std::chrono::milliseconds body_timeout{15000};
    std::chrono::milliseconds keepalive_timeout{60000};
};

/// The Pistache endpoint, set up as STYLE.md §3.1 asks: every option explicit; a request limit
/// above the dispatcher's body limit so oversized bodies get our problem+json 413; keep-alive
/// answered explicitly; our own route table (from the spec) instead of Pistache's Router, whose
/// first-use insertion races across threads in 0.0.5; every response built by the dispatcher,
/// so no exception text reaches a client.
class HttpServer {
public:
    HttpServer(ServerSettings settings, Dispatcher& dispatcher);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    HttpServer(HttpServer&&) = delete;
    HttpServer& operator=(HttpServer&&) = delete;

    /// Binds and serves in background threads; throws if the port cannot be bound.
    void start();
    void shutdown();
    [[nodiscard]] std::uint16_t port() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chelete::gateway
