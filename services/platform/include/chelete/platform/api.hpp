#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace chelete::platform::api {

/// Who called, as the gateway verified it.
struct Caller {
    std::string subject;
    std::string role;
    std::int64_t token_version = 0;
};

/// What the gateway sends a service for an HTTP operation (Gateway::forward): the request is
/// already authenticated, validated against the spec and typed. Services check ownership.
struct Request {
    std::string operation;
    std::string request_id;
    std::optional<Caller> caller;
    nlohmann::json path = nlohmann::json::object();
    nlohmann::json query = nlohmann::json::object();
    nlohmann::json body;
    std::string idempotency_key;
    std::string client_address;
    /// Only for operations a partner signs (security scheme `partnerSignature`): the body exactly
    /// as received, and the signature headers (names lower-cased), since the service checks an
    /// HMAC over the raw bytes, which the parsed `body` cannot reproduce.
    std::string raw_body;
    std::map<std::string, std::string> signed_headers;

    /// nullopt when the payload is not an envelope.
    [[nodiscard]] static std::optional<Request> parse(std::string_view payload);
    [[nodiscard]] std::string path_param(const std::string& name) const;
    [[nodiscard]] bool has_role(std::string_view role) const {
        return caller && caller->role == role;
    }
};

struct FieldError {
    std::string field;
    std::string message;
};

/// What a service answers; the gateway turns it into the HTTP response.
struct Reply {
    int status = 200;
    nlohmann::json body;
    std::string content_type;  // default application/json; problem+json for problems
    std::string body_text;     // a non-JSON body (CSV, text), used instead of `body` when set
    std::map<std::string, std::string> headers;

    [[nodiscard]] std::string to_payload() const;
    /// Reads a reply payload back (services calling services); nullopt when malformed.
    [[nodiscard]] static std::optional<Reply> parse(std::string_view payload);
};

[[nodiscard]] Reply json(int status, nlohmann::json body);
/// RFC 7807 problem+json; `slug` becomes "/problems/<slug>" (docs/api.md lists them).
[[nodiscard]] Reply problem(
    int status,
    std::string_view slug,
    std::string_view title,
    std::string_view detail = {},
    const std::vector<FieldError>& errors = {}
);
[[nodiscard]] nlohmann::json problem_body(
    int status,
    std::string_view slug,
    std::string_view title,
    std::string_view detail = {},
    const std::vector<FieldError>& errors = {}
);
/// 404 for "no such thing" and for "not yours" alike: existence does not leak.
[[nodiscard]] Reply not_found(std::string_view what);
[[nodiscard]] Reply forbidden(std::string_view detail);
/// A rule broken by valid JSON: 422 naming each field (the first in `detail`); `errors` not empty.
[[nodiscard]] Reply unprocessable(const std::vector<FieldError>& errors);

/// A member's text, or "" when absent or not a string. Used instead of json::value(key, "")
/// whose inlined conversion g++ -O3 flags with -Wnull-dereference.
[[nodiscard]] std::string text_of(const nlohmann::json& object, const char* key);

}  // namespace chelete::platform::api
