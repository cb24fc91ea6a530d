#include "domain/payout_policy.hpp"

#include <gtest/gtest.h>

namespace chelete::payout {
namespace {

namespace mm = chelete::mobile_money;
using namespace std::chrono_literals;

PayoutFacts facts(PayoutState state) {
    PayoutFacts f;
    f.state = state;
    return f;
}

mm::SubmitResult submit(mm::SubmitVerdict verdict, mm::FailureKind failure = {}) {
    mm::SubmitResult r;
    r.verdict = verdict;
    r.failure = failure;
    r.partner_code = "X";
    return r;
}

mm::StatusResult status(mm::PaymentStatus s, mm::FailureKind failure = {}) {
    mm::StatusResult r;
    r.status = s;
    r.failure = failure;
    return r;
}

mm::CallbackResult callback(mm::PaymentStatus s, mm::FailureKind failure = {}) {
    mm::CallbackResult r;
    r.reference = "ref";
    r.status = s;
    r.failure = failure;
    return r;
}

TEST(PayoutPolicy, AcceptedWaitsForTheCallbackWithoutReporting) {
    const PolicySettings s;
    const auto d =
        after_submit(s, facts(PayoutState::kSending), submit(mm::SubmitVerdict::kAccepted));
    EXPECT_EQ(d.next, PayoutState::kAccepted);
    EXPECT_EQ(d.check_after, s.callback_wait);
    EXPECT_EQ(d.report, Report::kNone);
    EXPECT_FALSE(d.new_attempt);
}

TEST(PayoutPolicy, UnknownIsReportedOnceAndNeverResent) {
    const PolicySettings s;
    auto f = facts(PayoutState::kSending);
    auto d = after_submit(s, f, submit(mm::SubmitVerdict::kUnknown));
    EXPECT_EQ(d.next, PayoutState::kUnknown);
    EXPECT_EQ(d.report, Report::kUnknown);
    EXPECT_FALSE(d.new_attempt);
    f.state = PayoutState::kUnknown;
    f.unknown_reported = true;
    d = after_query(s, f, status(mm::PaymentStatus::kUnknown));
    EXPECT_EQ(d.next, PayoutState::kUnknown);
    EXPECT_EQ(d.report, Report::kNone);
    EXPECT_TRUE(d.counts_query);
}

TEST(PayoutPolicy, UnknownNeverTurnsIntoAFailureOnItsOwn) {
    // Funds held for an unknown payout never expire: however many queries fail or stay pending,
    // the payout stays unknown (reconciliation settles it), never failed.
    const PolicySettings s;
    auto f = facts(PayoutState::kUnknown);
    f.unknown_reported = true;
    for (int q = 0; q < 200; ++q) {
        f.queries = q;
        for (const auto st : {mm::PaymentStatus::kUnknown, mm::PaymentStatus::kPending}) {
            const auto d = after_query(s, f, status(st));
            EXPECT_EQ(d.next, PayoutState::kUnknown);
            EXPECT_EQ(d.report, Report::kNone);
            EXPECT_LE(d.check_after, s.max_query_interval);
        }
    }
}

TEST(PayoutPolicy, QueryBackoffDoublesUpToTheCap) {
    PolicySettings s;
    s.first_query_after = 1s;
    s.max_query_interval = 10s;
    EXPECT_EQ(query_interval(s, 0), 1s);
    EXPECT_EQ(query_interval(s, 1), 2s);
    EXPECT_EQ(query_interval(s, 3), 8s);
    EXPECT_EQ(query_interval(s, 4), 10s);
    EXPECT_EQ(query_interval(s, 1000), 10s);
}

TEST(PayoutPolicy, RecipientFailureFailsAtOnce) {
    const PolicySettings s;
    const auto d = after_submit(
        s,
        facts(PayoutState::kSending),
        submit(mm::SubmitVerdict::kFailed, mm::FailureKind::kRecipient)
    );
    EXPECT_EQ(d.next, PayoutState::kFailed);
    EXPECT_EQ(d.report, Report::kFailed);
}

TEST(PayoutPolicy, FloatShortfallRetriesWithANewAttemptUntilTheSla) {
    PolicySettings s;
    s.retry_sla = 1h;
    auto f = facts(PayoutState::kSending);
    auto d =
        after_submit(s, f, submit(mm::SubmitVerdict::kFailed, mm::FailureKind::kInsufficientFloat));
    EXPECT_EQ(d.next, PayoutState::kRetryWait);
    EXPECT_EQ(d.report, Report::kNone);
    f.state = PayoutState::kRetryWait;
    f.waiting_for = 10min;
    d = retry_due(s, f);
    EXPECT_EQ(d.next, PayoutState::kRequested);
    EXPECT_TRUE(d.new_attempt);
    f.waiting_for = 61min;
    d = retry_due(s, f);
    EXPECT_EQ(d.next, PayoutState::kFailed);
    EXPECT_EQ(d.report, Report::kFailed);
    // A second float failure past the SLA fails too.
    f.state = PayoutState::kSending;
    d = after_submit(s, f, submit(mm::SubmitVerdict::kFailed, mm::FailureKind::kInsufficientFloat));
    EXPECT_EQ(d.next, PayoutState::kFailed);
}

TEST(PayoutPolicy, UnrecognisedCodeIsConfirmedByQueryBeforeFailing) {
    const PolicySettings s;
    auto d = after_submit(
        s,
        facts(PayoutState::kSending),
        submit(mm::SubmitVerdict::kFailed, mm::FailureKind::kUnrecognised)
    );
    EXPECT_EQ(d.next, PayoutState::kConfirmFailure);
    EXPECT_EQ(d.report, Report::kNone);
    const auto f = facts(PayoutState::kConfirmFailure);
    EXPECT_EQ(after_query(s, f, status(mm::PaymentStatus::kPaid)).next, PayoutState::kPaid);
    EXPECT_EQ(after_query(s, f, status(mm::PaymentStatus::kNotFound)).next, PayoutState::kFailed);
    EXPECT_EQ(after_query(s, f, status(mm::PaymentStatus::kFailed)).next, PayoutState::kFailed);
    d = after_query(s, f, status(mm::PaymentStatus::kUnknown));
    EXPECT_EQ(d.next, PayoutState::kConfirmFailure);
    EXPECT_EQ(d.report, Report::kNone);
}

TEST(PayoutPolicy, NotSentGoesAgainUnderTheSameReference) {
    const PolicySettings s;
    const auto d =
        after_submit(s, facts(PayoutState::kSending), submit(mm::SubmitVerdict::kNotSent));
    EXPECT_EQ(d.next, PayoutState::kRequested);
    EXPECT_FALSE(d.new_attempt);
    EXPECT_EQ(d.report, Report::kNone);
}

TEST(PayoutPolicy, RefusedCredentialsWaitForOperationsInsteadOfRetryingEverySecond) {
    const PolicySettings s;
    const auto d = after_submit(
        s,
        facts(PayoutState::kSending),
        submit(mm::SubmitVerdict::kNotSent, mm::FailureKind::kOurRequest)
    );
    EXPECT_EQ(d.next, PayoutState::kRetryWait);
    EXPECT_EQ(d.check_after, s.retry_wait);
    EXPECT_EQ(d.report, Report::kNone);
}

TEST(PayoutPolicy, NotFoundAfterUnknownResendsTheSameReference) {
    const PolicySettings s;
    auto d = after_query(s, facts(PayoutState::kUnknown), status(mm::PaymentStatus::kNotFound));
    EXPECT_EQ(d.next, PayoutState::kRequested);
    EXPECT_FALSE(d.new_attempt);
    // A crash between the submit and storing its answer looks like "sending": the same rule.
    d = after_query(s, facts(PayoutState::kSending), status(mm::PaymentStatus::kNotFound));
    EXPECT_EQ(d.next, PayoutState::kRequested);
    EXPECT_FALSE(d.new_attempt);
    // Accepted but then not found is the partner's inconsistency: never resend.
    d = after_query(s, facts(PayoutState::kAccepted), status(mm::PaymentStatus::kNotFound));
    EXPECT_EQ(d.next, PayoutState::kUnknown);
}

TEST(PayoutPolicy, QueryShowingPaidSettlesAnyOpenState) {
    const PolicySettings s;
    for (const auto st : {PayoutState::kSending, PayoutState::kAccepted, PayoutState::kUnknown}) {
        const auto d = after_query(s, facts(st), status(mm::PaymentStatus::kPaid));
        EXPECT_EQ(d.next, PayoutState::kPaid);
        EXPECT_EQ(d.report, Report::kPaid);
    }
}

TEST(PayoutPolicy, TheStatementOfAClosedDaySettlesAnyOpenStateAsPaid) {
    for (const auto state :
         {PayoutState::kRequested,
          PayoutState::kSending,
          PayoutState::kAccepted,
          PayoutState::kUnknown,
          PayoutState::kConfirmFailure,
          PayoutState::kRetryWait}) {
        auto f = facts(state);
        f.unknown_reported = true;
        const auto d = after_statement(f, "2026-11-20");
        ASSERT_TRUE(d.has_value()) << to_string(state);
        EXPECT_EQ(d->next, PayoutState::kPaid);
        EXPECT_EQ(d->report, Report::kPaid);
        EXPECT_FALSE(d->new_attempt);
        EXPECT_EQ(d->reason, "paid: on the partner's statement of 2026-11-20");
    }
    // Final payouts are never moved by a statement: a failed one seen paid is a break.
    EXPECT_FALSE(after_statement(facts(PayoutState::kPaid), "2026-11-20").has_value());
    EXPECT_FALSE(after_statement(facts(PayoutState::kFailed), "2026-11-20").has_value());
}

TEST(PayoutPolicy, CallbacksNeverMoveAFinalPayoutOrGoBackwards) {
    const PolicySettings s;
    auto r = after_callback(s, facts(PayoutState::kPaid), true, callback(mm::PaymentStatus::kPaid));
    EXPECT_EQ(r.effect, CallbackEffect::kDuplicate);
    EXPECT_FALSE(r.decision);
    r = after_callback(
        s,
        facts(PayoutState::kPaid),
        true,
        callback(mm::PaymentStatus::kFailed, mm::FailureKind::kRecipient)
    );
    EXPECT_EQ(r.effect, CallbackEffect::kIgnoredFinal);
    EXPECT_FALSE(r.decision);
    r = after_callback(s, facts(PayoutState::kFailed), true, callback(mm::PaymentStatus::kPaid));
    EXPECT_EQ(r.effect, CallbackEffect::kIgnoredFinal);
    r = after_callback(
        s, facts(PayoutState::kAccepted), true, callback(mm::PaymentStatus::kPending)
    );
    EXPECT_EQ(r.effect, CallbackEffect::kIgnoredPending);
    EXPECT_FALSE(r.decision);
}

TEST(PayoutPolicy, PaidCallbackSettlesEvenForAnEarlierAttempt) {
    const PolicySettings s;
    const auto r = after_callback(
        s, facts(PayoutState::kRetryWait), false, callback(mm::PaymentStatus::kPaid)
    );
    EXPECT_EQ(r.effect, CallbackEffect::kApplied);
    ASSERT_TRUE(r.decision);
    EXPECT_EQ(r.decision->next, PayoutState::kPaid);
    EXPECT_EQ(r.decision->report, Report::kPaid);
}

TEST(PayoutPolicy, FailureCallbackOfAnEarlierAttemptChangesNothing) {
    const PolicySettings s;
    const auto r = after_callback(
        s,
        facts(PayoutState::kAccepted),
        false,
        callback(mm::PaymentStatus::kFailed, mm::FailureKind::kRecipient)
    );
    EXPECT_EQ(r.effect, CallbackEffect::kDuplicate);
    EXPECT_FALSE(r.decision);
}

TEST(PayoutPolicy, FailureCallbackOfTheCurrentAttemptFails) {
    const PolicySettings s;
    const auto r = after_callback(
        s,
        facts(PayoutState::kAccepted),
        true,
        callback(mm::PaymentStatus::kFailed, mm::FailureKind::kRecipient)
    );
    EXPECT_EQ(r.effect, CallbackEffect::kApplied);
    ASSERT_TRUE(r.decision);
    EXPECT_EQ(r.decision->next, PayoutState::kFailed);
}

TEST(PayoutPolicy, StateNamesRoundTrip) {
    for (const auto st :
         {PayoutState::kRequested,
          PayoutState::kSending,
          PayoutState::kAccepted,
          PayoutState::kUnknown,
          PayoutState::kConfirmFailure,
          PayoutState::kRetryWait,
          PayoutState::kPaid,
          PayoutState::kFailed}) {
        EXPECT_EQ(payout_state_from_string(to_string(st)), st);
    }
    EXPECT_FALSE(payout_state_from_string("paid "));
}

TEST(PayoutPolicy, AttemptReferencesFitThePartnerLimit) {
    const std::string payout_reference(32, 'a');
    EXPECT_EQ(attempt_reference(payout_reference, 1), payout_reference + "A1");
    EXPECT_LE(attempt_reference(payout_reference, 9'999'999).size(), 40U);
}

TEST(PayoutPolicy, PartnerMsisdnAcceptsOnlyLesothoNumbers) {
    EXPECT_EQ(partner_msisdn("+266 5812 3456"), "26658123456");
    EXPECT_EQ(partner_msisdn("26662123456"), "26662123456");
    EXPECT_FALSE(partner_msisdn("+27821234567"));
    EXPECT_FALSE(partner_msisdn("2665812345"));
    EXPECT_FALSE(partner_msisdn("266581234567"));
    EXPECT_FALSE(partner_msisdn("26658x23456"));
}

}  // namespace
}  // namespace chelete::payout
