// The ledger service over the real bus: commands in, durable replies out, queries answered.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chelete/ledger/service.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::ledger {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace bus = platform::bus;

class LedgerServiceITest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        CHELETE_REQUIRE_REDIS();
        schema_ = testing::unique_name("ledger_t");
        stream_ = testing::unique_name("ledger.cmd.t");
        platform::MapEnvironment env{
            {"CHELETE_PG_DSN", *testing::pg_dsn()},
            {"CHELETE_REDIS_PORT", std::to_string(testing::redis_options()->port)},
            {"CHELETE_RELAY_POLL_INTERVAL", "20ms"},
            {"CHELETE_LEDGER_SCHEMA", schema_},
            {"CHELETE_LEDGER_COMMAND_STREAM", stream_},
            {"CHELETE_LEDGER_EVENT_STREAM", stream_ + ".events"}};
        platform::ConfigReader reader{env};
        platform_ = platform::PlatformSettings::load(reader);
        auto settings = LedgerSettings::load(reader);
        reader.finish();
        service_ = std::make_unique<LedgerService>(platform_, settings);
        service_->start();
        client_ = std::make_unique<bus::BusClient>(platform_.bus, testing::unique_name("reply"));
        client_->start();
    }

    void TearDown() override {
        client_.reset();
        service_.reset();
        if (testing::pg_dsn()) {
            pqxx::connection c{*testing::pg_dsn()};
            pqxx::work tx{c};
            tx.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
            tx.commit();
        }
    }

    json send(std::string_view type, const json& payload) {
        const auto reply = client_->request_sync(
            bus::OutgoingMessage{stream_, std::string{type}, payload.dump(), "", ""}, 10s
        );
        EXPECT_TRUE(reply.has_value()) << type << " got no reply";
        return reply ? json::parse(reply->payload) : json{};
    }

    json query(
        std::string_view type, const json& path = json::object(), const json& query = json::object()
    ) {
        return send(type, json{{"operation", "test"}, {"path", path}, {"query", query}});
    }

    static json account(const std::string& id, std::vector<std::string> flags = {}) {
        return json{{"id", id}, {"currency", "ZAR"}, {"code", 100}, {"flags", flags}};
    }

    static json transfer(
        const std::string& id,
        const std::string& debit,
        const std::string& credit,
        std::int64_t amount
    ) {
        return json{
            {"id", id},
            {"debit_account_id", debit},
            {"credit_account_id", credit},
            {"amount", amount},
            {"currency", "ZAR"},
            {"code", 1}};
    }

    std::string schema_;
    std::string stream_;
    platform::PlatformSettings platform_;
    std::unique_ptr<LedgerService> service_;
    std::unique_ptr<bus::BusClient> client_;
};

// docs/scaling.md: a schema keeps the shard layout it was first started in; resharding is not
// built, so a process configured for another layout must not start on it.
TEST_F(LedgerServiceITest, AShardStartedInAnotherLayoutIsRefused) {
    const auto settings_for = [&](const std::string& shards, const std::string& shard) {
        platform::MapEnvironment env{
            {"CHELETE_LEDGER_SCHEMA", schema_},
            {"CHELETE_LEDGER_COMMAND_STREAM", stream_},
            {"CHELETE_LEDGER_EVENT_STREAM", stream_ + ".events"},
            {"CHELETE_LEDGER_SHARDS", shards},
            {"CHELETE_LEDGER_SHARD", shard}};
        platform::ConfigReader reader{env};
        auto s = LedgerSettings::load(reader);
        reader.finish();
        return s;
    };
    service_.reset();  // the fixture's ledger: shard 0 of 1, recorded when it started
    for (const auto& [shards, shard] :
         std::vector<std::pair<std::string, std::string>>{{"2", "0"}, {"3", "0"}}) {
        LedgerService other{platform_, settings_for(shards, shard)};
        try {
            other.start();
            ADD_FAILURE() << "started as shard " << shard << " of " << shards;
        } catch (const std::runtime_error& e) {
            EXPECT_THAT(
                e.what(),
                ::testing::HasSubstr(
                    "is shard 0 of 1, but this process is configured as shard 0 of " + shards
                )
            );
        }
    }
    // The layout it was started in starts again, and answers.
    service_ = std::make_unique<LedgerService>(platform_, settings_for("1", "0"));
    service_->start();
    const auto a = platform::new_uuid();
    EXPECT_EQ(send("ledger.create_accounts", json{{"accounts", {account(a)}}})["status"], 200);
    pqxx::connection c{*testing::pg_dsn()};
    pqxx::read_transaction tx{c};
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM " + schema_ + ".shard_layout")[0].as<int>(), 1);
}

TEST_F(LedgerServiceITest, CommandsQueriesAndVerify) {
    const std::string wallet = platform::new_uuid();
    const std::string cash = platform::new_uuid();
    auto r = send(
        messages::kCreateAccounts,
        {{"accounts", {account(wallet, {"debits_must_not_exceed_credits"}), account(cash)}}}
    );
    ASSERT_EQ(r["status"], 200) << r.dump();
    EXPECT_EQ(r["body"]["results"][0]["result"], "ok");
    const std::string t1 = platform::new_uuid();
    const std::string t2 = platform::new_uuid();
    r = send(
        messages::kCreateTransfers,
        {{"transfers", {transfer(t1, cash, wallet, 50000), transfer(t2, wallet, cash, 90000)}}}
    );
    ASSERT_EQ(r["status"], 200) << r.dump();
    EXPECT_EQ(r["body"]["results"][0]["result"], "ok");
    EXPECT_EQ(r["body"]["results"][1]["result"], "exceeds_credits");

    r = query(messages::kGetAccount, {{"id", wallet}});
    ASSERT_EQ(r["status"], 200) << r.dump();
    EXPECT_EQ(r["body"]["balances"]["credits_posted"]["amount"], "500.00");
    EXPECT_EQ(r["body"]["flags"], json({"debits_must_not_exceed_credits"}));
    EXPECT_EQ(query(messages::kGetAccount, {{"id", platform::new_uuid()}})["status"], 404);

    r = query(messages::kListEntries, {{"id", wallet}}, {{"limit", 10}});
    ASSERT_EQ(r["status"], 200) << r.dump();
    ASSERT_EQ(r["body"]["items"].size(), 1U);
    EXPECT_EQ(r["body"]["items"][0]["balance_after"]["amount"], "500.00");
    EXPECT_EQ(r["body"]["items"][0]["side"], "credit");

    r = query(messages::kTrialBalance);
    ASSERT_EQ(r["status"], 200);
    EXPECT_EQ(r["body"]["currencies"][0]["balanced"], true);

    r = query(messages::kVerify);
    ASSERT_EQ(r["status"], 200);
    EXPECT_EQ(r["body"]["ok"], true) << r.dump();
    EXPECT_EQ(r["body"]["checked"]["transfers"], 1);
}

TEST_F(LedgerServiceITest, ARedeliveredCommandIsAnsweredButNotAppliedAgain) {
    const std::string a = platform::new_uuid();
    const std::string b = platform::new_uuid();
    ASSERT_EQ(
        send(messages::kCreateAccounts, {{"accounts", {account(a), account(b)}}})["status"], 200
    );
    // The same message (same id) twice on the stream, as a republish after a Redis loss would do.
    bus::Message m;
    m.id = "producer:42";
    m.type = std::string{messages::kCreateTransfers};
    m.correlation_id = "cid-42";
    m.reply_to = client_->reply_stream();
    m.payload = json{{"transfers", {transfer(platform::new_uuid(), a, b, 700)}}}.dump();
    std::vector<std::string> replies;
    std::mutex mutex;
    client_->request(
        bus::OutgoingMessage{"nowhere", "noop", "", "cid-42", ""},
        10s,
        [&](std::optional<bus::Message> reply) {
            std::lock_guard lock{mutex};
            replies.push_back(reply ? reply->payload : "timeout");
        }
    );
    platform::RedisClient redis{platform_.bus.redis};
    for (int i = 0; i < 2; ++i) {
        std::vector<std::string> args{"XADD", stream_, "*"};
        for (auto& f : bus::entry_fields(m)) {
            args.push_back(f);
        }
        (void)redis.command(args);
    }
    ASSERT_TRUE(testing::wait_until(
        [&] {
            std::lock_guard lock{mutex};
            return !replies.empty();
        },
        10s
    ));
    EXPECT_EQ(json::parse(replies.front())["body"]["results"][0]["result"], "ok");
    const auto pending = [&] {
        const auto summary = redis.command({"XPENDING", stream_, "ledger"});
        return summary.is_error() ? -1 : summary.value()[0].integer();
    };
    ASSERT_TRUE(testing::wait_until([&] { return pending() == 0; }, 10s))
        << "both copies are acknowledged";
    const auto balances = query(messages::kGetAccount, {{"id", a}})["body"]["balances"];
    EXPECT_EQ(balances["debits_posted"]["amount"], "7.00") << "applied once";
}

TEST_F(LedgerServiceITest, MalformedCommandsAreRefusedWithTheField) {
    const auto r = send(messages::kCreateTransfers, {{"transfers", {{{"id", "nope"}}}}});
    EXPECT_EQ(r["status"], 422);
    EXPECT_EQ(r["body"]["errors"][0]["field"], "transfers[0].id");
    EXPECT_EQ(send("ledger.teleport", json::object())["status"], 400);
}

}  // namespace
}  // namespace chelete::ledger
