#include "ecocash/ecocash_app.hpp"

#include <set>

#include <gtest/gtest.h>

#include "common/sim_crypto.hpp"
#include "testing/test_keys.hpp"

namespace chelete::simulators::ecocash {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr platform::TimePoint kT0{
    std::chrono::milliseconds{1'795'428'000'000}};  // 2026-11-23T10:00Z

Json disbursement(const std::string& correlator, const std::string& amount = "10.00") {
    return Json{
        {"clientCorrelator", correlator},
        {"endUserId", "26662123456"},
        {"amount", amount},
        {"currencyCode", "LSL"},
        {"countryCode", "LS"},
        {"referenceCode", "RMT-1"},
        {"remarks", "remittance"},
        {"notifyUrl", "http://127.0.0.1:9/ecocash"}};
}

class EcocashAppTest : public ::testing::Test {
protected:
    static EcocashOptions options() {
        EcocashOptions o;
        o.client_id = "chelete";
        o.client_secret = "eco-secret";
        o.token_ttl = seconds{600};
        o.invalid_msisdns = {"26660000000"};
        o.timeout_hold = milliseconds{5000};
        return o;
    }
    void make(EcocashOptions o = options()) {
        app_.reset();
        outbox_ = std::make_unique<CallbackOutbox>();
        app_ = std::make_unique<EcocashApp>(std::move(o), clock_, *outbox_);
    }

    SimResponse token_with(const std::string& credentials, const std::string& body) {
        SimRequest r;
        r.method = "POST";
        r.path = "/oauth/token";
        r.headers["authorization"] = "Basic " + base64_encode(credentials);
        r.body = body;
        return app_->handle(r);
    }
    std::string token() {
        const auto response = token_with("chelete:eco-secret", "grant_type=client_credentials");
        EXPECT_EQ(response.status, 200) << response.body;
        return Json::parse(response.body)["access_token"].get<std::string>();
    }
    SimResponse call(
        const std::string& method,
        const std::string& path,
        const std::string& body,
        const std::string& tok
    ) {
        SimRequest r;
        r.method = method;
        r.path = path;
        r.body = body;
        r.headers["authorization"] = "Bearer " + tok;
        const auto q = path.find('?');
        if (q != std::string::npos) {
            r.path = path.substr(0, q);
            r.query = {{"date", path.substr(q + 6)}};
        }
        return app_->handle(r);
    }
    SimResponse disburse(const Json& body, const std::string& tok) {
        return call("POST", "/v1/disbursements", body.dump(), tok);
    }
    SimResponse disburse(const Json& body) { return disburse(body, token()); }
    Json admin(const std::string& path) {
        SimRequest r;
        r.method = "GET";
        r.path = path;
        return Json::parse(app_->handle(r).body);
    }

    platform::ManualClock clock_{kT0};
    std::unique_ptr<CallbackOutbox> outbox_;
    std::unique_ptr<EcocashApp> app_;
};

TEST_F(EcocashAppTest, IssuesTokensForTheClientCredentialsOnly) {
    make();
    const auto response = token_with("chelete:eco-secret", "grant_type=client_credentials");
    ASSERT_EQ(response.status, 200);
    const auto body = Json::parse(response.body);
    EXPECT_EQ(body["token_type"], "Bearer");
    EXPECT_EQ(body["expires_in"], 600);
    EXPECT_EQ(body["access_token"].get<std::string>().size(), 64U);
    for (const char* bad :
         {"chelete:wrong", "other:eco-secret", "chelete", "chelete:eco-secret:x"}) {
        const auto refused = token_with(bad, "grant_type=client_credentials");
        EXPECT_EQ(refused.status, 401) << bad;
        EXPECT_EQ(Json::parse(refused.body), (Json{{"error", "invalid_client"}}));
    }
    EXPECT_EQ(token_with("chelete:eco-secret", "grant_type=password").status, 400);
    EXPECT_EQ(token_with("chelete:eco-secret", "").status, 400);
}

TEST_F(EcocashAppTest, TokensExpireAndUnknownOnesAreRefused) {
    make();
    const auto tok = token();
    clock_.advance(seconds{600});
    EXPECT_EQ(disburse(disbursement("A-1"), tok).status, 202);
    clock_.advance(seconds{1});
    const auto expired = disburse(disbursement("A-2"), tok);
    EXPECT_EQ(expired.status, 401);
    EXPECT_EQ(Json::parse(expired.body), (Json{{"error", "invalid_token"}}));
    EXPECT_EQ(disburse(disbursement("A-3"), "feed").status, 401);
    EXPECT_EQ(call("GET", "/v1/disbursements/A-1", "", tok).status, 401);
    EXPECT_EQ(admin("/admin/payments")["payments"].size(), 1U);
}

TEST_F(EcocashAppTest, AcceptsADisbursementAndQueuesItsSignedCallback) {
    make();
    const auto tok = token();
    const auto response = disburse(disbursement("REMIT-0001"), tok);
    ASSERT_EQ(response.status, 202) << response.body;
    const auto body = Json::parse(response.body);
    EXPECT_EQ(body["clientCorrelator"], "REMIT-0001");
    EXPECT_EQ(body["transactionOperationStatus"], "PENDING");
    const auto transaction = body["transactionId"].get<std::string>();
    EXPECT_EQ(body.size(), 3U);
    EXPECT_EQ(
        Json::parse(call("GET", "/v1/disbursements/REMIT-0001", "", tok).body
        )["transactionOperationStatus"],
        "PENDING"
    );
    ASSERT_EQ(outbox_->pending().size(), 1U);
    const auto callback = outbox_->pending().at(0);
    EXPECT_EQ(callback.url, "http://127.0.0.1:9/ecocash");
    EXPECT_EQ(callback.reference, "REMIT-0001");
    EXPECT_EQ(
        Json::parse(callback.body),
        (Json{
            {"clientCorrelator", "REMIT-0001"},
            {"transactionId", transaction},
            {"transactionOperationStatus", "COMPLETED"},
            {"amount", "10.00"},
            {"endUserId", "26662123456"},
            {"completedAt", "2026-11-23T10:00:00Z"}})
    );
    clock_.advance(milliseconds{50});
    EXPECT_EQ(
        Json::parse(call("GET", "/v1/disbursements/REMIT-0001", "", tok).body),
        Json::parse(callback.body)
    );
    EXPECT_EQ(admin("/admin/payments")["completed"], 1);
    EXPECT_EQ(admin("/admin/float")["balance"], "9999990.00");

    std::string signature;
    std::string timestamp;
    CallbackSender sender{
        *outbox_,
        clock_,
        CallbackSenderOptions{"cb", 3, seconds{1}},
        [&](const std::string&,
            const CallbackHeaders& h,
            const std::string&,
            const std::atomic<bool>&) {
            timestamp = h.at(1).second;
            signature = h.at(2).second;
            return 200L;
        }};
    EXPECT_EQ(sender.deliver_due(), 1U);
    EXPECT_EQ(
        signature, "v1=" + testing::reference_hmac_hex("cb", timestamp + "." + callback.body)
    );
}

TEST_F(EcocashAppTest, DuplicatesInsufficientFundsAndInvalidNumbers) {
    make();
    const auto tok = token();
    ASSERT_EQ(disburse(disbursement("D-1"), tok).status, 202);
    auto response = disburse(disbursement("D-1", "50.00"), tok);
    EXPECT_EQ(response.status, 409);
    EXPECT_EQ(
        Json::parse(response.body),
        (Json{{"error", "duplicate_correlator"}, {"transactionOperationStatus", "PENDING"}})
    );
    clock_.advance(milliseconds{50});
    EXPECT_EQ(
        Json::parse(disburse(disbursement("D-1"), tok).body)["transactionOperationStatus"],
        "COMPLETED"
    );

    SimRequest set_float;
    set_float.method = "POST";
    set_float.path = "/admin/float";
    set_float.body = R"({"balance":"5.00"})";
    ASSERT_EQ(app_->handle(set_float).status, 200);
    response = disburse(disbursement("D-2", "5.01"), tok);
    EXPECT_EQ(response.status, 422);
    EXPECT_EQ(Json::parse(response.body), (Json{{"error", "insufficient_funds"}}));
    auto status = Json::parse(call("GET", "/v1/disbursements/D-2", "", tok).body);
    EXPECT_EQ(status["transactionOperationStatus"], "FAILED");
    EXPECT_EQ(status["reason"], "insufficient_funds");
    EXPECT_EQ(
        Json::parse(disburse(disbursement("D-2"), tok).body)["transactionOperationStatus"], "FAILED"
    );

    for (const char* msisdn : {"26652123", "27821234567", "26660000000"}) {
        auto body = disbursement(std::string{"N-"} + msisdn);
        body["endUserId"] = msisdn;
        response = disburse(body, tok);
        EXPECT_EQ(response.status, 400) << msisdn;
        EXPECT_EQ(Json::parse(response.body), (Json{{"error", "invalid_msisdn"}}));
    }
    EXPECT_EQ(outbox_->pending().size(), 1U);  // only D-1's
    EXPECT_EQ(admin("/admin/float")["balance"], "5.00");
}

TEST_F(EcocashAppTest, InvalidRequestsAreRefusedWithADetail) {
    make();
    const auto tok = token();
    const auto with = [](const char* key, const Json& value) {
        auto body = disbursement("BAD-1");
        body[key] = value;
        return body;
    };
    auto missing = disbursement("BAD-1");
    missing.erase("notifyUrl");
    for (const auto& body :
         {with("clientCorrelator", "has space"),
          with("clientCorrelator", std::string(41, 'a')),
          with("amount", "10"),
          with("amount", "0.00"),
          with("amount", 10),
          with("currencyCode", "ZAR"),
          with("countryCode", "LSO"),
          with("referenceCode", ""),
          with("referenceCode", std::string(21, 'r')),
          with("remarks", 1),
          with("notifyUrl", "http://example.com/cb"),
          missing,
          Json::array()}) {
        const auto response = disburse(body, tok);
        EXPECT_EQ(response.status, 400) << body.dump();
        const auto doc = Json::parse(response.body);
        EXPECT_EQ(doc["error"], "invalid_request") << body.dump();
        EXPECT_TRUE(doc.contains("detail"));
    }
    EXPECT_TRUE(admin("/admin/payments")["payments"].empty());
}

TEST_F(EcocashAppTest, FaultsUnknownTimeoutAndUnavailable) {
    std::set<int> statuses;
    for (const bool paid : {true, false}) {
        for (std::uint64_t seed = 1; seed <= 8; ++seed) {
            auto o = options();
            o.faults.unknown_ppm = kMillion;
            o.callback_faults.unknown_paid_ppm = paid ? kMillion : 0;
            o.seed = seed;
            make(o);
            const auto tok = token();
            const auto response = disburse(disbursement("U-1"), tok);
            statuses.insert(response.status);
            const auto error = Json::parse(response.body)["error"];
            EXPECT_TRUE(error == "internal_error" || error == "gateway_timeout") << response.body;
            ASSERT_EQ(outbox_->pending().size(), 1U);
            EXPECT_EQ(
                Json::parse(outbox_->pending()[0].body)["transactionOperationStatus"],
                paid ? "COMPLETED" : "FAILED"
            );
            clock_.advance(milliseconds{50});
            EXPECT_EQ(admin("/admin/payments")["completed"], paid ? 1 : 0);
        }
    }
    EXPECT_EQ(statuses, (std::set<int>{500, 504}));

    auto timeout = options();
    timeout.faults.timeout_ppm = kMillion;
    make(timeout);
    const auto tok = token();
    const auto held = disburse(disbursement("T-1"), tok);
    EXPECT_EQ(held.status, 202);
    EXPECT_EQ(held.delay, milliseconds{5000});
    EXPECT_EQ(call("GET", "/v1/disbursements/T-1", "", tok).delay, milliseconds{0});

    auto unavailable = options();
    unavailable.faults.unavailable_ppm = kMillion;
    make(unavailable);
    const auto refused = disburse(disbursement("E-1"), "whatever");
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(refused.headers.at(0).first, "Retry-After");
    EXPECT_TRUE(admin("/admin/payments")["payments"].empty());
}

TEST_F(EcocashAppTest, CallbackFaultsUseEcocashBodies) {
    auto o = options();
    o.callback_faults.out_of_order_ppm = kMillion;
    o.callback_faults.forged_ppm = kMillion;
    make(o);
    ASSERT_EQ(disburse(disbursement("C-1")).status, 202);
    const auto queued = outbox_->pending();
    ASSERT_EQ(queued.size(), 3U);
    const auto forged = Json::parse(queued[0].body);
    EXPECT_TRUE(queued[0].forged);
    EXPECT_EQ(forged["transactionOperationStatus"], "FAILED");
    EXPECT_EQ(forged["reason"], "transaction_failed");
    const auto stale = Json::parse(queued[2].body);
    EXPECT_TRUE(queued[2].stale);
    EXPECT_EQ(stale["transactionOperationStatus"], "PENDING");
    EXPECT_FALSE(stale.contains("completedAt"));
}

TEST_F(EcocashAppTest, StatusOfAnUnknownCorrelatorIs404AndStatementFiltersByDate) {
    make();
    const auto tok = token();
    const auto missing = call("GET", "/v1/disbursements/NEVER", "", tok);
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(Json::parse(missing.body), (Json{{"error", "not_found"}}));
    ASSERT_EQ(disburse(disbursement("S-1"), tok).status, 202);
    clock_.advance(milliseconds{50});
    auto body = Json::parse(call("GET", "/v1/statement?date=2026-11-23", "", tok).body);
    ASSERT_EQ(body["entries"].size(), 1U);
    EXPECT_EQ(body["entries"][0]["reference"], "S-1");
    EXPECT_EQ(body["entries"][0]["msisdn"], "26662123456");
    EXPECT_TRUE(
        Json::parse(call("GET", "/v1/statement?date=2026-11-24", "", tok).body)["entries"].empty()
    );
    EXPECT_EQ(call("GET", "/v1/statement?date=23-11-2026", "", tok).status, 400);
}

}  // namespace
}  // namespace chelete::simulators::ecocash
