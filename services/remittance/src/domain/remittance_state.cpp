#include "domain/remittance_state.hpp"

#include <algorithm>
#include <utility>

#include <chelete/platform/enum_names.hpp>

namespace chelete::remittance {
namespace {

using platform::name_of;
using platform::value_of;

using S = RemittanceState;
using E = RemittanceEvent;
using L = LedgerAction;

struct Edge {
    S from;
    E event;
    S to;
    L ledger;
};

// Every allowed transition; everything else is refused. docs/remittance.md "States" has the same
// table in words.
constexpr std::array<Edge, 20> kEdges{{
    {S::kCreated, E::kStartScreening, S::kScreening, L::kNone},
    {S::kScreening, E::kApprove, S::kApproved, L::kPendingTransfer},
    {S::kScreening, E::kHold, S::kHeld, L::kNone},
    {S::kScreening, E::kReject, S::kRejected, L::kNone},
    {S::kHeld, E::kApprove, S::kApproved, L::kPendingTransfer},
    {S::kHeld, E::kReject, S::kRejected, L::kNone},
    {S::kApproved, E::kFunded, S::kFunded, L::kNone},
    {S::kApproved, E::kFundingRefused, S::kRejected, L::kNone},
    {S::kFunded, E::kDispatchPayout, S::kPayoutPending, L::kNone},
    {S::kPayoutPending, E::kPayoutSucceeded, S::kPaid, L::kPost},
    {S::kPayoutPending, E::kPayoutUnknown, S::kPayoutUnknown, L::kNone},
    {S::kPayoutPending, E::kPayoutFailed, S::kFailed, L::kVoid},
    {S::kPayoutUnknown, E::kPayoutSucceeded, S::kPaid, L::kPost},
    {S::kPayoutUnknown, E::kPayoutFailed, S::kFailed, L::kVoid},
    {S::kFailed, E::kRefunded, S::kRefunded, L::kNone},
    // Cancel before payout. From approved and funded the pending transfer was asked for (it
    // travels on the same ordered ledger stream ahead of the void), so the cancel voids it.
    {S::kCreated, E::kCancel, S::kCancelled, L::kNone},
    {S::kScreening, E::kCancel, S::kCancelled, L::kNone},
    {S::kHeld, E::kCancel, S::kCancelled, L::kNone},
    {S::kApproved, E::kCancel, S::kCancelled, L::kVoid},
    {S::kFunded, E::kCancel, S::kCancelled, L::kVoid},
}};

constexpr std::array<std::pair<S, std::string_view>, 12> kStateNames{{
    {S::kCreated, "created"},
    {S::kScreening, "screening"},
    {S::kApproved, "approved"},
    {S::kHeld, "held"},
    {S::kRejected, "rejected"},
    {S::kFunded, "funded"},
    {S::kPayoutPending, "payout_pending"},
    {S::kPaid, "paid"},
    {S::kPayoutUnknown, "payout_unknown"},
    {S::kFailed, "failed"},
    {S::kRefunded, "refunded"},
    {S::kCancelled, "cancelled"},
}};

constexpr std::array<std::pair<E, std::string_view>, 12> kEventNames{{
    {E::kStartScreening, "start_screening"},
    {E::kApprove, "approve"},
    {E::kHold, "hold"},
    {E::kReject, "reject"},
    {E::kFunded, "funded"},
    {E::kFundingRefused, "funding_refused"},
    {E::kDispatchPayout, "dispatch_payout"},
    {E::kPayoutSucceeded, "payout_succeeded"},
    {E::kPayoutUnknown, "payout_unknown"},
    {E::kPayoutFailed, "payout_failed"},
    {E::kRefunded, "refunded"},
    {E::kCancel, "cancel"},
}};

const Edge* find_edge(S from, E event) {
    for (const Edge& edge : kEdges) {
        if (edge.from == from && edge.event == event) {
            return &edge;
        }
    }
    return nullptr;
}

bool reachable_in_one_step(S from, S to) {
    return std::any_of(kAllRemittanceEvents.begin(), kAllRemittanceEvents.end(), [&](E event) {
        const Edge* edge = find_edge(from, event);
        return edge != nullptr && edge->to == to;
    });
}

}  // namespace

std::string_view to_string(RemittanceState state) {
    return name_of(kStateNames, state);
}

std::optional<RemittanceState> remittance_state_from(std::string_view name) {
    return value_of(kStateNames, name);
}

std::string_view to_string(RemittanceEvent event) {
    return name_of(kEventNames, event);
}

std::optional<RemittanceEvent> remittance_event_from(std::string_view name) {
    return value_of(kEventNames, name);
}

std::string_view to_string(LedgerAction action) {
    switch (action) {
        case L::kNone:
            return "none";
        case L::kPendingTransfer:
            return "pending_transfer";
        case L::kPost:
            return "post";
        case L::kVoid:
            return "void";
    }
    return "unknown";
}

std::string_view to_string(TransitionRefusal refusal) {
    switch (refusal) {
        case TransitionRefusal::kFinalState:
            return "final_state";
        case TransitionRefusal::kTooLateToCancel:
            return "too_late_to_cancel";
        case TransitionRefusal::kNotAllowed:
            return "not_allowed";
    }
    return "unknown";
}

bool is_final(RemittanceState state) {
    return state == S::kPaid || state == S::kRefunded || state == S::kRejected ||
           state == S::kCancelled;
}

bool is_before_payout(RemittanceState state) {
    return state == S::kCreated || state == S::kScreening || state == S::kHeld ||
           state == S::kApproved || state == S::kFunded;
}

platform::Result<Transition, TransitionError> next_state(
    RemittanceState from, RemittanceEvent event
) {
    if (is_final(from)) {
        return platform::err(TransitionError{
            TransitionRefusal::kFinalState,
            "the remittance is " + std::string(to_string(from)) + " and can no longer change"});
    }
    if (const Edge* edge = find_edge(from, event)) {
        return Transition{edge->to, edge->ledger};
    }
    if (event == E::kCancel) {
        return platform::err(TransitionError{
            TransitionRefusal::kTooLateToCancel,
            "the payout has started (" + std::string(to_string(from)) +
                "); a remittance can be cancelled only before payout"});
    }
    return platform::err(TransitionError{
        TransitionRefusal::kNotAllowed,
        std::string(to_string(event)) + " does not apply to a " + std::string(to_string(from)) +
            " remittance"});
}

RemittanceLifecycle RemittanceLifecycle::start(platform::TimePoint at) {
    return RemittanceLifecycle({StatusChange{S::kCreated, at, "created"}});
}

platform::Result<RemittanceLifecycle, std::string> RemittanceLifecycle::restore(
    std::vector<StatusChange> history
) {
    if (history.empty() || history.front().status != S::kCreated) {
        return platform::err(std::string("a remittance's history begins with created"));
    }
    for (std::size_t i = 1; i < history.size(); ++i) {
        const S from = history[i - 1].status;
        const S to = history[i].status;
        if (is_final(from) || !reachable_in_one_step(from, to)) {
            return platform::err(
                "entry " + std::to_string(i + 1) + ": " + std::string(to_string(from)) + " → " +
                std::string(to_string(to)) + " is not a transition"
            );
        }
    }
    return RemittanceLifecycle(std::move(history));
}

platform::Result<Transition, TransitionError> RemittanceLifecycle::apply(
    RemittanceEvent event, platform::TimePoint at, std::string reason
) {
    auto transition = next_state(state(), event);
    if (transition) {
        if (reason.empty()) {
            reason = std::string(to_string(event));
        }
        history_.push_back(StatusChange{transition->to, at, std::move(reason)});
    }
    return transition;
}

}  // namespace chelete::remittance
