#include <algorithm>

#include <chelete/ledger/state.hpp>

namespace chelete::ledger {
namespace {

using R = CreateTransferResult;
using platform::checked_add;
using platform::checked_sub;

constexpr Timestamp kNanosPerSecond = 1'000'000'000ULL;

bool is_zero(const Id128& id) {
    return id.is_zero();
}

/// Adds `amount` to one balance field on each side of a transfer, or names the side that would
/// overflow (and changes nothing).
R add_to_both(
    std::int64_t& debit_field,
    std::int64_t& credit_field,
    std::int64_t amount,
    R debit_overflow,
    R credit_overflow
) {
    const auto debit = checked_add(debit_field, amount);
    if (!debit) {
        return debit_overflow;
    }
    const auto credit = checked_add(credit_field, amount);
    if (!credit) {
        return credit_overflow;
    }
    debit_field = *debit;
    credit_field = *credit;
    return R::kOk;
}

}  // namespace

void BatchDelta::clear() {
    accounts.clear();
    transfers.clear();
    entries.clear();
    snapshots.clear();
    expiries.clear();
    failed.clear();
    touched.clear();
}

void LedgerState::reserve(std::size_t accounts, std::size_t transfers) {
    accounts_.reserve(accounts);
    transfers_.reserve(transfers);
}

Timestamp LedgerState::next_timestamp(Timestamp now, Timestamp given) {
    if (replaying_) {
        last_timestamp_ = given;
        return given;
    }
    last_timestamp_ = std::max(now, last_timestamp_ + 1);
    return last_timestamp_;
}

LedgerState::DeltaMark LedgerState::mark_of(const BatchDelta& delta) {
    return DeltaMark{
        delta.accounts.size(),
        delta.transfers.size(),
        delta.entries.size(),
        delta.snapshots.size(),
        delta.failed.size()};
}

// ---- accounts ----------------------------------------------------------------------------------

// A request is a sequence of chains: runs of events flagged linked, closed by the next event
// without the flag; a lone event is a chain of one. A chain applies all or nothing. A chain whose
// events all answer `exists` is the retry of a committed chain, so each keeps `exists`; one that
// mixes existing and new events is refused (the new ones answer linked_event_failed), since the
// committed chain it repeats was different.
template <
    typename Result,
    typename Event,
    typename IsLinked,
    typename ApplyOne,
    typename OnLoneFailure>
std::vector<Result> LedgerState::apply_chains(
    std::span<const Event> events,
    BatchDelta& delta,
    IsLinked is_linked,
    ApplyOne apply_one,
    OnLoneFailure on_lone_failure
) {
    std::vector<Result> results(events.size(), Result::kOk);
    std::size_t chain_start = 0;
    bool chain_failed = false;
    bool chain_has_existing = false;
    bool chain_has_new = false;
    std::size_t undo_mark = 0;
    DeltaMark mark{};
    for (std::size_t i = 0; i < events.size(); ++i) {
        const bool linked = is_linked(events[i]);
        if (!in_chain_) {
            chain_start = i;
            chain_failed = false;
            chain_has_existing = false;
            chain_has_new = false;
            undo_mark = undo_.size();
            mark = mark_of(delta);
            in_chain_ = linked;
        }
        const bool in_chain = in_chain_;
        if (chain_failed) {
            results[i] = Result::kLinkedEventFailed;
        } else {
            results[i] = apply_one(events[i]);
            const bool ok = results[i] == Result::kOk;
            const bool existing = results[i] == Result::kExists;
            chain_has_new = chain_has_new || ok;
            chain_has_existing = chain_has_existing || existing;
            if (!ok && !(existing && in_chain)) {
                if (in_chain) {
                    chain_failed = true;
                    for (std::size_t j = chain_start; j < i; ++j) {
                        results[j] = Result::kLinkedEventFailed;
                    }
                    rollback_chain(undo_mark, mark, delta);
                } else {
                    on_lone_failure(events[i], results[i]);
                }
            }
        }
        if (in_chain && !linked) {
            in_chain_ = false;  // the chain's last event
            if (!chain_failed && chain_has_existing && chain_has_new) {
                rollback_chain(undo_mark, mark, delta);
                for (std::size_t j = chain_start; j <= i; ++j) {
                    if (results[j] == Result::kOk) {
                        results[j] = Result::kLinkedEventFailed;
                    }
                }
            }
        }
    }
    if (in_chain_) {
        // A chain left open at the end of the request fails as a whole. One that already broke
        // keeps its results: the failing event's own, linked_event_failed for the rest.
        if (!chain_failed) {
            rollback_chain(undo_mark, mark, delta);
            for (std::size_t j = chain_start; j < events.size(); ++j) {
                results[j] = Result::kLinkedEventFailed;
            }
            results.back() = Result::kLinkedEventChainOpen;
        }
        in_chain_ = false;
    }
    undo_.clear();
    return results;
}

std::vector<CreateAccountResult> LedgerState::create_accounts(
    std::span<const Account> accounts, Timestamp now, BatchDelta& delta
) {
    return apply_chains<CreateAccountResult>(
        accounts,
        delta,
        [](const Account& a) { return (a.flags & kAccountLinked) != 0; },
        [&](const Account& a) { return create_account(a, now, delta); },
        [](const Account&, CreateAccountResult) {}
    );
}

CreateAccountResult LedgerState::create_account(
    const Account& input, Timestamp now, BatchDelta& delta
) {
    if (input.timestamp != 0 && !replaying_) {
        return CreateAccountResult::kTimestampMustBeZero;
    }
    if ((input.flags & ~kAccountFlagsKnown) != 0) {
        return CreateAccountResult::kReservedFlag;
    }
    if (input.id.is_zero()) {
        return CreateAccountResult::kIdMustNotBeZero;
    }
    if ((input.flags & kDebitsMustNotExceedCredits) != 0 &&
        (input.flags & kCreditsMustNotExceedDebits) != 0) {
        return CreateAccountResult::kFlagsAreMutuallyExclusive;
    }
    if (input.code == 0) {
        return CreateAccountResult::kCodeMustNotBeZero;
    }
    if (input.balances != Balances{}) {
        return CreateAccountResult::kBalancesMustBeZero;
    }
    if (const auto it = accounts_.find(input.id); it != accounts_.end()) {
        return it->second.same_definition(input) ? CreateAccountResult::kExists
                                                 : CreateAccountResult::kExistsWithDifferentFields;
    }
    Account account = input;
    account.timestamp = next_timestamp(now, input.timestamp);
    accounts_.emplace(account.id, account);
    if (in_chain_) {
        undo_.push_back(Undo{UndoKind::kAccountCreated, account.id, {}, {}, 0});
    }
    delta.accounts.push_back(account);
    return CreateAccountResult::kOk;
}

// ---- transfers ---------------------------------------------------------------------------------

std::vector<CreateTransferResult> LedgerState::create_transfers(
    std::span<const Transfer> transfers, Timestamp now, BatchDelta& delta
) {
    return apply_chains<CreateTransferResult>(
        transfers,
        delta,
        [](const Transfer& t) { return t.is_linked(); },
        [&](const Transfer& t) { return create_transfer(t, now, delta); },
        [&](const Transfer& t, CreateTransferResult result) {
            // Outside a chain a transient failure spends the id (see is_transient).
            if (is_transient(result) && !t.id.is_zero() &&
                transfers_.find(t.id) == transfers_.end()) {
                const Timestamp ts = next_timestamp(now, t.timestamp);
                failed_.emplace(t.id, result);
                delta.failed.push_back(FailedTransfer{t.id, result, ts});
            }
        }
    );
}

CreateTransferResult LedgerState::validate(const Transfer& t) const {
    if (t.timestamp != 0 && !replaying_) {
        return R::kTimestampMustBeZero;
    }
    if ((t.flags & ~kTransferFlagsKnown) != 0) {
        return R::kReservedFlag;
    }
    if (t.id.is_zero()) {
        return R::kIdMustNotBeZero;
    }
    const int phase_flags =
        (t.is_pending() ? 1 : 0) + (t.is_post() ? 1 : 0) + (t.is_void() ? 1 : 0);
    if (phase_flags > 1) {
        return R::kFlagsAreMutuallyExclusive;
    }
    const bool resolves_pending = t.is_post() || t.is_void();
    if (!resolves_pending) {
        if (is_zero(t.debit_account_id)) {
            return R::kDebitAccountIdMustNotBeZero;
        }
        if (is_zero(t.credit_account_id)) {
            return R::kCreditAccountIdMustNotBeZero;
        }
    }
    if (!is_zero(t.debit_account_id) && t.debit_account_id == t.credit_account_id) {
        return R::kAccountsMustBeDifferent;
    }
    if (resolves_pending) {
        if (is_zero(t.pending_id)) {
            return R::kPendingIdMustNotBeZero;
        }
        if (t.pending_id == t.id) {
            return R::kPendingIdMustBeDifferent;
        }
    } else if (!is_zero(t.pending_id)) {
        return R::kPendingIdMustBeZero;
    }
    if (t.timeout != 0 && !t.is_pending()) {
        return R::kTimeoutReservedForPendingTransfer;
    }
    if (t.amount < 0) {
        return R::kAmountMustNotBeNegative;
    }
    if (!resolves_pending) {
        if (t.amount == 0) {
            return R::kAmountMustNotBeZero;
        }
        if (t.code == 0) {
            return R::kCodeMustNotBeZero;
        }
    }
    return R::kOk;
}

CreateTransferResult LedgerState::check_exists(const Transfer& t) const {
    const auto it = transfers_.find(t.id);
    if (it == transfers_.end()) {
        return R::kOk;
    }
    const Transfer& stored = it->second.transfer;
    if (!(t.is_post() || t.is_void())) {
        return stored.same_definition(t) ? R::kExists : R::kExistsWithDifferentFields;
    }
    // A post or void may leave accounts, amount and code to the pending transfer: zero means "as
    // pending", so a retry of the very same request compares equal to the resolved record.
    const auto pending = transfers_.find(t.pending_id);
    const std::int64_t pending_amount =
        pending == transfers_.end() ? -1 : pending->second.transfer.amount;
    const bool same =
        stored.flags == t.flags && stored.pending_id == t.pending_id &&
        (is_zero(t.debit_account_id) || t.debit_account_id == stored.debit_account_id) &&
        (is_zero(t.credit_account_id) || t.credit_account_id == stored.credit_account_id) &&
        (t.amount == stored.amount || (t.amount == 0 && stored.amount == pending_amount)) &&
        (t.code == 0 || t.code == stored.code) && t.currency == stored.currency &&
        t.user_data_128 == stored.user_data_128 && t.user_data_64 == stored.user_data_64 &&
        t.user_data_32 == stored.user_data_32 && t.timeout == stored.timeout;
    return same ? R::kExists : R::kExistsWithDifferentFields;
}

CreateTransferResult LedgerState::create_transfer(
    const Transfer& input, Timestamp now, BatchDelta& delta
) {
    if (const auto invalid = validate(input); invalid != R::kOk) {
        return invalid;
    }
    if (const auto exists = check_exists(input); exists != R::kOk) {
        return exists;
    }
    if (failed_.find(input.id) != failed_.end()) {
        return R::kIdAlreadyFailed;
    }
    // The timestamp is taken only once the transfer is known to apply (or to fail transiently:
    // then the caller takes one for the failure record), so rejected requests leave no gaps that
    // replay would have to reproduce.
    const Timestamp ts = replaying_ ? input.timestamp : std::max(now, last_timestamp_ + 1);
    if (input.is_post() || input.is_void()) {
        return post_or_void(input, ts, delta);
    }
    return single_phase_or_pending(input, ts, delta);
}

CreateTransferResult LedgerState::single_phase_or_pending(
    const Transfer& input, Timestamp ts, BatchDelta& delta
) {
    const auto debit_it = accounts_.find(input.debit_account_id);
    if (debit_it == accounts_.end()) {
        return R::kDebitAccountNotFound;
    }
    const auto credit_it = accounts_.find(input.credit_account_id);
    if (credit_it == accounts_.end()) {
        return R::kCreditAccountNotFound;
    }
    Account& debit = debit_it->second;
    Account& credit = credit_it->second;
    if (debit.currency != credit.currency) {
        return R::kCurrenciesDiffer;
    }
    if (input.currency != debit.currency) {
        return R::kTransferCurrencyDiffers;
    }
    Balances d = debit.balances;
    Balances c = credit.balances;
    const std::int64_t amount = input.amount;
    Timestamp expires_at = 0;
    if (input.is_pending()) {
        if (const auto r = add_to_both(
                d.debits_pending,
                c.credits_pending,
                amount,
                R::kOverflowsDebitsPending,
                R::kOverflowsCreditsPending
            );
            r != R::kOk) {
            return r;
        }
        if (input.timeout != 0) {
            const Timestamp span = static_cast<Timestamp>(input.timeout) * kNanosPerSecond;
            if (ts > UINT64_MAX - span) {
                return R::kOverflowsTimeout;
            }
            expires_at = ts + span;
        }
    } else {
        if (const auto r = add_to_both(
                d.debits_posted,
                c.credits_posted,
                amount,
                R::kOverflowsDebitsPosted,
                R::kOverflowsCreditsPosted
            );
            r != R::kOk) {
            return r;
        }
    }
    if (!checked_add(d.debits_pending, d.debits_posted)) {
        return R::kOverflowsDebits;
    }
    if (!checked_add(c.credits_pending, c.credits_posted)) {
        return R::kOverflowsCredits;
    }
    if ((debit.flags & kDebitsMustNotExceedCredits) != 0 &&
        d.debits_pending + d.debits_posted > d.credits_posted) {
        return R::kExceedsCredits;
    }
    if ((credit.flags & kCreditsMustNotExceedDebits) != 0 &&
        c.credits_pending + c.credits_posted > c.debits_posted) {
        return R::kExceedsDebits;
    }
    // Every check passed: apply.
    (void)next_timestamp(ts, ts);
    Transfer stored = input;
    stored.timestamp = ts;
    transfers_.emplace(stored.id, TransferRecord{stored, PendingState::kPending, expires_at});
    if (in_chain_) {
        undo_.push_back(Undo{UndoKind::kTransferInserted, stored.id, {}, {}, 0});
    }
    if (input.is_pending()) {
        ++open_pending_;
        if (expires_at != 0) {
            expiry_index_.emplace(expires_at, stored.id);
            if (in_chain_) {
                undo_.push_back(Undo{UndoKind::kExpiryIndexed, stored.id, {}, {}, expires_at});
            }
        }
    }
    set_balances(debit, d, ts, true, delta);
    set_balances(credit, c, ts, false, delta);
    delta.transfers.push_back(stored);
    if (!input.is_pending()) {
        add_entry(debit, stored, amount, true, delta);
        add_entry(credit, stored, amount, false, delta);
    }
    return R::kOk;
}

CreateTransferResult LedgerState::post_or_void(
    const Transfer& input, Timestamp ts, BatchDelta& delta
) {
    const auto pending_it = transfers_.find(input.pending_id);
    if (pending_it == transfers_.end()) {
        return R::kPendingTransferNotFound;
    }
    TransferRecord& pending = pending_it->second;
    const Transfer& p = pending.transfer;
    if (!p.is_pending()) {
        return R::kPendingTransferNotPending;
    }
    if (!is_zero(input.debit_account_id) && input.debit_account_id != p.debit_account_id) {
        return R::kPendingTransferHasDifferentDebitAccountId;
    }
    if (!is_zero(input.credit_account_id) && input.credit_account_id != p.credit_account_id) {
        return R::kPendingTransferHasDifferentCreditAccountId;
    }
    if (input.currency != p.currency) {
        return R::kPendingTransferHasDifferentCurrency;
    }
    if (input.code != 0 && input.code != p.code) {
        return R::kPendingTransferHasDifferentCode;
    }
    const std::int64_t amount = input.amount == 0 ? p.amount : input.amount;
    if (input.is_post() && amount > p.amount) {
        return R::kExceedsPendingTransferAmount;
    }
    if (input.is_void() && amount != p.amount) {
        return R::kPendingTransferHasDifferentAmount;
    }
    switch (pending.state) {
        case PendingState::kPosted:
            return R::kPendingTransferAlreadyPosted;
        case PendingState::kVoided:
            return R::kPendingTransferAlreadyVoided;
        case PendingState::kExpired:
            return R::kPendingTransferExpired;
        case PendingState::kPending:
            break;
    }
    if (pending.expires_at != 0 && pending.expires_at <= ts) {
        return R::kPendingTransferExpired;
    }
    Account& debit = accounts_.at(p.debit_account_id);
    Account& credit = accounts_.at(p.credit_account_id);
    Balances d = debit.balances;
    Balances c = credit.balances;
    // The whole reservation is released; a post then records what is actually moved.
    d.debits_pending -= p.amount;
    c.credits_pending -= p.amount;
    if (input.is_post()) {
        if (const auto r = add_to_both(
                d.debits_posted,
                c.credits_posted,
                amount,
                R::kOverflowsDebitsPosted,
                R::kOverflowsCreditsPosted
            );
            r != R::kOk) {
            return r;
        }
    }
    (void)next_timestamp(ts, ts);
    Transfer stored = input;
    stored.timestamp = ts;
    stored.debit_account_id = p.debit_account_id;
    stored.credit_account_id = p.credit_account_id;
    stored.amount = amount;
    stored.code = p.code;
    transfers_.emplace(stored.id, TransferRecord{stored, PendingState::kPending, 0});
    if (in_chain_) {
        undo_.push_back(Undo{UndoKind::kTransferInserted, stored.id, {}, {}, 0});
    }
    set_pending_state(pending, input.is_post() ? PendingState::kPosted : PendingState::kVoided);
    if (pending.expires_at != 0) {
        expiry_index_.erase({pending.expires_at, p.id});
        if (in_chain_) {
            undo_.push_back(Undo{UndoKind::kExpiryRemoved, p.id, {}, {}, pending.expires_at});
        }
    }
    set_balances(debit, d, ts, true, delta);
    set_balances(credit, c, ts, false, delta);
    delta.transfers.push_back(stored);
    if (input.is_post()) {
        add_entry(debit, stored, amount, true, delta);
        add_entry(credit, stored, amount, false, delta);
    }
    return R::kOk;
}

void LedgerState::set_pending_state(TransferRecord& record, PendingState state) {
    if (in_chain_) {
        undo_.push_back(Undo{UndoKind::kPendingState, record.transfer.id, {}, record.state, 0});
    }
    if (record.state == PendingState::kPending && state != PendingState::kPending) {
        --open_pending_;
    } else if (record.state != PendingState::kPending && state == PendingState::kPending) {
        ++open_pending_;
    }
    record.state = state;
}

void LedgerState::set_balances(
    Account& account, const Balances& balances, Timestamp ts, bool debit_side, BatchDelta& delta
) {
    if (in_chain_) {
        undo_.push_back(Undo{UndoKind::kBalances, account.id, account.balances, {}, 0});
    }
    account.balances = balances;
    delta.touched.insert(account.id);
    if ((account.flags & kHistory) != 0) {
        delta.snapshots.push_back(BalanceSnapshot{account.id, ts, debit_side, balances});
    }
}

void LedgerState::add_entry(
    const Account& account, const Transfer& t, std::int64_t amount, bool debit, BatchDelta& delta
) {
    delta.entries.push_back(Entry{
        account.id,
        t.timestamp,
        t.id,
        amount,
        debit,
        account.balances.debits_posted,
        account.balances.credits_posted});
}

void LedgerState::rollback_chain(std::size_t undo_mark, const DeltaMark& mark, BatchDelta& delta) {
    for (std::size_t i = undo_.size(); i > undo_mark; --i) {
        const Undo& u = undo_[i - 1];
        switch (u.kind) {
            case UndoKind::kAccountCreated:
                accounts_.erase(u.id);
                break;
            case UndoKind::kBalances:
                accounts_.at(u.id).balances = u.balances;
                break;
            case UndoKind::kTransferInserted: {
                const auto it = transfers_.find(u.id);
                if (it->second.transfer.is_pending() &&
                    it->second.state == PendingState::kPending) {
                    --open_pending_;
                }
                transfers_.erase(it);
                break;
            }
            case UndoKind::kPendingState: {
                auto& record = transfers_.at(u.id);
                if (record.state != PendingState::kPending && u.state == PendingState::kPending) {
                    ++open_pending_;
                }
                record.state = u.state;
                break;
            }
            case UndoKind::kExpiryIndexed:
                expiry_index_.erase({u.expires_at, u.id});
                break;
            case UndoKind::kExpiryRemoved:
                expiry_index_.emplace(u.expires_at, u.id);
                break;
        }
    }
    undo_.resize(undo_mark);
    delta.accounts.resize(mark.accounts);
    delta.transfers.resize(mark.transfers);
    delta.entries.resize(mark.entries);
    delta.snapshots.resize(mark.snapshots);
    delta.failed.resize(mark.failed);
    // Timestamps taken by the rolled-back events stay spent: they only need to increase.
}

// ---- expiry ------------------------------------------------------------------------------------

void LedgerState::expire_due(Timestamp now, BatchDelta& delta) {
    // The ledger's clock, not the wall clock: a wall clock that stepped back must neither hold back
    // a deadline the ledger's time has already passed (a post would answer
    // pending_transfer_expired while the reservation stayed) nor move any expiry before the
    // ledger's last timestamp (next_timestamp stamps it after).
    const Timestamp ledger_now = std::max(now, last_timestamp_);
    while (!expiry_index_.empty() && expiry_index_.begin()->first <= ledger_now) {
        const Id128 id = expiry_index_.begin()->second;
        expire_one(id, next_timestamp(now, 0), delta);
    }
}

bool LedgerState::replay_expiry(const Expiry& expiry, BatchDelta& delta) {
    const auto it = transfers_.find(expiry.pending_id);
    if (it == transfers_.end() || !it->second.transfer.is_pending() ||
        it->second.state != PendingState::kPending || it->second.expires_at == 0 ||
        it->second.expires_at > expiry.timestamp || expiry.timestamp <= last_timestamp_) {
        return false;
    }
    last_timestamp_ = expiry.timestamp;
    expire_one(expiry.pending_id, expiry.timestamp, delta);
    return true;
}

void LedgerState::expire_one(const Id128& id, Timestamp ts, BatchDelta& delta) {
    TransferRecord& record = transfers_.at(id);
    expiry_index_.erase({record.expires_at, id});
    const Transfer& p = record.transfer;
    Account& debit = accounts_.at(p.debit_account_id);
    Account& credit = accounts_.at(p.credit_account_id);
    Balances d = debit.balances;
    Balances c = credit.balances;
    d.debits_pending -= p.amount;
    c.credits_pending -= p.amount;
    set_pending_state(record, PendingState::kExpired);
    set_balances(debit, d, ts, true, delta);
    set_balances(credit, c, ts, false, delta);
    delta.expiries.push_back(Expiry{id, ts});
}

// ---- restore and read --------------------------------------------------------------------------

void LedgerState::restore_account(const Account& account) {
    accounts_[account.id] = account;
    last_timestamp_ = std::max(last_timestamp_, account.timestamp);
}

void LedgerState::restore_transfer(const TransferRecord& record) {
    const auto [it, inserted] = transfers_.insert_or_assign(record.transfer.id, record);
    (void)it;
    (void)inserted;
    if (record.transfer.is_pending() && record.state == PendingState::kPending) {
        ++open_pending_;
        if (record.expires_at != 0) {
            expiry_index_.emplace(record.expires_at, record.transfer.id);
        }
    }
    last_timestamp_ = std::max(last_timestamp_, record.transfer.timestamp);
}

void LedgerState::restore_failed(const Id128& id, CreateTransferResult result) {
    failed_[id] = result;
}

void LedgerState::restore_last_timestamp(Timestamp t) {
    last_timestamp_ = std::max(last_timestamp_, t);
}

const Account* LedgerState::find_account(const Id128& id) const {
    const auto it = accounts_.find(id);
    return it == accounts_.end() ? nullptr : &it->second;
}

const TransferRecord* LedgerState::find_transfer(const Id128& id) const {
    const auto it = transfers_.find(id);
    return it == transfers_.end() ? nullptr : &it->second;
}

std::optional<CreateTransferResult> LedgerState::find_failed(const Id128& id) const {
    const auto it = failed_.find(id);
    if (it == failed_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::optional<Timestamp> LedgerState::next_expiry() const {
    if (expiry_index_.empty()) {
        return std::nullopt;
    }
    return expiry_index_.begin()->first;
}

}  // namespace chelete::ledger
