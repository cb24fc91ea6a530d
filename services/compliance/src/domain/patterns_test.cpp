#include "domain/patterns.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace chelete::compliance {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const platform::TimePoint kNow = platform::parse_rfc3339("2026-11-23T09:00:00Z").value();

Transfer sent(std::int64_t amount_minor, platform::TimePoint::duration before) {
    return Transfer{amount_minor, kNow - before};
}

std::vector<VelocityRule> velocity(std::string_view text) {
    auto rules = parse_velocity_rules(text);
    EXPECT_TRUE(rules.ok()) << (rules.ok() ? "" : rules.error().message);
    return rules.ok() ? rules.value() : std::vector<VelocityRule>{};
}

std::vector<StructuringRule> structuring(std::string_view text) {
    auto rules = parse_structuring_rules(text);
    EXPECT_TRUE(rules.ok()) << (rules.ok() ? "" : rules.error().message);
    return rules.ok() ? rules.value() : std::vector<StructuringRule>{};
}

TEST(VelocityTest, ParsesRulesAndSaysWhatIsWrong) {
    EXPECT_EQ(
        velocity(kDefaultVelocityRules),
        (std::vector<VelocityRule>{{5, hours{24}}, {20, hours{24 * 30}}})
    );
    EXPECT_EQ(velocity(" 3 / 1h "), (std::vector<VelocityRule>{{3, hours{1}}}));
    EXPECT_EQ(
        parse_velocity_rules("5").error().message,
        "velocity entry 1 '5': expected <max count>/<window>"
    );
    EXPECT_EQ(
        parse_velocity_rules("5/24h,0/1d").error().message,
        "velocity entry 2 '0/1d': the count must be 1 to 1000000"
    );
    EXPECT_EQ(
        parse_velocity_rules("5/24m").error().message,
        "velocity entry 1 '5/24m': the window must be <n>h or <n>d, up to 366 days"
    );
    EXPECT_FALSE(parse_velocity_rules("").ok());
    EXPECT_FALSE(parse_velocity_rules("5/24h,").ok());
}

TEST(VelocityTest, CountsTheNewOneWithinTheWindow) {
    const auto rules = velocity("5/24h");
    const Transfer now{10'000, kNow};
    std::vector<Transfer> recent{
        sent(10'000, hours{1}),
        sent(10'000, hours{2}),
        sent(10'000, hours{3}),
        sent(10'000, hours{23})};
    EXPECT_TRUE(check_velocity(recent, now, rules).empty()) << "5 in 24 hours is allowed";
    recent.push_back(sent(10'000, hours{24}));  // exactly 24 hours ago: outside
    EXPECT_TRUE(check_velocity(recent, now, rules).empty());
    recent.push_back(sent(10'000, hours{23} + minutes{59}));
    const auto reasons = check_velocity(recent, now, rules);
    ASSERT_EQ(reasons.size(), 1U);
    EXPECT_EQ(reasons[0].code, ReasonCode::kVelocity);
    EXPECT_EQ(
        reasons[0].text,
        "velocity: 6 remittances within 24 hours, this one included; more than 5 are reviewed"
    );
}

TEST(VelocityTest, EachRuleSpeaksForItself) {
    const auto rules = velocity("2/1h,3/7d");
    const std::vector<Transfer> recent{
        sent(100, minutes{10}), sent(100, minutes{20}), sent(100, hours{50})};
    const auto reasons = check_velocity(recent, Transfer{100, kNow}, rules);
    ASSERT_EQ(reasons.size(), 2U);
    EXPECT_NE(reasons[0].text.find("3 remittances within 1 hour"), std::string::npos);
    EXPECT_NE(reasons[1].text.find("4 remittances within 7 days"), std::string::npos);
}

TEST(StructuringTest, ParsesRulesAndSaysWhatIsWrong) {
    const auto rules = structuring(kDefaultStructuringRules);
    ASSERT_EQ(rules.size(), 3U);
    EXPECT_EQ(rules[0], (StructuringRule{StructuringTarget::kDailyLimit, 0, 10, hours{24 * 7}, 3}));
    EXPECT_EQ(rules[1], (StructuringRule{StructuringTarget::kIftr, 0, 10, hours{24 * 7}, 2}));
    EXPECT_EQ(rules[2], (StructuringRule{StructuringTarget::kIftr, 0, 100, hours{48}, 2}));
    EXPECT_EQ(
        structuring("2500000:5%/30d/4")[0],
        (StructuringRule{StructuringTarget::kAmount, 2'500'000, 5, hours{24 * 30}, 4})
    );
    EXPECT_EQ(
        parse_structuring_rules("ctr:10%/7d/2").error().message,
        "structuring entry 1 'ctr:10%/7d/2': the target must be daily_limit, iftr or an amount "
        "in cents"
    );
    EXPECT_EQ(
        parse_structuring_rules("iftr:10/7d/2").error().message,
        "structuring entry 1 'iftr:10/7d/2': expected <target>:<band>%/<window>/<min count>"
    );
    EXPECT_EQ(
        parse_structuring_rules("iftr:0%/7d/2").error().message,
        "structuring entry 1 'iftr:0%/7d/2': the band must be a whole percent from 1 to 100"
    );
    EXPECT_EQ(
        parse_structuring_rules("iftr:101%/7d/2").error().message,
        "structuring entry 1 'iftr:101%/7d/2': the band must be a whole percent from 1 to 100"
    );
    EXPECT_EQ(
        parse_structuring_rules("iftr:10%/7w/2").error().message,
        "structuring entry 1 'iftr:10%/7w/2': the window must be <n>h or <n>d, up to 366 days"
    );
    EXPECT_EQ(
        parse_structuring_rules("iftr:10%/7d/1").error().message,
        "structuring entry 1 'iftr:10%/7d/1': the minimum count must be at least 2 (one "
        "remittance is not a pattern)"
    );
    EXPECT_FALSE(parse_structuring_rules("iftr:10%/7d").ok());
}

TEST(StructuringTest, AmountsKeptJustUnderTheDailyLimit) {
    const auto rules = structuring("daily_limit:10%/7d/3");
    const std::int64_t daily = 500'000;
    const std::vector<Transfer> recent{
        sent(480'000, hours{24}), sent(460'000, hours{48}), sent(100'000, hours{30})};
    const auto reasons = check_structuring(recent, Transfer{490'000, kNow}, rules, daily);
    ASSERT_EQ(reasons.size(), 1U);
    EXPECT_EQ(reasons[0].code, ReasonCode::kStructuring);
    EXPECT_EQ(
        reasons[0].text,
        "structuring: 3 remittances within 7 days each within 10% below the daily limit "
        "R5,000.00 (R4,600.00 on 2026-11-21T09:00:00.000Z, R4,800.00 on "
        "2026-11-22T09:00:00.000Z and R4,900.00 now), together R14,300.00: amounts kept just "
        "under it"
    );
    // Two are not yet a pattern of three.
    EXPECT_TRUE(check_structuring({recent.data(), 1}, Transfer{490'000, kNow}, rules, daily).empty()
    );
    // The new one must itself be in the band.
    EXPECT_TRUE(check_structuring(recent, Transfer{440'000, kNow}, rules, daily).empty());
    // Older than the window does not count.
    const std::vector<Transfer> old{sent(480'000, hours{24}), sent(460'000, hours{24 * 7})};
    EXPECT_TRUE(check_structuring(old, Transfer{490'000, kNow}, rules, daily).empty());
}

TEST(StructuringTest, BandEdgesAreExact) {
    const auto rules = structuring("daily_limit:10%/7d/2");
    const std::int64_t daily = 500'000;
    const std::vector<Transfer> floor{sent(450'000, hours{1})};
    EXPECT_EQ(check_structuring(floor, Transfer{450'000, kNow}, rules, daily).size(), 1U)
        << "R4,500.00 is within 10% below R5,000.00";
    const std::vector<Transfer> below{sent(449'999, hours{1})};
    EXPECT_TRUE(check_structuring(below, Transfer{450'000, kNow}, rules, daily).empty());
    const std::vector<Transfer> at_limit{sent(500'000, hours{1})};
    EXPECT_TRUE(check_structuring(at_limit, Transfer{450'000, kNow}, rules, daily).empty())
        << "the limit itself is not under it";
    // The floor rounds up: 10% below R0.15 is 13.5 cents, so 13 is out and 14 is in.
    const auto odd = structuring("15:10%/1d/2");
    EXPECT_TRUE(
        check_structuring(std::vector<Transfer>{sent(13, hours{1})}, Transfer{14, kNow}, odd, 0)
            .empty()
    );
    EXPECT_EQ(
        check_structuring(std::vector<Transfer>{sent(14, hours{1})}, Transfer{14, kNow}, odd, 0)
            .size(),
        1U
    );
}

TEST(StructuringTest, OneSumSplitUnderTheIftrThreshold) {
    const auto rules = structuring("iftr:100%/48h/2");
    const std::vector<Transfer> recent{sent(1'200'000, hours{20})};
    const auto reasons = check_structuring(recent, Transfer{900'000, kNow}, rules, 500'000);
    ASSERT_EQ(reasons.size(), 1U);
    EXPECT_EQ(
        reasons[0].text,
        "structuring: 2 remittances within 2 days each below the IFTR threshold R20,000.00 "
        "(R12,000.00 on 2026-11-22T13:00:00.000Z and R9,000.00 now), together R21,000.00: one "
        "sum split under the threshold"
    );
    const std::vector<Transfer> smaller{sent(1'000'000, hours{20})};
    EXPECT_TRUE(check_structuring(smaller, Transfer{900'000, kNow}, rules, 500'000).empty())
        << "R19,000 in all stays under the threshold";
    ReportThresholds lower;
    lower.iftr_minor = 1'500'000;
    EXPECT_EQ(check_structuring(smaller, Transfer{900'000, kNow}, rules, 500'000, lower).size(), 1U)
        << "the threshold comes from the report configuration";
}

TEST(StructuringTest, JustUnderTheIftrThreshold) {
    const auto rules = structuring(kDefaultStructuringRules);
    const std::vector<Transfer> recent{sent(1'850'000, hours{24 * 3})};
    const auto reasons = check_structuring(recent, Transfer{1'990'000, kNow}, rules, 5'000'000);
    ASSERT_EQ(reasons.size(), 1U);
    EXPECT_NE(
        reasons[0].text.find("each within 10% below the IFTR threshold R20,000.00"),
        std::string::npos
    );
}

}  // namespace
}  // namespace chelete::compliance
