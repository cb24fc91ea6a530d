#pragma once

#include <string>
#include <string_view>

#include <chelete/permit_registry/lookup.hpp>
#include <chelete/permit_registry/permit.hpp>
#include <chelete/platform/result.hpp>

// The registry's wire format (integrations/simulators/README.md), kept apart from the HTTP
// transport so it is tested and fuzzed without sockets.
namespace chelete::permit_registry::wire {

/// The body of a 404 that really comes from the registry.
inline constexpr std::string_view kNotFoundError = "permit_not_found";

/// Parses a 200 body strictly: a JSON object with exactly the eight documented members (no
/// duplicates, no extras), each of its documented type, enum values known, dates real YYYY-MM-DD,
/// and the record consistent (find_inconsistency). The error says what was wrong, for logs.
[[nodiscard]] platform::Result<PermitRecord, std::string> parse_permit_record(std::string_view body
);

/// The record as the registry sends it (the inverse of parse_permit_record).
[[nodiscard]] std::string to_json(const PermitRecord& record);

/// What one HTTP answer to GET /permits/{number}?surname=... means. A 200 must carry the permit
/// that was asked for and the surname that was given; a 404 must carry the registry's own
/// not-found body, or it is a proxy or a wrong base URL talking, not the registry.
[[nodiscard]] LookupResult interpret_reply(
    long http_status,
    std::string_view body,
    std::string_view requested_number,
    std::string_view requested_surname
);

}  // namespace chelete::permit_registry::wire
