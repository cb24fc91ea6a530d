#include <chelete/platform/api.hpp>

namespace chelete::platform::api {

std::optional<Request> Request::parse(std::string_view payload) {
    auto j = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("operation") ||
        !j["operation"].is_string()) {
        return std::nullopt;
    }
    Request r;
    r.operation = j["operation"].get<std::string>();
    r.request_id = j.value("request_id", std::string{});
    r.idempotency_key = j.value("idempotency_key", std::string{});
    r.client_address = j.value("client_address", std::string{});
    if (j.contains("path") && j["path"].is_object()) {
        r.path = j["path"];
    }
    if (j.contains("query") && j["query"].is_object()) {
        r.query = j["query"];
    }
    if (j.contains("body")) {
        r.body = j["body"];
    }
    if (j.contains("raw_body") && j["raw_body"].is_string()) {
        r.raw_body = j["raw_body"].get<std::string>();
    }
    if (j.contains("signed_headers") && j["signed_headers"].is_object()) {
        for (const auto& [name, value] : j["signed_headers"].items()) {
            if (value.is_string()) {
                r.signed_headers[name] = value.get<std::string>();
            }
        }
    }
    if (j.contains("principal") && j["principal"].is_object()) {
        const auto& p = j["principal"];
        Caller c;
        c.subject = p.value("subject", std::string{});
        c.role = p.value("role", std::string{});
        if (p.contains("token_version") && p["token_version"].is_number_integer()) {
            c.token_version = p["token_version"].get<std::int64_t>();
        }
        if (!c.subject.empty() && !c.role.empty()) {
            r.caller = c;
        }
    }
    return r;
}

std::string Request::path_param(const std::string& name) const {
    const auto it = path.find(name);
    if (it == path.end()) {
        return {};
    }
    return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string Reply::to_payload() const {
    nlohmann::json out{{"status", status}};
    if (!body_text.empty()) {
        out["body_text"] = body_text;
    } else if (!body.is_null()) {
        out["body"] = body;
    }
    if (!content_type.empty()) {
        out["content_type"] = content_type;
    }
    if (!headers.empty()) {
        out["headers"] = headers;
    }
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<Reply> Reply::parse(std::string_view payload) {
    auto j = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("status") ||
        !j["status"].is_number_integer()) {
        return std::nullopt;
    }
    Reply r;
    r.status = j["status"].get<int>();
    if (j.contains("body")) {
        r.body = j["body"];
    }
    r.content_type = j.value("content_type", std::string{});
    r.body_text = j.value("body_text", std::string{});
    if (j.contains("headers") && j["headers"].is_object()) {
        for (const auto& [k, v] : j["headers"].items()) {
            if (v.is_string()) {
                r.headers[k] = v.get<std::string>();
            }
        }
    }
    return r;
}

Reply json(int status, nlohmann::json body) {
    Reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

nlohmann::json problem_body(
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
    return body;
}

Reply problem(
    int status,
    std::string_view slug,
    std::string_view title,
    std::string_view detail,
    const std::vector<FieldError>& errors
) {
    Reply r;
    r.status = status;
    r.content_type = "application/problem+json";
    r.body = problem_body(status, slug, title, detail, errors);
    return r;
}

Reply not_found(std::string_view what) {
    return problem(404, "not-found", "Not found", std::string{"no such "} + std::string{what});
}

Reply forbidden(std::string_view detail) {
    return problem(403, "forbidden", "Forbidden", detail);
}

Reply unprocessable(const std::vector<FieldError>& errors) {
    return problem(
        422,
        "validation-failed",
        "The request breaks a rule",
        errors.front().field + ": " + errors.front().message,
        errors
    );
}

std::string text_of(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) {
        return {};
    }
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get_ref<const std::string&>()
                                                 : std::string{};
}

}  // namespace chelete::platform::api
