#include <gtest/gtest.h>

#include <chelete/ledger/service.hpp>
#include <chelete/platform/config.hpp>

namespace chelete::ledger {
namespace {

LedgerSettings load(platform::MapEnvironment env, std::vector<std::string>* problems = nullptr) {
    platform::ConfigReader reader{env};
    auto s = LedgerSettings::load(reader);
    if (problems != nullptr) {
        *problems = reader.problems();
    } else {
        EXPECT_TRUE(reader.problems().empty());
    }
    return s;
}

TEST(LedgerSettingsTest, OneShardByDefaultWithTheConfiguredNames) {
    const auto s = load({});
    EXPECT_EQ(s.shard, 0U);
    EXPECT_EQ(s.layout.shards, 1U);
    EXPECT_EQ(s.schema, "ledger");
    EXPECT_EQ(s.streams.command_stream, "ledger.cmd");
    EXPECT_EQ(s.streams.event_stream, "ledger.events");
    EXPECT_EQ(s.layout.command_streams(), std::vector<std::string>{"ledger.cmd"});
}

TEST(LedgerSettingsTest, AProcessServesTheShardItIsGiven) {
    const auto s = load(
        {{"CHELETE_LEDGER_SHARDS", "2"},
         {"CHELETE_LEDGER_SHARD", "1"},
         {"CHELETE_LEDGER_SCHEMA", "books"},
         {"CHELETE_LEDGER_COMMAND_STREAM", "books.cmd"}}
    );
    EXPECT_EQ(s.shard, 1U);
    EXPECT_EQ(s.schema, "books_1");
    EXPECT_EQ(s.streams.command_stream, "books.cmd.1");
    EXPECT_EQ(s.streams.event_stream, "ledger.events.1");
    EXPECT_EQ(s.layout.command_streams(), (std::vector<std::string>{"books.cmd", "books.cmd.1"}));
    const auto zero = s.for_shard(0);
    EXPECT_EQ(zero.schema, "books");
    EXPECT_EQ(zero.streams.command_stream, "books.cmd");
}

TEST(LedgerSettingsTest, AShardBeyondTheCountIsAProblem) {
    std::vector<std::string> problems;
    (void)load({{"CHELETE_LEDGER_SHARDS", "2"}, {"CHELETE_LEDGER_SHARD", "2"}}, &problems);
    ASSERT_EQ(problems.size(), 1U);
    EXPECT_NE(problems[0].find("CHELETE_LEDGER_SHARD=2"), std::string::npos) << problems[0];
}

}  // namespace
}  // namespace chelete::ledger
