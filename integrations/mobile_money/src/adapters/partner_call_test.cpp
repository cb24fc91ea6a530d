#include "adapters/partner_call.hpp"

#include <gtest/gtest.h>

namespace chelete::mobile_money::call {
namespace {

using namespace std::chrono_literals;

TEST(RetryWait, DoublesRespectsRetryAfterAndIsCapped) {
    const RetryPolicy policy{5, 100ms, 1000ms};
    EXPECT_EQ(retry_wait(policy, 1, std::nullopt), 100ms);
    EXPECT_EQ(retry_wait(policy, 2, std::nullopt), 200ms);
    EXPECT_EQ(retry_wait(policy, 3, std::nullopt), 400ms);
    EXPECT_EQ(retry_wait(policy, 5, std::nullopt), 1000ms);
    EXPECT_EQ(retry_wait(policy, 1, 1s), 1000ms);
    EXPECT_EQ(retry_wait(policy, 1, 30s), 1000ms) << "Retry-After is capped";
    EXPECT_EQ(retry_wait(policy, 1, 0s), 100ms);
}

class CountingFetch {
public:
    platform::Result<Fetched, CredentialFailure> operator()() {
        ++calls;
        if (fail) {
            return platform::err(CredentialFailure{true, "INS-2", "bad key"});
        }
        return Fetched{"cred" + std::to_string(calls), lifetime};
    }
    int calls = 0;
    bool fail = false;
    std::chrono::seconds lifetime{100};
};

TEST(CredentialCache, FetchesOnceAndReusesUntilTheMargin) {
    platform::ManualClock clock;
    CountingFetch fetch;
    CredentialCache cache{[&] { return fetch(); }, clock, 10s};
    const auto first = cache.get();
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first.value().value, "cred1");
    clock.advance(89s);
    EXPECT_EQ(cache.get().value().value, "cred1");
    EXPECT_EQ(fetch.calls, 1);
    clock.advance(1s);
    EXPECT_EQ(cache.get().value().value, "cred2") << "renewed 10 s before the 100 s lifetime";
    EXPECT_EQ(fetch.calls, 2);
}

TEST(CredentialCache, AStaleGenerationRenewsOnceOnly) {
    platform::ManualClock clock;
    CountingFetch fetch;
    CredentialCache cache{[&] { return fetch(); }, clock, 10s};
    const auto first = cache.get().value();
    const auto renewed = cache.get(first.generation).value();
    EXPECT_EQ(renewed.value, "cred2");
    // A second caller that saw the same stale credential gets the renewed one, no new fetch.
    EXPECT_EQ(cache.get(first.generation).value().value, "cred2");
    EXPECT_EQ(fetch.calls, 2);
}

TEST(CredentialCache, AFailedFetchIsReportedAndRetriedNextTime) {
    platform::ManualClock clock;
    CountingFetch fetch;
    fetch.fail = true;
    CredentialCache cache{[&] { return fetch(); }, clock, 10s};
    const auto failed = cache.get();
    ASSERT_FALSE(failed.ok());
    EXPECT_TRUE(failed.error().refused);
    EXPECT_EQ(failed.error().code, "INS-2");
    fetch.fail = false;
    EXPECT_TRUE(cache.get().ok());
    EXPECT_EQ(fetch.calls, 2);
}

TEST(CredentialCache, ALifetimeShorterThanTheMarginUsesHalfOfIt) {
    platform::ManualClock clock;
    CountingFetch fetch;
    fetch.lifetime = 4s;
    CredentialCache cache{[&] { return fetch(); }, clock, 60s};
    ASSERT_TRUE(cache.get().ok());
    clock.advance(1s);
    EXPECT_EQ(cache.get().value().value, "cred1");
    clock.advance(1s);
    EXPECT_EQ(cache.get().value().value, "cred2");
}

}  // namespace
}  // namespace chelete::mobile_money::call
