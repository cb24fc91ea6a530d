#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <chelete/gateway/jwt.hpp>
#include <chelete/gateway/openapi.hpp>

namespace chelete::gateway {

/// A request as the HTTP server received it.
struct RawRequest {
    std::string method;
    std::string path;                            // without the query string
    std::string query;                           // raw, without '?'
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::string peer;  // client address
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

/// Everything a route handler may rely on: the request has been authenticated, authorised by
/// role, rate-limited, validated against the spec, and (for money-moving or creating POSTs)
/// registered under its Idempotency-Key.
struct RequestContext {
    const Operation* operation = nullptr;
    std::string request_id;
    std::optional<Principal> principal;
    nlohmann::json path_params = nlohmann::json::object();  // typed per the spec
    nlohmann::json query = nlohmann::json::object();        // typed per the spec
    nlohmann::json body;                                    // null when none
    std::string raw_body;
    std::map<std::string, std::string> headers;
    std::string client_address;
    std::string idempotency_key;
};

/// Sends the response; call exactly once, from any thread.
using Respond = std::function<void(HttpResponse)>;
using RouteHandler = std::function<void(const RequestContext&, Respond)>;

/// RFC 7807 problem+json. `slug` becomes the type "/problems/<slug>" (docs/api-errors.md).
[[nodiscard]] HttpResponse problem(
    int status,
    std::string_view slug,
    std::string_view title,
    std::string_view detail = {},
    const std::vector<FieldError>& errors = {}
);
/// A JSON response.
[[nodiscard]] HttpResponse json_response(int status, const nlohmann::json& body);

/// Percent-decodes a query string into name -> value; nullopt on bad encoding or a repeated name.
[[nodiscard]] std::optional<std::map<std::string, std::string>> parse_query(std::string_view query);

}  // namespace chelete::gateway
