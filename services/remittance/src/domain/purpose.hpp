#pragma once

// Purpose and source of funds of a remittance (DOMAIN.md 1.5 and 1.7; docs/remittance.md
// "Purpose and source of funds"). The SARB balance-of-payments category follows from the
// sender's identity document. Pure: no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <chelete/platform/result.hpp>

namespace chelete::remittance {

/// SARB FinSurv BOP categories for outward remittances (not IMF BopCodes: FSPIOP's
/// `balanceOfPayments` needs a separate mapping).
enum class BopCategory : std::uint8_t {
    k401,  // gift; sender holds a South African ID
    k416,  // migrant worker remittance; asylum-seeker or refugee documents
    k417,  // foreign national contract worker remittance; foreign passport (Basotho default)
};
/// "bop_401", "bop_416", "bop_417" (API.md `purpose`).
[[nodiscard]] std::string_view to_string(BopCategory category);
[[nodiscard]] std::optional<BopCategory> bop_category_from(std::string_view name);

enum class SourceOfFunds : std::uint8_t { kSalary, kSavings, kBusiness, kGift, kOther };
/// "salary", "savings", "business", "gift", "other".
[[nodiscard]] std::string_view to_string(SourceOfFunds source);
[[nodiscard]] std::optional<SourceOfFunds> source_of_funds_from(std::string_view name);

/// The identity document the sender registered with.
enum class SenderDocument : std::uint8_t {
    kSouthAfricanId,   // "sa_id"
    kAsylumOrRefugee,  // "asylum_or_refugee": asylum-seeker permit or refugee ID
    kForeignPassport,  // "foreign_passport": a Lesotho passport, for almost every sender
};
[[nodiscard]] std::string_view to_string(SenderDocument document);
[[nodiscard]] std::optional<SenderDocument> sender_document_from(std::string_view name);

/// The category the sender's document calls for: 401, 416 or 417 (the default for Basotho).
[[nodiscard]] BopCategory bop_category_for(SenderDocument document);

struct Purpose {
    BopCategory category = BopCategory::k417;
    SourceOfFunds source_of_funds = SourceOfFunds::kSalary;

    friend bool operator==(const Purpose&, const Purpose&) = default;
};

/// A refused field: its API name ("purpose", "source_of_funds") and a message safe to show.
struct PurposeError {
    std::string field;
    std::string message;
};

/// Validates the request's `purpose` and `source_of_funds`. An empty purpose takes the
/// category the sender's document calls for; a named one must be that category (a SARB
/// report with a category that does not match the document is rejected by FinSurv).
[[nodiscard]] platform::Result<Purpose, PurposeError> validate_purpose(
    std::string_view purpose, std::string_view source_of_funds, SenderDocument document
);

}  // namespace chelete::remittance
