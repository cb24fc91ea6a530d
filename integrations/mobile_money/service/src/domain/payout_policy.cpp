#include "domain/payout_policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace chelete::payout {

namespace mm = chelete::mobile_money;
using std::chrono::milliseconds;

namespace {

constexpr std::array<std::pair<PayoutState, std::string_view>, 8> kStateNames{{
    {PayoutState::kRequested, "requested"},
    {PayoutState::kSending, "sending"},
    {PayoutState::kAccepted, "accepted"},
    {PayoutState::kUnknown, "unknown"},
    {PayoutState::kConfirmFailure, "confirm_failure"},
    {PayoutState::kRetryWait, "retry_wait"},
    {PayoutState::kPaid, "paid"},
    {PayoutState::kFailed, "failed"},
}};

std::string describe(std::string_view what, const std::string& code, const std::string& detail) {
    std::string out{what};
    if (!code.empty()) {
        out += " (" + code + ")";
    }
    if (!detail.empty()) {
        out += ": " + detail;
    }
    return out;
}

Decision paid(std::string reason) {
    Decision d;
    d.next = PayoutState::kPaid;
    d.report = Report::kPaid;
    d.reason = std::move(reason);
    return d;
}

Decision failed(std::string reason) {
    Decision d;
    d.next = PayoutState::kFailed;
    d.report = Report::kFailed;
    d.reason = std::move(reason);
    return d;
}

/// Not known whether it paid: ask again later; the remittance hears "unknown" once.
Decision ask_later(
    const PolicySettings& s, const PayoutFacts& f, PayoutState next, std::string why
) {
    Decision d;
    d.next = next;
    d.check_after = query_interval(s, f.queries);
    d.report = f.unknown_reported ? Report::kNone : Report::kUnknown;
    d.reason = std::move(why);
    return d;
}

/// A definite failure: refund for the recipient's reasons; a new attempt later for ours.
Decision definite_failure(
    const PolicySettings& s, const PayoutFacts& f, mm::FailureKind kind, std::string why
) {
    switch (kind) {
        case mm::FailureKind::kInsufficientFloat:
        case mm::FailureKind::kOurRequest: {
            if (f.waiting_for && *f.waiting_for >= s.retry_sla) {
                return failed(why + "; not resolved within the retry window");
            }
            Decision d;
            d.next = PayoutState::kRetryWait;
            d.check_after = s.retry_wait;
            d.reason = std::move(why);
            return d;
        }
        case mm::FailureKind::kUnrecognised: {
            // Terminal, but a query confirms it did not pay before anything is refunded.
            Decision d;
            d.next = PayoutState::kConfirmFailure;
            d.check_after = s.first_query_after;
            d.reason = std::move(why);
            return d;
        }
        case mm::FailureKind::kRecipient:
        case mm::FailureKind::kNone:
            break;
    }
    return failed(std::move(why));
}

}  // namespace

std::string_view to_string(PayoutState state) {
    for (const auto& [s, name] : kStateNames) {
        if (s == state) {
            return name;
        }
    }
    return "unknown";
}

std::optional<PayoutState> payout_state_from_string(std::string_view text) {
    for (const auto& [s, name] : kStateNames) {
        if (name == text) {
            return s;
        }
    }
    return std::nullopt;
}

std::string_view to_string(CallbackEffect effect) {
    switch (effect) {
        case CallbackEffect::kApplied:
            return "applied";
        case CallbackEffect::kDuplicate:
            return "duplicate";
        case CallbackEffect::kIgnoredFinal:
            return "ignored_final";
        case CallbackEffect::kIgnoredPending:
            return "ignored_pending";
        case CallbackEffect::kUnknownReference:
            return "unknown_reference";
    }
    return "ignored_pending";
}

milliseconds query_interval(const PolicySettings& s, int queries) {
    milliseconds interval = s.first_query_after;
    for (int i = 0; i < queries && interval < s.max_query_interval; ++i) {
        interval *= 2;
    }
    return std::min(interval, s.max_query_interval);
}

Decision after_submit(const PolicySettings& s, const PayoutFacts& f, const mm::SubmitResult& r) {
    switch (r.verdict) {
        case mm::SubmitVerdict::kAccepted: {
            Decision d;
            d.next = PayoutState::kAccepted;
            d.check_after = s.callback_wait;
            d.reason = "accepted by the partner";
            return d;
        }
        case mm::SubmitVerdict::kFailed:
            return definite_failure(
                s, f, r.failure, describe("refused by the partner", r.partner_code, r.detail)
            );
        case mm::SubmitVerdict::kUnknown:
            return ask_later(
                s, f, PayoutState::kUnknown, describe("outcome unknown", r.partner_code, r.detail)
            );
        case mm::SubmitVerdict::kNotSent: {
            if (r.failure == mm::FailureKind::kOurRequest) {
                // Our credentials were refused before anything was sent: an operations fault,
                // waited on like a float shortfall (bounded by the SLA), not hammered.
                return definite_failure(
                    s, f, r.failure, describe("credentials refused", r.partner_code, r.detail)
                );
            }
            // Certainly not processed: the same reference goes again, no new attempt.
            Decision d;
            d.next = PayoutState::kRequested;
            d.check_after = s.not_sent_retry;
            d.reason = describe("not sent", r.partner_code, r.detail);
            return d;
        }
    }
    return ask_later(s, f, PayoutState::kUnknown, "unreadable verdict");
}

Decision after_query(const PolicySettings& s, const PayoutFacts& f, const mm::StatusResult& r) {
    Decision d;
    switch (r.status) {
        case mm::PaymentStatus::kPaid:
            d = paid(describe("paid (status query)", r.partner_code, r.detail));
            break;
        case mm::PaymentStatus::kFailed:
            // A query that confirms an unrecognised failure ends it whatever the kind.
            d = f.state == PayoutState::kConfirmFailure
                    ? failed(describe("failed (status query)", r.partner_code, r.detail))
                    : definite_failure(
                          s,
                          f,
                          r.failure,
                          describe("failed (status query)", r.partner_code, r.detail)
                      );
            break;
        case mm::PaymentStatus::kNotFound:
            if (f.state == PayoutState::kConfirmFailure) {
                d = failed(describe("refused and never processed", r.partner_code, r.detail));
            } else if (f.state == PayoutState::kAccepted) {
                // The partner took it and now does not know it: never resend; reconciliation.
                d = ask_later(
                    s,
                    f,
                    PayoutState::kUnknown,
                    "accepted but not found by status query: left for reconciliation"
                );
            } else {
                // Proven never processed. Sending again under the SAME reference is safe: if
                // the first request still lands, the partner refuses the second as a duplicate.
                d.next = PayoutState::kRequested;
                d.check_after = milliseconds{0};
                d.reason = "not found by status query: sent again under the same reference";
            }
            break;
        case mm::PaymentStatus::kPending:
            d = ask_later(
                s,
                f,
                f.state == PayoutState::kSending ? PayoutState::kUnknown : f.state,
                "still pending at the partner"
            );
            if (f.state == PayoutState::kAccepted) {
                d.report = Report::kNone;  // accepted and pending: nothing unknown yet
            }
            break;
        case mm::PaymentStatus::kUnknown:
            d = ask_later(
                s,
                f,
                f.state == PayoutState::kSending ? PayoutState::kUnknown : f.state,
                describe("status query failed", r.partner_code, r.detail)
            );
            if (f.state == PayoutState::kAccepted || f.state == PayoutState::kConfirmFailure) {
                d.report = Report::kNone;
            }
            break;
    }
    d.counts_query = true;
    return d;
}

std::optional<Decision> after_statement(const PayoutFacts& facts, std::string_view statement_day) {
    if (is_final(facts.state)) {
        return std::nullopt;
    }
    return paid("paid: on the partner's statement of " + std::string{statement_day});
}

Decision retry_due(const PolicySettings& s, const PayoutFacts& f) {
    if (f.waiting_for && *f.waiting_for >= s.retry_sla) {
        return failed("not resolved within the retry window: refunded");
    }
    Decision d;
    d.next = PayoutState::kRequested;
    d.new_attempt = true;
    d.reason = "new attempt after a definite failure";
    return d;
}

CallbackDecision after_callback(
    const PolicySettings& s, const PayoutFacts& f, bool current_attempt, const mm::CallbackResult& r
) {
    CallbackDecision out;
    if (r.status == mm::PaymentStatus::kPending || r.status == mm::PaymentStatus::kUnknown ||
        r.status == mm::PaymentStatus::kNotFound) {
        out.effect = CallbackEffect::kIgnoredPending;
        return out;
    }
    const bool says_paid = r.status == mm::PaymentStatus::kPaid;
    if (is_final(f.state)) {
        const bool same = says_paid == (f.state == PayoutState::kPaid);
        out.effect = same ? CallbackEffect::kDuplicate : CallbackEffect::kIgnoredFinal;
        return out;
    }
    if (says_paid) {
        // Money went out, whichever attempt it names: record it (never pay again).
        out.effect = CallbackEffect::kApplied;
        out.decision = paid(describe("paid (callback)", r.partner_code, r.transaction_id));
        return out;
    }
    if (!current_attempt) {
        // A failure of an earlier attempt: already acted on when that attempt failed.
        out.effect = CallbackEffect::kDuplicate;
        return out;
    }
    if (f.state == PayoutState::kRetryWait || f.state == PayoutState::kRequested) {
        out.effect = CallbackEffect::kDuplicate;  // the failure is known already
        return out;
    }
    out.effect = CallbackEffect::kApplied;
    out.decision =
        f.state == PayoutState::kConfirmFailure
            ? failed(describe("failed (callback)", r.partner_code, ""))
            : definite_failure(s, f, r.failure, describe("failed (callback)", r.partner_code, ""));
    return out;
}

std::string attempt_reference(std::string_view payout_reference, int attempt_no) {
    return std::string{payout_reference} + "A" + std::to_string(attempt_no);
}

std::optional<std::string> partner_msisdn(std::string_view phone) {
    std::string digits;
    for (const char c : phone) {
        if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
            digits += c;
        } else if (c != '+' && c != ' ' && c != '-') {
            return std::nullopt;
        }
    }
    if (digits.size() != 11 || !digits.starts_with("266")) {
        return std::nullopt;
    }
    return digits;
}

}  // namespace chelete::payout
