#include "adapters/http_transport.hpp"

#include <array>
#include <charconv>
#include <mutex>
#include <stdexcept>

#include <curl/curl.h>

namespace chelete::mobile_money::http {
namespace {

/// curl_global_init is not thread-safe before libcurl 7.84 and must run before any other call.
void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw std::runtime_error("curl_global_init failed");
        }
    });
}

struct CurlHandleDeleter {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlHandle = std::unique_ptr<CURL, CurlHandleDeleter>;

struct CurlListDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlList = std::unique_ptr<curl_slist, CurlListDeleter>;

struct Sink {
    std::string body;
    std::size_t limit = 0;
    bool overflowed = false;
    std::optional<std::chrono::seconds> retry_after;
};

std::size_t collect_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    const std::size_t bytes = size * count;
    if (sink->body.size() + bytes > sink->limit) {
        // Returning less than given makes libcurl stop with CURLE_WRITE_ERROR.
        sink->overflowed = true;
        return 0;
    }
    sink->body.append(data, bytes);
    return bytes;
}

/// Reads Retry-After in its seconds form (the partners send "Retry-After: 1").
std::size_t collect_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    const std::size_t bytes = size * count;
    std::string_view line{data, bytes};
    constexpr std::string_view kName = "retry-after:";
    if (line.size() > kName.size()) {
        std::string lower{line.substr(0, kName.size())};
        for (char& c : lower) {
            c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        if (lower == kName) {
            std::string_view value = line.substr(kName.size());
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
                value.remove_prefix(1);
            }
            while (!value.empty() &&
                   (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
                value.remove_suffix(1);
            }
            long seconds = 0;
            const auto [end, ec] =
                std::from_chars(value.data(), value.data() + value.size(), seconds);
            if (ec == std::errc{} && end == value.data() + value.size() && seconds >= 0) {
                sink->retry_after = std::chrono::seconds{seconds};
            }
        }
    }
    return bytes;
}

}  // namespace

struct Transport::Impl {
    TransportOptions options;
    std::mutex idle_mutex;
    std::vector<CurlHandle> idle;

    CurlHandle borrow() {
        {
            const std::lock_guard lock{idle_mutex};
            if (!idle.empty()) {
                CurlHandle handle = std::move(idle.back());
                idle.pop_back();
                return handle;
            }
        }
        return CurlHandle{curl_easy_init()};
    }

    void give_back(CurlHandle handle) {
        const std::lock_guard lock{idle_mutex};
        idle.push_back(std::move(handle));
    }
};

Transport::Transport(TransportOptions options) : impl_(std::make_unique<Impl>()) {
    init_curl_once();
    impl_->options = options;
}

Transport::~Transport() = default;

Response Transport::perform(const Request& request) {
    Response out;
    CurlHandle handle = impl_->borrow();
    if (!handle) {
        out.failure = Failure::kNotConnected;
        out.error = "curl_easy_init failed";
        return out;
    }
    const auto& options = impl_->options;
    Sink sink;
    sink.limit = options.max_response_bytes;
    std::array<char, CURL_ERROR_SIZE> error_buffer{};
    CurlList headers;
    bool headers_ok = true;
    for (const auto& header : request.headers) {
        curl_slist* grown = curl_slist_append(headers.get(), header.c_str());
        if (grown == nullptr) {
            headers_ok = false;
            break;
        }
        headers.release();
        headers.reset(grown);
    }
    // No "Expect: 100-continue": it stalls a second on servers that do not answer it.
    if (headers_ok) {
        curl_slist* grown = curl_slist_append(headers.get(), "Expect:");
        headers_ok = grown != nullptr;
        if (headers_ok) {
            headers.release();
            headers.reset(grown);
        }
    }
    if (!headers_ok) {
        out.failure = Failure::kNotConnected;
        out.error = "curl_slist_append failed";
        impl_->give_back(std::move(handle));
        return out;
    }
    CURL* h = handle.get();
    const auto connect_timeout = std::min(options.connect_timeout, options.timeout);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    if (request.method == "POST") {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(
            h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())
        );
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
    // Threads: no SIGALRM-based DNS timeouts.
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    // Partners never redirect; following one could send our credentials elsewhere.
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (request.fresh_connection) {
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer.data());
    const CURLcode code = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
    // The handle goes back to the pool: it must not keep pointers into this frame.
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, nullptr);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, nullptr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, nullptr);
    impl_->give_back(std::move(handle));

    out.error = error_buffer[0] != '\0' ? std::string{error_buffer.data()}
                                        : std::string{curl_easy_strerror(code)};
    out.body = std::move(sink.body);
    out.retry_after = sink.retry_after;
    switch (code) {
        case CURLE_OK:
            out.failure = Failure::kNone;
            out.error.clear();
            break;
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
            out.failure = Failure::kNotConnected;
            break;
        case CURLE_OPERATION_TIMEDOUT:
            out.failure = Failure::kTimeout;
            break;
        case CURLE_WRITE_ERROR:
            out.failure = sink.overflowed ? Failure::kTooLarge : Failure::kOther;
            break;
        default:
            out.failure = Failure::kOther;
            break;
    }
    return out;
}

std::string Transport::escape(std::string_view text) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[byte >> 4U]);
            out.push_back(kHex[byte & 0x0fU]);
        }
    }
    return out;
}

bool Transport::is_http_url(std::string_view url) {
    return (url.rfind("http://", 0) == 0 && url.size() > 7) ||
           (url.rfind("https://", 0) == 0 && url.size() > 8);
}

}  // namespace chelete::mobile_money::http
