#include <gtest/gtest.h>

#include <chelete/gateway/idempotency.hpp>

namespace chelete::gateway {
namespace {

using platform::from_unix_ms;

IdempotencyRecord record(bool completed, std::int64_t locked_until_ms, std::int64_t expires_ms) {
    IdempotencyRecord r;
    r.request_hash = "h1";
    r.completed = completed;
    r.locked_until = from_unix_ms(locked_until_ms);
    r.expires_at = from_unix_ms(expires_ms);
    return r;
}

TEST(IdempotencyTest, FirstUseProceeds) {
    EXPECT_EQ(decide_idempotency(std::nullopt, "h1", from_unix_ms(0)), IdempotencyAction::kProceed);
}

TEST(IdempotencyTest, SameRequestFinishedIsReplayed) {
    EXPECT_EQ(
        decide_idempotency(record(true, 100, 10'000), "h1", from_unix_ms(500)),
        IdempotencyAction::kReplay
    );
}

TEST(IdempotencyTest, AnotherRequestUnderTheSameKeyConflicts) {
    EXPECT_EQ(
        decide_idempotency(record(true, 100, 10'000), "h2", from_unix_ms(500)),
        IdempotencyAction::kConflictOtherRequest
    );
    EXPECT_EQ(
        decide_idempotency(record(false, 1000, 10'000), "h2", from_unix_ms(500)),
        IdempotencyAction::kConflictOtherRequest
    );
}

TEST(IdempotencyTest, ARunningRequestConflictsUntilItsLockLapses) {
    EXPECT_EQ(
        decide_idempotency(record(false, 1000, 10'000), "h1", from_unix_ms(500)),
        IdempotencyAction::kConflictInProgress
    );
    EXPECT_EQ(
        decide_idempotency(record(false, 1000, 10'000), "h1", from_unix_ms(1000)),
        IdempotencyAction::kProceed
    );
}

TEST(IdempotencyTest, ExpiredRecordsAreForgotten) {
    EXPECT_EQ(
        decide_idempotency(record(true, 100, 10'000), "h2", from_unix_ms(10'000)),
        IdempotencyAction::kProceed
    );
}

TEST(IdempotencyTest, HashCoversMethodPathAndBody) {
    const auto base = idempotency_request_hash("POST", "/v1/x", "{}");
    EXPECT_EQ(base, idempotency_request_hash("POST", "/v1/x", "{}"));
    EXPECT_NE(base, idempotency_request_hash("PUT", "/v1/x", "{}"));
    EXPECT_NE(base, idempotency_request_hash("POST", "/v1/y", "{}"));
    EXPECT_NE(base, idempotency_request_hash("POST", "/v1/x", "{ }"));
}

TEST(IdempotencyTest, KeysAreVisibleAsciiUpTo255) {
    EXPECT_TRUE(is_valid_idempotency_key("0b8e6a1c-1f0e-4f5e-9c1f-3f0b3e0b3e0b"));
    EXPECT_TRUE(is_valid_idempotency_key(std::string(255, 'k')));
    EXPECT_FALSE(is_valid_idempotency_key(""));
    EXPECT_FALSE(is_valid_idempotency_key(std::string(256, 'k')));
    EXPECT_FALSE(is_valid_idempotency_key("has space"));
    EXPECT_FALSE(is_valid_idempotency_key("tab\there"));
    EXPECT_FALSE(is_valid_idempotency_key("caf\xc3\xa9"));
}

}  // namespace
}  // namespace chelete::gateway
