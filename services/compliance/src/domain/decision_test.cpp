#include "domain/decision.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace chelete::compliance {
namespace {

using std::chrono::hours;

const platform::TimePoint kNow = platform::parse_rfc3339("2026-11-23T09:00:00Z").value();

constexpr std::string_view kCsv =
    "id,full_name,aliases,date_of_birth,list,reference\n"
    "UN-1,Tšepiso Mokoena,Ts'epo Mokoena,1980-05-17,sanctions,UN QDi.999\n"
    "PEP-7,'Mathabo Moshoeshoe,,1975,pep,Gazette 12/2024\n"
    "INT-3,Thabo Molefe,,,internal,case 2026-0042\n";

const Watchlist& watchlist() {
    static const Watchlist list = parse_watchlist_csv(kCsv).value();
    return list;
}

Request clean() {
    Request r;
    r.sender_name = "Lerato Nthako";
    r.sender_date_of_birth = platform::Date{1992, 3, 14};
    r.tier = Tier::kStandard;
    r.beneficiary_name = "Palesa Nthako";
    r.remittance = Transfer{100'000, kNow};
    return r;
}

std::vector<ReasonCode> codes(const Decision& d) {
    std::vector<ReasonCode> out;
    for (const Reason& r : d.reasons) {
        out.push_back(r.code);
    }
    return out;
}

TEST(ComplianceDecisionTest, CleanRemittanceIsApproved) {
    const Decision d = decide(clean(), watchlist(), Policy{});
    EXPECT_EQ(d.outcome, Outcome::kApproved);
    EXPECT_TRUE(d.reasons.empty());
    EXPECT_FALSE(d.open_case);
    EXPECT_TRUE(d.reports.empty());
    EXPECT_TRUE(d.sender_matches.empty());
    EXPECT_EQ(d.limits.available_minor, 500'000);
}

TEST(ComplianceDecisionTest, OverALimitIsRejectedWithTheLimitNamed) {
    Request r = clean();
    r.used_today_minor = 450'000;
    const Decision d = decide(r, watchlist(), Policy{});
    EXPECT_EQ(d.outcome, Outcome::kRejected);
    EXPECT_EQ(codes(d), (std::vector<ReasonCode>{ReasonCode::kDailyLimit}));
    EXPECT_EQ(
        d.reasons[0].text,
        "daily limit of tier standard is R5,000.00: R4,500.00 already sent in the last 24 hours "
        "and R1,000.00 now make R5,500.00, R500.00 over"
    );
    EXPECT_FALSE(d.open_case) << "a plain limit refusal is no case";

    Request month = clean();
    month.used_this_month_minor = 2'450'000;
    EXPECT_EQ(
        codes(decide(month, watchlist(), Policy{})),
        (std::vector<ReasonCode>{ReasonCode::kMonthlyLimit})
    );
}

TEST(ComplianceDecisionTest, PermitStatusLowersTheLimitThroughTheTier) {
    Request r = clean();
    r.tier = Tier::kRestricted;  // the permit expired or was revoked
    r.remittance.amount_minor = 150'000;
    EXPECT_EQ(decide(r, watchlist(), Policy{}).outcome, Outcome::kRejected);
    r.remittance.amount_minor = 90'000;
    EXPECT_EQ(decide(r, watchlist(), Policy{}).outcome, Outcome::kApproved);
}

TEST(ComplianceDecisionTest, ExactSanctionsMatchIsHeldNotRejected) {
    Request r = clean();
    r.sender_name = "Tshepiso Mokwena";
    r.sender_date_of_birth = platform::Date{1980, 5, 17};
    const Decision d = decide(r, watchlist(), Policy{});
    EXPECT_EQ(d.outcome, Outcome::kHeld);
    EXPECT_TRUE(d.open_case);
    EXPECT_EQ(codes(d), (std::vector<ReasonCode>{ReasonCode::kSanctionsMatch}));
    EXPECT_EQ(
        d.reasons[0].text,
        "sender 'Tshepiso Mokwena' matches sanctions list entry UN-1 'Tšepiso Mokoena' (UN "
        "QDi.999): score 1.00, the same name after normalisation, date of birth the same"
    );
    ASSERT_EQ(d.sender_matches.size(), 1U);
    EXPECT_TRUE(d.sender_matches[0].exact_name);
}

TEST(ComplianceDecisionTest, BirthDateClearsAHomonym) {
    Request r = clean();
    r.sender_name = "Tšepiso Mokoena";
    r.sender_date_of_birth = platform::Date{1999, 1, 9};
    const Decision d = decide(r, watchlist(), Policy{});
    EXPECT_EQ(d.outcome, Outcome::kApproved);
    EXPECT_TRUE(d.sender_matches.empty());
}

TEST(ComplianceDecisionTest, BeneficiaryIsScreenedToo) {
    Request r = clean();
    r.beneficiary_name = "Mmathabo Moshweshwe";
    const Decision d = decide(r, watchlist(), Policy{});
    EXPECT_EQ(d.outcome, Outcome::kHeld);
    EXPECT_EQ(codes(d), (std::vector<ReasonCode>{ReasonCode::kPepMatch}));
    EXPECT_TRUE(d.reasons[0].text.starts_with("beneficiary 'Mmathabo Moshweshwe' matches pep list")
    );
    EXPECT_EQ(d.beneficiary_matches.size(), 1U);
}

TEST(ComplianceDecisionTest, OverALimitWithAHitIsRejectedAndStillOpensACase) {
    Request r = clean();
    r.sender_name = "Thabo Molefe";
    r.beneficiary_name = "Tšepiso Mokoena";
    r.remittance.amount_minor = 600'000;
    const Decision d = decide(r, watchlist(), Policy{});
    EXPECT_EQ(d.outcome, Outcome::kRejected);
    EXPECT_TRUE(d.open_case) << "an attempted transaction by a listed person is reportable";
    EXPECT_EQ(
        codes(d),
        (std::vector<ReasonCode>{
            ReasonCode::kDailyLimit, ReasonCode::kSanctionsMatch, ReasonCode::kInternalListMatch})
    ) << "limit first, then sanctions before the internal list";
}

TEST(ComplianceDecisionTest, VelocityAndStructuringHold) {
    Request fast = clean();
    for (int i = 1; i <= 5; ++i) {
        fast.recent.push_back(Transfer{5'000, kNow - hours{i}});
    }
    const Decision v = decide(fast, watchlist(), Policy{});
    EXPECT_EQ(v.outcome, Outcome::kHeld);
    EXPECT_EQ(codes(v), (std::vector<ReasonCode>{ReasonCode::kVelocity}));

    Request split = clean();
    split.remittance.amount_minor = 490'000;
    split.recent = {Transfer{470'000, kNow - hours{30}}, Transfer{480'000, kNow - hours{60}}};
    split.used_this_month_minor = 950'000;
    const Decision s = decide(split, watchlist(), Policy{});
    EXPECT_EQ(s.outcome, Outcome::kHeld);
    EXPECT_EQ(codes(s), (std::vector<ReasonCode>{ReasonCode::kStructuring}));
    EXPECT_TRUE(s.open_case);
}

TEST(ComplianceDecisionTest, ThresholdReportsNeverChangeTheOutcome) {
    auto policy = parse_policy(PolicySettings{
        .limits = "restricted:100000/300000,basic:300000/1000000,standard:500000/2500000,"
                  "enhanced:3000000/10000000",
        .match_threshold = "0.93",
        .velocity = kDefaultVelocityRules,
        .structuring = kDefaultStructuringRules,
    });
    ASSERT_TRUE(policy.ok());
    Request r = clean();
    r.tier = Tier::kEnhanced;
    r.remittance.amount_minor = 1'999'999;
    const Decision under = decide(r, watchlist(), policy.value());
    EXPECT_EQ(under.outcome, Outcome::kApproved);
    EXPECT_TRUE(under.reports.empty());
    r.remittance.amount_minor = 2'000'000;
    const Decision at = decide(r, watchlist(), policy.value());
    EXPECT_EQ(at.outcome, Outcome::kApproved);
    EXPECT_EQ(at.reports, (std::vector<ReportFlag>{{ReportKind::kIftr, 2'000'000, 2'000'000}}));
}

TEST(ComplianceDecisionTest, PolicyParsesEachSettingAndNamesTheBadOne) {
    const auto defaults = parse_policy(PolicySettings{});
    ASSERT_TRUE(defaults.ok());
    const Policy built;
    EXPECT_EQ(defaults.value().limits, built.limits);
    EXPECT_EQ(defaults.value().velocity, built.velocity);
    EXPECT_EQ(defaults.value().structuring, built.structuring);
    EXPECT_DOUBLE_EQ(defaults.value().screening.threshold, 0.93);
    EXPECT_EQ(lookback(built), hours{24 * 30});

    PolicySettings bad;
    bad.limits = "basic:1/2";
    EXPECT_EQ(parse_policy(bad).error().message, "limits: tier 'restricted' is missing");
    bad = PolicySettings{};
    bad.match_threshold = "0.1";
    EXPECT_TRUE(parse_policy(bad).error().message.starts_with("match threshold: "));
    bad = PolicySettings{};
    bad.velocity = "x";
    EXPECT_TRUE(parse_policy(bad).error().message.starts_with("velocity: velocity entry 1"));
    bad = PolicySettings{};
    bad.structuring = "x";
    EXPECT_TRUE(parse_policy(bad).error().message.starts_with("structuring: structuring entry 1"));
    bad = PolicySettings{};
    bad.match_threshold = "0.95";
    EXPECT_DOUBLE_EQ(parse_policy(bad).value().screening.threshold, 0.95);
}

TEST(ComplianceDecisionTest, OutcomeNamesAreTheRemittanceStates) {
    EXPECT_EQ(to_string(Outcome::kApproved), "approved");
    EXPECT_EQ(to_string(Outcome::kHeld), "held");
    EXPECT_EQ(to_string(Outcome::kRejected), "rejected");
}

TEST(ComplianceDecisionTest, BrokenInputIsAProgrammingError) {
    Request r = clean();
    r.remittance.amount_minor = 0;
    EXPECT_THROW((void)decide(r, watchlist(), Policy{}), std::invalid_argument);
}

}  // namespace
}  // namespace chelete::compliance
