// An officer checks permits against the permit registry: the simulator (a separate process
// speaking HTTP) behind the production adapter, inside `chelete all`.
#include <csignal>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/random_ids.hpp>

#include "chelete_process.hpp"

namespace chelete {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::HttpResult;

constexpr const char* kApiKey = "sim-permit-key-123";

class PermitVerificationITest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        CHELETE_REQUIRE_REDIS();
        sim_port_ = testing::unused_port();
        simulator_ = std::make_unique<testing::ChildProcess>(
            testing::built_program("chelete-simulator"),
            std::vector<std::string>{
                "permit-registry", "--port", std::to_string(sim_port_), "--api-key", kApiKey},
            std::vector<std::pair<std::string, std::string>>{},
            "/tmp/permit-sim-" + std::to_string(getpid()) + ".log"
        );
        sim_ =
            std::make_unique<testing::HttpClient>("http://127.0.0.1:" + std::to_string(sim_port_));
        ASSERT_TRUE(testing::wait_until(
            [&] {
                try {
                    return sim_->get("/healthz").status == 200;
                } catch (const std::exception&) {
                    return false;
                }
            },
            20s
        ));
        chelete_ = std::make_unique<testing::CheleteProcess>(std::map<std::string, std::string>{
            {"CHELETE_PERMIT_REGISTRY_URL", "http://127.0.0.1:" + std::to_string(sim_port_)},
            {"CHELETE_PERMIT_REGISTRY_API_KEY", kApiKey},
            {"CHELETE_PERMIT_REGISTRY_TIMEOUT", "1s"}});
        ASSERT_TRUE(chelete_->ready());
        officer_ = chelete_->bearer("ministry_officer", "officer-7");
    }

    void TearDown() override {
        chelete_.reset();
        if (simulator_) {
            simulator_->kill(SIGTERM);
            EXPECT_TRUE(simulator_->wait_for(10s).has_value());
        }
    }

    void registry_holds(const json& record) {
        const auto r = sim_->post_json(
            "/admin/permits", record.dump(), {std::string{"X-Api-Key: "} + kApiKey}
        );
        ASSERT_TRUE(r.status == 201 || r.status == 200) << r.body;
    }

    json post(const std::string& path, const json& body, const std::string& auth) {
        const auto r =
            body.is_null()
                ? chelete_->http().request("POST", path, "", {auth})
                : chelete_->http().post_json(
                      path, body.dump(), {"Idempotency-Key: " + platform::new_uuid(), auth}
                  );
        last_status_ = r.status;
        return json::parse(r.body, nullptr, false);
    }
    json get(const std::string& path, const std::string& auth) {
        const auto r = chelete_->http().get(path, {auth});
        last_status_ = r.status;
        return json::parse(r.body, nullptr, false);
    }

    /// A worker named Mokoena with one permit; returns {worker id, permit id}.
    std::pair<std::string, std::string> worker_with_permit(
        const std::string& type, const std::string& number, const std::string& expires_on
    ) {
        std::string phone = "+278";
        while (phone.size() < 12) {
            phone += static_cast<char>('0' + platform::crypto::random_u64() % 10);
        }
        const auto w = post(
            "/v1/workers",
            {{"given_name", "Thabo"},
             {"family_name", "Mokoena"},
             {"date_of_birth", "1990-04-12"},
             {"phone", phone},
             {"pin", "48213"},
             {"passport_number",
              "RA" + std::to_string(1'000'000 + platform::crypto::random_u64() % 8'000'000)},
             {"consents", {{{"purpose", "registration"}, {"granted", true}}}}},
            "X-No-Auth: 1"
        );
        EXPECT_EQ(last_status_, 201) << w.dump();
        const auto p = post(
            "/v1/workers/" + w.value("id", "") + "/permits",
            {{"type", type},
             {"number", number},
             {"issued_on", "2021-01-01"},
             {"expires_on", expires_on}},
            officer_
        );
        EXPECT_EQ(last_status_, 201) << p.dump();
        return {w.value("id", ""), p.value("id", "")};
    }

    std::uint16_t sim_port_ = 0;
    std::unique_ptr<testing::ChildProcess> simulator_;
    std::unique_ptr<testing::HttpClient> sim_;
    std::unique_ptr<testing::CheleteProcess> chelete_;
    std::string officer_;
    long last_status_ = 0;
};

TEST_F(PermitVerificationITest, VerifiedNotFoundRevokedAndAnAbsentRegistry) {
    const std::string visa =
        "WV-" + std::to_string(100000 + platform::crypto::random_u64() % 800000);
    registry_holds(
        {{"number", visa},
         {"type", "work_visa"},
         {"holder_surname", "MOKOENA"},
         {"status", "valid"},
         {"issued_on", "2021-01-01"},
         {"printed_expiry", "2031-01-01"},
         {"legal_expiry", "2031-01-01"},
         {"directive_ref", nullptr}}
    );
    // Verified: the permit is marked, and being in force it raises the worker to the standard tier.
    auto [worker, permit] = worker_with_permit("work_visa", visa, "2031-01-01");
    EXPECT_EQ(get("/v1/workers/" + worker, officer_)["kyc_tier"], "basic");
    auto r = post("/v1/permits/" + permit + "/verify", json(), officer_);
    ASSERT_EQ(last_status_, 200) << r.dump();
    EXPECT_EQ(r["outcome"], "verified");
    EXPECT_EQ(r["permit"]["verified"], true);
    EXPECT_EQ(r["registry"]["status"], "valid");
    EXPECT_EQ(get("/v1/workers/" + worker, officer_)["kyc_tier"], "standard");

    // Not in the registry: recorded as an attempt, the permit stays unverified.
    auto [worker2, permit2] = worker_with_permit("LEP", "LEP-1999-000001", "2031-01-01");
    r = post("/v1/permits/" + permit2 + "/verify", json(), officer_);
    ASSERT_EQ(last_status_, 200) << r.dump();
    EXPECT_EQ(r["outcome"], "not_found");
    EXPECT_EQ(r["permit"]["verified"], false);
    EXPECT_EQ(get("/v1/workers/" + worker2, officer_)["kyc_tier"], "basic");

    // Revoked at the registry: the registry's word stands, and the tier drops.
    const std::string revoked =
        "LEP-2020-" + std::to_string(100000 + platform::crypto::random_u64() % 800000);
    registry_holds(
        {{"number", revoked},
         {"type", "LEP"},
         {"holder_surname", "Mokoena"},
         {"status", "revoked"},
         {"issued_on", "2021-01-01"},
         {"printed_expiry", "2031-01-01"},
         {"legal_expiry", "2031-01-01"}}
    );
    auto [worker3, permit3] = worker_with_permit("LEP", revoked, "2031-01-01");
    r = post("/v1/permits/" + permit3 + "/verify", json(), officer_);
    ASSERT_EQ(last_status_, 200) << r.dump();
    EXPECT_EQ(r["permit"]["status"], "revoked");
    EXPECT_EQ(get("/v1/workers/" + worker3, officer_)["kyc_tier"], "restricted");

    // Only officers verify.
    (void)post("/v1/permits/" + permit + "/verify", json(), chelete_->bearer("worker", worker));
    EXPECT_EQ(last_status_, 403);

    // The registry gone: 503, and nothing about the permit changes.
    auto [worker4, permit4] = worker_with_permit("work_visa", visa + "X", "2031-01-01");
    simulator_->kill(SIGTERM);
    ASSERT_TRUE(simulator_->wait_for(10s).has_value());
    simulator_.reset();
    r = post("/v1/permits/" + permit4 + "/verify", json(), officer_);
    EXPECT_EQ(last_status_, 503) << r.dump();
    const auto permits = get("/v1/workers/" + worker4 + "/permits", officer_);
    EXPECT_EQ(permits["items"][0]["verified"], false);
}

}  // namespace
}  // namespace chelete
