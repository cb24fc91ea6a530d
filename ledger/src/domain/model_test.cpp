// A seeded randomised model test: thousands of operations (duplicates, linked chains, pending,
// post, void, expiry, invalid input) through LedgerState and through a deliberately simple oracle;
// every reply and the final state must agree, and the double-entry invariants must hold.
//
// Reproduce a failure with CHELETE_MODEL_SEED=<seed printed in the failure>; make it longer with
// CHELETE_MODEL_STEPS.
#include <cstdlib>
#include <map>
#include <optional>
#include <random>

#include <gtest/gtest.h>

#include <chelete/ledger/state.hpp>

namespace chelete::ledger {
namespace {

using R = CreateTransferResult;

constexpr Timestamp kSecond = 1'000'000'000ULL;

/// The rules again, written for obviousness rather than speed: ordered maps, and a whole-state
/// copy to undo a failed chain.
class Oracle {
public:
    struct Pending {
        PendingState state = PendingState::kPending;
        Timestamp expires_at = 0;
    };
    std::map<Id128, Account> accounts;
    std::map<Id128, Transfer> transfers;
    std::map<Id128, Pending> pendings;
    std::map<Id128, R> failed;
    Timestamp last = 0;

    Timestamp tick(Timestamp now) {
        last = std::max(now, last + 1);
        return last;
    }

    /// Due by the ledger's clock, which never goes back: max(wall clock, last timestamp).
    void expire(Timestamp now) {
        const Timestamp ledger_now = std::max(now, last);
        std::vector<std::pair<Timestamp, Id128>> due;
        for (const auto& [id, p] : pendings) {
            if (p.state == PendingState::kPending && p.expires_at != 0 &&
                p.expires_at <= ledger_now) {
                due.emplace_back(p.expires_at, id);
            }
        }
        std::sort(due.begin(), due.end());
        for (const auto& [at, id] : due) {
            (void)tick(now);
            const Transfer& t = transfers.at(id);
            accounts.at(t.debit_account_id).balances.debits_pending -= t.amount;
            accounts.at(t.credit_account_id).balances.credits_pending -= t.amount;
            pendings.at(id).state = PendingState::kExpired;
        }
    }

    std::vector<R> create_transfers(const std::vector<Transfer>& batch, Timestamp now) {
        std::vector<R> results(batch.size(), R::kOk);
        std::size_t i = 0;
        while (i < batch.size()) {
            std::size_t end = i;
            while (end < batch.size() && batch[end].is_linked()) {
                ++end;
            }
            const bool open = end == batch.size();
            if (end < batch.size()) {
                ++end;  // the chain's last event (or a lone event)
            }
            const bool chain = end - i > 1 || open;
            std::optional<Oracle> saved;
            if (chain) {
                saved = *this;
            }
            std::size_t failed_at = end;
            bool existing = false;
            bool fresh = false;
            for (std::size_t k = i; k < end; ++k) {
                results[k] = apply(batch[k], now, chain);
                existing = existing || results[k] == R::kExists;
                fresh = fresh || results[k] == R::kOk;
                // In a chain, `exists` is a retry of a committed member, not a failure.
                if (results[k] != R::kOk && !(chain && results[k] == R::kExists)) {
                    failed_at = k;
                    break;
                }
            }
            if (open && failed_at == end) {
                failed_at = end - 1;
                results[failed_at] = R::kLinkedEventChainOpen;
            }
            if (failed_at == end && chain && existing && fresh) {
                // A chain mixing committed and new events: the new ones are refused.
                const Timestamp keep = last;
                *this = *saved;
                last = keep;
                for (std::size_t k = i; k < end; ++k) {
                    if (results[k] == R::kOk) {
                        results[k] = R::kLinkedEventFailed;
                    }
                }
            } else if (failed_at != end && chain) {
                const Timestamp keep = last;
                *this = *saved;
                last = keep;
                for (std::size_t k = i; k < end; ++k) {
                    if (k != failed_at) {
                        results[k] = R::kLinkedEventFailed;
                    }
                }
            }
            i = end;
        }
        return results;
    }

private:
    R apply(const Transfer& t, Timestamp now, bool chain) {
        const bool post = t.is_post();
        const bool voids = t.is_void();
        if ((t.flags & ~kTransferFlagsKnown) != 0) {
            return R::kReservedFlag;
        }
        if (t.id.is_zero()) {
            return R::kIdMustNotBeZero;
        }
        if (int{t.is_pending()} + int{post} + int{voids} > 1) {
            return R::kFlagsAreMutuallyExclusive;
        }
        if (!post && !voids && t.debit_account_id.is_zero()) {
            return R::kDebitAccountIdMustNotBeZero;
        }
        if (!post && !voids && t.credit_account_id.is_zero()) {
            return R::kCreditAccountIdMustNotBeZero;
        }
        if (!t.debit_account_id.is_zero() && t.debit_account_id == t.credit_account_id) {
            return R::kAccountsMustBeDifferent;
        }
        if (post || voids) {
            if (t.pending_id.is_zero()) {
                return R::kPendingIdMustNotBeZero;
            }
            if (t.pending_id == t.id) {
                return R::kPendingIdMustBeDifferent;
            }
        } else if (!t.pending_id.is_zero()) {
            return R::kPendingIdMustBeZero;
        }
        if (t.timeout != 0 && !t.is_pending()) {
            return R::kTimeoutReservedForPendingTransfer;
        }
        if (t.amount < 0) {
            return R::kAmountMustNotBeNegative;
        }
        if (!post && !voids && t.amount == 0) {
            return R::kAmountMustNotBeZero;
        }
        if (!post && !voids && t.code == 0) {
            return R::kCodeMustNotBeZero;
        }
        if (const auto it = transfers.find(t.id); it != transfers.end()) {
            const Transfer& s = it->second;
            if (!post && !voids) {
                return s.same_definition(t) ? R::kExists : R::kExistsWithDifferentFields;
            }
            const std::int64_t pending_amount =
                transfers.count(t.pending_id) != 0 ? transfers.at(t.pending_id).amount : -1;
            const bool same =
                s.flags == t.flags && s.pending_id == t.pending_id &&
                (t.debit_account_id.is_zero() || t.debit_account_id == s.debit_account_id) &&
                (t.credit_account_id.is_zero() || t.credit_account_id == s.credit_account_id) &&
                (t.amount == s.amount || (t.amount == 0 && s.amount == pending_amount)) &&
                (t.code == 0 || t.code == s.code) && t.currency == s.currency &&
                t.user_data_64 == s.user_data_64 && t.timeout == s.timeout;
            return same ? R::kExists : R::kExistsWithDifferentFields;
        }
        if (failed.count(t.id) != 0) {
            return R::kIdAlreadyFailed;
        }
        const Timestamp ts = std::max(now, last + 1);
        R r = (post || voids) ? resolve(t, ts) : move(t, ts);
        if (r == R::kOk) {
            last = ts;
        } else if (is_transient(r) && !chain) {
            (void)tick(now);
            failed[t.id] = r;
        }
        return r;
    }

    R move(const Transfer& t, Timestamp ts) {
        if (accounts.count(t.debit_account_id) == 0) {
            return R::kDebitAccountNotFound;
        }
        if (accounts.count(t.credit_account_id) == 0) {
            return R::kCreditAccountNotFound;
        }
        Account& d = accounts.at(t.debit_account_id);
        Account& c = accounts.at(t.credit_account_id);
        if (d.currency != c.currency) {
            return R::kCurrenciesDiffer;
        }
        if (t.currency != d.currency) {
            return R::kTransferCurrencyDiffers;
        }
        // Amounts in these tests are small: overflow is covered by the unit tests.
        Balances db = d.balances;
        Balances cb = c.balances;
        if (t.is_pending()) {
            db.debits_pending += t.amount;
            cb.credits_pending += t.amount;
        } else {
            db.debits_posted += t.amount;
            cb.credits_posted += t.amount;
        }
        if ((d.flags & kDebitsMustNotExceedCredits) != 0 &&
            db.debits_pending + db.debits_posted > db.credits_posted) {
            return R::kExceedsCredits;
        }
        if ((c.flags & kCreditsMustNotExceedDebits) != 0 &&
            cb.credits_pending + cb.credits_posted > cb.debits_posted) {
            return R::kExceedsDebits;
        }
        d.balances = db;
        c.balances = cb;
        Transfer s = t;
        s.timestamp = ts;
        transfers[t.id] = s;
        if (t.is_pending()) {
            pendings[t.id] =
                Pending{PendingState::kPending, t.timeout == 0 ? 0 : ts + t.timeout * kSecond};
        }
        return R::kOk;
    }

    R resolve(const Transfer& t, Timestamp ts) {
        if (transfers.count(t.pending_id) == 0) {
            return R::kPendingTransferNotFound;
        }
        const Transfer p = transfers.at(t.pending_id);
        if (!p.is_pending()) {
            return R::kPendingTransferNotPending;
        }
        if (!t.debit_account_id.is_zero() && t.debit_account_id != p.debit_account_id) {
            return R::kPendingTransferHasDifferentDebitAccountId;
        }
        if (!t.credit_account_id.is_zero() && t.credit_account_id != p.credit_account_id) {
            return R::kPendingTransferHasDifferentCreditAccountId;
        }
        if (t.currency != p.currency) {
            return R::kPendingTransferHasDifferentCurrency;
        }
        if (t.code != 0 && t.code != p.code) {
            return R::kPendingTransferHasDifferentCode;
        }
        const std::int64_t amount = t.amount == 0 ? p.amount : t.amount;
        if (t.is_post() && amount > p.amount) {
            return R::kExceedsPendingTransferAmount;
        }
        if (t.is_void() && amount != p.amount) {
            return R::kPendingTransferHasDifferentAmount;
        }
        Pending& state = pendings.at(t.pending_id);
        if (state.state == PendingState::kPosted) {
            return R::kPendingTransferAlreadyPosted;
        }
        if (state.state == PendingState::kVoided) {
            return R::kPendingTransferAlreadyVoided;
        }
        if (state.state == PendingState::kExpired ||
            (state.expires_at != 0 && state.expires_at <= ts)) {
            return R::kPendingTransferExpired;
        }
        Account& d = accounts.at(p.debit_account_id);
        Account& c = accounts.at(p.credit_account_id);
        d.balances.debits_pending -= p.amount;
        c.balances.credits_pending -= p.amount;
        if (t.is_post()) {
            d.balances.debits_posted += amount;
            c.balances.credits_posted += amount;
        }
        state.state = t.is_post() ? PendingState::kPosted : PendingState::kVoided;
        Transfer s = t;
        s.timestamp = ts;
        s.debit_account_id = p.debit_account_id;
        s.credit_account_id = p.credit_account_id;
        s.amount = amount;
        s.code = p.code;
        transfers[t.id] = s;
        return R::kOk;
    }
};

std::uint64_t seed_for_run() {
    if (const char* s = std::getenv("CHELETE_MODEL_SEED")) {  // NOLINT(concurrency-mt-unsafe)
        return std::stoull(s);
    }
    return std::random_device{}();
}

int steps_for_run() {
    if (const char* s = std::getenv("CHELETE_MODEL_STEPS")) {  // NOLINT(concurrency-mt-unsafe)
        return std::stoi(s);
    }
    return 4000;
}

TEST(LedgerModelTest, RandomOperationsAgreeWithTheOracle) {
    const std::uint64_t seed = seed_for_run();
    const int steps = steps_for_run();
    SCOPED_TRACE("reproduce with CHELETE_MODEL_SEED=" + std::to_string(seed));
    std::mt19937_64 rng{seed};
    const auto pick = [&](std::uint64_t n) { return rng() % n; };

    LedgerState state;
    Oracle oracle;
    Timestamp now = 1'795'000'000'000'000'000ULL;

    // Accounts: two currencies, every flag.
    constexpr int kAccounts = 14;
    std::vector<Account> accounts;
    for (int i = 1; i <= kAccounts; ++i) {
        Account a;
        a.id = Id128{7, static_cast<std::uint64_t>(i)};
        a.currency = i <= 10 ? Currency::kZar : Currency::kLsl;
        a.code = 100 + static_cast<std::uint32_t>(i % 3);
        const std::uint16_t flag_options[] = {
            0,
            kDebitsMustNotExceedCredits,
            kCreditsMustNotExceedDebits,
            kHistory,
            kDebitsMustNotExceedCredits | kHistory};
        a.flags = flag_options[pick(5)];
        // Some flags fixed, so that every seed meets the limits (CI found a seed where no often
        // used account had one and exceeds_credits never happened); 0 and 1 fund the others.
        if (i <= 1) {
            a.flags = 0;
        } else if (i == 2 || i == 3) {
            a.flags =
                static_cast<std::uint16_t>(kDebitsMustNotExceedCredits | (i == 3 ? kHistory : 0));
        } else if (i == 4) {
            a.flags = kCreditsMustNotExceedDebits;
        }
        accounts.push_back(a);
    }
    BatchDelta delta;
    const auto account_results = state.create_accounts(accounts, now, delta);
    for (std::size_t i = 0; i < accounts.size(); ++i) {
        ASSERT_EQ(account_results[i], CreateAccountResult::kOk);
        auto stored = accounts[i];
        stored.timestamp = oracle.tick(now);
        oracle.accounts[stored.id] = stored;
    }
    // Posted entries per account, summed from what the state machine says it wrote.
    std::map<Id128, Balances> from_entries;

    std::uint64_t next_id = 1;
    std::vector<Transfer>
        history;  // transfers that were applied, or that failed and spent their id
    std::vector<Id128> pendings;
    std::vector<std::vector<Transfer>> requests;
    std::map<R, int> seen;
    const auto random_account = [&]() -> Id128 {
        const auto r = pick(40);
        if (r == 0) {
            return Id128{};
        }
        if (r == 1) {
            return Id128{7, 999};  // does not exist
        }
        // Mostly ZAR, so that most transfers are between accounts of one currency.
        return accounts[pick(r < 36 ? 10 : kAccounts)].id;
    };
    for (int step = 0; step < steps; ++step) {
        now += pick(4) == 0 ? pick(40) * kSecond : pick(2 * kSecond);
        if (pick(12) == 0) {
            now -= pick(60) * kSecond;  // the wall clock steps back (NTP, a standby's clock)
        }
        delta.clear();
        state.expire_due(now, delta);
        oracle.expire(now);
        std::vector<Transfer> batch;
        const auto size = 1 + pick(6);
        for (std::uint64_t k = 0; k < size; ++k) {
            Transfer t;
            t.id = Id128{9, next_id++};
            t.code = 1 + static_cast<std::uint32_t>(pick(3));
            const auto kind = pick(100);
            if (kind < 40) {
                t.debit_account_id = random_account();
                t.credit_account_id = random_account();
                t.amount = pick(30) == 0 ? static_cast<std::int64_t>(pick(3)) - 1
                                         : 1 + static_cast<std::int64_t>(pick(500));
                // Funding from LSL/ZAR sources keeps limited accounts usable.
                if (pick(3) == 0) {
                    t.debit_account_id = accounts[pick(2)].id;
                }
            } else if (kind < 60) {
                t.flags = kPending;
                t.debit_account_id = random_account();
                t.credit_account_id = random_account();
                t.amount = 1 + static_cast<std::int64_t>(pick(400));
                t.timeout = pick(2) == 0 ? 0 : static_cast<std::uint32_t>(1 + pick(20));
            } else if (kind < 78 && !pendings.empty()) {
                t.flags = pick(3) == 0 ? kVoidPendingTransfer : kPostPendingTransfer;
                t.pending_id = pendings[pick(pendings.size())];
                const auto a = pick(4);
                t.amount = a == 0 ? 0 : static_cast<std::int64_t>(1 + pick(450));
                t.code = pick(2) == 0 ? 0 : t.code;
                if (pick(10) == 0) {
                    t.debit_account_id = random_account();
                }
            } else if (kind < 90 && !history.empty()) {
                t = history[pick(history.size())];
                t.timestamp = 0;
                if (pick(2) == 0) {
                    t.user_data_64 += 1 + pick(3);  // same id, other fields
                }
            } else {
                t.debit_account_id = random_account();
                t.credit_account_id = random_account();
                t.amount = 1 + static_cast<std::int64_t>(pick(100));
                t.flags = static_cast<std::uint16_t>(pick(1U << 5U));
                if (pick(3) == 0) {
                    t.id = Id128{};
                }
            }
            if (pick(4) == 0) {
                t.flags |= kTransferLinked;
            }
            const auto account = oracle.accounts.find(t.debit_account_id);
            t.currency =
                account != oracle.accounts.end() ? account->second.currency : Currency::kZar;
            if (pick(50) == 0) {
                t.currency = t.currency == Currency::kZar ? Currency::kLsl : Currency::kZar;
            }
            if ((t.flags & (kPostPendingTransfer | kVoidPendingTransfer)) != 0) {
                const auto p = oracle.transfers.find(t.pending_id);
                t.currency = p != oracle.transfers.end() ? p->second.currency : t.currency;
            }
            batch.push_back(t);
        }
        // Now and then a whole earlier request again, as a client resends one whose answer it
        // lost: chains included, it must answer exists where it was applied.
        if (pick(15) == 0 && !requests.empty()) {
            batch = requests[pick(requests.size())];
        }
        requests.push_back(batch);
        const auto got = state.create_transfers(batch, now, delta);
        const auto want = oracle.create_transfers(batch, now);
        ASSERT_EQ(got.size(), want.size());
        const auto describe = [&] {
            std::string out;
            for (std::size_t k = 0; k < batch.size(); ++k) {
                const auto& t = batch[k];
                out += "\n  [" + std::to_string(k) + "] id=" + t.id.to_string().substr(24) +
                       " flags=" + std::to_string(t.flags) + " amount=" + std::to_string(t.amount) +
                       " got=" + std::string{to_string(got[k])} +
                       " want=" + std::string{to_string(want[k])};
            }
            return out;
        };
        for (std::size_t k = 0; k < got.size(); ++k) {
            ASSERT_EQ(to_string(got[k]), to_string(want[k]))
                << "step " << step << " event " << k << describe();
            ++seen[got[k]];
            if (is_transient(got[k])) {
                history.push_back(batch[k]);  // a retry must answer id_already_failed
            }
            if (got[k] == R::kOk) {
                history.push_back(batch[k]);
                if (batch[k].is_pending()) {
                    pendings.push_back(batch[k].id);
                }
            }
        }
        for (const auto& e : delta.entries) {
            auto& b = from_entries[e.account_id];
            (e.debit ? b.debits_posted : b.credits_posted) += e.amount;
            const auto& now_balances = state.find_account(e.account_id)->balances;
            ASSERT_LE(e.debits_posted_after, now_balances.debits_posted);
        }
        ASSERT_EQ(state.last_timestamp(), oracle.last) << "step " << step;
    }

    // The final states agree, account by account and transfer by transfer.
    std::map<Currency, Balances> totals;
    for (const auto& [id, expected] : oracle.accounts) {
        const Account* got = state.find_account(id);
        ASSERT_NE(got, nullptr);
        EXPECT_EQ(got->balances, expected.balances);
        EXPECT_EQ(from_entries[id].debits_posted, got->balances.debits_posted)
            << "balance = sum of its entries";
        EXPECT_EQ(from_entries[id].credits_posted, got->balances.credits_posted);
        if ((got->flags & kDebitsMustNotExceedCredits) != 0) {
            EXPECT_LE(
                got->balances.debits_pending + got->balances.debits_posted,
                got->balances.credits_posted
            );
        }
        if ((got->flags & kCreditsMustNotExceedDebits) != 0) {
            EXPECT_LE(
                got->balances.credits_pending + got->balances.credits_posted,
                got->balances.debits_posted
            );
        }
        auto& t = totals[got->currency];
        t.debits_pending += got->balances.debits_pending;
        t.debits_posted += got->balances.debits_posted;
        t.credits_pending += got->balances.credits_pending;
        t.credits_posted += got->balances.credits_posted;
    }
    for (const auto& [currency, t] : totals) {
        EXPECT_EQ(t.debits_posted, t.credits_posted) << to_string(currency);
        EXPECT_EQ(t.debits_pending, t.credits_pending) << to_string(currency);
    }
    EXPECT_EQ(state.transfer_count(), oracle.transfers.size());
    for (const auto& [id, expected] : oracle.transfers) {
        const TransferRecord* got = state.find_transfer(id);
        ASSERT_NE(got, nullptr);
        EXPECT_EQ(got->transfer.amount, expected.amount);
        EXPECT_EQ(got->transfer.timestamp, expected.timestamp);
        if (expected.is_pending()) {
            EXPECT_EQ(got->state, oracle.pendings.at(id).state);
        }
    }
    for (const auto& [id, result] : oracle.failed) {
        EXPECT_EQ(state.find_failed(id), result);
    }
    // The run exercised what it claims to.
    for (const R r :
         {R::kOk,
          R::kExists,
          R::kExistsWithDifferentFields,
          R::kIdAlreadyFailed,
          R::kLinkedEventFailed,
          R::kExceedsCredits,
          R::kPendingTransferExpired,
          R::kPendingTransferAlreadyPosted,
          R::kPendingTransferAlreadyVoided,
          R::kExceedsPendingTransferAmount,
          R::kDebitAccountNotFound}) {
        EXPECT_GT(seen[r], 0) << to_string(r) << " never happened; the generator needs adjusting";
    }
}

}  // namespace
}  // namespace chelete::ledger
