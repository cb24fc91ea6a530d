#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chelete/ledger/engine.hpp>
#include <chelete/ledger/pg_store.hpp>
#include <chelete/ledger/verify.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::ledger {
namespace {

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

}  // namespace
}  // namespace chelete::ledger
