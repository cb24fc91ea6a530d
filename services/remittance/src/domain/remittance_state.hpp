#pragma once

// The remittance state machine, in one place (ARCHITECTURE.md "A remittance, end to end";
// docs/remittance.md "States"). next_state() is the whole of it: every (state, event) pair is
// either a transition, with the ledger action it carries, or a refusal with a reason.
//
//   created ─start_screening→ screening ─approve→ approved ─funded→ funded ─dispatch_payout→
//   payout_pending ─payout_succeeded→ paid
//                  ─payout_unknown→ payout_unknown ─payout_succeeded→ paid
//                                                  ─payout_failed→ failed
//                  ─payout_failed→ failed ─refunded→ refunded
//   screening ─hold→ held ─approve→ approved;  screening/held ─reject→ rejected
//   approved ─funding_refused→ rejected (insufficient funds)
//   created/screening/held/approved/funded ─cancel→ cancelled
//
// Final states (paid, refunded, rejected, cancelled) never change. Pure: no I/O.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/result.hpp>

namespace chelete::remittance {

enum class RemittanceState : std::uint8_t {
    kCreated,
    kScreening,
    kApproved,
    kHeld,
    kRejected,
    kFunded,
    kPayoutPending,
    kPaid,
    kPayoutUnknown,
    kFailed,
    kRefunded,
    kCancelled,
};
inline constexpr std::array<RemittanceState, 12> kAllRemittanceStates{
    RemittanceState::kCreated,
    RemittanceState::kScreening,
    RemittanceState::kApproved,
    RemittanceState::kHeld,
    RemittanceState::kRejected,
    RemittanceState::kFunded,
    RemittanceState::kPayoutPending,
    RemittanceState::kPaid,
    RemittanceState::kPayoutUnknown,
    RemittanceState::kFailed,
    RemittanceState::kRefunded,
    RemittanceState::kCancelled,
};

/// "created", "screening", ..., "payout_pending", "payout_unknown", ... (API.md `status`).
[[nodiscard]] std::string_view to_string(RemittanceState state);
[[nodiscard]] std::optional<RemittanceState> remittance_state_from(std::string_view name);
/// paid, refunded, rejected, cancelled.
[[nodiscard]] bool is_final(RemittanceState state);
/// Before payout: the sender may cancel (created, screening, held, approved, funded).
[[nodiscard]] bool is_before_payout(RemittanceState state);

enum class RemittanceEvent : std::uint8_t {
    kStartScreening,   // remit asked compliance to screen it
    kApprove,          // compliance (or an officer, for a held one) approved it
    kHold,             // compliance opened a case
    kReject,           // compliance (or an officer) rejected it
    kFunded,           // the ledger accepted the pending transfer
    kFundingRefused,   // the ledger refused it: insufficient funds
    kDispatchPayout,   // payout.cmd sent to the partner adapter
    kPayoutSucceeded,  // the partner paid (callback or status query)
    kPayoutUnknown,    // no answer, or one that says neither paid nor failed
    kPayoutFailed,     // the partner says it did not pay
    kRefunded,         // the ledger voided the pending transfer after a failed payout
    kCancel,           // the sender cancelled
};
inline constexpr std::array<RemittanceEvent, 12> kAllRemittanceEvents{
    RemittanceEvent::kStartScreening,
    RemittanceEvent::kApprove,
    RemittanceEvent::kHold,
    RemittanceEvent::kReject,
    RemittanceEvent::kFunded,
    RemittanceEvent::kFundingRefused,
    RemittanceEvent::kDispatchPayout,
    RemittanceEvent::kPayoutSucceeded,
    RemittanceEvent::kPayoutUnknown,
    RemittanceEvent::kPayoutFailed,
    RemittanceEvent::kRefunded,
    RemittanceEvent::kCancel,
};
/// "start_screening", "approve", "hold", ..., "cancel".
[[nodiscard]] std::string_view to_string(RemittanceEvent event);
[[nodiscard]] std::optional<RemittanceEvent> remittance_event_from(std::string_view name);

/// What the saga asks of the ledger when it records a transition, in the same PostgreSQL
/// transaction (through the outbox, keyed by the remittance so a retry is idempotent):
///   kPendingTransfer  reserve: wallet → in-transit (receive part) and the fee → revenue, pending
///   kPost             post that pending transfer (in-transit → partner float, fee to revenue)
///   kVoid             void it: the wallet is whole again
enum class LedgerAction : std::uint8_t { kNone, kPendingTransfer, kPost, kVoid };
/// "none", "pending_transfer", "post", "void"
[[nodiscard]] std::string_view to_string(LedgerAction action);

struct Transition {
    RemittanceState to = RemittanceState::kCreated;
    LedgerAction ledger = LedgerAction::kNone;

    friend bool operator==(const Transition&, const Transition&) = default;
};

enum class TransitionRefusal : std::uint8_t {
    kFinalState,       // paid, refunded, rejected and cancelled never change (409)
    kTooLateToCancel,  // cancel once the payout has started (409)
    kNotAllowed,       // the event does not apply in this state (409, or a duplicate to ignore)
};
/// "final_state", "too_late_to_cancel", "not_allowed"
[[nodiscard]] std::string_view to_string(TransitionRefusal refusal);

struct TransitionError {
    TransitionRefusal reason = TransitionRefusal::kNotAllowed;
    std::string message;  // safe to show
};

/// The one transition function.
[[nodiscard]] platform::Result<Transition, TransitionError> next_state(
    RemittanceState from, RemittanceEvent event
);

/// One line of `status_history` (API.md): the state entered, when and why.
struct StatusChange {
    RemittanceState status = RemittanceState::kCreated;
    platform::TimePoint at;
    std::string reason;

    friend bool operator==(const StatusChange&, const StatusChange&) = default;
};

/// A remittance's state with its history. Every accepted event appends exactly one entry; a
/// refused one changes nothing.
class RemittanceLifecycle {
public:
    /// A new remittance: `created` at `at`, reason "created".
    [[nodiscard]] static RemittanceLifecycle start(platform::TimePoint at);
    /// Rebuilds from a stored history; refused unless it begins with `created` and each next
    /// entry is reachable from the one before by some event.
    [[nodiscard]] static platform::Result<RemittanceLifecycle, std::string> restore(
        std::vector<StatusChange> history
    );

    [[nodiscard]] RemittanceState state() const { return history_.back().status; }
    [[nodiscard]] const std::vector<StatusChange>& history() const { return history_; }

    /// Applies `event` at `at`; the history entry's reason is `reason`, or the event's name when
    /// empty. Answers the transition (with its ledger action) or why it was refused.
    [[nodiscard]] platform::Result<Transition, TransitionError> apply(
        RemittanceEvent event, platform::TimePoint at, std::string reason = {}
    );

private:
    explicit RemittanceLifecycle(std::vector<StatusChange> history)
        : history_(std::move(history)) {}
    std::vector<StatusChange> history_;  // never empty
};

}  // namespace chelete::remittance
