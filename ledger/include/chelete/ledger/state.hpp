#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <chelete/ledger/types.hpp>

namespace chelete::ledger {

/// What the ledger remembers of every committed transfer.
struct TransferRecord {
    Transfer transfer;  // as stored: post/void carry the resolved accounts and amount
    PendingState state = PendingState::kPending;  // meaningful for pending transfers only
    Timestamp expires_at = 0;                     // pending transfers with a timeout
};

/// One posted movement on one account, with the account's posted balances after it.
struct Entry {
    Id128 account_id;
    Timestamp timestamp = 0;  // the transfer's
    Id128 transfer_id;
    std::int64_t amount = 0;
    bool debit = false;
    std::int64_t debits_posted_after = 0;
    std::int64_t credits_posted_after = 0;
};

/// An account's four balances after a transfer touched it (history accounts only).
struct BalanceSnapshot {
    Id128 account_id;
    Timestamp timestamp = 0;
    bool debit_side = false;  // the account was the debit account of the change
    Balances balances;
};

struct Expiry {
    Id128 pending_id;
    Timestamp timestamp = 0;
};

struct FailedTransfer {
    Id128 id;
    CreateTransferResult result = CreateTransferResult::kOk;
    Timestamp timestamp = 0;
};

/// Everything one batch changed, in the order it happened: what the store must write.
struct BatchDelta {
    std::vector<Account> accounts;
    std::vector<Transfer> transfers;
    std::vector<Entry> entries;
    std::vector<BalanceSnapshot> snapshots;
    std::vector<Expiry> expiries;
    std::vector<FailedTransfer> failed;
    std::unordered_set<Id128, platform::Id128Hash> touched;  // accounts whose balances changed

    [[nodiscard]] bool empty() const {
        return accounts.empty() && transfers.empty() && expiries.empty() && failed.empty();
    }
    void clear();
};

/// The ledger's state machine: accounts, balances, transfers and pending transfers in memory,
/// and the rules of double entry. No I/O; the engine persists the BatchDelta each call fills.
/// Deterministic: the same events with the same timestamps always give the same results, which
/// is what `verify` relies on when it replays the stored history.
class LedgerState {
public:
    /// `now` is a wall-clock reading; every event gets a timestamp max(now, last + 1).
    std::vector<CreateAccountResult> create_accounts(
        std::span<const Account> accounts, Timestamp now, BatchDelta& delta
    );
    std::vector<CreateTransferResult> create_transfers(
        std::span<const Transfer> transfers, Timestamp now, BatchDelta& delta
    );
    /// Expires, in order of their deadlines, every pending transfer due by the ledger's clock:
    /// max(`now`, the last timestamp used), which never goes back even when the wall clock does.
    void expire_due(Timestamp now, BatchDelta& delta);

    /// Replay (verify): events carry their stored timestamps, which must keep increasing.
    void set_replaying(bool replaying) { replaying_ = replaying; }
    /// Replay of a stored expiry: false if that transfer was not pending or not yet due.
    bool replay_expiry(const Expiry& expiry, BatchDelta& delta);

    // Restoring a committed state at start (the store's load).
    void restore_account(const Account& account);
    void restore_transfer(const TransferRecord& record);
    void restore_failed(const Id128& id, CreateTransferResult result);
    void restore_last_timestamp(Timestamp t);

    [[nodiscard]] const Account* find_account(const Id128& id) const;
    [[nodiscard]] const TransferRecord* find_transfer(const Id128& id) const;
    [[nodiscard]] std::optional<CreateTransferResult> find_failed(const Id128& id) const;
    [[nodiscard]] Timestamp last_timestamp() const { return last_timestamp_; }
    [[nodiscard]] std::optional<Timestamp> next_expiry() const;
    [[nodiscard]] std::size_t account_count() const { return accounts_.size(); }
    [[nodiscard]] std::size_t transfer_count() const { return transfers_.size(); }
    [[nodiscard]] std::size_t pending_count() const { return open_pending_; }
    template <typename Fn>
    void for_each_account(Fn&& fn) const {
        for (const auto& [id, account] : accounts_) {
            fn(account);
        }
    }
    void reserve(std::size_t accounts, std::size_t transfers);

private:
    enum class UndoKind : std::uint8_t {
        kAccountCreated,
        kBalances,
        kTransferInserted,
        kPendingState,
        kExpiryIndexed,
        kExpiryRemoved
    };
    struct Undo {
        UndoKind kind;
        Id128 id;
        Balances balances;
        PendingState state = PendingState::kPending;
        Timestamp expires_at = 0;
    };
    struct DeltaMark {
        std::size_t accounts, transfers, entries, snapshots, failed;
    };

    Timestamp next_timestamp(Timestamp now, Timestamp given);
    CreateAccountResult create_account(const Account& input, Timestamp now, BatchDelta& delta);
    CreateTransferResult create_transfer(const Transfer& input, Timestamp now, BatchDelta& delta);
    CreateTransferResult validate(const Transfer& t) const;
    CreateTransferResult check_exists(const Transfer& t) const;
    CreateTransferResult post_or_void(const Transfer& input, Timestamp ts, BatchDelta& delta);
    CreateTransferResult single_phase_or_pending(
        const Transfer& input, Timestamp ts, BatchDelta& delta
    );
    void set_balances(
        Account& account, const Balances& balances, Timestamp ts, bool debit_side, BatchDelta& delta
    );
    void add_entry(
        const Account& account,
        const Transfer& t,
        std::int64_t amount,
        bool debit,
        BatchDelta& delta
    );
    void set_pending_state(TransferRecord& record, PendingState state);
    void expire_one(const Id128& id, Timestamp ts, BatchDelta& delta);
    void rollback_chain(std::size_t undo_mark, const DeltaMark& mark, BatchDelta& delta);
    template <
        typename Result,
        typename Event,
        typename IsLinked,
        typename ApplyOne,
        typename OnLoneFailure>
    std::vector<Result> apply_chains(
        std::span<const Event> events,
        BatchDelta& delta,
        IsLinked is_linked,
        ApplyOne apply_one,
        OnLoneFailure on_lone_failure
    );
    static DeltaMark mark_of(const BatchDelta& delta);

    std::unordered_map<Id128, Account, platform::Id128Hash> accounts_;
    std::unordered_map<Id128, TransferRecord, platform::Id128Hash> transfers_;
    std::unordered_map<Id128, CreateTransferResult, platform::Id128Hash> failed_;
    std::set<std::pair<Timestamp, Id128>> expiry_index_;
    std::size_t open_pending_ = 0;
    Timestamp last_timestamp_ = 0;
    bool replaying_ = false;
    bool in_chain_ = false;
    std::vector<Undo> undo_;
};

}  // namespace chelete::ledger
