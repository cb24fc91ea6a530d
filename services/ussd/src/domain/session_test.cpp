#include "domain/session.hpp"

#include <gtest/gtest.h>

namespace chelete::ussd {
namespace {

TEST(UssdSessionTest, RoundTripsWhatTheServiceKeeps) {
    const Session empty{"+26650123456", Language::kSesotho, {}};
    EXPECT_EQ(encode_session(empty), "v1|+26650123456|st|");
    EXPECT_EQ(decode_session(encode_session(empty)), empty);
    const Session full{
        "+26650123456",
        Language::kEnglish,
        {{1, PinCheck::kWrong}, {2, PinCheck::kCorrect}, {17, PinCheck::kLocked}}};
    EXPECT_EQ(encode_session(full), "v1|+26650123456|en|1:w,2:c,17:l");
    EXPECT_EQ(decode_session(encode_session(full)), full);
}

TEST(UssdSessionTest, RefusesAnythingItDidNotWrite) {
    for (const char* bad :
         {"",
          "v1",
          "v2|+26650123456|st|",
          "v1|26650123456|st|",
          "v1|+2665012345a|st|",
          "v1|+26650123456|fr|",
          "v1|+26650123456|st",
          "v1|+26650123456|st|1:x",
          "v1|+26650123456|st|1:",
          "v1|+26650123456|st|:c",
          "v1|+26650123456|st|1:c,",
          "v1|+26650123456|st|1:cc",
          "v1|+26650123456|st|01:c",
          "v1|+26650123456|st|-1:c",
          "v1|+26650123456|st|2:c,1:w",
          "v1|+26650123456|st|1:c,1:w",
          "v1|+26650123456|st|64:c",
          "v1|+26650123456|st|99999999999999999999999:c",
          "v1|+1234567890123456789|st|"}) {
        EXPECT_FALSE(decode_session(bad).has_value()) << bad;
    }
    EXPECT_TRUE(decode_session("v1|+26650123456|st|0:c,63:l").has_value());
}

}  // namespace
}  // namespace chelete::ussd
