#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// A small libcurl transport shared by the partner clients: one exchange in, status and body out,
// and enough about a failure to know whether the request can have reached the partner.
namespace chelete::mobile_money::http {

enum class Failure : std::uint8_t {
    kNone,          // an HTTP answer arrived (any status)
    kNotConnected,  // refused or unresolvable: nothing reached the partner
    kTimeout,       // the budget ran out: the request may have been processed
    kTooLarge,      // the answer was larger than allowed
    kOther,         // reset, broken answer, ...: the request may have been processed
};

struct Request {
    std::string method = "GET";  // GET or POST
    std::string url;
    std::vector<std::string> headers;
    std::string body;
    /// Money-moving requests go on a new connection closed afterwards: libcurl may silently
    /// resend a request on a reused keep-alive connection that turns out dead, and a payment must
    /// never be sent twice by the transport.
    bool fresh_connection = false;
};

struct Response {
    Failure failure = Failure::kNone;
    long status = 0;
    std::string body;
    std::optional<std::chrono::seconds> retry_after;
    std::string error;  // libcurl's message when failure != kNone
};

struct TransportOptions {
    std::chrono::milliseconds timeout{10000};
    std::chrono::milliseconds connect_timeout{2000};
    std::size_t max_response_bytes = std::size_t{8} * 1024 * 1024;
};

/// Thread-safe: each exchange borrows an idle easy handle (keep-alive connections are reused).
class Transport {
public:
    explicit Transport(TransportOptions options);
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;
    Transport(Transport&&) = delete;
    Transport& operator=(Transport&&) = delete;

    /// Never throws for what the network or the partner does.
    [[nodiscard]] Response perform(const Request& request);

    /// Percent-encodes a query parameter value or path segment.
    [[nodiscard]] static std::string escape(std::string_view text);

    /// true for "http://..." and "https://...".
    [[nodiscard]] static bool is_http_url(std::string_view url);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chelete::mobile_money::http
