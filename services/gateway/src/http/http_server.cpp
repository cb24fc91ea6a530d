#include <sstream>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <spdlog/spdlog.h>

#include <chelete/gateway/server.hpp>

namespace chelete::gateway {
namespace {

using namespace Pistache;

/// A response header with a name chosen at run time. Pistache 0.0.5 writes only typed headers
/// (`Collection::list()`) and silently drops those added with addRaw(), so X-Request-Id, Allow,
/// Retry-After, Location and the rest need a typed carrier.
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

/// Header values come from our code, but a stray CR or LF would split the response: drop them.
std::string header_safe(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c != '\r' && c != '\n') {
            out += c;
        }
    }
    return out;
}

Http::Mime::MediaType media_type_of(const std::string& content_type) {
    try {
        return Http::Mime::MediaType::fromString(content_type);
    } catch (const std::exception&) {
        return Http::Mime::MediaType::fromString("application/octet-stream");
    }
}

void send_response(Http::ResponseWriter& writer, const HttpResponse& response, bool keep_alive) {
    auto& headers = writer.headers();
    headers.add<Http::Header::ContentType>(media_type_of(response.content_type));
    // Pistache pre-sets "Connection: Close" for requests that sent no Connection header, though it
    // keeps the socket open: obedient clients then reconnect every time (STYLE.md §3.1). Answer
    // keep-alive explicitly unless the client asked to close.
    headers.remove<Http::Header::Connection>();
    headers.add<Http::Header::Connection>(
        keep_alive ? Http::ConnectionControl::KeepAlive : Http::ConnectionControl::Close
    );
    // API answers are never cached; an answer that says otherwise (the console's files, which
    // revalidate by ETag) replaces the default. Pistache keeps the first header of a name.
    if (!response.header("Cache-Control")) {
        headers.add(std::make_shared<NamedHeader>("Cache-Control", "no-store"));
    }
    headers.add(std::make_shared<NamedHeader>("X-Content-Type-Options", "nosniff"));
    for (const auto& [name, value] : response.headers) {
        headers.add(std::make_shared<NamedHeader>(header_safe(name), header_safe(value)));
    }
    writer.send(static_cast<Http::Code>(response.status), response.body);
}

class Handler final : public Http::Handler {
public:
    HTTP_PROTOTYPE(Handler)

    explicit Handler(Dispatcher* dispatcher) : dispatcher_(dispatcher) {}

    void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
        RawRequest raw;
        try {
            raw.method = Http::methodString(request.method());
            raw.path = request.resource();
            std::string query;
            for (auto it = request.query().parameters_begin();
                 it != request.query().parameters_end();
                 ++it) {
                query += (query.empty() ? "" : "&") + it->first + "=" + it->second;
            }
            raw.query = std::move(query);
            for (const auto& header : request.headers().list()) {
                std::ostringstream value;
                header->write(value);
                raw.headers[lower(header->name())] = value.str();
            }
            for (const auto& [name, header] : request.headers().rawList()) {
                raw.headers[lower(name)] = header.value();
            }
            raw.body = request.body();
            raw.peer = request.address().host();
        } catch (const std::exception& e) {
            spdlog::warn("unreadable request: {}", e.what());
            auto bad = problem(400, "bad-request", "Malformed request");
            send_response(writer, bad, false);
            return;
        }
        const auto connection = raw.headers.find("connection");
        const bool keep_alive =
            connection == raw.headers.end() || lower(connection->second) != "close";
        // The writer moves into exactly one continuation that sends once (Pistache #1290).
        auto shared_writer = std::make_shared<Http::ResponseWriter>(std::move(writer));
        dispatcher_->dispatch(
            std::move(raw),
            [shared_writer, keep_alive](const HttpResponse& response) {
                try {
                    send_response(*shared_writer, response, keep_alive);
                } catch (const std::exception& e) {
                    spdlog::warn("response not delivered (client gone?): {}", e.what());
                }
            }
        );
    }

    void onTimeout(const Http::Request& /*request*/, Http::ResponseWriter writer) override {
        try {
            send_response(
                writer,
                problem(
                    408, "request-timeout", "Request timeout", "the request was not sent in time"
                ),
                false
            );
        } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): the client is gone
        }
    }

private:
    static std::string lower(std::string s) {
        for (auto& c : s) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        return s;
    }

    Dispatcher* dispatcher_;
};

}  // namespace

struct HttpServer::Impl {
    ServerSettings settings;
    Dispatcher& dispatcher;
    std::unique_ptr<Http::Endpoint> endpoint;
    bool running = false;
};

HttpServer::HttpServer(ServerSettings settings, Dispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(Impl{std::move(settings), dispatcher, nullptr, false})) {}

HttpServer::~HttpServer() {
    shutdown();
}

void HttpServer::start() {
    const auto& s = impl_->settings;
    Address address{s.host, Port{s.port}};
    impl_->endpoint = std::make_unique<Http::Endpoint>(address);
    // Headers, request line and body share Pistache's limit: leave room above our body limit so
    // the dispatcher answers an oversized body itself, with problem+json.
    constexpr std::size_t kHeaderAllowance = std::size_t{16} * 1024;
    auto options = Http::Endpoint::options()
                       .threads(s.threads)
                       .flags(Tcp::Options::ReuseAddr | Tcp::Options::NoDelay)
                       .maxRequestSize(s.max_body_bytes * 2 + kHeaderAllowance)
                       .maxResponseSize(std::size_t{16} * 1024 * 1024)
                       .headerTimeout(s.header_timeout)
                       .bodyTimeout(s.body_timeout)
                       .keepaliveTimeout(s.keepalive_timeout);
    impl_->endpoint->init(options);
    impl_->endpoint->setHandler(Http::make_handler<Handler>(&impl_->dispatcher));
    impl_->endpoint->serveThreaded();
    impl_->running = true;
    spdlog::info("HTTP on http://{}:{} ({} threads)", s.host, port(), s.threads);
}

void HttpServer::shutdown() {
    if (impl_ && impl_->running) {
        impl_->endpoint->shutdown();
        impl_->running = false;
    }
}

std::uint16_t HttpServer::port() const {
    return impl_->endpoint ? static_cast<std::uint16_t>(impl_->endpoint->getPort())
                           : impl_->settings.port;
}

}  // namespace chelete::gateway
