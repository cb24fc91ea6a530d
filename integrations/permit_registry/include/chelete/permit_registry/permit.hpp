#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <chelete/platform/clock.hpp>

namespace chelete::permit_registry {

/// What kind of document the registry holds (DOMAIN.md §6). A Lesotho Special Permit (2016–2019)
/// was superseded by the Lesotho Exemption Permit; a holder may since have moved to a work visa.
enum class PermitType { kLsp, kLep, kWorkVisa };

/// The registry's status of one permit or application. `in_adjudication` and `rejected` concern an
/// application that never became a permit (the number is then the application reference).
enum class PermitStatus { kValid, kExpired, kRevoked, kSuperseded, kInAdjudication, kRejected };

/// Wire names: LSP, LEP, work_visa.
[[nodiscard]] std::string_view to_string(PermitType type);
/// Wire names: valid, expired, revoked, superseded, in_adjudication, rejected.
[[nodiscard]] std::string_view to_string(PermitStatus status);
[[nodiscard]] std::optional<PermitType> parse_permit_type(std::string_view text);
[[nodiscard]] std::optional<PermitStatus> parse_permit_status(std::string_view text);

/// True for the statuses of a permit that was issued (and so has an issue date and expiries).
[[nodiscard]] bool is_issued(PermitStatus status);

/// One permit as the registry reports it. Legal validity is set by ministerial directive apart from
/// the date printed on the card, so both expiries are kept, with the directive that set the legal
/// one (DOMAIN.md §6 "Directive mechanism"). Dates are empty only for applications.
struct PermitRecord {
    std::string number;
    PermitType type = PermitType::kLep;
    std::string holder_surname;
    PermitStatus status = PermitStatus::kValid;
    std::optional<platform::Date> issued_on;
    std::optional<platform::Date> printed_expiry;
    std::optional<platform::Date> legal_expiry;
    std::optional<std::string> directive_ref;

    friend bool operator==(const PermitRecord&, const PermitRecord&) = default;
};

inline constexpr std::size_t kMaxPermitNumberLength = 32;
inline constexpr std::size_t kMaxSurnameBytes = 100;
inline constexpr std::size_t kMaxDirectiveRefBytes = 200;

/// 1–32 characters from [A-Za-z0-9-]: what a permit or application reference can look like. Only
/// such numbers are sent to the registry, so nothing a user typed reaches its URL unchecked.
[[nodiscard]] bool is_valid_permit_number(std::string_view number);

/// Non-empty, at most kMaxSurnameBytes bytes, not only spaces, no control characters.
[[nodiscard]] bool is_valid_surname(std::string_view surname);

/// Surnames compared as the registry compares them: ASCII letters case-insensitively, every other
/// byte exactly (so "Ntšekhe" matches "NTšEKHE" but not "NTŠEKHE").
[[nodiscard]] bool same_surname(std::string_view a, std::string_view b);

/// Why a record cannot be right, or nullopt when it is consistent: valid number and surname; an
/// issued permit has all three dates, an application none; nothing expires before it was issued;
/// a legal expiry that differs from the printed one names the directive that set it.
[[nodiscard]] std::optional<std::string> find_inconsistency(const PermitRecord& record);

}  // namespace chelete::permit_registry
