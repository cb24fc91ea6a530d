#include "domain/purpose.hpp"

#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace chelete::remittance {
namespace {

Purpose valid(std::string_view purpose, std::string_view source, SenderDocument document) {
    auto result = validate_purpose(purpose, source, document);
    EXPECT_TRUE(result.ok()) << purpose << "/" << source << ": "
                             << (result.ok() ? "" : result.error().message);
    return result.ok() ? result.value() : Purpose{};
}

PurposeError invalid(std::string_view purpose, std::string_view source, SenderDocument document) {
    auto result = validate_purpose(purpose, source, document);
    EXPECT_FALSE(result.ok()) << purpose << "/" << source << " should be refused";
    return result.ok() ? PurposeError{} : result.error();
}

TEST(PurposeTest, CategoryNamesMatchTheApi) {
    EXPECT_EQ(to_string(BopCategory::k401), "bop_401");
    EXPECT_EQ(to_string(BopCategory::k416), "bop_416");
    EXPECT_EQ(to_string(BopCategory::k417), "bop_417");
    for (const BopCategory c : {BopCategory::k401, BopCategory::k416, BopCategory::k417}) {
        EXPECT_EQ(bop_category_from(to_string(c)), c);
    }
    for (const std::string_view bad : {"417", "bop_418", "BOP_417", "bop_305", ""}) {
        EXPECT_FALSE(bop_category_from(bad).has_value()) << bad;
    }
}

TEST(PurposeTest, TheDocumentGivesTheCategory) {
    EXPECT_EQ(bop_category_for(SenderDocument::kForeignPassport), BopCategory::k417);
    EXPECT_EQ(bop_category_for(SenderDocument::kSouthAfricanId), BopCategory::k401);
    EXPECT_EQ(bop_category_for(SenderDocument::kAsylumOrRefugee), BopCategory::k416);
    for (const SenderDocument d :
         {SenderDocument::kSouthAfricanId,
          SenderDocument::kAsylumOrRefugee,
          SenderDocument::kForeignPassport}) {
        EXPECT_EQ(sender_document_from(to_string(d)), d);
    }
    EXPECT_FALSE(sender_document_from("passport").has_value());
}

TEST(PurposeTest, AnEmptyPurposeTakesTheDocumentsCategory) {
    EXPECT_EQ(
        valid("", "salary", SenderDocument::kForeignPassport),
        (Purpose{BopCategory::k417, SourceOfFunds::kSalary})
    );
    EXPECT_EQ(
        valid("", "gift", SenderDocument::kSouthAfricanId),
        (Purpose{BopCategory::k401, SourceOfFunds::kGift})
    );
}

TEST(PurposeTest, ANamedPurposeMustFitTheDocument) {
    EXPECT_EQ(
        valid("bop_417", "savings", SenderDocument::kForeignPassport).category, BopCategory::k417
    );
    EXPECT_EQ(
        valid("bop_416", "salary", SenderDocument::kAsylumOrRefugee).category, BopCategory::k416
    );
    EXPECT_EQ(
        valid("bop_401", "business", SenderDocument::kSouthAfricanId).category, BopCategory::k401
    );

    const PurposeError error = invalid("bop_401", "salary", SenderDocument::kForeignPassport);
    EXPECT_EQ(error.field, "purpose");
    EXPECT_EQ(error.message, "bop_401 does not fit a sender with a foreign passport; use bop_417");
    EXPECT_EQ(invalid("bop_417", "salary", SenderDocument::kAsylumOrRefugee).field, "purpose");
    EXPECT_EQ(
        invalid("bop_999", "salary", SenderDocument::kForeignPassport).message,
        "must be one of bop_401, bop_416, bop_417"
    );
}

TEST(PurposeTest, SourceOfFundsIsOneOfFive) {
    const std::vector<std::pair<std::string_view, SourceOfFunds>> good{
        {"salary", SourceOfFunds::kSalary},
        {"savings", SourceOfFunds::kSavings},
        {"business", SourceOfFunds::kBusiness},
        {"gift", SourceOfFunds::kGift},
        {"other", SourceOfFunds::kOther},
    };
    for (const auto& [name, source] : good) {
        EXPECT_EQ(valid("bop_417", name, SenderDocument::kForeignPassport).source_of_funds, source)
            << name;
        EXPECT_EQ(to_string(source), name);
    }
    for (const std::string_view bad : {"", "Salary", "lottery", "wages", "salary "}) {
        const PurposeError error = invalid("bop_417", bad, SenderDocument::kForeignPassport);
        EXPECT_EQ(error.field, "source_of_funds") << bad;
    }
}

TEST(PurposeTest, PurposeIsCheckedBeforeSourceOfFunds) {
    EXPECT_EQ(invalid("bop_401", "lottery", SenderDocument::kForeignPassport).field, "purpose");
}

}  // namespace
}  // namespace chelete::remittance
