#include "wire/partner_wire.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace chelete::mobile_money::wire {
namespace {

using Json = nlohmann::ordered_json;
using domain::ReplyClass;

Json statement_entry(const std::string& reference, const std::string& amount) {
    return Json{
        {"reference", reference},
        {"transaction_id", "TX" + reference},
        {"msisdn", "26658123456"},
        {"amount", amount},
        {"currency", "LSL"},
        {"completed_at", "2026-11-23T10:00:00Z"}};
}

Json statement(const Json& entries) {
    return Json{{"date", "2026-11-23"}, {"entries", entries}};
}

TEST(Statement, ParsesEntriesWithExactAmounts) {
    const auto lines = parse_statement(
        statement(Json::array({statement_entry("R1", "10.00"), statement_entry("R2", "0.01")}))
            .dump(),
        "2026-11-23"
    );
    ASSERT_TRUE(lines.ok()) << lines.error();
    ASSERT_EQ(lines.value().size(), 2U);
    EXPECT_EQ(lines.value()[0].reference, "R1");
    EXPECT_EQ(lines.value()[0].amount_minor, 1000);
    EXPECT_EQ(lines.value()[0].transaction_id, "TXR1");
    EXPECT_EQ(lines.value()[1].amount_minor, 1);
    EXPECT_TRUE(parse_statement(statement(Json::array()).dump(), "2026-11-23").ok());
}

TEST(Statement, RefusesBadShapes) {
    const auto refused = [](const std::string& body, const std::string& why) {
        EXPECT_FALSE(parse_statement(body, "2026-11-23").ok()) << why;
    };
    refused("", "empty");
    refused("{\"date\":\"2026-11-23\"}", "no entries");
    refused(statement(Json::object()).dump(), "entries not an array");
    refused(Json{{"date", "2026-11-24"}, {"entries", Json::array()}}.dump(), "another date");
    refused(statement(Json::array({1})).dump(), "an entry that is not an object");
    refused(
        statement(Json::array({statement_entry("R1", "1.00"), statement_entry("R1", "2.00")}))
            .dump(),
        "a reference twice"
    );
    for (const char* amount : {"10", "-1.00", "0.00", "1e2"}) {
        refused(statement(Json::array({statement_entry("R1", amount)})).dump(), amount);
    }
    auto currency = statement_entry("R1", "1.00");
    currency["currency"] = "ZAR";
    refused(statement(Json::array({currency})).dump(), "ZAR");
    auto day = statement_entry("R1", "1.00");
    day["completed_at"] = "2026-11-24T00:00:01Z";
    refused(statement(Json::array({day})).dump(), "completed on another day");
    auto extra = statement_entry("R1", "1.00");
    extra["fee"] = "0.10";
    refused(statement(Json::array({extra})).dump(), "an unknown member");
    auto missing = statement_entry("R1", "1.00");
    missing.erase("msisdn");
    refused(statement(Json::array({missing})).dump(), "no msisdn");
    auto number = statement_entry("R1", "1.00");
    number["amount"] = 1.0;
    refused(statement(Json::array({number})).dump(), "amount as a number");
    refused(R"({"date":"2026-11-23","date":"2026-11-23","entries":[]})", "a duplicate key");
}

TEST(MpesaPayment, AcceptedOnlyForOurReference) {
    const Json accepted{
        {"output_ResponseCode", "INS-0"},
        {"output_ResponseDesc", "Request processed successfully"},
        {"output_ThirdPartyConversationID", "REF1"},
        {"output_ConversationID", "CONV"},
        {"output_TransactionID", "TX"}};
    const auto ok = interpret_mpesa_payment(201, accepted.dump(), "REF1");
    EXPECT_EQ(ok.reply, ReplyClass::kSuccess);
    EXPECT_EQ(ok.result.verdict, SubmitVerdict::kAccepted);
    EXPECT_EQ(ok.result.conversation_id, "CONV");
    EXPECT_EQ(ok.result.transaction_id, "TX");
    const auto other = interpret_mpesa_payment(201, accepted.dump(), "REF2");
    EXPECT_EQ(other.result.verdict, SubmitVerdict::kUnknown);
}

TEST(MpesaPayment, FailuresUnknownsAndRefusals) {
    const auto reply = [](long status, const std::string& code) {
        return interpret_mpesa_payment(
            status,
            Json{
                {"output_ResponseCode", code},
                {"output_ResponseDesc", "x"},
                {"output_ThirdPartyConversationID", "REF1"}}
                .dump(),
            "REF1"
        );
    };
    EXPECT_EQ(reply(422, "INS-2006").result.failure, FailureKind::kInsufficientFloat);
    EXPECT_EQ(reply(400, "INS-2051").result.verdict, SubmitVerdict::kFailed);
    EXPECT_EQ(reply(409, "INS-10").result.verdict, SubmitVerdict::kUnknown);
    EXPECT_EQ(reply(500, "INS-1").result.verdict, SubmitVerdict::kUnknown);
    EXPECT_EQ(reply(200, "INS-23").result.verdict, SubmitVerdict::kUnknown);
    EXPECT_EQ(reply(401, "INS-989").reply, ReplyClass::kAuthExpired);
    const auto refused = interpret_mpesa_payment(503, R"({"error":"service_unavailable"})", "REF1");
    EXPECT_EQ(refused.reply, ReplyClass::kRefused);
    const auto html = interpret_mpesa_payment(502, "<html>bad gateway</html>", "REF1");
    EXPECT_EQ(html.result.verdict, SubmitVerdict::kUnknown);
    EXPECT_EQ(html.result.partner_code, "http_502");
    const auto dup = interpret_mpesa_payment(
        400, R"({"output_ResponseCode":"INS-2051","output_ResponseCode":"INS-0"})", "REF1"
    );
    EXPECT_EQ(dup.result.verdict, SubmitVerdict::kUnknown) << "a repeated key is unreadable";
}

TEST(MpesaQuery, StatusesAndInconsistentAnswers) {
    const auto reply = [](const std::string& status, const std::string& code) {
        return interpret_mpesa_query(
            200,
            Json{
                {"output_ResponseCode", "INS-0"},
                {"output_ResponseTransactionStatus", status},
                {"output_TransactionID", "TX"},
                {"output_ResultCode", code},
                {"output_ConversationID", "C"}}
                .dump()
        );
    };
    EXPECT_EQ(reply("Completed", "INS-0").result.status, PaymentStatus::kPaid);
    EXPECT_EQ(reply("Completed", "INS-0").result.transaction_id, "TX");
    EXPECT_EQ(reply("Failed", "INS-2051").result.failure, FailureKind::kRecipient);
    EXPECT_EQ(reply("Pending", "").result.status, PaymentStatus::kPending);
    EXPECT_EQ(reply("NotFound", "").result.status, PaymentStatus::kNotFound);
    EXPECT_EQ(reply("Completed", "INS-6").result.status, PaymentStatus::kUnknown);
    EXPECT_EQ(reply("Lost", "").result.status, PaymentStatus::kUnknown);
    EXPECT_EQ(interpret_mpesa_query(500, "{}").result.status, PaymentStatus::kUnknown);
    EXPECT_EQ(
        interpret_mpesa_query(400, R"({"output_ResponseCode":"INS-20"})").result.status,
        PaymentStatus::kUnknown
    );
    EXPECT_EQ(
        interpret_mpesa_query(401, R"({"output_ResponseCode":"INS-989"})").reply,
        ReplyClass::kAuthExpired
    );
}

TEST(MpesaSession, SessionAndRefusals) {
    const auto ok = interpret_mpesa_session(
        200,
        R"({"output_ResponseCode":"INS-0","output_ResponseDesc":"ok","output_SessionID":"0123456789abcdef0123456789abcdef"})"
    );
    EXPECT_EQ(ok.reply, ReplyClass::kSuccess);
    EXPECT_EQ(ok.session_id, "0123456789abcdef0123456789abcdef");
    EXPECT_EQ(
        interpret_mpesa_session(401, R"({"output_ResponseCode":"INS-2"})").reply,
        ReplyClass::kAuthRefused
    );
    EXPECT_EQ(
        interpret_mpesa_session(200, R"({"output_ResponseCode":"INS-0"})").reply,
        ReplyClass::kUnknown
    );
    EXPECT_EQ(
        interpret_mpesa_session(503, R"({"error":"service_unavailable"})").reply,
        ReplyClass::kRefused
    );
}

TEST(EcocashWire, TokenDisbursementAndQuery) {
    const auto token = interpret_ecocash_token(
        200, R"({"access_token":"abc123","token_type":"Bearer","expires_in":3600})"
    );
    EXPECT_EQ(token.reply, ReplyClass::kSuccess);
    EXPECT_EQ(token.access_token, "abc123");
    EXPECT_EQ(token.expires_in_s, 3600);
    EXPECT_EQ(
        interpret_ecocash_token(
            200, R"({"access_token":"abc","token_type":"Bearer","expires_in":"3600"})"
        )
            .reply,
        ReplyClass::kUnknown
    );
    EXPECT_EQ(
        interpret_ecocash_token(401, R"({"error":"invalid_client"})").reply,
        ReplyClass::kAuthRefused
    );
    // Found by ecocash_response_fuzz: a 2xx whose body is not JSON once threw.
    EXPECT_EQ(
        interpret_ecocash_token(202, "{\"access_token\":\"\xff\"}").reply, ReplyClass::kUnknown
    );
    EXPECT_EQ(interpret_ecocash_token(200, "").reply, ReplyClass::kUnknown);
    EXPECT_EQ(interpret_mpesa_session(200, "not json").reply, ReplyClass::kUnknown);

    const auto accepted = interpret_ecocash_disbursement(
        202,
        R"({"clientCorrelator":"R-1","transactionId":"T1","transactionOperationStatus":"PENDING"})",
        "R-1"
    );
    EXPECT_EQ(accepted.result.verdict, SubmitVerdict::kAccepted);
    EXPECT_EQ(accepted.result.transaction_id, "T1");
    EXPECT_EQ(
        interpret_ecocash_disbursement(
            202,
            R"({"clientCorrelator":"R-2","transactionId":"T1","transactionOperationStatus":"PENDING"})",
            "R-1"
        )
            .result.verdict,
        SubmitVerdict::kUnknown
    );
    EXPECT_EQ(
        interpret_ecocash_disbursement(
            409,
            R"({"error":"duplicate_correlator","transactionOperationStatus":"COMPLETED"})",
            "R-1"
        )
            .result.verdict,
        SubmitVerdict::kUnknown
    );
    EXPECT_EQ(
        interpret_ecocash_disbursement(422, R"({"error":"insufficient_funds"})", "R-1")
            .result.failure,
        FailureKind::kInsufficientFloat
    );
    EXPECT_EQ(
        interpret_ecocash_disbursement(503, R"({"error":"service_unavailable"})", "R-1").reply,
        ReplyClass::kRefused
    );

    const auto completed = interpret_ecocash_query(
        200,
        R"({"clientCorrelator":"R-1","transactionId":"T1","transactionOperationStatus":"COMPLETED","amount":"1.00","endUserId":"26662123456","completedAt":"2026-11-23T10:00:00Z"})",
        "R-1"
    );
    EXPECT_EQ(completed.result.status, PaymentStatus::kPaid);
    EXPECT_EQ(
        interpret_ecocash_query(404, R"({"error":"not_found"})", "R-1").result.status,
        PaymentStatus::kNotFound
    );
    EXPECT_EQ(interpret_ecocash_query(404, "<html>", "R-1").result.status, PaymentStatus::kUnknown)
        << "only the partner's own not_found says not found";
    EXPECT_EQ(
        interpret_ecocash_query(
            200, R"({"clientCorrelator":"R-9","transactionOperationStatus":"COMPLETED"})", "R-1"
        )
            .result.status,
        PaymentStatus::kUnknown
    );
}

TEST(RequestBodies, CarryTheContractFieldsWithStringAmounts) {
    const PayoutOrder order{"REF1", "CHL-1", "26658123456", 1005, "desc"};
    const auto mpesa = Json::parse(mpesa_payment_body(order, "000000"));
    EXPECT_EQ(mpesa["input_Amount"], "10.05");
    EXPECT_EQ(mpesa["input_Country"], "LES");
    EXPECT_EQ(mpesa["input_Currency"], "LSL");
    EXPECT_EQ(mpesa["input_ThirdPartyConversationID"], "REF1");
    EXPECT_EQ(mpesa["input_ServiceProviderCode"], "000000");
    EXPECT_EQ(mpesa.size(), 8U);
    const auto ecocash = Json::parse(ecocash_disbursement_body(order, "http://x/cb"));
    EXPECT_EQ(ecocash["amount"], "10.05");
    EXPECT_EQ(ecocash["clientCorrelator"], "REF1");
    EXPECT_EQ(ecocash["countryCode"], "LS");
    EXPECT_EQ(ecocash["notifyUrl"], "http://x/cb");
    EXPECT_EQ(ecocash.size(), 8U);
}

TEST(CheckOrder, RefusesOrdersNoPartnerCouldTake) {
    const PayoutOrder good{"REF1", "CHL-1", "26658123456", 1005, "desc"};
    EXPECT_FALSE(check_order(good).has_value());
    auto bad = good;
    bad.msisdn = "2665812345";
    ASSERT_TRUE(check_order(bad).has_value());
    EXPECT_EQ(check_order(bad)->failure, FailureKind::kRecipient);
    EXPECT_EQ(check_order(bad)->verdict, SubmitVerdict::kFailed);
    bad = good;
    bad.reference = "REF-1";
    EXPECT_EQ(check_order(bad)->failure, FailureKind::kOurRequest);
    bad = good;
    bad.amount_minor = 0;
    EXPECT_TRUE(check_order(bad).has_value());
    bad = good;
    bad.transaction_reference = std::string(21, 'x');
    EXPECT_TRUE(check_order(bad).has_value());
    bad = good;
    bad.description = "a\nb";
    EXPECT_TRUE(check_order(bad).has_value());
}

}  // namespace
}  // namespace chelete::mobile_money::wire
