// EcocashClient against the real simulator binary (`chelete-simulator ecocash`), started per
// test with the fault knobs that test needs. Needs no PostgreSQL or Redis.
#include <thread>

#include <gtest/gtest.h>

#include <chelete/mobile_money/ecocash_client.hpp>

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

class EcocashClientItest : public ::testing::Test {
protected:
    void start(const std::vector<std::string>& extra = {}) {
        secret_ = "mm-itest-secret-" + std::to_string(getpid());
        std::vector<std::string> flags{
            "--client-id",
            "chelete",
            "--client-secret",
            secret_,
            "--callback-secret",
            "mm-itest-callbacks",
            "--callback-retries",
            "0"};
        flags.insert(flags.end(), extra.begin(), extra.end());
        ASSERT_TRUE(sim_.start("ecocash", flags, "/healthz"))
            << "the ecocash simulator did not start";
    }

    void TearDown() override { sim_.stop(); }

    [[nodiscard]] EcocashClientConfig config() const {
        EcocashClientConfig c;
        c.base_url = sim_.base_url();
        c.client_id = "chelete";
        c.client_secret = secret_;
        // Results go to a port nobody listens on: these tests read outcomes by query.
        c.notify_url = "http://127.0.0.1:" + std::to_string(testing::unused_port()) + "/cb";
        c.timeout = 2000ms;
        c.connect_timeout = 500ms;
        c.retry_backoff = 50ms;
        c.max_retry_wait = 100ms;
        return c;
    }

    static PayoutOrder order(const std::string& reference, std::int64_t minor = 1000) {
        return PayoutOrder{reference, "CHL-TEST", "26662123456", minor, "Chelete remittance"};
    }

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
    std::string secret_;
};

TEST_F(EcocashClientItest, ASubmittedDisbursementIsAcceptedAndTheQuerySaysCompleted) {
    start();
    EcocashClient client{config()};
    const std::string ref = itest::unique_reference("EC");
    const auto submitted = client.submit(order(ref, 2550));
    ASSERT_EQ(submitted.verdict, SubmitVerdict::kAccepted) << describe(submitted);
    EXPECT_FALSE(submitted.transaction_id.empty());
    const auto status = settle(client, ref);
    EXPECT_EQ(status.status, PaymentStatus::kPaid) << describe(status);
    EXPECT_EQ(status.transaction_id, submitted.transaction_id);
    const Json payment = sim_.payment(ref);
    ASSERT_TRUE(payment.is_object());
    EXPECT_EQ(payment["amount"], "25.50");
    EXPECT_EQ(sim_.completed(), 1);
    EXPECT_EQ(client.query(itest::unique_reference("NEVER")).status, PaymentStatus::kNotFound);
}

// The token's expires_in is the partner's own, so the client renews before the partner would
// answer invalid_token; the 401-and-resend path is the one M-Pesa's INS-989 test exercises.
TEST_F(EcocashClientItest, AShortLivedTokenIsRenewedAcrossPayments) {
    start({"--token-ttl-s", "1"});
    EcocashClient client{config()};
    ASSERT_EQ(
        client.submit(order(itest::unique_reference("EC"))).verdict, SubmitVerdict::kAccepted
    );
    std::this_thread::sleep_for(2100ms);
    const std::string ref = itest::unique_reference("EC");
    const auto submitted = client.submit(order(ref));
    ASSERT_EQ(submitted.verdict, SubmitVerdict::kAccepted) << describe(submitted);
    EXPECT_EQ(settle(client, ref).status, PaymentStatus::kPaid);
    EXPECT_EQ(sim_.completed(), 2);
}

TEST_F(EcocashClientItest, ADuplicateCorrelatorIsUnknownAndTheQueryTellsTheTruth) {
    start();
    EcocashClient client{config()};
    const std::string ref = itest::unique_reference("EC");
    ASSERT_EQ(client.submit(order(ref)).verdict, SubmitVerdict::kAccepted);
    const auto again = client.submit(order(ref));
    EXPECT_EQ(again.verdict, SubmitVerdict::kUnknown) << describe(again);
    EXPECT_EQ(again.partner_code, "duplicate_correlator");
    EXPECT_EQ(settle(client, ref).status, PaymentStatus::kPaid);
    EXPECT_EQ(sim_.completed(), 1);
}

TEST_F(EcocashClientItest, InsufficientFundsAndInvalidNumbersAreDefiniteFailures) {
    start();
    sim_.set_float("5.00");
    EcocashClient client{config()};
    const auto poor = client.submit(order(itest::unique_reference("EC"), 1000));
    EXPECT_EQ(poor.verdict, SubmitVerdict::kFailed) << describe(poor);
    EXPECT_EQ(poor.failure, FailureKind::kInsufficientFloat);
    auto wrong = order(itest::unique_reference("EC"), 100);
    wrong.msisdn = "26641234567";
    const auto invalid = client.submit(wrong);
    EXPECT_EQ(invalid.verdict, SubmitVerdict::kFailed) << describe(invalid);
    EXPECT_EQ(invalid.failure, FailureKind::kRecipient);
    EXPECT_EQ(sim_.completed(), 0);
}

TEST_F(EcocashClientItest, FrontEndRefusalsAreRetriedThenNotSent) {
    start({"--error-rate", "1"});
    EcocashClient client{config()};
    const std::string ref = itest::unique_reference("EC");
    const auto started = Clock::now();
    const auto submitted = client.submit(order(ref));
    const long took = elapsed_ms(started);
    EXPECT_EQ(submitted.verdict, SubmitVerdict::kNotSent) << describe(submitted);
    EXPECT_GE(took, 50 + 100);
    EXPECT_LT(took, 1500);
    EXPECT_TRUE(sim_.payment(ref).is_null());
}

TEST_F(EcocashClientItest, ATimeoutIsUnknownAndTheQueryShowsThePayment) {
    start({"--timeout-rate", "1", "--timeout-hold-ms", "3000"});
    auto c = config();
    c.timeout = 400ms;
    EcocashClient client{c};
    const std::string ref = itest::unique_reference("EC");
    const auto submitted = client.submit(order(ref));
    EXPECT_EQ(submitted.verdict, SubmitVerdict::kUnknown) << describe(submitted);
    EXPECT_EQ(submitted.partner_code, "timeout");
    const auto status = settle(client, ref);
    EXPECT_EQ(status.status, PaymentStatus::kPaid) << describe(status);
    EXPECT_EQ(sim_.completed(), 1);
}

TEST_F(EcocashClientItest, TheBreakerOpensAfterRepeatedUnknowns) {
    start({"--unknown-rate", "1"});
    auto c = config();
    c.breaker = CircuitBreakerOptions{2, 60000ms};
    EcocashClient client{c};
    for (int i = 0; i < 2; ++i) {
        const auto submitted = client.submit(order(itest::unique_reference("EC")));
        EXPECT_EQ(submitted.verdict, SubmitVerdict::kUnknown) << describe(submitted);
    }
    const std::string ref = itest::unique_reference("EC");
    const auto refused = client.submit(order(ref));
    EXPECT_EQ(refused.verdict, SubmitVerdict::kNotSent) << describe(refused);
    EXPECT_EQ(refused.partner_code, "circuit_open");
    EXPECT_TRUE(sim_.payment(ref).is_null());
}

TEST_F(EcocashClientItest, TheStatementListsCompletedPaymentsWithExactAmounts) {
    start();
    EcocashClient client{config()};
    const std::string a = itest::unique_reference("EC");
    ASSERT_EQ(client.submit(order(a, 99999)).verdict, SubmitVerdict::kAccepted);
    ASSERT_EQ(settle(client, a).status, PaymentStatus::kPaid);
    const auto lines = client.statement(itest::today_utc());
    ASSERT_TRUE(lines.ok()) << lines.error();
    ASSERT_EQ(lines.value().size(), 1U);
    EXPECT_EQ(lines.value()[0].reference, a);
    EXPECT_EQ(lines.value()[0].amount_minor, 99999);
    EXPECT_EQ(lines.value()[0].msisdn, "26662123456");
}

TEST_F(EcocashClientItest, WrongCredentialsAreNotSentAndFlaggedForOperations) {
    start();
    auto c = config();
    c.client_secret = "wrong";
    EcocashClient client{c};
    const auto submitted = client.submit(order(itest::unique_reference("EC")));
    EXPECT_EQ(submitted.verdict, SubmitVerdict::kNotSent) << describe(submitted);
    EXPECT_EQ(submitted.failure, FailureKind::kOurRequest);
    EXPECT_EQ(submitted.partner_code, "invalid_client");
}

}  // namespace
}  // namespace chelete::mobile_money
