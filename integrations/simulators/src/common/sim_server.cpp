#include "common/sim_server.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <spdlog/spdlog.h>

namespace chelete::simulators {
namespace {

using namespace Pistache;
using SteadyTime = std::chrono::steady_clock::time_point;

/// A response header with a name chosen at run time. Pistache 0.0.5 writes only typed headers and
/// silently drops those added with addRaw() (the gateway's http_server.cpp does the same).
class NamedHeader final : public Http::Header::Header {
public:
    NamedHeader(std::string name, std::string value)
        : name_(std::move(name)), value_(std::move(value)) {}
    [[nodiscard]] const char* name() const override { return name_.c_str(); }
    void write(std::ostream& stream) const override { stream << value_; }
    [[nodiscard]] std::uint64_t hash() const override {
        return Http::Header::detail::hash(name_.c_str());
    }

private:
    std::string name_;
    std::string value_;
};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return text;
}

Http::Mime::MediaType media_type_of(const std::string& content_type) {
    try {
        return Http::Mime::MediaType::fromString(content_type);
    } catch (const std::exception&) {
        return Http::Mime::MediaType::fromString("application/octet-stream");
    }
}

void send_now(Http::ResponseWriter& writer, const SimResponse& response, bool keep_alive) {
    try {
        auto& headers = writer.headers();
        headers.add<Http::Header::ContentType>(media_type_of(response.content_type));
        // Pistache pre-sets "Connection: Close" when the request had no Connection header while
        // keeping the socket open (STYLE.md §3.1): say what we mean.
        headers.remove<Http::Header::Connection>();
        headers.add<Http::Header::Connection>(
            keep_alive ? Http::ConnectionControl::KeepAlive : Http::ConnectionControl::Close
        );
        for (const auto& [name, value] : response.headers) {
            headers.add(std::make_shared<NamedHeader>(name, value));
        }
        writer.send(static_cast<Http::Code>(response.status), response.body);
    } catch (const std::exception& e) {
        // The client went away (a held answer whose client timed out): nothing left to do.
        spdlog::debug("response not delivered: {}", e.what());
    }
}

/// Sends held-back answers when their time comes, on one thread of its own.
class DelayedSender {
public:
    DelayedSender() : thread_([this] { run(); }) {}
    ~DelayedSender() { stop(); }
    DelayedSender(const DelayedSender&) = delete;
    DelayedSender& operator=(const DelayedSender&) = delete;
    DelayedSender(DelayedSender&&) = delete;
    DelayedSender& operator=(DelayedSender&&) = delete;

    void schedule(
        SteadyTime due, Http::ResponseWriter writer, SimResponse response, bool keep_alive
    ) {
        const std::lock_guard lock{mutex_};
        if (stopping_) {
            return;  // shutting down: the writer dies here, unsent
        }
        pending_.emplace(due, Pending{std::move(writer), std::move(response), keep_alive});
        wake_.notify_one();
    }

    /// Drops every pending answer and joins the thread. Must run before the endpoint shuts down:
    /// a writer points at the endpoint's transport.
    void stop() {
        {
            const std::lock_guard lock{mutex_};
            if (stopping_) {
                return;
            }
            stopping_ = true;
            pending_.clear();
        }
        wake_.notify_one();
        if (thread_.joinable()) {
            thread_.join();
        }
    }

private:
    struct Pending {
        Http::ResponseWriter writer;
        SimResponse response;
        bool keep_alive;
    };

    void run() {
        std::unique_lock lock{mutex_};
        while (!stopping_) {
            if (pending_.empty()) {
                wake_.wait(lock);
                continue;
            }
            const auto due = pending_.begin()->first;
            if (std::chrono::steady_clock::now() < due) {
                wake_.wait_until(lock, due);
                continue;
            }
            auto node = pending_.extract(pending_.begin());
            lock.unlock();
            send_now(node.mapped().writer, node.mapped().response, node.mapped().keep_alive);
            lock.lock();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::multimap<SteadyTime, Pending> pending_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts after the members it uses exist
};

SimRequest to_sim_request(const Http::Request& request) {
    SimRequest out;
    out.method = Http::methodString(request.method());
    out.path = request.resource();
    for (auto it = request.query().parameters_begin(); it != request.query().parameters_end();
         ++it) {
        // Pistache 0.0.5 hands query names and values over still percent-encoded.
        auto name = percent_decode(it->first, true);
        auto value = percent_decode(it->second, true);
        if (!name || !value) {
            throw std::invalid_argument("broken percent-escape in the query string");
        }
        out.query[*name] = *value;
    }
    for (const auto& header : request.headers().list()) {
        std::ostringstream value;
        header->write(value);
        out.headers[lower(header->name())] = value.str();
    }
    for (const auto& [name, header] : request.headers().rawList()) {
        out.headers[lower(name)] = header.value();
    }
    out.body = request.body();
    return out;
}

class Handler final : public Http::Handler {
public:
    HTTP_PROTOTYPE(Handler)

    Handler(const SimHandler* handler, DelayedSender* delayed)
        : handler_(handler), delayed_(delayed) {}

    void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
        SimRequest sim;
        try {
            sim = to_sim_request(request);
        } catch (const std::exception& e) {
            send_now(writer, error_response(400, "bad_request", e.what()), false);
            return;
        }
        const auto connection = sim.headers.find("connection");
        const bool keep_alive =
            connection == sim.headers.end() || lower(connection->second) != "close";
        SimResponse response = respond_safely(*handler_, sim);
        if (response.delay.count() > 0) {
            const auto due = std::chrono::steady_clock::now() + response.delay;
            delayed_->schedule(due, std::move(writer), std::move(response), keep_alive);
            return;
        }
        send_now(writer, response, keep_alive);
    }

    void onTimeout(const Http::Request& /*request*/, Http::ResponseWriter writer) override {
        send_now(writer, error_response(408, "request_timeout"), false);
    }

private:
    const SimHandler* handler_;
    DelayedSender* delayed_;
};

}  // namespace

struct SimServer::Impl {
    SimServerOptions options;
    SimHandler handler;
    std::unique_ptr<DelayedSender> delayed;
    std::unique_ptr<Http::Endpoint> endpoint;
    bool running = false;
};

SimServer::SimServer(SimServerOptions options, SimHandler handler)
    : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    impl_->handler = std::move(handler);
}

SimServer::~SimServer() {
    shutdown();
}

void SimServer::start() {
    const auto& o = impl_->options;
    impl_->delayed = std::make_unique<DelayedSender>();
    impl_->endpoint = std::make_unique<Http::Endpoint>(Address{o.host, Port{o.port}});
    auto options = Http::Endpoint::options()
                       .threads(static_cast<int>(o.threads))
                       .flags(Tcp::Options::ReuseAddr | Tcp::Options::NoDelay)
                       .maxRequestSize(o.max_request_bytes)
                       .maxResponseSize(std::size_t{1024} * 1024)
                       .headerTimeout(std::chrono::seconds{5})
                       .bodyTimeout(std::chrono::seconds{15})
                       .keepaliveTimeout(std::chrono::seconds{60});
    impl_->endpoint->init(options);
    impl_->endpoint->setHandler(Http::make_handler<Handler>(&impl_->handler, impl_->delayed.get()));
    impl_->endpoint->serveThreaded();
    impl_->running = true;
}

void SimServer::shutdown() {
    if (!impl_) {
        return;
    }
    // Held answers first: each points at the endpoint's transport, which shutdown() tears down.
    if (impl_->delayed) {
        impl_->delayed->stop();
    }
    if (impl_->running) {
        impl_->endpoint->shutdown();
        impl_->running = false;
    }
}

}  // namespace chelete::simulators
