#pragma once

// What the payout service does next with a payout, given what a partner said. Pure: no I/O, no
// clock of its own (the caller passes durations it measured), so every rule of DOMAIN.md §2 is
// unit-tested (payout_policy_test.cpp). The service (payout_service.cpp) only stores decisions.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <chelete/mobile_money/partner.hpp>

namespace chelete::payout {

enum class PayoutState : std::uint8_t {
    kRequested,       // to be sent with current_reference
    kSending,         // handed to the partner; the answer is not stored yet
    kAccepted,        // the partner took it; waiting for the callback, then asking
    kUnknown,         // may or may not be paid: asked by status query until it is known
    kConfirmFailure,  // an unrecognised code: terminal unless a query shows it paid
    kRetryWait,       // a definite failure of ours (float, configuration): a new attempt later
    kPaid,
    kFailed,
};
[[nodiscard]] std::string_view to_string(PayoutState state);
[[nodiscard]] std::optional<PayoutState> payout_state_from_string(std::string_view text);
[[nodiscard]] inline bool is_final(PayoutState s) {
    return s == PayoutState::kPaid || s == PayoutState::kFailed;
}

/// What payout.events hears (the remittance saga's payout.outcome).
enum class Report : std::uint8_t { kNone, kPaid, kFailed, kUnknown };

struct PolicySettings {
    std::chrono::milliseconds callback_wait{std::chrono::seconds{30}};  // accepted -> first query
    std::chrono::milliseconds first_query_after{std::chrono::seconds{5}};
    std::chrono::milliseconds max_query_interval{std::chrono::minutes{15}};
    std::chrono::milliseconds not_sent_retry{std::chrono::seconds{5}};
    std::chrono::milliseconds retry_wait{std::chrono::seconds{60}};  // float / configuration
    /// How long a payout may wait for a float top-up or a fixed configuration before it is
    /// failed and refunded (the bounded SLA of DOMAIN.md §5).
    std::chrono::milliseconds retry_sla{std::chrono::hours{4}};
};

/// Facts about the payout the rules need beyond its state.
struct PayoutFacts {
    PayoutState state = PayoutState::kRequested;
    int queries = 0;  // status queries made so far (for the backoff)
    bool unknown_reported = false;
    /// Since the first failure that put the payout in retry_wait (nullopt: not waiting).
    std::optional<std::chrono::milliseconds> waiting_for;
};

struct Decision {
    PayoutState next = PayoutState::kRequested;
    /// The next send must use a new reference (only after a definite failure).
    bool new_attempt = false;
    /// When to look at the payout again (ignored for final states).
    std::chrono::milliseconds check_after{0};
    Report report = Report::kNone;
    std::string reason;
    bool counts_query = false;  // the decision followed a status query
};

/// After the partner answered (or did not answer) a submit.
[[nodiscard]] Decision after_submit(
    const PolicySettings& settings, const PayoutFacts& facts, const mobile_money::SubmitResult& r
);
/// After a status query about the current reference.
[[nodiscard]] Decision after_query(
    const PolicySettings& settings, const PayoutFacts& facts, const mobile_money::StatusResult& r
);
/// The partner's statement of a closed day shows the payout paid under one of its references, for
/// its amount (reconciliation, docs/payout.md): the partner's own record of money that left. A
/// payout not final yet is paid, whatever a query or callback said or never said (an outcome
/// unknown for days, a partner that forgot the request it paid). nullopt for a final payout: a
/// paid one stays as it is, a failed one seen paid is a break for finance, never reopened.
[[nodiscard]] std::optional<Decision> after_statement(
    const PayoutFacts& facts, std::string_view statement_day
);
/// A payout waiting in retry_wait came due: a new attempt, or failed past the SLA.
[[nodiscard]] Decision retry_due(const PolicySettings& settings, const PayoutFacts& facts);

/// What a callback does to the payout.
enum class CallbackEffect : std::uint8_t {
    kApplied,
    kDuplicate,        // the payout already has this outcome
    kIgnoredFinal,     // the payout is final with another outcome: nothing changes (logged)
    kIgnoredPending,   // an interim or stale status: never moves a payout back
    kUnknownReference  // no attempt of ours (decided by the caller)
};
[[nodiscard]] std::string_view to_string(CallbackEffect effect);

struct CallbackDecision {
    CallbackEffect effect = CallbackEffect::kIgnoredPending;
    std::optional<Decision> decision;  // set when kApplied
};
/// `current_attempt`: the callback names the payout's current reference (not an older attempt).
[[nodiscard]] CallbackDecision after_callback(
    const PolicySettings& settings,
    const PayoutFacts& facts,
    bool current_attempt,
    const mobile_money::CallbackResult& r
);

/// The backoff between status queries: first_query_after doubled per query, capped.
[[nodiscard]] std::chrono::milliseconds query_interval(const PolicySettings& settings, int queries);

/// The partner's reference for attempt `n` of a payout: the payout reference (32 hex digits)
/// followed by "A" and the attempt number, at most 40 characters as M-Pesa allows.
[[nodiscard]] std::string attempt_reference(std::string_view payout_reference, int attempt_no);

/// A beneficiary phone in the partner's form: "266" and 8 digits; nullopt otherwise.
[[nodiscard]] std::optional<std::string> partner_msisdn(std::string_view phone);

}  // namespace chelete::payout
