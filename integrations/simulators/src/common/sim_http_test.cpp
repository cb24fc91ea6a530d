#include "common/sim_http.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

namespace chelete::simulators {
namespace {

TEST(RespondSafely, AnExceptionBecomesAGeneric500WithoutItsMessage) {
    const SimHandler throwing = [](const SimRequest&) -> SimResponse {
        throw std::runtime_error("pqxx secret: relation \"permits\" does not exist");
    };
    const auto response = respond_safely(throwing, SimRequest{"GET", "/permits/X", {}, {}, {}});
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_EQ(nlohmann::json::parse(response.body)["error"], "internal_error");
    EXPECT_EQ(response.body.find("secret"), std::string::npos);
}

TEST(RespondSafely, EvenANonStandardExceptionIsA500) {
    const SimHandler throwing = [](const SimRequest&) -> SimResponse { throw 42; };
    EXPECT_EQ(respond_safely(throwing, SimRequest{}).status, 500);
}

TEST(RespondSafely, PassesANormalAnswerThrough) {
    const SimHandler ok = [](const SimRequest&) { return error_response(404, "permit_not_found"); };
    const auto response = respond_safely(ok, SimRequest{});
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(response.body, R"({"error":"permit_not_found"})");
}

TEST(PercentDecode, DecodesEscapesAndPlusOnlyWhereAsked) {
    EXPECT_EQ(percent_decode("O%27Neil", false), "O'Neil");
    EXPECT_EQ(percent_decode("Nt%C5%A1ekhe", false), "Ntšekhe");
    EXPECT_EQ(percent_decode("van+der+Merwe", true), "van der Merwe");
    EXPECT_EQ(percent_decode("a+b", false), "a+b");
    EXPECT_EQ(percent_decode("100%25", false), "100%");
}

TEST(PercentDecode, RefusesBrokenEscapes) {
    for (const char* bad : {"%", "%4", "abc%", "%zz", "%G1", "x%2"}) {
        EXPECT_EQ(percent_decode(bad, true), std::nullopt) << bad;
    }
}

TEST(ConstantTimeEqual, ComparesWholeStrings) {
    EXPECT_TRUE(constant_time_equal("test-key", "test-key"));
    EXPECT_FALSE(constant_time_equal("test-key", "test-kez"));
    EXPECT_FALSE(constant_time_equal("test-key", "test-key-longer"));
    EXPECT_FALSE(constant_time_equal("", "x"));
    EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace chelete::simulators
