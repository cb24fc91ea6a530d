// Compliance over the real bus: a screening request in, compliance.screened out; an HTTP envelope
// answered; remit.events and registry.events consumed.
#include <gtest/gtest.h>

#include <chelete/compliance/service.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::compliance {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace bus = platform::bus;

class ComplianceITest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        CHELETE_REQUIRE_REDIS();
        schema_ = testing::unique_name("compliance_t");
        cmd_ = testing::unique_name("compliance.cmd.t");
        events_ = cmd_ + ".events";
        remit_events_ = cmd_ + ".remit";
        registry_events_ = cmd_ + ".registry";
        platform::MapEnvironment env{
            {"CHELETE_PG_DSN", *testing::pg_dsn()},
            {"CHELETE_REDIS_PORT", std::to_string(testing::redis_options()->port)},
            {"CHELETE_RELAY_POLL_INTERVAL", "20ms"},
            {"CHELETE_BUS_BLOCK", "100ms"},
            {"CHELETE_COMPLIANCE_SCHEMA", schema_},
            {"CHELETE_COMPLIANCE_COMMAND_STREAM", cmd_},
            {"CHELETE_COMPLIANCE_EVENT_STREAM", events_}};
        platform::ConfigReader reader{env};
        platform_ = platform::PlatformSettings::load(reader);
        auto settings = ComplianceSettings::load(reader);
        reader.finish();
        // The streams other services own: their names are copied in by the caller (chelete's main).
        settings.remit_event_stream = remit_events_;
        settings.registry_event_stream = registry_events_;
        service_ = std::make_unique<ComplianceService>(platform_, settings);
        service_->start();
        client_ = std::make_unique<bus::BusClient>(platform_.bus, testing::unique_name("reply"));
        client_->start();
        redis_ = std::make_unique<platform::RedisClient>(platform_.bus.redis);
    }

    void TearDown() override {
        client_.reset();
        service_.reset();
        if (redis_) {
            (void)redis_->command({"DEL", cmd_, events_, remit_events_, registry_events_});
        }
        if (testing::pg_dsn()) {
            pqxx::connection c{*testing::pg_dsn()};
            pqxx::work tx{c};
            tx.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
            tx.commit();
        }
    }

    void publish(const std::string& stream, std::string_view type, const json& payload) {
        (void
        )client_->publish(bus::OutgoingMessage{stream, std::string{type}, payload.dump(), "", ""});
    }

    /// The messages on compliance.events so far.
    std::vector<bus::Message> events() {
        std::vector<bus::Message> out;
        const auto reply = redis_->command({"XRANGE", events_, "-", "+"});
        const auto entries = reply.value();
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (auto m = bus::parse_entry(events_, entries[i])) {
                out.push_back(std::move(*m));
            }
        }
        return out;
    }

    std::int64_t count(const std::string& sql) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        tx.exec("SET search_path TO " + schema_);
        return tx.exec1(sql)[0].as<std::int64_t>();
    }

    std::string schema_;
    std::string cmd_;
    std::string events_;
    std::string remit_events_;
    std::string registry_events_;
    platform::PlatformSettings platform_;
    std::unique_ptr<ComplianceService> service_;
    std::unique_ptr<bus::BusClient> client_;
    std::unique_ptr<platform::RedisClient> redis_;
};

TEST_F(ComplianceITest, ScreensOverTheBusAndAnswersTheApi) {
    // A poison message first: dropped, and it does not hold up the one behind it.
    publish(cmd_, messages::kScreen, {{"remittance_id", "nope"}});
    const std::string remittance_id = platform::new_uuid();
    publish(
        cmd_,
        messages::kScreen,
        {{"remittance_id", remittance_id},
         {"sender",
          {{"id", platform::new_uuid()},
           {"kyc_tier", "standard"},
           {"full_name", "Lerato Nthane"},
           {"date_of_birth", nullptr}}},
         {"beneficiary", {{"id", platform::new_uuid()}, {"full_name", "Palesa Nthane"}}},
         {"send_amount_minor", 120000},
         {"payout_method", "ecocash"},
         {"requested_at", platform::format_rfc3339(std::chrono::system_clock::now())}}
    );
    ASSERT_TRUE(testing::wait_until([&] { return !events().empty(); }, 10s));
    const auto out = events();
    ASSERT_EQ(out.size(), 1U);
    EXPECT_EQ(out[0].type, messages::kScreened);
    const json payload = json::parse(out[0].payload);
    EXPECT_EQ(payload["remittance_id"], remittance_id);
    EXPECT_EQ(payload["outcome"], "approved");

    const auto reply = client_->request_sync(
        bus::OutgoingMessage{
            cmd_,
            std::string{messages::kHttpRequest},
            json{
                {"operation", "listComplianceCases"},
                {"request_id", "itest"},
                {"principal", {{"subject", "officer-1"}, {"role", "compliance_officer"}}},
                {"query", {{"status", "open"}}}}
                .dump(),
            "",
            ""},
        10s
    );
    ASSERT_TRUE(reply.has_value());
    const json answer = json::parse(reply->payload);
    EXPECT_EQ(answer["status"], 200) << answer.dump();
    EXPECT_TRUE(answer["body"]["items"].empty());
}

TEST_F(ComplianceITest, ConsumesRemittanceAndRegistryEvents) {
    publish(
        remit_events_,
        messages::kRemitDepositReceived,
        {{"deposit_id", platform::new_uuid()},
         {"worker_id", platform::new_uuid()},
         {"agent_id", platform::new_uuid()},
         {"amount_minor", 5'000'000},
         {"at", platform::format_rfc3339(std::chrono::system_clock::now())}}
    );
    publish(
        registry_events_,
        messages::kTraffickingAlert,
        {{"complaint_id", platform::new_uuid()},
         {"tracking_no", "CMP-2026-000009"},
         {"agency_id", platform::new_uuid()},
         {"worker_id", platform::new_uuid()}}
    );
    EXPECT_TRUE(testing::wait_until(
        [&] { return count("SELECT count(*) FROM threshold_flags WHERE kind = 'ctr'") == 1; }, 10s
    ));
    EXPECT_TRUE(testing::wait_until(
        [&] { return count("SELECT count(*) FROM cases WHERE kind = 'trafficking_alert'") == 1; },
        10s
    ));
}

}  // namespace
}  // namespace chelete::compliance
