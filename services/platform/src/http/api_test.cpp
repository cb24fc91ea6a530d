// The replies every service builds for the gateway: one problem vocabulary (docs/api.md "Errors").
#include <gtest/gtest.h>

#include <chelete/platform/api.hpp>

namespace chelete::platform::api {
namespace {

// A service's rule refusal and the gateway's schema refusal are the same kind of problem for a
// client, so they share one slug, the one docs/api.md lists (it used to be `validation` here).
TEST(ApiReplies, UnprocessableIsAValidationFailedProblemNamingEveryField) {
    const Reply r =
        unprocessable({{"pin", "must be 5 digits"}, {"phone", "is not an E.164 number"}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_EQ(r.body.value("type", ""), "/problems/validation-failed");
    EXPECT_EQ(r.body.value("status", 0), 422);
    EXPECT_EQ(r.body.value("detail", ""), "pin: must be 5 digits");
    ASSERT_EQ(r.body["errors"].size(), 2U);
    EXPECT_EQ(r.body["errors"][1].value("field", ""), "phone");
    EXPECT_EQ(r.body["errors"][1].value("message", ""), "is not an E.164 number");
}

TEST(ApiReplies, AProblemSurvivesTheTripOverTheBus) {
    Reply r = problem(409, "conflict", "Conflict", "the quote is used");
    r.headers["Retry-After"] = "30";
    const auto back = Reply::parse(r.to_payload());
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->status, 409);
    EXPECT_EQ(back->content_type, "application/problem+json");
    EXPECT_EQ(back->body, r.body);
    EXPECT_EQ(back->headers.at("Retry-After"), "30");
}

TEST(ApiReplies, AMalformedReplyPayloadIsRefused) {
    EXPECT_FALSE(Reply::parse("").has_value());
    EXPECT_FALSE(Reply::parse("[]").has_value());
    EXPECT_FALSE(Reply::parse(R"({"status":"200"})").has_value());
    EXPECT_FALSE(Reply::parse(R"({"body":{}})").has_value());
}

}  // namespace
}  // namespace chelete::platform::api
