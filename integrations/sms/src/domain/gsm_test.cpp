#include "domain/gsm.hpp"

#include <string>

#include <gtest/gtest.h>

namespace chelete::sms {
namespace {

SmsLength of(const std::string& text) {
    const auto length = measure(text);
    EXPECT_TRUE(length.has_value()) << text;
    return length.value_or(SmsLength{});
}

TEST(GsmTest, PlainAsciiIsGsm7OneSeptetEach) {
    EXPECT_EQ(of(""), (SmsLength{Encoding::kGsm7, 0, 1}));
    EXPECT_EQ(of("Chelete: M500.00"), (SmsLength{Encoding::kGsm7, 16, 1}));
    EXPECT_EQ(of("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà").encoding, Encoding::kGsm7);
}

TEST(GsmTest, SegmentBoundariesOfGsm7) {
    EXPECT_EQ(of(std::string(160, 'a')).segments, 1U);
    EXPECT_EQ(of(std::string(161, 'a')).segments, 2U);
    EXPECT_EQ(of(std::string(306, 'a')).segments, 2U);
    EXPECT_EQ(of(std::string(307, 'a')).segments, 3U);
}

TEST(GsmTest, ExtensionCharactersTakeTwoSeptetsAndAreNotSplit) {
    EXPECT_EQ(of("€").units, 2U);
    EXPECT_EQ(of("[x]").units, 5U);
    EXPECT_EQ(of(std::string(159, 'a') + "{").segments, 2U);  // 161 septets
    EXPECT_EQ(of(std::string(158, 'a') + "{").segments, 1U);  // exactly 160
    // 152 septets and an escape: the escape pair moves whole to the second segment.
    const auto l = of(std::string(152, 'a') + "~" + std::string(10, 'a'));
    EXPECT_EQ(l.units, 164U);
    EXPECT_EQ(l.segments, 2U);
    EXPECT_EQ(of(std::string(152, 'a') + "~" + std::string(152, 'a')).segments, 3U);
}

TEST(GsmTest, OneCharacterOutsideGsm7MakesItUcs2) {
    // š (Lesotho orthography) and the backtick are not in GSM-7.
    EXPECT_EQ(of("Tšepiso").encoding, Encoding::kUcs2);
    EXPECT_EQ(of("a`b").encoding, Encoding::kUcs2);
    EXPECT_EQ(of(std::string(69, 'a') + "š").segments, 1U);
    EXPECT_EQ(of(std::string(70, 'a') + "š").segments, 2U);
    EXPECT_EQ(of(std::string(133, 'a') + "š").segments, 2U);
    EXPECT_EQ(of(std::string(134, 'a') + "š").segments, 3U);
}

TEST(GsmTest, SurrogatePairsCountTwoUnitsAndAreNotSplit) {
    const std::string emoji = "\xF0\x9F\x98\x80";  // U+1F600
    EXPECT_EQ(of(emoji).units, 2U);
    EXPECT_EQ(of(std::string(68, 'a') + emoji).segments, 1U);  // 70 units
    EXPECT_EQ(of(std::string(69, 'a') + emoji).segments, 2U);  // 71 units
    EXPECT_EQ(of(std::string(66, 'a') + emoji + std::string(10, 'a')).segments, 2U);
}

TEST(GsmTest, InvalidUtf8IsRefused) {
    EXPECT_FALSE(measure("\xC3").has_value());
    EXPECT_FALSE(measure("\xC0\xAF").has_value());      // overlong '/'
    EXPECT_FALSE(measure("\xED\xA0\x80").has_value());  // a UTF-16 surrogate
    EXPECT_FALSE(measure("\xF4\x90\x80\x80").has_value());
}

TEST(GsmTest, FoldingKeepsGsm7AndTurnsTheRestIntoLookAlikes) {
    EXPECT_EQ(fold_to_gsm7_basic("Tšepiso Mokoena"), "Tsepiso Mokoena");
    EXPECT_EQ(fold_to_gsm7_basic("Ts’epo Mokhele"), "Ts'epo Mokhele");
    EXPECT_EQ(fold_to_gsm7_basic("  Lerato\n\tMolefi  "), "Lerato Molefi");
    EXPECT_EQ(fold_to_gsm7_basic("[Nthabiseng]~€"), "(Nthabiseng)-E");
    EXPECT_EQ(fold_to_gsm7_basic("Zoë Müller"), "Zoe Müller");  // ü is GSM-7, ë is not
    EXPECT_EQ(fold_to_gsm7_basic("李"), "?");
    EXPECT_EQ(fold_to_gsm7_basic("a\xC3"), "a?");
    for (const std::string input : {"Tšepiso", "€[]{}", "\xF0\x9F\x98\x80", "a\x01b"}) {
        const auto folded = fold_to_gsm7_basic(input);
        const auto length = measure(folded);
        ASSERT_TRUE(length.has_value());
        EXPECT_EQ(length->encoding, Encoding::kGsm7);
        EXPECT_EQ(length->units, code_points(folded)) << "one septet per character: " << folded;
    }
}

TEST(GsmTest, FirstCodePointsCutsOnCharacterBoundaries) {
    EXPECT_EQ(first_code_points("Müller", 2), "Mü");
    EXPECT_EQ(first_code_points("abc", 5), "abc");
    EXPECT_EQ(code_points("Müller"), 6U);
}

}  // namespace
}  // namespace chelete::sms
