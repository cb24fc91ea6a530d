#include "sms/segments.hpp"

#include <string>

#include <gtest/gtest.h>

namespace chelete::simulators::sms {
namespace {

std::string repeat(const std::string& unit, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += unit;
    }
    return out;
}

TEST(CountSegments, Gsm7Holds160InOneAnd153PerPart) {
    EXPECT_EQ(count_segments(repeat("a", 160))->segments, 1U);
    EXPECT_EQ(count_segments(repeat("a", 160))->encoding, SmsEncoding::kGsm7);
    EXPECT_EQ(count_segments(repeat("a", 161))->segments, 2U);
    EXPECT_EQ(count_segments(repeat("a", 306))->segments, 2U);
    EXPECT_EQ(count_segments(repeat("a", 307))->segments, 3U);
    // Accented letters of the GSM alphabet stay GSM-7.
    EXPECT_EQ(count_segments("Dumela Mmè, R500 è fihlile @ 10:00 é")->encoding, SmsEncoding::kGsm7);
}

TEST(CountSegments, ExtensionCharactersCostTwoSeptets) {
    const auto euro = count_segments(repeat("€", 80));
    EXPECT_EQ(euro->encoding, SmsEncoding::kGsm7);
    EXPECT_EQ(euro->units, 160U);
    EXPECT_EQ(euro->segments, 1U);
    EXPECT_EQ(count_segments(repeat("€", 80) + "a")->segments, 2U);
    EXPECT_EQ(count_segments("{}[]~|^\\")->units, 16U);
}

TEST(CountSegments, ASesothoLetterOutsideGsm7MakesItUcs2With70InOne) {
    // 'š' (U+0161) is in no GSM-7 table: the whole text goes UCS-2.
    const std::string sesotho = "Ntšekhe";
    const auto short_one = count_segments(sesotho);
    EXPECT_EQ(short_one->encoding, SmsEncoding::kUcs2);
    EXPECT_EQ(short_one->units, 7U);
    EXPECT_EQ(short_one->segments, 1U);
    EXPECT_EQ(count_segments("š" + repeat("a", 69))->segments, 1U);
    EXPECT_EQ(count_segments("š" + repeat("a", 70))->segments, 2U);
    EXPECT_EQ(count_segments("š" + repeat("a", 133))->segments, 2U);
    EXPECT_EQ(count_segments("š" + repeat("a", 134))->segments, 3U);
    // The same 100 letters without 'š' fit one GSM-7 SMS.
    EXPECT_EQ(count_segments(repeat("a", 100))->segments, 1U);
    EXPECT_EQ(count_segments("š" + repeat("a", 99))->segments, 2U);
}

TEST(CountSegments, CharactersOutsideTheBmpTakeTwoUnits) {
    const auto emoji = count_segments("\xF0\x9F\x98\x80");  // U+1F600
    EXPECT_EQ(emoji->encoding, SmsEncoding::kUcs2);
    EXPECT_EQ(emoji->units, 2U);
    EXPECT_EQ(count_segments(repeat("\xF0\x9F\x98\x80", 35))->segments, 1U);
    EXPECT_EQ(count_segments(repeat("\xF0\x9F\x98\x80", 36))->segments, 2U);
}

TEST(CountSegments, RefusesInvalidUtf8AndCountsEmptyAsZero) {
    for (const char* bad :
         {"\xC5", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "a\x80"}) {
        EXPECT_EQ(count_segments(bad), std::nullopt);
    }
    EXPECT_EQ(count_segments("")->segments, 0U);
}

}  // namespace
}  // namespace chelete::simulators::sms
