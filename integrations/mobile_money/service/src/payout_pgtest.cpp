// The payout service against a real PostgreSQL with a scripted partner (no bus, no HTTP): every
// answer a partner can give, crashes between the submit and its answer, and signed callbacks that
// are duplicated, replayed, forged, stale or late.
#include <deque>
#include <map>
#include <mutex>
#include <tuple>

#include <gtest/gtest.h>

#include <chelete/ledger/shards.hpp>
#include <chelete/payout/service.hpp>
#include <chelete/platform/crypto.hpp>
#include <chelete/platform/id.hpp>
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
    platform::Result<std::vector<mm::StatementLine>, std::string> statement(std::string_view date
    ) override {
        const std::lock_guard lock{mutex_};
        if (statement_error) {
            return platform::err(std::string{"statement unavailable"});
        }
        const auto it = statements.find(std::string{date});
        return it == statements.end() ? std::vector<mm::StatementLine>{} : it->second;
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
    std::map<std::string, std::vector<mm::StatementLine>> statements;
    bool statement_error = false;

private:
    std::mutex mutex_;
};

/// A ledger account id as the services derive it from its owner's name.
std::string derived_id(std::string_view name) {
    return platform::Id128::parse(platform::crypto::sha256_hex(name).substr(0, 32))->to_string();
}

/// The registry's answer about a recipient, as the test sets it.
class FakeChecker final : public RecipientChecker {
public:
    std::optional<RecipientCheck> check(
        const std::string& beneficiary_id,
        const std::string& national_id,
        const std::string& agent_id
    ) override {
        const std::lock_guard lock{mutex_};
        asked.push_back(beneficiary_id + "|" + agent_id);
        if (silent) {
            return std::nullopt;
        }
        RecipientCheck c;
        c.beneficiary_found = true;
        c.identity_match = national_id == "LS0123456789";
        c.agent_country = agent_country;
        return c;
    }
    bool silent = false;
    std::string agent_country = "LS";
    std::vector<std::string> asked;

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
            {"CHELETE_PAYOUT_RETRY_SLA", "10m"},
            {"CHELETE_PAYOUT_VOUCHER_LIFETIME", "48h"},
            {"CHELETE_PAYOUT_LOW_FLOAT_MINOR", "200000"},
            {"CHELETE_PAYOUT_LEDGER_RESEND", "30s"}};
        platform::ConfigReader reader{env};
        platform_ = platform::PlatformSettings::load(reader);
        auto settings = PayoutSettings::load(reader);
        reader.finish();
        settings.ledger_shards = ledger_shards();
        checker_ = std::make_shared<FakeChecker>();
        service_ = std::make_unique<PayoutService>(
            platform_, settings, Partners{{mm::PartnerId::kMpesa, partner_}}, clock_, checker_
        );
        service_->migrate();
    }
    /// CHELETE_LEDGER_SHARDS as the caller copies it into the settings (1 unless a fixture says).
    [[nodiscard]] virtual std::size_t ledger_shards() const { return 1; }

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
        const std::string& method = "mpesa",
        const std::string& phone = "+26658123456",
        const std::string& sender_id = platform::new_uuid()
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
                    {"sender", {{"id", sender_id}, {"full_name", "Thabo Mokoena"}}},
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
    /// The attempt log of a reference, "kind:result", oldest first.
    std::vector<std::string> attempt_log_of(const std::string& reference) {
        return in_tx([&](pqxx::work& tx) {
            std::vector<std::string> out;
            for (const auto& r : tx.exec_params(
                     "SELECT kind || ':' || result FROM attempt_log WHERE reference = $1 ORDER BY "
                     "id",
                     reference
                 )) {
                out.push_back(r[0].as<std::string>());
            }
            return out;
        });
    }
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
    std::shared_ptr<FakeChecker> checker_;
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
    EXPECT_EQ(
        attempt_log_of(hex_of(id) + "A1"),
        (std::vector<std::string>{"submit:unknown", "query:pending", "callback:paid"})
    );
    EXPECT_EQ(state(id), "paid");
}

// ---- cash pickup -------------------------------------------------------------------------------

class CashPickupPgTest : public PayoutPgTest {
protected:
    const std::string agent_ = platform::new_uuid();

    /// The notify.sms the voucher went out in (the only place its PIN exists).
    json voucher_sms(const std::string& id) {
        return in_tx([&](pqxx::work& tx) {
            const auto rows = tx.exec_params(
                "SELECT payload FROM outbox WHERE type = 'notify.sms' AND payload::jsonb->>"
                "'dedupe_key' = $1",
                "payout:" + id + ":voucher_issued"
            );
            return rows.size() == 1 ? json::parse(rows[0][0].as<std::string>()) : json{};
        });
    }

    api::Reply redeem(
        const std::string& code,
        const std::string& pin,
        const std::string& national_id = "LS0123456789",
        const std::string& agent = ""
    ) {
        api::Request r;
        r.operation = "redeemCashPickup";
        r.request_id = "pgtest";
        r.caller = api::Caller{agent.empty() ? agent_ : agent, "agent", 0};
        r.body = json{{"voucher_code", code}, {"pin", pin}, {"recipient_national_id", national_id}};
        return in_tx([&](pqxx::work& tx) { return service_->handle(tx, r); });
    }

    std::string wrong(const std::string& pin) {
        std::string w = pin;
        w[0] = pin[0] == '9' ? '0' : static_cast<char>(pin[0] + 1);
        return w;
    }

    int failed_attempts(const std::string& id) {
        return in_tx([&](pqxx::work& tx) {
            return tx
                .exec_params1(
                    "SELECT failed_attempts FROM vouchers WHERE remittance_id = $1", id
                )[0]
                .as<int>();
        });
    }
};

TEST_F(CashPickupPgTest, AVoucherIsIssuedItsPinSentOnlyBySmsAndNoPartnerIsCalled) {
    const auto id = request("cash_pickup");
    drain();
    EXPECT_TRUE(partner_->submitted.empty());
    EXPECT_EQ(state(id), "accepted");
    const json sms = voucher_sms(id);
    ASSERT_TRUE(sms.is_object());
    EXPECT_EQ(sms["to"], "+26658123456");
    EXPECT_EQ(sms["template"], "voucher_issued");
    const std::string code = sms["params"]["voucher_code"];
    const std::string pin = sms["params"]["pin"];
    EXPECT_EQ(sms["params"]["amount"], "500.00");
    EXPECT_EQ(sms["params"]["sender_name"], "Thabo Mokoena");
    EXPECT_EQ(code.size(), 10U);
    EXPECT_EQ(pin.size(), 6U);
    const auto stored = in_tx([&](pqxx::work& tx) {
        return tx.exec_params1(
            "SELECT code, pin_hash, state FROM vouchers WHERE remittance_id = $1", id
        );
    });
    EXPECT_EQ(stored[0].as<std::string>(), code);
    EXPECT_TRUE(stored[1].as<std::string>().starts_with("$argon2id$"));
    EXPECT_EQ(stored[1].as<std::string>().find(pin), std::string::npos);
    EXPECT_EQ(stored[2].as<std::string>(), "issued");
    // The sender's remittance learns the code (never the PIN).
    const auto event = in_tx([&](pqxx::work& tx) {
        return tx
            .exec_params1(
                "SELECT payload FROM outbox WHERE type = 'payout.voucher_issued' AND "
                "payload::jsonb->>'remittance_id' = $1",
                id
            )[0]
            .as<std::string>();
    });
    EXPECT_EQ(json::parse(event)["voucher_code"], code);
    EXPECT_EQ(event.find(pin), std::string::npos);
    EXPECT_TRUE(outcomes(id).empty());
}

TEST_F(CashPickupPgTest, TheRightPinAndNationalIdPayAndMoveTheAgentsFloatOnce) {
    const auto id = request("cash_pickup");
    const json sms = voucher_sms(id);
    const auto reply = redeem(sms["params"]["voucher_code"], sms["params"]["pin"]);
    ASSERT_EQ(reply.status, 200) << reply.body.dump();
    EXPECT_EQ(reply.body["amount"]["amount"], "500.00");
    EXPECT_EQ(reply.body["amount"]["currency"], "LSL");
    EXPECT_EQ(reply.body["recipient_name"], "Palesa Mokoena");
    EXPECT_EQ(state(id), "paid");
    EXPECT_EQ(outcomes(id), std::vector<std::string>{"paid"});
    const auto posting = in_tx([&](pqxx::work& tx) {
        return tx.exec_params(
            "SELECT kind, subject, float_effect, command FROM ledger_postings WHERE remittance_id "
            "= $1",
            id
        );
    });
    ASSERT_EQ(posting.size(), 1U);
    EXPECT_EQ(posting[0][0].as<std::string>(), "cash_pickup");
    EXPECT_EQ(posting[0][1].as<std::string>(), "agent:" + agent_);
    EXPECT_EQ(posting[0][2].as<std::int64_t>(), -50'000);
    const json legs = json::parse(posting[0][3].as<std::string>())["transfers"];
    ASSERT_EQ(legs.size(), 2U);
    EXPECT_EQ(legs[0]["currency"], "ZAR");
    EXPECT_EQ(legs[0]["flags"], json::array({"linked"}));
    EXPECT_EQ(legs[1]["currency"], "LSL");
    EXPECT_EQ(legs[1]["amount"], 50'000);
    EXPECT_EQ(legs[1]["credit_account_id"], derived_id("agent:" + agent_));
    // Collected once. The same agent asking again (its answer lost) gets the same answer;
    // another agent is refused; neither moves anything.
    const auto again = redeem(sms["params"]["voucher_code"], sms["params"]["pin"]);
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(again.body["redeemed_at"], reply.body["redeemed_at"]);
    const auto elsewhere = redeem(
        sms["params"]["voucher_code"], sms["params"]["pin"], "LS0123456789", platform::new_uuid()
    );
    EXPECT_EQ(elsewhere.status, 409);
    EXPECT_EQ(elsewhere.body["type"], "/problems/voucher-redeemed");
    EXPECT_EQ(outcomes(id).size(), 1U);
    EXPECT_EQ(
        in_tx([&](pqxx::work& tx) {
            return tx.exec1("SELECT count(*) FROM ledger_postings")[0].as<int>();
        }),
        1
    );
}

TEST_F(CashPickupPgTest, FiveWrongTriesLockTheVoucherAndTheRightPinThenDoesNothing) {
    const auto id = request("cash_pickup");
    const json sms = voucher_sms(id);
    const std::string code = sms["params"]["voucher_code"];
    const std::string pin = sms["params"]["pin"];
    std::string wrong_pin_detail;
    for (int i = 1; i <= 3; ++i) {
        const auto r = redeem(code, wrong(pin));
        EXPECT_EQ(r.status, 403);
        EXPECT_EQ(r.body["attempts_left"], 5 - i);
        EXPECT_EQ(failed_attempts(id), i);  // kept although the answer is a refusal
        wrong_pin_detail = r.body["detail"];
    }
    // The right PIN with someone else's national id counts too, and says no more than a wrong
    // PIN.
    const auto wrong_id = redeem(code, pin, "LS9999999999");
    EXPECT_EQ(wrong_id.status, 403);
    EXPECT_EQ(wrong_id.body["detail"], wrong_pin_detail);
    const auto fifth = redeem(code, wrong(pin));
    EXPECT_EQ(fifth.status, 403);
    EXPECT_EQ(fifth.body["attempts_left"], 0);
    EXPECT_NE(fifth.body["detail"].get<std::string>().find("now locked"), std::string::npos);
    EXPECT_EQ(failed_attempts(id), 5);
    const auto locked = redeem(code, pin);
    EXPECT_EQ(locked.status, 423);
    EXPECT_EQ(state(id), "accepted");
    EXPECT_TRUE(outcomes(id).empty());
    const auto results = in_tx([&](pqxx::work& tx) {
        return tx
            .exec_params1(
                "SELECT string_agg(result, ',' ORDER BY id) FROM voucher_attempts WHERE "
                "remittance_id "
                "= $1",
                id
            )[0]
            .as<std::string>();
    });
    EXPECT_EQ(results, "wrong_pin,wrong_pin,wrong_pin,identity_mismatch,wrong_pin");
}

TEST_F(CashPickupPgTest, RefusalsThatAreNotTheRecipientsFaultCountNothing) {
    const auto id = request("cash_pickup");
    const json sms = voucher_sms(id);
    const std::string code = sms["params"]["voucher_code"];
    const std::string pin = sms["params"]["pin"];
    std::string slip = code;
    slip[3] = code[3] == '0' ? '1' : '0';  // a typing slip fails the check digit
    const auto malformed = redeem(slip, pin);
    EXPECT_EQ(malformed.status, 422);
    EXPECT_EQ(malformed.body["errors"][0]["field"], "voucher_code");
    const auto bad_pin = redeem(code, "12ab56");
    EXPECT_EQ(bad_pin.status, 422);
    EXPECT_EQ(bad_pin.body["errors"][0]["field"], "pin");
    checker_->silent = true;
    EXPECT_EQ(redeem(code, pin).status, 503);
    checker_->silent = false;
    checker_->agent_country = "ZA";
    EXPECT_EQ(redeem(code, pin).status, 403);
    // An agent outside Lesotho learns nothing of the PIN and burns no try.
    const auto za_wrong = redeem(code, wrong(pin));
    EXPECT_EQ(za_wrong.status, 403);
    EXPECT_EQ(za_wrong.body["type"], "/problems/forbidden");
    EXPECT_EQ(failed_attempts(id), 0);
    EXPECT_EQ(state(id), "accepted");
    // A well-formed code nobody was given.
    const std::string other = code == "0000000000" ? "0000000018" : "0000000000";
    EXPECT_EQ(redeem(other, pin).status, 404);
}

TEST_F(CashPickupPgTest, AResentVoucherHasANewPinForTheSameCodeOnlyToItsPhoneAndOnlyWhileLive) {
    const auto id = request("cash_pickup", "+26658123456");
    const json sms = voucher_sms(id);
    const std::string code = sms["params"]["voucher_code"];
    const std::string old_pin = sms["params"]["pin"];
    const auto resend = [&](const std::string& phone, const std::string& message_id) {
        in_tx([&](pqxx::work& tx) {
            service_->resend_voucher(tx, json{{"remittance_id", id}, {"phone", phone}}, message_id);
            return 0;
        });
    };
    const auto resent = [&]() {
        return in_tx([&](pqxx::work& tx) {
            json out = json::array();
            for (const auto& r : tx.exec_params(
                     "SELECT payload FROM outbox WHERE type = 'notify.sms' AND payload::jsonb->>"
                     "'dedupe_key' LIKE $1 ORDER BY id",
                     "payout:" + id + ":voucher_resent:%"
                 )) {
                out.push_back(json::parse(r[0].as<std::string>()));
            }
            return out;
        });
    };
    // Another phone asking gets nothing.
    resend("+26658999999", "ussd:1");
    EXPECT_TRUE(resent().empty());
    (void)redeem(code, wrong(old_pin));  // one wrong try before
    resend("+26658123456", "ussd:2");
    ASSERT_EQ(resent().size(), 1U);
    const json again = resent()[0];
    EXPECT_EQ(again["to"], "+26658123456");
    EXPECT_EQ(again["template"], "voucher_issued");
    EXPECT_EQ(again["params"]["voucher_code"], code);
    const std::string new_pin = again["params"]["pin"];
    // The tries made before are kept; the old PIN no longer opens the voucher (unless the draw
    // repeated it, one in a million).
    EXPECT_EQ(failed_attempts(id), 1);
    if (new_pin != old_pin) {
        EXPECT_EQ(redeem(code, old_pin).status, 403);
        EXPECT_EQ(failed_attempts(id), 2);
    }
    EXPECT_EQ(redeem(code, new_pin).status, 200);
    // Redeemed: nothing is sent any more.
    resend("+26658123456", "ussd:3");
    EXPECT_EQ(resent().size(), 1U);
    // A malformed command changes nothing and does not throw (it would be retried for nothing).
    in_tx([&](pqxx::work& tx) {
        service_->resend_voucher(tx, json::array(), "ussd:4");
        service_->resend_voucher(tx, json{{"remittance_id", "x"}, {"phone", ""}}, "ussd:5");
        return 0;
    });
    EXPECT_EQ(resent().size(), 1U);
}

TEST_F(CashPickupPgTest, AnUncollectedVoucherExpiresAndTheSenderIsRefunded) {
    const auto id = request("cash_pickup");
    const json sms = voucher_sms(id);
    clock_.advance(47h);
    service_->run_jobs_once();
    EXPECT_EQ(state(id), "accepted");
    clock_.advance(2h);
    service_->run_jobs_once();
    EXPECT_EQ(state(id), "failed");
    EXPECT_EQ(outcomes(id), std::vector<std::string>{"failed"});
    const auto r = redeem(sms["params"]["voucher_code"], sms["params"]["pin"]);
    EXPECT_EQ(r.status, 410);
    service_->run_jobs_once();
    EXPECT_EQ(outcomes(id).size(), 1U);  // expired once
}

// ---- the partner side of the ledger, reconciliation, settlement -----------------------------

class SettlementPgTest : public PayoutPgTest {
protected:
    api::Reply finance(
        const std::string& operation,
        json body = json::object(),
        json query = json::object(),
        json path = json::object()
    ) {
        api::Request r;
        r.operation = operation;
        r.request_id = "pgtest";
        r.caller = api::Caller{platform::new_uuid(), "finance", 0};
        r.body = std::move(body);
        r.query = std::move(query);
        r.path = std::move(path);
        return in_tx([&](pqxx::work& tx) { return service_->handle(tx, r); });
    }

    /// Pays a payout through the callback; returns its remittance id.
    std::string paid() {
        const auto id = request();
        drain();
        clock_.advance(1s);
        EXPECT_EQ(callback(mpesa_body(hex_of(id) + "A1", "INS-0")).status, 200);
        EXPECT_EQ(state(id), "paid");
        return id;
    }

    /// The ledger answers every command sent so far with `result` for each transfer.
    void ledger_answers(const std::string& result = "ok") {
        in_tx([&](pqxx::work& tx) {
            for (const auto& row : tx.exec("SELECT type, payload FROM outbox WHERE type LIKE "
                                           "'ledger.create_%' ORDER BY id")) {
                const json command = json::parse(row[1].as<std::string>());
                const bool accounts = row[0].as<std::string>() == "ledger.create_accounts";
                json results = json::array();
                for (const auto& item : command[accounts ? "accounts" : "transfers"]) {
                    results.push_back({{"id", item["id"]}, {"result", accounts ? "ok" : result}});
                }
                platform::bus::Message m;
                m.type = row[0].as<std::string>() + ".reply";
                m.payload = api::json(200, json{{"results", results}}).to_payload();
                service_->apply_ledger_reply(tx, m);
            }
            tx.exec("DELETE FROM outbox WHERE type LIKE 'ledger.create_%'");
        });
    }

    std::string today() const { return platform::format_rfc3339(clock_.now()).substr(0, 10); }

    json partner_position(const std::string& partner = "mpesa") {
        const auto r = finance("getSettlementPositions");
        EXPECT_EQ(r.status, 200);
        for (const auto& p : r.body["partners"]) {
            if (p["partner"] == partner) {
                return p;
            }
        }
        return json{};
    }

    std::vector<std::int64_t> break_effects() {
        return in_tx([&](pqxx::work& tx) {
            std::vector<std::int64_t> out;
            for (const auto& r : tx.exec("SELECT float_effect FROM ledger_postings WHERE kind = "
                                         "'recon_break' ORDER BY float_effect")) {
                out.push_back(r[0].as<std::int64_t>());
            }
            return out;
        });
    }
};

TEST_F(SettlementPgTest, APaidPayoutLeavesThePartnerFloatOnceThroughLiquidity) {
    const auto id = paid();
    clock_.advance(2s);
    (void)callback(mpesa_body(hex_of(id) + "A1", "INS-0"));  // a duplicate result
    const auto rows = in_tx([&](pqxx::work& tx) {
        return tx.exec_params(
            "SELECT kind, subject, float_effect, command FROM ledger_postings WHERE remittance_id "
            "= $1",
            id
        );
    });
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0][0].as<std::string>(), "payout");
    EXPECT_EQ(rows[0][1].as<std::string>(), "float:mpesa");
    const json legs = json::parse(rows[0][3].as<std::string>())["transfers"];
    EXPECT_EQ(legs[0]["debit_account_id"], derived_id("system:in_transit"));
    EXPECT_EQ(legs[0]["credit_account_id"], derived_id("system:liquidity:ZAR"));
    EXPECT_EQ(legs[1]["debit_account_id"], derived_id("system:liquidity:LSL"));
    EXPECT_EQ(legs[1]["credit_account_id"], derived_id("float:mpesa"));
    const auto paid_reference = in_tx([&](pqxx::work& tx) {
        return tx.exec_params1("SELECT paid_reference FROM payouts WHERE remittance_id = $1", id)[0]
            .as<std::string>();
    });
    EXPECT_EQ(paid_reference, hex_of(id) + "A1");
}

TEST_F(SettlementPgTest, UnconfirmedPostingsAreResentAndARefusedChainKeepsItsIds) {
    (void)paid();
    const auto first_id = in_tx([&](pqxx::work& tx) {
        return tx.exec1("SELECT transfer_id::text FROM ledger_postings")[0].as<std::string>();
    });
    // The ledger had not opened the float account yet. A refused chain spends no id: it goes
    // again as it was, so a copy still in flight can never apply a second time.
    ledger_answers("credit_account_not_found");
    const auto kept = in_tx([&](pqxx::work& tx) {
        return tx.exec1("SELECT transfer_id::text, attempt, state, result FROM ledger_postings");
    });
    EXPECT_EQ(kept[0].as<std::string>(), first_id);
    EXPECT_EQ(kept[1].as<int>(), 1);
    EXPECT_EQ(kept[2].as<std::string>(), "sent");
    EXPECT_EQ(kept[3].as<std::string>(), "credit_account_not_found");
    const auto count_sent = [&] {
        return in_tx([&](pqxx::work& tx) {
            return tx.exec("SELECT 1 FROM outbox WHERE type = 'ledger.create_transfers'").size();
        });
    };
    service_->run_jobs_once();
    EXPECT_EQ(count_sent(), 0U);  // not due yet
    clock_.advance(31s);
    service_->run_jobs_once();
    EXPECT_EQ(count_sent(), 1U);
    ledger_answers("ok");
    const auto state_now = in_tx([&](pqxx::work& tx) {
        return tx.exec1("SELECT state FROM ledger_postings")[0].as<std::string>();
    });
    EXPECT_EQ(state_now, "applied");
    EXPECT_EQ(partner_position()["float"]["amount"], "-500.00");
}

TEST_F(SettlementPgTest, ARefusedLoneTransferGoesAgainUnderAFreshIdOnly) {
    const json top_up{
        {"partner", "ecocash"},
        {"amount", {{"amount", "250.00"}, {"currency", "LSL"}}},
        {"reference", "BANK-9"}};
    ASSERT_EQ(finance("topUpPartnerFloat", top_up).status, 201);
    const auto first_id = in_tx([&](pqxx::work& tx) {
        return tx.exec1("SELECT transfer_id::text FROM ledger_postings")[0].as<std::string>();
    });
    // The ledger spent the lone transfer's id on the refusal: only a fresh id can apply.
    ledger_answers("debit_account_not_found");
    const auto renewed = in_tx([&](pqxx::work& tx) {
        return tx.exec1("SELECT transfer_id::text, attempt, state FROM ledger_postings");
    });
    EXPECT_NE(renewed[0].as<std::string>(), first_id);
    EXPECT_EQ(renewed[1].as<int>(), 2);
    EXPECT_EQ(renewed[2].as<std::string>(), "sent");
    // A late answer about the spent id changes nothing.
    in_tx([&](pqxx::work& tx) {
        platform::bus::Message m;
        m.type = "ledger.create_transfers.reply";
        m.payload =
            api::json(
                200,
                json{
                    {"results", json::array({{{"id", first_id}, {"result", "id_already_failed"}}})}}
            ).to_payload();
        service_->apply_ledger_reply(tx, m);
    });
    EXPECT_EQ(
        in_tx([&](pqxx::work& tx) {
            return tx.exec1("SELECT attempt FROM ledger_postings")[0].as<int>();
        }),
        2
    );
    clock_.advance(31s);
    service_->run_jobs_once();
    ledger_answers("ok");
    EXPECT_EQ(partner_position("ecocash")["float"]["amount"], "250.00");
}

TEST_F(SettlementPgTest, TopUpsAreIdempotentByReferenceAndDriveTheLowFloatAlarm) {
    const json top_up{
        {"partner", "mpesa"},
        {"amount", {{"amount", "1000.00"}, {"currency", "LSL"}}},
        {"reference", "BANK-1"}};
    EXPECT_EQ(finance("topUpPartnerFloat", top_up).status, 201);
    EXPECT_EQ(finance("topUpPartnerFloat", top_up).status, 200);
    json other = top_up;
    other["amount"]["amount"] = "999.00";
    EXPECT_EQ(finance("topUpPartnerFloat", other).status, 409);
    json bad = top_up;
    bad["partner"] = "paypal";
    const auto refused = finance("topUpPartnerFloat", bad);
    EXPECT_EQ(refused.status, 422);
    EXPECT_EQ(refused.body["errors"][0]["field"], "partner");
    ledger_answers();
    auto p = partner_position();
    EXPECT_EQ(p["float"]["amount"], "1000.00");
    EXPECT_EQ(p["available"]["amount"], "1000.00");
    EXPECT_EQ(p["low_float"], true);  // under the 2000.00 threshold
    const auto alarms = [&] {
        return in_tx([&](pqxx::work& tx) {
            return tx.exec("SELECT 1 FROM outbox WHERE type = 'payout.float_low'").size();
        });
    };
    service_->run_jobs_once();
    service_->run_jobs_once();
    EXPECT_EQ(alarms(), 1U);  // raised once, not on every pass
    // A payout in flight counts against the float.
    partner_->submits.push_back(ScriptedPartner::accepted());
    (void)request();
    drain();
    p = partner_position();
    EXPECT_EQ(p["pending"]["amount"], "500.00");
    EXPECT_EQ(p["available"]["amount"], "500.00");
    EXPECT_EQ(
        finance(
            "topUpPartnerFloat",
            json{
                {"partner", "mpesa"},
                {"amount", {{"amount", "5000.00"}, {"currency", "LSL"}}},
                {"reference", "BANK-2"}}
        ).status,
        201
    );
    ledger_answers();
    service_->run_jobs_once();
    p = partner_position();
    EXPECT_EQ(p["float"]["amount"], "6000.00");
    EXPECT_EQ(p["low_float"], false);
    EXPECT_TRUE(p["alarm_raised_at"].is_null());
}

TEST_F(SettlementPgTest, ReconciliationFindsEveryBreakOnceAndMovesItToSuspense) {
    const auto matched = paid();
    const auto dropped = paid();
    const auto changed = paid();
    const auto open = request();  // accepted, no result yet
    drain();
    auto line = [&](const std::string& id, std::int64_t amount) {
        return mm::StatementLine{
            hex_of(id) + "A1",
            "TX" + id.substr(0, 4),
            "26658123456",
            amount,
            today() + "T00:00:05Z"};
    };
    partner_->statements[today()] = {
        line(matched, 50'000),
        line(changed, 45'000),
        line(open, 50'000),
        mm::StatementLine{"NOTOURS1", "TXZZ", "26658000000", 7'000, today() + "T00:00:09Z"}};
    const std::string day = today();
    // While the day is open a run only reports: the findings, nothing in suspense.
    const auto started = finance("startReconciliation", json{{"date", day}});
    ASSERT_EQ(started.status, 202) << started.body.dump();
    ASSERT_EQ(started.body["runs"].size(), 1U);
    EXPECT_EQ(started.body["runs"][0]["state"], "queued");
    service_->run_jobs_once();
    const auto report = finance(
        "getReconciliationRun",
        json::object(),
        json::object(),
        json{{"id", started.body["runs"][0]["id"]}}
    );
    EXPECT_EQ(report.body["final"], false);
    EXPECT_EQ(report.body["findings"].size(), 3U);
    EXPECT_TRUE(report.body["break_items"].empty());
    EXPECT_TRUE(break_effects().empty());
    // The day closes; the scheduled run of it records the breaks.
    clock_.advance(26h + 1min);
    service_->run_jobs_once();
    const auto listed = finance("listReconciliationRuns", json::object(), json{{"date", day}});
    ASSERT_EQ(listed.body["items"].size(), 2U);
    EXPECT_EQ(listed.body["items"][0]["requested_by"], "schedule");
    const std::string run_id = listed.body["items"][0]["id"];
    const auto run =
        finance("getReconciliationRun", json::object(), json::object(), json{{"id", run_id}});
    ASSERT_EQ(run.status, 200);
    EXPECT_EQ(run.body["state"], "done");
    EXPECT_EQ(run.body["final"], true);
    EXPECT_EQ(run.body["statement_lines"], 4);
    // `open` was still waiting for its callback: the closed day's statement settled it as paid.
    EXPECT_EQ(run.body["matched"], 2);
    EXPECT_EQ(run.body["in_flight"], 0);
    EXPECT_EQ(state(open), "paid");
    EXPECT_EQ(outcomes(open), std::vector<std::string>{"paid"});
    EXPECT_EQ(run.body["breaks"]["missing_there"], 1);
    EXPECT_EQ(run.body["breaks"]["missing_here"], 1);
    EXPECT_EQ(run.body["breaks"]["amount_mismatch"], 1);
    std::map<std::string, std::string> kind_of;
    for (const auto& b : run.body["break_items"]) {
        kind_of[b["reference"]] = b["kind"];
    }
    EXPECT_EQ(kind_of[hex_of(dropped) + "A1"], "missing_there");
    EXPECT_EQ(kind_of[hex_of(changed) + "A1"], "amount_mismatch");
    EXPECT_EQ(kind_of["NOTOURS1"], "missing_here");
    EXPECT_EQ(break_effects(), (std::vector<std::int64_t>{-7'000, 5'000, 50'000}));
    // The same day again finds the same breaks and moves nothing twice.
    ASSERT_EQ(
        finance("startReconciliation", json{{"date", day}, {"partner", "mpesa"}}).status, 202
    );
    service_->run_jobs_once();
    EXPECT_EQ(break_effects().size(), 3U);
    const auto open_breaks =
        finance("listReconciliationBreaks", json::object(), json{{"state", "open"}, {"limit", 2}});
    ASSERT_EQ(open_breaks.status, 200);
    EXPECT_EQ(open_breaks.body["items"].size(), 2U);
    ASSERT_TRUE(open_breaks.body["next_cursor"].is_string());
    const auto rest = finance(
        "listReconciliationBreaks",
        json::object(),
        json{{"state", "open"}, {"cursor", open_breaks.body["next_cursor"]}}
    );
    EXPECT_EQ(rest.body["items"].size(), 1U);
    const std::string break_id = rest.body["items"][0]["id"];
    EXPECT_TRUE(rest.body["next_cursor"].is_null());
    EXPECT_EQ(
        finance("listReconciliationBreaks", json::object(), json{{"cursor", "x|not-an-id"}}).status,
        422
    );
    const auto resolved = finance(
        "resolveReconciliationBreak",
        json{{"note", "partner confirmed the payment on its portal"}},
        json::object(),
        json{{"id", break_id}}
    );
    EXPECT_EQ(resolved.status, 200);
    EXPECT_EQ(resolved.body["state"], "resolved");
    EXPECT_EQ(
        finance(
            "resolveReconciliationBreak",
            json{{"note", "again"}},
            json::object(),
            json{{"id", break_id}}
        ).status,
        409
    );
    const auto runs = finance("listReconciliationRuns", json::object(), json{{"date", day}});
    EXPECT_EQ(runs.body["items"].size(), 3U);
    (void)matched;
}

// docs/payout.md "Reconciliation": a payout whose outcome stayed unknown (every query unanswered,
// the callback lost) kept the sender's money reserved for ever. The closed day's statement is the
// partner's own record that it paid: the final run settles it, once, and it then reads as matched.
TEST_F(SettlementPgTest, AnOutcomeUnknownForDaysIsSettledByTheClosedDaysStatement) {
    partner_->submits.push_back(ScriptedPartner::verdict(mm::SubmitVerdict::kUnknown));
    const auto id = request();
    drain();                       // alone, so the scripted unknown verdict is its answer
    const auto other = request();  // on the statement for another amount: left to its query
    drain();
    ASSERT_EQ(state(id), "unknown");
    const std::string paid_day = today();
    partner_->statements[paid_day] = {
        mm::StatementLine{
            hex_of(id) + "A1", "TXLATE", "26658123456", 50'000, paid_day + "T00:00:05Z"},
        mm::StatementLine{
            hex_of(other) + "A1", "TXOTHER", "26658123456", 49'000, paid_day + "T00:00:07Z"}};
    // While the day is open, a run only reports: nothing is settled.
    ASSERT_EQ(finance("startReconciliation", json{{"date", paid_day}}).status, 202);
    service_->run_jobs_once();
    EXPECT_EQ(state(id), "unknown");
    clock_.advance(26h + 1min);
    service_->run_jobs_once();  // the paid day's final run
    EXPECT_EQ(state(id), "paid");
    EXPECT_EQ(outcomes(id), (std::vector<std::string>{"unknown", "paid"}));
    EXPECT_NE(state(other), "paid");
    const auto runs = finance("listReconciliationRuns", json::object(), json{{"date", paid_day}});
    ASSERT_EQ(runs.body["items"].size(), 2U);
    EXPECT_EQ(runs.body["items"][0]["final"], true);
    EXPECT_EQ(runs.body["items"][0]["matched"], 1);
    EXPECT_EQ(runs.body["items"][0]["in_flight"], 1);
    EXPECT_EQ(attempt_log_of(hex_of(id) + "A1").back(), "statement:paid");
    EXPECT_EQ(partner_->submitted.size(), 2U) << "never paid again";
    // A late callback changes nothing; the run of the day it was settled on finds it on the
    // paid day's statement: matched, not missing there, and nothing moved to suspense for it.
    EXPECT_EQ(callback(mpesa_body(hex_of(id) + "A1", "INS-0")).body["effect"], "duplicate");
    EXPECT_EQ(outcomes(id), (std::vector<std::string>{"unknown", "paid"}));
    const std::string settled_day = today();
    clock_.advance(24h + 1min);
    service_->run_jobs_once();
    const auto next =
        finance("listReconciliationRuns", json::object(), json{{"date", settled_day}});
    ASSERT_EQ(next.body["items"].size(), 1U);
    EXPECT_EQ(next.body["items"][0]["matched"], 1);
    EXPECT_EQ(next.body["items"][0]["breaks"]["missing_there"], 0);
    EXPECT_TRUE(break_effects().empty());
}

// A payout learned paid days after the day whose statement shows it (here that day's final run
// could not read the statement, so nothing settled it then): the run of the day it was learned
// finds it on the line an earlier run kept, not missing there.
TEST_F(SettlementPgTest, APayoutLearnedPaidDaysLaterIsFoundOnTheLineAnEarlierRunKept) {
    const auto id = request();
    drain();  // accepted; the partner pays it today, its callback is lost for days
    const std::string paid_day = today();
    partner_->statements[paid_day] = {mm::StatementLine{
        hex_of(id) + "A1", "TXLATE", "26658123456", 50'000, paid_day + "T00:00:05Z"}};
    ASSERT_EQ(finance("startReconciliation", json{{"date", paid_day}}).status, 202);
    service_->run_jobs_once();  // a report of the open day: the line is kept
    partner_->statement_error = true;
    clock_.advance(26h + 1min);
    service_->run_jobs_once();  // the paid day's final run cannot read the statement
    ASSERT_EQ(state(id), "accepted");
    clock_.advance(48h);
    ASSERT_EQ(callback(mpesa_body(hex_of(id) + "A1", "INS-0")).status, 200);
    ASSERT_EQ(state(id), "paid");
    const std::string learned_day = today();
    partner_->statement_error = false;
    clock_.advance(24h + 1min);
    service_->run_jobs_once();  // the day we learned it: matched on the kept line, no break
    const auto runs =
        finance("listReconciliationRuns", json::object(), json{{"date", learned_day}});
    ASSERT_FALSE(runs.body["items"].empty());
    EXPECT_EQ(runs.body["items"][0]["final"], true);
    EXPECT_EQ(runs.body["items"][0]["state"], "done");
    EXPECT_EQ(runs.body["items"][0]["matched"], 1);
    EXPECT_EQ(runs.body["items"][0]["breaks"]["missing_there"], 0);
    EXPECT_TRUE(break_effects().empty());
}

TEST_F(SettlementPgTest, AnUnreadableStatementFailsTheRunAndChangesNothing) {
    (void)paid();
    partner_->statement_error = true;
    const auto started = finance("startReconciliation", json{{"date", today()}});
    ASSERT_EQ(started.status, 202);
    service_->run_jobs_once();
    const auto run = finance(
        "getReconciliationRun",
        json::object(),
        json::object(),
        json{{"id", started.body["runs"][0]["id"]}}
    );
    EXPECT_EQ(run.body["state"], "failed");
    EXPECT_NE(
        run.body["error"].get<std::string>().find("statement unavailable"), std::string::npos
    );
    EXPECT_TRUE(break_effects().empty());
    EXPECT_EQ(finance("startReconciliation", json{{"date", "2099-01-01"}}).status, 422);
    EXPECT_EQ(finance("startReconciliation", json{{"date", "23-11-2026"}}).status, 422);
}

TEST_F(SettlementPgTest, TheDailyRunIsQueuedOnceAfterTheConfiguredHour) {
    // The clock starts at midnight UTC; runs for yesterday wait until 02:00.
    service_->run_jobs_once();
    const auto runs = [&] {
        return in_tx([&](pqxx::work& tx) {
            return tx.exec1("SELECT count(*) FROM recon_runs")[0].as<int>();
        });
    };
    EXPECT_EQ(runs(), 0);
    clock_.advance(2h + 1min);
    service_->run_jobs_once();
    service_->run_jobs_once();
    EXPECT_EQ(runs(), 1);
    const auto state_of = in_tx([&](pqxx::work& tx) {
        return tx.exec1("SELECT state, requested_by FROM recon_runs");
    });
    EXPECT_EQ(state_of[0].as<std::string>(), "done");
    EXPECT_EQ(state_of[1].as<std::string>(), "schedule");
}

/// Two ledger shards (docs/scaling.md): a payout's legs go to its sender's shard, between that
/// shard's sub-accounts; a top-up goes to shard 0; the position adds every shard up.
class ShardedSettlementPgTest : public SettlementPgTest {
protected:
    [[nodiscard]] std::size_t ledger_shards() const override { return 2; }

    static std::string sender_in_shard(std::size_t shard) {
        for (;;) {
            std::string id = platform::new_uuid();
            if (ledger::shard_of(id, 2) == shard) {
                return id;
            }
        }
    }

    /// (stream, type, payload) of the ledger commands in the outbox, in order.
    std::vector<std::tuple<std::string, std::string, json>> ledger_commands() {
        return in_tx([&](pqxx::work& tx) {
            std::vector<std::tuple<std::string, std::string, json>> out;
            for (const auto& r : tx.exec(
                     "SELECT stream, type, payload FROM outbox WHERE type LIKE 'ledger.create_%' "
                     "ORDER BY id"
                 )) {
                out.emplace_back(
                    r[0].as<std::string>(),
                    r[1].as<std::string>(),
                    json::parse(r[2].as<std::string>())
                );
            }
            return out;
        });
    }
};

TEST_F(ShardedSettlementPgTest, APayoutMovesMoneyInItsSendersShard) {
    const auto id = request("mpesa", "+26658123456", sender_in_shard(1));
    drain();
    clock_.advance(1s);
    ASSERT_EQ(callback(mpesa_body(hex_of(id) + "A1", "INS-0")).status, 200);
    ASSERT_EQ(state(id), "paid");

    const auto posting = in_tx([&](pqxx::work& tx) {
        return tx.exec_params1(
            "SELECT subject, ledger_shard, command FROM ledger_postings WHERE remittance_id = $1",
            id
        );
    });
    // The position is the partner's, every shard together; the shard is recorded for resends.
    EXPECT_EQ(posting[0].as<std::string>(), "float:mpesa");
    EXPECT_EQ(posting[1].as<int>(), 1);
    const json legs = json::parse(posting[2].as<std::string>())["transfers"];
    EXPECT_EQ(legs[0]["debit_account_id"], derived_id("system:in_transit@shard1"));
    EXPECT_EQ(legs[0]["credit_account_id"], derived_id("system:liquidity:ZAR@shard1"));
    EXPECT_EQ(legs[1]["debit_account_id"], derived_id("system:liquidity:LSL@shard1"));
    EXPECT_EQ(legs[1]["credit_account_id"], derived_id("float:mpesa@shard1"));

    std::map<std::string, std::string> account_streams;  // account id -> stream
    std::vector<std::string> transfer_streams;
    for (const auto& [stream, type, payload] : ledger_commands()) {
        if (type == "ledger.create_accounts") {
            for (const auto& a : payload["accounts"]) {
                account_streams[a["id"].get<std::string>()] = stream;
            }
        } else {
            transfer_streams.push_back(stream);
        }
    }
    EXPECT_EQ(account_streams[derived_id("float:mpesa@shard1")], "ledger.cmd.1");
    EXPECT_EQ(account_streams[derived_id("float:mpesa")], "ledger.cmd");
    EXPECT_EQ(transfer_streams, std::vector<std::string>{"ledger.cmd.1"});

    // Refused for an account the shard had not opened yet: sent again to the same shard, the
    // accounts first, each to its own shard.
    ledger_answers("credit_account_not_found");
    in_tx([&](pqxx::work& tx) { tx.exec0("UPDATE ledger_accounts SET confirmed = false"); });
    clock_.advance(31s);
    service_->run_jobs_once();
    account_streams.clear();
    transfer_streams.clear();
    for (const auto& [stream, type, payload] : ledger_commands()) {
        if (type == "ledger.create_accounts") {
            for (const auto& a : payload["accounts"]) {
                account_streams[a["id"].get<std::string>()] = stream;
            }
        } else {
            transfer_streams.push_back(stream);
        }
    }
    EXPECT_EQ(account_streams[derived_id("float:mpesa@shard1")], "ledger.cmd.1");
    EXPECT_EQ(account_streams[derived_id("float:mpesa")], "ledger.cmd");
    EXPECT_EQ(transfer_streams, std::vector<std::string>{"ledger.cmd.1"});
    ledger_answers("ok");

    // A top-up is no worker's money: shard 0. The partner's float is every shard's together.
    ASSERT_EQ(
        finance(
            "topUpPartnerFloat",
            json{
                {"partner", "mpesa"},
                {"amount", {{"amount", "250.00"}, {"currency", "LSL"}}},
                {"reference", "BANK-1"}}
        ).status,
        201
    );
    const auto commands = ledger_commands();
    ASSERT_FALSE(commands.empty());
    EXPECT_EQ(std::get<0>(commands.back()), "ledger.cmd");
    EXPECT_EQ(
        std::get<2>(commands.back())["transfers"][0]["debit_account_id"], derived_id("float:mpesa")
    );
    ledger_answers("ok");
    EXPECT_EQ(partner_position()["float"]["amount"], "-250.00");
}

TEST_F(ShardedSettlementPgTest, ASenderInShardZeroKeepsTheSingleLedgersAccounts) {
    const auto id = request("mpesa", "+26658123456", sender_in_shard(0));
    drain();
    clock_.advance(1s);
    ASSERT_EQ(callback(mpesa_body(hex_of(id) + "A1", "INS-0")).status, 200);
    const auto commands = ledger_commands();
    ASSERT_FALSE(commands.empty());
    EXPECT_EQ(std::get<0>(commands.back()), "ledger.cmd");
    EXPECT_EQ(
        std::get<2>(commands.back())["transfers"][0]["debit_account_id"],
        derived_id("system:in_transit")
    );
}

}  // namespace
}  // namespace chelete::payout
