// Compliance against a real PostgreSQL, without the bus: screenings under the sender's lock, the
// events it consumes, the cases API and the threshold reports.
#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include <chelete/compliance/service.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::compliance {
namespace {

using nlohmann::json;
namespace api = platform::api;
using namespace std::chrono_literals;

// Limits raised so that one remittance can reach the IFTR threshold (enhanced: R60,000 a day).
constexpr const char* kRaisedLimits =
    "restricted:100000/300000,basic:300000/1000000,standard:500000/2500000,"
    "enhanced:6000000/60000000";

const api::Caller kOfficer{"officer-7", "compliance_officer", 0};
const api::Caller kFinance{"finance-1", "finance", 0};
const api::Caller kWorker{"00000000-0000-7000-8000-000000000001", "worker", 0};

class CompliancePgTest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        schema_ = testing::unique_name("compliance_t");
        dir_ = std::filesystem::temp_directory_path() / testing::unique_name("compliance_wl");
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        if (testing::pg_dsn()) {
            pqxx::connection c{*testing::pg_dsn()};
            pqxx::work tx{c};
            tx.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
            tx.commit();
        }
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    std::unique_ptr<ComplianceService> service(
        const std::map<std::string, std::string>& extra = {}
    ) {
        platform::MapEnvironment env{
            {"CHELETE_PG_DSN", *testing::pg_dsn()}, {"CHELETE_COMPLIANCE_SCHEMA", schema_}};
        for (const auto& [name, value] : extra) {
            env.set(name, value);
        }
        platform::ConfigReader reader{env};
        platform_ = platform::PlatformSettings::load(reader);
        auto settings = ComplianceSettings::load(reader);
        reader.finish();
        auto s = std::make_unique<ComplianceService>(platform_, settings, clock_);
        s->migrate();
        return s;
    }

    std::string write_watchlist(const std::string& name, const std::string& text) {
        const auto path = dir_ / name;
        std::ofstream out{path, std::ios::binary | std::ios::trunc};
        out << text;
        return path.string();
    }

    std::unique_ptr<pqxx::connection> connect() {
        auto c = std::make_unique<pqxx::connection>(*testing::pg_dsn());
        return c;
    }

    json screen(ComplianceService& s, const json& payload) {
        auto c = connect();
        pqxx::work tx{*c};
        tx.exec("SET search_path TO " + schema_);
        auto result = s.screen(tx, payload);
        tx.commit();
        return result ? *result : json(nullptr);
    }

    void event(ComplianceService& s, std::string_view type, const json& payload) {
        auto c = connect();
        pqxx::work tx{*c};
        tx.exec("SET search_path TO " + schema_);
        s.on_event(tx, type, payload);
        tx.commit();
    }

    api::Reply call(
        ComplianceService& s,
        const std::string& operation,
        std::optional<api::Caller> caller,
        const json& path = json::object(),
        const json& query = json::object(),
        const json& body = nullptr
    ) {
        api::Request r;
        r.operation = operation;
        r.request_id = "pgtest";
        r.caller = std::move(caller);
        r.path = path;
        r.query = query;
        r.body = body;
        auto c = connect();
        pqxx::work tx{*c};
        tx.exec("SET search_path TO " + schema_);
        auto reply = s.handle(tx, r);
        tx.commit();
        return reply;
    }

    /// (type, payload) of every outbox row, in order.
    std::vector<std::pair<std::string, json>> outbox() {
        auto c = connect();
        pqxx::read_transaction tx{*c};
        std::vector<std::pair<std::string, json>> out;
        for (const auto& row :
             tx.exec("SELECT type, payload FROM " + schema_ + ".outbox ORDER BY id")) {
            out.emplace_back(row[0].as<std::string>(), json::parse(row[1].as<std::string>()));
        }
        return out;
    }

    std::int64_t count(const std::string& sql) {
        auto c = connect();
        pqxx::read_transaction tx{*c};
        tx.exec("SET search_path TO " + schema_);
        return tx.exec1(sql)[0].as<std::int64_t>();
    }

    std::string at(std::chrono::minutes offset = 0min) const {
        return platform::format_rfc3339(base_ + offset);
    }

    static json remittance(
        const std::string& sender_id,
        const std::string& tier,
        std::int64_t amount_minor,
        const std::string& requested_at,
        const std::string& sender_name = "Lerato Nthane",
        const std::string& beneficiary_name = "Palesa Nthane"
    ) {
        return {
            {"remittance_id", platform::new_uuid()},
            {"sender",
             {{"id", sender_id},
              {"kyc_tier", tier},
              {"full_name", sender_name},
              {"date_of_birth", "1988-07-01"}}},
            {"beneficiary", {{"id", platform::new_uuid()}, {"full_name", beneficiary_name}}},
            {"send_amount_minor", amount_minor},
            {"payout_method", "mpesa"},
            {"requested_at", requested_at}};
    }

    std::string schema_;
    std::filesystem::path dir_;
    platform::PlatformSettings platform_;
    // 2026-11-23T09:00:00Z: well inside a SAST calendar month.
    platform::TimePoint base_ = platform::parse_rfc3339("2026-11-23T09:00:00.000Z").value();
    platform::ManualClock clock_{base_ + 1h};
};

TEST_F(CompliancePgTest, ApprovesARemittanceWithinTheLimits) {
    auto s = service();
    const auto p = remittance(platform::new_uuid(), "standard", 100'000, at());
    const json result = screen(*s, p);
    EXPECT_EQ(result["remittance_id"], p["remittance_id"]);
    EXPECT_EQ(result["outcome"], "approved");
    EXPECT_TRUE(result["reasons"].empty());
    EXPECT_TRUE(result["case_id"].is_null());
    const auto events = outbox();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].first, "compliance.screened");
    EXPECT_EQ(events[0].second, result);
    EXPECT_EQ(count("SELECT count(*) FROM cases"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM screenings WHERE state = 'approved' AND counts"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM threshold_flags"), 0);
}

TEST_F(CompliancePgTest, RejectsOverTheDailyLimitAndNamesIt) {
    auto s = service();
    // Reaching the basic tier's R3,000.00 exactly is allowed; one cent more is not.
    EXPECT_EQ(
        screen(*s, remittance(platform::new_uuid(), "basic", 300'000, at()))["outcome"], "approved"
    );
    const json result = screen(*s, remittance(platform::new_uuid(), "basic", 300'001, at()));
    EXPECT_EQ(result["outcome"], "rejected");
    ASSERT_EQ(result["reasons"].size(), 1U);
    EXPECT_EQ(result["reasons"][0]["code"], "daily_limit");
    EXPECT_NE(
        result["reasons"][0]["text"].get<std::string>().find(
            "daily limit of tier basic is R3,000.00"
        ),
        std::string::npos
    ) << result.dump();
    EXPECT_TRUE(result["case_id"].is_null()) << "a plain limit refusal opens no case";
    EXPECT_EQ(count("SELECT count(*) FROM cases"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM screenings WHERE state = 'rejected' AND NOT counts"), 1);
}

TEST_F(CompliancePgTest, TwoScreeningsThatTogetherBreakTheDailyLimitRejectTheSecond) {
    auto s = service();
    const std::string sender = platform::new_uuid();
    EXPECT_EQ(screen(*s, remittance(sender, "standard", 300'000, at()))["outcome"], "approved");
    const json second = screen(*s, remittance(sender, "standard", 250'000, at(30min)));
    EXPECT_EQ(second["outcome"], "rejected");
    EXPECT_EQ(second["reasons"][0]["code"], "daily_limit");
    // Another sender is not affected.
    EXPECT_EQ(
        screen(*s, remittance(platform::new_uuid(), "standard", 250'000, at(30min)))["outcome"],
        "approved"
    );
    // A day later the rolling window has moved on.
    EXPECT_EQ(screen(*s, remittance(sender, "standard", 250'000, at(25h)))["outcome"], "approved");
}

TEST_F(CompliancePgTest, ACancelledRemittanceStopsCounting) {
    auto s = service();
    const std::string sender = platform::new_uuid();
    const auto first = remittance(sender, "standard", 400'000, at());
    EXPECT_EQ(screen(*s, first)["outcome"], "approved");
    EXPECT_EQ(screen(*s, remittance(sender, "standard", 200'000, at(1min)))["outcome"], "rejected");

    // A status that is not final changes nothing about the counting; an unknown id is ignored.
    event(
        *s,
        messages::kRemitStatusChanged,
        {{"remittance_id", first["remittance_id"]},
         {"sender_id", sender},
         {"status", "ledger_pending"},
         {"at", at(2min)}}
    );
    event(
        *s,
        messages::kRemitStatusChanged,
        {{"remittance_id", platform::new_uuid()},
         {"sender_id", sender},
         {"status", "cancelled"},
         {"at", at(2min)}}
    );
    EXPECT_EQ(screen(*s, remittance(sender, "standard", 200'000, at(3min)))["outcome"], "rejected");

    event(
        *s,
        messages::kRemitStatusChanged,
        {{"remittance_id", first["remittance_id"]},
         {"sender_id", sender},
         {"status", "cancelled"},
         {"at", at(4min)}}
    );
    EXPECT_EQ(screen(*s, remittance(sender, "standard", 200'000, at(5min)))["outcome"], "approved");
    // Final stays final: a late event does not make it count again.
    event(
        *s,
        messages::kRemitStatusChanged,
        {{"remittance_id", first["remittance_id"]},
         {"sender_id", sender},
         {"status", "paid"},
         {"at", at(6min)}}
    );
    EXPECT_EQ(
        count(
            "SELECT count(*) FROM screenings WHERE remittance_id = '" +
            first["remittance_id"].get<std::string>() + "' AND state = 'cancelled'"
        ),
        1
    );
    EXPECT_EQ(
        count("SELECT count(*) FROM screening_states WHERE source = 'remit.status_changed'"), 2
    );
}

TEST_F(CompliancePgTest, ACancelThatOvertakesItsScreeningNeverCounts) {
    // remit.events and compliance.cmd are separate streams: the sender's cancel during
    // screening may arrive first. The remittance must not count once it is screened.
    auto s = service();
    const std::string sender = platform::new_uuid();
    const auto first = remittance(sender, "standard", 400'000, at());
    event(
        *s,
        messages::kRemitStatusChanged,
        {{"remittance_id", first["remittance_id"]},
         {"sender_id", sender},
         {"status", "cancelled"},
         {"at", at()}}
    );
    EXPECT_EQ(screen(*s, first)["outcome"], "approved");
    EXPECT_EQ(screen(*s, remittance(sender, "standard", 400'000, at(1min)))["outcome"], "approved")
        << "the cancelled R4,000 still counted towards the R5,000 daily limit";
}

TEST_F(CompliancePgTest, AWatchlistHitIsHeldWithACaseThatAnOfficerApproves) {
    const std::string path = write_watchlist(
        "list.csv",
        "id,full_name,aliases,date_of_birth,list,reference\n"
        "UN-1,Tšepiso Mokoena,Ts'epo Mokoena,1980-05-17,sanctions,UN QDi.999\n"
    );
    auto s = service({{"CHELETE_COMPLIANCE_WATCHLIST", path}});
    EXPECT_EQ(s->watchlist_size(), 1U);
    const std::string sender = platform::new_uuid();
    auto p = remittance(sender, "standard", 150'000, at(), "Tshepiso Mokwena");
    p["sender"]["date_of_birth"] = "1980-05-17";
    const json result = screen(*s, p);
    EXPECT_EQ(result["outcome"], "held");
    ASSERT_EQ(result["reasons"].size(), 1U);
    EXPECT_EQ(result["reasons"][0]["code"], "sanctions_match");
    ASSERT_TRUE(result["case_id"].is_string());
    const std::string case_id = result["case_id"];
    EXPECT_EQ(
        count(
            "SELECT count(*) FROM screenings WHERE jsonb_array_length(sender_matches) = 1 AND "
            "watchlist_version = '" +
            s->watchlist_version() + "'"
        ),
        1
    );

    // The officer reads the case: an access-log row.
    auto reply = call(*s, "getComplianceCase", kOfficer, {{"id", case_id}});
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    EXPECT_EQ(reply.body["kind"], "held_remittance");
    EXPECT_EQ(reply.body["status"], "open");
    EXPECT_EQ(reply.body["remittance_id"], p["remittance_id"]);
    EXPECT_EQ(reply.body["sender_id"], sender);
    EXPECT_EQ(reply.body["amount"], (json{{"amount", "1500.00"}, {"currency", "ZAR"}}));
    EXPECT_TRUE(reply.body["decisions"].empty());
    EXPECT_EQ(
        count(
            "SELECT count(*) FROM access_log WHERE action = 'read' AND actor_id = 'officer-7' "
            "AND purpose = 'compliance_review' AND record_id = '" +
            case_id + "' AND subject_id = '" + sender + "'"
        ),
        1
    );
    EXPECT_EQ(call(*s, "getComplianceCase", kFinance, {{"id", case_id}}).status, 403);
    EXPECT_EQ(call(*s, "getComplianceCase", kOfficer, {{"id", platform::new_uuid()}}).status, 404);
    EXPECT_EQ(call(*s, "getComplianceCase", kOfficer, {{"id", "not-a-uuid"}}).status, 404);

    // The list shows it.
    reply = call(*s, "listComplianceCases", kOfficer, {}, {{"status", "open"}});
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    ASSERT_EQ(reply.body["items"].size(), 1U);
    EXPECT_EQ(reply.body["items"][0]["id"], case_id);
    EXPECT_TRUE(reply.body["next_cursor"].is_null());
    EXPECT_EQ(call(*s, "listComplianceCases", kOfficer, {}, {{"status", "pending"}}).status, 400);

    // Bad bodies: 422 naming the field, and nothing changes.
    reply = call(
        *s,
        "decideComplianceCase",
        kOfficer,
        {{"id", case_id}},
        {},
        {{"action", "maybe"}, {"note", "looked at it"}}
    );
    ASSERT_EQ(reply.status, 422);
    EXPECT_EQ(reply.body["errors"][0]["field"], "action");
    reply =
        call(*s, "decideComplianceCase", kOfficer, {{"id", case_id}}, {}, {{"action", "approve"}});
    ASSERT_EQ(reply.status, 422);
    EXPECT_EQ(reply.body["errors"][0]["field"], "note");
    reply = call(
        *s,
        "decideComplianceCase",
        kOfficer,
        {{"id", case_id}},
        {},
        {{"action", "approve"}, {"note", std::string(2001, 'x')}}
    );
    ASSERT_EQ(reply.status, 422);
    EXPECT_EQ(reply.body["errors"][0]["field"], "note");
    reply = call(
        *s,
        "decideComplianceCase",
        kOfficer,
        {{"id", case_id}},
        {},
        {{"action", "close"}, {"note", "not an alert"}}
    );
    ASSERT_EQ(reply.status, 422);
    EXPECT_EQ(reply.body["errors"][0]["field"], "action");
    EXPECT_EQ(count("SELECT count(*) FROM cases WHERE status = 'open'"), 1);

    // Approved: the remittance service hears of it.
    reply = call(
        *s,
        "decideComplianceCase",
        kOfficer,
        {{"id", case_id}},
        {},
        {{"action", "approve"}, {"note", "passport number differs from the listed person"}}
    );
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    EXPECT_EQ(reply.body["status"], "approved");
    EXPECT_EQ(reply.body["decided_by"], "officer-7");
    ASSERT_EQ(reply.body["decisions"].size(), 1U);
    EXPECT_EQ(reply.body["decisions"][0]["action"], "approve");
    EXPECT_EQ(reply.body["decisions"][0]["officer_id"], "officer-7");
    const auto events = outbox();
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(events[1].first, "compliance.case_decided");
    EXPECT_EQ(
        events[1].second,
        (json{
            {"remittance_id", p["remittance_id"]},
            {"case_id", case_id},
            {"outcome", "approved"},
            {"note", "passport number differs from the listed person"},
            {"officer_id", "officer-7"}})
    );
    EXPECT_EQ(count("SELECT count(*) FROM screenings WHERE state = 'approved' AND counts"), 1);

    // Decided once only.
    reply = call(
        *s,
        "decideComplianceCase",
        kOfficer,
        {{"id", case_id}},
        {},
        {{"action", "reject"}, {"note", "second thoughts"}}
    );
    EXPECT_EQ(reply.status, 409);
    EXPECT_EQ(count("SELECT count(*) FROM case_decisions"), 1);
    EXPECT_EQ(outbox().size(), 2U);
}

TEST_F(CompliancePgTest, ARejectedCaseStopsCounting) {
    const std::string path = write_watchlist(
        "list.csv",
        "id,full_name,aliases,date_of_birth,list,reference\n"
        "PEP-7,'Mathabo Moshoeshoe,,1975,pep,Gazette 12\n"
    );
    auto s = service({{"CHELETE_COMPLIANCE_WATCHLIST", path}});
    const std::string sender = platform::new_uuid();
    const json held = screen(
        *s, remittance(sender, "standard", 400'000, at(), "Lerato Nthane", "Mmathabo Moshweshwe")
    );
    ASSERT_EQ(held["outcome"], "held");
    EXPECT_EQ(held["reasons"][0]["code"], "pep_match");
    // Held still counts: another R2,000 would be over the R5,000 day.
    EXPECT_EQ(screen(*s, remittance(sender, "standard", 200'000, at(1min)))["outcome"], "rejected");
    const auto reply = call(
        *s,
        "decideComplianceCase",
        kOfficer,
        {{"id", held["case_id"]}},
        {},
        {{"action", "reject"}, {"note", "source of funds not shown"}}
    );
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    EXPECT_EQ(outbox().back().second["outcome"], "rejected");
    EXPECT_EQ(screen(*s, remittance(sender, "standard", 200'000, at(2min)))["outcome"], "approved");
}

TEST_F(CompliancePgTest, OverTheLimitWithAMatchIsRejectedWithAnAttemptCase) {
    const std::string path = write_watchlist(
        "list.csv",
        "id,full_name,aliases,date_of_birth,list,reference\n"
        "INT-3,Thabo Lucas Molefe,Thabo Molefe,,internal,case 2026-0042\n"
    );
    auto s = service({{"CHELETE_COMPLIANCE_WATCHLIST", path}});
    const json result =
        screen(*s, remittance(platform::new_uuid(), "basic", 350'000, at(), "Thabo Molefe"));
    EXPECT_EQ(result["outcome"], "rejected");
    ASSERT_EQ(result["reasons"].size(), 2U);
    EXPECT_EQ(result["reasons"][0]["code"], "daily_limit");
    EXPECT_EQ(result["reasons"][1]["code"], "internal_list_match");
    ASSERT_TRUE(result["case_id"].is_string());
    auto reply = call(*s, "getComplianceCase", kOfficer, {{"id", result["case_id"]}});
    EXPECT_EQ(reply.body["kind"], "attempted_remittance");
    reply = call(
        *s,
        "decideComplianceCase",
        kOfficer,
        {{"id", result["case_id"]}},
        {},
        {{"action", "reject"}, {"note", "reported under s29"}}
    );
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    // The remittance was refused already: nothing to tell the remittance service.
    EXPECT_EQ(outbox().size(), 1U);
}

TEST_F(CompliancePgTest, FlagsThresholdReportsAtTheThresholdsAndNotACentBelow) {
    auto s = service({{"CHELETE_COMPLIANCE_LIMITS", kRaisedLimits}});
    const auto iftr = remittance(platform::new_uuid(), "enhanced", 2'000'000, at());
    EXPECT_EQ(screen(*s, iftr)["outcome"], "approved");
    EXPECT_EQ(
        screen(*s, remittance(platform::new_uuid(), "enhanced", 1'999'999, at()))["outcome"],
        "approved"
    );

    const std::string deposit = platform::new_uuid();
    const std::string worker = platform::new_uuid();
    event(
        *s,
        messages::kRemitDepositReceived,
        {{"deposit_id", deposit},
         {"worker_id", worker},
         {"agent_id", platform::new_uuid()},
         {"amount_minor", 5'000'000},
         {"at", at(10min)}}
    );
    event(
        *s,
        messages::kRemitDepositReceived,
        {{"deposit_id", platform::new_uuid()},
         {"worker_id", worker},
         {"agent_id", platform::new_uuid()},
         {"amount_minor", 4'999'999},
         {"at", at(11min)}}
    );
    // Redelivered: still one flag.
    event(
        *s,
        messages::kRemitDepositReceived,
        {{"deposit_id", deposit},
         {"worker_id", worker},
         {"agent_id", platform::new_uuid()},
         {"amount_minor", 5'000'000},
         {"at", at(10min)}}
    );
    EXPECT_EQ(count("SELECT count(*) FROM threshold_flags"), 2);

    auto reply = call(*s, "listThresholdReports", kFinance);
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    ASSERT_EQ(reply.body["items"].size(), 2U);
    const json first = reply.body["items"][0];
    EXPECT_EQ(first["kind"], "iftr");
    EXPECT_EQ(first["reference_type"], "remittance");
    EXPECT_EQ(first["reference_id"], iftr["remittance_id"]);
    EXPECT_EQ(first["subject_id"], iftr["sender"]["id"]);
    EXPECT_EQ(first["amount"], (json{{"amount", "20000.00"}, {"currency", "ZAR"}}));
    EXPECT_EQ(first["at"], at());
    const json second = reply.body["items"][1];
    EXPECT_EQ(second["kind"], "ctr");
    EXPECT_EQ(second["reference_type"], "deposit");
    EXPECT_EQ(second["reference_id"], deposit);
    EXPECT_EQ(second["subject_id"], worker);
    EXPECT_EQ(second["amount"], (json{{"amount", "50000.00"}, {"currency", "ZAR"}}));

    reply = call(*s, "listThresholdReports", kOfficer, {}, {{"kind", "ctr"}});
    ASSERT_EQ(reply.status, 200);
    ASSERT_EQ(reply.body["items"].size(), 1U);
    EXPECT_EQ(reply.body["items"][0]["kind"], "ctr");
    reply = call(*s, "listThresholdReports", kFinance, {}, {{"from", at(5min)}, {"to", at(20min)}});
    ASSERT_EQ(reply.body["items"].size(), 1U);
    EXPECT_EQ(reply.body["items"][0]["kind"], "ctr");
    reply = call(*s, "listThresholdReports", kFinance, {}, {{"limit", 1}});
    ASSERT_EQ(reply.body["items"].size(), 1U);
    ASSERT_TRUE(reply.body["next_cursor"].is_string());
    reply = call(
        *s,
        "listThresholdReports",
        kFinance,
        {},
        {{"limit", 1}, {"cursor", reply.body["next_cursor"]}}
    );
    ASSERT_EQ(reply.body["items"].size(), 1U);
    EXPECT_EQ(reply.body["items"][0]["kind"], "ctr");
    EXPECT_TRUE(reply.body["next_cursor"].is_null());

    EXPECT_EQ(call(*s, "listThresholdReports", kWorker).status, 403);
    reply = call(*s, "listThresholdReports", kFinance, {}, {{"from", "yesterday"}});
    EXPECT_EQ(reply.status, 400);
    EXPECT_EQ(reply.body["errors"][0]["field"], "from");
    EXPECT_EQ(call(*s, "listThresholdReports", kFinance, {}, {{"cursor", "bm9wZQ"}}).status, 400);
}

TEST_F(CompliancePgTest, ASecondScreenOfARemittancePublishesTheStoredOutcomeAgain) {
    auto s = service();
    const std::string sender = platform::new_uuid();
    const auto p = remittance(sender, "standard", 300'000, at());
    const json first = screen(*s, p);
    EXPECT_EQ(first["outcome"], "approved");
    // The same remittance again: not counted twice (that would be R6,000, over the limit).
    const json again = screen(*s, p);
    EXPECT_EQ(again, first);
    EXPECT_EQ(count("SELECT count(*) FROM screenings"), 1);
    const auto events = outbox();
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(events[0].second, events[1].second);
}

TEST_F(CompliancePgTest, ConcurrentScreensOfOneSenderNeverBothPassTheLimit) {
    auto s = service();
    for (int round = 0; round < 6; ++round) {
        const std::string sender = platform::new_uuid();
        std::array<json, 2> results;
        std::atomic<int> ready{0};
        std::vector<std::thread> threads;
        for (std::size_t i = 0; i < 2; ++i) {
            threads.emplace_back([&, i] {
                const auto p = remittance(sender, "standard", 300'000, at(std::chrono::minutes(i)));
                auto c = connect();
                pqxx::work tx{*c};
                tx.exec("SET search_path TO " + schema_);
                ++ready;
                while (ready.load() < 2) {
                    std::this_thread::yield();
                }
                auto r = s->screen(tx, p);
                tx.commit();
                results.at(i) = r ? *r : json(nullptr);
            });
        }
        for (auto& t : threads) {
            t.join();
        }
        int approved = 0;
        int rejected = 0;
        for (const auto& r : results) {
            approved += r["outcome"] == "approved" ? 1 : 0;
            rejected += r["outcome"] == "rejected" ? 1 : 0;
        }
        EXPECT_EQ(approved, 1) << "round " << round;
        EXPECT_EQ(rejected, 1) << "round " << round;
    }
}

TEST_F(CompliancePgTest, ATraffickingAlertOpensACaseThatIsClosed) {
    auto s = service();
    const json alert{
        {"complaint_id", platform::new_uuid()},
        {"tracking_no", "CMP-2026-000001"},
        {"agency_id", platform::new_uuid()},
        {"worker_id", platform::new_uuid()}};
    event(*s, messages::kTraffickingAlert, alert);
    event(*s, messages::kTraffickingAlert, alert);  // redelivered: one case
    event(*s, "registry.worker_registered", {{"worker_id", platform::new_uuid()}});
    ASSERT_EQ(count("SELECT count(*) FROM cases"), 1);
    auto reply = call(*s, "listComplianceCases", kOfficer, {}, {{"kind", "trafficking_alert"}});
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    ASSERT_EQ(reply.body["items"].size(), 1U);
    const json item = reply.body["items"][0];
    EXPECT_TRUE(item["remittance_id"].is_null());
    EXPECT_TRUE(item["amount"].is_null());
    EXPECT_EQ(item["reasons"][0]["code"], "trafficking_indicator");
    EXPECT_EQ(item["alert"], alert);
    EXPECT_EQ(
        count(
            "SELECT count(*) FROM access_log WHERE action = 'list' AND subject_id = '" +
            alert["worker_id"].get<std::string>() + "'"
        ),
        1
    );
    const std::string id = item["id"];
    reply = call(
        *s,
        "decideComplianceCase",
        kOfficer,
        {{"id", id}},
        {},
        {{"action", "approve"}, {"note", "x"}}
    );
    EXPECT_EQ(reply.status, 422);
    reply = call(
        *s,
        "decideComplianceCase",
        kOfficer,
        {{"id", id}},
        {},
        {{"action", "close"}, {"note", "referred to the NRM"}}
    );
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    EXPECT_EQ(reply.body["status"], "closed");
    EXPECT_TRUE(outbox().empty());
}

TEST_F(CompliancePgTest, AMalformedScreenRequestIsDroppedWithoutEffect) {
    auto s = service();
    auto p = remittance(platform::new_uuid(), "gold", -5, "yesterday");
    p["sender"].erase("full_name");
    EXPECT_TRUE(screen(*s, p).is_null());
    EXPECT_TRUE(screen(*s, json::array()).is_null());
    auto q = remittance(platform::new_uuid(), "basic", 1000, at());
    q["remittance_id"] = "R-1";
    EXPECT_TRUE(screen(*s, q).is_null());
    EXPECT_EQ(count("SELECT count(*) FROM screenings"), 0);
    EXPECT_TRUE(outbox().empty());
    // Bad events are ignored too.
    event(*s, messages::kRemitStatusChanged, {{"remittance_id", 5}});
    event(*s, messages::kRemitDepositReceived, {{"deposit_id", "x"}, {"amount_minor", "1"}});
    event(*s, messages::kTraffickingAlert, json::array());
    EXPECT_EQ(count("SELECT count(*) FROM threshold_flags"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM cases"), 0);
}

TEST_F(CompliancePgTest, AWatchlistThatDoesNotParseKeepsTheOldList) {
    const std::string header = "id,full_name,aliases,date_of_birth,list,reference\n";
    const std::string path =
        write_watchlist("list.csv", header + "UN-1,Tšepiso Mokoena,,,sanctions,UN QDi.999\n");
    auto s = service({{"CHELETE_COMPLIANCE_WATCHLIST", path}});
    ASSERT_EQ(s->watchlist_size(), 1U);
    const std::string version = s->watchlist_version();
    (void)write_watchlist(
        "list.csv",
        header + "UN-1,Tšepiso Mokoena,,,sanctions,UN QDi.999\nUN-2,Thabo,,1985-02-30,sanctions,x\n"
    );
    s->reload_watchlist();
    EXPECT_EQ(s->watchlist_size(), 1U);
    EXPECT_EQ(s->watchlist_version(), version);
    (void)write_watchlist(
        "list.csv",
        header + "UN-1,Tšepiso Mokoena,,,sanctions,UN QDi.999\nUN-2,Thabo Sello,,,sanctions,x\n"
    );
    s->reload_watchlist();
    EXPECT_EQ(s->watchlist_size(), 2U);
    EXPECT_NE(s->watchlist_version(), version);
}

TEST_F(CompliancePgTest, BadSettingsAreReportedByName) {
    platform::MapEnvironment env{
        {"CHELETE_COMPLIANCE_LIMITS", "basic:300000/1000000"},
        {"CHELETE_COMPLIANCE_VELOCITY", "5/24x"},
        {"CHELETE_COMPLIANCE_WATCHLIST", (dir_ / "missing.csv").string()}};
    platform::ConfigReader reader{env};
    (void)ComplianceSettings::load(reader);
    std::string all;
    for (const auto& p : reader.problems()) {
        all += p + "\n";
    }
    EXPECT_NE(all.find("CHELETE_COMPLIANCE_LIMITS: "), std::string::npos) << all;
    EXPECT_NE(all.find("CHELETE_COMPLIANCE_WATCHLIST="), std::string::npos) << all;
    for (const auto& v : reader.variables()) {
        EXPECT_NE(v.name, "CHELETE_REGISTRY_EVENT_STREAM") << "the registry owns that variable";
    }
}

TEST_F(CompliancePgTest, CasesArePagedOldestFirst) {
    const std::string path = write_watchlist(
        "list.csv",
        "id,full_name,aliases,date_of_birth,list,reference\n"
        "UN-1,Tšepiso Mokoena,,,sanctions,UN QDi.999\n"
    );
    auto s = service({{"CHELETE_COMPLIANCE_WATCHLIST", path}});
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        ids.push_back(screen(
            *s,
            remittance(
                platform::new_uuid(),
                "standard",
                10'000,
                at(std::chrono::minutes(i)),
                "Tšepiso Mokoena"
            )
        )["case_id"]);
    }
    std::vector<std::string> seen;
    json query{{"limit", 2}};
    for (int page = 0; page < 3; ++page) {
        const auto reply = call(*s, "listComplianceCases", kOfficer, {}, query);
        ASSERT_EQ(reply.status, 200) << reply.body.dump();
        for (const auto& item : reply.body["items"]) {
            seen.push_back(item["id"]);
        }
        if (reply.body["next_cursor"].is_null()) {
            break;
        }
        query["cursor"] = reply.body["next_cursor"];
    }
    EXPECT_EQ(seen, ids);
    EXPECT_EQ(call(*s, "listComplianceCases", kFinance).status, 403);
    EXPECT_EQ(call(*s, "listComplianceCases", kOfficer, {}, {{"limit", 0}}).status, 400);
}

TEST_F(CompliancePgTest, TheSuspiciousTransactionExportListsRejectedCasesForOfficersOnly) {
    const std::string path = write_watchlist(
        "list.csv",
        "id,full_name,aliases,date_of_birth,list,reference\n"
        "PEP-7,'Mathabo Moshoeshoe,,1975,pep,Gazette 12\n"
    );
    auto s = service({{"CHELETE_COMPLIANCE_WATCHLIST", path}});
    const std::string sender = platform::new_uuid();
    const json held = screen(
        *s, remittance(sender, "standard", 400'000, at(), "Lerato Nthane", "Mmathabo Moshweshwe")
    );
    ASSERT_EQ(held["outcome"], "held");
    // An approved case is not suspicious: it is not exported.
    const json other = screen(
        *s,
        remittance(
            platform::new_uuid(), "standard", 100'000, at(), "Lerato Nthane", "Mmathabo Moshweshwe"
        )
    );
    ASSERT_EQ(other["outcome"], "held");
    ASSERT_EQ(
        call(
            *s,
            "decideComplianceCase",
            kOfficer,
            {{"id", other["case_id"]}},
            {},
            {{"action", "approve"}, {"note", "known person"}}
        ).status,
        200
    );
    ASSERT_EQ(
        call(
            *s,
            "decideComplianceCase",
            kOfficer,
            {{"id", held["case_id"]}},
            {},
            {{"action", "reject"}, {"note", "reported, \"PEP\" confirmed"}}
        ).status,
        200
    );
    auto reply = call(*s, "listSuspiciousTransactions", kOfficer);
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    ASSERT_EQ(reply.body["count"], 1);
    EXPECT_EQ(reply.body["items"][0]["case_id"], held["case_id"]);
    EXPECT_EQ(reply.body["items"][0]["amount"]["amount"], "4000.00");
    EXPECT_EQ(reply.body["items"][0]["reasons"][0]["code"], "pep_match");
    reply = call(*s, "listSuspiciousTransactions", kOfficer, {}, {{"format", "csv"}});
    ASSERT_EQ(reply.status, 200);
    EXPECT_EQ(reply.content_type, "text/csv; charset=utf-8");
    EXPECT_TRUE(reply.body_text.starts_with("case_id,kind,remittance_id,sender_id,amount,"));
    EXPECT_NE(reply.body_text.find(",4000.00,ZAR,pep_match,"), std::string::npos);
    EXPECT_NE(reply.body_text.find(",\"reported, \"\"PEP\"\" confirmed\"\r\n"), std::string::npos)
        << reply.body_text;
    // A window before the decision holds nothing.
    reply = call(*s, "listSuspiciousTransactions", kOfficer, {}, {{"to", "2000-01-01T00:00:00Z"}});
    EXPECT_EQ(reply.body["count"], 0);
    EXPECT_EQ(call(*s, "listSuspiciousTransactions", kFinance).status, 403);
    EXPECT_EQ(call(*s, "listSuspiciousTransactions", kWorker).status, 403);
    EXPECT_EQ(
        call(*s, "listSuspiciousTransactions", kOfficer, {}, {{"format", "xml"}}).status, 400
    );
    EXPECT_EQ(
        call(*s, "listSuspiciousTransactions", kOfficer, {}, {{"from", "monday"}}).status, 400
    );
}

}  // namespace
}  // namespace chelete::compliance
