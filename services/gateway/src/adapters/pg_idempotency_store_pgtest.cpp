#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include <chelete/gateway/idempotency.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::gateway {
namespace {

using namespace std::chrono_literals;

class PgIdempotencyStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        schema_ = std::make_unique<testing::TempSchema>();
        auto conn = schema_->connect();
        (void)platform::apply_migrations(*conn, schema_->name(), gateway_migrations());
        pool_ = std::make_unique<platform::PgPool>(schema_->pool_options(4));
        store_ =
            std::make_unique<PgIdempotencyStore>(*pool_, clock_, IdempotencySettings{72h, 90s});
    }

    platform::ManualClock clock_{platform::from_unix_ms(1'795'000'000'000)};
    std::unique_ptr<testing::TempSchema> schema_;
    std::unique_ptr<platform::PgPool> pool_;
    std::unique_ptr<PgIdempotencyStore> store_;
};

TEST_F(PgIdempotencyStoreTest, FullLifecycle) {
    EXPECT_EQ(store_->begin("w-1", "k", "h1").action, IdempotencyAction::kProceed);
    EXPECT_EQ(store_->begin("w-1", "k", "h1").action, IdempotencyAction::kConflictInProgress);
    EXPECT_EQ(store_->begin("w-1", "k", "h2").action, IdempotencyAction::kConflictOtherRequest);
    EXPECT_EQ(store_->begin("w-2", "k", "h2").action, IdempotencyAction::kProceed)
        << "keys are per client";
    const StoredResponse response{201, "application/json", "/v1/x/1", R"({"id":"1"})"};
    store_->complete("w-1", "k", response);
    const auto replay = store_->begin("w-1", "k", "h1");
    EXPECT_EQ(replay.action, IdempotencyAction::kReplay);
    EXPECT_EQ(replay.replay, response);
    EXPECT_EQ(store_->begin("w-1", "k", "h2").action, IdempotencyAction::kConflictOtherRequest);
}

TEST_F(PgIdempotencyStoreTest, ACrashedAttemptIsTakenOverAfterItsLock) {
    EXPECT_EQ(store_->begin("w-1", "k", "h1").action, IdempotencyAction::kProceed);
    clock_.advance(89s);
    EXPECT_EQ(store_->begin("w-1", "k", "h1").action, IdempotencyAction::kConflictInProgress);
    clock_.advance(2s);
    EXPECT_EQ(store_->begin("w-1", "k", "h1").action, IdempotencyAction::kProceed);
    EXPECT_EQ(store_->begin("w-1", "k", "h1").action, IdempotencyAction::kConflictInProgress)
        << "locked again";
}

TEST_F(PgIdempotencyStoreTest, AbandonLetsTheClientRetry) {
    EXPECT_EQ(store_->begin("w-1", "k", "h1").action, IdempotencyAction::kProceed);
    store_->abandon("w-1", "k");
    EXPECT_EQ(store_->begin("w-1", "k", "h1").action, IdempotencyAction::kProceed);
}

TEST_F(PgIdempotencyStoreTest, ExpiredKeysAreReusableAndPurged) {
    EXPECT_EQ(store_->begin("w-1", "k", "h1").action, IdempotencyAction::kProceed);
    store_->complete("w-1", "k", StoredResponse{201, "application/json", "", "{}"});
    clock_.advance(73h);
    EXPECT_EQ(store_->begin("w-1", "k", "h2").action, IdempotencyAction::kProceed);
    clock_.advance(73h);
    EXPECT_EQ(store_->purge_expired(), 1U);
}

TEST_F(PgIdempotencyStoreTest, ConcurrentFirstUsesLetExactlyOneProceed) {
    std::atomic<int> proceeded{0};
    std::atomic<int> conflicted{0};
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            const auto a = store_->begin("w-1", "race", "h1").action;
            (a == IdempotencyAction::kProceed ? proceeded : conflicted)++;
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(proceeded.load(), 1);
    EXPECT_EQ(conflicted.load(), 7);
}

}  // namespace
}  // namespace chelete::gateway
