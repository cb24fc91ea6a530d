// The libcurl side of CallbackSender, apart so that the unit tests of the sender need no network.
#include <memory>
#include <string>

#include <curl/curl.h>

#include "common/callbacks.hpp"

namespace chelete::simulators {
namespace {

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::size_t discard_body(char* /*data*/, std::size_t size, std::size_t count, void* /*user*/) {
    return size * count;
}

int abort_when_cancelled(
    void* user,
    curl_off_t /*dltotal*/,
    curl_off_t /*dlnow*/,
    curl_off_t /*ultotal*/,
    curl_off_t /*ulnow*/
) {
    const auto* cancel = static_cast<const std::atomic<bool>*>(user);
    return cancel->load() ? 1 : 0;  // non-zero aborts the transfer
}

}  // namespace

CallbackTransport curl_transport() {
    // One handle, used only by the sender's thread, so connections to the receiver are reused.
    auto curl = std::shared_ptr<CURL>(curl_easy_init(), CurlDeleter{});
    return [curl](
               const std::string& url,
               const CallbackHeaders& headers,
               const std::string& body,
               const std::atomic<bool>& cancel
           ) -> long {
        if (!curl || cancel) {
            return 0;
        }
        CURL* h = curl.get();
        curl_easy_reset(h);
        curl_slist* raw = nullptr;
        for (const auto& [name, value] : headers) {
            std::string line = name;
            line += ": ";
            line += value;
            raw = curl_slist_append(raw, line.c_str());
        }
        raw = curl_slist_append(raw, "Expect:");  // no 100-continue wait (STYLE.md §3.1)
        const std::unique_ptr<curl_slist, SlistDeleter> list{raw};
        curl_easy_setopt(h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get());
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_body);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 500L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_when_cancelled);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &cancel);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        if (curl_easy_perform(h) != CURLE_OK) {
            return 0;
        }
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        return status;
    };
}

}  // namespace chelete::simulators
