// The payout service against a real PostgreSQL with a scripted partner (no bus, no HTTP): every
// answer a partner can give, crashes between the submit and its answer, and signed callbacks that
// are duplicated, replayed, forged, stale or late.
#include <deque>
#include <mutex>

#include <gtest/gtest.h>

#include <chelete/payout/service.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::payout {
namespace {

using nlohmann::json;
namespace api = platform::api;
namespace mm = chelete::mobile_money;
using namespace std::chrono_literals;

constexpr const char* kSecret = "mpesa-callback-secret-for-tests";

/// A partner whose answers the test scripts; it records every call.
class ScriptedPartner final : public mm::PayoutPartner {
public:
    [[nodiscard]] mm::PartnerId id() const override { return mm::PartnerId::kMpesa; }
    mm::SubmitResult submit(const mm::PayoutOrder& order) override {
        const std::lock_guard lock{mutex_};
        submitted.push_back(order.reference);
        if (submits.empty()) {
            return accepted();
        }
        auto r = submits.front();
        submits.pop_front();
        return r;
    }
    mm::StatusResult query(std::string_view reference) override {
        const std::lock_guard lock{mutex_};
        queried.emplace_back(reference);
        if (queries.empty()) {
            mm::StatusResult r;
            r.status = mm::PaymentStatus::kUnknown;
            return r;
        }
        auto r = queries.front();
        queries.pop_front();
        return r;
    }
    platform::Result<std::vector<mm::StatementLine>, std::string> statement(
        std::string_view /*date*/
    ) override {
        return std::vector<mm::StatementLine>{};
    }

    static mm::SubmitResult accepted() {
        mm::SubmitResult r;
        r.verdict = mm::SubmitVerdict::kAccepted;
        r.partner_code = "INS-0";
        r.conversation_id = "conv-1";
        return r;
    }
    static mm::SubmitResult verdict(mm::SubmitVerdict v, mm::FailureKind f = {}) {
        mm::SubmitResult r;
        r.verdict = v;
        r.failure = f;
        r.partner_code = "X";
        return r;
    }
    static mm::StatusResult status(mm::PaymentStatus s, std::string tx_id = {}) {
        mm::StatusResult r;
        r.status = s;
        r.transaction_id = std::move(tx_id);
        return r;
    }

    std::deque<mm::SubmitResult> submits;
    std::deque<mm::StatusResult> queries;
    std::vector<std::string> submitted;
    std::vector<std::string> queried;

private:
    std::mutex mutex_;
};

class PayoutPgTest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        schema_ = testing::unique_name("payout_t");
        partner_ = std::make_shared<ScriptedPartner>();
        platform::MapEnvironment env{
            {"CHELETE_PG_DSN", *testing::pg_dsn()},
            {"CHELETE_PAYOUT_SCHEMA", schema_},
            {"CHELETE_MPESA_CALLBACK_SECRET", kSecret},
            {"CHELETE_PAYOUT_CALLBACK_WAIT", "30s"},
            {"CHELETE_PAYOUT_FIRST_QUERY", "5s"},
            {"CHELETE_PAYOUT_RETRY_WAIT", "60s"},
            {"CHELETE_PAYOUT_RETRY_SLA", "10m"}};
        platform::ConfigReader reader{env};
        platform_ = platform::PlatformSettings::load(reader);
        auto settings = PayoutSettings::load(reader);
        reader.finish();
        service_ = std::make_unique<PayoutService>(
            platform_, settings, Partners{{mm::PartnerId::kMpesa, partner_}}, clock_
        );
        service_->migrate();
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

    template <typename Fn>
    auto in_tx(Fn&& fn) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec("SET search_path TO " + schema_);
        if constexpr (std::is_void_v<decltype(fn(tx))>) {
            fn(tx);
            tx.commit();
        } else {
            auto r = fn(tx);
            tx.commit();
            return r;
        }
    }

    static std::string hex_of(const std::string& uuid) {
        std::string out;
        for (const char c : uuid) {
            if (c != '-') {
                out += c;
            }
        }
        return out;
    }

    std::string request(
        const std::string& method = "mpesa", const std::string& phone = "+26658123456"
    ) {
        const std::string id = platform::new_uuid();
        in_tx([&](pqxx::work& tx) {
            service_->accept_request(
                tx,
                json{
                    {"remittance_id", id},
                    {"payout_reference", hex_of(id)},
                    {"method", method},
                    {"amount_minor", 50'000},
                    {"currency", "LSL"},
                    {"recipient",
                     {{"beneficiary_id", platform::new_uuid()},
                      {"full_name", "Palesa Mokoena"},
                      {"phone", phone}}},
                    {"sender", {{"id", platform::new_uuid()}, {"full_name", "Thabo Mokoena"}}},
                    {"purpose", "bop_416"},
                    {"created_at", "2026-11-23T08:00:00Z"}}
            );
        });
        return id;
    }

    std::string state(const std::string& id) {
        return in_tx([&](pqxx::work& tx) {
            return tx.exec_params1("SELECT state FROM payouts WHERE remittance_id = $1", id)[0]
                .as<std::string>();
        });
    }

    std::string reference(const std::string& id) {
        return in_tx([&](pqxx::work& tx) {
            return tx
                .exec_params1(
                    "SELECT current_reference FROM payouts WHERE remittance_id = $1", id
                )[0]
                .as<std::string>();
        });
    }

    /// payout.outcome values reported for a remittance, in order.
    std::vector<std::string> outcomes(const std::string& id) {
        return in_tx([&](pqxx::work& tx) {
            std::vector<std::string> out;
            for (const auto& r : tx.exec_params(
                     "SELECT payload::jsonb->>'outcome' FROM outbox WHERE type = 'payout.outcome' "
                     "AND payload::jsonb->>'remittance_id' = $1 ORDER BY id",
                     id
                 )) {
                out.push_back(r[0].as<std::string>());
            }
            return out;
        });
    }

    std::string mpesa_body(
        const std::string& ref, const std::string& code, const std::string& tx_id = "TX1"
    ) {
        return json{
            {"input_OriginalConversationID", "conv-1"},
            {"input_ThirdPartyConversationID", ref},
            {"input_TransactionID", tx_id},
            {"input_ResultCode", code},
            {"input_ResultDesc", "result"},
            {"input_Amount", "500.00"},
            {"input_CustomerMSISDN", "26658123456"},
            {"input_TransactionCompletedDateTime", "2026-11-23T08:00:05Z"}}
            .dump();
    }

    api::Reply callback(
        const std::string& body, std::chrono::seconds skew = 0s, const std::string& secret = kSecret
    ) {
        const auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                           (clock_.now() + skew).time_since_epoch()
        )
                                           .count());
        api::Request r;
        r.operation = "mpesaCallback";
        r.request_id = "pgtest";
        r.caller = api::Caller{"partner:mpesaCallback", "partner", 0};
        r.body = json::parse(body);
        r.raw_body = body;
        r.signed_headers["x-chelete-timestamp"] = ts;
        r.signed_headers["x-chelete-signature"] = mm::sign_callback(secret, ts, body);
        return in_tx([&](pqxx::work& tx) { return service_->handle(tx, r); });
    }

    /// Runs the worker until nothing is due at the current time.
    void drain() {
        for (int i = 0; i < 20 && service_->work_once() > 0; ++i) {
        }
    }

    platform::ManualClock clock_;
    std::string schema_;
    platform::PlatformSettings platform_;
    std::shared_ptr<ScriptedPartner> partner_;
    std::unique_ptr<PayoutService> service_;
};

TEST_F(PayoutPgTest, AcceptedThenPaidByCallbackReportsPaidOnce) {
    const auto id = request();
    drain();
    EXPECT_EQ(state(id), "accepted");
    ASSERT_EQ(partner_->submitted.size(), 1U);
    EXPECT_EQ(partner_->submitted[0], hex_of(id) + "A1");
    const auto reply = callback(mpesa_body(hex_of(id) + "A1", "INS-0"));
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body["effect"], "applied");
    EXPECT_EQ(state(id), "paid");
    EXPECT_EQ(outcomes(id), std::vector<std::string>{"paid"});
    // The same result again (a partner duplicate, signed anew): no second effect.
    clock_.advance(2s);
    const auto again = callback(mpesa_body(hex_of(id) + "A1", "INS-0"));
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(again.body["effect"], "duplicate");
    // A late failure after paid changes nothing either.
    clock_.advance(2s);
    const auto late = callback(mpesa_body(hex_of(id) + "A1", "INS-2051"));
    EXPECT_EQ(late.body["effect"], "ignored_final");
    // A stale interim status never moves it back.
    clock_.advance(2s);
    EXPECT_EQ(callback(mpesa_body(hex_of(id) + "A1", "INS-9")).body["effect"], "ignored_pending");
    EXPECT_EQ(state(id), "paid");
    EXPECT_EQ(outcomes(id), std::vector<std::string>{"paid"});
    EXPECT_EQ(partner_->submitted.size(), 1U);
    // Nothing is due any more: no query, no resend.
    clock_.advance(1h);
    drain();
    EXPECT_EQ(partner_->submitted.size(), 1U);
    EXPECT_TRUE(partner_->queried.empty());
}

TEST_F(PayoutPgTest, ReplayedForgedAndStaleCallbacksAreRefusedAndChangeNothing) {
    const auto id = request();
    drain();
    const std::string body = mpesa_body(hex_of(id) + "A1", "INS-2051");
    // Forged: signed with another secret.
    EXPECT_EQ(callback(body, 0s, "not-the-partner-secret-at-all").status, 401);
    // Stale and from the future, beyond the window.
    EXPECT_EQ(callback(body, -400s).status, 401);
    EXPECT_EQ(callback(body, 400s).status, 401);
    EXPECT_EQ(state(id), "accepted");
    EXPECT_TRUE(outcomes(id).empty());
    // The genuine one applies; the very same bytes and signature again are a replay.
    const auto first = callback(body);
    EXPECT_EQ(first.status, 200);
    EXPECT_EQ(state(id), "failed");
    EXPECT_EQ(callback(body).status, 409);
    EXPECT_EQ(outcomes(id), std::vector<std::string>{"failed"});
    // Every accepted callback is on record; refused ones are not.
    EXPECT_EQ(
        in_tx([&](pqxx::work& tx) {
            return tx.exec1("SELECT count(*) FROM callbacks")[0].as<int>();
        }),
        1
    );
}

TEST_F(PayoutPgTest, MalformedCallbackIsABadRequest) {
    const auto id = request();
    drain();
    const auto reply = callback(json{{"input_ThirdPartyConversationID", hex_of(id) + "A1"}}.dump());
    EXPECT_EQ(reply.status, 400);
    EXPECT_EQ(state(id), "accepted");
}

TEST_F(PayoutPgTest, UnknownOutcomeIsSettledByQueryNeverByPayingAgain) {
    partner_->submits.push_back(ScriptedPartner::verdict(mm::SubmitVerdict::kUnknown));
    partner_->queries.push_back(ScriptedPartner::status(mm::PaymentStatus::kUnknown));
    partner_->queries.push_back(ScriptedPartner::status(mm::PaymentStatus::kPending));
    partner_->queries.push_back(ScriptedPartner::status(mm::PaymentStatus::kPaid, "TX9"));
    const auto id = request();
    drain();
    EXPECT_EQ(state(id), "unknown");
    EXPECT_EQ(outcomes(id), std::vector<std::string>{"unknown"});
    for (int i = 0; i < 3; ++i) {
        clock_.advance(1h);
        drain();
    }
    EXPECT_EQ(state(id), "paid");
    EXPECT_EQ(outcomes(id), (std::vector<std::string>{"unknown", "paid"}));
    EXPECT_EQ(partner_->submitted.size(), 1U);
    EXPECT_EQ(partner_->queried.size(), 3U);
    for (const auto& q : partner_->queried) {
        EXPECT_EQ(q, hex_of(id) + "A1");
    }
}

TEST_F(PayoutPgTest, NotFoundAfterUnknownResendsUnderTheSameReference) {
    partner_->submits.push_back(ScriptedPartner::verdict(mm::SubmitVerdict::kUnknown));
    partner_->queries.push_back(ScriptedPartner::status(mm::PaymentStatus::kNotFound));
    const auto id = request();
    drain();
    clock_.advance(1h);
    drain();
    ASSERT_EQ(partner_->submitted.size(), 2U);
    EXPECT_EQ(partner_->submitted[0], partner_->submitted[1]);
    EXPECT_EQ(state(id), "accepted");
}

TEST_F(PayoutPgTest, UnknownPayoutsAreAskedForeverAndNeverFail) {
    partner_->submits.push_back(ScriptedPartner::verdict(mm::SubmitVerdict::kUnknown));
    const auto id = request();
    drain();
    for (int i = 0; i < 30; ++i) {
        clock_.advance(1h);
        drain();
    }
    EXPECT_EQ(state(id), "unknown");
    EXPECT_EQ(outcomes(id), std::vector<std::string>{"unknown"});
    EXPECT_EQ(partner_->submitted.size(), 1U);
    EXPECT_EQ(partner_->queried.size(), 30U);
}

TEST_F(PayoutPgTest, FloatShortfallMakesNewAttemptsThenFailsAfterTheSla) {
    for (int i = 0; i < 10; ++i) {
        partner_->submits.push_back(ScriptedPartner::verdict(
            mm::SubmitVerdict::kFailed, mm::FailureKind::kInsufficientFloat
        ));
    }
    const auto id = request();
    drain();
    EXPECT_EQ(state(id), "retry_wait");
    EXPECT_TRUE(outcomes(id).empty());
    clock_.advance(61s);
    drain();
    ASSERT_EQ(partner_->submitted.size(), 2U);
    EXPECT_EQ(
        partner_->submitted[1], hex_of(id) + "A2"
    );  // a new reference after a definite failure
    for (int i = 0; i < 12; ++i) {
        clock_.advance(61s);
        drain();
    }
    EXPECT_EQ(state(id), "failed");
    EXPECT_EQ(outcomes(id), std::vector<std::string>{"failed"});
}

TEST_F(PayoutPgTest, AWorkerThatDiedMidSendLeavesAQueryNotAResend) {
    const auto id = request();
    // The state a crash between "sending" and storing the answer leaves behind.
    in_tx([&](pqxx::work& tx) {
        tx.exec_params0(
            "UPDATE payouts SET state = 'sending', lease_until = $2 WHERE remittance_id = $1",
            id,
            platform::format_rfc3339(clock_.now() + 60s)
        );
    });
    drain();
    EXPECT_TRUE(partner_->queried.empty());  // leased: nobody touches it
    partner_->queries.push_back(ScriptedPartner::status(mm::PaymentStatus::kPaid, "TX7"));
    clock_.advance(61s);
    drain();
    EXPECT_TRUE(partner_->submitted.empty());
    EXPECT_EQ(partner_->queried.size(), 1U);
    EXPECT_EQ(state(id), "paid");
}

TEST_F(PayoutPgTest, ARequestResentChangesNothingAndForeignNumbersFailAtOnce) {
    const std::string id = platform::new_uuid();
    const json payload{
        {"remittance_id", id},
        {"payout_reference", hex_of(id)},
        {"method", "mpesa"},
        {"amount_minor", 1000},
        {"currency", "LSL"},
        {"recipient", {{"full_name", "A"}, {"phone", "+26658123456"}}},
        {"sender", {{"full_name", "B"}}},
        {"purpose", "bop_416"}};
    in_tx([&](pqxx::work& tx) { service_->accept_request(tx, payload); });
    in_tx([&](pqxx::work& tx) { service_->accept_request(tx, payload); });
    EXPECT_EQ(
        in_tx([&](pqxx::work& tx) { return tx.exec1("SELECT count(*) FROM attempts")[0].as<int>(); }
        ),
        1
    );
    const auto foreign = request("mpesa", "+27821234567");
    EXPECT_EQ(state(foreign), "failed");
    EXPECT_EQ(outcomes(foreign), std::vector<std::string>{"failed"});
    drain();
    EXPECT_EQ(partner_->submitted.size(), 1U);  // only the Lesotho one
}

TEST_F(PayoutPgTest, MalformedRequestsAreDroppedWithoutAWrite) {
    in_tx([&](pqxx::work& tx) {
        service_->accept_request(tx, json{{"remittance_id", "nope"}});
        service_->accept_request(tx, json::array());
        service_->accept_request(
            tx,
            json{
                {"remittance_id", platform::new_uuid()},
                {"payout_reference", std::string(32, 'a')},
                {"method", "pigeon"},
                {"amount_minor", 5},
                {"currency", "LSL"},
                {"recipient", {{"phone", "+26658123456"}}}}
        );
    });
    EXPECT_EQ(
        in_tx([&](pqxx::work& tx) { return tx.exec1("SELECT count(*) FROM payouts")[0].as<int>(); }
        ),
        0
    );
}

TEST_F(PayoutPgTest, CallbackForAnUnknownReferenceIsKeptForReconciliation) {
    const auto reply = callback(mpesa_body("DEADBEEFA1", "INS-0"));
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body["effect"], "unknown_reference");
}

TEST_F(PayoutPgTest, EveryAttemptSubmitQueryAndCallbackIsLogged) {
    partner_->submits.push_back(ScriptedPartner::verdict(mm::SubmitVerdict::kUnknown));
    partner_->queries.push_back(ScriptedPartner::status(mm::PaymentStatus::kPending));
    const auto id = request();
    drain();
    clock_.advance(1h);
    drain();
    (void)callback(mpesa_body(hex_of(id) + "A1", "INS-0"));
    const auto kinds = in_tx([&](pqxx::work& tx) {
        std::vector<std::string> out;
        for (const auto& r : tx.exec_params(
                 "SELECT kind || ':' || result FROM attempt_log WHERE reference = $1 ORDER BY id",
                 hex_of(id) + "A1"
             )) {
            out.push_back(r[0].as<std::string>());
        }
        return out;
    });
    EXPECT_EQ(
        kinds, (std::vector<std::string>{"submit:unknown", "query:pending", "callback:paid"})
    );
    EXPECT_EQ(state(id), "paid");
}

}  // namespace
}  // namespace chelete::payout
