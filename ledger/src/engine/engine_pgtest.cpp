#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include <chelete/ledger/engine.hpp>
#include <chelete/ledger/pg_store.hpp>
#include <chelete/ledger/verify.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::ledger {
namespace {

using R = CreateTransferResult;
using namespace std::chrono_literals;

class EnginePgTest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        schema_ = std::make_unique<testing::TempSchema>();
        auto conn = schema_->connect();
        (void)platform::apply_migrations(*conn, schema_->name(), ledger_migrations());
        engine_ = std::make_unique<Engine>(
            std::make_unique<PgLedgerStore>(schema_->pool_options(1)), clock_
        );
        engine_->start();
    }

    platform::SystemClock clock_;
    std::unique_ptr<testing::TempSchema> schema_;
    std::unique_ptr<Engine> engine_;
};

TEST_F(EnginePgTest, OppositeTransfersOnTheSameAccountsUnderConcurrency) {
    // The design that locks account rows deadlocks when A->B and B->A meet; a single writer
    // cannot, and no update may be lost.
    Account a;
    a.id = Id128{1, 1};
    a.code = 1;
    Account b = a;
    b.id = Id128{1, 2};
    ASSERT_TRUE(engine_->create_accounts({a, b}).ok);
    constexpr int kThreads = 8;
    constexpr int kPerThread = 250;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                Transfer x;
                x.id = Id128{2, static_cast<std::uint64_t>(t * kPerThread + i + 1)};
                x.debit_account_id = t % 2 == 0 ? a.id : b.id;
                x.credit_account_id = t % 2 == 0 ? b.id : a.id;
                x.amount = 1 + i % 7;
                x.code = 1;
                const auto out = engine_->create_transfers({x});
                if (out.ok && out.transfer_results.at(0) == R::kOk) {
                    ++ok;
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(ok.load(), kThreads * kPerThread);
    std::int64_t expected = 0;
    for (int i = 0; i < kPerThread; ++i) {
        expected += 1 + i % 7;
    }
    const auto ab = engine_->account(a.id)->balances;
    EXPECT_EQ(ab.debits_posted, expected * kThreads / 2);
    EXPECT_EQ(ab.credits_posted, expected * kThreads / 2);
    EXPECT_GT(engine_->stats().batches, 1U);
    EXPECT_LT(engine_->stats().batches, static_cast<std::uint64_t>(kThreads * kPerThread))
        << "requests were batched";
    const auto report = verify_ledger(schema_->pool_options(1), engine_.get());
    EXPECT_TRUE(report.ok) << (report.problems.empty() ? "" : report.problems.front());
}

TEST_F(EnginePgTest, PendingTransfersExpireWithoutAnyRequest) {
    Account a;
    a.id = Id128{3, 1};
    a.code = 1;
    Account b = a;
    b.id = Id128{3, 2};
    ASSERT_TRUE(engine_->create_accounts({a, b}).ok);
    Transfer p;
    p.id = Id128{4, 1};
    p.debit_account_id = a.id;
    p.credit_account_id = b.id;
    p.amount = 900;
    p.code = 1;
    p.flags = kPending;
    p.timeout = 1;
    ASSERT_EQ(engine_->create_transfers({p}).transfer_results.at(0), R::kOk);
    EXPECT_EQ(engine_->account(a.id)->balances.debits_pending, 900);
    ASSERT_TRUE(testing::wait_until(
        [&] { return engine_->account(a.id)->balances.debits_pending == 0; }, 5s
    )) << "the engine's own clock expires it";
    auto conn = schema_->connect();
    pqxx::read_transaction tx{*conn};
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM expiries")[0].as<int>(), 1);
}

TEST_F(EnginePgTest, ResultsArriveOnlyAfterTheCommit) {
    Account a;
    a.id = Id128{5, 1};
    a.code = 1;
    const auto out = engine_->create_accounts({a});
    ASSERT_TRUE(out.ok);
    // The callback ran: the row must be visible to any other session now.
    auto conn = schema_->connect();
    pqxx::read_transaction tx{*conn};
    EXPECT_EQ(
        tx.exec_params1("SELECT count(*) FROM accounts WHERE id = $1", a.id.to_string())[0].as<int>(
        ),
        1
    );
}

}  // namespace
}  // namespace chelete::ledger
