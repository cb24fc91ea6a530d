#include "domain/purpose.hpp"

#include <array>
#include <utility>

#include <chelete/platform/enum_names.hpp>

namespace chelete::remittance {
namespace {

using platform::name_of;
using platform::value_of;

constexpr std::array<std::pair<BopCategory, std::string_view>, 3> kCategories{{
    {BopCategory::k401, "bop_401"},
    {BopCategory::k416, "bop_416"},
    {BopCategory::k417, "bop_417"},
}};

constexpr std::array<std::pair<SourceOfFunds, std::string_view>, 5> kSources{{
    {SourceOfFunds::kSalary, "salary"},
    {SourceOfFunds::kSavings, "savings"},
    {SourceOfFunds::kBusiness, "business"},
    {SourceOfFunds::kGift, "gift"},
    {SourceOfFunds::kOther, "other"},
}};

constexpr std::array<std::pair<SenderDocument, std::string_view>, 3> kDocuments{{
    {SenderDocument::kSouthAfricanId, "sa_id"},
    {SenderDocument::kAsylumOrRefugee, "asylum_or_refugee"},
    {SenderDocument::kForeignPassport, "foreign_passport"},
}};

std::string_view document_phrase(SenderDocument document) {
    switch (document) {
        case SenderDocument::kSouthAfricanId:
            return "a South African ID";
        case SenderDocument::kAsylumOrRefugee:
            return "asylum-seeker or refugee documents";
        case SenderDocument::kForeignPassport:
            return "a foreign passport";
    }
    return "an unknown document";
}

}  // namespace

std::string_view to_string(BopCategory category) {
    return name_of(kCategories, category);
}

std::optional<BopCategory> bop_category_from(std::string_view name) {
    return value_of(kCategories, name);
}

std::string_view to_string(SourceOfFunds source) {
    return name_of(kSources, source);
}

std::optional<SourceOfFunds> source_of_funds_from(std::string_view name) {
    return value_of(kSources, name);
}

std::string_view to_string(SenderDocument document) {
    return name_of(kDocuments, document);
}

std::optional<SenderDocument> sender_document_from(std::string_view name) {
    return value_of(kDocuments, name);
}

BopCategory bop_category_for(SenderDocument document) {
    switch (document) {
        case SenderDocument::kSouthAfricanId:
            return BopCategory::k401;
        case SenderDocument::kAsylumOrRefugee:
            return BopCategory::k416;
        case SenderDocument::kForeignPassport:
            return BopCategory::k417;
    }
    return BopCategory::k417;
}

platform::Result<Purpose, PurposeError> validate_purpose(
    std::string_view purpose, std::string_view source_of_funds, SenderDocument document
) {
    const BopCategory expected = bop_category_for(document);
    Purpose out;
    out.category = expected;
    if (!purpose.empty()) {
        const auto category = bop_category_from(purpose);
        if (!category) {
            return platform::err(PurposeError{"purpose", "must be one of bop_401, bop_416, bop_417"}
            );
        }
        if (*category != expected) {
            return platform::err(PurposeError{
                "purpose",
                std::string(purpose) + " does not fit a sender with " +
                    std::string(document_phrase(document)) + "; use " +
                    std::string(to_string(expected))});
        }
        out.category = *category;
    }
    const auto source = source_of_funds_from(source_of_funds);
    if (!source) {
        return platform::err(PurposeError{
            "source_of_funds", "must be one of salary, savings, business, gift, other"});
    }
    out.source_of_funds = *source;
    return out;
}

}  // namespace chelete::remittance
