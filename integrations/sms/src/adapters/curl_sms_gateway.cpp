#include <algorithm>
#include <array>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include <chelete/sms/gateway.hpp>

#include "adapters/sms_wire.hpp"

namespace chelete::sms {
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
        sink->overflowed = true;  // fewer bytes than given stops libcurl with CURLE_WRITE_ERROR
        return 0;
    }
    sink->body.append(data, bytes);
    return bytes;
}

struct Exchange {
    CURLcode code = CURLE_OK;
    long status = 0;
    BodySink sink;
    std::string curl_error;
};

CurlList append(CurlList list, const std::string& header) {
    curl_slist* next = curl_slist_append(list.get(), header.c_str());
    if (next == nullptr) {
        throw std::runtime_error("curl_slist_append failed");
    }
    (void)list.release();
    return CurlList{next};
}

}  // namespace

struct CurlSmsGateway::Impl {
    CurlSmsGatewayOptions options;
    std::string url;
    std::mutex idle_mutex;
    std::vector<CurlHandle> idle;  // handles (and their keep-alive connections) between sends

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

    Exchange post(CURL* handle, const std::string& body) const {
        Exchange out;
        out.sink.limit = options.max_response_bytes;
        std::array<char, CURL_ERROR_SIZE> error_buffer{};
        CurlList headers = append(CurlList{}, "Content-Type: application/json");
        headers = append(std::move(headers), "Accept: application/json");
        headers = append(std::move(headers), "X-Api-Key: " + options.api_key);
        // curl waits a second for "100 Continue" on larger bodies; Pistache never sends it.
        headers = append(std::move(headers), "Expect:");
        const auto connect_timeout = std::min(options.connect_timeout, options.timeout);
        curl_easy_reset(handle);
        curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
        curl_easy_setopt(handle, CURLOPT_POST, 1L);
        curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
        curl_easy_setopt(
            handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count())
        );
        curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM DNS timeouts
        // A gateway never redirects; following one could send our key and texts elsewhere.
        curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, collect_body);
        curl_easy_setopt(handle, CURLOPT_WRITEDATA, &out.sink);
        curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer.data());
        out.code = curl_easy_perform(handle);
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &out.status);
        // The handle goes back to the pool: it must not keep pointers into this frame.
        curl_easy_setopt(handle, CURLOPT_HTTPHEADER, nullptr);
        curl_easy_setopt(handle, CURLOPT_POSTFIELDS, nullptr);
        curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);
        curl_easy_setopt(handle, CURLOPT_WRITEDATA, nullptr);
        out.curl_error = error_buffer[0] != '\0' ? std::string{error_buffer.data()}
                                                 : std::string{curl_easy_strerror(out.code)};
        return out;
    }
};

CurlSmsGateway::CurlSmsGateway(CurlSmsGatewayOptions options) : impl_(std::make_unique<Impl>()) {
    const auto& url = options.base_url;
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        throw std::invalid_argument("SMS gateway base URL must start with http:// or https://");
    }
    if (options.max_attempts < 1) {
        throw std::invalid_argument("SMS gateway max_attempts must be at least 1");
    }
    if (options.timeout.count() <= 0 || options.connect_timeout.count() <= 0 ||
        options.retry_backoff.count() < 0 || options.max_response_bytes == 0) {
        throw std::invalid_argument(
            "SMS gateway timeouts, backoff and response limit must be sensible"
        );
    }
    while (!options.base_url.empty() && options.base_url.back() == '/') {
        options.base_url.pop_back();
    }
    init_curl_once();
    impl_->url = options.base_url + "/v1/messages";
    impl_->options = std::move(options);
}

CurlSmsGateway::~CurlSmsGateway() = default;

SendResult CurlSmsGateway::send(const OutgoingSms& sms) {
    if (!wire::is_valid_reference(sms.reference)) {
        throw std::invalid_argument("SMS reference is not 1-64 characters of [A-Za-z0-9._:-]");
    }
    const auto& options = impl_->options;
    const std::string body = wire::message_body(sms);
    CurlHandle handle = impl_->borrow();
    auto backoff = options.retry_backoff;
    SendResult result;
    for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
        if (attempt > 1) {
            std::this_thread::sleep_for(backoff);
            backoff *= 2;
        }
        const Exchange exchange = impl_->post(handle.get(), body);
        const std::string tries = " (attempt " + std::to_string(attempt) + " of " +
                                  std::to_string(options.max_attempts) + ")";
        if (exchange.code == CURLE_OK) {
            result = wire::interpret_reply(exchange.status, exchange.sink.body);
        } else if (exchange.code == CURLE_WRITE_ERROR && exchange.sink.overflowed) {
            // An answer we cannot read: the message may be taken; the same reference is safe.
            result = SendResult{
                SendOutcome::kRetryable,
                "",
                0,
                exchange.status,
                "gateway answer larger than " + std::to_string(options.max_response_bytes) +
                    " bytes"};
        } else {
            // Refused, reset or timed out: a retry with the same reference cannot send twice.
            result = SendResult{SendOutcome::kRetryable, "", 0, 0, exchange.curl_error};
        }
        if (result.outcome != SendOutcome::kRetryable) {
            break;
        }
        result.detail += tries;
    }
    impl_->give_back(std::move(handle));
    return result;
}

}  // namespace chelete::sms
