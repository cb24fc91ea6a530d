// The central-bank return end to end through the gateway: `chelete all`, a worker registers,
// cashes in, sends; a test partner pays the remittance out; the remittance service publishes
// remit.completed and the cbank service files it. The paid remittance appears in
// GET /v1/reports/central-bank/daily as CSV and JSON with the right amounts and only the masked
// passport number; only finance may read it.
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/random_ids.hpp>

#include "chelete_process.hpp"
#include "payout_responder.hpp"
#include "spec_check.hpp"

namespace chelete {
namespace {

using nlohmann::json;
using testing::HttpResult;
using namespace std::chrono_literals;

json body(const HttpResult& r) {
    return json::parse(r.body, nullptr, false);
}

std::string digits(std::size_t n) {
    std::string out;
    while (out.size() < n) {
        out += static_cast<char>('0' + platform::crypto::random_u64() % 10);
    }
    return out;
}

class CentralBankHttpITest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        CHELETE_REQUIRE_REDIS();
        // The job is not under test here (cbank_pgtest covers it): once an hour.
        chelete_ = std::make_unique<testing::CheleteProcess>(std::map<std::string, std::string>{
            {"CHELETE_CBANK_JOB_INTERVAL", "1h"}});
        ASSERT_TRUE(chelete_->ready());
        responder_ = std::make_unique<testing::PayoutResponder>(
            chelete_->payout_command_stream(),
            chelete_->payout_event_stream(),
            [](const json&) { return testing::PayoutOutcome::kPaid; }
        );
    }
    void TearDown() override {
        responder_.reset();
        chelete_.reset();
    }

    HttpResult post(const std::string& path, const json& payload, const std::string& auth) {
        auto r = chelete_->http().post_json(
            path, payload.dump(), {"Idempotency-Key: " + platform::new_uuid(), auth}
        );
        (void)testing::check_against_spec("POST", path, r);
        return r;
    }
    HttpResult get(const std::string& path, const std::string& auth) {
        auto r = chelete_->http().get(path, {auth});
        (void)testing::check_against_spec("GET", path, r);
        return r;
    }

    std::unique_ptr<testing::CheleteProcess> chelete_;
    std::unique_ptr<testing::PayoutResponder> responder_;
};

TEST_F(CentralBankHttpITest, APaidRemittanceIsInTheDailyReturnAsCsvAndJson) {
    const std::string passport = "RB" + digits(7);
    auto r = chelete_->http().post_json(
        "/v1/workers",
        json{
            {"given_name", "Teboho"},
            {"family_name", "Lebona"},
            {"date_of_birth", "1988-03-09"},
            {"phone", "+278" + digits(8)},
            {"pin", "48213"},
            {"passport_number", passport},
            {"consents", {{{"purpose", "registration"}, {"granted", true}}}}}
            .dump(),
        {"Idempotency-Key: " + platform::new_uuid()}
    );
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string worker_id = body(r)["id"];
    const std::string worker = chelete_->bearer("worker", worker_id);
    r = post(
        "/v1/workers/" + worker_id + "/beneficiaries",
        {{"full_name", "Palesa Nthako"},
         {"phone", "+2665" + digits(7)},
         {"relationship", "parent"},
         {"payout_method", "mpesa"}},
        worker
    );
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string beneficiary_id = body(r)["id"];
    const std::string agent = chelete_->bearer("agent", platform::new_uuid());
    r = post(
        "/v1/deposits",
        {{"worker_id", worker_id}, {"amount", {{"amount", "1000.00"}, {"currency", "ZAR"}}}},
        agent
    );
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string deposit_id = body(r)["id"];
    ASSERT_TRUE(testing::wait_until(
        [&] {
            return body(get("/v1/deposits/" + deposit_id, agent)).value("status", "") ==
                   "completed";
        },
        15s
    ));
    r = post(
        "/v1/quotes",
        {{"send_amount", {{"amount", "500.00"}, {"currency", "ZAR"}}}, {"payout_method", "mpesa"}},
        worker
    );
    ASSERT_EQ(r.status, 201) << r.body;
    const json quote = body(r);
    r = post(
        "/v1/remittances",
        {{"quote_id", quote["id"]},
         {"beneficiary_id", beneficiary_id},
         {"purpose", "bop_417"},
         {"source_of_funds", "salary"}},
        worker
    );
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string remittance_id = body(r)["id"];
    ASSERT_TRUE(testing::wait_until(
        [&] {
            return body(get("/v1/remittances/" + remittance_id, worker)).value("status", "") ==
                   "paid";
        },
        30s
    )) << "never paid";

    // The cbank service files it from remit.completed.
    pqxx::connection c{*testing::pg_dsn()};
    const std::string table = chelete_->cbank_schema() + ".remittances";
    ASSERT_TRUE(testing::wait_until(
        [&] {
            pqxx::read_transaction tx{c};
            return tx.exec_params1(
                         "SELECT count(*) FROM " + table + " WHERE remittance_id = $1",
                         remittance_id
                   )[0]
                       .as<int>() == 1;
        },
        15s
    )) << "remit.completed never reached the cbank service";
    // A return is only for a day that has ended; the remittance was paid today. Move its
    // completion back a day in the stored record (the +02:00 boundary itself is cbank_pgtest's).
    std::string day;
    {
        pqxx::work tx{c};
        tx.exec_params0(
            "UPDATE " + table +
                " SET completed_at = completed_at - interval '1 day', record = jsonb_set(record, "
                "'{completed_at}', to_jsonb(to_char((completed_at - interval '1 day') AT TIME "
                "ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))) WHERE remittance_id = $1",
            remittance_id
        );
        day = tx.exec_params1(
                    "SELECT ((completed_at AT TIME ZONE 'UTC') + interval '2 hours')::date::text "
                    "FROM " +
                        table + " WHERE remittance_id = $1",
                    remittance_id
        )[0]
                  .as<std::string>();
        tx.commit();
    }
    // That day may have been produced (empty) already by the job at start: regenerate it.
    const std::string finance = chelete_->bearer("finance", platform::new_uuid());
    r = post(
        "/v1/reports/central-bank/daily/" + day + "/regenerate",
        {{"reason", "the e2e test moved a remittance into this day"}},
        finance
    );
    ASSERT_EQ(r.status, 200) << r.body;

    r = get("/v1/reports/central-bank/daily?date=" + day + "&format=json", finance);
    ASSERT_EQ(r.status, 200) << r.body;
    const json report = body(r);
    json item;
    for (const auto& i : report["items"]) {
        if (i["remittance_id"] == json(remittance_id)) {
            item = i;
        }
    }
    ASSERT_TRUE(item.is_object()) << report.dump(2);
    EXPECT_EQ(item["send_amount"], (json{{"amount", "500.00"}, {"currency", "ZAR"}}));
    EXPECT_EQ(item["fee"], quote["fee"]);
    EXPECT_EQ(item["receive_amount"], quote["receive_amount"]);
    EXPECT_EQ(item["bop_category"], "417");
    EXPECT_EQ(item["rate"], "1/1");
    EXPECT_EQ(item["payout"]["method"], "mpesa");
    EXPECT_EQ(item["sender"]["full_name"], "Teboho Lebona");
    EXPECT_EQ(item["sender"]["id_type"], "foreign_passport");
    EXPECT_EQ(item["sender"]["nationality"], "LS");
    const std::string masked = item["sender"]["id_number_masked"];
    EXPECT_TRUE(masked.ends_with(passport.substr(passport.size() - 4))) << masked;
    EXPECT_EQ(masked.find(passport), std::string::npos);
    EXPECT_EQ(item["beneficiary"]["relationship"], "parent");
    EXPECT_EQ(r.body.find(passport), std::string::npos) << "the clear passport number leaked";

    r = get("/v1/reports/central-bank/daily?date=" + day + "&format=csv", finance);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["content-type"], "text/csv; charset=utf-8");
    EXPECT_EQ(
        r.headers["content-disposition"],
        "attachment; filename=\"chelete-cross_border-" + day + ".csv\""
    );
    EXPECT_TRUE(r.body.starts_with("reference,remittance_id,value_date,")) << r.body;
    EXPECT_NE(r.body.find("," + remittance_id + "," + day + ","), std::string::npos) << r.body;
    // Registered names hold no comma or quote; the CSV quoting is central_bank_test's.
    EXPECT_NE(r.body.find(",Teboho Lebona,1988-03-09,"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(",500.00,ZAR,"), std::string::npos);
    EXPECT_EQ(r.body.find(passport), std::string::npos);

    // Only finance reads returns.
    EXPECT_EQ(get("/v1/reports/central-bank/daily?date=" + day, worker).status, 403);
    EXPECT_EQ(
        get("/v1/reports/central-bank/daily?date=" + day,
            chelete_->bearer("compliance_officer", "o1"))
            .status,
        403
    );
    EXPECT_EQ(chelete_->http().get("/v1/reports/central-bank/daily?date=" + day).status, 401);
    EXPECT_EQ(get("/v1/reports/central-bank/daily?date=2026-13-01", finance).status, 400);
    r = get("/v1/reports/settlement-summary?date=" + day, finance);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(get("/v1/reports/settlement-summary?date=" + day, worker).status, 403);
}

}  // namespace
}  // namespace chelete
