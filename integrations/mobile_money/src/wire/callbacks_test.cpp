#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chelete/mobile_money/partner.hpp>

namespace chelete::mobile_money {
namespace {

using Json = nlohmann::ordered_json;

Json mpesa_paid() {
    return Json{
        {"input_OriginalConversationID", "c0ffee0123456789"},
        {"input_ThirdPartyConversationID", "RMT42A1"},
        {"input_TransactionID", "TX123456"},
        {"input_ResultCode", "INS-0"},
        {"input_ResultDesc", "Request processed successfully"},
        {"input_Amount", "10.00"},
        {"input_CustomerMSISDN", "26658123456"},
        {"input_TransactionCompletedDateTime", "2026-11-23T10:00:00Z"}};
}

Json ecocash_completed() {
    return Json{
        {"clientCorrelator", "RMT42-A1"},
        {"transactionId", "EC998877"},
        {"transactionOperationStatus", "COMPLETED"},
        {"amount", "250.50"},
        {"endUserId", "26662123456"},
        {"completedAt", "2026-11-23T10:00:00Z"}};
}

TEST(MpesaCallback, APaidResult) {
    const auto parsed = parse_mpesa_callback(mpesa_paid().dump());
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->reference, "RMT42A1");
    EXPECT_EQ(parsed->status, PaymentStatus::kPaid);
    EXPECT_EQ(parsed->failure, FailureKind::kNone);
    EXPECT_EQ(parsed->partner_code, "INS-0");
    EXPECT_EQ(parsed->transaction_id, "TX123456");
    EXPECT_EQ(parsed->amount_minor, 1000);
    EXPECT_EQ(parsed->completed_at, "2026-11-23T10:00:00Z");
}

TEST(MpesaCallback, FailedResultsCarryTheirKind) {
    for (const auto& [code, kind] : std::vector<std::pair<std::string, FailureKind>>{
             {"INS-2051", FailureKind::kRecipient},
             {"INS-6", FailureKind::kRecipient},
             {"INS-2006", FailureKind::kInsufficientFloat},
             {"INS-15", FailureKind::kOurRequest},
             {"INS-777", FailureKind::kUnrecognised}}) {
        auto body = mpesa_paid();
        body["input_ResultCode"] = code;
        body["input_TransactionID"] = "";
        body["input_TransactionCompletedDateTime"] = "";
        const auto parsed = parse_mpesa_callback(body.dump());
        ASSERT_TRUE(parsed.ok()) << code << ": " << parsed.error();
        EXPECT_EQ(parsed->status, PaymentStatus::kFailed) << code;
        EXPECT_EQ(parsed->failure, kind) << code;
        EXPECT_EQ(parsed->partner_code, code);
    }
}

TEST(MpesaCallback, AStaleIns9IsPendingNeverFinal) {
    auto body = mpesa_paid();
    body["input_ResultCode"] = "INS-9";
    const auto parsed = parse_mpesa_callback(body.dump());
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->status, PaymentStatus::kPending);
    EXPECT_EQ(parsed->failure, FailureKind::kNone);
}

TEST(MpesaCallback, RefusesEveryBadShape) {
    const auto refused = [](const std::string& body, const std::string& why) {
        const auto parsed = parse_mpesa_callback(body);
        EXPECT_FALSE(parsed.ok()) << why << ": " << body;
        if (!parsed.ok()) {
            EXPECT_FALSE(parsed.error().empty());
        }
    };
    refused("", "empty");
    refused("not json", "not JSON");
    refused("[]", "an array");
    refused("\"INS-0\"", "a string");
    refused(mpesa_paid().dump() + "x", "trailing garbage");
    const auto good = mpesa_paid();
    for (const auto& item : good.items()) {
        auto missing = mpesa_paid();
        missing.erase(item.key());
        refused(missing.dump(), "without " + item.key());
        auto number = mpesa_paid();
        number[item.key()] = 10;
        refused(number.dump(), item.key() + " as a number");
        auto null = mpesa_paid();
        null[item.key()] = nullptr;
        refused(null.dump(), item.key() + " as null");
    }
    auto extra = mpesa_paid();
    extra["input_Extra"] = "x";
    refused(extra.dump(), "an unknown member");
    std::string duplicate = mpesa_paid().dump();
    duplicate.insert(1, R"("input_ResultCode":"INS-2051",)");
    refused(duplicate, "a duplicate key");
    for (const char* amount : {"10", "10.0", "-10.00", "1e3", "0.00", "", "10.001"}) {
        auto body = mpesa_paid();
        body["input_Amount"] = amount;
        refused(body.dump(), std::string{"amount "} + amount);
    }
    auto float_amount = mpesa_paid();
    float_amount["input_Amount"] = 10.0;
    refused(float_amount.dump(), "amount as a JSON number");
    const std::string too_long(41, 'A');
    for (const std::string& reference : std::vector<std::string>{"", "RMT-42", "R E F", too_long}) {
        auto body = mpesa_paid();
        body["input_ThirdPartyConversationID"] = reference;
        refused(body.dump(), "reference " + reference);
    }
    auto no_code = mpesa_paid();
    no_code["input_ResultCode"] = "";
    refused(no_code.dump(), "an empty result code");
    auto no_time = mpesa_paid();
    no_time["input_TransactionCompletedDateTime"] = "";
    refused(no_time.dump(), "paid without a completion time");
    auto bad_time = mpesa_paid();
    bad_time["input_TransactionCompletedDateTime"] = "23/11/2026 10:00";
    refused(bad_time.dump(), "a completion time that is not RFC 3339");
    auto no_tx = mpesa_paid();
    no_tx["input_TransactionID"] = "";
    refused(no_tx.dump(), "paid without a transaction id");
}

TEST(EcocashCallback, ACompletedResult) {
    const auto parsed = parse_ecocash_callback(ecocash_completed().dump());
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->reference, "RMT42-A1");
    EXPECT_EQ(parsed->status, PaymentStatus::kPaid);
    EXPECT_EQ(parsed->partner_code, "COMPLETED");
    EXPECT_EQ(parsed->transaction_id, "EC998877");
    EXPECT_EQ(parsed->amount_minor, 25050);
    EXPECT_EQ(parsed->completed_at, "2026-11-23T10:00:00Z");
}

TEST(EcocashCallback, AFailedResultWithItsReason) {
    auto body = ecocash_completed();
    body["transactionOperationStatus"] = "FAILED";
    body["reason"] = "invalid_msisdn";
    const auto parsed = parse_ecocash_callback(body.dump());
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->status, PaymentStatus::kFailed);
    EXPECT_EQ(parsed->failure, FailureKind::kRecipient);
    EXPECT_EQ(parsed->partner_code, "invalid_msisdn");
    body["reason"] = "insufficient_funds";
    EXPECT_EQ(parse_ecocash_callback(body.dump())->failure, FailureKind::kInsufficientFloat);
    body.erase("reason");
    body.erase("completedAt");
    const auto no_reason = parse_ecocash_callback(body.dump());
    ASSERT_TRUE(no_reason.ok()) << no_reason.error();
    EXPECT_EQ(no_reason->failure, FailureKind::kUnrecognised);
}

TEST(EcocashCallback, AStalePendingIsNeverFinal) {
    auto body = ecocash_completed();
    body["transactionOperationStatus"] = "PENDING";
    body.erase("completedAt");
    const auto parsed = parse_ecocash_callback(body.dump());
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->status, PaymentStatus::kPending);
}

TEST(EcocashCallback, RefusesEveryBadShape) {
    const auto refused = [](const std::string& body, const std::string& why) {
        const auto parsed = parse_ecocash_callback(body);
        EXPECT_FALSE(parsed.ok()) << why << ": " << body;
    };
    refused("", "empty");
    refused("{", "truncated");
    refused("[1]", "an array");
    const auto good = ecocash_completed();
    for (const auto& item : good.items()) {
        auto number = ecocash_completed();
        number[item.key()] = 1;
        refused(number.dump(), item.key() + " as a number");
        if (item.key() != "completedAt") {
            auto missing = ecocash_completed();
            missing.erase(item.key());
            refused(missing.dump(), "without " + item.key());
        }
    }
    auto completed_without_time = ecocash_completed();
    completed_without_time.erase("completedAt");
    refused(completed_without_time.dump(), "completed without completedAt");
    auto reason_number = ecocash_completed();
    reason_number["reason"] = 5;
    refused(reason_number.dump(), "reason as a number");
    auto extra = ecocash_completed();
    extra["balance"] = "10.00";
    refused(extra.dump(), "an unknown member");
    auto status = ecocash_completed();
    status["transactionOperationStatus"] = "completed";
    refused(status.dump(), "a lower-case status");
    auto reference = ecocash_completed();
    reference["clientCorrelator"] = "RMT 42";
    refused(reference.dump(), "a reference with a space");
    auto amount = ecocash_completed();
    amount["amount"] = "250.5";
    refused(amount.dump(), "one decimal");
    std::string duplicate = ecocash_completed().dump();
    duplicate.insert(1, R"("transactionOperationStatus":"FAILED",)");
    refused(duplicate, "a duplicate key");
}

}  // namespace
}  // namespace chelete::mobile_money
