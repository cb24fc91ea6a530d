#include <limits>

#include <gtest/gtest.h>

#include <chelete/platform/money.hpp>

namespace chelete::platform {
namespace {

TEST(MoneyTest, ParsesTwoDecimalAmounts) {
    EXPECT_EQ(parse_minor_units("500.00").value(), 50000);
    EXPECT_EQ(parse_minor_units("0.01").value(), 1);
    EXPECT_EQ(parse_minor_units("0.00").value(), 0);
    EXPECT_EQ(
        parse_minor_units("92233720368547758.07").value(), std::numeric_limits<std::int64_t>::max()
    );
}

TEST(MoneyTest, RefusesEveryOtherShape) {
    for (const char* bad :
         {"",
          "500",
          "500.0",
          "500.000",
          ".50",
          "05.00",
          "00.00",
          "1e3.00",
          "5,00.00",
          " 5.00",
          "5.00 ",
          "+5.00",
          "-5.00",
          "5..00",
          "5.0a",
          "92233720368547758.08",
          "NaN",
          "inf"}) {
        EXPECT_FALSE(parse_minor_units(bad).ok()) << bad;
    }
}

TEST(MoneyTest, NegativeOnlyWhenAllowed) {
    EXPECT_EQ(parse_minor_units("-5.25", true).value(), -525);
    EXPECT_FALSE(parse_minor_units("-0.00", true).ok());
    EXPECT_FALSE(parse_minor_units("-5.25", false).ok());
}

TEST(MoneyTest, FormatsMinorUnits) {
    EXPECT_EQ(format_minor_units(50000), "500.00");
    EXPECT_EQ(format_minor_units(5), "0.05");
    EXPECT_EQ(format_minor_units(-5), "-0.05");
    EXPECT_EQ(format_minor_units(0), "0.00");
    EXPECT_EQ(
        format_minor_units(std::numeric_limits<std::int64_t>::min()), "-92233720368547758.08"
    );
}

TEST(MoneyTest, FormatThenParseRoundTrips) {
    for (std::int64_t v : std::initializer_list<std::int64_t>{
             0, 1, 99, 100, 123456789, std::numeric_limits<std::int64_t>::max()}) {
        EXPECT_EQ(parse_minor_units(format_minor_units(v)).value(), v);
    }
}

TEST(MoneyTest, CheckedArithmeticReportsOverflow) {
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    EXPECT_EQ(checked_add(1, 2), 3);
    EXPECT_FALSE(checked_add(kMax, 1).has_value());
    EXPECT_FALSE(checked_sub(std::numeric_limits<std::int64_t>::min(), 1).has_value());
    EXPECT_FALSE(checked_mul(kMax, 2).has_value());
}

TEST(MoneyTest, MulDivRoundsHalfAwayFromZero) {
    // 1.5% of R550.00 = R8.25
    EXPECT_EQ(mul_div_round(55000, 150, 10000), 825);
    // 1.5% of 33 cents is 0.495 cents: below half, so 0
    EXPECT_EQ(mul_div_round(33, 150, 10000), 0);
    EXPECT_EQ(mul_div_round(34, 150, 10000), 1);  // 0.51
    EXPECT_EQ(mul_div_round(-34, 150, 10000), -1);
    EXPECT_EQ(mul_div_round(5, 1, 2), 3);    // 2.5 -> 3
    EXPECT_EQ(mul_div_round(-5, 1, 2), -3);  // -2.5 -> -3
    EXPECT_FALSE(mul_div_round(1, 1, 0).has_value());
    // No overflow in the intermediate product.
    EXPECT_EQ(
        mul_div_round(std::numeric_limits<std::int64_t>::max(), 10000, 10000),
        std::numeric_limits<std::int64_t>::max()
    );
    EXPECT_FALSE(mul_div_round(std::numeric_limits<std::int64_t>::max(), 2, 1).has_value());
}

TEST(MoneyTest, CurrencyCodes) {
    EXPECT_EQ(parse_currency("ZAR"), Currency::kZar);
    EXPECT_EQ(parse_currency("LSL"), Currency::kLsl);
    EXPECT_FALSE(parse_currency("zar").has_value());
    EXPECT_FALSE(parse_currency("USD").has_value());
    EXPECT_EQ(to_string(Currency::kLsl), "LSL");
}

}  // namespace
}  // namespace chelete::platform
