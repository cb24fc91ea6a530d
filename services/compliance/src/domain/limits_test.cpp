#include "domain/limits.hpp"

#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace chelete::compliance {
namespace {

LimitTable table(std::string_view text) {
    auto parsed = parse_limit_table(text);
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
    return parsed.ok() ? parsed.value() : LimitTable::defaults();
}

std::string error_of(std::string_view text) {
    const auto parsed = parse_limit_table(text);
    EXPECT_FALSE(parsed.ok()) << text;
    return parsed.ok() ? std::string{} : parsed.error().message;
}

platform::TimePoint at(const char* rfc3339) {
    const auto t = platform::parse_rfc3339(rfc3339);
    EXPECT_TRUE(t.has_value()) << rfc3339;
    return t.value_or(platform::TimePoint{});
}

TEST(ComplianceLimitsTest, TierNamesAreTheRegistrysNames) {
    for (const Tier tier : kAllTiers) {
        EXPECT_EQ(tier_from(to_string(tier)), tier);
    }
    EXPECT_EQ(to_string(Tier::kRestricted), "restricted");
    EXPECT_EQ(to_string(Tier::kEnhanced), "enhanced");
    EXPECT_FALSE(tier_from("Standard").has_value());
    EXPECT_FALSE(tier_from("").has_value());
}

TEST(ComplianceLimitsTest, DefaultsAreTheDocumentedTable) {
    const LimitTable defaults = LimitTable::defaults();
    EXPECT_EQ(defaults.of(Tier::kRestricted), (TierLimits{100'000, 300'000}));
    EXPECT_EQ(defaults.of(Tier::kBasic), (TierLimits{300'000, 1'000'000}));
    EXPECT_EQ(defaults.of(Tier::kStandard), (TierLimits{500'000, 2'500'000}))
        << "DOMAIN.md 1.3 base tier";
    EXPECT_EQ(defaults.of(Tier::kEnhanced), (TierLimits{500'000, 5'000'000}));
    EXPECT_EQ(defaults.to_text(), kDefaultLimits);
}

TEST(ComplianceLimitsTest, ParsesAnyOrderWithSpacesAndRoundTrips) {
    const LimitTable t = table(
        " enhanced:900000/9000000 , standard:500000/2500000,restricted:1/1, basic : 300000 / "
        "1000000"
    );
    EXPECT_EQ(t.of(Tier::kEnhanced), (TierLimits{900'000, 9'000'000}));
    EXPECT_EQ(t.of(Tier::kRestricted), (TierLimits{1, 1}));
    EXPECT_EQ(t.of(Tier::kBasic), (TierLimits{300'000, 1'000'000}));
    EXPECT_EQ(table(t.to_text()), t);
}

TEST(ComplianceLimitsTest, ParserSaysWhatIsWrong) {
    EXPECT_EQ(error_of(""), "entry 1 '': empty entry (stray comma?)");
    EXPECT_EQ(
        error_of("restricted:100000/300000,basic:300000"),
        "entry 2 'basic:300000': expected <tier>:<daily cents>/<monthly cents>"
    );
    EXPECT_EQ(
        error_of("gold:1/2,basic:1/2,standard:1/2,enhanced:1/2"),
        "entry 1 'gold:1/2': unknown tier (restricted, basic, standard or enhanced)"
    );
    EXPECT_EQ(error_of("basic:1/2,basic:1/2"), "entry 2 'basic:1/2': tier given twice");
    EXPECT_EQ(
        error_of("restricted:0/300000,basic:1/2,standard:1/2,enhanced:1/2"),
        "entry 1 'restricted:0/300000': amounts are cents as digits, from 1 to 1000000000000 "
        "(R10bn)"
    );
    EXPECT_NE(
        error_of("restricted:R1000/300000,basic:1/2,standard:1/2,enhanced:1/2").find("cents"),
        std::string::npos
    );
    EXPECT_EQ(
        error_of("restricted:300001/300000,basic:1/2,standard:1/2,enhanced:1/2"),
        "entry 1 'restricted:300001/300000': the daily limit is above the monthly limit"
    );
    EXPECT_EQ(error_of("restricted:1/2,basic:1/2,standard:1/2"), "tier 'enhanced' is missing");
    EXPECT_EQ(
        error_of("restricted:1/2,basic:1/2,standard:1/2,enhanced:1/2,"),
        "entry 5 '': empty entry (stray comma?)"
    );
    EXPECT_EQ(
        error_of("restricted:100000/300000,basic:50000/1000000,standard:500000/2500000,"
                 "enhanced:500000/5000000"),
        "tier 'basic' has a lower limit than tier 'restricted': a higher tier never sends less"
    );
}

TEST(ComplianceLimitsTest, ReachingALimitExactlyIsAllowedOneCentMoreIsNot) {
    const LimitTable t = LimitTable::defaults();
    const LimitCheck exact = check_limits(t, Tier::kStandard, 200'000, 300'000, 1'000'000);
    EXPECT_TRUE(exact.allowed());
    EXPECT_EQ(exact.available_minor, 200'000);

    const LimitCheck over = check_limits(t, Tier::kStandard, 200'001, 300'000, 1'000'000);
    ASSERT_EQ(over.breaches.size(), 1U);
    EXPECT_FALSE(over.allowed());
    EXPECT_EQ(over.breaches[0], (LimitBreach{LimitPeriod::kDay, 500'000, 300'000, 500'001, 1}));
}

TEST(ComplianceLimitsTest, MonthlyLimitAndBothAtOnce) {
    const LimitTable t = LimitTable::defaults();
    const LimitCheck month = check_limits(t, Tier::kBasic, 100'000, 0, 950'000);
    ASSERT_EQ(month.breaches.size(), 1U);
    EXPECT_EQ(month.breaches[0].period, LimitPeriod::kMonth);
    EXPECT_EQ(month.breaches[0].excess_minor, 50'000);
    EXPECT_EQ(month.available_minor, 50'000);

    const LimitCheck both = check_limits(t, Tier::kRestricted, 150'000, 0, 200'000);
    ASSERT_EQ(both.breaches.size(), 2U);
    EXPECT_EQ(both.breaches[0].period, LimitPeriod::kDay);
    EXPECT_EQ(both.breaches[0].excess_minor, 50'000);
    EXPECT_EQ(both.breaches[1].period, LimitPeriod::kMonth);
    EXPECT_EQ(both.breaches[1].excess_minor, 50'000);
}

TEST(ComplianceLimitsTest, TierDecidesTheSameAmountDifferently) {
    const LimitTable t = LimitTable::defaults();
    EXPECT_FALSE(check_limits(t, Tier::kRestricted, 200'000, 0, 0).allowed());
    EXPECT_FALSE(check_limits(t, Tier::kBasic, 400'000, 0, 0).allowed());
    EXPECT_TRUE(check_limits(t, Tier::kStandard, 400'000, 0, 0).allowed());
    EXPECT_FALSE(check_limits(t, Tier::kStandard, 100'000, 0, 2'450'000).allowed());
    EXPECT_TRUE(check_limits(t, Tier::kEnhanced, 100'000, 0, 2'450'000).allowed());
}

TEST(ComplianceLimitsTest, AlreadyOverMeansNothingAvailableAndHugeUsageSaturates) {
    const LimitTable t = LimitTable::defaults();
    const LimitCheck over = check_limits(t, Tier::kStandard, 1, 600'000, 0);
    EXPECT_EQ(over.available_minor, 0);
    ASSERT_EQ(over.breaches.size(), 1U);
    EXPECT_EQ(over.breaches[0].excess_minor, 100'001);
    const auto max = std::numeric_limits<std::int64_t>::max();
    const LimitCheck huge = check_limits(t, Tier::kStandard, max, max, max);
    ASSERT_EQ(huge.breaches.size(), 2U);
    EXPECT_EQ(huge.breaches[0].total_minor, max);
}

TEST(ComplianceLimitsTest, RejectsInputsTheAdapterShouldHaveRefused) {
    const LimitTable t = LimitTable::defaults();
    EXPECT_THROW((void)check_limits(t, Tier::kBasic, 0, 0, 0), std::invalid_argument);
    EXPECT_THROW((void)check_limits(t, Tier::kBasic, -5, 0, 0), std::invalid_argument);
    EXPECT_THROW((void)check_limits(t, Tier::kBasic, 5, -1, 0), std::invalid_argument);
    EXPECT_THROW((void)check_limits(t, Tier::kBasic, 5, 0, -1), std::invalid_argument);
}

TEST(ComplianceLimitsTest, BreachReadsForAnOfficer) {
    const LimitCheck check = check_limits(LimitTable::defaults(), Tier::kBasic, 80'000, 250'000, 0);
    ASSERT_EQ(check.breaches.size(), 1U);
    EXPECT_EQ(
        describe(check.breaches[0], Tier::kBasic),
        "daily limit of tier basic is R3,000.00: R2,500.00 already sent in the last 24 hours and "
        "R800.00 now make R3,300.00, R300.00 over"
    );
}

TEST(ComplianceLimitsTest, WindowsAreRolling24HoursAndTheSastCalendarMonth) {
    const LimitWindows mid = limit_windows(at("2026-11-23T09:15:00Z"));
    EXPECT_EQ(mid.day_from, at("2026-11-22T09:15:00Z"));
    EXPECT_EQ(mid.month_from, at("2026-11-01T00:00:00+02:00"));
    // 23:30 UTC on 30 November is already 1 December in Lesotho and South Africa.
    const LimitWindows edge = limit_windows(at("2026-11-30T23:30:00Z"));
    EXPECT_EQ(edge.month_from, at("2026-12-01T00:00:00+02:00"));
    EXPECT_EQ(edge.month_from, at("2026-11-30T22:00:00Z"));
    const LimitWindows before = limit_windows(at("2026-11-30T21:59:59Z"));
    EXPECT_EQ(before.month_from, at("2026-11-01T00:00:00+02:00"));
    const LimitWindows january = limit_windows(at("2027-01-01T00:00:00+02:00"));
    EXPECT_EQ(january.month_from, at("2026-12-31T22:00:00Z"));
}

}  // namespace
}  // namespace chelete::compliance
