#include "domain/common.hpp"

#include <chrono>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

namespace chelete::compliance {
namespace {

TEST(ComplianceCommonTest, FormatsRandForOfficers) {
    EXPECT_EQ(format_rand(0), "R0.00");
    EXPECT_EQ(format_rand(5), "R0.05");
    EXPECT_EQ(format_rand(99'999), "R999.99");
    EXPECT_EQ(format_rand(500'000), "R5,000.00");
    EXPECT_EQ(format_rand(1'999'999), "R19,999.99");
    EXPECT_EQ(format_rand(123'456'789'00), "R123,456,789.00");
    EXPECT_EQ(format_rand(-1'250), "-R12.50");
    EXPECT_EQ(format_rand(std::numeric_limits<std::int64_t>::min()), "-R92,233,720,368,547,758.08");
}

TEST(ComplianceCommonTest, ConfiguredAmountsAreStrictDigits) {
    EXPECT_EQ(parse_config_minor("500000"), 500'000);
    EXPECT_EQ(parse_config_minor("1000000000000"), kMaxConfiguredMinor);
    for (const char* bad :
         {"",
          "0",
          "-1",
          "+5",
          "05",
          "5 000",
          "5,000",
          "50.00",
          "1000000000001",
          "99999999999999999999",
          "R500"}) {
        EXPECT_FALSE(parse_config_minor(bad).has_value()) << bad;
    }
    EXPECT_EQ(parse_config_count("5"), 5);
    EXPECT_FALSE(parse_config_count("0").has_value());
    EXPECT_FALSE(parse_config_count("1000001").has_value());
}

TEST(ComplianceCommonTest, WindowsAreHoursOrDays) {
    using std::chrono::hours;
    EXPECT_EQ(parse_config_window("24h"), hours{24});
    EXPECT_EQ(parse_config_window("7d"), hours{168});
    EXPECT_EQ(parse_config_window("366d"), hours{366 * 24});
    for (const char* bad : {"", "h", "0h", "7", "7w", "367d", "8785h", "-1d", "1.5d", "07d"}) {
        EXPECT_FALSE(parse_config_window(bad).has_value()) << bad;
    }
    EXPECT_EQ(describe_window(hours{1}), "1 hour");
    EXPECT_EQ(describe_window(hours{24}), "24 hours");
    EXPECT_EQ(describe_window(hours{48}), "2 days");
    EXPECT_EQ(describe_window(hours{24 * 30}), "30 days");
}

TEST(ComplianceCommonTest, Utf8IsCheckedAndRoundTrips) {
    EXPECT_TRUE(valid_utf8("Tšepiso 'Mathabo Zoë"));
    EXPECT_FALSE(valid_utf8("\xC3"));              // truncated
    EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // a surrogate
    EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
    const std::u32string decoded = decode_utf8("Tš\xFFx");
    EXPECT_EQ(decoded, (std::u32string{U'T', 0x0161, 0xFFFD, U'x'}));
    EXPECT_EQ(encode_utf8(decode_utf8("Mašego 😀")), "Mašego 😀");
}

TEST(ComplianceCommonTest, ReasonCodesHaveStableNames) {
    EXPECT_EQ(to_string(ReasonCode::kDailyLimit), "daily_limit");
    EXPECT_EQ(to_string(ReasonCode::kMonthlyLimit), "monthly_limit");
    EXPECT_EQ(to_string(ReasonCode::kSanctionsMatch), "sanctions_match");
    EXPECT_EQ(to_string(ReasonCode::kPepMatch), "pep_match");
    EXPECT_EQ(to_string(ReasonCode::kInternalListMatch), "internal_list_match");
    EXPECT_EQ(to_string(ReasonCode::kVelocity), "velocity");
    EXPECT_EQ(to_string(ReasonCode::kStructuring), "structuring");
}

}  // namespace
}  // namespace chelete::compliance
