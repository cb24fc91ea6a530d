#include <algorithm>
#include <array>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include <chelete/permit_registry/client.hpp>

#include "adapters/permit_wire.hpp"

namespace chelete::permit_registry {
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

struct BodySink {
    std::string body;
    std::size_t limit = 0;
    bool overflowed = false;
};

std::size_t collect_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* sink = static_cast<BodySink*>(user);
    const std::size_t bytes = size * count;
    if (sink->body.size() + bytes > sink->limit) {
        // Returning less than given makes libcurl stop with CURLE_WRITE_ERROR.
        sink->overflowed = true;
        return 0;
    }
    sink->body.append(data, bytes);
    return bytes;
}

std::string escape(CURL* handle, std::string_view text) {
    char* escaped = curl_easy_escape(handle, text.data(), static_cast<int>(text.size()));
    if (escaped == nullptr) {
        throw std::runtime_error("curl_easy_escape failed");
    }
    std::string out{escaped};
    curl_free(escaped);
    return out;
}

/// One HTTP exchange, before interpretation.
struct Exchange {
    CURLcode code = CURLE_OK;
    long status = 0;
    BodySink sink;
    std::string curl_error;
};

}  // namespace

struct PermitRegistryClient::Impl {
    PermitRegistryClientOptions options;
    std::mutex idle_mutex;
    std::vector<CurlHandle> idle;  // handles (and their keep-alive connections) between lookups

    CurlHandle borrow() {
        {
            const std::lock_guard lock{idle_mutex};
            if (!idle.empty()) {
                CurlHandle handle = std::move(idle.back());
                idle.pop_back();
                return handle;
            }
        }
        CurlHandle handle{curl_easy_init()};
        if (!handle) {
            throw std::runtime_error("curl_easy_init failed");
        }
        return handle;
    }

    void give_back(CurlHandle handle) {
        const std::lock_guard lock{idle_mutex};
        idle.push_back(std::move(handle));
    }

    Exchange get(CURL* handle, const std::string& url) const {
        Exchange out;
        out.sink.limit = options.max_response_bytes;
        std::array<char, CURL_ERROR_SIZE> error_buffer{};
        CurlList headers{curl_slist_append(nullptr, "Accept: application/json")};
        if (!options.api_key.empty()) {
            headers.reset(
                curl_slist_append(headers.release(), ("X-Api-Key: " + options.api_key).c_str())
            );
        }
        if (!headers) {
            throw std::runtime_error("curl_slist_append failed");
        }
        const auto connect_timeout = std::min(options.connect_timeout, options.timeout);
        curl_easy_reset(handle);
        curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
        curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
        curl_easy_setopt(
            handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count())
        );
        // Threads: no SIGALRM-based DNS timeouts.
        curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
        // The registry never redirects; following one could send our key elsewhere.
        curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, collect_body);
        curl_easy_setopt(handle, CURLOPT_WRITEDATA, &out.sink);
        curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer.data());
        out.code = curl_easy_perform(handle);
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &out.status);
        // The handle goes back to the pool: it must not keep pointers into this frame.
        curl_easy_setopt(handle, CURLOPT_HTTPHEADER, nullptr);
        curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);
        curl_easy_setopt(handle, CURLOPT_WRITEDATA, nullptr);
        out.curl_error = error_buffer[0] != '\0' ? std::string{error_buffer.data()}
                                                 : std::string{curl_easy_strerror(out.code)};
        return out;
    }
};

PermitRegistryClient::PermitRegistryClient(PermitRegistryClientOptions options)
    : impl_(std::make_unique<Impl>()) {
    const auto& url = options.base_url;
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        throw std::invalid_argument("permit registry base URL must start with http:// or https://");
    }
    if (options.max_attempts < 1) {
        throw std::invalid_argument("permit registry max_attempts must be at least 1");
    }
    if (options.timeout.count() <= 0 || options.connect_timeout.count() <= 0) {
        throw std::invalid_argument("permit registry timeouts must be positive");
    }
    if (options.retry_backoff.count() < 0 || options.max_response_bytes == 0) {
        throw std::invalid_argument("permit registry backoff and response limit must be sensible");
    }
    while (!options.base_url.empty() && options.base_url.back() == '/') {
        options.base_url.pop_back();
    }
    init_curl_once();
    impl_->options = std::move(options);
}

PermitRegistryClient::~PermitRegistryClient() = default;

LookupResult PermitRegistryClient::lookup(std::string_view number, std::string_view surname) {
    if (!is_valid_permit_number(number)) {
        throw std::invalid_argument("permit number is not 1-32 characters of [A-Za-z0-9-]");
    }
    if (!is_valid_surname(surname)) {
        throw std::invalid_argument("surname is empty, too long or has control characters");
    }
    const auto& options = impl_->options;
    CurlHandle handle = impl_->borrow();
    const std::string url = options.base_url + "/permits/" + escape(handle.get(), number) +
                            "?surname=" + escape(handle.get(), surname);
    auto backoff = options.retry_backoff;
    LookupResult result = Unavailable{UnavailableReason::kTransportError, "no attempt made"};
    for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
        if (attempt > 1) {
            std::this_thread::sleep_for(backoff);
            backoff *= 2;
        }
        Exchange exchange = impl_->get(handle.get(), url);
        const std::string tries = " (attempt " + std::to_string(attempt) + " of " +
                                  std::to_string(options.max_attempts) + ")";
        if (exchange.code == CURLE_OK) {
            result = wire::interpret_reply(exchange.status, exchange.sink.body, number, surname);
            // 503 says the request was not processed: asking again cannot do harm.
            if (exchange.status == 503) {
                std::get<Unavailable>(result).detail += tries;
                continue;
            }
            break;
        }
        if (exchange.code == CURLE_COULDNT_CONNECT) {
            // Refused or unreachable: nothing reached the registry, so another try is safe.
            result = Unavailable{UnavailableReason::kConnectionFailed, exchange.curl_error + tries};
            continue;
        }
        if (exchange.code == CURLE_OPERATION_TIMEDOUT) {
            result = Unavailable{UnavailableReason::kTimeout, exchange.curl_error + tries};
        } else if (exchange.code == CURLE_WRITE_ERROR && exchange.sink.overflowed) {
            result = Unavailable{
                UnavailableReason::kMalformedResponse,
                "response body larger than " + std::to_string(options.max_response_bytes) +
                    " bytes"};
        } else {
            result = Unavailable{UnavailableReason::kTransportError, exchange.curl_error + tries};
        }
        break;
    }
    impl_->give_back(std::move(handle));
    return result;
}

}  // namespace chelete::permit_registry
