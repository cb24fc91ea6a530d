#pragma once

#include <memory>
#include <string>
#include <vector>

#include <chelete/ledger/store.hpp>
#include <chelete/platform/pg.hpp>

namespace chelete::ledger {

/// The ledger's PostgreSQL storage: one transaction per batch, COPY for every table, one commit
/// (one WAL flush) per batch, and a SHA-256 chain over the batches' rows. The engine is the single
/// writer of its schema.
class PgLedgerStore final : public LedgerStore {
public:
    explicit PgLedgerStore(platform::PgPoolOptions options);
    ~PgLedgerStore() override;
    PgLedgerStore(const PgLedgerStore&) = delete;
    PgLedgerStore& operator=(const PgLedgerStore&) = delete;
    PgLedgerStore(PgLedgerStore&&) = delete;
    PgLedgerStore& operator=(PgLedgerStore&&) = delete;

    [[nodiscard]] LoadedLedger load() override;
    void persist(Batch& batch, const BatchHook& hook) override;

private:
    pqxx::connection& connection();

    platform::PgPoolOptions options_;
    std::unique_ptr<pqxx::connection> conn_;
    std::uint64_t last_seq_ = 0;
    Digest last_digest_{};
};

/// The ledger schema's migrations (the bus tables come separately).
[[nodiscard]] std::vector<platform::Migration> ledger_migrations();

namespace rows {
// The COPY text of each row. The batch digest is computed over exactly these lines, and verify
// re-creates them from what the database returns, so write and check share one formatter.
std::string account(const Account& a, std::uint64_t batch);
std::string transfer(const Transfer& t, std::uint64_t batch);
std::string entry(const Entry& e, std::uint64_t batch);
std::string snapshot(const BalanceSnapshot& s, std::uint64_t batch);
std::string expiry(const Expiry& e, std::uint64_t batch);
std::string failed(const FailedTransfer& f, std::uint64_t batch);
std::string batch_header(std::uint64_t seq, Timestamp first, Timestamp last);
}  // namespace rows

}  // namespace chelete::ledger
