// The ledger's HTTP operations as finance staff meet them: `chelete all` as a child process (the
// gateway forwarding to the ledger over the bus, as in production), real PostgreSQL and Redis.
// Money is put in through the ledger's command stream, as the remittance service will.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/platform/redis.hpp>

#include "chelete_process.hpp"

namespace chelete {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace bus = platform::bus;

class LedgerHttpITest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        CHELETE_REQUIRE_REDIS();
        chelete_ = std::make_unique<testing::CheleteProcess>();
        ASSERT_TRUE(chelete_->ready());
        http_ = &chelete_->http();
        client_ = std::make_unique<bus::BusClient>(
            bus::BusOptions{*testing::redis_options()}, testing::unique_name("reply")
        );
        client_->start();
    }

    void TearDown() override {
        client_.reset();
        chelete_.reset();
    }

    json command(std::string_view type, const json& payload) {
        const auto reply = client_->request_sync(
            bus::OutgoingMessage{
                chelete_->ledger_stream(), std::string{type}, payload.dump(), "", ""},
            10s
        );
        EXPECT_TRUE(reply.has_value()) << type << " got no reply";
        return reply ? json::parse(reply->payload) : json{};
    }

    std::string token(const std::string& role) { return chelete_->token(role, "staff-1"); }

    /// Sends one request of transfers and expects every one `ok`.
    void transfer_ok(const json& transfers) {
        const auto r = command("ledger.create_transfers", {{"transfers", transfers}});
        ASSERT_EQ(r["status"], 200) << r.dump();
        for (const auto& result : r["body"]["results"]) {
            ASSERT_EQ(result["result"], "ok") << r.dump();
        }
    }

    /// The transfer's ledger timestamp (nanoseconds), asked of the ledger over the bus.
    std::int64_t timestamp_of(const std::string& transfer_id) {
        const auto r = command("ledger.get_transfer", {{"id", transfer_id}});
        EXPECT_EQ(r["status"], 200) << r.dump();
        return r["status"] == 200 ? r["body"]["timestamp"].get<std::int64_t>() : 0;
    }

    /// A moment to the nanosecond, as `at` takes it: RFC 3339 with nine fractional digits.
    static std::string moment(std::int64_t ns) {
        const std::string whole =
            platform::format_rfc3339(platform::from_unix_ms(ns / 1'000'000'000 * 1000));
        std::string fraction = std::to_string(ns % 1'000'000'000);
        fraction.insert(0, 9 - fraction.size(), '0');
        return whole.substr(0, 19) + "." + fraction + "Z";
    }

    json verify() {
        const auto res = http_->request(
            "POST", "/v1/ledger/verify", "", {"Authorization: Bearer " + token("admin")}
        );
        EXPECT_EQ(res.status, 200) << res.body;
        return res.status == 200 ? json::parse(res.body) : json{};
    }

    /// The ledger's `ledger.batch_committed` events published so far.
    std::vector<json> batch_events() {
        platform::RedisClient redis{*testing::redis_options()};
        const std::string stream = chelete_->ledger_stream() + ".events";
        const auto entries = redis.command({"XRANGE", stream, "-", "+"});
        std::vector<json> out;
        if (entries.is_error()) {
            return out;
        }
        for (std::size_t i = 0; i < entries.value().size(); ++i) {
            const auto m = bus::parse_entry(stream, entries.value()[i]);
            if (m && m->type == "ledger.batch_committed") {
                out.push_back(json::parse(m->payload));
            }
        }
        return out;
    }

    /// Runs `sql` on the ledger's schema with its append-only triggers off, as the tables' owner
    /// (or a superuser) could.
    void tamper(const std::string& table, const std::string& sql) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec("SET LOCAL search_path TO " + chelete_->ledger_schema());
        tx.exec("ALTER TABLE " + table + " DISABLE TRIGGER USER");
        tx.exec(sql);
        tx.exec("ALTER TABLE " + table + " ENABLE TRIGGER USER");
        tx.commit();
    }

    testing::HttpResult get(const std::string& path, const std::string& role) {
        return http_->get(path, {"Authorization: Bearer " + token(role)});
    }

    std::unique_ptr<testing::CheleteProcess> chelete_;
    testing::HttpClient* http_ = nullptr;
    std::unique_ptr<bus::BusClient> client_;
};

TEST_F(LedgerHttpITest, FinanceReadsBalancesStatementsAndTheTrialBalance) {
    const std::string wallet = platform::new_uuid();
    const std::string collection = platform::new_uuid();
    auto r = command(
        "ledger.create_accounts",
        {{"accounts",
          {{{"id", wallet},
            {"currency", "ZAR"},
            {"code", 100},
            {"flags", {"debits_must_not_exceed_credits"}}},
           {{"id", collection}, {"currency", "ZAR"}, {"code", 200}}}}}
    );
    ASSERT_EQ(r["status"], 200) << r.dump();
    json transfers = json::array();
    for (int i = 1; i <= 3; ++i) {
        transfers.push_back(
            {{"id", platform::new_uuid()},
             {"debit_account_id", collection},
             {"credit_account_id", wallet},
             {"amount", i * 10'000},
             {"currency", "ZAR"},
             {"code", 1}}
        );
    }
    r = command("ledger.create_transfers", {{"transfers", transfers}});
    ASSERT_EQ(r["status"], 200) << r.dump();

    auto res = get("/v1/ledger/accounts/" + wallet, "finance");
    ASSERT_EQ(res.status, 200) << res.body;
    auto body = json::parse(res.body);
    EXPECT_EQ(body["balances"]["credits_posted"]["amount"], "600.00");
    EXPECT_EQ(body["balances"]["credits_posted"]["currency"], "ZAR");

    // The statement, a page at a time, with the running balance after each entry.
    res = get("/v1/ledger/accounts/" + wallet + "/entries?limit=2", "finance");
    ASSERT_EQ(res.status, 200) << res.body;
    body = json::parse(res.body);
    ASSERT_EQ(body["items"].size(), 2U);
    EXPECT_EQ(body["items"][0]["balance_after"]["amount"], "100.00");
    EXPECT_EQ(body["items"][1]["balance_after"]["amount"], "300.00");
    ASSERT_TRUE(body.contains("next_cursor") && body["next_cursor"].is_string()) << body.dump();
    res =
        get("/v1/ledger/accounts/" + wallet +
                "/entries?limit=2&cursor=" + body["next_cursor"].get<std::string>(),
            "finance");
    ASSERT_EQ(res.status, 200) << res.body;
    body = json::parse(res.body);
    ASSERT_EQ(body["items"].size(), 1U);
    EXPECT_EQ(body["items"][0]["balance_after"]["amount"], "600.00");

    res = get("/v1/ledger/trial-balance", "finance");
    ASSERT_EQ(res.status, 200) << res.body;
    body = json::parse(res.body);
    ASSERT_FALSE(body["currencies"].empty());
    EXPECT_EQ(body["currencies"][0]["balanced"], true);

    res = http_->request(
        "POST", "/v1/ledger/verify", "", {"Authorization: Bearer " + token("admin")}
    );
    ASSERT_EQ(res.status, 200) << res.body;
    body = json::parse(res.body);
    EXPECT_EQ(body["ok"], true) << res.body;
    EXPECT_EQ(body["checked"]["transfers"], 3);
}

TEST_F(LedgerHttpITest, OnlyFinanceReadsAndBadIdsAreRefusedWithTheField) {
    const std::string account = platform::new_uuid();
    // Not finance: refused before anything reaches the ledger.
    for (const std::string role : {"worker", "agent", "compliance_officer", "ministry_officer"}) {
        EXPECT_EQ(get("/v1/ledger/accounts/" + account, role).status, 403) << role;
        EXPECT_EQ(get("/v1/ledger/trial-balance", role).status, 403) << role;
    }
    EXPECT_EQ(http_->get("/v1/ledger/trial-balance").status, 401);
    EXPECT_EQ(
        http_
            ->request("POST", "/v1/ledger/verify", "", {"Authorization: Bearer " + token("worker")})
            .status,
        403
    );

    auto res = get("/v1/ledger/accounts/" + account, "finance");
    EXPECT_EQ(res.status, 404) << res.body;
    EXPECT_EQ(res.headers["content-type"], "application/problem+json");

    res = get("/v1/ledger/accounts/not-an-id", "finance");
    EXPECT_EQ(res.status, 400) << res.body;
    EXPECT_NE(res.body.find("id"), std::string::npos) << res.body;

    res = get("/v1/ledger/accounts/" + account + "/entries?limit=0", "finance");
    EXPECT_EQ(res.status, 400) << res.body;
    EXPECT_NE(res.body.find("limit"), std::string::npos) << res.body;
}

// `?at=`: the balances at a past moment, to the nanosecond of the ledger's timestamps (a transfer
// counts from its own timestamp on). An account with the `history` flag answers all four balances
// as they were; one without history answers its posted balances only, rebuilt from its entries:
// its pending amounts are not recorded per moment. Before the account existed, everything is zero.
TEST_F(LedgerHttpITest, BalancesAtAPastMomentWithAndWithoutHistory) {
    const std::string wallet = platform::new_uuid();
    const std::string cash = platform::new_uuid();
    auto r = command(
        "ledger.create_accounts",
        {{"accounts",
          {{{"id", wallet},
            {"currency", "ZAR"},
            {"code", 100},
            {"flags", {"debits_must_not_exceed_credits", "history"}}},
           {{"id", cash}, {"currency", "ZAR"}, {"code", 200}}}}}
    );
    ASSERT_EQ(r["status"], 200) << r.dump();
    const std::string deposit = platform::new_uuid();
    const std::string hold = platform::new_uuid();
    const std::string spend = platform::new_uuid();
    const std::string capture = platform::new_uuid();
    const auto move = [&](const std::string& id,
                          const std::string& debit,
                          const std::string& credit,
                          std::int64_t amount,
                          const json& flags) {
        return json{
            {"id", id},
            {"debit_account_id", debit},
            {"credit_account_id", credit},
            {"amount", amount},
            {"currency", "ZAR"},
            {"code", 1},
            {"flags", flags}};
    };
    // One request each, so each is a batch (and a moment) of its own.
    ASSERT_NO_FATAL_FAILURE(
        transfer_ok(json::array({move(deposit, cash, wallet, 10'000, json::array())}))
    );
    ASSERT_NO_FATAL_FAILURE(
        transfer_ok(json::array({move(hold, wallet, cash, 3'000, json::array({"pending"}))}))
    );
    ASSERT_NO_FATAL_FAILURE(
        transfer_ok(json::array({move(spend, wallet, cash, 2'500, json::array())}))
    );
    ASSERT_NO_FATAL_FAILURE(transfer_ok(json::array(
        {{{"id", capture},
          {"pending_id", hold},
          {"amount", 0},
          {"currency", "ZAR"},
          {"flags", json::array({"post_pending_transfer"})}}}
    )));
    const std::int64_t t_deposit = timestamp_of(deposit);
    const std::int64_t t_hold = timestamp_of(hold);
    const std::int64_t t_spend = timestamp_of(spend);
    const std::int64_t t_capture = timestamp_of(capture);
    ASSERT_TRUE(0 < t_deposit && t_deposit < t_hold && t_hold < t_spend && t_spend < t_capture);

    const auto zar = [](const char* amount) {
        return json{{"amount", amount}, {"currency", "ZAR"}};
    };
    const auto four = [&](const char* dp, const char* dpo, const char* cp, const char* cpo) {
        return json{
            {"debits_pending", zar(dp)},
            {"debits_posted", zar(dpo)},
            {"credits_pending", zar(cp)},
            {"credits_posted", zar(cpo)}};
    };
    const auto posted = [&](const char* dpo, const char* cpo) {
        return json{{"debits_posted", zar(dpo)}, {"credits_posted", zar(cpo)}};
    };
    struct Moment {
        std::string at;
        json wallet;  // history: all four
        json cash;    // no history: posted only
    };
    const std::vector<Moment> moments{
        {"2000-01-01T00:00:00Z", four("0.00", "0.00", "0.00", "0.00"), posted("0.00", "0.00")},
        {moment(t_deposit - 1), four("0.00", "0.00", "0.00", "0.00"), posted("0.00", "0.00")},
        {moment(t_deposit), four("0.00", "0.00", "0.00", "100.00"), posted("100.00", "0.00")},
        {moment(t_hold - 1), four("0.00", "0.00", "0.00", "100.00"), posted("100.00", "0.00")},
        {moment(t_hold), four("30.00", "0.00", "0.00", "100.00"), posted("100.00", "0.00")},
        {moment(t_spend), four("30.00", "25.00", "0.00", "100.00"), posted("100.00", "25.00")},
        {moment(t_capture - 1),
         four("30.00", "25.00", "0.00", "100.00"),
         posted("100.00", "25.00")},
        {moment(t_capture), four("0.00", "55.00", "0.00", "100.00"), posted("100.00", "55.00")},
        {"2199-12-31T23:59:59Z",
         four("0.00", "55.00", "0.00", "100.00"),
         posted("100.00", "55.00")},
    };
    for (const auto& m : moments) {
        for (const auto& [account, expected] :
             {std::pair{wallet, m.wallet}, std::pair{cash, m.cash}}) {
            const auto res = get("/v1/ledger/accounts/" + account + "?at=" + m.at, "finance");
            ASSERT_EQ(res.status, 200) << m.at << ": " << res.body;
            const auto body = json::parse(res.body);
            EXPECT_EQ(body["balances"], expected)
                << (account == wallet ? "history" : "no history") << " account at " << m.at;
            EXPECT_EQ(body["as_of"], platform::format_rfc3339(*platform::parse_rfc3339(m.at)))
                << "as_of echoes the moment (to the millisecond)";
        }
    }
    // Without `at`: the current balances, all four, for both.
    auto res = get("/v1/ledger/accounts/" + cash, "finance");
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(json::parse(res.body)["balances"], four("0.00", "100.00", "0.00", "55.00"));
    EXPECT_FALSE(json::parse(res.body).contains("as_of"));

    res = get("/v1/ledger/accounts/" + wallet + "?at=yesterday", "finance");
    EXPECT_EQ(res.status, 400) << res.body;
    EXPECT_THAT(res.body, HasSubstr("\"at\"")) << "the problem names the parameter";
}

// Verify over HTTP on a history someone edited behind the append-only triggers: the answer is a
// report that is not ok and names what is wrong.
TEST_F(LedgerHttpITest, VerifyReportsAnEditedTransfer) {
    const std::string wallet = platform::new_uuid();
    const std::string cash = platform::new_uuid();
    auto r = command(
        "ledger.create_accounts",
        {{"accounts",
          {{{"id", wallet}, {"currency", "ZAR"}, {"code", 100}},
           {{"id", cash}, {"currency", "ZAR"}, {"code", 200}}}}}
    );
    ASSERT_EQ(r["status"], 200) << r.dump();
    const std::string edited = platform::new_uuid();
    ASSERT_NO_FATAL_FAILURE(transfer_ok(json::array(
        {{{"id", edited},
          {"debit_account_id", cash},
          {"credit_account_id", wallet},
          {"amount", 30'000},
          {"currency", "ZAR"},
          {"code", 1}}}
    )));
    auto report = verify();
    ASSERT_EQ(report["ok"], true) << report.dump();

    // 300.00 becomes 0.01 in the transfers table; its entries still say 300.00.
    tamper("transfers", "UPDATE transfers SET amount = 1 WHERE id = '" + edited + "'");
    report = verify();
    EXPECT_EQ(report["ok"], false) << report.dump();
    ASSERT_TRUE(report["problems"].is_array() && !report["problems"].empty()) << report.dump();
    const std::string problems = report["problems"].dump();
    EXPECT_THAT(problems, HasSubstr("rows do not match its digest")) << "the hash chain";
    EXPECT_THAT(
        problems, HasSubstr("posted transfer " + edited + " has 0 debit and 0 credit entries")
    ) << "its entries no longer match it";
    EXPECT_THAT(problems, HasSubstr("differs on replay")) << "the replay";
}

// Batches deleted from the end of the chain (with their rows, behind the append-only triggers)
// leave a chain that still links. The running ledger knows it committed them, and a head recorded
// from the batch_committed events (or from an earlier report) names one that is gone.
TEST_F(LedgerHttpITest, VerifyReportsTheNewestBatchesDeleted) {
    const std::string wallet = platform::new_uuid();
    const std::string cash = platform::new_uuid();
    auto r = command(
        "ledger.create_accounts",
        {{"accounts",
          {{{"id", wallet}, {"currency", "ZAR"}, {"code", 100}},
           {{"id", cash}, {"currency", "ZAR"}, {"code", 200}}}}}
    );
    ASSERT_EQ(r["status"], 200) << r.dump();
    for (int i = 1; i <= 3; ++i) {  // one batch each
        ASSERT_NO_FATAL_FAILURE(transfer_ok(json::array(
            {{{"id", platform::new_uuid()},
              {"debit_account_id", cash},
              {"credit_account_id", wallet},
              {"amount", i * 1'000},
              {"currency", "ZAR"},
              {"code", 1}}}
        )));
    }
    auto report = verify();
    ASSERT_EQ(report["ok"], true) << report.dump();
    ASSERT_TRUE(report.contains("head")) << report.dump();
    const json head = report["head"];
    const std::int64_t seq = head["seq"].get<std::int64_t>();
    ASSERT_GE(seq, 4);

    // The same head was published: the batch's ledger.batch_committed event carries it.
    json published;
    ASSERT_TRUE(testing::wait_until(
        [&] {
            for (const auto& e : batch_events()) {
                if (e.value("seq", std::int64_t{0}) == seq) {
                    published = e;
                    return true;
                }
            }
            return false;
        },
        10s
    )) << "no ledger.batch_committed event for batch "
       << seq;
    EXPECT_EQ(published["digest"], head["digest"]) << published.dump();

    for (const std::string table :
         {"accounts", "transfers", "entries", "account_balances", "expiries", "failed_transfers"}) {
        tamper(table, "DELETE FROM " + table + " WHERE batch >= " + std::to_string(seq - 1));
    }
    tamper("batches", "DELETE FROM batches WHERE seq >= " + std::to_string(seq - 1));
    const std::string ends = "the stored chain ends at batch " + std::to_string(seq - 2);

    report = verify();
    EXPECT_EQ(report["ok"], false) << report.dump();
    EXPECT_THAT(
        report["problems"].dump(),
        HasSubstr(
            ends + " but the engine committed up to batch " + std::to_string(seq) +
            ": batches missing"
        )
    ) << "the running ledger's comparison";

    const auto res = http_->post_json(
        "/v1/ledger/verify",
        json{{"expect_head", head}}.dump(),
        {"Authorization: Bearer " + token("finance")}
    );
    ASSERT_EQ(res.status, 200) << res.body;
    report = json::parse(res.body);
    EXPECT_EQ(report["ok"], false) << report.dump();
    EXPECT_THAT(
        report["problems"].dump(),
        HasSubstr(
            ends + " but the expected head is batch " + std::to_string(seq) + ": batches missing"
        )
    ) << "the recorded head";

    const auto bad = http_->post_json(
        "/v1/ledger/verify",
        json{{"expect_head", {{"seq", seq}, {"digest", "not hex"}}}}.dump(),
        {"Authorization: Bearer " + token("finance")}
    );
    EXPECT_EQ(bad.status, 422) << bad.body;
    EXPECT_THAT(bad.body, HasSubstr("digest"));
}

/// Two ledger shards under `chelete all` (docs/scaling.md): each shard is a ledger of its own on
/// its own stream; the gateway reads them as one.
class ShardedLedgerHttpITest : public LedgerHttpITest {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        CHELETE_REQUIRE_REDIS();
        chelete_ = std::make_unique<testing::CheleteProcess>(std::map<std::string, std::string>{
            {"CHELETE_LEDGER_SHARDS", "2"}});
        ASSERT_TRUE(chelete_->ready());
        http_ = &chelete_->http();
        client_ = std::make_unique<bus::BusClient>(
            bus::BusOptions{*testing::redis_options()}, testing::unique_name("reply")
        );
        client_->start();
    }

    json command_to(std::size_t shard, std::string_view type, const json& payload) {
        const std::string stream =
            chelete_->ledger_stream() + (shard == 0 ? "" : "." + std::to_string(shard));
        const auto reply = client_->request_sync(
            bus::OutgoingMessage{stream, std::string{type}, payload.dump(), "", ""}, 10s
        );
        EXPECT_TRUE(reply.has_value()) << type << " got no reply from shard " << shard;
        return reply ? json::parse(reply->payload) : json{};
    }

    /// A wallet credited `amount` minor units from a collection account, both in `shard`.
    std::string funded_wallet(std::size_t shard, std::int64_t amount) {
        const std::string wallet = platform::new_uuid();
        const std::string collection = platform::new_uuid();
        auto r = command_to(
            shard,
            "ledger.create_accounts",
            {{"accounts",
              {{{"id", wallet}, {"currency", "ZAR"}, {"code", 100}},
               {{"id", collection}, {"currency", "ZAR"}, {"code", 200}}}}}
        );
        EXPECT_EQ(r["status"], 200) << r.dump();
        r = command_to(
            shard,
            "ledger.create_transfers",
            {{"transfers",
              {{{"id", platform::new_uuid()},
                {"debit_account_id", collection},
                {"credit_account_id", wallet},
                {"amount", amount},
                {"currency", "ZAR"},
                {"code", 1}}}}}
        );
        EXPECT_EQ(r["body"]["results"][0]["result"], "ok") << r.dump();
        return wallet;
    }

    testing::HttpResult verify_with(const json& body) {
        return http_->request(
            "POST",
            "/v1/ledger/verify",
            body.dump(),
            {"Authorization: Bearer " + token("admin"), "Content-Type: application/json"}
        );
    }
};

TEST_F(ShardedLedgerHttpITest, EachShardIsALedgerOfItsOwn) {
    const std::string in_zero = funded_wallet(0, 10'000);
    const std::string in_one = funded_wallet(1, 25'000);
    // A transfer between accounts of two shards is refused: neither shard has both.
    const auto r = command_to(
        1,
        "ledger.create_transfers",
        {{"transfers",
          {{{"id", platform::new_uuid()},
            {"debit_account_id", in_one},
            {"credit_account_id", in_zero},
            {"amount", 100},
            {"currency", "ZAR"},
            {"code", 1}}}}}
    );
    EXPECT_EQ(r["body"]["results"][0]["result"], "credit_account_not_found") << r.dump();
    pqxx::connection c{*testing::pg_dsn()};
    pqxx::read_transaction tx{c};
    EXPECT_EQ(
        tx.exec1("SELECT count(*) FROM " + chelete_->ledger_schema() + "_1.transfers")[0].as<int>(),
        1
    );
    EXPECT_EQ(
        tx.exec1("SELECT count(*) FROM " + chelete_->ledger_schema() + ".transfers")[0].as<int>(), 1
    );
}

TEST_F(ShardedLedgerHttpITest, TheGatewayReadsEveryShardAsOneLedger) {
    const std::string in_zero = funded_wallet(0, 10'000);
    const std::string in_one = funded_wallet(1, 25'000);

    // The account from the shard that holds it, wherever that is.
    for (const auto& [wallet, amount] :
         {std::pair{in_zero, "100.00"}, std::pair{in_one, "250.00"}}) {
        auto res = get("/v1/ledger/accounts/" + wallet, "finance");
        ASSERT_EQ(res.status, 200) << res.body;
        EXPECT_EQ(json::parse(res.body)["balances"]["credits_posted"]["amount"], amount);
        res = get("/v1/ledger/accounts/" + wallet + "/entries", "finance");
        ASSERT_EQ(res.status, 200) << res.body;
        EXPECT_EQ(json::parse(res.body)["items"].size(), 1U);
    }
    EXPECT_EQ(get("/v1/ledger/accounts/" + platform::new_uuid(), "finance").status, 404);
    EXPECT_EQ(get("/v1/ledger/accounts/not-an-id", "finance").status, 400);

    // The trial balance: both shards' lines summed, each shard's own beside.
    // The services' system accounts are there too (LSL and ZAR), one of each per shard, opened
    // through the outbox as the services started: waited for.
    const auto zar_of = [](const json& currencies) {
        for (const auto& c : currencies) {
            if (c["currency"] == "ZAR") {
                return c;
            }
        }
        return json::object();
    };
    const auto line_of = [](const json& currency, int code) {
        for (const auto& l : currency["lines"]) {
            if (l["code"] == code) {
                return l;
            }
        }
        return json::object();
    };
    testing::HttpResult res;
    json body;
    EXPECT_TRUE(testing::wait_until(
        [&] {
            res = get("/v1/ledger/trial-balance", "finance");
            body = json::parse(res.body, nullptr, false);
            return res.status == 200 && line_of(zar_of(body["currencies"]), 300)["accounts"] == 2;
        },
        10s
    )) << res.body;
    const json zar = zar_of(body["currencies"]);
    EXPECT_EQ(zar["balanced"], true) << res.body;
    EXPECT_EQ(zar["total_credits_posted"]["amount"], "350.00") << res.body;
    EXPECT_EQ(line_of(zar, 100)["accounts"], 2) << res.body;
    EXPECT_EQ(line_of(zar, 100)["credit_balance"]["amount"], "350.00") << res.body;
    EXPECT_EQ(line_of(zar, 300)["accounts"], 2) << "in transit: one sub-account per shard";
    EXPECT_EQ(line_of(zar, 400)["accounts"], 2) << "fee revenue: one sub-account per shard";
    ASSERT_EQ(body["shards"].size(), 2U);
    EXPECT_EQ(zar_of(body["shards"][1]["currencies"])["total_credits_posted"]["amount"], "250.00");

    // Verify: every shard, each report under `shards`.
    res = verify_with(json::object());
    ASSERT_EQ(res.status, 200) << res.body;
    body = json::parse(res.body);
    EXPECT_EQ(body["ok"], true) << res.body;
    EXPECT_EQ(body["checked"]["transfers"], 2);
    ASSERT_EQ(body["shards"].size(), 2U);
    const json head_of_one = body["shards"][1]["head"];
    ASSERT_TRUE(head_of_one.is_object()) << res.body;

    // A head is checked on the shard it belongs to.
    res = verify_with({{"expect_head", head_of_one}, {"shard", 1}});
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(json::parse(res.body)["ok"], true) << res.body;
    res = verify_with({{"expect_head", head_of_one}, {"shard", 0}});
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(json::parse(res.body)["ok"], false) << res.body;
    res = verify_with({{"expect_head", head_of_one}, {"shard", 2}});
    EXPECT_EQ(res.status, 422) << res.body;
    EXPECT_THAT(res.body, HasSubstr("shard"));
}

}  // namespace
}  // namespace chelete
