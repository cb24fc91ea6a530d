#include <chelete/gateway/http.hpp>

namespace chelete::gateway {

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (k.size() == name.size() &&
            std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
                return std::tolower(a) == std::tolower(b);
            })) {
            return v;
        }
    }
    return std::nullopt;
}

HttpResponse problem(
    int status,
    std::string_view slug,
    std::string_view title,
    std::string_view detail,
    const std::vector<FieldError>& errors
) {
    nlohmann::json body{
        {"type", "/problems/" + std::string{slug}}, {"title", title}, {"status", status}};
    if (!detail.empty()) {
        body["detail"] = detail;
    }
    if (!errors.empty()) {
        auto& list = body["errors"] = nlohmann::json::array();
        for (const auto& e : errors) {
            list.push_back({{"field", e.field}, {"message", e.message}});
        }
    }
    HttpResponse r;
    r.status = status;
    r.content_type = "application/problem+json";
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

HttpResponse json_response(int status, const nlohmann::json& body) {
    HttpResponse r;
    r.status = status;
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

std::optional<std::map<std::string, std::string>> parse_query(std::string_view query) {
    const auto decode = [](std::string_view in) -> std::optional<std::string> {
        std::string out;
        out.reserve(in.size());
        for (std::size_t i = 0; i < in.size(); ++i) {
            const char c = in[i];
            if (c == '+') {
                out += ' ';
            } else if (c == '%') {
                if (i + 2 >= in.size()) {  // '%' needs two hex digits after it
                    return std::nullopt;
                }
                const auto hex = [](char h) -> int {
                    if (h >= '0' && h <= '9') {
                        return h - '0';
                    }
                    if (h >= 'a' && h <= 'f') {
                        return h - 'a' + 10;
                    }
                    if (h >= 'A' && h <= 'F') {
                        return h - 'A' + 10;
                    }
                    return -1;
                };
                const int hi = hex(in[i + 1]);
                const int lo = hex(in[i + 2]);
                if (hi < 0 || lo < 0) {
                    return std::nullopt;
                }
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
            } else {
                out += c;
            }
        }
        if (out.find('\0') != std::string::npos) {
            return std::nullopt;
        }
        return out;
    };
    std::map<std::string, std::string> out;
    std::size_t start = 0;
    while (start <= query.size() && !query.empty()) {
        auto end = query.find('&', start);
        if (end == std::string_view::npos) {
            end = query.size();
        }
        const auto pair = query.substr(start, end - start);
        if (!pair.empty()) {
            const auto eq = pair.find('=');
            const auto name = decode(pair.substr(0, eq));
            const auto value = eq == std::string_view::npos ? std::optional<std::string>{""}
                                                            : decode(pair.substr(eq + 1));
            if (!name || !value || name->empty() || !out.emplace(*name, *value).second) {
                return std::nullopt;
            }
        }
        if (end == query.size()) {
            break;
        }
        start = end + 1;
    }
    return out;
}

}  // namespace chelete::gateway
