#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <optional>
#include <unordered_map>

#include <openssl/evp.h>
#include <pqxx/cursor>

#include <chelete/ledger/pg_store.hpp>
#include <chelete/ledger/verify.hpp>
#include <chelete/platform/crypto.hpp>

namespace chelete::ledger {
namespace {

Id128 uuid(const std::string& text) {
    const auto id = Id128::parse(text);
    if (!id) {
        throw std::runtime_error("unreadable uuid " + text);
    }
    return *id;
}

/// "the stored chain ends at batch N", or that there is none.
std::string stored_end(std::uint64_t head) {
    return head == 0 ? std::string{"the store holds no batch"}
                     : "the stored chain ends at batch " + std::to_string(head);
}

Digest digest_of(const pqxx::field& f) {
    const pqxx::binarystring b{f};
    Digest d{};
    if (b.size() == d.size()) {
        std::copy(b.begin(), b.end(), d.begin());
    }
    return d;
}

struct StoredBatch {
    std::uint64_t seq = 0;
    Timestamp first = 0;
    Timestamp last = 0;
    Digest prev{};
    Digest digest{};
    std::vector<Account> accounts;
    std::vector<Transfer> transfers;
    std::vector<Entry> entries;
    std::vector<BalanceSnapshot> snapshots;
    std::vector<Expiry> expiries;
    std::vector<FailedTransfer> failed;
};

Digest chain_digest(const Digest& prev, const StoredBatch& b) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    EVP_DigestUpdate(ctx, prev.data(), prev.size());
    const auto line = [&](const std::string& text) {
        EVP_DigestUpdate(ctx, text.data(), text.size());
        EVP_DigestUpdate(ctx, "\n", 1);
    };
    line(rows::batch_header(b.seq, b.first, b.last));
    for (const auto& x : b.accounts) {
        line(rows::account(x, b.seq));
    }
    for (const auto& x : b.transfers) {
        line(rows::transfer(x, b.seq));
    }
    for (const auto& x : b.entries) {
        line(rows::entry(x, b.seq));
    }
    for (const auto& x : b.snapshots) {
        line(rows::snapshot(x, b.seq));
    }
    for (const auto& x : b.expiries) {
        line(rows::expiry(x, b.seq));
    }
    for (const auto& x : b.failed) {
        line(rows::failed(x, b.seq));
    }
    Digest out{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, out.data(), &len);
    EVP_MD_CTX_free(ctx);
    return out;
}

}  // namespace

std::string digest_hex(const Digest& digest) {
    return platform::crypto::to_hex(digest);
}

std::optional<Digest> parse_digest_hex(std::string_view text) {
    const auto bytes = platform::crypto::from_hex(text);
    Digest out{};
    if (!bytes || bytes->size() != out.size()) {
        return std::nullopt;
    }
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
}

std::optional<BatchHead> parse_batch_head(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return std::nullopt;
    }
    const std::string_view number = text.substr(0, colon);
    BatchHead head;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), head.seq);
    if (ec != std::errc{} || end != number.data() + number.size() || head.seq == 0 ||
        head.seq > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
    }
    const auto digest = parse_digest_hex(text.substr(colon + 1));
    if (!digest) {
        return std::nullopt;
    }
    head.digest = *digest;
    return head;
}

nlohmann::json to_json(const VerifyReport& report) {
    nlohmann::json out{
        {"ok", report.ok},
        {"checked",
         {{"batches", report.checked.batches},
          {"accounts", report.checked.accounts},
          {"transfers", report.checked.transfers},
          {"entries", report.checked.entries},
          {"balance_snapshots", report.checked.snapshots},
          {"expiries", report.checked.expiries},
          {"failed_transfers", report.checked.failed}}},
        {"problems", report.problems}};
    if (report.head) {
        out["head"] = {{"seq", report.head->seq}, {"digest", digest_hex(report.head->digest)}};
    }
    return out;
}

void VerifyReport::problem(std::string text) {
    ok = false;
    problems.push_back(std::move(text));
}

VerifyReport verify_ledger(
    const platform::PgPoolOptions& options, const Engine* live, const VerifyOptions& verify_options
) {
    VerifyReport report;
    const auto problem = [&](std::string text) {
        if (report.problems.size() < verify_options.max_problems) {
            report.problem(std::move(text));
        } else {
            report.ok = false;
        }
    };
    platform::PgPool factory{options};
    auto conn = factory.connect_dedicated();
    // What the live engine had committed before the snapshot below is taken (at its first
    // statement): every one of those batches committed before it, so the snapshot must hold them.
    const std::uint64_t engine_committed = live != nullptr ? live->stats().last_seq : 0;
    // One snapshot of the whole ledger, so a running engine's writes do not tear the picture.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx{*conn};
    const std::string& s = options.schema;

    // ---- read every batch and its rows, in the order they were hashed
    // ----------------------------
    std::map<std::uint64_t, StoredBatch> batches;
    for (const auto& r : tx.exec(
             "SELECT seq, first_timestamp, last_timestamp, prev_digest, digest FROM " + s +
             ".batches ORDER BY seq"
         )) {
        StoredBatch b;
        b.seq = r[0].as<std::uint64_t>();
        b.first = static_cast<Timestamp>(r[1].as<std::int64_t>());
        b.last = static_cast<Timestamp>(r[2].as<std::int64_t>());
        b.prev = digest_of(r[3]);
        b.digest = digest_of(r[4]);
        batches.emplace(b.seq, std::move(b));
    }
    const auto batch_of = [&](std::uint64_t seq, const char* what) -> StoredBatch* {
        const auto it = batches.find(seq);
        if (it == batches.end()) {
            problem(
                std::string{what} + " row belongs to batch " + std::to_string(seq) +
                ", which does not exist"
            );
            return nullptr;
        }
        return &it->second;
    };
    for (const auto& r : tx.exec(
             "SELECT id, currency, code, flags, user_data_128, user_data_64, user_data_32, "
             "timestamp, "
             "batch FROM " +
             s + ".accounts ORDER BY batch, timestamp"
         )) {
        Account a;
        a.id = uuid(r[0].as<std::string>());
        a.currency = static_cast<Currency>(r[1].as<int>());
        a.code = r[2].as<std::uint32_t>();
        a.flags = static_cast<std::uint16_t>(r[3].as<int>());
        a.user_data_128 = uuid(r[4].as<std::string>());
        a.user_data_64 = static_cast<std::uint64_t>(r[5].as<std::int64_t>());
        a.user_data_32 = static_cast<std::uint32_t>(r[6].as<std::int64_t>());
        a.timestamp = static_cast<Timestamp>(r[7].as<std::int64_t>());
        if (auto* b = batch_of(r[8].as<std::uint64_t>(), "an account")) {
            b->accounts.push_back(a);
        }
        ++report.checked.accounts;
    }
    // The two big tables are read through server-side cursors, a chunk at a time.
    const auto each_row = [&](const std::string& query, const std::string& name, auto&& fn) {
        pqxx::icursorstream cursor{tx, query, name, 20'000};
        pqxx::result chunk;
        while (cursor >> chunk) {
            for (const auto& r : chunk) {
                fn(r);
            }
        }
    };
    each_row(
        "SELECT id, debit_account_id, credit_account_id, amount, pending_id, currency, code, "
        "flags, timeout, "
        "user_data_128, user_data_64, user_data_32, timestamp, batch FROM " +
            s + ".transfers ORDER BY batch, timestamp",
        "verify_transfers",
        [&](const pqxx::row& r) {
            Transfer t;
            t.id = uuid(r[0].as<std::string>());
            t.debit_account_id = uuid(r[1].as<std::string>());
            t.credit_account_id = uuid(r[2].as<std::string>());
            t.amount = r[3].as<std::int64_t>();
            t.pending_id = uuid(r[4].as<std::string>());
            t.currency = static_cast<Currency>(r[5].as<int>());
            t.code = r[6].as<std::uint32_t>();
            t.flags = static_cast<std::uint16_t>(r[7].as<int>());
            t.timeout = static_cast<std::uint32_t>(r[8].as<std::int64_t>());
            t.user_data_128 = uuid(r[9].as<std::string>());
            t.user_data_64 = static_cast<std::uint64_t>(r[10].as<std::int64_t>());
            t.user_data_32 = static_cast<std::uint32_t>(r[11].as<std::int64_t>());
            t.timestamp = static_cast<Timestamp>(r[12].as<std::int64_t>());
            if (auto* b = batch_of(r[13].as<std::uint64_t>(), "a transfer")) {
                b->transfers.push_back(t);
            }
            ++report.checked.transfers;
        }
    );
    each_row(
        "SELECT account_id, timestamp, transfer_id, amount, debit, debits_posted, credits_posted, "
        "batch FROM " +
            s + ".entries ORDER BY batch, timestamp, debit DESC",
        "verify_entries",
        [&](const pqxx::row& r) {
            Entry e;
            e.account_id = uuid(r[0].as<std::string>());
            e.timestamp = static_cast<Timestamp>(r[1].as<std::int64_t>());
            e.transfer_id = uuid(r[2].as<std::string>());
            e.amount = r[3].as<std::int64_t>();
            e.debit = r[4].as<bool>();
            e.debits_posted_after = r[5].as<std::int64_t>();
            e.credits_posted_after = r[6].as<std::int64_t>();
            if (auto* b = batch_of(r[7].as<std::uint64_t>(), "an entry")) {
                b->entries.push_back(e);
            }
            ++report.checked.entries;
        }
    );
    for (const auto& r : tx.exec(
             "SELECT account_id, timestamp, debit_side, debits_pending, debits_posted, "
             "credits_pending, "
             "credits_posted, batch FROM " +
             s + ".account_balances ORDER BY batch, timestamp, debit_side DESC"
         )) {
        BalanceSnapshot sn;
        sn.account_id = uuid(r[0].as<std::string>());
        sn.timestamp = static_cast<Timestamp>(r[1].as<std::int64_t>());
        sn.debit_side = r[2].as<bool>();
        sn.balances = Balances{
            r[3].as<std::int64_t>(),
            r[4].as<std::int64_t>(),
            r[5].as<std::int64_t>(),
            r[6].as<std::int64_t>()};
        if (auto* b = batch_of(r[7].as<std::uint64_t>(), "a balance snapshot")) {
            b->snapshots.push_back(sn);
        }
        ++report.checked.snapshots;
    }
    for (const auto& r : tx.exec(
             "SELECT pending_id, timestamp, batch FROM " + s + ".expiries ORDER BY batch, timestamp"
         )) {
        if (auto* b = batch_of(r[2].as<std::uint64_t>(), "an expiry")) {
            b->expiries.push_back(Expiry{
                uuid(r[0].as<std::string>()), static_cast<Timestamp>(r[1].as<std::int64_t>())});
        }
        ++report.checked.expiries;
    }
    for (const auto& r : tx.exec(
             "SELECT id, result, timestamp, batch FROM " + s +
             ".failed_transfers ORDER BY batch, timestamp"
         )) {
        const auto result = parse_transfer_result(r[1].as<std::string>());
        if (!result) {
            problem(
                "failed transfer " + r[0].as<std::string>() + " has an unknown result " +
                r[1].as<std::string>()
            );
            continue;
        }
        if (auto* b = batch_of(r[3].as<std::uint64_t>(), "a failed transfer")) {
            b->failed.push_back(FailedTransfer{
                uuid(r[0].as<std::string>()),
                *result,
                static_cast<Timestamp>(r[2].as<std::int64_t>())});
        }
        ++report.checked.failed;
    }
    report.checked.batches = batches.size();

    // ---- 1. the hash chain
    // ------------------------------------------------------------------------
    Digest prev{};
    std::uint64_t expected_seq = 1;
    for (const auto& [seq, b] : batches) {
        if (seq != expected_seq) {
            problem(
                "batch " + std::to_string(expected_seq) + " is missing (the next stored batch is " +
                std::to_string(seq) + ")"
            );
            expected_seq = seq;
        }
        ++expected_seq;
        if (b.prev != prev) {
            problem(
                "batch " + std::to_string(seq) +
                " does not link to the digest of the batch before it"
            );
        }
        const Digest recomputed = chain_digest(b.prev, b);
        if (recomputed != b.digest) {
            problem(
                "batch " + std::to_string(seq) + " rows do not match its digest (stored " +
                digest_hex(b.digest) + ", recomputed " + digest_hex(recomputed) +
                "): a row was changed, added or removed"
            );
        }
        prev = b.digest;
    }

    // ---- 2-4. structure and sums
    // --------------------------------------------------------------------
    std::unordered_map<Id128, Account, platform::Id128Hash> accounts;
    for (const auto& [seq, b] : batches) {
        for (const auto& a : b.accounts) {
            accounts.emplace(a.id, a);
        }
    }
    std::unordered_map<Id128, Balances, platform::Id128Hash> running;
    std::map<Currency, std::pair<std::int64_t, std::int64_t>> posted_by_currency;
    for (const auto& [seq, b] : batches) {
        std::unordered_map<Id128, std::pair<int, int>, platform::Id128Hash>
            sides;  // transfer -> (debits, credits)
        std::unordered_map<Id128, const Transfer*, platform::Id128Hash> transfers_here;
        for (const auto& t : b.transfers) {
            transfers_here.emplace(t.id, &t);
        }
        for (const auto& e : b.entries) {
            const auto acct = accounts.find(e.account_id);
            if (acct == accounts.end()) {
                problem(
                    "an entry of transfer " + e.transfer_id.to_string() +
                    " names unknown account " + e.account_id.to_string()
                );
                continue;
            }
            auto& r = running[e.account_id];
            (e.debit ? r.debits_posted : r.credits_posted) += e.amount;
            if (r.debits_posted != e.debits_posted_after ||
                r.credits_posted != e.credits_posted_after) {
                problem(
                    "account " + e.account_id.to_string() +
                    ": the running balance after transfer " + e.transfer_id.to_string() +
                    " does not equal the sum of its entries"
                );
                r.debits_posted = e.debits_posted_after;
                r.credits_posted = e.credits_posted_after;
            }
            auto& totals = posted_by_currency[acct->second.currency];
            (e.debit ? totals.first : totals.second) += e.amount;
            const auto t = transfers_here.find(e.transfer_id);
            if (t == transfers_here.end() || t->second->amount != e.amount ||
                t->second->timestamp != e.timestamp ||
                (e.debit ? t->second->debit_account_id : t->second->credit_account_id) !=
                    e.account_id) {
                problem(
                    "entry of account " + e.account_id.to_string() + " at " +
                    std::to_string(e.timestamp) + " does not match a transfer of its batch"
                );
                continue;
            }
            auto& count = sides[e.transfer_id];
            (e.debit ? count.first : count.second) += 1;
        }
        for (const auto& t : b.transfers) {
            const bool moves = !t.is_pending() && !t.is_void();
            const auto it = sides.find(t.id);
            const auto counts = it == sides.end() ? std::pair<int, int>{0, 0} : it->second;
            if (moves && counts != std::pair<int, int>{1, 1}) {
                problem(
                    "posted transfer " + t.id.to_string() + " has " + std::to_string(counts.first) +
                    " debit and " + std::to_string(counts.second) + " credit entries (want 1 and 1)"
                );
            }
            if (!moves && counts != std::pair<int, int>{0, 0}) {
                problem("transfer " + t.id.to_string() + " moves no posted money but has entries");
            }
        }
    }
    for (const auto& [currency, totals] : posted_by_currency) {
        if (totals.first != totals.second) {
            problem(
                std::string{to_string(currency)} + ": posted debits " +
                std::to_string(totals.first) + " do not equal posted credits " +
                std::to_string(totals.second)
            );
        }
    }

    // ---- 5. replay
    // --------------------------------------------------------------------------------
    LedgerState replay;
    replay.set_replaying(true);
    for (const auto& [seq, b] : batches) {
        BatchDelta delta;
        // Events of the batch in timestamp order: expiries happened at the batch's start, accounts
        // and transfers in the order of their timestamps.
        struct Event {
            Timestamp ts;
            int kind;  // 0 expiry, 1 account, 2 transfer
            std::size_t index;
        };
        std::vector<Event> events;
        for (std::size_t i = 0; i < b.expiries.size(); ++i) {
            events.push_back(Event{b.expiries[i].timestamp, 0, i});
        }
        for (std::size_t i = 0; i < b.accounts.size(); ++i) {
            events.push_back(Event{b.accounts[i].timestamp, 1, i});
        }
        for (std::size_t i = 0; i < b.transfers.size(); ++i) {
            events.push_back(Event{b.transfers[i].timestamp, 2, i});
        }
        std::sort(events.begin(), events.end(), [](const Event& x, const Event& y) {
            return x.ts < y.ts;
        });
        for (const auto& ev : events) {
            if (ev.kind == 0) {
                if (!replay.replay_expiry(b.expiries[ev.index], delta)) {
                    problem(
                        "expiry of " + b.expiries[ev.index].pending_id.to_string() + " in batch " +
                        std::to_string(seq) + " was not due or not pending"
                    );
                }
            } else if (ev.kind == 1) {
                // Replayed one by one: the chain that carried an event is over, its link flag moot.
                Account a = b.accounts[ev.index];
                a.flags &= static_cast<std::uint16_t>(~kAccountLinked);
                const auto r =
                    replay.create_accounts(std::span<const Account>{&a, 1}, ev.ts, delta);
                if (r.front() != CreateAccountResult::kOk) {
                    problem(
                        "account " + b.accounts[ev.index].id.to_string() +
                        " does not replay: " + std::string{to_string(r.front())}
                    );
                }
            } else {
                // Post and void are stored resolved; replay them as such (accounts and amount
                // given).
                Transfer t = b.transfers[ev.index];
                t.flags &= static_cast<std::uint16_t>(~kTransferLinked);
                const auto r =
                    replay.create_transfers(std::span<const Transfer>{&t, 1}, ev.ts, delta);
                if (r.front() != CreateTransferResult::kOk) {
                    problem(
                        "transfer " + t.id.to_string() + " in batch " + std::to_string(seq) +
                        " does not replay: " + std::string{to_string(r.front())}
                    );
                }
            }
        }
        if (delta.entries.size() != b.entries.size()) {
            problem(
                "batch " + std::to_string(seq) + ": replay writes " +
                std::to_string(delta.entries.size()) + " entries, the store has " +
                std::to_string(b.entries.size())
            );
        } else {
            for (std::size_t i = 0; i < b.entries.size(); ++i) {
                const auto& x = delta.entries[i];
                const auto& y = b.entries[i];
                if (x.account_id != y.account_id || x.amount != y.amount || x.debit != y.debit ||
                    x.debits_posted_after != y.debits_posted_after ||
                    x.credits_posted_after != y.credits_posted_after) {
                    problem(
                        "batch " + std::to_string(seq) + ": entry " + std::to_string(i) +
                        " differs on replay"
                    );
                    break;
                }
            }
        }
        if (delta.snapshots.size() != b.snapshots.size()) {
            problem(
                "batch " + std::to_string(seq) + ": replay keeps " +
                std::to_string(delta.snapshots.size()) + " balance snapshots, the store has " +
                std::to_string(b.snapshots.size())
            );
        } else {
            for (std::size_t i = 0; i < b.snapshots.size(); ++i) {
                if (delta.snapshots[i].balances != b.snapshots[i].balances ||
                    delta.snapshots[i].account_id != b.snapshots[i].account_id) {
                    problem(
                        "batch " + std::to_string(seq) + ": balance snapshot " + std::to_string(i) +
                        " differs on replay"
                    );
                    break;
                }
            }
        }
        for (const auto& f : b.failed) {
            replay.restore_failed(f.id, f.result);
        }
    }
    // Limits hold at the end (the replay refused anything that crossed them along the way).
    std::map<Currency, Balances> totals;
    replay.for_each_account([&](const Account& a) {
        auto& t = totals[a.currency];
        t.debits_pending += a.balances.debits_pending;
        t.debits_posted += a.balances.debits_posted;
        t.credits_pending += a.balances.credits_pending;
        t.credits_posted += a.balances.credits_posted;
        if ((a.flags & kDebitsMustNotExceedCredits) != 0 &&
            a.balances.debits_pending + a.balances.debits_posted > a.balances.credits_posted) {
            problem("account " + a.id.to_string() + " has debits beyond its credits");
        }
        if ((a.flags & kCreditsMustNotExceedDebits) != 0 &&
            a.balances.credits_pending + a.balances.credits_posted > a.balances.debits_posted) {
            problem("account " + a.id.to_string() + " has credits beyond its debits");
        }
    });
    for (const auto& [currency, t] : totals) {
        if (t.debits_pending != t.credits_pending) {
            problem(
                std::string{to_string(currency)} + ": pending debits do not equal pending credits"
            );
        }
    }

    // ---- 6. the live engine
    // -----------------------------------------------------------------------
    // The hash chain cannot show batches cut from its end: what is left still links. The engine
    // knows how far it committed.
    const std::uint64_t head = batches.empty() ? 0 : batches.rbegin()->first;
    if (!batches.empty()) {
        report.head = BatchHead{head, batches.rbegin()->second.digest};
    }
    if (live != nullptr) {
        if (engine_committed > head) {
            problem(
                stored_end(head) + " but the engine committed up to batch " +
                std::to_string(engine_committed) + ": batches missing"
            );
        }
        // Read after the snapshot: a batch the snapshot holds has committed, and the engine names
        // it in last_seq, or is still confirming it (at most one).
        const EngineStats after = live->stats();
        const std::uint64_t engine_may_have = after.last_seq + (after.commit_unconfirmed ? 1 : 0);
        if (head > engine_may_have) {
            problem(
                stored_end(head) + ", ahead of the engine, which committed up to batch " +
                std::to_string(after.last_seq) + ": batches the engine did not commit"
            );
        }
        // Balances are compared only when the engine committed nothing after the snapshot (its
        // accounts and last_seq change together): then its acknowledged balances must be exactly
        // what the stored history adds up to.
        const auto engine_accounts = live->accounts();
        if (!batches.empty() && after.last_seq == head && live->stats().last_seq == head) {
            for (const auto& a : engine_accounts) {
                const Account* replayed = replay.find_account(a.id);
                if (replayed == nullptr || replayed->balances != a.balances) {
                    problem(
                        "account " + a.id.to_string() +
                        ": the engine's balances differ from the stored history"
                    );
                }
            }
        }
    }

    // ---- 7. an expected head, recorded outside the database
    // --------------------------------------------------------
    if (verify_options.expect_head) {
        const BatchHead& want = *verify_options.expect_head;
        const auto it = batches.find(want.seq);
        if (it == batches.end()) {
            problem(
                want.seq > head
                    ? stored_end(head) + " but the expected head is batch " +
                          std::to_string(want.seq) + ": batches missing"
                    : "batch " + std::to_string(want.seq) + ", the expected head, is missing"
            );
        } else if (it->second.digest != want.digest) {
            problem(
                "batch " + std::to_string(want.seq) + " has digest " +
                digest_hex(it->second.digest) + ", not the expected head's " +
                digest_hex(want.digest) + ": the history up to it changed"
            );
        }
    }
    tx.commit();
    return report;
}

}  // namespace chelete::ledger
