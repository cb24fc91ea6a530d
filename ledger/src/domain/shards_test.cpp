#include <array>
#include <string>

#include <gtest/gtest.h>

#include <chelete/ledger/shards.hpp>

namespace chelete::ledger {
namespace {

TEST(ShardsTest, HashIsFnv1aSixtyFourAndNeverChanges) {
    // The published FNV-1a 64 vectors: a wallet's shard must be the same in every process and
    // every version, so the function is pinned to its definition.
    EXPECT_EQ(shard_hash(""), 0xcbf29ce484222325ULL);
    EXPECT_EQ(shard_hash("a"), 0xaf63dc4c8601ec8cULL);
    EXPECT_EQ(shard_hash("foobar"), 0x85944171f73967e8ULL);
    EXPECT_EQ(shard_hash("6f9619ff-8b86-d011-b42d-00c04fc964ff"), 3329782369327056369ULL);
}

TEST(ShardsTest, TwoSpellingsOfOneIdShareAShard) {
    EXPECT_EQ(
        shard_hash("6F9619FF-8B86-D011-B42D-00C04FC964FF"),
        shard_hash("6f9619ff-8b86-d011-b42d-00c04fc964ff")
    );
}

TEST(ShardsTest, OneShardTakesEverything) {
    EXPECT_EQ(shard_of("6f9619ff-8b86-d011-b42d-00c04fc964ff", 1), 0U);
    EXPECT_EQ(shard_of("anything", 0), 0U);
}

TEST(ShardsTest, ShardIsTheHashModuloTheCount) {
    EXPECT_EQ(shard_of("6f9619ff-8b86-d011-b42d-00c04fc964ff", 2), 1U);
    EXPECT_EQ(shard_of("6f9619ff-8b86-d011-b42d-00c04fc964ff", 3), 0U);
    EXPECT_EQ(shard_of("foobar", 2), 0U);
}

TEST(ShardsTest, WorkersSpreadOverTwoShards) {
    // A thousand different ids: both shards get a fair share.
    std::array<int, 2> counts{};
    for (int i = 0; i < 1000; ++i) {
        ++counts.at(shard_of("worker-" + std::to_string(i), 2));
    }
    EXPECT_GT(counts[0], 400);
    EXPECT_GT(counts[1], 400);
}

TEST(ShardsTest, ShardZeroKeepsTheConfiguredNames) {
    EXPECT_EQ(shard_schema("ledger", 0), "ledger");
    EXPECT_EQ(shard_schema("ledger", 1), "ledger_1");
    EXPECT_EQ(shard_stream("ledger.cmd", 0), "ledger.cmd");
    EXPECT_EQ(shard_stream("ledger.cmd", 2), "ledger.cmd.2");
    EXPECT_EQ(shard_stream("ledger.events", 1), "ledger.events.1");
}

TEST(ShardsTest, SubAccountNamesRoundTrip) {
    EXPECT_EQ(sub_account_name("system:in_transit", 0), "system:in_transit");
    EXPECT_EQ(sub_account_name("system:in_transit", 1), "system:in_transit@shard1");
    for (std::size_t shard : {0U, 1U, 7U, 12U}) {
        EXPECT_EQ(shard_of_sub_account_name(sub_account_name("float:mpesa", shard)), shard);
    }
    EXPECT_EQ(shard_of_sub_account_name("agent:a-1"), 0U);
}

TEST(ShardsTest, MalformedSuffixIsRefused) {
    EXPECT_EQ(shard_of_sub_account_name("x@shard"), std::nullopt);
    EXPECT_EQ(shard_of_sub_account_name("x@shard0"), std::nullopt);
    EXPECT_EQ(shard_of_sub_account_name("x@shard01"), std::nullopt);
    EXPECT_EQ(shard_of_sub_account_name("x@shard1b"), std::nullopt);
}

}  // namespace
}  // namespace chelete::ledger
