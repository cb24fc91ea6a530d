#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/sim_http.hpp"

namespace chelete::simulators {

struct SimServerOptions {
    std::string host = "127.0.0.1";  // simulators serve loopback only
    std::uint16_t port = 0;
    std::size_t threads = 2;
    /// Pistache counts request line, headers and body against one limit (4 KiB by default).
    std::size_t max_request_bytes = std::size_t{64} * 1024;
};

/// A Pistache endpoint that hands every request to one SimHandler (STYLE.md §3.1 pitfalls handled
/// here once for every simulator): no Pistache Router (so no router data race with several
/// threads), every option set, keep-alive answered explicitly, handler exceptions answered as a
/// generic 500, and delayed answers sent from a timer thread instead of sleeping on a reactor.
class SimServer {
public:
    SimServer(SimServerOptions options, SimHandler handler);
    ~SimServer();
    SimServer(const SimServer&) = delete;
    SimServer& operator=(const SimServer&) = delete;
    SimServer(SimServer&&) = delete;
    SimServer& operator=(SimServer&&) = delete;

    /// Binds and serves on background threads; throws if the port cannot be bound.
    void start();
    /// Drops answers still held back (their clients have long given up), then stops serving.
    void shutdown();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chelete::simulators
