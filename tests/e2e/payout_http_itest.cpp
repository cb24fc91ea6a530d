// Payouts end to end through the real partner simulators (issue 6): `chelete all` with the payout
// service configured for the M-Pesa and EcoCash simulators, every fault knob on (503s, timeouts
// after paying, unknown outcomes with and without payment, dropped, duplicated, stale, late and
// forged callbacks). Remittances are sent through the gateway and must each be paid exactly once,
// counted at the simulators; no remittance's history may go backwards; the ledger stays verified.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/random_ids.hpp>

#include "chelete_process.hpp"
#include "spec_check.hpp"

namespace chelete {
namespace {

using nlohmann::json;
using testing::HttpResult;
using namespace std::chrono_literals;

constexpr const char* kMpesaKey = "e2e-mpesa-api-key";
constexpr const char* kMpesaSecret = "e2e-mpesa-callback-secret";
constexpr const char* kEcocashId = "e2e-ecocash";
constexpr const char* kEcocashSecret = "e2e-ecocash-client-secret";
constexpr const char* kEcocashCallbackSecret = "e2e-ecocash-callback-secret";
/// A Lesotho number the M-Pesa simulator refuses as invalid (INS-2051).
constexpr const char* kInvalidNumber = "+26657000001";

// Every fault the simulators can inject, at rates that make each happen several times in a run.
const std::vector<std::string> kFaults{
    "--seed",
    "11",
    "--error-rate",
    "0.1",
    "--timeout-rate",
    "0.1",
    "--timeout-hold-ms",
    "2500",
    "--unknown-rate",
    "0.15",
    "--unknown-paid-rate",
    "0.5",
    "--drop-callback-rate",
    "0.25",
    "--duplicate-callback-rate",
    "0.3",
    "--out-of-order-rate",
    "0.3",
    "--forged-callback-rate",
    "0.3",
    "--late-callback-ms",
    "300",
    "--latency-ms",
    "20"};

std::string hex_of(const std::string& uuid) {
    std::string out;
    for (const char c : uuid) {
        if (c != '-') {
            out += c;
        }
    }
    return out;
}

struct Sender {
    std::string id;
    std::string auth;
    std::string beneficiary_id;
};

class PayoutHttpITest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!testing::pg_dsn() || !testing::redis_options()) {
            return;
        }
        const auto gateway_port = testing::unused_port();
        const auto mpesa_port = testing::unused_port();
        const auto ecocash_port = testing::unused_port();
        const std::string gateway = "http://127.0.0.1:" + std::to_string(gateway_port);
        log_ = "/tmp/" + testing::unique_name("payout_sims") + ".log";
        std::vector<std::string> mpesa_args{
            "mpesa",
            "--port",
            std::to_string(mpesa_port),
            "--api-key",
            kMpesaKey,
            "--callback-url",
            gateway + "/v1/callbacks/mpesa",
            "--callback-secret",
            kMpesaSecret,
            "--invalid-msisdn",
            std::string{kInvalidNumber}.substr(1)};
        mpesa_args.insert(mpesa_args.end(), kFaults.begin(), kFaults.end());
        mpesa_ = new testing::ChildProcess(  // NOLINT(cppcoreguidelines-owning-memory)
            testing::built_program("chelete-simulator"),
            mpesa_args,
            {},
            log_
        );
        std::vector<std::string> ecocash_args{
            "ecocash",
            "--port",
            std::to_string(ecocash_port),
            "--client-id",
            kEcocashId,
            "--client-secret",
            kEcocashSecret,
            "--callback-secret",
            kEcocashCallbackSecret};
        ecocash_args.insert(ecocash_args.end(), kFaults.begin(), kFaults.end());
        ecocash_ = new testing::ChildProcess(  // NOLINT(cppcoreguidelines-owning-memory)
            testing::built_program("chelete-simulator"),
            ecocash_args,
            {},
            log_
        );
        mpesa_admin_ = new testing::HttpClient(  // NOLINT(cppcoreguidelines-owning-memory)
            "http://127.0.0.1:" + std::to_string(mpesa_port)
        );
        ecocash_admin_ = new testing::HttpClient(  // NOLINT(cppcoreguidelines-owning-memory)
            "http://127.0.0.1:" + std::to_string(ecocash_port)
        );
        const bool up = testing::wait_until(
            [] {
                try {
                    return mpesa_admin_->get("/healthz").status == 200 &&
                           ecocash_admin_->get("/healthz").status == 200;
                } catch (const std::exception&) {
                    return false;  // not listening yet
                }
            },
            10s
        );
        if (!up) {
            ADD_FAILURE() << "simulators did not start; see " << log_;
            return;
        }
        public_key_ = std::filesystem::temp_directory_path() /
                      (testing::unique_name("mpesa_public") + ".pem");
        std::ofstream{public_key_} << mpesa_admin_->get("/admin/public-key").body;
        chelete_ = new testing::CheleteProcess(  // NOLINT(cppcoreguidelines-owning-memory)
            {{"CHELETE_HTTP_PORT", std::to_string(gateway_port)},
             {"CHELETE_MPESA_BASE_URL",
              "http://127.0.0.1:" + std::to_string(mpesa_port) + "/openapi"},
             {"CHELETE_MPESA_API_KEY", kMpesaKey},
             {"CHELETE_MPESA_PUBLIC_KEY", public_key_.string()},
             {"CHELETE_MPESA_CALLBACK_SECRET", kMpesaSecret},
             {"CHELETE_MPESA_TIMEOUT", "1s"},
             {"CHELETE_ECOCASH_BASE_URL", "http://127.0.0.1:" + std::to_string(ecocash_port)},
             {"CHELETE_ECOCASH_CLIENT_ID", kEcocashId},
             {"CHELETE_ECOCASH_CLIENT_SECRET", kEcocashSecret},
             {"CHELETE_ECOCASH_NOTIFY_URL", gateway + "/v1/callbacks/ecocash"},
             {"CHELETE_ECOCASH_CALLBACK_SECRET", kEcocashCallbackSecret},
             {"CHELETE_ECOCASH_TIMEOUT", "1s"},
             {"CHELETE_PAYOUT_WORKERS", "4"},
             {"CHELETE_PAYOUT_CALLBACK_WAIT", "1s"},
             {"CHELETE_PAYOUT_FIRST_QUERY", "300ms"},
             {"CHELETE_PAYOUT_MAX_QUERY_INTERVAL", "1s"},
             {"CHELETE_PAYOUT_RETRY_WAIT", "500ms"},
             {"CHELETE_PAYOUT_RETRY_SLA", "2m"},
             {"CHELETE_PAYOUT_LEASE", "5s"},
             {"CHELETE_REMIT_STUCK_AFTER", "5s"},
             {"CHELETE_REMIT_SWEEP_INTERVAL", "1s"},
             {"CHELETE_RATE_LIMIT", "1000000"},
             {"CHELETE_RATE_BURST", "100000"}}
        );
    }
    static void TearDownTestSuite() {
        delete chelete_;  // NOLINT(cppcoreguidelines-owning-memory)
        chelete_ = nullptr;
        delete mpesa_admin_;    // NOLINT(cppcoreguidelines-owning-memory)
        delete ecocash_admin_;  // NOLINT(cppcoreguidelines-owning-memory)
        delete mpesa_;          // NOLINT(cppcoreguidelines-owning-memory)
        delete ecocash_;        // NOLINT(cppcoreguidelines-owning-memory)
        mpesa_admin_ = ecocash_admin_ = nullptr;
        mpesa_ = ecocash_ = nullptr;
        std::error_code ec;
        std::filesystem::remove(public_key_, ec);
    }
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        CHELETE_REQUIRE_REDIS();
        ASSERT_NE(chelete_, nullptr);
        ASSERT_TRUE(chelete_->ready());
    }

    static testing::HttpClient& http() { return chelete_->http(); }
    static json body(const HttpResult& r) { return json::parse(r.body, nullptr, false); }

    static HttpResult post(const std::string& path, const json& payload, const std::string& auth) {
        auto r = http().post_json(
            path, payload.dump(), {"Idempotency-Key: " + platform::new_uuid(), auth}
        );
        (void)testing::check_against_spec("POST", path, r);
        return r;
    }
    static HttpResult get(const std::string& path, const std::string& auth) {
        auto r = http().get(path, {auth});
        (void)testing::check_against_spec("GET", path, r);
        return r;
    }

    static std::string unique_phone(const std::string& prefix) {
        std::string out = prefix;
        while (out.size() < 12) {
            out += static_cast<char>('0' + platform::crypto::random_u64() % 10);
        }
        return out;
    }

    /// A registered worker with R1,000 in the wallet and one beneficiary paid by `method`.
    static Sender funded_sender(const std::string& method, const std::string& phone = "") {
        const auto r = http().post_json(
            "/v1/workers",
            json{
                {"given_name", "Teboho"},
                {"family_name", "Lebona"},
                {"date_of_birth", "1988-03-09"},
                {"phone", unique_phone("+278")},
                {"pin", "48213"},
                {"passport_number",
                 "RB" + std::to_string(1'000'000 + platform::crypto::random_u64() % 8'000'000)},
                {"consents", {{{"purpose", "registration"}, {"granted", true}}}}}
                .dump(),
            {"Idempotency-Key: " + platform::new_uuid()}
        );
        EXPECT_EQ(r.status, 201) << r.body;
        Sender s;
        s.id = body(r).value("id", "");
        s.auth = chelete_->bearer("worker", s.id);
        const auto b = post(
            "/v1/workers/" + s.id + "/beneficiaries",
            {{"full_name", "Palesa Nthako"},
             {"phone", phone.empty() ? unique_phone("+2665") : phone},
             {"relationship", "parent"},
             {"payout_method", method}},
            s.auth
        );
        EXPECT_EQ(b.status, 201) << b.body;
        s.beneficiary_id = body(b).value("id", "");
        const std::string agent = chelete_->bearer("agent", agent_id_);
        const auto d = post(
            "/v1/deposits",
            {{"worker_id", s.id}, {"amount", {{"amount", "1000.00"}, {"currency", "ZAR"}}}},
            agent
        );
        EXPECT_EQ(d.status, 201) << d.body;
        const std::string deposit_id = body(d).value("id", "");
        EXPECT_TRUE(testing::wait_until(
            [&] {
                return body(get("/v1/deposits/" + deposit_id, agent)).value("status", "") ==
                       "completed";
            },
            15s
        ));
        return s;
    }

    /// Quotes and sends R`amount` to the sender's beneficiary; returns the remittance id.
    static std::string send(const Sender& s, const std::string& method, const std::string& amount) {
        const auto q = post(
            "/v1/quotes",
            {{"send_amount", {{"amount", amount}, {"currency", "ZAR"}}}, {"payout_method", method}},
            s.auth
        );
        EXPECT_EQ(q.status, 201) << q.body;
        const auto r = post(
            "/v1/remittances",
            {{"quote_id", body(q).value("id", "")},
             {"beneficiary_id", s.beneficiary_id},
             {"purpose", "bop_417"},
             {"source_of_funds", "salary"}},
            s.auth
        );
        EXPECT_EQ(r.status, 202) << r.body;
        return body(r).value("id", "");
    }

    static json wait_final(const Sender& s, const std::string& id, std::chrono::seconds limit) {
        json r;
        const std::set<std::string> final_states{"paid", "refunded", "rejected", "cancelled"};
        const bool reached = testing::wait_until(
            [&] {
                r = body(get("/v1/remittances/" + id, s.auth));
                return final_states.contains(r.value("status", ""));
            },
            limit
        );
        EXPECT_TRUE(reached) << "remittance " << id << " stuck in " << r.dump(2);
        return r;
    }

    /// Completed payments at a simulator, by remittance (the reference's first 32 characters).
    static std::map<std::string, int> completed_by_remittance(testing::HttpClient& admin) {
        std::map<std::string, int> out;
        const json all = body(admin.get("/admin/payments"));
        for (const auto& p : all["payments"]) {
            if (p.value("status", "") == "completed") {
                ++out[p.value("reference", "").substr(0, 32)];
            }
        }
        return out;
    }

    static inline testing::CheleteProcess* chelete_ = nullptr;
    static inline testing::ChildProcess* mpesa_ = nullptr;
    static inline testing::ChildProcess* ecocash_ = nullptr;
    static inline testing::HttpClient* mpesa_admin_ = nullptr;
    static inline testing::HttpClient* ecocash_admin_ = nullptr;
    static inline std::filesystem::path public_key_;
    static inline std::string log_;
    static inline const std::string agent_id_ = platform::new_uuid();
};

TEST_F(PayoutHttpITest, EveryRemittancePaidExactlyOnceWithEveryFaultOn) {
    struct Sent {
        Sender sender;
        std::string method;
        std::string id;
    };
    std::vector<Sent> sent;
    for (int i = 0; i < 30; ++i) {
        const std::string method = i % 2 == 0 ? "mpesa" : "ecocash";
        Sent s{funded_sender(method), method, ""};
        s.id = send(s.sender, method, std::to_string(100 + i) + ".00");
        ASSERT_FALSE(s.id.empty());
        sent.push_back(std::move(s));
    }
    std::map<std::string, std::string> final_status;  // remittance -> paid | refunded
    int unknown_seen = 0;
    for (const auto& s : sent) {
        const json r = wait_final(s.sender, s.id, 90s);
        const std::string status = r.value("status", "");
        // Paid, or (when the partner failed the payment, as its unknown-then-failed fault
        // does) refunded; nothing else, and never both.
        EXPECT_TRUE(status == "paid" || status == "refunded") << r.dump(2);
        final_status[s.id] = status;
        // The history only moves forward: the final state is last and appears once.
        const auto& history = r["status_history"];
        ASSERT_FALSE(history.empty());
        EXPECT_EQ(history.back()["status"], status);
        int final_entries = 0;
        for (const auto& h : history) {
            final_entries += h["status"] == status ? 1 : 0;
            unknown_seen += h["status"] == "payout_unknown" ? 1 : 0;
        }
        EXPECT_EQ(final_entries, 1) << r.dump(2);
    }
    // Counted at the partners: one completed payment per paid remittance, none for a refunded
    // one, and nothing else.
    const auto mpesa = completed_by_remittance(*mpesa_admin_);
    const auto ecocash = completed_by_remittance(*ecocash_admin_);
    std::size_t paid = 0;
    std::size_t completed_ours = 0;
    for (const auto& s : sent) {
        const auto& book = s.method == "mpesa" ? mpesa : ecocash;
        const auto it = book.find(hex_of(s.id));
        const int count = it == book.end() ? 0 : it->second;
        completed_ours += it == book.end() ? 0 : 1;
        if (final_status[s.id] == "paid") {
            ++paid;
            EXPECT_EQ(count, 1) << s.method << " payments for paid " << s.id;
        } else {
            EXPECT_EQ(count, 0) << s.method << " payments for refunded " << s.id;
        }
    }
    EXPECT_EQ(mpesa.size() + ecocash.size(), completed_ours);  // no payment we did not ask for
    EXPECT_GE(paid, sent.size() / 2) << "most payouts should succeed";
    // The knobs were really exercised: unknown outcomes were settled by query, and forged
    // callbacks reached the gateway and were refused.
    EXPECT_GT(unknown_seen, 0);
    int forged = 0;
    int forged_accepted = 0;
    for (auto* admin : {mpesa_admin_, ecocash_admin_}) {
        const json attempts = body(admin->get("/admin/callbacks"));
        for (const auto& c : attempts["callbacks"]) {
            if (c.value("forged", false)) {
                ++forged;
                const int status = c.value("status", 0);
                forged_accepted += status >= 200 && status < 300 ? 1 : 0;
            }
        }
    }
    EXPECT_GT(forged, 0);
    EXPECT_EQ(forged_accepted, 0);
    std::cout << "[payout] " << sent.size() << " remittances: " << paid << " paid, "
              << sent.size() - paid << " refunded; " << unknown_seen
              << " went through payout_unknown; " << forged << " forged callbacks refused; "
              << mpesa.size() + ecocash.size() << " payments at the partners\n";
    // And the money agrees.
    // verifyLedger takes no body (the spec has none).
    const auto verify =
        http().post_json("/v1/ledger/verify", "", {chelete_->bearer("finance", "f-1")});
    ASSERT_EQ(verify.status, 200) << verify.body;
    EXPECT_EQ(body(verify)["ok"], true) << verify.body;
}

TEST_F(PayoutHttpITest, AnInvalidNumberIsRefundedAndNeverPaid) {
    const Sender s = funded_sender("mpesa", kInvalidNumber);
    const std::string id = send(s, "mpesa", "200.00");
    const json r = wait_final(s, id, 60s);
    EXPECT_EQ(r.value("status", ""), "refunded") << r.dump(2);
    EXPECT_FALSE(completed_by_remittance(*mpesa_admin_).contains(hex_of(id)));
    const json wallet = body(get("/v1/workers/" + s.id + "/wallet", s.auth));
    EXPECT_EQ(wallet["available"]["amount"], "1000.00") << wallet.dump();
}

TEST_F(PayoutHttpITest, AnEmptyFloatWaitsForTheTopUpThenPaysOnce) {
    ASSERT_EQ(mpesa_admin_->post_json("/admin/float", R"({"balance":"0.00"})").status, 200);
    const Sender s = funded_sender("mpesa");
    const std::string id = send(s, "mpesa", "150.00");
    // Refused for float (INS-2006): the payout waits for a top-up, nothing is paid meanwhile.
    ASSERT_TRUE(testing::wait_until(
        [&] {
            pqxx::connection c{*testing::pg_dsn()};
            pqxx::work tx{c};
            return tx.exec_params1(
                         "SELECT count(*) FROM " + chelete_->payout_schema() +
                             ".attempt_log WHERE reference LIKE $1 AND partner_code = 'INS-2006'",
                         hex_of(id) + "%"
                   )[0]
                       .as<int>() > 0;
        },
        30s
    )) << "the payout never met the empty float";
    std::this_thread::sleep_for(2s);
    const json waiting = body(get("/v1/remittances/" + id, s.auth));
    EXPECT_NE(waiting.value("status", ""), "paid") << waiting.dump(2);
    EXPECT_FALSE(completed_by_remittance(*mpesa_admin_).contains(hex_of(id)));
    ASSERT_EQ(mpesa_admin_->post_json("/admin/float", R"({"balance":"10000000.00"})").status, 200);
    const json r = wait_final(s, id, 60s);
    // With the faults on, the partner may still fail the new attempt for its own reasons (then
    // the sender is refunded); what may never happen is a payment without "paid" or two.
    const std::string status = r.value("status", "");
    ASSERT_TRUE(status == "paid" || status == "refunded") << r.dump(2);
    EXPECT_EQ(completed_by_remittance(*mpesa_admin_)[hex_of(id)], status == "paid" ? 1 : 0);
}

}  // namespace
}  // namespace chelete
