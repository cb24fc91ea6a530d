#include "sms/sms_app.hpp"

#include <gtest/gtest.h>

namespace chelete::simulators::sms {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

constexpr platform::TimePoint kT0{std::chrono::milliseconds{1'795'428'000'000}};

Json message(
    const std::string& reference,
    const std::string& to = "26658123456",
    const std::string& text = "Chelete: R500 e fihlile"
) {
    return Json{{"to", to}, {"from", "Chelete"}, {"text", text}, {"reference", reference}};
}

class SmsAppTest : public ::testing::Test {
protected:
    void make(FaultRates faults = {}, milliseconds latency = milliseconds{0}) {
        SmsOptions o;
        o.api_key = "sms-key";
        o.faults = faults;
        o.latency = latency;
        o.timeout_hold = milliseconds{5000};
        app_ = std::make_unique<SmsApp>(o, clock_);
    }
    SimResponse send(const std::string& body, const std::string& key = "sms-key") {
        SimRequest r;
        r.method = "POST";
        r.path = "/v1/messages";
        r.body = body;
        if (!key.empty()) {
            r.headers["x-api-key"] = key;
        }
        return app_->handle(r);
    }
    Json listed(const std::string& to = "") {
        SimRequest r;
        r.method = "GET";
        r.path = "/admin/messages";
        if (!to.empty()) {
            r.query["to"] = to;
        }
        return Json::parse(app_->handle(r).body)["messages"];
    }

    platform::ManualClock clock_{kT0};
    std::unique_ptr<SmsApp> app_;
};

TEST_F(SmsAppTest, QueuesAMessageAndReportsSegments) {
    make();
    const auto response = send(message("notify:1").dump());
    ASSERT_EQ(response.status, 202) << response.body;
    const auto body = Json::parse(response.body);
    EXPECT_EQ(body["status"], "queued");
    EXPECT_EQ(body["segments"], 1);
    EXPECT_EQ(body["message_id"].get<std::string>().rfind("msg_", 0), 0U);
    EXPECT_EQ(body.size(), 3U);
    const auto all = listed();
    ASSERT_EQ(all.size(), 1U);
    EXPECT_EQ(
        all[0],
        (Json{
            {"message_id", body["message_id"]},
            {"to", "26658123456"},
            {"from", "Chelete"},
            {"text", "Chelete: R500 e fihlile"},
            {"reference", "notify:1"},
            {"segments", 1},
            {"received_at", "2026-11-23T10:00:00Z"}})
    );
    EXPECT_EQ(
        Json::parse(send(message("long", "27821234567", std::string(161, 'a')).dump()).body
        )["segments"],
        2
    );
    EXPECT_EQ(
        Json::parse(
            send(message("sesotho", "27821234567", "Ntšekhe " + std::string(70, 'a')).dump()).body
        )["segments"],
        2
    );
}

TEST_F(SmsAppTest, TheSameReferenceIsIdempotent) {
    make();
    const auto first = Json::parse(send(message("notify.7").dump()).body);
    const auto again = send(message("notify.7", "27821234567", "other").dump());
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(Json::parse(again.body), first);
    EXPECT_EQ(listed().size(), 1U);
}

TEST_F(SmsAppTest, RefusesBadKeysNumbersTextsAndReferences) {
    make();
    EXPECT_EQ(send(message("r1").dump(), "wrong").status, 401);
    EXPECT_EQ(send(message("r1").dump(), "").status, 401);
    const auto with = [](const char* key, const Json& value) {
        auto body = message("r1");
        body[key] = value;
        return body.dump();
    };
    for (const auto& body :
         {with("text", ""),
          with("text", 5),
          std::string{"{\"to\":\"26658123456\",\"from\":\"Chelete\",\"text\":\"\xC5\","
                      "\"reference\":\"r1\"}"},
          with("to", "0821234567"),
          with("to", "2665812345"),
          with("to", "+26658123456"),
          with("to", "2782123456"),
          with("from", ""),
          with("from", "ACompanyNameTooLong"),
          with("reference", ""),
          with("reference", std::string(65, 'r')),
          with("reference", "has space"),
          std::string{"not json"}}) {
        const auto response = send(body);
        EXPECT_EQ(response.status, 400) << body;
        EXPECT_EQ(Json::parse(response.body)["error"], "invalid_request") << body;
    }
    EXPECT_TRUE(listed().empty());
    EXPECT_EQ(send(message(std::string(64, 'r')).dump()).status, 202);
}

TEST_F(SmsAppTest, AdminListsByNumberInArrivalOrder) {
    make();
    (void)send(message("a", "26658123456").dump());
    (void)send(message("b", "27821234567").dump());
    (void)send(message("c", "26658123456").dump());
    const auto lesotho = listed("26658123456");
    ASSERT_EQ(lesotho.size(), 2U);
    EXPECT_EQ(lesotho[0]["reference"], "a");
    EXPECT_EQ(lesotho[1]["reference"], "c");
    EXPECT_EQ(listed().size(), 3U);
    EXPECT_TRUE(listed("26600000000").empty());
}

TEST_F(SmsAppTest, FaultsErrorBeforeProcessingTimeoutAfterAndLatency) {
    make(FaultRates{kMillion, 0, 0, 0}, milliseconds{20});
    const auto refused = send(message("e1").dump());
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(refused.delay, milliseconds{20});
    EXPECT_TRUE(listed().empty());

    make(FaultRates{0, kMillion, 0, 0}, milliseconds{20});
    const auto held = send(message("t1").dump());
    EXPECT_EQ(held.status, 202);
    EXPECT_EQ(held.delay, milliseconds{5020});
    EXPECT_EQ(listed().size(), 1U);  // processed: a resend is answered from the first

    SimRequest health;
    health.method = "GET";
    health.path = "/healthz";
    EXPECT_EQ(app_->handle(health).delay, milliseconds{0});
}

}  // namespace
}  // namespace chelete::simulators::sms
