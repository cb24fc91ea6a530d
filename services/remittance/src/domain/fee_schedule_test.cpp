#include "domain/fee_schedule.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace chelete::remittance {
namespace {

const SendLimits kLimits{};  // R50.00 .. R25 000.00

FeeSchedule parse_ok(std::string_view text, const SendLimits& limits = kLimits) {
    auto schedule = parse_fee_schedule(text, limits);
    EXPECT_TRUE(schedule.ok()) << text << ": " << (schedule.ok() ? "" : schedule.error().message);
    return std::move(schedule).value();
}

FeeScheduleError parse_error(std::string_view text, const SendLimits& limits = kLimits) {
    auto schedule = parse_fee_schedule(text, limits);
    EXPECT_FALSE(schedule.ok()) << text << " should be refused";
    return schedule.ok() ? FeeScheduleError{} : schedule.error();
}

std::int64_t fee(const FeeSchedule& schedule, std::int64_t send) {
    const auto parts = schedule.fee_for(send);
    EXPECT_TRUE(parts.has_value()) << send;
    return parts ? parts->total() : -1;
}

TEST(FeeScheduleTest, ParsesTheDefault) {
    const FeeSchedule schedule = parse_ok(kDefaultFeeSchedule);
    ASSERT_EQ(schedule.bands().size(), 4U);
    EXPECT_EQ(schedule.bands()[0], (FeeBand{5000, 49999, 300, 100}));
    EXPECT_EQ(schedule.bands()[1], (FeeBand{50000, 100000, 200, 100}));
    EXPECT_EQ(schedule.bands()[2], (FeeBand{100001, 500000, 300, 90}));
    EXPECT_EQ(schedule.bands()[3], (FeeBand{500001, 2500000, 800, 80}));
    EXPECT_EQ(schedule.limits(), kLimits);
    EXPECT_EQ(schedule.to_string(), kDefaultFeeSchedule);
}

TEST(FeeScheduleTest, WhitespaceIsAllowedBetweenTokensAndTheTextRoundTrips) {
    const FeeSchedule spaced = parse_ok(
        " 5000 - 49999 : 300 + 100 bp ,\n\t50000-100000:200+100bp,\r\n"
        "100001-500000:300+90bp, 500001-2500000:800+80bp \n"
    );
    EXPECT_EQ(spaced, parse_ok(kDefaultFeeSchedule));
    EXPECT_EQ(parse_ok(spaced.to_string()), spaced);
}

TEST(FeeScheduleTest, PercentageIsRoundedHalfUpToTheCent) {
    // round_half_up(send × bp / 10 000)
    EXPECT_EQ(percentage_fee(10050, 150), 151) << "150.75 rounds up";
    EXPECT_EQ(percentage_fee(12345, 150), 185) << "185.175 rounds down";
    EXPECT_EQ(percentage_fee(100, 50), 1) << "0.5 rounds up: half up";
    EXPECT_EQ(percentage_fee(300, 50), 2) << "1.5 rounds up";
    EXPECT_EQ(percentage_fee(500, 50), 3) << "2.5 rounds up, not to even";
    EXPECT_EQ(percentage_fee(49, 100), 0) << "0.49 rounds down";
    EXPECT_EQ(percentage_fee(149, 100), 1);
    EXPECT_EQ(percentage_fee(150, 100), 2);
    EXPECT_EQ(percentage_fee(99, 1), 0) << "0.0099";
    EXPECT_EQ(percentage_fee(5000, 1), 1) << "exactly 0.5";
    EXPECT_EQ(percentage_fee(4999, 1), 0) << "0.4999";
    EXPECT_EQ(percentage_fee(0, 150), 0);
    EXPECT_EQ(percentage_fee(123456, 0), 0);
    EXPECT_EQ(percentage_fee(123456, 10000), 123456) << "100 %";
    EXPECT_EQ(percentage_fee(kMaxAmountMinor, 10000), kMaxAmountMinor) << "no overflow";
    EXPECT_EQ(percentage_fee(kMaxAmountMinor - 1, 9999), 999'899'999'999)
        << "(10^12 - 1) × 0.9999 = 999899999999.0001, computed exactly";
}

TEST(FeeScheduleTest, FeeIsFlatPlusRoundedPercentageInTheBandOfTheSendAmount) {
    const FeeSchedule schedule = parse_ok(kDefaultFeeSchedule);
    EXPECT_EQ(fee(schedule, 5000), 350) << "R3.00 + 1 % of R50.00";
    EXPECT_EQ(fee(schedule, 10000), 400);
    EXPECT_EQ(fee(schedule, 49999), 800) << "R3.00 + round(R4.9999)";
    EXPECT_EQ(fee(schedule, 50000), 700) << "next band: R2.00 + R5.00";
    EXPECT_EQ(fee(schedule, 50050), 701) << "R5.005 rounds half up to R5.01";
    EXPECT_EQ(fee(schedule, 55000), 750);
    EXPECT_EQ(fee(schedule, 90000), 1100);
    EXPECT_EQ(fee(schedule, 100000), 1200);
    EXPECT_EQ(fee(schedule, 100001), 1200) << "R3.00 + round(R9.00009)";
    EXPECT_EQ(fee(schedule, 500000), 4800);
    EXPECT_EQ(fee(schedule, 500001), 4800) << "R8.00 + round(R40.00008)";
    EXPECT_EQ(fee(schedule, 2500000), 20800);
    const auto parts = schedule.fee_for(12345);
    ASSERT_TRUE(parts.has_value());
    EXPECT_EQ(*parts, (FeeParts{300, 123})) << "123.45 rounds to 123";
}

TEST(FeeScheduleTest, NoFeeOutsideTheSendLimits) {
    const FeeSchedule schedule = parse_ok("0-3000000:100+100bp");
    EXPECT_FALSE(schedule.fee_for(4999).has_value());
    EXPECT_FALSE(schedule.fee_for(2500001).has_value());
    EXPECT_FALSE(schedule.fee_for(0).has_value());
    EXPECT_FALSE(schedule.fee_for(-5000).has_value());
    EXPECT_EQ(schedule.band_for(4999), nullptr);
    ASSERT_NE(schedule.band_for(5000), nullptr);
    EXPECT_EQ(schedule.band_for(5000)->from, 0);
}

TEST(FeeScheduleTest, BandLookupAtEveryEdge) {
    const FeeSchedule schedule = parse_ok(kDefaultFeeSchedule);
    for (const FeeBand& band : schedule.bands()) {
        ASSERT_NE(schedule.band_for(band.from), nullptr);
        EXPECT_EQ(*schedule.band_for(band.from), band) << band.from;
        ASSERT_NE(schedule.band_for(band.to), nullptr);
        EXPECT_EQ(*schedule.band_for(band.to), band) << band.to;
    }
}

TEST(FeeScheduleTest, SyntaxErrorsSayWhatIsWrongAndWhere) {
    struct Case {
        std::string_view text;
        std::size_t band;
        std::string_view expected;
    };
    const std::vector<Case> cases{
        {"", 0, "empty"},
        {" \n\t", 0, "empty"},
        {"5000-2500000:300+100", 1, R"(expected "bp" after the basis points)"},
        {"5000-2500000:300+100%", 1, R"(expected "bp")"},
        {"5000-2500000:300100bp", 1, R"(expected "+" after the flat fee)"},
        {"5000:300+100bp", 1, R"(expected "-" after the lower bound)"},
        {"5000-2500000+300+100bp", 1, R"(expected ":" after the upper bound)"},
        {"abc", 1, "the lower bound (from): expected digits"},
        {"-5000-2500000:300+100bp", 1, "expected digits"},
        {"05000-2500000:300+100bp", 1, "leading zeros"},
        {"5000-2500000:3.00+100bp", 1, R"(expected "+")"},
        {"5000-2500000:300+10001bp", 1, "the basis points: the number is above 10000"},
        {"5000-1000000000001:300+100bp", 1, "the number is above 1000000000000"},
        {"5000-99999999999999999999999999999999:0+0bp", 1, "the number is above"},
        {"5000-2500000:300+100bp,", 2, "the lower bound (from): expected digits"},
        {"5000-2500000:300+100bp;5000-6000:0+0bp", 1, R"(expected "," or the end)"},
        {"5000-49999:300+100bp,50000-2500000:200+bp", 2, "the basis points: expected digits"},
    };
    for (const Case& c : cases) {
        const FeeScheduleError error = parse_error(c.text);
        EXPECT_EQ(error.band, c.band) << c.text;
        EXPECT_NE(error.message.find(c.expected), std::string::npos)
            << c.text << " -> " << error.message;
    }
}

TEST(FeeScheduleTest, SyntaxErrorsGiveTheColumn) {
    const FeeScheduleError error = parse_error("5000-49999:300+100bp,50000-2500000:200+100xp");
    EXPECT_EQ(error.band, 2U);
    EXPECT_NE(error.message.find("column 43"), std::string::npos) << error.message;
}

TEST(FeeScheduleTest, BandsMustBeContiguousIncreasingAndNotOverlap) {
    FeeScheduleError error = parse_error("5000-49999:300+100bp,50001-2500000:200+100bp");
    EXPECT_EQ(error.band, 2U);
    EXPECT_NE(error.message.find("50000 to 50000 have no fee (a gap)"), std::string::npos)
        << error.message;

    error = parse_error("5000-50000:300+100bp,50000-2500000:200+100bp");
    EXPECT_EQ(error.band, 2U);
    EXPECT_NE(error.message.find("overlapping band 1 which ends at 50000"), std::string::npos)
        << error.message;
    EXPECT_NE(error.message.find("must start at 50001"), std::string::npos) << error.message;

    error = parse_error("50000-2500000:200+100bp,0-49999:300+100bp");
    EXPECT_EQ(error.band, 2U) << "out of order reads as an overlap";
    EXPECT_NE(error.message.find("overlapping"), std::string::npos) << error.message;

    error = parse_error("2500000-5000:200+100bp");
    EXPECT_EQ(error.band, 1U);
    EXPECT_NE(error.message.find("ends at 5000 before it starts at 2500000"), std::string::npos)
        << error.message;

    parse_ok("5000-5000:0+0bp,5001-2500000:0+0bp");  // a one-cent band is a band
}

TEST(FeeScheduleTest, BandsMustCoverEverySendAmountBetweenTheLimits) {
    FeeScheduleError error = parse_error("5001-2500000:300+100bp");
    EXPECT_EQ(error.band, 1U);
    EXPECT_NE(error.message.find("above the minimum send 5000"), std::string::npos)
        << error.message;

    error = parse_error("5000-49999:300+100bp,50000-2499999:200+100bp");
    EXPECT_EQ(error.band, 2U);
    EXPECT_NE(error.message.find("below the maximum send 2500000"), std::string::npos)
        << error.message;

    // Starting below the minimum or ending above the maximum is fine.
    const FeeSchedule wide = parse_ok("0-9999999:300+100bp");
    EXPECT_EQ(fee(wide, 5000), 350);
}

TEST(FeeScheduleTest, AFeeMustLeaveSomethingToPayOut) {
    FeeScheduleError error = parse_error("5000-2500000:5000+0bp");
    EXPECT_EQ(error.band, 1U);
    EXPECT_NE(error.message.find("leaving nothing to pay out"), std::string::npos) << error.message;
    parse_ok("5000-2500000:4999+0bp");  // one cent arrives

    error = parse_error("5000-2500000:0+10000bp");
    EXPECT_NE(error.message.find("leaving nothing"), std::string::npos) << "100 % of the send";
    parse_ok("5000-2500000:0+9998bp");  // round(5000 × 0.9998) = 4999

    error = parse_error("5000-99999:100+100bp,100000-2500000:100000+0bp");
    EXPECT_EQ(error.band, 2U) << "each band is checked at its smallest send";

    // A band wholly below the minimum send is never used, so its fee is not checked.
    parse_ok("0-4999:999999+0bp,5000-2500000:0+0bp");
}

TEST(FeeScheduleTest, AtMost32Bands) {
    std::string text;
    for (int i = 0; i < 32; ++i) {
        const std::int64_t from = std::int64_t{10000} * i;
        const std::int64_t to = i == 31 ? 2500000 : std::int64_t{10000} * (i + 1) - 1;
        text +=
            (i == 0 ? "" : ",") + std::to_string(from) + "-" + std::to_string(to) + ":100+100bp";
    }
    EXPECT_EQ(parse_ok(text).bands().size(), 32U);
    const FeeScheduleError error = parse_error(text + ",2500001-2600000:0+0bp");
    EXPECT_EQ(error.band, 33U);
    EXPECT_NE(error.message.find("at most 32 bands"), std::string::npos) << error.message;
}

TEST(FeeScheduleTest, SendLimitsAreChecked) {
    EXPECT_FALSE(check_send_limits(SendLimits{}).has_value());
    EXPECT_TRUE(check_send_limits(SendLimits{0, 100}).has_value());
    EXPECT_TRUE(check_send_limits(SendLimits{-1, 100}).has_value());
    EXPECT_TRUE(check_send_limits(SendLimits{200, 100}).has_value());
    EXPECT_TRUE(check_send_limits(SendLimits{1, kMaxAmountMinor + 1}).has_value());
    EXPECT_FALSE(check_send_limits(SendLimits{1, 1}).has_value());

    const FeeScheduleError error = parse_error("0-100:0+0bp", SendLimits{200, 100});
    EXPECT_EQ(error.band, 0U);
    EXPECT_NE(error.message.find("send limits"), std::string::npos) << error.message;
}

}  // namespace
}  // namespace chelete::remittance
