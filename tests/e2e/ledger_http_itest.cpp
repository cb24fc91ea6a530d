// The ledger's HTTP operations as finance staff meet them: `chelete all` as a child process (the
// gateway forwarding to the ledger over the bus, as in production), real PostgreSQL and Redis.
// Money is put in through the ledger's command stream, as the remittance service will.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/random_ids.hpp>

#include "chelete_process.hpp"

namespace chelete {
namespace {

using nlohmann::json;
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

}  // namespace
}  // namespace chelete
