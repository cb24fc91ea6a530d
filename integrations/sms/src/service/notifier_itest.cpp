// The notifier against the real SMS simulator (`chelete-simulator sms`, started as a child
// process with 503s and held answers) and Redis: notify.sms requests put on the stream twice
// each arrive at the gateway exactly once each, in the right language.
#include <chrono>
#include <csignal>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chelete/platform/bus.hpp>
#include <chelete/sms/notifier.hpp>
#include <chelete/testing/env.hpp>
#include <chelete/testing/http_client.hpp>

namespace chelete::notifier {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class NotifierITest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        CHELETE_REQUIRE_REDIS();
        key_ = "sms-itest-key-" + std::to_string(getpid());
        for (int attempt = 0; attempt < 4 && !simulator_; ++attempt) {
            port_ = testing::unused_port();
            simulator_ = std::make_unique<testing::ChildProcess>(
                testing::built_program("chelete-simulator"),
                std::vector<std::string>{
                    "sms",
                    "--port",
                    std::to_string(port_),
                    "--api-key",
                    key_,
                    // Faults that make the adapter retry: a 503 (not processed) and an answer
                    // held past our timeout (processed: the retry must not send it twice).
                    "--error-rate",
                    "0.25",
                    "--timeout-rate",
                    "0.1",
                    "--timeout-hold-ms",
                    "1500",
                    "--seed",
                    "42"}
            );
            admin_ = std::make_unique<testing::HttpClient>(base_url());
            const bool up = testing::wait_until(
                [&] {
                    if (!simulator_->running()) {
                        return true;
                    }
                    try {
                        return admin_->get("/healthz").status == 200;
                    } catch (const std::exception&) {
                        return false;
                    }
                },
                10s
            );
            if (!up || !simulator_->running()) {
                simulator_.reset();
            }
        }
        ASSERT_TRUE(simulator_) << "the sms simulator did not start";
    }

    void TearDown() override {
        if (simulator_) {
            simulator_->kill(SIGTERM);
            EXPECT_TRUE(simulator_->wait_for(10s).has_value()) << "the simulator ignored SIGTERM";
        }
    }

    [[nodiscard]] std::string base_url() const {
        return "http://127.0.0.1:" + std::to_string(port_);
    }

    json messages() {
        const auto r = admin_->get("/admin/messages");
        EXPECT_EQ(r.status, 200);
        json body = json::parse(r.body, nullptr, false);
        return body.is_object() ? body["messages"] : json::array();
    }

    std::string key_;
    std::uint16_t port_ = 0;
    std::unique_ptr<testing::ChildProcess> simulator_;
    std::unique_ptr<testing::HttpClient> admin_;
};

TEST_F(NotifierITest, EveryRequestReachesTheGatewayExactlyOnce) {
    testing::TempSchema schema;
    const std::string stream = testing::unique_name("notify.cmd.itest");
    platform::MapEnvironment env{
        {"CHELETE_PG_DSN", *testing::pg_dsn()},
        {"CHELETE_REDIS_HOST", testing::redis_options()->host},
        {"CHELETE_REDIS_PORT", std::to_string(testing::redis_options()->port)},
        {"CHELETE_BUS_CLAIM_IDLE", "300ms"},
        {"CHELETE_BUS_CLAIM_INTERVAL", "100ms"},
        {"CHELETE_BUS_BLOCK", "100ms"},
        {"CHELETE_NOTIFY_SCHEMA", schema.name()},
        {"CHELETE_SMS_BASE_URL", base_url()},
        {"CHELETE_SMS_API_KEY", key_},
        {"CHELETE_SMS_TIMEOUT", "700ms"},
        {"CHELETE_SMS_ATTEMPTS", "1"},  // faults reach the sender loop and the bus
        {"CHELETE_NOTIFY_MAX_ATTEMPTS", "50"},
        {"CHELETE_NOTIFY_RETRY_BACKOFF", "50ms"},
        {"CHELETE_NOTIFY_RETRY_MAX", "200ms"},
        {"CHELETE_NOTIFY_POLL_INTERVAL", "50ms"},
        {"CHELETE_NOTIFY_CONSUMERS", "2"}};
    platform::ConfigReader reader{env};
    const auto platform = platform::PlatformSettings::load(reader);
    auto settings = NotifierSettings::load(reader);
    reader.finish();
    settings.command_stream = stream;
    NotifierService service{platform, settings};
    service.start();

    platform::bus::BusClient bus{platform.bus, testing::unique_name("notify.itest.replies")};
    constexpr int kRequests = 12;
    std::map<std::string, std::string> expected_text;  // phone -> the text it must get
    for (int i = 0; i < kRequests; ++i) {
        const std::string phone = "+2665800" + std::to_string(1000 + i);
        json request{
            {"to", phone},
            {"template", "remittance_received"},
            {"params",
             {{"amount", std::to_string(100 + i) + ".00"},
              {"sender_name", "Lerato Mokoena"},
              {"ref", "REF" + std::to_string(i)}}},
            {"subject_id", "itest"},
            {"dedupe_key", "itest:" + std::to_string(i)}};
        if (i % 2 == 1) {
            request["language"] = "en";
        }
        expected_text[phone.substr(1)] =
            i % 2 == 1 ? "Chelete: You have received M" + std::to_string(100 + i) +
                             ".00 from Lerato Mokoena. Ref REF" + std::to_string(i) + "."
                       : "Chelete: U amohetse M" + std::to_string(100 + i) +
                             ".00 ho tsoa ho Lerato Mokoena. Ref REF" + std::to_string(i) + ".";
        // Each request twice: a producer's resend must not text anyone twice.
        for (int copy = 0; copy < 2; ++copy) {
            (void)bus.publish({stream, "notify.sms", request.dump(), "", ""});
        }
    }
    // A secret one: sent by the consumer at once, retried by the bus on a fault.
    (void)bus.publish(
        {stream,
         "notify.sms",
         json{
             {"to", "+26662000001"},
             {"template", "beneficiary_welcome"},
             {"params", {{"pin", "48213"}, {"name", "Mpho"}}},
             {"subject_id", "login-1"},
             {"dedupe_key", "itest:welcome"}}
             .dump(),
         "",
         ""}
    );
    expected_text["26662000001"] =
        "Chelete: Rea u amohela Mpho. PIN ea hao ke 48213. Kena ka nomoro ena ea mohala le PIN. "
        "U se ke ua bolella motho PIN ea hao.";

    const bool all_arrived =
        testing::wait_until([&] { return messages().size() >= expected_text.size(); }, 60s);
    EXPECT_TRUE(all_arrived) << messages().dump(2);
    std::this_thread::sleep_for(1500ms);  // time for a duplicate to show up, if any would
    service.stop();

    const json got = messages();
    std::map<std::string, int> per_phone;
    std::set<std::string> references;
    for (const auto& m : got) {
        const std::string to = m["to"];
        ++per_phone[to];
        references.insert(m["reference"].get<std::string>());
        EXPECT_EQ(m["from"], "Chelete");
        EXPECT_EQ(m["segments"], 1);
        ASSERT_TRUE(expected_text.contains(to)) << to;
        EXPECT_EQ(m["text"], expected_text[to]);
    }
    EXPECT_EQ(got.size(), expected_text.size()) << got.dump(2);
    EXPECT_EQ(references.size(), expected_text.size());
    for (const auto& [phone, count] : per_phone) {
        EXPECT_EQ(count, 1) << phone << " got " << count << " messages";
    }
    auto c = schema.connect();
    pqxx::read_transaction tx{*c};
    EXPECT_EQ(
        tx.exec1("SELECT count(*) FROM messages WHERE status = 'sent'")[0].as<std::size_t>(),
        expected_text.size()
    );
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM messages WHERE body LIKE '%48213%'")[0].as<int>(), 0);
}

}  // namespace
}  // namespace chelete::notifier
