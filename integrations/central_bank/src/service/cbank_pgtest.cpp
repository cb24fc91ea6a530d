// The cbank service against a real PostgreSQL, without the bus: remit.completed stored once, the
// +02:00 day boundary, the daily job (idempotent), regeneration, and the report operations.
#include <gtest/gtest.h>

#include <chelete/central_bank/service.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::central_bank {
namespace {

using nlohmann::json;
namespace api = platform::api;
using namespace std::chrono_literals;

// Callers as functions: a static api::Caller's strings could throw before main (cert-err58).
api::Caller finance() {
    return {"finance-1", "finance", 0};
}
api::Caller admin() {
    return {"admin-1", "admin", 0};
}
api::Caller worker() {
    return {"11111111-1111-4111-8111-111111111111", "worker", 0};
}

TimePoint at(std::string_view text) {
    return *platform::parse_rfc3339(text);
}

json completed(
    const std::string& id,
    std::string_view completed_at,
    std::string_view status = "paid",
    std::int64_t send = 50'000
) {
    return json{
        {"remittance_id", id},
        {"reference", "ref-" + id},
        {"status", status},
        {"reason", "paid out"},
        {"created_at", "2026-03-01T12:00:00.000Z"},
        {"completed_at", completed_at},
        {"send_amount", {{"amount_minor", send}, {"currency", "ZAR"}}},
        {"fee", {{"amount_minor", 1'500}, {"currency", "ZAR"}}},
        {"receive_amount", {{"amount_minor", send - 1'500}, {"currency", "LSL"}}},
        {"rate", "1/1"},
        {"purpose", "bop_417"},
        {"bop_category", "417"},
        {"source_of_funds", "salary"},
        {"payout",
         {{"method", "mpesa"}, {"reference", "ref-" + id}, {"partner_reference", nullptr}}},
        {"sender",
         {{"id", worker().subject},
          {"full_name", "Mokoena, \"Thabo\""},
          {"date_of_birth", "1990-04-01"},
          {"id_type", "foreign_passport"},
          {"id_number_masked", "*****4567"},
          {"nationality", "LS"},
          {"phone", "+27821234567"},
          {"country", "ZA"}}},
        {"beneficiary",
         {{"id", "22222222-2222-4222-8222-222222222222"},
          {"full_name", "Mpho Mokoena"},
          {"phone", "+26658123456"},
          {"relationship", "mother"},
          {"country", "LS"}}}};
}

class CbankPgTest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        schema_ = testing::unique_name("cbank_t");
        clock_.set(at("2026-03-03T08:00:00Z"));  // 3 March, 10:00 at +02:00
    }
    void TearDown() override {
        service_.reset();
        if (testing::pg_dsn()) {
            pqxx::connection c{*testing::pg_dsn()};
            pqxx::work tx{c};
            tx.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
            tx.commit();
        }
    }

    CentralBankService& service() {
        if (!service_) {
            platform::MapEnvironment env{
                {"CHELETE_PG_DSN", *testing::pg_dsn()},
                {"CHELETE_CBANK_SCHEMA", schema_},
                {"CHELETE_CBANK_RETURN_AT", "02:30"}};
            platform::ConfigReader reader{env};
            platform_ = platform::PlatformSettings::load(reader);
            auto settings = CbankSettings::load(reader);
            reader.finish();
            service_ = std::make_unique<CentralBankService>(platform_, settings, clock_);
            service_->migrate();
        }
        return *service_;
    }

    void event(std::string_view type, const json& payload) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec("SET search_path TO " + schema_);
        service().on_event(tx, type, payload.dump());
        tx.commit();
    }

    api::Reply call(
        const std::string& operation,
        std::optional<api::Caller> caller,
        const json& query = json::object(),
        const json& path = json::object(),
        const json& body = nullptr
    ) {
        api::Request r;
        r.operation = operation;
        r.request_id = "pgtest";
        r.caller = std::move(caller);
        r.query = query;
        r.path = path;
        r.body = body;
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec("SET search_path TO " + schema_);
        auto reply = service().handle(tx, r);
        tx.commit();
        return reply;
    }

    std::int64_t count(const std::string& sql) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        tx.exec("SET search_path TO " + schema_);
        return tx.exec1(sql)[0].as<std::int64_t>();
    }

    std::string schema_;
    platform::ManualClock clock_;
    platform::PlatformSettings platform_;
    std::unique_ptr<CentralBankService> service_;
};

TEST_F(CbankPgTest, AnEventConsumedTwiceIsOneRow) {
    const std::string id = platform::new_uuid();
    event(messages::kRemitCompleted, completed(id, "2026-03-02T08:00:00.000Z"));
    event(messages::kRemitCompleted, completed(id, "2026-03-02T08:00:00.000Z"));
    // A final state never changes: a later copy with another status changes nothing.
    event(messages::kRemitCompleted, completed(id, "2026-03-02T09:00:00.000Z", "refunded"));
    EXPECT_EQ(count("SELECT count(*) FROM remittances"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM remittances WHERE status = 'paid'"), 1);
    // Malformed payloads and other types are dropped without an effect.
    event(messages::kRemitCompleted, json{{"remittance_id", platform::new_uuid()}});
    event("remit.status_changed", completed(platform::new_uuid(), "2026-03-02T08:00:00.000Z"));
    EXPECT_EQ(count("SELECT count(*) FROM remittances"), 1);
}

TEST_F(CbankPgTest, TheDayEndsAtMidnightPlusTwoHours) {
    const std::string last = platform::new_uuid();
    const std::string next = platform::new_uuid();
    event(messages::kRemitCompleted, completed(last, "2026-03-01T21:59:59.999Z"));
    event(messages::kRemitCompleted, completed(next, "2026-03-01T22:00:00.000Z"));
    auto reply = call("getCentralBankDailyReturn", finance(), {{"date", "2026-03-01"}});
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    ASSERT_EQ(reply.body["count"], 1);
    EXPECT_EQ(reply.body["items"][0]["remittance_id"], last);
    reply = call("getCentralBankDailyReturn", finance(), {{"date", "2026-03-02"}});
    ASSERT_EQ(reply.body["count"], 1);
    EXPECT_EQ(reply.body["items"][0]["remittance_id"], next);
    EXPECT_EQ(reply.body["items"][0]["value_date"], "2026-03-02");
}

TEST_F(CbankPgTest, TheCsvIsAnAttachmentWithExactAmountsAndOnlyPaidRows) {
    const std::string id = platform::new_uuid();
    event(messages::kRemitCompleted, completed(id, "2026-03-02T08:00:00.000Z"));
    event(
        messages::kRemitCompleted,
        completed(platform::new_uuid(), "2026-03-02T08:30:00.000Z", "refunded")
    );
    event(
        messages::kRemitCompleted,
        completed(platform::new_uuid(), "2026-03-02T08:30:00.000Z", "rejected")
    );
    const auto reply =
        call("getCentralBankDailyReturn", finance(), {{"date", "2026-03-02"}, {"format", "csv"}});
    ASSERT_EQ(reply.status, 200);
    EXPECT_EQ(reply.content_type, "text/csv; charset=utf-8");
    EXPECT_EQ(
        reply.headers.at("Content-Disposition"),
        "attachment; filename=\"chelete-cross_border-2026-03-02.csv\""
    );
    const std::string& csv = reply.body_text;
    EXPECT_TRUE(csv.starts_with(std::string{cross_border_csv_header()} + "\r\n"));
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 2) << csv;
    EXPECT_NE(
        csv.find("ref-" + id + "," + id + ",2026-03-02,2026-03-02T08:00:00.000Z"), std::string::npos
    );
    EXPECT_NE(
        csv.find(",500.00,ZAR,15.00,ZAR,485.00,ZAR,485.00,LSL,1/1,mpesa,"), std::string::npos
    );
    EXPECT_NE(csv.find(",\"Mokoena, \"\"Thabo\"\"\",1990-04-01,"), std::string::npos) << csv;
    EXPECT_NE(csv.find(",*****4567,"), std::string::npos);
    // The read is access-logged against the sender.
    EXPECT_EQ(
        count("SELECT count(*) FROM access_log WHERE subject_id = '" + worker().subject + "'"), 1
    );
}

TEST_F(CbankPgTest, RolesAndQueriesAreChecked) {
    EXPECT_EQ(call("getCentralBankDailyReturn", worker(), {{"date", "2026-03-02"}}).status, 403);
    EXPECT_EQ(
        call("getCentralBankDailyReturn", std::nullopt, {{"date", "2026-03-02"}}).status, 403
    );
    EXPECT_EQ(call("getSettlementSummary", worker(), {{"date", "2026-03-02"}}).status, 403);
    auto reply = call("getCentralBankDailyReturn", finance(), {{"date", "2026-03-03"}});
    EXPECT_EQ(reply.status, 400) << "today has not ended";
    EXPECT_EQ(reply.body["errors"][0]["field"], "date");
    EXPECT_EQ(call("getCentralBankDailyReturn", finance(), {{"date", "2026-3-2"}}).status, 400);
    EXPECT_EQ(
        call(
            "getCentralBankDailyReturn", finance(), {{"date", "2026-03-02"}, {"format", "xml"}}
        ).status,
        400
    );
    EXPECT_EQ(count("SELECT count(*) FROM returns"), 0) << "a refused read produces nothing";
}

TEST_F(CbankPgTest, TheJobProducesThePreviousDayOnceAndARegenerationIsExplicit) {
    const std::string first = platform::new_uuid();
    event(messages::kRemitCompleted, completed(first, "2026-03-02T08:00:00.000Z"));
    // 02:29 local on 3 March: the hour has not come; 1 March is the latest due (and empty).
    clock_.set(at("2026-03-03T00:29:00Z"));
    EXPECT_EQ(service().run_job_once(), platform::parse_date("2026-03-01"));
    clock_.set(at("2026-03-03T00:30:00Z"));
    EXPECT_EQ(service().run_job_once(), platform::parse_date("2026-03-02"));
    EXPECT_EQ(service().run_job_once(), std::nullopt) << "produced once";
    EXPECT_EQ(count("SELECT count(*) FROM returns WHERE business_date = '2026-03-02'"), 4);
    EXPECT_EQ(
        count("SELECT row_count FROM returns WHERE business_date = '2026-03-02' AND report = "
              "'cross_border' AND format = 'csv'"),
        1
    );
    EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE type = 'cbank.return_produced'"), 2)
        << "one event per day produced";
    const auto stored = call("getCentralBankDailyReturn", finance(), {{"date", "2026-03-02"}});
    EXPECT_EQ(stored.headers.count("X-Chelete-Return-Stale"), 0U);
    EXPECT_EQ(stored.headers.at("X-Chelete-Return-Version"), "1");

    // A remittance of 2 March that arrives late: the stored return is answered, marked stale.
    const std::string late = platform::new_uuid();
    event(messages::kRemitCompleted, completed(late, "2026-03-02T21:00:00.000Z"));
    auto reply = call("getCentralBankDailyReturn", finance(), {{"date", "2026-03-02"}});
    EXPECT_EQ(reply.body["count"], 1);
    EXPECT_EQ(reply.headers.at("X-Chelete-Return-Stale"), "true");

    EXPECT_EQ(
        call(
            "regenerateCentralBankDailyReturn",
            worker(),
            {},
            {{"date", "2026-03-02"}},
            {{"reason", "late"}}
        ).status,
        403
    );
    EXPECT_EQ(
        call(
            "regenerateCentralBankDailyReturn",
            finance(),
            {},
            {{"date", "2026-03-02"}},
            json::object()
        )
            .status,
        422
    );
    reply = call(
        "regenerateCentralBankDailyReturn",
        admin(),
        {},
        {{"date", "2026-03-02"}},
        {{"reason", "a remittance arrived late"}}
    );
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    EXPECT_EQ(reply.body["version"], 2);
    EXPECT_EQ(reply.body["files"].size(), 4U);
    EXPECT_EQ(count("SELECT count(*) FROM return_history WHERE business_date = '2026-03-02'"), 4);
    reply = call("getCentralBankDailyReturn", finance(), {{"date", "2026-03-02"}});
    EXPECT_EQ(reply.body["count"], 2);
    EXPECT_EQ(reply.headers.at("X-Chelete-Return-Version"), "2");
    EXPECT_EQ(reply.headers.count("X-Chelete-Return-Stale"), 0U);
    EXPECT_EQ(service().run_job_once(), std::nullopt) << "the job leaves a produced day alone";
}

TEST_F(CbankPgTest, ThresholdsComeFromPaidRemittancesAndCashDeposits) {
    const std::string big = platform::new_uuid();
    event(messages::kRemitCompleted, completed(big, "2026-03-02T08:00:00.000Z", "paid", 2'001'500));
    event(
        messages::kRemitCompleted,
        completed(platform::new_uuid(), "2026-03-02T08:00:00.000Z", "paid", 2'001'499)
    );
    const std::string deposit = platform::new_uuid();
    const json d{
        {"deposit_id", deposit},
        {"worker_id", worker().subject},
        {"agent_id", "agent-1"},
        {"amount_minor", 5'000'000},
        {"at", "2026-03-02T07:00:00.000Z"}};
    event(messages::kDepositReceived, d);
    event(messages::kDepositReceived, d);
    EXPECT_EQ(count("SELECT count(*) FROM deposits"), 1);
    const auto reply = call(
        "getCentralBankDailyReturn", finance(), {{"date", "2026-03-02"}, {"report", "thresholds"}}
    );
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    ASSERT_EQ(reply.body["count"], 2);
    EXPECT_EQ(reply.body["items"][0]["kind"], "ctr");
    EXPECT_EQ(reply.body["items"][0]["reference_id"], deposit);
    EXPECT_EQ(reply.body["items"][1]["kind"], "iftr");
    EXPECT_EQ(reply.body["items"][1]["reference_id"], big);
    EXPECT_EQ(reply.body["items"][1]["amount"]["amount"], "20000.00");
}

TEST_F(CbankPgTest, TheSettlementSummaryGroupsPaidRemittancesPerPartner) {
    event(messages::kRemitCompleted, completed(platform::new_uuid(), "2026-03-02T08:00:00.000Z"));
    event(messages::kRemitCompleted, completed(platform::new_uuid(), "2026-03-02T09:00:00.000Z"));
    event(
        messages::kRemitCompleted,
        completed(platform::new_uuid(), "2026-03-02T09:00:00.000Z", "cancelled")
    );
    const auto reply = call("getSettlementSummary", finance(), {{"date", "2026-03-02"}});
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    ASSERT_EQ(reply.body["partners"].size(), 1U);
    EXPECT_EQ(reply.body["partners"][0]["partner"], "mpesa");
    EXPECT_EQ(reply.body["partners"][0]["count"], 2);
    EXPECT_EQ(reply.body["partners"][0]["paid_out"]["amount"], "970.00");
    EXPECT_EQ(reply.body["totals"]["fees_earned"]["amount"], "30.00");
}

}  // namespace
}  // namespace chelete::central_bank
