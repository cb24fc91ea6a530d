// MpesaClient against the real simulator binary (integrations/simulators, `chelete-simulator
// mpesa`), started per test with the fault knobs that test needs. Needs no PostgreSQL or Redis.
#include <thread>

#include <gtest/gtest.h>

#include <chelete/mobile_money/mpesa_client.hpp>

#include "adapters/simulator_process.hpp"

namespace chelete::mobile_money {
namespace {

using namespace std::chrono_literals;
using itest::Json;
using Clock = std::chrono::steady_clock;

std::string describe(const SubmitResult& r) {
    return "verdict " + std::to_string(static_cast<int>(r.verdict)) + " failure " +
           std::to_string(static_cast<int>(r.failure)) + " code " + r.partner_code + ": " +
           r.detail;
}

std::string describe(const StatusResult& r) {
    return "status " + std::to_string(static_cast<int>(r.status)) + " code " + r.partner_code +
           ": " + r.detail;
}

long elapsed_ms(Clock::time_point since) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count()
    );
}

class MpesaClientItest : public ::testing::Test {
protected:
    void start(const std::vector<std::string>& extra = {}) {
        api_key_ = "mm-itest-key-" + std::to_string(getpid());
        // Results go to a port nobody listens on: these tests read outcomes by query.
        std::vector<std::string> flags{
            "--api-key",
            api_key_,
            "--callback-secret",
            "mm-itest-secret",
            "--callback-url",
            "http://127.0.0.1:" + std::to_string(testing::unused_port()) + "/callbacks/mpesa",
            "--callback-retries",
            "0",
            "--service-provider-code",
            "000000"};
        flags.insert(flags.end(), extra.begin(), extra.end());
        ASSERT_TRUE(sim_.start("mpesa", flags, "/admin/public-key"))
            << "the mpesa simulator did not start";
        const auto key = sim_.admin().get("/admin/public-key");
        ASSERT_EQ(key.status, 200);
        public_key_ = key.body;
    }

    void TearDown() override { sim_.stop(); }

    [[nodiscard]] MpesaClientConfig config() const {
        MpesaClientConfig c;
        c.base_url = sim_.base_url() + "/openapi";
        c.api_key = api_key_;
        c.public_key_pem = public_key_;
        c.service_provider_code = "000000";
        c.timeout = 2000ms;
        c.connect_timeout = 500ms;
        c.max_attempts = 3;
        c.retry_backoff = 50ms;
        c.max_retry_wait = 100ms;
        return c;
    }

    static PayoutOrder order(const std::string& reference, std::int64_t minor = 1000) {
        return PayoutOrder{reference, "CHL-TEST", "26658123456", minor, "Chelete remittance"};
    }

    /// Queries until the answer is final (paid or failed), for at most 5 s.
    static StatusResult settle(PayoutPartner& client, const std::string& reference) {
        StatusResult last;
        testing::wait_until(
            [&] {
                last = client.query(reference);
                return last.status == PaymentStatus::kPaid || last.status == PaymentStatus::kFailed;
            },
            5s
        );
        return last;
    }

    itest::SimulatorProcess sim_;
    std::string api_key_;
    std::string public_key_;
};

TEST_F(MpesaClientItest, ASubmittedPaymentIsAcceptedAndTheQuerySaysCompleted) {
    start();
    MpesaClient client{config()};
    const std::string ref = itest::unique_reference("MP");
    const auto submitted = client.submit(order(ref, 1234));
    ASSERT_EQ(submitted.verdict, SubmitVerdict::kAccepted) << describe(submitted);
    EXPECT_EQ(submitted.partner_code, "INS-0");
    EXPECT_FALSE(submitted.transaction_id.empty());
    EXPECT_FALSE(submitted.conversation_id.empty());
    const auto status = settle(client, ref);
    EXPECT_EQ(status.status, PaymentStatus::kPaid) << describe(status);
    EXPECT_EQ(status.transaction_id, submitted.transaction_id);
    const Json payment = sim_.payment(ref);
    ASSERT_TRUE(payment.is_object());
    EXPECT_EQ(payment["amount"], "12.34");
    EXPECT_EQ(payment["msisdn"], "26658123456");
    EXPECT_EQ(sim_.completed(), 1);
}

TEST_F(MpesaClientItest, AnUnknownReferenceIsNotFound) {
    start();
    MpesaClient client{config()};
    const auto status = client.query(itest::unique_reference("NEVER"));
    EXPECT_EQ(status.status, PaymentStatus::kNotFound) << describe(status);
}

TEST_F(MpesaClientItest, AnExpiredSessionIsRenewedAndTheCallResentOnce) {
    start({"--session-ttl-s", "1"});
    MpesaClient client{config()};  // believes sessions live an hour
    const std::string first = itest::unique_reference("MP");
    ASSERT_EQ(client.submit(order(first)).verdict, SubmitVerdict::kAccepted);
    std::this_thread::sleep_for(2100ms);
    const std::string second = itest::unique_reference("MP");
    const auto submitted = client.submit(order(second));
    ASSERT_EQ(submitted.verdict, SubmitVerdict::kAccepted) << describe(submitted);
    EXPECT_NE(submitted.detail.find("2 attempts"), std::string::npos)
        << "the INS-989 answer was not followed by one resend: " << submitted.detail;
    std::this_thread::sleep_for(2100ms);
    EXPECT_EQ(settle(client, second).status, PaymentStatus::kPaid);
    EXPECT_EQ(sim_.completed(), 2) << "each payment made exactly once";
}

TEST_F(MpesaClientItest, ASessionIsRenewedBeforeItsConfiguredLifetimeEnds) {
    start({"--session-ttl-s", "2"});
    auto c = config();
    c.session_lifetime = 2s;
    c.session_renew_margin = 1s;
    MpesaClient client{c};
    for (int i = 0; i < 3; ++i) {
        const auto submitted = client.submit(order(itest::unique_reference("MP")));
        ASSERT_EQ(submitted.verdict, SubmitVerdict::kAccepted) << describe(submitted);
        EXPECT_NE(submitted.detail.find("(1 attempt)"), std::string::npos)
            << "the session expired in use instead of being renewed early: " << submitted.detail;
        std::this_thread::sleep_for(1200ms);
    }
}

TEST_F(MpesaClientItest, ADuplicateReferenceIsUnknownAndTheQueryTellsTheTruth) {
    start();
    MpesaClient client{config()};
    const std::string ref = itest::unique_reference("MP");
    ASSERT_EQ(client.submit(order(ref)).verdict, SubmitVerdict::kAccepted);
    const auto again = client.submit(order(ref));
    EXPECT_EQ(again.verdict, SubmitVerdict::kUnknown) << describe(again);
    EXPECT_EQ(again.partner_code, "INS-10");
    EXPECT_EQ(settle(client, ref).status, PaymentStatus::kPaid);
    EXPECT_EQ(sim_.completed(), 1) << "the duplicate paid again";
    EXPECT_EQ(client.breaker_state(), CircuitBreaker::State::kClosed);
}

TEST_F(MpesaClientItest, InsufficientFloatIsADefiniteFailure) {
    start();
    sim_.set_float("5.00");
    MpesaClient client{config()};
    const std::string ref = itest::unique_reference("MP");
    const auto submitted = client.submit(order(ref, 1000));
    EXPECT_EQ(submitted.verdict, SubmitVerdict::kFailed) << describe(submitted);
    EXPECT_EQ(submitted.failure, FailureKind::kInsufficientFloat);
    EXPECT_EQ(submitted.partner_code, "INS-2006");
    EXPECT_EQ(sim_.completed(), 0);
}

TEST_F(MpesaClientItest, AnInvalidMsisdnIsARecipientFailure) {
    start({"--invalid-msisdn", "26658000001"});
    MpesaClient client{config()};
    for (const char* msisdn : {"26641234567", "26658000001"}) {
        auto o = order(itest::unique_reference("MP"));
        o.msisdn = msisdn;
        const auto submitted = client.submit(o);
        EXPECT_EQ(submitted.verdict, SubmitVerdict::kFailed)
            << msisdn << ": " << describe(submitted);
        EXPECT_EQ(submitted.failure, FailureKind::kRecipient) << msisdn;
        EXPECT_EQ(submitted.partner_code, "INS-2051") << msisdn;
    }
    EXPECT_EQ(sim_.completed(), 0);
}

TEST_F(MpesaClientItest, FrontEndRefusalsAreRetriedThenNotSent) {
    start({"--error-rate", "1"});
    MpesaClient client{config()};
    const std::string ref = itest::unique_reference("MP");
    const auto started = Clock::now();
    const auto submitted = client.submit(order(ref));
    const long took = elapsed_ms(started);
    EXPECT_EQ(submitted.verdict, SubmitVerdict::kNotSent) << describe(submitted);
    EXPECT_GE(took, 50 + 100) << "the backoffs were skipped";
    EXPECT_LT(took, 1500) << "retries were not bounded";
    EXPECT_TRUE(sim_.payment(ref).is_null()) << "a refused request was processed";
}

TEST_F(MpesaClientItest, ATimeoutIsUnknownNeverResentAndTheQueryShowsThePayment) {
    start({"--timeout-rate", "1", "--timeout-hold-ms", "3000"});
    auto c = config();
    c.timeout = 400ms;
    MpesaClient client{c};
    const std::string ref = itest::unique_reference("MP");
    const auto started = Clock::now();
    const auto submitted = client.submit(order(ref));
    EXPECT_EQ(submitted.verdict, SubmitVerdict::kUnknown) << describe(submitted);
    EXPECT_EQ(submitted.partner_code, "timeout");
    EXPECT_NE(submitted.detail.find("(1 attempt)"), std::string::npos) << submitted.detail;
    EXPECT_LT(elapsed_ms(started), 400 + 1000);
    const auto status = settle(client, ref);
    EXPECT_EQ(status.status, PaymentStatus::kPaid) << describe(status);
    EXPECT_EQ(sim_.completed(), 1);
}

TEST_F(MpesaClientItest, TheBreakerOpensAfterRepeatedUnknownsAndStopsCalling) {
    start({"--unknown-rate", "1", "--unknown-paid-rate", "0"});
    auto c = config();
    c.breaker = CircuitBreakerOptions{3, 60000ms};
    MpesaClient client{c};
    for (int i = 0; i < 3; ++i) {
        const auto submitted = client.submit(order(itest::unique_reference("MP")));
        EXPECT_EQ(submitted.verdict, SubmitVerdict::kUnknown) << describe(submitted);
    }
    EXPECT_EQ(client.breaker_state(), CircuitBreaker::State::kOpen);
    const std::string ref = itest::unique_reference("MP");
    const auto refused = client.submit(order(ref));
    EXPECT_EQ(refused.verdict, SubmitVerdict::kNotSent) << describe(refused);
    EXPECT_EQ(refused.partner_code, "circuit_open");
    EXPECT_TRUE(sim_.payment(ref).is_null()) << "the open circuit let a payment through";
}

TEST_F(MpesaClientItest, TheStatementListsCompletedPaymentsWithExactAmounts) {
    start();
    MpesaClient client{config()};
    const std::string a = itest::unique_reference("MP");
    const std::string b = itest::unique_reference("MP");
    ASSERT_EQ(client.submit(order(a, 1000)).verdict, SubmitVerdict::kAccepted);
    ASSERT_EQ(client.submit(order(b, 123456789)).verdict, SubmitVerdict::kAccepted);
    ASSERT_EQ(settle(client, a).status, PaymentStatus::kPaid);
    ASSERT_EQ(settle(client, b).status, PaymentStatus::kPaid);
    const auto lines = client.statement(itest::today_utc());
    ASSERT_TRUE(lines.ok()) << lines.error();
    ASSERT_EQ(lines.value().size(), 2U);
    std::map<std::string, std::int64_t> amounts;
    for (const auto& line : lines.value()) {
        amounts[line.reference] = line.amount_minor;
        EXPECT_EQ(line.msisdn, "26658123456");
        EXPECT_FALSE(line.transaction_id.empty());
    }
    EXPECT_EQ(amounts[a], 1000);
    EXPECT_EQ(amounts[b], 123456789);
    EXPECT_FALSE(client.statement("2026-02-30").ok());
}

TEST_F(MpesaClientItest, AWrongApiKeyIsNotSentAndFlaggedForOperations) {
    start();
    auto c = config();
    c.api_key = "not-" + api_key_;
    MpesaClient client{c};
    const auto submitted = client.submit(order(itest::unique_reference("MP")));
    EXPECT_EQ(submitted.verdict, SubmitVerdict::kNotSent) << describe(submitted);
    EXPECT_EQ(submitted.failure, FailureKind::kOurRequest);
    EXPECT_EQ(sim_.completed(), 0);
}

TEST_F(MpesaClientItest, ConnectionRefusedIsRetriedThenNotSent) {
    start();
    auto c = config();
    sim_.stop();
    MpesaClient client{c};
    const auto started = Clock::now();
    const auto submitted = client.submit(order(itest::unique_reference("MP")));
    EXPECT_EQ(submitted.verdict, SubmitVerdict::kNotSent) << describe(submitted);
    EXPECT_EQ(submitted.partner_code, "connect_failed");
    EXPECT_GE(elapsed_ms(started), 50 + 100);
    EXPECT_EQ(client.query("ANY1").status, PaymentStatus::kUnknown);
}

TEST_F(MpesaClientItest, ManyThreadsShareOneClient) {
    start();
    MpesaClient client{config()};
    constexpr int kThreads = 4;
    constexpr int kEach = 5;
    std::vector<std::thread> threads;
    std::atomic<int> accepted{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&client, &accepted, t] {
            for (int i = 0; i < kEach; ++i) {
                const auto r = client.submit(order(
                    "T" + std::to_string(getpid()) + "t" + std::to_string(t) + "i" +
                    std::to_string(i)
                ));
                accepted += r.verdict == SubmitVerdict::kAccepted ? 1 : 0;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(accepted.load(), kThreads * kEach);
}

TEST(MpesaClientConfig, RefusesAnUnusableConfiguration) {
    MpesaClientConfig c;
    c.base_url = "ftp://127.0.0.1:1";
    c.api_key = "k";
    c.service_provider_code = "000000";
    c.public_key_pem = "not a key";
    EXPECT_THROW(MpesaClient{c}, std::invalid_argument);
    c.base_url = "http://127.0.0.1:1/openapi";
    EXPECT_THROW(MpesaClient{c}, std::invalid_argument) << "a public key that is not one";
}

}  // namespace
}  // namespace chelete::mobile_money
