// The libcurl adapter against the real simulator binary (integrations/simulators), started as a
// child process per test with the fault knobs that test needs. Needs no PostgreSQL or Redis.
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <chelete/permit_registry/client.hpp>
#include <chelete/testing/env.hpp>
#include <chelete/testing/http_client.hpp>

namespace chelete::permit_registry {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

template <typename T>
const T* as(const LookupResult& result) {
    return std::get_if<T>(&result);
}

std::string describe(const LookupResult& result) {
    if (const auto* u = as<Unavailable>(result)) {
        return "Unavailable(" + std::string{to_string(u->reason)} + ": " + u->detail + ")";
    }
    return as<Found>(result) != nullptr ? "Found" : "NotFound";
}

long elapsed_ms(Clock::time_point since) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count()
    );
}

class PermitRegistryClientItest : public ::testing::Test {
protected:
    /// Starts the simulator with the sample seed file and `extra_flags`, on the first free port of
    /// this process's four. The key is unique to this process, so readiness cannot be answered
    /// by another test's simulator that happens to hold the port.
    void start_simulator(const std::vector<std::string>& extra_flags = {}) {
        key_ = "itest-key-" + std::to_string(getpid());
        for (int attempt = 0; attempt < 4; ++attempt) {
            port_ = chelete::testing::unused_port();
            std::vector<std::string> args{
                "permit-registry",
                "--port",
                std::to_string(port_),
                "--api-key",
                key_,
                "--seed-file",
                CHELETE_PERMIT_SEED_FILE};
            args.insert(args.end(), extra_flags.begin(), extra_flags.end());
            simulator_ = std::make_unique<testing::ChildProcess>(
                testing::built_program("chelete-simulator"), args
            );
            admin_ = std::make_unique<testing::HttpClient>(base_url());
            bool ours = false;
            testing::wait_until(
                [&] {
                    if (!simulator_->running()) {
                        return true;  // could not bind: try the next port
                    }
                    try {
                        ours = admin_->get("/admin/requests", {"X-Api-Key: " + key_}).status == 200;
                    } catch (const std::exception&) {
                        ours = false;  // not listening yet
                    }
                    return ours;
                },
                10s
            );
            if (ours && simulator_->running()) {
                return;
            }
            simulator_.reset();
        }
        FAIL() << "the permit-registry simulator did not start on any of this process's ports";
    }

    /// Every test ends with the simulator stopping by itself on SIGTERM, held answers and all.
    void TearDown() override {
        if (!simulator_) {
            return;
        }
        simulator_->kill(SIGTERM);
        const auto status = simulator_->wait_for(10s);
        ASSERT_TRUE(status.has_value()) << "the simulator ignored SIGTERM";
        EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "wait status " << *status;
    }

    [[nodiscard]] std::string base_url() const {
        return "http://127.0.0.1:" + std::to_string(port_);
    }

    [[nodiscard]] PermitRegistryClientOptions options() const {
        PermitRegistryClientOptions o;
        o.base_url = base_url();
        o.api_key = key_;
        o.timeout = 1000ms;
        o.connect_timeout = 500ms;
        o.max_attempts = 3;
        o.retry_backoff = 50ms;
        return o;
    }

    void add_permit(const Json& record) {
        const auto reply =
            admin_->post_json("/admin/permits", record.dump(), {"X-Api-Key: " + key_});
        ASSERT_TRUE(reply.status == 201 || reply.status == 200)
            << reply.status << " " << reply.body;
    }

    /// What the simulator has served on /permits, for asserting how many calls the client made.
    Json served() {
        const auto reply = admin_->get("/admin/requests", {"X-Api-Key: " + key_});
        EXPECT_EQ(reply.status, 200) << reply.body;
        return Json::parse(reply.body);
    }

    std::string key_;
    std::uint16_t port_ = 0;
    std::unique_ptr<testing::ChildProcess> simulator_;
    std::unique_ptr<testing::HttpClient> admin_;
};

TEST_F(PermitRegistryClientItest, FindsAPreloadedPermitWithBothExpiriesAndItsDirective) {
    start_simulator();
    PermitRegistryClient client{options()};
    const auto result = client.lookup("LEP-2020-004512", "Mokoena");
    const auto* found = as<Found>(result);
    ASSERT_NE(found, nullptr) << describe(result);
    EXPECT_EQ(found->record.type, PermitType::kLep);
    EXPECT_EQ(found->record.status, PermitStatus::kValid);
    EXPECT_EQ(found->record.holder_surname, "MOKOENA");
    EXPECT_EQ(found->record.printed_expiry, (platform::Date{2023, 12, 31}));
    EXPECT_EQ(found->record.legal_expiry, (platform::Date{2027, 5, 28}));
    EXPECT_EQ(found->record.directive_ref, "Immigration Directive No. 21 of 2025, s31(2)(b)");
    EXPECT_EQ(served()["total"], 1);
}

TEST_F(PermitRegistryClientItest, FindsAPermitAddedThroughTheAdminEndpoint) {
    start_simulator();
    add_permit(Json{
        {"number", "LEP-2025-000042"},
        {"type", "LEP"},
        {"holder_surname", "Sello"},
        {"status", "revoked"},
        {"issued_on", "2020-01-01"},
        {"printed_expiry", "2023-12-31"},
        {"legal_expiry", "2023-12-31"},
        {"directive_ref", nullptr}});
    PermitRegistryClient client{options()};
    const auto result = client.lookup("LEP-2025-000042", "SELLO");
    const auto* found = as<Found>(result);
    ASSERT_NE(found, nullptr) << describe(result);
    EXPECT_EQ(found->record.status, PermitStatus::kRevoked);
    EXPECT_EQ(found->record.directive_ref, std::nullopt);
}

TEST_F(PermitRegistryClientItest, SurnamesWithSpacesApostrophesAndNonAsciiLettersSurviveTheUrl) {
    start_simulator();
    const std::string surname = "O'Neil van der Ntšekhe+1%";
    add_permit(Json{
        {"number", "WV-2025-000999"},
        {"type", "work_visa"},
        {"holder_surname", surname},
        {"status", "valid"},
        {"issued_on", "2025-03-01"},
        {"printed_expiry", "2028-02-29"},
        {"legal_expiry", "2028-02-29"},
        {"directive_ref", nullptr}});
    PermitRegistryClient client{options()};
    const auto result = client.lookup("WV-2025-000999", "o'neil VAN DER Ntšekhe+1%");
    const auto* found = as<Found>(result);
    ASSERT_NE(found, nullptr) << describe(result);
    EXPECT_EQ(found->record.holder_surname, surname);
    EXPECT_EQ(found->record.type, PermitType::kWorkVisa);
}

TEST_F(PermitRegistryClientItest, AnUnknownNumberIsNotFoundAfterOneCall) {
    start_simulator();
    PermitRegistryClient client{options()};
    const auto result = client.lookup("LEP-2020-000001", "Mokoena");
    EXPECT_NE(as<NotFound>(result), nullptr) << describe(result);
    EXPECT_EQ(served()["total"], 1) << "a verdict is never retried";
}

TEST_F(PermitRegistryClientItest, AWrongSurnameIsNotFound) {
    start_simulator();
    PermitRegistryClient client{options()};
    const auto result = client.lookup("LEP-2020-004512", "Letsie");
    EXPECT_NE(as<NotFound>(result), nullptr) << describe(result);
    EXPECT_EQ(served()["by_outcome"]["not_found"], 1);
}

TEST_F(PermitRegistryClientItest, AMissingOrWrongApiKeyIsAMisconfigurationNotAVerdict) {
    start_simulator();
    auto no_key = options();
    no_key.api_key.clear();
    auto wrong_key = options();
    wrong_key.api_key = "not-" + key_;
    for (const auto& o : {no_key, wrong_key}) {
        PermitRegistryClient client{o};
        const auto result = client.lookup("LEP-2020-004512", "Mokoena");
        const auto* unavailable = as<Unavailable>(result);
        ASSERT_NE(unavailable, nullptr) << describe(result);
        EXPECT_EQ(unavailable->reason, UnavailableReason::kUnauthorized) << describe(result);
    }
    EXPECT_EQ(served()["by_outcome"]["unauthorized"], 2);
    EXPECT_EQ(served()["total"], 2) << "a refused key is not retried";
}

TEST_F(PermitRegistryClientItest, A503IsRetriedWithBackoffThenUnavailable) {
    start_simulator({"--error-rate", "1"});
    PermitRegistryClient client{options()};
    const auto started = Clock::now();
    const auto result = client.lookup("LEP-2020-004512", "Mokoena");
    const long took = elapsed_ms(started);
    const auto* unavailable = as<Unavailable>(result);
    ASSERT_NE(unavailable, nullptr) << describe(result);
    EXPECT_EQ(unavailable->reason, UnavailableReason::kServerError);
    EXPECT_EQ(served()["by_outcome"]["unavailable"], 3) << "max_attempts calls, no more";
    EXPECT_EQ(served()["total"], 3);
    EXPECT_GE(took, 50 + 100) << "the backoffs were skipped";
}

TEST_F(PermitRegistryClientItest, Intermittent503sAreRetriedToAnAnswer) {
    start_simulator({"--error-rate", "0.5", "--seed", "11"});
    PermitRegistryClient client{options()};
    constexpr int kLookups = 30;
    int found = 0;
    int unavailable = 0;
    for (int i = 0; i < kLookups; ++i) {
        const auto result = client.lookup("LEP-2020-004512", "Mokoena");
        ASSERT_EQ(as<NotFound>(result), nullptr) << "a failure turned into NotFound";
        if (as<Found>(result) != nullptr) {
            ++found;
        } else {
            EXPECT_EQ(as<Unavailable>(result)->reason, UnavailableReason::kServerError)
                << describe(result);
            ++unavailable;
        }
    }
    const auto counts = served();
    const int answered = counts["by_outcome"]["found"];
    const int refused = counts["by_outcome"]["unavailable"];
    EXPECT_EQ(found, answered) << "every 200 the simulator sent became Found";
    EXPECT_EQ(counts["total"], answered + refused);
    EXPECT_GE(refused, unavailable * 3) << "an Unavailable lookup gave up before max_attempts";
    EXPECT_LE(counts["total"].get<int>(), kLookups * 3)
        << "more than max_attempts calls per lookup";
    EXPECT_GT(refused, unavailable * 3) << "no lookup was saved by a retry";
    EXPECT_GT(found, 0);
}

TEST_F(PermitRegistryClientItest, ATimeoutIsUnavailableWithinTheConfiguredTimeoutAndNotRetried) {
    start_simulator({"--timeout-rate", "1", "--timeout-hold-ms", "5000"});
    auto o = options();
    o.timeout = 300ms;
    PermitRegistryClient client{o};
    const auto started = Clock::now();
    const auto result = client.lookup("LEP-2020-004512", "Mokoena");
    const long took = elapsed_ms(started);
    const auto* unavailable = as<Unavailable>(result);
    ASSERT_NE(unavailable, nullptr) << describe(result);
    EXPECT_EQ(unavailable->reason, UnavailableReason::kTimeout) << describe(result);
    EXPECT_GE(took, 290);
    EXPECT_LT(took, 300 + 500) << "the client waited well past its timeout";
    EXPECT_EQ(served()["by_outcome"]["timeout"], 1);
    EXPECT_EQ(served()["total"], 1);
}

TEST_F(PermitRegistryClientItest, MalformedAnswersAreUnavailableAndNotRetried) {
    start_simulator({"--malformed-rate", "1", "--seed", "5"});
    PermitRegistryClient client{options()};
    constexpr int kLookups = 12;
    for (int i = 0; i < kLookups; ++i) {
        const auto result = client.lookup("LEP-2020-004512", "Mokoena");
        const auto* unavailable = as<Unavailable>(result);
        ASSERT_NE(unavailable, nullptr) << describe(result);
        EXPECT_EQ(unavailable->reason, UnavailableReason::kMalformedResponse) << describe(result);
        EXPECT_FALSE(unavailable->detail.empty());
    }
    EXPECT_EQ(served()["by_outcome"]["malformed"], kLookups);
    EXPECT_EQ(served()["total"], kLookups);
}

TEST_F(PermitRegistryClientItest, ARecordThatCannotBeRightIsUnavailable) {
    start_simulator();
    // Legal validity moved away from the card with no directive behind it.
    add_permit(Json{
        {"number", "LEP-2020-031337"},
        {"type", "LEP"},
        {"holder_surname", "Thamae"},
        {"status", "valid"},
        {"issued_on", "2020-01-01"},
        {"printed_expiry", "2023-12-31"},
        {"legal_expiry", "2027-05-28"},
        {"directive_ref", nullptr}});
    PermitRegistryClient client{options()};
    const auto result = client.lookup("LEP-2020-031337", "Thamae");
    const auto* unavailable = as<Unavailable>(result);
    ASSERT_NE(unavailable, nullptr) << describe(result);
    EXPECT_EQ(unavailable->reason, UnavailableReason::kMalformedResponse);
    EXPECT_NE(unavailable->detail.find("directive_ref"), std::string::npos) << unavailable->detail;
}

TEST_F(PermitRegistryClientItest, AWrongBaseUrlIsUnavailableNotNotFound) {
    start_simulator();
    auto o = options();
    o.base_url = base_url() + "/v2/";
    PermitRegistryClient client{o};
    const auto result = client.lookup("LEP-2020-004512", "Mokoena");
    const auto* unavailable = as<Unavailable>(result);
    ASSERT_NE(unavailable, nullptr) << describe(result);
    EXPECT_EQ(unavailable->reason, UnavailableReason::kUnexpectedResponse);
}

TEST_F(PermitRegistryClientItest, LatencyIsWaitedOutWithinTheTimeout) {
    start_simulator({"--latency-ms", "200"});
    PermitRegistryClient client{options()};
    const auto started = Clock::now();
    const auto result = client.lookup("LEP-2020-004512", "Mokoena");
    EXPECT_NE(as<Found>(result), nullptr) << describe(result);
    EXPECT_GE(elapsed_ms(started), 200);
}

TEST_F(PermitRegistryClientItest, ConnectionRefusedIsRetriedThenUnavailable) {
    start_simulator();
    simulator_->kill(SIGTERM);
    const auto status = simulator_->wait_for(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    simulator_.reset();  // nothing listens on port_ any more

    PermitRegistryClient client{options()};
    const auto started = Clock::now();
    const auto result = client.lookup("LEP-2020-004512", "Mokoena");
    const long took = elapsed_ms(started);
    const auto* unavailable = as<Unavailable>(result);
    ASSERT_NE(unavailable, nullptr) << describe(result);
    EXPECT_EQ(unavailable->reason, UnavailableReason::kConnectionFailed) << describe(result);
    EXPECT_NE(unavailable->detail.find("attempt 3 of 3"), std::string::npos) << unavailable->detail;
    EXPECT_GE(took, 50 + 100) << "the backoffs were skipped";
}

TEST_F(PermitRegistryClientItest, OneClientServesManyLookupsWithOneCallEach) {
    start_simulator();
    PermitRegistryClient client{options()};
    for (int i = 0; i < 20; ++i) {
        ASSERT_NE(as<Found>(client.lookup("LEP-2020-004512", "Mokoena")), nullptr);
    }
    EXPECT_EQ(served()["total"], 20);
}

TEST(PermitRegistryClientConfig, RefusesAnUnusableConfiguration) {
    PermitRegistryClientOptions o;
    o.base_url = "ftp://127.0.0.1:1";
    EXPECT_THROW(PermitRegistryClient{o}, std::invalid_argument);
    o.base_url = "http://127.0.0.1:1";
    o.max_attempts = 0;
    EXPECT_THROW(PermitRegistryClient{o}, std::invalid_argument);
    o.max_attempts = 1;
    o.timeout = 0ms;
    EXPECT_THROW(PermitRegistryClient{o}, std::invalid_argument);
}

TEST(PermitRegistryClientConfig, RefusesInputThatCannotBeAPermitBeforeAnyCall) {
    PermitRegistryClientOptions o;
    o.base_url = "http://127.0.0.1:1";
    PermitRegistryClient client{o};
    EXPECT_THROW((void)client.lookup("../admin", "Mokoena"), std::invalid_argument);
    EXPECT_THROW((void)client.lookup("LEP-1", ""), std::invalid_argument);
    EXPECT_THROW((void)client.lookup("LEP-1", "Mo\r\nX-Api-Key: x"), std::invalid_argument);
}

}  // namespace
}  // namespace chelete::permit_registry
