#include "common/sim_http.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace chelete::simulators {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

const std::string* SimRequest::header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? nullptr : &it->second;
}

SimResponse json_response(int status, const nlohmann::json& body) {
    SimResponse response;
    response.status = status;
    response.body = body.dump();
    return response;
}

SimResponse error_response(int status, std::string_view code, std::string_view detail) {
    nlohmann::json body{{"error", code}};
    if (!detail.empty()) {
        body["detail"] = detail;
    }
    return json_response(status, body);
}

SimResponse respond_safely(const SimHandler& handler, const SimRequest& request) noexcept {
    try {
        return handler(request);
    } catch (const std::exception& e) {
        try {
            spdlog::error("{} {} failed: {}", request.method, request.path, e.what());
        } catch (...) {  // NOLINT(bugprone-empty-catch): logging must not turn a 500 into a crash
        }
    } catch (...) {
        try {
            spdlog::error(
                "{} {} failed with a non-standard exception", request.method, request.path
            );
        } catch (...) {  // NOLINT(bugprone-empty-catch): as above
        }
    }
    SimResponse response;
    response.status = 500;
    response.body = R"({"error":"internal_error"})";
    return response;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) {  // a '%' needs two hex digits after it
                return std::nullopt;
            }
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) {
                return std::nullopt;
            }
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    // The length is not secret (any key length is allowed); the contents are.
    unsigned char difference = a.size() == b.size() ? 0 : 1;
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    }
    return difference == 0;
}

}  // namespace chelete::simulators
