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
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/money.hpp>
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
constexpr const char* kSmsKey = "e2e-sms-api-key";
/// The national id every test beneficiary is registered with (cash pickup checks it).
constexpr const char* kRecipientNationalId = "0123456789012";
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
        const auto sms_port = testing::unused_port();
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
        sms_ = new testing::ChildProcess(  // NOLINT(cppcoreguidelines-owning-memory)
            testing::built_program("chelete-simulator"),
            {"sms", "--port", std::to_string(sms_port), "--api-key", kSmsKey},
            {},
            log_
        );
        sms_admin_ = new testing::HttpClient(  // NOLINT(cppcoreguidelines-owning-memory)
            "http://127.0.0.1:" + std::to_string(sms_port)
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
                           ecocash_admin_->get("/healthz").status == 200 &&
                           sms_admin_->get("/healthz").status == 200;
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
             {"CHELETE_SMS_BASE_URL", "http://127.0.0.1:" + std::to_string(sms_port)},
             {"CHELETE_SMS_API_KEY", kSmsKey},
             {"CHELETE_PAYOUT_JOBS_INTERVAL", "200ms"},
             {"CHELETE_PAYOUT_LEDGER_RESEND", "2s"},
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
        delete sms_admin_;      // NOLINT(cppcoreguidelines-owning-memory)
        delete sms_;            // NOLINT(cppcoreguidelines-owning-memory)
        mpesa_admin_ = ecocash_admin_ = sms_admin_ = nullptr;
        mpesa_ = ecocash_ = sms_ = nullptr;
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
             {"payout_method", method},
             {"national_id", kRecipientNationalId}},
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

    /// A staff account for an agent serving in `country`; returns its bearer header.
    static std::string agent_in(const std::string& country) {
        const auto admin = http().post_json(
            "/v1/auth/token",
            json{{"username", "admin"}, {"password", testing::CheleteProcess::kAdminPassword}}.dump(
            )
        );
        EXPECT_EQ(admin.status, 200) << admin.body;
        const std::string admin_auth =
            "Authorization: Bearer " + body(admin).value("access_token", std::string{});
        const std::string username = "agent" + hex_of(platform::new_uuid()).substr(0, 12);
        const auto created = post(
            "/v1/staff",
            {{"username", username},
             {"password", "agent-password-12"},
             {"role", "agent"},
             {"display_name", "Agent " + country},
             {"country", country}},
            admin_auth
        );
        EXPECT_EQ(created.status, 201) << created.body;
        const auto login = http().post_json(
            "/v1/auth/token", json{{"username", username}, {"password", "agent-password-12"}}.dump()
        );
        EXPECT_EQ(login.status, 200) << login.body;
        return "Authorization: Bearer " + body(login).value("access_token", std::string{});
    }

    /// The voucher code and PIN the SMS gateway delivered to `phone` (digits only, 266...).
    static std::optional<std::pair<std::string, std::string>> voucher_sms(const std::string& phone
    ) {
        static const std::regex kVoucher{"voucher ([0-9]{10}), PIN ([0-9]{6})"};
        const json all = body(sms_admin_->get("/admin/messages?to=" + phone));
        for (const auto& m : all["messages"]) {
            std::smatch found;
            const std::string text = m.value("text", "");
            if (std::regex_search(text, found, kVoucher)) {
                return std::pair{found[1].str(), found[2].str()};
            }
        }
        return std::nullopt;
    }

    static std::string finance_auth() { return chelete_->bearer("finance", platform::new_uuid()); }

    /// Settlement positions once every ledger posting is confirmed.
    static json settled_positions() {
        json p;
        const bool settled = testing::wait_until(
            [&] {
                p = body(get("/v1/settlement/positions", finance_auth()));
                if (!p.contains("partners")) {
                    return false;
                }
                for (const auto& partner : p["partners"]) {
                    if (partner["unconfirmed"]["amount"] != "0.00") {
                        return false;
                    }
                }
                for (const auto& agent : p["agents"]) {
                    if (agent["unconfirmed"]["amount"] != "0.00") {
                        return false;
                    }
                }
                return true;
            },
            30s
        );
        EXPECT_TRUE(settled) << p.dump(2);
        return p;
    }

    /// An account's debits less credits, posted, in minor units (as the ledger reports it).
    static std::int64_t ledger_net(const std::string& account_id) {
        const auto r = get("/v1/ledger/accounts/" + account_id, finance_auth());
        EXPECT_EQ(r.status, 200) << r.body;
        const json b = body(r)["balances"];
        const auto minor = [](const json& money) {
            return platform::parse_minor_units(money.value("amount", "0.00")).value();
        };
        return minor(b["debits_posted"]) - minor(b["credits_posted"]);
    }

    static std::int64_t minor_of(const json& signed_amount) {
        return platform::parse_minor_units(signed_amount.value("amount", "0.00"), true).value();
    }

    static inline testing::CheleteProcess* chelete_ = nullptr;
    static inline testing::ChildProcess* mpesa_ = nullptr;
    static inline testing::ChildProcess* ecocash_ = nullptr;
    static inline testing::HttpClient* mpesa_admin_ = nullptr;
    static inline testing::HttpClient* ecocash_admin_ = nullptr;
    static inline testing::ChildProcess* sms_ = nullptr;
    static inline testing::HttpClient* sms_admin_ = nullptr;
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
    // verifyLedger's body is optional (an expected head); none here.
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

TEST_F(PayoutHttpITest, ACashPickupIsCollectedOnceAtALesothoAgentWithPinAndNationalId) {
    const std::string phone = unique_phone("+2665");
    const Sender s = funded_sender("cash_pickup", phone);
    const std::string id = send(s, "cash_pickup", "300.00");
    // The recipient's SMS carries the code and PIN; the sender sees the code only.
    std::optional<std::pair<std::string, std::string>> voucher;
    ASSERT_TRUE(testing::wait_until(
        [&] { return (voucher = voucher_sms(phone.substr(1))).has_value(); }, 30s
    )) << "no voucher SMS reached "
       << phone;
    const std::string code = voucher->first;
    const std::string pin = voucher->second;
    json remittance;
    ASSERT_TRUE(testing::wait_until(
        [&] {
            remittance = body(get("/v1/remittances/" + id, s.auth));
            return remittance["payout"].value("voucher_code", json(nullptr)) == code;
        },
        15s
    )) << remittance.dump(2);
    EXPECT_EQ(remittance["status"], "payout_pending");
    EXPECT_EQ(remittance.dump().find(pin), std::string::npos);

    const std::string receive = remittance["receive_amount"]["amount"];
    const auto redeem = [&](const std::string& auth, const std::string& p, const std::string& nid) {
        return post(
            "/v1/cash-pickups/redeem",
            {{"voucher_code", code}, {"pin", p}, {"recipient_national_id", nid}},
            auth
        );
    };
    const std::string south_african = agent_in("ZA");
    const std::string mosotho = agent_in("LS");
    EXPECT_EQ(redeem(south_african, pin, kRecipientNationalId).status, 403);
    const std::string wrong_pin = pin == "000000" ? "111111" : "000000";
    const auto wrong = redeem(mosotho, wrong_pin, kRecipientNationalId);
    EXPECT_EQ(wrong.status, 403);
    EXPECT_EQ(body(wrong)["attempts_left"], 4);
    const auto someone_else = redeem(mosotho, pin, "9999999999999");
    EXPECT_EQ(someone_else.status, 403);
    EXPECT_EQ(body(someone_else)["attempts_left"], 3);
    // A worker cannot redeem at all.
    EXPECT_EQ(redeem(s.auth, pin, kRecipientNationalId).status, 403);

    const auto paid = redeem(mosotho, pin, "0123 4567 89012");  // as typed, with spaces
    ASSERT_EQ(paid.status, 200) << paid.body;
    EXPECT_EQ(body(paid)["amount"]["amount"], receive);
    // The same agent asking again (its answer lost) is told the same; another agent is refused.
    const auto again = redeem(mosotho, pin, kRecipientNationalId);
    EXPECT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(body(again)["redeemed_at"], body(paid)["redeemed_at"]);
    EXPECT_EQ(redeem(agent_in("LS"), pin, kRecipientNationalId).status, 409);
    const json final_state = wait_final(s, id, 30s);
    EXPECT_EQ(final_state["status"], "paid");

    // The agent's ledger account holds what the agent paid out for us.
    const json positions = settled_positions();
    std::int64_t owed = 0;
    std::string agent_account;
    for (const auto& a : positions["agents"]) {
        if (a["redeemed_vouchers"] == 1 && a["owed_to_agent"]["amount"] == receive) {
            owed = minor_of(a["owed_to_agent"]);
            agent_account = a["ledger_account_id"];
        }
    }
    ASSERT_FALSE(agent_account.empty()) << positions.dump(2);
    EXPECT_EQ(-ledger_net(agent_account), owed);
    const auto verify = http().post_json("/v1/ledger/verify", "", {finance_auth()});
    EXPECT_EQ(body(verify)["ok"], true) << verify.body;
}

TEST_F(PayoutHttpITest, ReconciliationThroughTheApiFindsEveryInjectedBreak) {
    // M-Pesa payouts (the simulator's faults fail some: unknown outcomes not paid); then the
    // partner's statement drops one paid payout, changes another's amount and shows a payment
    // that is not ours.
    std::vector<std::string> ids;
    for (int i = 0; i < 6; ++i) {
        const Sender s = funded_sender("mpesa");
        const std::string id = send(s, "mpesa", "150.00");
        if (wait_final(s, id, 90s)["status"] == "paid") {
            ids.push_back(id);
        }
    }
    ASSERT_GE(ids.size(), 2U) << "too few payouts paid to inject breaks into";
    std::map<std::string, std::string> reference_of;  // remittance -> the paid attempt's reference
    const json payments = body(mpesa_admin_->get("/admin/payments"));
    for (const auto& p : payments["payments"]) {
        if (p.value("status", "") == "completed") {
            reference_of[p.value("reference", "").substr(0, 32)] = p.value("reference", "");
        }
    }
    const std::string dropped = reference_of[hex_of(ids[0])];
    const std::string changed = reference_of[hex_of(ids[1])];
    ASSERT_FALSE(dropped.empty());
    ASSERT_FALSE(changed.empty());
    const std::string today =
        platform::format_rfc3339(std::chrono::system_clock::now()).substr(0, 10);
    const json faults{
        {"drop", {dropped}},
        {"amount", {{changed, "1.00"}}},
        {"extra",
         {{{"reference", "FOREIGN0001"},
           {"transaction_id", "ZZ00000001"},
           {"msisdn", "26658000000"},
           {"amount", "70.00"},
           {"completed_at", today + "T00:00:01Z"}}}}};
    ASSERT_EQ(mpesa_admin_->post_json("/admin/statement-faults", faults.dump()).status, 200);
    const std::string finance = finance_auth();
    const auto started =
        post("/v1/reconciliation/runs", {{"date", today}, {"partner", "mpesa"}}, finance);
    ASSERT_EQ(started.status, 202) << started.body;
    const std::string run_id = body(started)["runs"][0]["id"];
    json run;
    ASSERT_TRUE(testing::wait_until(
        [&] {
            run = body(get("/v1/reconciliation/runs/" + run_id, finance));
            return run.value("state", "") == "done" || run.value("state", "") == "failed";
        },
        30s
    ));
    (void)mpesa_admin_->post_json("/admin/statement-faults", "{}");
    ASSERT_EQ(run["state"], "done") << run.dump(2);
    std::map<std::string, std::string> kind_of;
    // Today has not closed: the run reports, and moves nothing to suspense.
    EXPECT_EQ(run["final"], false);
    for (const auto& b : run["findings"]) {
        kind_of[b["reference"]] = b["kind"];
    }
    // Exactly the injected breaks: every other payment of the day (the fault-ridden runs of the
    // other tests included) matches or is still in flight.
    EXPECT_EQ(kind_of.size(), 3U) << run.dump(2);
    EXPECT_EQ(kind_of[dropped], "missing_there");
    EXPECT_EQ(kind_of[changed], "amount_mismatch");
    EXPECT_EQ(kind_of["FOREIGN0001"], "missing_here");
    EXPECT_GE(run["matched"].get<int>(), 1);

    // The ledger agrees with the positions to the cent (floats, suspense, a top-up).
    const auto topped = post(
        "/v1/settlement/top-ups",
        {{"partner", "mpesa"},
         {"amount", {{"amount", "100000.00"}, {"currency", "LSL"}}},
         {"reference", "E2E-" + hex_of(platform::new_uuid()).substr(0, 8)}},
        finance
    );
    EXPECT_EQ(topped.status, 201) << topped.body;
    const json positions = settled_positions();
    for (const auto& p : positions["partners"]) {
        EXPECT_EQ(minor_of(p["float"]), ledger_net(p["ledger_account_id"])) << p.dump(2);
        if (p["partner"] == "mpesa") {
            EXPECT_GE(minor_of(p["topped_up"]), 10'000'000);
        }
    }
    EXPECT_EQ(
        minor_of(positions["suspense"]["balance"]),
        ledger_net(positions["suspense"]["ledger_account_id"])
    );
    const auto verify = http().post_json("/v1/ledger/verify", "", {finance});
    EXPECT_EQ(body(verify)["ok"], true) << verify.body;
    const auto runs = get("/v1/reconciliation/runs?partner=mpesa&date=" + today, finance);
    EXPECT_EQ(runs.status, 200);
    EXPECT_EQ(body(runs)["items"][0]["id"], run_id);
}

}  // namespace
}  // namespace chelete
