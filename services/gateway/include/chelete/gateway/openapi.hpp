#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace chelete::gateway {

/// The spec cannot be used: the gateway refuses to start with this message.
class SpecError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One validation problem, as it appears in a problem+json `errors` entry. `field` names the
/// offending value: "phone", "consents[1].purpose", "directors[0]", "" for the whole body;
/// for parameters the parameter name ("limit", "id").
struct FieldError {
    std::string field;
    std::string message;

    friend bool operator==(const FieldError&, const FieldError&) = default;
};

/// A JSON Schema (the subset of 2020-12 the spec uses), compiled once at load. Unsupported
/// keywords make compile() throw, so the spec cannot silently promise a check we do not make.
class CompiledSchema;

struct Parameter {
    std::string name;
    std::string in;  // path | query | header
    bool required = false;
    std::shared_ptr<const CompiledSchema> schema;
};

struct Operation {
    std::string operation_id;
    std::string method;              // upper case: GET, POST, ...
    std::string path_template;       // /v1/workers/{id}/permits
    std::vector<std::string> roles;  // x-roles; empty with is_public
    bool is_public = false;          // security: [] (no token needed)
    bool idempotent = false;         // x-idempotency-key: required
    /// Names of the security schemes the operation accepts (bearerAuth, metricsToken, ...).
    std::vector<std::string> security_schemes;
    std::vector<Parameter> parameters;
    std::shared_ptr<const CompiledSchema> request_body;  // null: no JSON body accepted
    bool request_body_required = false;
    std::string request_content_type;  // application/json or application/x-www-form-urlencoded
    std::map<std::string, std::shared_ptr<const CompiledSchema>>
        responses;  // "200" -> JSON schema (if any)

    /// Secured by the `partnerSignature` scheme: a partner's signed callback. The gateway needs
    /// the signature headers present and forwards the raw body; the owning service checks the
    /// HMAC (docs/partners.md "Callbacks").
    [[nodiscard]] bool partner_signed() const {
        for (const auto& scheme : security_schemes) {
            if (scheme == "partnerSignature") {
                return true;
            }
        }
        return false;
    }
    /// Secured by the `ussdAggregator` scheme: HTTP Basic with the USSD aggregator's configured
    /// credential, checked by the gateway (docs/ussd.md "The aggregator's credential").
    [[nodiscard]] bool ussd_aggregator() const {
        for (const auto& scheme : security_schemes) {
            if (scheme == "ussdAggregator") {
                return true;
            }
        }
        return false;
    }
};

namespace detail {
struct SpecIndex;  // routing table and operationId index, built by load()
}  // namespace detail

/// A request matched to an operation, with the path parameters it carried.
struct RouteMatch {
    const Operation* operation = nullptr;
    std::map<std::string, std::string> path_params;
};

/// The loaded OpenAPI 3.1 document: routes, per-operation validators, and the raw text to serve.
class OpenApiSpec {
public:
    /// Parses YAML, resolves local $refs, compiles every schema. Throws SpecError with a precise
    /// location ("paths./v1/x.post.requestBody...: unsupported keyword 'if'").
    static OpenApiSpec load(std::string_view yaml_text);

    /// Finds the operation for a method and a request path (no query string). Literal segments
    /// win over template segments (/v1/agencies/verify/{no} before /v1/agencies/{id}/...).
    /// `path_allowed_methods` receives the methods the path supports when the method does not
    /// match (for 405 and its Allow header); empty when no path matches (404).
    [[nodiscard]] std::optional<RouteMatch> match(
        std::string_view method,
        std::string_view path,
        std::vector<std::string>* path_allowed_methods = nullptr
    ) const;

    [[nodiscard]] const std::vector<Operation>& operations() const { return *operations_; }
    [[nodiscard]] const Operation* by_operation_id(std::string_view id) const;
    [[nodiscard]] const std::string& yaml() const { return *yaml_; }
    [[nodiscard]] const nlohmann::json& document() const { return *document_; }

private:
    std::shared_ptr<const std::string> yaml_;
    std::shared_ptr<const nlohmann::json> document_;
    std::shared_ptr<std::vector<Operation>> operations_;
    std::shared_ptr<const detail::SpecIndex> index_;
};

/// Limits applied before and during parsing, so hostile input cannot exhaust the stack or CPU.
struct ParseLimits {
    std::size_t max_depth = 32;   // nesting of arrays/objects
    std::size_t max_errors = 20;  // errors reported per request
};

/// Parses a JSON body. Refuses (nullopt, with `error` set) invalid JSON, nesting beyond
/// `max_depth` (checked by a scan before nlohmann's recursive parser runs), invalid UTF-8 and
/// duplicate object keys.
[[nodiscard]] std::optional<nlohmann::json> parse_json_body(
    std::string_view body, const ParseLimits& limits, std::string& error
);

/// Validates a value against a compiled schema; returns at most limits.max_errors errors.
[[nodiscard]] std::vector<FieldError> validate(
    const CompiledSchema& schema, const nlohmann::json& value, const ParseLimits& limits = {}
);

/// Validates and converts a raw string parameter (path, query or header) by its schema's type:
/// "integer" via strict from_chars, "boolean" as true/false, "string" as-is. Errors name the
/// parameter. On success `out` holds the typed JSON value.
[[nodiscard]] std::vector<FieldError> validate_parameter(
    const Parameter& parameter, std::string_view raw, nlohmann::json& out
);

/// Parses application/x-www-form-urlencoded into a JSON object of strings (for USSD callbacks);
/// nullopt on bad percent-encoding or a repeated key.
[[nodiscard]] std::optional<nlohmann::json> parse_form_body(std::string_view body);

}  // namespace chelete::gateway
