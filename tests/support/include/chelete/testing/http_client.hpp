#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace chelete::testing {

struct HttpResult {
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-cased names
    std::string body;
    long new_connections = 0;  // 0 when an existing keep-alive connection was reused
};

/// A libcurl easy handle kept across requests, so keep-alive is exercised as a real client
/// would. Never pipelines and never sends `Expect: 100-continue` (STYLE.md §3.1).
class HttpClient {
public:
    explicit HttpClient(std::string base_url);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;
    HttpClient(HttpClient&&) = delete;
    HttpClient& operator=(HttpClient&&) = delete;

    HttpResult request(
        const std::string& method,
        const std::string& path,
        const std::string& body = "",
        const std::vector<std::string>& headers = {}
    );
    HttpResult get(const std::string& path, const std::vector<std::string>& headers = {}) {
        return request("GET", path, "", headers);
    }
    HttpResult post_json(
        const std::string& path,
        const std::string& body,
        const std::vector<std::string>& headers = {}
    );

private:
    std::string base_;
    void* curl_;
};

}  // namespace chelete::testing
