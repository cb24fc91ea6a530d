#include "domain/remittance_state.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace chelete::remittance {
namespace {

using namespace std::chrono_literals;
using S = RemittanceState;
using E = RemittanceEvent;
using L = LedgerAction;

constexpr platform::TimePoint kT0{std::chrono::milliseconds{1'795'000'000'000}};

/// The expected machine, written out independently of the implementation's table
/// (ARCHITECTURE.md and docs/remittance.md "States").
const std::map<std::pair<S, E>, Transition>& expected_transitions() {
    static const std::map<std::pair<S, E>, Transition> kTable{
        {{S::kCreated, E::kStartScreening}, {S::kScreening, L::kNone}},
        {{S::kCreated, E::kCancel}, {S::kCancelled, L::kNone}},
        {{S::kScreening, E::kApprove}, {S::kApproved, L::kPendingTransfer}},
        {{S::kScreening, E::kHold}, {S::kHeld, L::kNone}},
        {{S::kScreening, E::kReject}, {S::kRejected, L::kNone}},
        {{S::kScreening, E::kCancel}, {S::kCancelled, L::kNone}},
        {{S::kHeld, E::kApprove}, {S::kApproved, L::kPendingTransfer}},
        {{S::kHeld, E::kReject}, {S::kRejected, L::kNone}},
        {{S::kHeld, E::kCancel}, {S::kCancelled, L::kNone}},
        {{S::kApproved, E::kFunded}, {S::kFunded, L::kNone}},
        {{S::kApproved, E::kFundingRefused}, {S::kRejected, L::kNone}},
        {{S::kApproved, E::kCancel}, {S::kCancelled, L::kVoid}},
        {{S::kFunded, E::kDispatchPayout}, {S::kPayoutPending, L::kNone}},
        {{S::kFunded, E::kCancel}, {S::kCancelled, L::kVoid}},
        {{S::kPayoutPending, E::kPayoutSucceeded}, {S::kPaid, L::kPost}},
        {{S::kPayoutPending, E::kPayoutUnknown}, {S::kPayoutUnknown, L::kNone}},
        {{S::kPayoutPending, E::kPayoutFailed}, {S::kFailed, L::kVoid}},
        {{S::kPayoutUnknown, E::kPayoutSucceeded}, {S::kPaid, L::kPost}},
        {{S::kPayoutUnknown, E::kPayoutFailed}, {S::kFailed, L::kVoid}},
        {{S::kFailed, E::kRefunded}, {S::kRefunded, L::kNone}},
    };
    return kTable;
}

constexpr std::array kFinal{S::kPaid, S::kRefunded, S::kRejected, S::kCancelled};
constexpr std::array kBeforePayout{S::kCreated, S::kScreening, S::kHeld, S::kApproved, S::kFunded};

template <std::size_t N>
bool contains(const std::array<S, N>& states, S state) {
    return std::find(states.begin(), states.end(), state) != states.end();
}

TEST(RemittanceStateTest, EveryStateAndEventPairIsAllowedOrRefusedAsSpecified) {
    std::size_t allowed = 0;
    std::size_t refused = 0;
    for (const S from : kAllRemittanceStates) {
        for (const E event : kAllRemittanceEvents) {
            const auto result = next_state(from, event);
            const auto expected = expected_transitions().find({from, event});
            const std::string pair =
                std::string(to_string(from)) + " + " + std::string(to_string(event));
            if (expected != expected_transitions().end()) {
                ASSERT_TRUE(result.ok()) << pair << ": " << result.error().message;
                EXPECT_EQ(result.value(), expected->second) << pair;
                ++allowed;
                continue;
            }
            ASSERT_FALSE(result.ok()) << pair << " must be refused";
            TransitionRefusal reason = TransitionRefusal::kNotAllowed;
            if (contains(kFinal, from)) {
                reason = TransitionRefusal::kFinalState;
            } else if (event == E::kCancel) {
                reason = TransitionRefusal::kTooLateToCancel;
            }
            EXPECT_EQ(result.error().reason, reason) << pair;
            EXPECT_FALSE(result.error().message.empty()) << pair;
            ++refused;
        }
    }
    EXPECT_EQ(allowed, 20U);
    EXPECT_EQ(refused, 12U * 12U - 20U);
}

TEST(RemittanceStateTest, FinalStatesNeverChange) {
    for (const S state : kAllRemittanceStates) {
        EXPECT_EQ(is_final(state), contains(kFinal, state)) << to_string(state);
    }
    for (const S final_state : kFinal) {
        for (const E event : kAllRemittanceEvents) {
            const auto result = next_state(final_state, event);
            ASSERT_FALSE(result.ok()) << to_string(final_state) << " + " << to_string(event);
            EXPECT_EQ(result.error().reason, TransitionRefusal::kFinalState);
        }
    }
    // And through a lifecycle: a refused event leaves state and history alone.
    auto lifecycle = RemittanceLifecycle::start(kT0);
    ASSERT_TRUE(lifecycle.apply(E::kCancel, kT0 + 1s, "changed my mind").ok());
    const auto before = lifecycle.history();
    for (const E event : kAllRemittanceEvents) {
        EXPECT_FALSE(lifecycle.apply(event, kT0 + 2s).ok()) << to_string(event);
    }
    EXPECT_EQ(lifecycle.state(), S::kCancelled);
    EXPECT_EQ(lifecycle.history(), before);
}

TEST(RemittanceStateTest, CancelOnlyBeforePayout) {
    for (const S state : kAllRemittanceStates) {
        EXPECT_EQ(is_before_payout(state), contains(kBeforePayout, state)) << to_string(state);
        const auto result = next_state(state, E::kCancel);
        EXPECT_EQ(result.ok(), contains(kBeforePayout, state)) << to_string(state);
    }
    for (const S started : {S::kPayoutPending, S::kPayoutUnknown, S::kFailed}) {
        const auto result = next_state(started, E::kCancel);
        ASSERT_FALSE(result.ok());
        EXPECT_EQ(result.error().reason, TransitionRefusal::kTooLateToCancel) << to_string(started);
        EXPECT_EQ(to_string(result.error().reason), "too_late_to_cancel");
    }
    // Once money is reserved (approved asked for the pending transfer), a cancel voids it.
    EXPECT_EQ(next_state(S::kFunded, E::kCancel).value(), (Transition{S::kCancelled, L::kVoid}));
    EXPECT_EQ(next_state(S::kApproved, E::kCancel).value(), (Transition{S::kCancelled, L::kVoid}));
    EXPECT_EQ(next_state(S::kHeld, E::kCancel).value(), (Transition{S::kCancelled, L::kNone}));
}

TEST(RemittanceStateTest, HappyPathWritesOneHistoryEntryPerTransition) {
    auto lifecycle = RemittanceLifecycle::start(kT0);
    ASSERT_EQ(lifecycle.history().size(), 1U);
    EXPECT_EQ(lifecycle.history()[0], (StatusChange{S::kCreated, kT0, "created"}));

    const std::vector<std::pair<E, L>> steps{
        {E::kStartScreening, L::kNone},
        {E::kApprove, L::kPendingTransfer},
        {E::kFunded, L::kNone},
        {E::kDispatchPayout, L::kNone},
        {E::kPayoutSucceeded, L::kPost},
    };
    auto at = kT0;
    for (const auto& [event, ledger] : steps) {
        at += 1s;
        const auto transition = lifecycle.apply(event, at);
        ASSERT_TRUE(transition.ok()) << to_string(event);
        EXPECT_EQ(transition->ledger, ledger) << to_string(event);
        EXPECT_EQ(lifecycle.history().back().at, at);
        EXPECT_EQ(lifecycle.history().back().reason, to_string(event)) << "default reason";
    }
    EXPECT_EQ(lifecycle.state(), S::kPaid);
    std::vector<S> statuses;
    for (const StatusChange& change : lifecycle.history()) {
        statuses.push_back(change.status);
    }
    EXPECT_EQ(
        statuses,
        (std::vector<S>{
            S::kCreated, S::kScreening, S::kApproved, S::kFunded, S::kPayoutPending, S::kPaid})
    );
}

TEST(RemittanceStateTest, AFailedPayoutIsVoidedThenRefunded) {
    auto lifecycle = RemittanceLifecycle::start(kT0);
    for (const E event : {E::kStartScreening, E::kApprove, E::kFunded, E::kDispatchPayout}) {
        ASSERT_TRUE(lifecycle.apply(event, kT0).ok());
    }
    const auto unknown = lifecycle.apply(E::kPayoutUnknown, kT0 + 1min, "partner timeout");
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->ledger, L::kNone) << "an unknown outcome moves no money";
    const auto failed =
        lifecycle.apply(E::kPayoutFailed, kT0 + 2min, "status query: wallet closed");
    ASSERT_TRUE(failed.ok());
    EXPECT_EQ(failed.value(), (Transition{S::kFailed, L::kVoid}));
    const auto refunded = lifecycle.apply(E::kRefunded, kT0 + 3min);
    ASSERT_TRUE(refunded.ok());
    EXPECT_EQ(refunded->to, S::kRefunded);
    EXPECT_EQ(lifecycle.history().size(), 8U);
    EXPECT_EQ(
        lifecycle.history()[5], (StatusChange{S::kPayoutUnknown, kT0 + 1min, "partner timeout"})
    );
    EXPECT_EQ(lifecycle.history()[6].reason, "status query: wallet closed");
    EXPECT_FALSE(lifecycle.apply(E::kPayoutSucceeded, kT0 + 4min).ok()) << "refunded is final";
}

TEST(RemittanceStateTest, AnUnknownPayoutCanStillBePaid) {
    EXPECT_EQ(
        next_state(S::kPayoutUnknown, E::kPayoutSucceeded).value(), (Transition{S::kPaid, L::kPost})
    );
    const auto again = next_state(S::kPayoutUnknown, E::kPayoutUnknown);
    ASSERT_FALSE(again.ok()) << "a second unknown is a duplicate for the saga to ignore";
    EXPECT_EQ(again.error().reason, TransitionRefusal::kNotAllowed);
}

TEST(RemittanceStateTest, HeldGoesToApprovedOrRejected) {
    EXPECT_EQ(
        next_state(S::kHeld, E::kApprove).value(), (Transition{S::kApproved, L::kPendingTransfer})
    );
    EXPECT_EQ(next_state(S::kHeld, E::kReject).value(), (Transition{S::kRejected, L::kNone}));
    const auto hold_again = next_state(S::kHeld, E::kHold);
    ASSERT_FALSE(hold_again.ok());
    EXPECT_EQ(hold_again.error().message, "hold does not apply to a held remittance");
}

TEST(RemittanceStateTest, InsufficientFundsRejectsWithoutLedgerWork) {
    auto lifecycle = RemittanceLifecycle::start(kT0);
    ASSERT_TRUE(lifecycle.apply(E::kStartScreening, kT0).ok());
    ASSERT_TRUE(lifecycle.apply(E::kApprove, kT0).ok());
    const auto refused = lifecycle.apply(E::kFundingRefused, kT0 + 1s, "insufficient_funds");
    ASSERT_TRUE(refused.ok());
    EXPECT_EQ(refused.value(), (Transition{S::kRejected, L::kNone}));
    EXPECT_EQ(
        lifecycle.history().back(), (StatusChange{S::kRejected, kT0 + 1s, "insufficient_funds"})
    );
}

TEST(RemittanceStateTest, ARefusedEventWritesNoHistory) {
    auto lifecycle = RemittanceLifecycle::start(kT0);
    const auto result = lifecycle.apply(E::kPayoutSucceeded, kT0 + 1s);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().reason, TransitionRefusal::kNotAllowed);
    EXPECT_EQ(lifecycle.history().size(), 1U);
    EXPECT_EQ(lifecycle.state(), S::kCreated);
}

TEST(RemittanceStateTest, EveryStateIsReachableAndEveryOpenStateCanFinish) {
    // From created, breadth first over the real transition function.
    std::set<S> seen{S::kCreated};
    std::vector<S> queue{S::kCreated};
    while (!queue.empty()) {
        const S from = queue.back();
        queue.pop_back();
        for (const E event : kAllRemittanceEvents) {
            if (const auto t = next_state(from, event); t.ok() && seen.insert(t->to).second) {
                queue.push_back(t->to);
            }
        }
    }
    EXPECT_EQ(seen.size(), kAllRemittanceStates.size());
    // No dead ends: every state that is not final has a way forward to a final one.
    for (const S state : kAllRemittanceStates) {
        if (is_final(state)) {
            continue;
        }
        std::set<S> reach{state};
        std::vector<S> todo{state};
        bool finishes = false;
        while (!todo.empty() && !finishes) {
            const S from = todo.back();
            todo.pop_back();
            for (const E event : kAllRemittanceEvents) {
                if (const auto t = next_state(from, event); t.ok()) {
                    finishes = finishes || is_final(t->to);
                    if (reach.insert(t->to).second) {
                        todo.push_back(t->to);
                    }
                }
            }
        }
        EXPECT_TRUE(finishes) << to_string(state);
    }
}

TEST(RemittanceStateTest, MoneyIsReservedOnceAndSettledOnce) {
    // Along any path, pending_transfer comes before post or void, and at most one of each.
    // Walk every path from created (the graph is acyclic).
    std::size_t paths = 0;
    std::function<void(S, int, int)> walk = [&](S from, int pending, int settled) {
        if (is_final(from)) {
            ++paths;
            EXPECT_LE(pending, 1);
            EXPECT_LE(settled, pending) << "nothing to post or void without a pending transfer";
            if (from == S::kPaid || from == S::kRefunded) {
                EXPECT_EQ(settled, 1) << to_string(from);
            }
            return;
        }
        for (const E event : kAllRemittanceEvents) {
            if (const auto t = next_state(from, event); t.ok()) {
                walk(
                    t->to,
                    pending + (t->ledger == L::kPendingTransfer ? 1 : 0),
                    settled + (t->ledger == L::kPost || t->ledger == L::kVoid ? 1 : 0)
                );
            }
        }
    };
    walk(S::kCreated, 0, 0);
    EXPECT_GT(paths, 10U);
}

TEST(RemittanceStateTest, RestoreChecksTheStoredHistory) {
    const std::vector<StatusChange> good{
        {S::kCreated, kT0, "created"},
        {S::kScreening, kT0 + 1s, "start_screening"},
        {S::kHeld, kT0 + 2s, "watchlist: possible match"},
        {S::kApproved, kT0 + 1h, "officer cleared"},
    };
    const auto restored = RemittanceLifecycle::restore(good);
    ASSERT_TRUE(restored.ok());
    EXPECT_EQ(restored->state(), S::kApproved);
    EXPECT_EQ(restored->history(), good);

    EXPECT_FALSE(RemittanceLifecycle::restore({}).ok());
    EXPECT_FALSE(RemittanceLifecycle::restore({{S::kScreening, kT0, ""}}).ok());
    const auto skipped =
        RemittanceLifecycle::restore({{S::kCreated, kT0, ""}, {S::kPaid, kT0, ""}});
    ASSERT_FALSE(skipped.ok());
    EXPECT_EQ(skipped.error(), "entry 2: created → paid is not a transition");
    EXPECT_FALSE(RemittanceLifecycle::restore(
                     {{S::kCreated, kT0, ""}, {S::kCancelled, kT0, ""}, {S::kScreening, kT0, ""}}
    ).ok()
    ) << "nothing follows a final state";
}

TEST(RemittanceStateTest, NamesMatchTheApi) {
    std::set<std::string_view> state_names;
    for (const S state : kAllRemittanceStates) {
        EXPECT_EQ(remittance_state_from(to_string(state)), state);
        state_names.insert(to_string(state));
    }
    EXPECT_EQ(
        state_names,
        (std::set<std::string_view>{
            "created",
            "screening",
            "approved",
            "held",
            "rejected",
            "funded",
            "payout_pending",
            "paid",
            "payout_unknown",
            "failed",
            "refunded",
            "cancelled"})
    );
    std::set<std::string_view> event_names;
    for (const E event : kAllRemittanceEvents) {
        EXPECT_EQ(remittance_event_from(to_string(event)), event);
        event_names.insert(to_string(event));
    }
    EXPECT_EQ(event_names.size(), kAllRemittanceEvents.size());
    EXPECT_FALSE(remittance_state_from("PAID").has_value());
    EXPECT_FALSE(remittance_event_from("").has_value());
    EXPECT_EQ(to_string(L::kPendingTransfer), "pending_transfer");
    EXPECT_EQ(to_string(L::kVoid), "void");
    EXPECT_EQ(to_string(TransitionRefusal::kFinalState), "final_state");
}

}  // namespace
}  // namespace chelete::remittance
