#include "adapters/sms_wire.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace chelete::sms::wire {
namespace {

using nlohmann::json;

TEST(SmsWireTest, TheBodyCarriesDigitsTextAndOurReference) {
    const json body = json::parse(message_body(OutgoingSms{
        "+26658123456", "Chelete", "Chelete: U romeletsoe M500.00", "ref-1"}));
    EXPECT_EQ(body["to"], "26658123456");
    EXPECT_EQ(body["from"], "Chelete");
    EXPECT_EQ(body["text"], "Chelete: U romeletsoe M500.00");
    EXPECT_EQ(body["reference"], "ref-1");
}

TEST(SmsWireTest, AcceptedNewOrKnownReference) {
    for (const long status : {202L, 200L}) {
        const auto r =
            interpret_reply(status, R"({"message_id":"m-17","status":"queued","segments":1})");
        EXPECT_EQ(r.outcome, SendOutcome::kAccepted);
        EXPECT_EQ(r.message_id, "m-17");
        EXPECT_EQ(r.segments, 1);
    }
}

TEST(SmsWireTest, RetryableAndRejectedAnswers) {
    for (const long status : {500L, 502L, 503L, 504L, 408L, 429L}) {
        EXPECT_EQ(interpret_reply(status, "").outcome, SendOutcome::kRetryable) << status;
    }
    // A 2xx we cannot read: the resend with the same reference answers with the first message.
    EXPECT_EQ(interpret_reply(202, "not json").outcome, SendOutcome::kRetryable);
    EXPECT_EQ(
        interpret_reply(202, R"({"message_id":"","segments":1})").outcome, SendOutcome::kRetryable
    );
    EXPECT_EQ(
        interpret_reply(202, R"({"message_id":"m","segments":0})").outcome, SendOutcome::kRetryable
    );
    for (const long status : {400L, 401L, 403L, 404L, 422L, 301L}) {
        const auto r =
            interpret_reply(status, R"({"error":"invalid_request","detail":"bad number"})");
        EXPECT_EQ(r.outcome, SendOutcome::kRejected) << status;
        EXPECT_FALSE(r.detail.empty());
        EXPECT_EQ(r.http_status, status);
    }
    EXPECT_NE(
        interpret_reply(400, R"({"error":"invalid_request"})").detail.find("invalid_request"),
        std::string::npos
    );
}

TEST(SmsWireTest, References) {
    EXPECT_TRUE(is_valid_reference("0190d3a4-0000-7000-8000-000000000001"));
    EXPECT_TRUE(is_valid_reference("a.b_c:d-e"));
    EXPECT_FALSE(is_valid_reference(""));
    EXPECT_FALSE(is_valid_reference(std::string(65, 'a')));
    EXPECT_FALSE(is_valid_reference("a b"));
}

}  // namespace
}  // namespace chelete::sms::wire
