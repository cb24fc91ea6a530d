#include <algorithm>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chelete/ledger/engine.hpp>
#include <chelete/ledger/pg_store.hpp>
#include <chelete/ledger/verify.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::ledger {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using R = CreateTransferResult;

Id128 id(std::uint64_t n) {
    return Id128{0x0192'0000'0000'7000ULL, 0x8000'0000'0000'0000ULL | n};
}

class PgStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        schema_ = std::make_unique<testing::TempSchema>();
        auto conn = schema_->connect();
        (void)platform::apply_migrations(*conn, schema_->name(), ledger_migrations());
    }

    std::unique_ptr<Engine> engine() {
        auto e = std::make_unique<Engine>(
            std::make_unique<PgLedgerStore>(schema_->pool_options(1)), clock_
        );
        e->start();
        return e;
    }

    void exec(const std::string& sql) {
        auto conn = schema_->connect();
        pqxx::work tx{*conn};
        tx.exec(sql);
        tx.commit();
    }

    void seed(Engine& e) {
        Account wallet;
        wallet.id = id(1);
        wallet.code = 100;
        wallet.flags = kDebitsMustNotExceedCredits | kHistory;
        Account cash = wallet;
        cash.id = id(2);
        cash.code = 200;
        cash.flags = 0;
        ASSERT_TRUE(e.create_accounts({wallet, cash}).ok);
        Transfer fund;
        fund.id = id(10);
        fund.debit_account_id = id(2);
        fund.credit_account_id = id(1);
        fund.amount = 50'000;
        fund.code = 1;
        Transfer spend = fund;
        spend.id = id(11);
        spend.debit_account_id = id(1);
        spend.credit_account_id = id(2);
        spend.amount = 1'250;
        Transfer hold = spend;
        hold.id = id(12);
        hold.flags = kPending;
        hold.amount = 700;
        hold.timeout = 3600;
        const auto out = e.create_transfers({fund, spend, hold});
        ASSERT_TRUE(out.ok);
        ASSERT_EQ(out.transfer_results, (std::vector<R>{R::kOk, R::kOk, R::kOk}));
    }

    /// One more batch: a transfer of `amount` from the cash account to the wallet.
    static void top_up(Engine& e, std::uint64_t n, std::int64_t amount) {
        Transfer t;
        t.id = id(n);
        t.debit_account_id = id(2);
        t.credit_account_id = id(1);
        t.amount = amount;
        t.code = 1;
        ASSERT_EQ(e.create_transfers({t}).transfer_results, std::vector<R>{R::kOk});
    }

    /// Batch `seq` as stored.
    BatchHead stored_head(std::uint64_t seq) {
        auto conn = schema_->connect();
        pqxx::read_transaction tx{*conn};
        const pqxx::binarystring stored{
            tx.exec_params1("SELECT digest FROM batches WHERE seq = $1", seq)[0]};
        BatchHead head{seq, {}};
        EXPECT_EQ(stored.size(), head.digest.size());
        std::copy_n(
            stored.begin(), std::min(stored.size(), head.digest.size()), head.digest.begin()
        );
        return head;
    }

    /// Deletes batch `from` and every later one with all their rows, as the tables' owner can
    /// with the append-only triggers turned off.
    void delete_batches_from(std::uint64_t from) {
        std::string sql;
        for (const std::string table :
             {"accounts",
              "transfers",
              "entries",
              "account_balances",
              "expiries",
              "failed_transfers"}) {
            sql += "ALTER TABLE " + table + " DISABLE TRIGGER USER; DELETE FROM " + table +
                   " WHERE batch >= " + std::to_string(from) + "; ALTER TABLE " + table +
                   " ENABLE TRIGGER USER; ";
        }
        sql += "ALTER TABLE batches DISABLE TRIGGER USER; DELETE FROM batches WHERE seq >= " +
               std::to_string(from) + "; ALTER TABLE batches ENABLE TRIGGER USER";
        exec(sql);
    }

    platform::SystemClock clock_;
    std::unique_ptr<testing::TempSchema> schema_;
};

TEST_F(PgStoreTest, CommittedStateSurvivesARestart) {
    {
        auto e = engine();
        seed(*e);
    }
    auto e = engine();
    const auto wallet = e->account(id(1));
    ASSERT_TRUE(wallet.has_value());
    EXPECT_EQ(wallet->balances, (Balances{700, 1'250, 0, 50'000}));
    // The restarted engine knows every id: duplicates are recognised, spent ids stay spent.
    Transfer again;
    again.id = id(11);
    again.debit_account_id = id(1);
    again.credit_account_id = id(2);
    again.amount = 1'250;
    again.code = 1;
    EXPECT_EQ(e->create_transfers({again}).transfer_results.at(0), R::kExists);
    Transfer post;
    post.id = id(13);
    post.pending_id = id(12);
    post.flags = kPostPendingTransfer;
    EXPECT_EQ(e->create_transfers({post}).transfer_results.at(0), R::kOk)
        << "the pending transfer was restored";
    EXPECT_EQ(e->account(id(1))->balances, (Balances{0, 1'950, 0, 50'000}));
    const auto report = verify_ledger(schema_->pool_options(1), e.get());
    EXPECT_TRUE(report.ok) << (report.problems.empty() ? "" : report.problems.front());
    EXPECT_EQ(report.checked.transfers, 4U);
    EXPECT_EQ(report.checked.entries, 6U);
    EXPECT_GE(report.checked.batches, 3U);
}

TEST_F(PgStoreTest, OnlyOneEngineWritesASchema) {
    auto first = engine();
    PgLedgerStore second{schema_->pool_options(1)};
    EXPECT_THROW((void)second.load(), std::runtime_error);
}

// Every ledger table refuses UPDATE, DELETE and TRUNCATE, whoever asks through SQL. Each table
// holds rows first: a row trigger has nothing to refuse on an empty table, and the test would pass
// without one.
TEST_F(PgStoreTest, StoredRowsAreImmutable) {
    {
        // A ledger with a row in every table: accounts, transfers and entries, a history
        // account's balance snapshots, a failure that spends an id, and an expiry.
        platform::ManualClock clock;
        Engine e{std::make_unique<PgLedgerStore>(schema_->pool_options(1)), clock};
        e.start();
        seed(e);
        Transfer short_hold;
        short_hold.id = id(20);
        short_hold.debit_account_id = id(1);
        short_hold.credit_account_id = id(2);
        short_hold.amount = 5;
        short_hold.code = 1;
        short_hold.flags = kPending;
        short_hold.timeout = 1;
        Transfer too_much = short_hold;
        too_much.id = id(21);
        too_much.flags = 0;
        too_much.timeout = 0;
        too_much.amount = 1'000'000;
        ASSERT_EQ(
            e.create_transfers({short_hold, too_much}).transfer_results,
            (std::vector<R>{R::kOk, R::kExceedsCredits})
        );
        clock.advance(std::chrono::seconds{2});
        Transfer later = too_much;
        later.id = id(22);
        later.amount = 1;
        ASSERT_EQ(e.create_transfers({later}).transfer_results, std::vector<R>{R::kOk})
            << "its batch expires the short hold first";
    }
    const std::vector<std::pair<std::string, std::string>> updates{
        {"batches", "UPDATE batches SET digest = prev_digest"},
        {"accounts", "UPDATE accounts SET code = 7"},
        {"transfers", "UPDATE transfers SET amount = amount + 1"},
        {"entries", "UPDATE entries SET credits_posted = credits_posted + 1"},
        {"account_balances", "UPDATE account_balances SET debits_pending = 0"},
        {"expiries", "UPDATE expiries SET timestamp = timestamp + 1"},
        {"failed_transfers", "UPDATE failed_transfers SET result = 'ok'"}};
    const auto rows = [&](const std::string& table) {
        auto conn = schema_->connect();
        pqxx::read_transaction tx{*conn};
        return tx.exec1("SELECT count(*) FROM " + table)[0].as<int>();
    };
    std::map<std::string, int> before;
    for (const auto& [table, update] : updates) {
        before[table] = rows(table);
        ASSERT_GT(before[table], 0) << table << " holds no row to protect";
        for (const auto& [sql, op] : std::vector<std::pair<std::string, std::string>>{
                 {update, "UPDATE"},
                 {"DELETE FROM " + table, "DELETE"},
                 {"TRUNCATE " + table, "TRUNCATE"}}) {
            try {
                exec(sql);
                ADD_FAILURE() << sql << " should have been refused";
            } catch (const pqxx::sql_error& err) {
                EXPECT_THAT(
                    err.what(), HasSubstr("ledger table " + table + " is append-only: " + op)
                ) << sql;
            }
        }
    }
    for (const auto& [table, count] : before) {
        EXPECT_EQ(rows(table), count) << table;
    }
    EXPECT_TRUE(verify_ledger(schema_->pool_options(1)).ok) << "nothing was changed";
}

TEST_F(PgStoreTest, VerifyFindsTampering) {
    {
        auto e = engine();
        seed(*e);
        EXPECT_TRUE(verify_ledger(schema_->pool_options(1)).ok);
    }
    // Someone with the owner's rights turns the guard off and edits history.
    exec(
        "ALTER TABLE transfers DISABLE TRIGGER USER; UPDATE transfers SET amount = 1 WHERE amount "
        "= 1250; "
        "ALTER TABLE transfers ENABLE TRIGGER USER"
    );
    auto report = verify_ledger(schema_->pool_options(1));
    EXPECT_FALSE(report.ok);
    ASSERT_FALSE(report.problems.empty());
    EXPECT_THAT(report.problems.front(), HasSubstr("do not match its digest"));

    exec(
        "ALTER TABLE entries DISABLE TRIGGER USER; DELETE FROM entries WHERE NOT debit AND amount "
        "= 50000; "
        "ALTER TABLE entries ENABLE TRIGGER USER"
    );
    report = verify_ledger(schema_->pool_options(1));
    bool unbalanced = false;
    for (const auto& p : report.problems) {
        unbalanced = unbalanced || p.find("do not equal posted credits") != std::string::npos;
    }
    EXPECT_TRUE(unbalanced) << "a removed entry unbalances the currency";
}

TEST_F(PgStoreTest, VerifyFindsABatchRemovedFromTheMiddle) {
    {
        auto e = engine();
        seed(*e);
    }
    exec(
        "ALTER TABLE batches DISABLE TRIGGER USER; DELETE FROM batches WHERE seq = 1; "
        "ALTER TABLE batches ENABLE TRIGGER USER"
    );
    const auto report = verify_ledger(schema_->pool_options(1));
    EXPECT_FALSE(report.ok);
    EXPECT_THAT(report.problems.front(), HasSubstr("batch 1"));
}

// Batches cut from the end leave a chain that still links: what is left is a valid, shorter
// history. Only something that knows how far the ledger got can tell: the running engine (what it
// committed) or a head recorded outside the database (every ledger.batch_committed event carries
// its batch's seq and digest).
TEST_F(PgStoreTest, VerifyFindsTheNewestBatchesDeleted) {
    auto e = engine();
    seed(*e);
    for (std::uint64_t n = 30; n < 33; ++n) {
        ASSERT_NO_FATAL_FAILURE(top_up(*e, n, 100));
    }
    const auto clean = verify_ledger(schema_->pool_options(1), e.get());
    ASSERT_TRUE(clean.ok) << (clean.problems.empty() ? "" : clean.problems.front());
    ASSERT_TRUE(clean.head.has_value());
    const BatchHead recorded = *clean.head;
    ASSERT_EQ(recorded.seq, e->stats().last_seq);
    ASSERT_EQ(recorded, stored_head(recorded.seq));
    const std::uint64_t cut = recorded.seq - 1;  // the newest two batches go
    const BatchHead before_cut = stored_head(cut - 1);

    delete_batches_from(cut);
    const std::string ends = "the stored chain ends at batch " + std::to_string(cut - 1);
    auto report = verify_ledger(schema_->pool_options(1));
    EXPECT_TRUE(report.ok) << "the chain alone cannot see a cut tail; if it now can, say so here";
    EXPECT_EQ(report.head, before_cut);

    report = verify_ledger(schema_->pool_options(1), e.get());
    EXPECT_FALSE(report.ok) << "the live engine's comparison missed the deleted batches";
    EXPECT_THAT(
        report.problems,
        Contains(
            ends + " but the engine committed up to batch " + std::to_string(recorded.seq) +
            ": batches missing"
        )
    );

    VerifyOptions anchored;
    anchored.expect_head = recorded;
    report = verify_ledger(schema_->pool_options(1), nullptr, anchored);
    EXPECT_FALSE(report.ok) << "the recorded head missed the deleted batches";
    EXPECT_THAT(
        report.problems,
        Contains(
            ends + " but the expected head is batch " + std::to_string(recorded.seq) +
            ": batches missing"
        )
    );

    anchored.expect_head = before_cut;
    report = verify_ledger(schema_->pool_options(1), nullptr, anchored);
    EXPECT_TRUE(report.ok) << "a head recorded before the cut still holds";
    anchored.expect_head->digest[0] ^= 1U;
    report = verify_ledger(schema_->pool_options(1), nullptr, anchored);
    EXPECT_FALSE(report.ok);
    EXPECT_THAT(
        report.problems,
        Contains(HasSubstr(
            "batch " + std::to_string(cut - 1) + " has digest " + digest_hex(before_cut.digest)
        ))
    );
}

// The other way round: the store holds a batch after the last one the engine committed (here one
// inserted behind its back, whose rows the chain also refuses).
TEST_F(PgStoreTest, VerifyFindsAStoredBatchTheEngineDidNotCommit) {
    auto e = engine();
    seed(*e);
    const std::uint64_t last = e->stats().last_seq;
    ASSERT_FALSE(e->stats().commit_unconfirmed);
    const BatchHead head = stored_head(last);
    exec(
        "INSERT INTO batches (seq, first_timestamp, last_timestamp, accounts, transfers, entries, "
        "snapshots, expiries, failed, prev_digest, digest) VALUES (" +
        std::to_string(last + 1) + ", 1, 1, 0, 0, 0, 0, 0, 0, decode('" + digest_hex(head.digest) +
        "', 'hex'), decode('" + digest_hex(head.digest) + "', 'hex'))"
    );
    const auto report = verify_ledger(schema_->pool_options(1), e.get());
    EXPECT_FALSE(report.ok);
    EXPECT_THAT(
        report.problems,
        Contains(
            "the stored chain ends at batch " + std::to_string(last + 1) +
            ", ahead of the engine, which committed up to batch " + std::to_string(last) +
            ": batches the engine did not commit"
        )
    );
}

}  // namespace
}  // namespace chelete::ledger
