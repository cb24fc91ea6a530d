#include "domain/session.hpp"

#include <gtest/gtest.h>

namespace chelete::ussd {
namespace {

TEST(UssdSessionTest, RoundTripsWhatTheServiceKeeps) {
    const Session empty{"+26650123456", Language::kSesotho, {}, {}};
    EXPECT_EQ(encode_session(empty), "v1|+26650123456|st|");
    EXPECT_EQ(decode_session(encode_session(empty)), empty);
    const Session full{
        "+26650123456",
        Language::kEnglish,
        {{1, PinCheck::kWrong}, {2, PinCheck::kCorrect}, {17, PinCheck::kLocked}},
        {}};
    EXPECT_EQ(encode_session(full), "v1|+26650123456|en|1:w,2:c,17:l");
    EXPECT_EQ(decode_session(encode_session(full)), full);
}

TEST(UssdSessionTest, OffersAreKeptByTheInputThatAnswersThem) {
    const Session offered{
        "+26650123456",
        Language::kEnglish,
        {{3, PinCheck::kCorrect}},
        {{1, Offer{Offer::Kind::kRemittances, {"A1B2C3D4E5", "F6A7B8C9D0"}}},
         {2, Offer{Offer::Kind::kMethods, {"mpesa", "cash_pickup"}}}}};
    EXPECT_EQ(
        encode_session(offered),
        "v2|+26650123456|en|3:c|1:r:A1B2C3D4E5.F6A7B8C9D0;2:m:mpesa.cash_pickup"
    );
    EXPECT_EQ(decode_session(encode_session(offered)), offered);
    const Session no_pins{
        "+26650123456", Language::kSesotho, {}, {{0, Offer{Offer::Kind::kRemittances, {"X"}}}}};
    EXPECT_EQ(encode_session(no_pins), "v2|+26650123456|st||0:r:X");
    EXPECT_EQ(decode_session(encode_session(no_pins)), no_pins);
}

TEST(UssdSessionTest, RefusesAnythingItDidNotWrite) {
    for (const char* bad :
         {"",
          "v1",
          "v2|+26650123456|st|",
          "v2|+26650123456|st||",
          "v1|+26650123456|st||1:r:A",
          "v2|+26650123456|st||1:r:",
          "v2|+26650123456|st||1:x:A",
          "v2|+26650123456|st||1:rA",
          "v2|+26650123456|st||1:r:A.",
          "v2|+26650123456|st||1:r:.A",
          "v2|+26650123456|st||1:r:A..B",
          "v2|+26650123456|st||1:r:A;",
          "v2|+26650123456|st||2:r:A;1:m:mpesa",
          "v2|+26650123456|st||1:r:A;1:m:mpesa",
          "v2|+26650123456|st||01:r:A",
          "v2|+26650123456|st||64:r:A",
          "v2|+26650123456|st||1:r:A|",
          "v2|+26650123456|st||1:r:A B",
          "v2|+26650123456|st||1:r:A:B",
          "v2|+26650123456|st||1:r:1.2.3.4.5.6.7.8.9.10",
          "v2|+26650123456|st||1:r:123456789012345678901234567890123",
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
    EXPECT_TRUE(decode_session("v2|+26650123456|st|0:c|1:r:1.2.3.4.5.6.7.8.9;63:m:a").has_value());
}

}  // namespace
}  // namespace chelete::ussd
