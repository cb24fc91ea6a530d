// The notifier against a real PostgreSQL, without the bus: requests deduplicated by dedupe_key,
// the sender loop against a fake SMS gateway (retries with backoff, then failed), and secret
// templates that leave no text behind.
#include <deque>
#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chelete/platform/clock.hpp>
#include <chelete/sms/notifier.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::notifier {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

/// Answers from a script (the last answer repeats) and records every message.
class FakeGateway final : public sms::SmsGateway {
public:
    explicit FakeGateway(std::deque<sms::SendOutcome> script) : script_(std::move(script)) {}

    sms::SendResult send(const sms::OutgoingSms& message) override {
        const std::lock_guard lock{mutex_};
        sent_.push_back(message);
        const sms::SendOutcome outcome = script_.front();
        if (script_.size() > 1) {
            script_.pop_front();
        }
        switch (outcome) {
            case sms::SendOutcome::kAccepted:
                return {
                    outcome, "gw-" + std::to_string(sent_.size()), 1, 202, "gateway answered 202"};
            case sms::SendOutcome::kRetryable:
                return {outcome, "", 0, 503, "gateway answered 503 unavailable (attempt 3 of 3)"};
            case sms::SendOutcome::kRejected:
                return {outcome, "", 0, 400, "gateway answered 400 invalid_request"};
        }
        return {};
    }
    std::vector<sms::OutgoingSms> sent() {
        const std::lock_guard lock{mutex_};
        return sent_;
    }

private:
    std::mutex mutex_;
    std::deque<sms::SendOutcome> script_;
    std::vector<sms::OutgoingSms> sent_;
};

json paid_request(const std::string& key = "remit:r1:paid:sender") {
    return json{
        {"to", "+27821234567"},
        {"template", "remittance_paid"},
        {"params",
         {{"amount", "493.00"}, {"recipient_name", "Mpho Lebona"}, {"ref", "AB12CD34EF"}}},
        {"subject_id", "worker-1"},
        {"dedupe_key", key}};
}

json welcome_request() {
    return json{
        {"to", "+26658123456"},
        {"template", "beneficiary_welcome"},
        {"params", {{"pin", "48213"}, {"name", "Mpho Lebona"}}},
        {"subject_id", "login-1"},
        {"dedupe_key", "beneficiary_welcome:login-1"}};
}

class NotifierPgTest : public ::testing::Test {
protected:
    void SetUp() override { CHELETE_REQUIRE_PG(); }

    std::unique_ptr<NotifierService> service(
        std::shared_ptr<sms::SmsGateway> gateway,
        const std::map<std::string, std::string>& extra = {}
    ) {
        platform::MapEnvironment env{
            {"CHELETE_PG_DSN", *testing::pg_dsn()},
            {"CHELETE_NOTIFY_SCHEMA", schema_.name()},
            {"CHELETE_NOTIFY_MAX_ATTEMPTS", "3"},
            {"CHELETE_NOTIFY_RETRY_BACKOFF", "10s"}};
        for (const auto& [k, v] : extra) {
            env.set(k, v);
        }
        platform::ConfigReader reader{env};
        platform_ = platform::PlatformSettings::load(reader);
        auto settings = NotifierSettings::load(reader);
        reader.finish();
        auto s = std::make_unique<NotifierService>(platform_, settings, std::move(gateway), clock_);
        s->migrate();
        return s;
    }

    Accepted accept(NotifierService& s, const json& payload) {
        auto c = schema_.connect();
        pqxx::work tx{*c};
        const Accepted a = s.accept(tx, payload.dump());
        tx.commit();
        return a;
    }

    pqxx::result rows(const std::string& where = "TRUE") {
        auto c = schema_.connect();
        pqxx::read_transaction tx{*c};
        return tx.exec(
            "SELECT id::text, dedupe_key, to_phone, template, language, secret, body, status, "
            "attempts, gateway_message_id, segments, error, row_to_json(m)::text FROM messages m "
            "WHERE " +
            where + " ORDER BY created_at, id"
        );
    }

    testing::TempSchema schema_;
    platform::PlatformSettings platform_;
    platform::ManualClock clock_;
};

TEST_F(NotifierPgTest, TheSameRequestTwiceIsOneRow) {
    auto gateway = std::make_shared<FakeGateway>(std::deque{sms::SendOutcome::kAccepted});
    auto s = service(gateway);
    EXPECT_EQ(accept(*s, paid_request()), Accepted::kQueued);
    EXPECT_EQ(accept(*s, paid_request()), Accepted::kDuplicate);
    // A resent request with other content but the same key is the same message.
    json changed = paid_request();
    changed["params"]["amount"] = "1.00";
    EXPECT_EQ(accept(*s, changed), Accepted::kDuplicate);
    const auto r = rows();
    ASSERT_EQ(r.size(), 1U);
    EXPECT_EQ(r[0][2].as<std::string>(), "+27821234567");
    EXPECT_EQ(r[0][3].as<std::string>(), "remittance_paid");
    EXPECT_EQ(r[0][4].as<std::string>(), "st") << "the default language";
    EXPECT_EQ(r[0][7].as<std::string>(), "queued");
    EXPECT_EQ(
        r[0][6].as<std::string>(),
        "Chelete: M493.00 e lefuoe ho Mpho Lebona. Ref AB12CD34EF. Re a leboha ha u sebelisa "
        "Chelete."
    );
    EXPECT_EQ(s->send_due(), 1U);
    EXPECT_EQ(s->send_due(), 0U);
    ASSERT_EQ(gateway->sent().size(), 1U);
    EXPECT_EQ(gateway->sent()[0].reference, r[0][0].as<std::string>());
    EXPECT_EQ(gateway->sent()[0].from, "Chelete");
    const auto after = rows();
    EXPECT_EQ(after[0][7].as<std::string>(), "sent");
    EXPECT_EQ(after[0][8].as<int>(), 1);
    EXPECT_EQ(after[0][9].as<std::string>(), "gw-1");
    // Sent and then delivered again: still nothing new.
    EXPECT_EQ(accept(*s, paid_request()), Accepted::kDuplicate);
    EXPECT_EQ(s->send_due(), 0U);
    EXPECT_EQ(gateway->sent().size(), 1U);
}

TEST_F(NotifierPgTest, ExplicitLanguageWins) {
    auto s = service(std::make_shared<FakeGateway>(std::deque{sms::SendOutcome::kAccepted}));
    json en = paid_request("k-en");
    en["language"] = "en";
    EXPECT_EQ(accept(*s, en), Accepted::kQueued);
    auto s_en = service(nullptr, {{"CHELETE_NOTIFY_DEFAULT_LANGUAGE", "en"}});
    EXPECT_EQ(accept(*s_en, paid_request("k-default-en")), Accepted::kQueued);
    for (const auto& row : rows()) {
        EXPECT_EQ(row[4].as<std::string>(), "en");
        EXPECT_TRUE(row[6].as<std::string>().starts_with("Chelete: M493.00 has been paid"));
    }
}

TEST_F(NotifierPgTest, SenderRetriesWithBackoffThenFails) {
    auto gateway = std::make_shared<FakeGateway>(std::deque{sms::SendOutcome::kRetryable});
    auto s = service(gateway);
    ASSERT_EQ(accept(*s, paid_request()), Accepted::kQueued);
    EXPECT_EQ(s->send_due(), 1U);
    auto r = rows();
    EXPECT_EQ(r[0][7].as<std::string>(), "queued");
    EXPECT_EQ(r[0][8].as<int>(), 1);
    EXPECT_NE(r[0][11].as<std::string>().find("503"), std::string::npos);
    // Not due before the backoff (10 s, then 20 s) has passed.
    EXPECT_EQ(s->send_due(), 0U);
    clock_.advance(9s);
    EXPECT_EQ(s->send_due(), 0U);
    clock_.advance(1s);
    EXPECT_EQ(s->send_due(), 1U);
    clock_.advance(19s);
    EXPECT_EQ(s->send_due(), 0U);
    clock_.advance(1s);
    EXPECT_EQ(s->send_due(), 1U);  // the third send: CHELETE_NOTIFY_MAX_ATTEMPTS
    r = rows();
    EXPECT_EQ(r[0][7].as<std::string>(), "failed");
    EXPECT_EQ(r[0][8].as<int>(), 3);
    clock_.advance(1h);
    EXPECT_EQ(s->send_due(), 0U) << "a failed message is never sent again";
    const auto sent = gateway->sent();
    ASSERT_EQ(sent.size(), 3U);
    EXPECT_EQ(sent[0].reference, sent[2].reference) << "every retry carries the same reference";
}

TEST_F(NotifierPgTest, ARetryThatSucceedsIsSentAndADefiniteNoFailsAtOnce) {
    auto gateway = std::make_shared<FakeGateway>(std::deque{
        sms::SendOutcome::kRetryable, sms::SendOutcome::kAccepted, sms::SendOutcome::kRejected});
    auto s = service(gateway);
    ASSERT_EQ(accept(*s, paid_request("a")), Accepted::kQueued);
    EXPECT_EQ(s->send_due(), 1U);
    clock_.advance(10s);
    EXPECT_EQ(s->send_due(), 1U);
    EXPECT_EQ(rows("dedupe_key = 'a'")[0][7].as<std::string>(), "sent");
    ASSERT_EQ(accept(*s, paid_request("b")), Accepted::kQueued);
    EXPECT_EQ(s->send_due(), 1U);
    const auto b = rows("dedupe_key = 'b'");
    EXPECT_EQ(b[0][7].as<std::string>(), "failed");
    EXPECT_EQ(b[0][8].as<int>(), 1);
    EXPECT_NE(b[0][11].as<std::string>().find("400"), std::string::npos);
}

TEST_F(NotifierPgTest, SecretTemplatesStoreNoTextAndAreSentAtOnce) {
    auto gateway = std::make_shared<FakeGateway>(std::deque{sms::SendOutcome::kAccepted});
    auto s = service(gateway);
    EXPECT_EQ(accept(*s, welcome_request()), Accepted::kSent);
    EXPECT_EQ(accept(*s, welcome_request()), Accepted::kDuplicate);
    ASSERT_EQ(gateway->sent().size(), 1U);
    EXPECT_NE(gateway->sent()[0].text.find("48213"), std::string::npos) << "the person gets it";
    const auto r = rows();
    ASSERT_EQ(r.size(), 1U);
    EXPECT_TRUE(r[0][5].as<bool>());
    EXPECT_TRUE(r[0][6].is_null()) << "no text stored";
    EXPECT_EQ(r[0][7].as<std::string>(), "sent");
    EXPECT_EQ(r[0][12].as<std::string>().find("48213"), std::string::npos) << r[0][12].c_str();
    EXPECT_EQ(s->send_due(), 0U);
    EXPECT_EQ(gateway->sent().size(), 1U);
}

TEST_F(NotifierPgTest, ASecretTheGatewayCannotTakeNowIsRetriedByTheBusAndLeavesNothing) {
    auto gateway = std::make_shared<FakeGateway>(std::deque{
        sms::SendOutcome::kRetryable, sms::SendOutcome::kAccepted});
    auto s = service(gateway);
    {
        auto c = schema_.connect();
        pqxx::work tx{*c};
        try {
            (void)s->accept(tx, welcome_request().dump());
            ADD_FAILURE() << "accept should throw so the bus delivers the request again";
        } catch (const std::runtime_error& e) {
            EXPECT_EQ(std::string{e.what()}.find("48213"), std::string::npos) << e.what();
        }
    }  // rolled back, as the consumer does
    EXPECT_EQ(rows().size(), 0U);
    EXPECT_EQ(accept(*s, welcome_request()), Accepted::kSent);  // the redelivery
    const auto sent = gateway->sent();
    ASSERT_EQ(sent.size(), 2U);
    EXPECT_EQ(sent[0].reference, sent[1].reference) << "same reference: the gateway sends once";
}

TEST_F(NotifierPgTest, WithoutAGatewayRowsStayQueuedAndSecretsFail) {
    auto s = service(nullptr);
    EXPECT_FALSE(s->has_gateway());
    EXPECT_EQ(accept(*s, paid_request()), Accepted::kQueued);
    EXPECT_EQ(accept(*s, welcome_request()), Accepted::kFailed);
    EXPECT_EQ(s->send_due(), 0U);
    const auto queued = rows("template = 'remittance_paid'");
    EXPECT_EQ(queued[0][7].as<std::string>(), "queued");
    const auto secret = rows("template = 'beneficiary_welcome'");
    EXPECT_EQ(secret[0][7].as<std::string>(), "failed");
    EXPECT_TRUE(secret[0][6].is_null());
}

TEST_F(NotifierPgTest, InvalidRequestsChangeNothing) {
    auto s = service(nullptr);
    json missing = paid_request("m");
    missing["params"].erase("ref");
    EXPECT_EQ(accept(*s, missing), Accepted::kInvalid);
    json unknown = paid_request("u");
    unknown["template"] = "no_such_template";
    EXPECT_EQ(accept(*s, unknown), Accepted::kInvalid);
    json bad_number = paid_request("n");
    bad_number["to"] = "0821234567";
    EXPECT_EQ(accept(*s, bad_number), Accepted::kInvalid);
    {
        auto c = schema_.connect();
        pqxx::work tx{*c};
        EXPECT_EQ(s->accept(tx, "{not json"), Accepted::kInvalid);
        tx.commit();
    }
    EXPECT_EQ(rows().size(), 0U);
}

}  // namespace
}  // namespace chelete::notifier
