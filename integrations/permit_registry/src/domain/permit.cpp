#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include <chelete/permit_registry/lookup.hpp>
#include <chelete/permit_registry/permit.hpp>

namespace chelete::permit_registry {
namespace {

constexpr std::array<std::pair<PermitType, std::string_view>, 3> kTypeNames{{
    {PermitType::kLsp, "LSP"},
    {PermitType::kLep, "LEP"},
    {PermitType::kWorkVisa, "work_visa"},
}};

constexpr std::array<std::pair<PermitStatus, std::string_view>, 6> kStatusNames{{
    {PermitStatus::kValid, "valid"},
    {PermitStatus::kExpired, "expired"},
    {PermitStatus::kRevoked, "revoked"},
    {PermitStatus::kSuperseded, "superseded"},
    {PermitStatus::kInAdjudication, "in_adjudication"},
    {PermitStatus::kRejected, "rejected"},
}};

bool is_control(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
}

/// Dates compare as day numbers (clang-tidy 14 misreads the defaulted operator<=> of Date).
std::int64_t days(const platform::Date& date) {
    return date.days_since_epoch();
}

char ascii_upper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

}  // namespace

std::string_view to_string(PermitType type) {
    for (const auto& [value, name] : kTypeNames) {
        if (value == type) {
            return name;
        }
    }
    return "unknown";
}

std::string_view to_string(PermitStatus status) {
    for (const auto& [value, name] : kStatusNames) {
        if (value == status) {
            return name;
        }
    }
    return "unknown";
}

std::optional<PermitType> parse_permit_type(std::string_view text) {
    for (const auto& [value, name] : kTypeNames) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

std::optional<PermitStatus> parse_permit_status(std::string_view text) {
    for (const auto& [value, name] : kStatusNames) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

bool is_issued(PermitStatus status) {
    return status != PermitStatus::kInAdjudication && status != PermitStatus::kRejected;
}

bool is_valid_permit_number(std::string_view number) {
    if (number.empty() || number.size() > kMaxPermitNumberLength) {
        return false;
    }
    return std::ranges::all_of(number, [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-';
    });
}

bool is_valid_surname(std::string_view surname) {
    if (surname.empty() || surname.size() > kMaxSurnameBytes) {
        return false;
    }
    bool has_visible = false;
    for (const char c : surname) {
        if (is_control(c)) {
            return false;
        }
        if (c != ' ') {
            has_visible = true;
        }
    }
    return has_visible;
}

bool same_surname(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_upper(a[i]) != ascii_upper(b[i])) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> find_inconsistency(const PermitRecord& record) {
    if (!is_valid_permit_number(record.number)) {
        return "number is not 1-32 characters of [A-Za-z0-9-]";
    }
    if (!is_valid_surname(record.holder_surname)) {
        return "holder_surname is empty, too long or has control characters";
    }
    if (record.directive_ref) {
        const auto& ref = *record.directive_ref;
        if (ref.empty() || ref.size() > kMaxDirectiveRefBytes) {
            return "directive_ref is empty or longer than 200 bytes";
        }
        for (const char c : ref) {
            if (is_control(c)) {
                return "directive_ref has control characters";
            }
        }
    }
    const bool has_any_date = record.issued_on || record.printed_expiry || record.legal_expiry;
    if (!is_issued(record.status)) {
        // An application has no card yet (or never will): dates on it would be invented.
        if (has_any_date) {
            return std::string{"an application ("} + std::string{to_string(record.status)} +
                   ") carries permit dates";
        }
        return std::nullopt;
    }
    if (!record.issued_on || !record.printed_expiry || !record.legal_expiry) {
        return std::string{"an issued permit ("} + std::string{to_string(record.status)} +
               ") lacks issued_on, printed_expiry or legal_expiry";
    }
    if (days(*record.printed_expiry) < days(*record.issued_on)) {
        return "printed_expiry is before issued_on";
    }
    if (days(*record.legal_expiry) < days(*record.issued_on)) {
        return "legal_expiry is before issued_on";
    }
    // Only a directive moves legal validity away from the card (DOMAIN.md §6): a different date
    // without one means the registry and we disagree on what the fields mean.
    if (*record.legal_expiry != *record.printed_expiry && !record.directive_ref) {
        return "legal_expiry differs from printed_expiry without a directive_ref";
    }
    return std::nullopt;
}

std::string_view to_string(UnavailableReason reason) {
    switch (reason) {
        case UnavailableReason::kTimeout:
            return "timeout";
        case UnavailableReason::kConnectionFailed:
            return "connection_failed";
        case UnavailableReason::kServerError:
            return "server_error";
        case UnavailableReason::kUnauthorized:
            return "unauthorized";
        case UnavailableReason::kMalformedResponse:
            return "malformed_response";
        case UnavailableReason::kUnexpectedResponse:
            return "unexpected_response";
        case UnavailableReason::kTransportError:
            return "transport_error";
    }
    return "unknown";
}

}  // namespace chelete::permit_registry
