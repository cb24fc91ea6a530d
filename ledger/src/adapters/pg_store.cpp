#include <charconv>
#include <stdexcept>

#include <openssl/evp.h>
#include <pqxx/cursor>
#include <pqxx/tablewriter>
#include <spdlog/spdlog.h>

#include <chelete/ledger/pg_store.hpp>
#include <chelete/platform/faults.hpp>

#include "ledger_migrations.hpp"

namespace chelete::ledger {
namespace {

// ---- COPY text ---------------------------------------------------------------------------------

void put_int(std::string& out, std::int64_t v) {
    std::array<char, 24> buf{};
    const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out.append(buf.data(), ptr);
}

void put_uint_as_bigint(std::string& out, std::uint64_t v) {
    put_int(out, static_cast<std::int64_t>(v));  // same bit pattern
}

void put_id(std::string& out, const Id128& id) {
    out += id.to_string();
}

void tab(std::string& out) {
    out += '\t';
}

/// COPY of ready-made lines into `table`. The lines are our own canonical text (the batch digest
/// covers exactly these bytes), so nothing may re-escape them: libpqxx 6.4 keeps
/// stream_to::write_raw_line private, and the deprecated tablewriter is the one public raw-line
/// writer it has. Our lines hold only UUIDs, integers, t/f and result names: nothing to escape.
void copy_lines(
    pqxx::dbtransaction& tx,
    const std::string& table,
    const std::vector<std::string>& columns,
    const std::vector<std::string>& lines
) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    pqxx::tablewriter writer{tx, table, columns.begin(), columns.end()};
#pragma GCC diagnostic pop
    for (const auto& line : lines) {
        writer.write_raw_line(line);
    }
    writer.complete();
}

/// SHA-256 fed line by line.
class Hasher {
public:
    Hasher() : ctx_(EVP_MD_CTX_new()) {
        if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
            throw std::runtime_error("SHA-256 init failed");
        }
    }
    ~Hasher() { EVP_MD_CTX_free(ctx_); }
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;
    Hasher(Hasher&&) = delete;
    Hasher& operator=(Hasher&&) = delete;

    void update(const std::uint8_t* data, std::size_t size) {
        if (EVP_DigestUpdate(ctx_, data, size) != 1) {
            throw std::runtime_error("SHA-256 update failed");
        }
    }
    void line(const std::string& text) {
        update(
            reinterpret_cast<const std::uint8_t*>(text.data()), text.size()
        );  // NOLINT: byte view
        const std::uint8_t nl = '\n';
        update(&nl, 1);
    }
    Digest finish() {
        Digest d{};
        unsigned int len = 0;
        if (EVP_DigestFinal_ex(ctx_, d.data(), &len) != 1 || len != d.size()) {
            throw std::runtime_error("SHA-256 final failed");
        }
        return d;
    }

private:
    EVP_MD_CTX* ctx_;
};

std::string bytea_literal(const Digest& d) {
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string out = "\\x";
    for (const auto b : d) {
        out += kHex[(b >> 4U) & 0xFU];
        out += kHex[b & 0xFU];
    }
    return out;
}

Id128 id_of(const pqxx::field& f) {
    const auto parsed = Id128::parse(f.c_str());
    if (!parsed) {
        throw std::runtime_error("ledger: unreadable uuid '" + std::string{f.c_str()} + "'");
    }
    return *parsed;
}

Currency currency_of(int code) {
    if (code != static_cast<int>(Currency::kZar) && code != static_cast<int>(Currency::kLsl)) {
        throw std::runtime_error("ledger: unknown currency code " + std::to_string(code));
    }
    return static_cast<Currency>(code);
}

}  // namespace

namespace rows {

std::string account(const Account& a, std::uint64_t batch) {
    std::string out;
    out.reserve(160);
    put_id(out, a.id);
    tab(out);
    put_int(out, static_cast<int>(a.currency));
    tab(out);
    put_int(out, a.code);
    tab(out);
    put_int(out, a.flags);
    tab(out);
    put_id(out, a.user_data_128);
    tab(out);
    put_uint_as_bigint(out, a.user_data_64);
    tab(out);
    put_int(out, a.user_data_32);
    tab(out);
    put_uint_as_bigint(out, a.timestamp);
    tab(out);
    put_uint_as_bigint(out, batch);
    return out;
}

std::string transfer(const Transfer& t, std::uint64_t batch) {
    std::string out;
    out.reserve(240);
    put_id(out, t.id);
    tab(out);
    put_id(out, t.debit_account_id);
    tab(out);
    put_id(out, t.credit_account_id);
    tab(out);
    put_int(out, t.amount);
    tab(out);
    put_id(out, t.pending_id);
    tab(out);
    put_int(out, static_cast<int>(t.currency));
    tab(out);
    put_int(out, t.code);
    tab(out);
    put_int(out, t.flags);
    tab(out);
    put_int(out, t.timeout);
    tab(out);
    put_id(out, t.user_data_128);
    tab(out);
    put_uint_as_bigint(out, t.user_data_64);
    tab(out);
    put_int(out, t.user_data_32);
    tab(out);
    put_uint_as_bigint(out, t.timestamp);
    tab(out);
    put_uint_as_bigint(out, batch);
    return out;
}

std::string entry(const Entry& e, std::uint64_t batch) {
    std::string out;
    out.reserve(140);
    put_id(out, e.account_id);
    tab(out);
    put_uint_as_bigint(out, e.timestamp);
    tab(out);
    put_id(out, e.transfer_id);
    tab(out);
    put_int(out, e.amount);
    tab(out);
    out += e.debit ? "t" : "f";
    tab(out);
    put_int(out, e.debits_posted_after);
    tab(out);
    put_int(out, e.credits_posted_after);
    tab(out);
    put_uint_as_bigint(out, batch);
    return out;
}

std::string snapshot(const BalanceSnapshot& s, std::uint64_t batch) {
    std::string out;
    out.reserve(140);
    put_id(out, s.account_id);
    tab(out);
    put_uint_as_bigint(out, s.timestamp);
    tab(out);
    out += s.debit_side ? "t" : "f";
    tab(out);
    put_int(out, s.balances.debits_pending);
    tab(out);
    put_int(out, s.balances.debits_posted);
    tab(out);
    put_int(out, s.balances.credits_pending);
    tab(out);
    put_int(out, s.balances.credits_posted);
    tab(out);
    put_uint_as_bigint(out, batch);
    return out;
}

std::string expiry(const Expiry& e, std::uint64_t batch) {
    std::string out;
    put_id(out, e.pending_id);
    tab(out);
    put_uint_as_bigint(out, e.timestamp);
    tab(out);
    put_uint_as_bigint(out, batch);
    return out;
}

std::string failed(const FailedTransfer& f, std::uint64_t batch) {
    std::string out;
    put_id(out, f.id);
    tab(out);
    out += to_string(f.result);
    tab(out);
    put_uint_as_bigint(out, f.timestamp);
    tab(out);
    put_uint_as_bigint(out, batch);
    return out;
}

std::string batch_header(std::uint64_t seq, Timestamp first, Timestamp last) {
    std::string out = "batch\t";
    put_uint_as_bigint(out, seq);
    tab(out);
    put_uint_as_bigint(out, first);
    tab(out);
    put_uint_as_bigint(out, last);
    return out;
}

}  // namespace rows

std::vector<platform::Migration> ledger_migrations() {
    std::vector<std::pair<std::string_view, std::string_view>> files{
        ledger_sql::kAllFiles.begin(), ledger_sql::kAllFiles.end()};
    return platform::migrations_from_files("ledger", files);
}

PgLedgerStore::PgLedgerStore(platform::PgPoolOptions options) : options_(std::move(options)) {}

PgLedgerStore::~PgLedgerStore() = default;

pqxx::connection& PgLedgerStore::connection() {
    if (!conn_ || !conn_->is_open()) {
        platform::PgPool factory{options_};
        conn_ = factory.connect_dedicated();
    }
    return *conn_;
}

LoadedLedger PgLedgerStore::load() {
    conn_.reset();
    auto& conn = connection();
    {
        // One writer per shard: the lock lives as long as this session. A second engine on the
        // same schema waits here (its engine retries load()) until the first one is gone.
        pqxx::nontransaction lock_tx{conn};
        const bool locked =
            lock_tx
                .exec_params1(
                    "SELECT pg_try_advisory_lock(hashtext('chelete.ledger.' || $1))",
                    options_.schema
                )[0]
                .as<bool>();
        if (!locked) {
            conn_.reset();
            throw WriterLockBusy(
                "another ledger engine is the writer of schema " + options_.schema
            );
        }
    }
    LoadedLedger out;
    pqxx::read_transaction tx{conn};
    const std::string& s = options_.schema;
    std::unordered_map<Id128, std::size_t, platform::Id128Hash> account_index;
    for (const auto& r : tx.exec(
             "SELECT id, currency, code, flags, user_data_128, user_data_64, user_data_32, "
             "timestamp "
             "FROM " +
             s + ".accounts ORDER BY timestamp"
         )) {
        Account a;
        a.id = id_of(r[0]);
        a.currency = currency_of(r[1].as<int>());
        a.code = r[2].as<std::uint32_t>();
        a.flags = static_cast<std::uint16_t>(r[3].as<int>());
        a.user_data_128 = id_of(r[4]);
        a.user_data_64 = static_cast<std::uint64_t>(r[5].as<std::int64_t>());
        a.user_data_32 = static_cast<std::uint32_t>(r[6].as<std::int64_t>());
        a.timestamp = static_cast<Timestamp>(r[7].as<std::int64_t>());
        account_index.emplace(a.id, out.accounts.size());
        out.accounts.push_back(a);
    }
    // Posted balances: the running balances of each account's latest entry.
    for (const auto& r : tx.exec(
             "SELECT DISTINCT ON (account_id) account_id, debits_posted, credits_posted FROM " + s +
             ".entries ORDER BY account_id, timestamp DESC"
         )) {
        auto& a = out.accounts.at(account_index.at(id_of(r[0])));
        a.balances.debits_posted = r[1].as<std::int64_t>();
        a.balances.credits_posted = r[2].as<std::int64_t>();
    }
    std::unordered_map<Id128, PendingState, platform::Id128Hash> resolved;
    for (const auto& r :
         tx.exec("SELECT pending_id, flags FROM " + s + ".transfers WHERE flags & 12 <> 0")) {
        resolved[id_of(r[0])] = (r[1].as<int>() & kPostPendingTransfer) != 0
                                    ? PendingState::kPosted
                                    : PendingState::kVoided;
    }
    for (const auto& r : tx.exec("SELECT pending_id FROM " + s + ".expiries")) {
        resolved[id_of(r[0])] = PendingState::kExpired;
    }
    pqxx::icursorstream cursor{
        tx,
        "SELECT id, debit_account_id, credit_account_id, amount, pending_id, currency, code, "
        "flags, timeout, user_data_128, user_data_64, user_data_32, timestamp FROM " +
            s + ".transfers",
        "load_transfers",
        50'000};
    pqxx::result chunk;
    while (cursor >> chunk) {
        for (const auto& r : chunk) {
            TransferRecord rec;
            Transfer& t = rec.transfer;
            t.id = id_of(r[0]);
            t.debit_account_id = id_of(r[1]);
            t.credit_account_id = id_of(r[2]);
            t.amount = r[3].as<std::int64_t>();
            t.pending_id = id_of(r[4]);
            t.currency = currency_of(r[5].as<int>());
            t.code = static_cast<std::uint32_t>(r[6].as<std::int64_t>());
            t.flags = static_cast<std::uint16_t>(r[7].as<int>());
            t.timeout = static_cast<std::uint32_t>(r[8].as<std::int64_t>());
            t.user_data_128 = id_of(r[9]);
            t.user_data_64 = static_cast<std::uint64_t>(r[10].as<std::int64_t>());
            t.user_data_32 = static_cast<std::uint32_t>(r[11].as<std::int64_t>());
            t.timestamp = static_cast<Timestamp>(r[12].as<std::int64_t>());
            if (t.is_pending()) {
                const auto it = resolved.find(t.id);
                rec.state = it == resolved.end() ? PendingState::kPending : it->second;
                rec.expires_at = t.timeout == 0 ? 0
                                                : t.timestamp + static_cast<Timestamp>(t.timeout) *
                                                                    1'000'000'000ULL;
                if (rec.state == PendingState::kPending) {
                    auto& debit = out.accounts.at(account_index.at(t.debit_account_id));
                    auto& credit = out.accounts.at(account_index.at(t.credit_account_id));
                    debit.balances.debits_pending += t.amount;
                    credit.balances.credits_pending += t.amount;
                }
            }
            out.last_timestamp = std::max(out.last_timestamp, t.timestamp);
            out.transfers.push_back(rec);
        }
    }
    for (const auto& r : tx.exec("SELECT id, result FROM " + s + ".failed_transfers")) {
        const auto result = parse_transfer_result(r[1].c_str());
        if (!result) {
            throw std::runtime_error(
                "ledger: unknown failure result '" + std::string{r[1].c_str()} + "'"
            );
        }
        out.failed.emplace_back(id_of(r[0]), *result);
    }
    const auto head = tx.exec(
        "SELECT seq, last_timestamp, digest FROM " + s + ".batches ORDER BY seq DESC LIMIT 1"
    );
    if (!head.empty()) {
        out.last_seq = head[0][0].as<std::uint64_t>();
        out.last_timestamp =
            std::max(out.last_timestamp, static_cast<Timestamp>(head[0][1].as<std::int64_t>()));
        const pqxx::binarystring digest{head[0][2]};
        if (digest.size() != out.last_digest.size()) {
            throw std::runtime_error("ledger: the last batch digest is not 32 bytes");
        }
        std::copy(digest.begin(), digest.end(), out.last_digest.begin());
    }
    for (const auto& a : out.accounts) {
        out.last_timestamp = std::max(out.last_timestamp, a.timestamp);
    }
    last_seq_ = out.last_seq;
    last_digest_ = out.last_digest;
    return out;
}

void PgLedgerStore::persist(Batch& batch, const BatchHook& hook) {
    auto& conn = connection();
    const std::string& s = options_.schema;
    const std::uint64_t seq = last_seq_ + 1;
    const BatchDelta& d = batch.delta;
    Hasher hasher;
    hasher.update(last_digest_.data(), last_digest_.size());
    hasher.line(rows::batch_header(seq, batch.first_timestamp, batch.last_timestamp));
    try {
        pqxx::work tx{conn};
        const auto copy =
            [&](const char* table, const std::vector<std::string>& columns, auto&& lines) {
                if (lines.empty()) {
                    return;
                }
                for (const auto& line : lines) {
                    hasher.line(line);
                }
                copy_lines(tx, s + "." + table, columns, lines);
            };
        const auto make = [&](const auto& items, auto&& format) {
            std::vector<std::string> lines;
            lines.reserve(items.size());
            for (const auto& item : items) {
                lines.push_back(format(item));
            }
            return lines;
        };
        copy(
            "accounts",
            {"id",
             "currency",
             "code",
             "flags",
             "user_data_128",
             "user_data_64",
             "user_data_32",
             "timestamp",
             "batch"},
            make(d.accounts, [&](const Account& a) { return rows::account(a, seq); })
        );
        copy(
            "transfers",
            {"id",
             "debit_account_id",
             "credit_account_id",
             "amount",
             "pending_id",
             "currency",
             "code",
             "flags",
             "timeout",
             "user_data_128",
             "user_data_64",
             "user_data_32",
             "timestamp",
             "batch"},
            make(d.transfers, [&](const Transfer& t) { return rows::transfer(t, seq); })
        );
        copy(
            "entries",
            {"account_id",
             "timestamp",
             "transfer_id",
             "amount",
             "debit",
             "debits_posted",
             "credits_posted",
             "batch"},
            make(d.entries, [&](const Entry& e) { return rows::entry(e, seq); })
        );
        copy(
            "account_balances",
            {"account_id",
             "timestamp",
             "debit_side",
             "debits_pending",
             "debits_posted",
             "credits_pending",
             "credits_posted",
             "batch"},
            make(d.snapshots, [&](const BalanceSnapshot& sn) { return rows::snapshot(sn, seq); })
        );
        copy(
            "expiries",
            {"pending_id", "timestamp", "batch"},
            make(d.expiries, [&](const Expiry& e) { return rows::expiry(e, seq); })
        );
        copy(
            "failed_transfers",
            {"id", "result", "timestamp", "batch"},
            make(d.failed, [&](const FailedTransfer& f) { return rows::failed(f, seq); })
        );
        const Digest digest = hasher.finish();
        tx.exec_params0(
            "INSERT INTO " + s +
                ".batches (seq, first_timestamp, last_timestamp, accounts, transfers, entries, "
                "snapshots, "
                "expiries, failed, prev_digest, digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
                "$9, "
                "decode($10, 'hex'), decode($11, 'hex'))",
            seq,
            static_cast<std::int64_t>(batch.first_timestamp),
            static_cast<std::int64_t>(batch.last_timestamp),
            d.accounts.size(),
            d.transfers.size(),
            d.entries.size(),
            d.snapshots.size(),
            d.expiries.size(),
            d.failed.size(),
            bytea_literal(last_digest_).substr(2),
            bytea_literal(digest).substr(2)
        );
        // The hook sees the batch's place in the chain (the ledger service publishes it).
        batch.seq = seq;
        batch.digest = digest;
        if (hook) {
            hook(tx, batch);
        }
        platform::faults::hit("ledger.before_commit");
        tx.commit();
        platform::faults::hit("ledger.after_commit");
        last_seq_ = seq;
        last_digest_ = digest;
    } catch (...) {
        batch.seq = 0;  // not known to be stored
        batch.digest = Digest{};
        conn_.reset();  // unknown state: the engine reloads before it writes again
        throw;
    }
}

void restore(LedgerState& state, const LoadedLedger& loaded) {
    state.reserve(loaded.accounts.size() * 2 + 16, loaded.transfers.size() * 2 + 1024);
    for (const auto& a : loaded.accounts) {
        state.restore_account(a);
    }
    for (const auto& t : loaded.transfers) {
        state.restore_transfer(t);
    }
    for (const auto& [id, result] : loaded.failed) {
        state.restore_failed(id, result);
    }
    state.restore_last_timestamp(loaded.last_timestamp);
}

}  // namespace chelete::ledger
