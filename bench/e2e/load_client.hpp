#pragma once

// A small HTTP/1.1 load client for the end-to-end benchmark: one thread, epoll, a fixed number of
// keep-alive connections to one 127.0.0.1 port, requests queued until a connection is free, no
// pipelining (Pistache drops pipelined requests, STYLE.md §3.1). It must never be the
// bottleneck: the benchmark reports its CPU beside the services'.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace chelete::bench {

struct HttpReply {
    int status = 0;  // 0: transport error (connect refused, reset, closed mid-answer)
    std::string body;
    double ms = 0;  // from the request's first byte written to the last byte of its answer
};

using ReplyHandler = std::function<void(HttpReply)>;

class LoadClient {
public:
    using Clock = std::chrono::steady_clock;

    LoadClient(std::string host, std::uint16_t port, int connections);
    ~LoadClient();
    LoadClient(const LoadClient&) = delete;
    LoadClient& operator=(const LoadClient&) = delete;
    LoadClient(LoadClient&&) = delete;
    LoadClient& operator=(LoadClient&&) = delete;

    /// Queues a request; `headers` are whole lines without CRLF ("Authorization: Bearer x").
    /// The handler runs on the thread that calls poll().
    void request(
        const std::string& method,
        const std::string& path,
        const std::vector<std::string>& headers,
        const std::string& body,
        ReplyHandler handler
    );

    /// Runs the event loop for at most `timeout` (handlers run inside).
    void poll(std::chrono::milliseconds timeout);

    /// Requests queued or on the wire.
    [[nodiscard]] std::size_t outstanding() const { return queued_.size() + busy_; }
    [[nodiscard]] std::uint64_t reconnects() const { return reconnects_; }

private:
    struct Pending {
        std::string wire;
        ReplyHandler handler;
    };
    struct Connection {
        int fd = -1;
        bool connecting = false;
        bool busy = false;
        std::string out;
        std::size_t out_off = 0;
        std::string in;
        ReplyHandler handler;
        Clock::time_point sent;
    };

    void open(Connection& c);
    void close_and_fail(Connection& c);
    void start_next(Connection& c);
    void on_writable(Connection& c);
    void on_readable(Connection& c);
    /// Parses one whole response at the start of c.in; false when more bytes are needed.
    bool complete_response(Connection& c, bool eof);
    void watch(Connection& c, bool want_write);

    std::string host_;
    std::uint16_t port_;
    std::string host_header_;
    int epoll_ = -1;
    std::vector<std::unique_ptr<Connection>> connections_;
    std::vector<Connection*> idle_;
    std::deque<Pending> queued_;
    std::size_t busy_ = 0;
    std::uint64_t reconnects_ = 0;
};

}  // namespace chelete::bench
