#include "domain/reconciliation.hpp"

#include <gtest/gtest.h>

namespace chelete::payout {
namespace {

mobile_money::StatementLine line(std::string reference, std::int64_t amount) {
    return mobile_money::StatementLine{
        std::move(reference),
        "TX" + std::to_string(amount),
        "26658000000",
        amount,
        "2026-11-23T10:00:00Z"};
}

OurPayment ours(std::string reference, std::int64_t amount, OurOutcome outcome) {
    return OurPayment{reference, "rid-" + reference, amount, outcome};
}

ReconInput with(std::vector<mobile_money::StatementLine> day, std::vector<OurPayment> records) {
    ReconInput in;
    in.day_lines = std::move(day);
    for (auto& r : records) {
        if (r.outcome == OurOutcome::kPaid) {
            in.ours_paid_on_day.push_back(r);
        }
        in.ours_by_reference.emplace(r.reference, r);
    }
    return in;
}

TEST(ReconciliationTest, EverythingAgreesMatchesEveryLine) {
    const auto r = reconcile(with(
        {line("A1", 1000), line("B1", 2500)},
        {ours("A1", 1000, OurOutcome::kPaid), ours("B1", 2500, OurOutcome::kPaid)}
    ));
    EXPECT_EQ(r.statement_lines, 2);
    EXPECT_EQ(r.matched, 2);
    EXPECT_TRUE(r.breaks.empty());
}

TEST(ReconciliationTest, APaymentTheStatementLacksIsMissingThere) {
    const auto r = reconcile(with(
        {line("A1", 1000)},
        {ours("A1", 1000, OurOutcome::kPaid), ours("B1", 2500, OurOutcome::kPaid)}
    ));
    ASSERT_EQ(r.breaks.size(), 1U);
    EXPECT_EQ(r.breaks[0].kind, BreakKind::kMissingThere);
    EXPECT_EQ(r.breaks[0].reference, "B1");
    EXPECT_EQ(r.breaks[0].our_amount, 2500);
    EXPECT_EQ(r.breaks[0].float_effect(), 2500);  // the float still holds what we thought paid
    EXPECT_EQ(r.matched, 1);
}

TEST(ReconciliationTest, AStatementLineWeDoNotKnowIsMissingHere) {
    const auto r =
        reconcile(with({line("A1", 1000), line("ZZ9", 700)}, {ours("A1", 1000, OurOutcome::kPaid)})
        );
    ASSERT_EQ(r.count(BreakKind::kMissingHere), 1);
    EXPECT_EQ(r.breaks[0].reference, "ZZ9");
    EXPECT_EQ(r.breaks[0].remittance_id, "");
    EXPECT_EQ(r.breaks[0].float_effect(), -700);
}

TEST(ReconciliationTest, APartnerPaymentOfAPayoutWeFailedIsMissingHere) {
    // The dangerous one: the sender was refunded and the family was paid.
    const auto r = reconcile(with({line("A1", 1000)}, {ours("A1", 1000, OurOutcome::kNotPaid)}));
    ASSERT_EQ(r.breaks.size(), 1U);
    EXPECT_EQ(r.breaks[0].kind, BreakKind::kMissingHere);
    EXPECT_EQ(r.breaks[0].remittance_id, "rid-A1");
    EXPECT_EQ(r.breaks[0].their_amount, 1000);
}

TEST(ReconciliationTest, DifferentAmountsAreAMismatchWithTheDifference) {
    const auto r = reconcile(with({line("A1", 1200)}, {ours("A1", 1000, OurOutcome::kPaid)}));
    ASSERT_EQ(r.breaks.size(), 1U);
    EXPECT_EQ(r.breaks[0].kind, BreakKind::kAmountMismatch);
    EXPECT_EQ(r.breaks[0].float_effect(), -200);
    EXPECT_EQ(r.matched, 0);
}

TEST(ReconciliationTest, AnOpenPayoutOnTheStatementIsInFlightNotABreak) {
    const auto r = reconcile(with({line("A1", 1000)}, {ours("A1", 1000, OurOutcome::kInFlight)}));
    EXPECT_EQ(r.in_flight, 1);
    EXPECT_TRUE(r.breaks.empty());
}

TEST(ReconciliationTest, APaymentCompletedBeforeMidnightIsOnYesterdaysStatement) {
    auto in = with({}, {ours("A1", 1000, OurOutcome::kPaid)});
    in.earlier_lines = {line("A1", 1000)};
    const auto r = reconcile(in);
    EXPECT_EQ(r.matched, 1);
    EXPECT_TRUE(r.breaks.empty());
}

// A payout in flight on the day its line was on the statement (no amount compared then) and
// learned paid later: the later day's run compares the amounts.
TEST(ReconciliationTest, APaymentLearnedLaterForAnotherAmountIsAMismatch) {
    auto in = with({}, {ours("A1", 1000, OurOutcome::kPaid)});
    in.earlier_lines = {line("A1", 1300)};
    const auto r = reconcile(in);
    EXPECT_EQ(r.matched, 0);
    ASSERT_EQ(r.breaks.size(), 1U);
    EXPECT_EQ(r.breaks[0].kind, BreakKind::kAmountMismatch);
    EXPECT_EQ(r.breaks[0].remittance_id, "rid-A1");
    EXPECT_EQ(r.breaks[0].transaction_id, "TX1300");
    EXPECT_EQ(r.breaks[0].float_effect(), -300);
}

TEST(ReconciliationTest, AReferencePaidTwiceByThePartnerBreaksOnTheSecondLine) {
    const auto r =
        reconcile(with({line("A1", 1000), line("A1", 1000)}, {ours("A1", 1000, OurOutcome::kPaid)})
        );
    EXPECT_EQ(r.matched, 1);
    ASSERT_EQ(r.breaks.size(), 1U);
    EXPECT_EQ(r.breaks[0].kind, BreakKind::kMissingHere);
}

TEST(ReconciliationTest, BreakKindsHaveStableNames) {
    EXPECT_EQ(to_string(BreakKind::kMissingHere), "missing_here");
    EXPECT_EQ(to_string(BreakKind::kMissingThere), "missing_there");
    EXPECT_EQ(to_string(BreakKind::kAmountMismatch), "amount_mismatch");
}

}  // namespace
}  // namespace chelete::payout
