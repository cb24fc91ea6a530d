#include "mpesa/mpesa_app.hpp"

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "testing/test_keys.hpp"

namespace chelete::simulators::mpesa {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kKey = "mpesa-test-key";
constexpr platform::TimePoint kT0{
    std::chrono::milliseconds{1'795'428'000'000}};  // 2026-11-23T10:00Z

std::string bearer(const std::string& plaintext) {
    return "Bearer " +
           testing::encrypt_bearer_with_pem(testing::test_rsa_key().public_pem(), plaintext);
}

Json payment_body(const std::string& reference, const std::string& amount = "10.00") {
    return Json{
        {"input_Amount", amount},
        {"input_Country", "LES"},
        {"input_Currency", "LSL"},
        {"input_CustomerMSISDN", "26658123456"},
        {"input_ServiceProviderCode", "000000"},
        {"input_ThirdPartyConversationID", reference},
        {"input_TransactionReference", "RMT-1"},
        {"input_PaymentItemsDesc", "remittance"}};
}

class MpesaAppTest : public ::testing::Test {
protected:
    static MpesaOptions options() {
        MpesaOptions o;
        o.api_key = kKey;
        o.callback_url = "http://127.0.0.1:9/mpesa";
        o.invalid_msisdns = {"26650000000"};
        o.timeout_hold = milliseconds{5000};
        return o;
    }

    /// A fresh app with a fresh outbox.
    MpesaApp& make(MpesaOptions o) {
        app_.reset();
        outbox_ = std::make_unique<CallbackOutbox>();
        app_ = std::make_unique<MpesaApp>(std::move(o), testing::test_rsa_key(), clock_, *outbox_);
        return *app_;
    }
    MpesaApp& make() { return make(options()); }

    static SimRequest request(
        const std::string& method, const std::string& route, const std::string& body = ""
    ) {
        SimRequest r;
        r.method = method;
        r.path = std::string{kBasePath} + route;
        r.body = body;
        r.headers["origin"] = "*";
        return r;
    }

    std::string session() {
        auto r = request("GET", "/getSession/");
        r.headers["authorization"] = bearer(kKey);
        const auto response = app_->handle(r);
        EXPECT_EQ(response.status, 200) << response.body;
        return Json::parse(response.body)["output_SessionID"].get<std::string>();
    }

    /// A session even when faults refuse some getSession calls.
    std::string session_retrying() {
        for (int i = 0; i < 100; ++i) {
            auto r = request("GET", "/getSession/");
            r.headers["authorization"] = bearer(kKey);
            const auto response = app_->handle(r);
            if (response.status == 200) {
                return Json::parse(response.body)["output_SessionID"].get<std::string>();
            }
        }
        ADD_FAILURE() << "no session in 100 tries";
        return {};
    }

    SimResponse pay(const Json& body, const std::string& session_id) {
        auto r = request("POST", "/b2cPayment/", body.dump());
        r.headers["authorization"] = bearer(session_id);
        return app_->handle(r);
    }
    SimResponse pay(const Json& body) { return pay(body, session()); }

    SimResponse query(const std::string& reference, const std::string& session_id) {
        auto r = request("GET", "/queryTransactionStatus/");
        r.query = {
            {"input_QueryReference", reference},
            {"input_ServiceProviderCode", "000000"},
            {"input_ThirdPartyConversationID", "Q" + std::to_string(++queries_)},
            {"input_Country", "LES"}};
        r.headers["authorization"] = bearer(session_id);
        return app_->handle(r);
    }

    SimResponse statement(const std::string& date, const std::string& session_id) {
        auto r = request("GET", "/statement/");
        r.query = {{"input_Date", date}};
        r.headers["authorization"] = bearer(session_id);
        return app_->handle(r);
    }

    Json admin(const std::string& method, const std::string& path, const std::string& body = "") {
        SimRequest r;
        r.method = method;
        r.path = path;
        r.body = body;
        const auto response = app_->handle(r);
        EXPECT_EQ(response.status, 200) << path << " " << response.body;
        return Json::parse(response.body);
    }

    platform::ManualClock clock_{kT0};
    std::unique_ptr<CallbackOutbox> outbox_;
    std::unique_ptr<MpesaApp> app_;
    int queries_ = 0;
};

std::string code_of(const SimResponse& response) {
    return Json::parse(response.body).value("output_ResponseCode", "");
}

TEST_F(MpesaAppTest, GetSessionIssuesASessionOnlyForTheEncryptedApiKey) {
    make();
    auto r = request("GET", "/getSession/");
    r.headers["authorization"] = bearer(kKey);
    auto response = app_->handle(r);
    ASSERT_EQ(response.status, 200);
    const auto body = Json::parse(response.body);
    EXPECT_EQ(body["output_ResponseCode"], "INS-0");
    EXPECT_EQ(body["output_ResponseDesc"], "Request processed successfully");
    const auto id = body["output_SessionID"].get<std::string>();
    EXPECT_EQ(id.size(), 32U);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);

    for (const std::string& bad :
         {bearer("wrong-key"),
          std::string{"Bearer not-base64"},
          std::string{"Basic x"},
          std::string{}}) {
        auto b = request("GET", "/getSession/");
        if (!bad.empty()) {
            b.headers["authorization"] = bad;
        }
        response = app_->handle(b);
        EXPECT_EQ(response.status, 401);
        EXPECT_EQ(
            Json::parse(response.body),
            (Json{{"output_ResponseCode", "INS-2"}, {"output_ResponseDesc", "Invalid API Key"}})
        );
    }
    // The plaintext API key itself is not a bearer.
    r.headers["authorization"] = std::string{"Bearer "} + kKey;
    EXPECT_EQ(app_->handle(r).status, 401);
}

TEST_F(MpesaAppTest, EveryPartnerCallMustSendOriginStar) {
    make();
    auto r = request("GET", "/getSession/");
    r.headers["authorization"] = bearer(kKey);
    r.headers.erase("origin");
    auto response = app_->handle(r);
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(code_of(response), "INS-20");
    r.headers["origin"] = "http://example.com";
    EXPECT_EQ(app_->handle(r).status, 400);
}

TEST_F(MpesaAppTest, SessionsExpireAfterTheTtlAndUnknownOnesAreRefused) {
    auto o = options();
    o.session_ttl = seconds{60};
    make(o);
    const auto id = session();
    clock_.advance(seconds{60});
    EXPECT_EQ(pay(payment_body("A1"), id).status, 201);
    clock_.advance(seconds{1});
    const auto expired = pay(payment_body("A2"), id);
    EXPECT_EQ(expired.status, 401);
    EXPECT_EQ(
        Json::parse(expired.body),
        (Json{{"output_ResponseCode", "INS-989"}, {"output_ResponseDesc", "Session expired"}})
    );
    EXPECT_EQ(pay(payment_body("A3"), "0123456789abcdef0123456789abcdef").status, 401);
    EXPECT_EQ(query("A1", id).status, 401);
    EXPECT_EQ(statement("2026-11-23", id).status, 401);
    // Not processed: a new session and the same reference go through.
    EXPECT_EQ(pay(payment_body("A2")).status, 201);
    EXPECT_EQ(admin("GET", "/admin/payments")["payments"].size(), 2U);
}

TEST_F(MpesaAppTest, AnAcceptedPaymentIsPendingThenCompletedWithASignedCallbackQueued) {
    make();
    const auto response = pay(payment_body("REMIT0001"));
    ASSERT_EQ(response.status, 201) << response.body;
    const auto body = Json::parse(response.body);
    EXPECT_EQ(body["output_ResponseCode"], "INS-0");
    EXPECT_EQ(body["output_ThirdPartyConversationID"], "REMIT0001");
    EXPECT_EQ(body.size(), 5U);
    const auto conversation = body["output_ConversationID"].get<std::string>();
    const auto transaction = body["output_TransactionID"].get<std::string>();
    EXPECT_FALSE(conversation.empty());
    EXPECT_FALSE(transaction.empty());
    EXPECT_EQ(response.delay, milliseconds{0});

    EXPECT_EQ(admin("GET", "/admin/float")["balance"], "9999990.00");
    auto payments = admin("GET", "/admin/payments");
    EXPECT_EQ(payments["payments"][0]["status"], "pending");
    EXPECT_EQ(payments["completed"], 0);

    const auto pending = outbox_->pending();
    ASSERT_EQ(pending.size(), 1U);
    EXPECT_EQ(pending[0].url, "http://127.0.0.1:9/mpesa");
    EXPECT_EQ(pending[0].due, kT0 + milliseconds{50});
    EXPECT_EQ(
        Json::parse(pending[0].body),
        (Json{
            {"input_OriginalConversationID", conversation},
            {"input_ThirdPartyConversationID", "REMIT0001"},
            {"input_TransactionID", transaction},
            {"input_ResultCode", "INS-0"},
            {"input_ResultDesc", "Request processed successfully"},
            {"input_Amount", "10.00"},
            {"input_CustomerMSISDN", "26658123456"},
            {"input_TransactionCompletedDateTime", "2026-11-23T10:00:00Z"}})
    );

    clock_.advance(milliseconds{50});
    payments = admin("GET", "/admin/payments");
    EXPECT_EQ(
        payments["payments"][0],
        (Json{
            {"reference", "REMIT0001"},
            {"transaction_id", transaction},
            {"msisdn", "26658123456"},
            {"amount", "10.00"},
            {"status", "completed"},
            {"completed_at", "2026-11-23T10:00:00Z"}})
    );
    EXPECT_EQ(payments["completed"], 1);

    // Delivered by the sender, signed with the secret: recompute the HMAC here.
    std::vector<std::pair<CallbackHeaders, std::string>> received;
    CallbackSender sender{
        *outbox_,
        clock_,
        CallbackSenderOptions{"cb-secret", 3, seconds{1}},
        [&](const std::string&,
            const CallbackHeaders& h,
            const std::string& b,
            const std::atomic<bool>&) {
            received.emplace_back(h, b);
            return 200L;
        }};
    EXPECT_EQ(sender.deliver_due(), 1U);
    ASSERT_EQ(received.size(), 1U);
    std::map<std::string, std::string> headers(received[0].first.begin(), received[0].first.end());
    EXPECT_EQ(
        headers["X-Chelete-Signature"],
        "v1=" + testing::reference_hmac_hex(
                    "cb-secret", headers["X-Chelete-Timestamp"] + "." + received[0].second
                )
    );
    EXPECT_EQ(headers["X-Chelete-Timestamp"], "1795428000");
    EXPECT_EQ(
        admin("GET", "/admin/callbacks")["callbacks"][0],
        (Json{
            {"reference", "REMIT0001"},
            {"forged", false},
            {"stale", false},
            {"delivered", true},
            {"status", 200}})
    );
}

TEST_F(MpesaAppTest, ADuplicateConversationIdChangesNothing) {
    make();
    const auto id = session();
    ASSERT_EQ(pay(payment_body("DUP1"), id).status, 201);
    const auto again = pay(payment_body("DUP1", "99.00"), id);
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(
        Json::parse(again.body),
        (Json{
            {"output_ResponseCode", "INS-10"},
            {"output_ResponseDesc", "Duplicate Transaction"},
            {"output_ThirdPartyConversationID", "DUP1"}})
    );
    EXPECT_EQ(admin("GET", "/admin/payments")["payments"].size(), 1U);
    EXPECT_EQ(admin("GET", "/admin/float")["balance"], "9999990.00");
    EXPECT_EQ(outbox_->pending().size(), 1U);
}

TEST_F(MpesaAppTest, ManyThreadsSendingOneReferencePayItOnce) {
    make();
    const auto id = session();
    std::vector<int> statuses(8);
    std::vector<std::thread> threads;
    for (auto& status : statuses) {
        threads.emplace_back([&] { status = pay(payment_body("RACE1"), id).status; });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 201), 1);
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 409), 7);
    EXPECT_EQ(admin("GET", "/admin/float")["balance"], "9999990.00");
}

TEST_F(MpesaAppTest, InsufficientFloatFailsSynchronouslyWithoutACallback) {
    make();
    admin("POST", "/admin/float", R"({"balance":"15.00"})");
    const auto id = session();
    ASSERT_EQ(pay(payment_body("F1", "10.00"), id).status, 201);
    const auto refused = pay(payment_body("F2", "5.01"), id);
    EXPECT_EQ(refused.status, 422);
    EXPECT_EQ(code_of(refused), "INS-2006");
    EXPECT_EQ(admin("GET", "/admin/float")["balance"], "5.00");
    EXPECT_EQ(outbox_->pending().size(), 1U);
    // Recorded as failed: the status query says so, and a resend is a duplicate.
    const auto status = Json::parse(query("F2", id).body);
    EXPECT_EQ(status["output_ResponseTransactionStatus"], "Failed");
    EXPECT_EQ(status["output_ResultCode"], "INS-2006");
    EXPECT_EQ(pay(payment_body("F2", "5.01"), id).status, 409);
    EXPECT_EQ(pay(payment_body("F3", "5.00"), id).status, 201);
    EXPECT_EQ(admin("GET", "/admin/float")["balance"], "0.00");
}

TEST_F(MpesaAppTest, InvalidMsisdnsAreRefused) {
    make();
    const auto id = session();
    for (const char* msisdn : {"26648123456", "2665812345", "27821234567", "26650000000"}) {
        auto body = payment_body(std::string{"M"} + msisdn);
        body["input_CustomerMSISDN"] = msisdn;
        const auto response = pay(body, id);
        EXPECT_EQ(response.status, 400) << msisdn;
        EXPECT_EQ(code_of(response), "INS-2051") << msisdn;
    }
    EXPECT_EQ(admin("GET", "/admin/payments")["completed"], 0);
    EXPECT_TRUE(outbox_->pending().empty());
    EXPECT_EQ(admin("GET", "/admin/float")["balance"], "10000000.00");
}

TEST_F(MpesaAppTest, MalformedRequestsGetTheirCodesAndAreNotRecorded) {
    make();
    const auto id = session();
    const auto with = [](const char* key, const Json& value) {
        auto body = payment_body("BAD1");
        body[key] = value;
        return body;
    };
    auto missing = payment_body("BAD1");
    missing.erase("input_CustomerMSISDN");
    const std::vector<std::pair<Json, std::string>> cases{
        {with("input_ServiceProviderCode", "000001"), "INS-13"},
        {with("input_Amount", "10"), "INS-15"},
        {with("input_Amount", "0.00"), "INS-15"},
        {with("input_Amount", "-5.00"), "INS-15"},
        {with("input_Amount", "1.5"), "INS-15"},
        {with("input_TransactionReference", ""), "INS-17"},
        {with("input_TransactionReference", std::string(21, 'R')), "INS-17"},
        {missing, "INS-20"},
        {with("input_Amount", 10), "INS-20"},
        {with("input_Country", "LSO"), "INS-20"},
        {with("input_Currency", "ZAR"), "INS-20"},
        {with("input_ThirdPartyConversationID", "has-dash"), "INS-20"},
        {with("input_ThirdPartyConversationID", std::string(41, 'a')), "INS-20"},
        {with("input_PaymentItemsDesc", 5), "INS-20"}};
    for (const auto& [body, code] : cases) {
        const auto response = pay(body, id);
        EXPECT_EQ(response.status, 400) << body.dump();
        EXPECT_EQ(code_of(response), code) << body.dump();
    }
    auto r = request("POST", "/b2cPayment/", "{not json");
    r.headers["authorization"] = bearer(id);
    EXPECT_EQ(code_of(app_->handle(r)), "INS-20");
    EXPECT_TRUE(admin("GET", "/admin/payments")["payments"].empty());
    // Without the optional description, with exactly 20 and 40 characters: fine.
    auto fine = payment_body(std::string(40, 'a'));
    fine.erase("input_PaymentItemsDesc");
    fine["input_TransactionReference"] = std::string(20, 'R');
    EXPECT_EQ(pay(fine, id).status, 201);
}

TEST_F(MpesaAppTest, ErrorRateAnswers503BeforeAnyProcessing) {
    auto o = options();
    o.faults.unavailable_ppm = kMillion;
    o.latency = milliseconds{30};
    make(o);
    auto r = request("POST", "/b2cPayment/", payment_body("E1").dump());  // not even a session
    const auto response = app_->handle(r);
    EXPECT_EQ(response.status, 503);
    EXPECT_EQ(Json::parse(response.body), (Json{{"error", "service_unavailable"}}));
    ASSERT_EQ(response.headers.size(), 1U);
    EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));
    EXPECT_EQ(response.delay, milliseconds{30});
    EXPECT_TRUE(outbox_->pending().empty());
    // Never on admin or health, and no latency there.
    SimRequest health;
    health.method = "GET";
    health.path = "/healthz";
    const auto h = app_->handle(health);
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.delay, milliseconds{0});
    EXPECT_TRUE(admin("GET", "/admin/payments")["payments"].empty());
}

TEST_F(MpesaAppTest, TimeoutRateMakesThePaymentAndHoldsTheAnswer) {
    auto o = options();
    o.faults.timeout_ppm = kMillion;
    o.latency = milliseconds{10};
    make(o);
    const auto id = session();  // sessions are not held
    const auto response = pay(payment_body("T1"), id);
    EXPECT_EQ(response.status, 201);
    EXPECT_EQ(response.delay, milliseconds{5010});
    EXPECT_EQ(outbox_->pending().size(), 1U);
    EXPECT_EQ(outbox_->pending()[0].due, kT0 + milliseconds{50});  // the callback is not held
    clock_.advance(milliseconds{50});
    EXPECT_EQ(admin("GET", "/admin/payments")["completed"], 1);
    EXPECT_EQ(query("T1", id).delay, milliseconds{10});
}

TEST_F(MpesaAppTest, UnknownRateAnswersUnknownCodesAndPaysPerUnknownPaidRate) {
    std::set<std::string> codes;
    for (const bool paid : {true, false}) {
        for (std::uint64_t seed = 1; seed <= 12; ++seed) {
            auto o = options();
            o.faults.unknown_ppm = kMillion;
            o.callback_faults.unknown_paid_ppm = paid ? kMillion : 0;
            o.seed = seed;
            make(o);
            const auto id = session();
            const auto response = pay(payment_body("U1"), id);
            const auto code = code_of(response);
            codes.insert(std::to_string(response.status) + " " + code);
            ASSERT_TRUE(code == "INS-1" || code == "INS-9" || code == "INS-16" || code == "INS-23")
                << code;
            EXPECT_EQ(Json::parse(response.body).size(), 3U);
            ASSERT_EQ(outbox_->pending().size(), 1U);
            const auto callback = Json::parse(outbox_->pending()[0].body);
            EXPECT_EQ(callback["input_ResultCode"], paid ? "INS-0" : "INS-6");
            clock_.advance(milliseconds{50});
            const auto status = Json::parse(query("U1", id).body);
            EXPECT_EQ(status["output_ResponseTransactionStatus"], paid ? "Completed" : "Failed");
            app_.reset();
        }
    }
    EXPECT_EQ(codes, (std::set<std::string>{"500 INS-1", "408 INS-9", "503 INS-16", "200 INS-23"}));
}

TEST_F(MpesaAppTest, CallbackFaultsShapeTheQueue) {
    auto o = options();
    o.callback_faults.duplicate_ppm = kMillion;
    o.callback_faults.out_of_order_ppm = kMillion;
    o.callback_faults.forged_ppm = kMillion;
    make(o);
    ASSERT_EQ(pay(payment_body("CB1")).status, 201);
    const auto queued = outbox_->pending();
    ASSERT_EQ(queued.size(), 4U);
    EXPECT_TRUE(queued[0].forged);
    EXPECT_EQ(Json::parse(queued[0].body)["input_ResultCode"], "INS-6");  // the opposite outcome
    EXPECT_EQ(Json::parse(queued[1].body)["input_ResultCode"], "INS-0");
    EXPECT_TRUE(queued[2].stale);
    EXPECT_EQ(Json::parse(queued[2].body)["input_ResultCode"], "INS-9");
    EXPECT_EQ(queued[3].body, queued[1].body);

    auto dropping = options();
    dropping.callback_faults.drop_ppm = kMillion;
    dropping.callback_faults.forged_ppm = kMillion;
    make(dropping);
    ASSERT_EQ(pay(payment_body("CB2")).status, 201);
    EXPECT_TRUE(outbox_->pending().empty());
    clock_.advance(milliseconds{50});
    EXPECT_EQ(admin("GET", "/admin/payments")["completed"], 1);  // paid all the same
}

TEST_F(MpesaAppTest, QueryReportsEveryStatus) {
    auto o = options();
    o.late_callback = milliseconds{1000};
    make(o);
    const auto id = session();
    auto body = Json::parse(query("NEVER", id).body);
    EXPECT_EQ(
        body,
        (Json{
            {"output_ResponseCode", "INS-0"},
            {"output_ResponseTransactionStatus", "NotFound"},
            {"output_TransactionID", ""},
            {"output_ResultCode", ""},
            {"output_ConversationID", ""}})
    );
    const auto accepted = Json::parse(pay(payment_body("Q1"), id).body);
    body = Json::parse(query("Q1", id).body);
    EXPECT_EQ(body["output_ResponseTransactionStatus"], "Pending");
    EXPECT_EQ(body["output_TransactionID"], accepted["output_TransactionID"]);
    EXPECT_EQ(body["output_ConversationID"], accepted["output_ConversationID"]);
    clock_.advance(milliseconds{1000});
    body = Json::parse(query("Q1", id).body);
    EXPECT_EQ(body["output_ResponseTransactionStatus"], "Completed");
    EXPECT_EQ(body["output_ResultCode"], "INS-0");
    auto bad = payment_body("Q2");
    bad["input_CustomerMSISDN"] = "26650000000";
    (void)pay(bad, id);
    body = Json::parse(query("Q2", id).body);
    EXPECT_EQ(body["output_ResponseTransactionStatus"], "Failed");
    EXPECT_EQ(body["output_ResultCode"], "INS-2051");

    auto r = request("GET", "/queryTransactionStatus/");
    r.headers["authorization"] = bearer(id);
    r.query = {{"input_QueryReference", "Q1"}, {"input_Country", "LES"}};
    EXPECT_EQ(code_of(app_->handle(r)), "INS-20");
    r.query = {
        {"input_QueryReference", "Q1"},
        {"input_ServiceProviderCode", "1"},
        {"input_ThirdPartyConversationID", "x1"},
        {"input_Country", "LES"}};
    EXPECT_EQ(code_of(app_->handle(r)), "INS-13");
}

TEST_F(MpesaAppTest, StatementListsCompletedPaymentsOfTheDateWithInjectedBreaks) {
    make();
    const auto id = session();
    ASSERT_EQ(pay(payment_body("S1", "10.00"), id).status, 201);
    ASSERT_EQ(pay(payment_body("S2", "20.00"), id).status, 201);
    clock_.advance(std::chrono::hours{14});  // 00:00:00.050 the next day
    const auto id2 = session();
    ASSERT_EQ(pay(payment_body("S3", "30.00"), id2).status, 201);
    clock_.advance(milliseconds{50});
    auto body = Json::parse(statement("2026-11-23", id2).body);
    ASSERT_EQ(body["entries"].size(), 2U);
    EXPECT_EQ(body["date"], "2026-11-23");
    EXPECT_EQ(body["entries"][0]["reference"], "S1");
    EXPECT_EQ(body["entries"][0]["currency"], "LSL");
    EXPECT_EQ(body["entries"][0].size(), 6U);
    EXPECT_EQ(Json::parse(statement("2026-11-24", id2).body)["entries"].size(), 1U);
    admin("POST", "/admin/statement-faults", R"({"drop":["S1"],"amount":{"S2":"21.00"}})");
    body = Json::parse(statement("2026-11-23", id2).body);
    ASSERT_EQ(body["entries"].size(), 1U);
    EXPECT_EQ(body["entries"][0]["amount"], "21.00");
    const auto bad = statement("2026-11-31", id2);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(code_of(bad), "INS-20");
}

TEST_F(MpesaAppTest, ServesThePublicKeyAsPem) {
    make();
    SimRequest r;
    r.method = "GET";
    r.path = "/admin/public-key";
    const auto response = app_->handle(r);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type, "text/plain");
    EXPECT_EQ(response.body, testing::test_rsa_key().public_pem());
}

TEST_F(MpesaAppTest, UnknownRoutesAndMethods) {
    make();
    EXPECT_EQ(app_->handle(request("GET", "/b2cPayment")).status, 404);  // the slash matters
    EXPECT_EQ(app_->handle(request("GET", "/b2cPayment/")).status, 405);
    SimRequest r;
    r.method = "GET";
    r.path = "/elsewhere";
    EXPECT_EQ(app_->handle(r).status, 404);
    r.path = "/admin/nothing";
    EXPECT_EQ(app_->handle(r).status, 404);
}

TEST_F(MpesaAppTest, TheSameSeedReplaysTheSameFaults) {
    const auto run = [this](std::uint64_t seed) {
        auto o = options();
        o.faults = FaultRates{300'000, 0, 0, 300'000};
        o.seed = seed;
        make(o);
        std::vector<int> statuses;
        statuses.reserve(40);
        const auto id = session_retrying();
        for (int i = 0; i < 40; ++i) {
            statuses.push_back(pay(payment_body("R" + std::to_string(i)), id).status);
        }
        return statuses;
    };
    EXPECT_EQ(run(5), run(5));
    EXPECT_NE(run(5), run(6));
}

}  // namespace
}  // namespace chelete::simulators::mpesa
