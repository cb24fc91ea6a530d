#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <chelete/permit_registry/permit.hpp>

namespace chelete::permit_registry {

/// The registry knows the permit and the surname matches.
struct Found {
    PermitRecord record;
};

/// The registry answered, authoritatively, that it has no permit with this number for this
/// surname. Only a well-formed "not found" answer from the registry itself becomes NotFound.
struct NotFound {};

enum class UnavailableReason {
    kTimeout,  // no answer within the configured timeout (the registry may be slow or hung)
    kConnectionFailed,   // connection refused or host unreachable, after the retries
    kServerError,        // 5xx (503 after the retries)
    kUnauthorized,       // 401/403: our API key is missing or wrong, a misconfiguration to alert on
    kMalformedResponse,  // a body that is not the documented JSON, or a record that cannot be right
    kUnexpectedResponse,  // an answer the contract does not allow (other status, another permit)
    kTransportError,      // anything else below HTTP (reset, empty reply, TLS)
};

/// We do not know: the caller keeps its current view of the permit and asks again later. Never
/// read as "not found". `detail` is an internal message for logs, not for end users.
struct Unavailable {
    UnavailableReason reason = UnavailableReason::kTransportError;
    std::string detail;
};

using LookupResult = std::variant<Found, NotFound, Unavailable>;

[[nodiscard]] std::string_view to_string(UnavailableReason reason);

/// The port: how the registry service asks about a permit. PermitRegistryClient implements it over
/// HTTP; tests implement it with fakes.
class PermitRegistry {
public:
    virtual ~PermitRegistry() = default;
    /// Requires is_valid_permit_number(number) and is_valid_surname(surname) (callers validate
    /// user input first); throws std::invalid_argument otherwise. Never throws for anything the
    /// registry does: that is an Unavailable.
    [[nodiscard]] virtual LookupResult lookup(
        std::string_view number, std::string_view surname
    ) = 0;

protected:
    PermitRegistry() = default;
    PermitRegistry(const PermitRegistry&) = default;
    PermitRegistry(PermitRegistry&&) = default;
    PermitRegistry& operator=(const PermitRegistry&) = default;
    PermitRegistry& operator=(PermitRegistry&&) = default;
};

}  // namespace chelete::permit_registry
