// The families' USSD menu end to end (issue 8, point 1): `chelete all` on real PostgreSQL and
// Redis with the SMS simulator, whole sessions posted to POST /v1/ussd as the aggregator posts
// them (form fields, HTTP Basic, `text` growing by `*`). A beneficiary follows a cash pickup,
// has the voucher sent again and collects it with the new PIN; changes a method while the payout
// has not started; changes the PIN and logs in with it; meets wrong input at every menu, five
// wrong PINs and a lockout, an expired session, an unknown phone and a wrong credential.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/crypto.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/platform/redis.hpp>

#include "chelete_process.hpp"
#include "spec_check.hpp"

namespace chelete {
namespace {

using nlohmann::json;
using testing::HttpResult;
using namespace std::chrono_literals;

constexpr const char* kSmsKey = "e2e-sms-api-key";
constexpr const char* kCredential = "aggregator:e2e-ussd-aggregator-secret";
constexpr const char* kNationalId = "0123456789012";
constexpr const char* kMainSesotho =
    "CON Chelete\n1. Chelete e u romelletsoeng\n2. Romela voucher hape\n3. Khetha hore u e "
    "amohele joang\n4. Fetola PIN\n9. English";

std::string form_escape(const std::string& value) {
    std::string out;
    for (const unsigned char c : value) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.') {
            out += static_cast<char>(c);
        } else {
            constexpr const char* kHex = "0123456789ABCDEF";
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

json body(const HttpResult& r) {
    return json::parse(r.body, nullptr, false);
}

class UssdHttpITest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!testing::pg_dsn() || !testing::redis_options()) {
            return;
        }
        const auto sms_port = testing::unused_port();
        log_ = "/tmp/" + testing::unique_name("ussd_sims") + ".log";
        sms_ = new testing::ChildProcess(  // NOLINT(cppcoreguidelines-owning-memory)
            testing::built_program("chelete-simulator"),
            {"sms", "--port", std::to_string(sms_port), "--api-key", kSmsKey},
            {},
            log_
        );
        sms_admin_ = new testing::HttpClient(  // NOLINT(cppcoreguidelines-owning-memory)
            "http://127.0.0.1:" + std::to_string(sms_port)
        );
        const bool up = testing::wait_until(
            [] {
                try {
                    return sms_admin_->get("/healthz").status == 200;
                } catch (const std::exception&) {
                    return false;
                }
            },
            10s
        );
        if (!up) {
            ADD_FAILURE() << "the SMS simulator did not start; see " << log_;
            return;
        }
        watchlist_ = std::filesystem::temp_directory_path() /
                     (testing::unique_name("ussd_watchlist") + ".csv");
        std::ofstream{watchlist_} << "id,full_name,aliases,date_of_birth,list,reference\n"
                                     "INT-3,Lerato Ramakatsa,,,internal,case 2026-0042\n";
        chelete_ = new testing::CheleteProcess(  // NOLINT(cppcoreguidelines-owning-memory)
            {{"CHELETE_USSD_AGGREGATOR_CREDENTIAL", kCredential},
             {"CHELETE_COMPLIANCE_WATCHLIST", watchlist_.string()},
             {"CHELETE_SMS_BASE_URL", "http://127.0.0.1:" + std::to_string(sms_port)},
             {"CHELETE_SMS_API_KEY", kSmsKey},
             {"CHELETE_USSD_SESSION_TTL", "60s"},
             {"CHELETE_PAYOUT_JOBS_INTERVAL", "200ms"},
             {"CHELETE_RATE_LIMIT", "1000000"},
             {"CHELETE_RATE_BURST", "100000"}}
        );
    }
    static void TearDownTestSuite() {
        delete chelete_;    // NOLINT(cppcoreguidelines-owning-memory)
        delete sms_admin_;  // NOLINT(cppcoreguidelines-owning-memory)
        delete sms_;        // NOLINT(cppcoreguidelines-owning-memory)
        chelete_ = nullptr;
        sms_admin_ = nullptr;
        sms_ = nullptr;
        std::error_code ec;
        std::filesystem::remove(watchlist_, ec);
    }
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        CHELETE_REQUIRE_REDIS();
        ASSERT_NE(chelete_, nullptr);
        ASSERT_TRUE(chelete_->ready());
    }

    static testing::HttpClient& http() { return chelete_->http(); }

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

    /// One USSD session as the aggregator runs it: every turn posts all inputs so far.
    class Dial {
    public:
        explicit Dial(std::string phone)
            : phone_(std::move(phone)), session_("ATUid_" + platform::new_uuid()) {}

        /// The first turn (text empty).
        HttpResult start() { return post(""); }
        /// Adds one input and posts the session's whole text.
        HttpResult send(const std::string& input) {
            text_ += (inputs_++ == 0 ? "" : "*") + input;
            return post(text_);
        }
        /// Posts the last turn again (an aggregator retrying), through `client` (one per
        /// thread) if given.
        HttpResult repeat(testing::HttpClient* client = nullptr) { return post(text_, client); }
        /// Adds one input without posting it (repeat() posts it).
        void type(const std::string& input) { text_ += (inputs_++ == 0 ? "" : "*") + input; }
        [[nodiscard]] const std::string& session() const { return session_; }

    private:
        HttpResult post(const std::string& text, testing::HttpClient* client = nullptr) {
            const std::string form = "sessionId=" + form_escape(session_) +
                                     "&serviceCode=" + form_escape("*120*5050#") +
                                     "&phoneNumber=" + form_escape(phone_) +
                                     "&networkCode=65101&text=" + form_escape(text);
            auto r =
                (client != nullptr ? *client : http())
                    .request(
                        "POST",
                        "/v1/ussd",
                        form,
                        {"Content-Type: application/x-www-form-urlencoded",
                         "Authorization: Basic " + platform::crypto::base64_encode(kCredential)}
                    );
            (void)testing::check_against_spec("POST", "/v1/ussd", r);
            if (r.status == 200) {
                EXPECT_EQ(r.headers["content-type"].rfind("text/plain", 0), 0U) << r.body;
                // Every screen fits: "CON " or "END " and at most 182 characters.
                EXPECT_TRUE(r.body.rfind("CON ", 0) == 0 || r.body.rfind("END ", 0) == 0) << r.body;
                EXPECT_LE(r.body.size(), 4U + 182U) << r.body;
            }
            return r;
        }

        std::string phone_;
        std::string session_;
        std::string text_;
        std::size_t inputs_ = 0;
    };

    struct Family {
        std::string worker_id;
        std::string worker_auth;
        std::string beneficiary_id;
        std::string phone;  // the beneficiary's, E.164 with '+'
        std::string pin;    // the first PIN, from the welcome SMS
    };

    /// A worker (named `given family`) with R1,000 in the wallet, sending to a new beneficiary
    /// paid by `method` (with a national id on file unless `national_id` is false); the
    /// beneficiary's first PIN read from the welcome SMS.
    static Family family(
        const std::string& method,
        const std::string& given = "Teboho",
        const std::string& surname = "Lebona",
        bool national_id = true
    ) {
        Family f;
        f.phone = unique_phone("+2665");
        const auto r = http().post_json(
            "/v1/workers",
            json{
                {"given_name", given},
                {"family_name", surname},
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
        f.worker_id = body(r).value("id", "");
        f.worker_auth = chelete_->bearer("worker", f.worker_id);
        json beneficiary{
            {"full_name", "Palesa Nthako"},
            {"phone", f.phone},
            {"relationship", "parent"},
            {"payout_method", method}};
        if (national_id) {
            beneficiary["national_id"] = kNationalId;
        }
        const auto b =
            post("/v1/workers/" + f.worker_id + "/beneficiaries", beneficiary, f.worker_auth);
        EXPECT_EQ(b.status, 201) << b.body;
        f.beneficiary_id = body(b).value("id", "");
        static const std::regex kWelcomePin{"PIN[^0-9]*([0-9]{5})\\b"};
        EXPECT_TRUE(testing::wait_until(
            [&] {
                for (const auto& text : sms_to(f.phone)) {
                    std::smatch m;
                    if (text.find("Kena") != std::string::npos ||
                        text.find("Sign in") != std::string::npos) {
                        if (std::regex_search(text, m, kWelcomePin)) {
                            f.pin = m[1].str();
                            return true;
                        }
                    }
                }
                return false;
            },
            20s
        )) << "no welcome SMS reached "
           << f.phone;
        const std::string agent = chelete_->bearer("agent", agent_id_);
        const auto d = post(
            "/v1/deposits",
            {{"worker_id", f.worker_id}, {"amount", {{"amount", "1000.00"}, {"currency", "ZAR"}}}},
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
        return f;
    }

    /// Sends R`amount` to the family's beneficiary by `method`; returns the remittance id.
    static std::string send(const Family& f, const std::string& method, const std::string& amount) {
        const auto q = post(
            "/v1/quotes",
            {{"send_amount", {{"amount", amount}, {"currency", "ZAR"}}}, {"payout_method", method}},
            f.worker_auth
        );
        EXPECT_EQ(q.status, 201) << q.body;
        const auto r = post(
            "/v1/remittances",
            {{"quote_id", body(q).value("id", "")},
             {"beneficiary_id", f.beneficiary_id},
             {"purpose", "bop_417"},
             {"source_of_funds", "salary"}},
            f.worker_auth
        );
        EXPECT_EQ(r.status, 202) << r.body;
        return body(r).value("id", "");
    }

    static json remittance(const Family& f, const std::string& id) {
        return body(get("/v1/remittances/" + id, f.worker_auth));
    }
    /// Whether the remittance's payout method became `method` within 15 s (the action is carried
    /// out by message after the answer).
    static ::testing::AssertionResult method_becomes(
        const Family& f, const std::string& id, const std::string& method
    ) {
        json r;
        if (testing::wait_until(
                [&] {
                    r = remittance(f, id);
                    return r["payout"].value("method", "") == method;
                },
                15s
            )) {
            return ::testing::AssertionSuccess();
        }
        return ::testing::AssertionFailure() << r.dump(2);
    }
    static json wait_status(
        const Family& f,
        const std::string& id,
        const std::string& status,
        std::chrono::seconds limit
    ) {
        json r;
        EXPECT_TRUE(testing::wait_until(
            [&] {
                r = remittance(f, id);
                return r.value("status", "") == status;
            },
            limit
        )) << "remittance "
           << id << " never reached " << status << ": " << r.dump(2);
        return r;
    }

    /// Every SMS text the simulator delivered to `phone`, oldest first.
    static std::vector<std::string> sms_to(const std::string& phone) {
        std::vector<std::string> out;
        const json all = body(sms_admin_->get("/admin/messages?to=" + phone.substr(1)));
        if (all.contains("messages")) {
            for (const auto& m : all["messages"]) {
                out.push_back(m.value("text", ""));
            }
        }
        return out;
    }
    /// The voucher SMSes delivered to `phone` as (code, PIN), oldest first.
    static std::vector<std::pair<std::string, std::string>> vouchers_to(const std::string& phone) {
        static const std::regex kVoucher{"voucher ([0-9]{10}), PIN ([0-9]{6})"};
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& text : sms_to(phone)) {
            std::smatch m;
            if (std::regex_search(text, m, kVoucher)) {
                out.emplace_back(m[1].str(), m[2].str());
            }
        }
        return out;
    }

    static std::string login(const std::string& phone, const std::string& pin) {
        const auto r =
            http().post_json("/v1/auth/token", json{{"phone", phone}, {"pin", pin}}.dump());
        (void)testing::check_against_spec("POST", "/v1/auth/token", r);
        return std::to_string(r.status) + " " + body(r).value("type", std::string{});
    }

    /// A staff agent serving in Lesotho; returns its bearer header.
    static std::string lesotho_agent() {
        const auto admin = http().post_json(
            "/v1/auth/token",
            json{{"username", "admin"}, {"password", testing::CheleteProcess::kAdminPassword}}.dump(
            )
        );
        EXPECT_EQ(admin.status, 200) << admin.body;
        const std::string admin_auth =
            "Authorization: Bearer " + body(admin).value("access_token", std::string{});
        const std::string username = "agent" + platform::new_uuid().substr(0, 8);
        const auto created = post(
            "/v1/staff",
            {{"username", username},
             {"password", "agent-password-12"},
             {"role", "agent"},
             {"display_name", "Agent LS"},
             {"country", "LS"}},
            admin_auth
        );
        EXPECT_EQ(created.status, 201) << created.body;
        const auto r = http().post_json(
            "/v1/auth/token", json{{"username", username}, {"password", "agent-password-12"}}.dump()
        );
        EXPECT_EQ(r.status, 200) << r.body;
        return "Authorization: Bearer " + body(r).value("access_token", std::string{});
    }

    static std::string wrong_pin_for(const std::string& pin) {
        return pin == "24680" ? "13579" : "24680";
    }

    static inline testing::CheleteProcess* chelete_ = nullptr;
    static inline testing::ChildProcess* sms_ = nullptr;
    static inline testing::HttpClient* sms_admin_ = nullptr;
    static inline std::filesystem::path watchlist_;
    static inline std::string log_;
    static inline const std::string agent_id_ = platform::new_uuid();
};

// The issue's "done when": the family follows a cash pickup and collects it by USSD alone (the
// voucher SMS lost, so sent again from the menu).
TEST_F(UssdHttpITest, ABeneficiaryFollowsACashPickupAndCollectsItWithTheVoucherSentAgain) {
    const Family f = family("cash_pickup");
    const std::string id = send(f, "cash_pickup", "300.00");
    ASSERT_TRUE(testing::wait_until([&] { return vouchers_to(f.phone).size() == 1; }, 30s))
        << "no voucher SMS reached " << f.phone;
    const json r = wait_status(f, id, "payout_pending", 15s);
    const std::string receive = r["receive_amount"]["amount"];
    const auto first = vouchers_to(f.phone).front();

    // Seeing it: the list, then the detail, in Sesotho (the registered default).
    Dial look{f.phone};
    EXPECT_EQ(look.start().body, kMainSesotho);
    const auto list = look.send("1");
    EXPECT_EQ(list.body.rfind("CON Chelete e u romelletsoeng:\n1. M" + receive, 0), 0U)
        << list.body;
    EXPECT_NE(list.body.find("Teboho - e emetse uena"), std::string::npos) << list.body;
    const auto detail = look.send("1");
    EXPECT_EQ(detail.body.rfind("END Ref ", 0), 0U) << detail.body;
    EXPECT_NE(detail.body.find("ho agent"), std::string::npos) << detail.body;
    // In English for the rest of a session after "9".
    Dial english{f.phone};
    (void)english.start();
    EXPECT_EQ(english.send("9").body.rfind("CON Chelete\n1. Money sent to you", 0), 0U);
    EXPECT_NE(english.send("1").body.find("to collect"), std::string::npos);

    // The voucher again, with the PIN.
    Dial resend{f.phone};
    (void)resend.start();
    EXPECT_EQ(resend.send("2").body.rfind("CON Voucher ea efe?\n1. M" + receive, 0), 0U);
    EXPECT_EQ(resend.send("1").body.rfind("CON Romela voucher ea ", 0), 0U);
    const auto sent = resend.send(f.pin);
    EXPECT_EQ(sent.body.rfind("END Voucher ea ", 0), 0U) << sent.body;
    EXPECT_NE(sent.body.find("SMS"), std::string::npos) << sent.body;
    ASSERT_TRUE(testing::wait_until([&] { return vouchers_to(f.phone).size() == 2; }, 20s))
        << "the voucher was not sent again";
    const auto again = vouchers_to(f.phone).back();
    EXPECT_EQ(again.first, first.first) << "the same voucher, with a new PIN";
    // The aggregator posting the final turn again (its answer lost): the same answer, nothing
    // sent again (counted below).
    EXPECT_EQ(resend.repeat().body, sent.body);

    // Collected at a Lesotho agent with the new PIN; the old PIN no longer opens it.
    const std::string agent = lesotho_agent();
    if (first.second != again.second) {
        const auto old = post(
            "/v1/cash-pickups/redeem",
            {{"voucher_code", first.first},
             {"pin", first.second},
             {"recipient_national_id", kNationalId}},
            agent
        );
        EXPECT_EQ(old.status, 403) << old.body;
    }
    const auto paid = post(
        "/v1/cash-pickups/redeem",
        {{"voucher_code", again.first},
         {"pin", again.second},
         {"recipient_national_id", kNationalId}},
        agent
    );
    ASSERT_EQ(paid.status, 200) << paid.body;
    EXPECT_EQ(body(paid)["amount"]["amount"], receive);
    (void)wait_status(f, id, "paid", 30s);

    // Followed to the end: paid, and no voucher to send any more.
    Dial after{f.phone};
    (void)after.start();
    EXPECT_NE(after.send("1").body.find("e lefiloe"), std::string::npos);
    Dial none{f.phone};
    (void)none.start();
    EXPECT_EQ(none.send("2").body, "END Ha ho voucher e ka romeloang hape.");
    EXPECT_EQ(vouchers_to(f.phone).size(), 2U);
}

TEST_F(UssdHttpITest, AMethodIsChosenWhileThePayoutHasNotStartedAndRefusedAfter) {
    // The sender is on the internal watchlist: the remittance is held, before any payout.
    const Family f = family("mpesa", "Lerato", "Ramakatsa");
    const std::string id = send(f, "mpesa", "200.00");
    (void)wait_status(f, id, "held", 20s);
    Dial d{f.phone};
    (void)d.start();
    EXPECT_EQ(d.send("3").body.rfind("CON Khetha chelete:\n1. M", 0), 0U);
    const auto methods = d.send("1");
    EXPECT_NE(
        methods.body.find("E amohele ka:\n1. EcoCash\n2. chelete ho agent\n0. Morao"),
        std::string::npos
    ) << methods.body;
    EXPECT_NE(d.send("1").body.find("ka EcoCash.\nKenya PIN"), std::string::npos);
    const auto done = d.send(f.pin);
    EXPECT_EQ(done.body.rfind("END Ho lokile: ", 0), 0U) << done.body;
    ASSERT_TRUE(method_becomes(f, id, "ecocash"));
    EXPECT_EQ(remittance(f, id)["status"], "held");
    EXPECT_TRUE(testing::wait_until(
        [&] {
            for (const auto& text : sms_to(f.phone)) {
                if (text.find("ka ecocash") != std::string::npos) {
                    return true;
                }
            }
            return false;
        },
        15s
    )) << "no SMS confirmed the method";

    // Without a national id on file no agent could pay a cash pickup: neither offered nor taken.
    const Family n = family("mpesa", "Lerato", "Ramakatsa", false);
    const std::string no_id = send(n, "mpesa", "100.00");
    (void)wait_status(n, no_id, "held", 20s);
    Dial only{n.phone};
    (void)only.start();
    (void)only.send("3");
    const auto offered = only.send("1");
    EXPECT_NE(offered.body.find("E amohele ka:\n1. EcoCash\n0. Morao"), std::string::npos)
        << offered.body;

    // Once the payout has started the remittance service refuses, whatever the menu shows.
    const Family g = family("cash_pickup");
    const std::string started = send(g, "cash_pickup", "150.00");
    (void)wait_status(g, started, "payout_pending", 20s);
    platform::bus::BusClient client{
        platform::bus::BusOptions{*testing::redis_options()},
        testing::unique_name("ussd.test.replies")};
    client.start();
    // What the USSD service's outbox would send, asked with a reply.
    const auto choose = [&](const json& command) {
        return client.request_sync(
            platform::bus::OutgoingMessage{
                chelete_->remit_command_stream(), "remit.choose_method", command.dump(), "", ""},
            5s
        );
    };
    const auto reply =
        choose(json{{"remittance_id", started}, {"phone", g.phone}, {"method", "mpesa"}});
    ASSERT_TRUE(reply.has_value());
    const json answered = json::parse(reply->payload);
    EXPECT_EQ(answered["status"], 409) << reply->payload;
    // Someone else's phone is not the family's either.
    const auto foreign =
        choose(json{{"remittance_id", id}, {"phone", g.phone}, {"method", "mpesa"}});
    ASSERT_TRUE(foreign.has_value());
    EXPECT_EQ(json::parse(foreign->payload)["status"], 404) << foreign->payload;
    const auto no_national_id =
        choose(json{{"remittance_id", no_id}, {"phone", n.phone}, {"method", "cash_pickup"}});
    ASSERT_TRUE(no_national_id.has_value());
    EXPECT_EQ(json::parse(no_national_id->payload)["status"], 409) << no_national_id->payload;
    EXPECT_EQ(remittance(n, no_id)["payout"]["method"], "mpesa");
    client.stop();
    EXPECT_EQ(remittance(g, started)["payout"]["method"], "cash_pickup");
    EXPECT_EQ(remittance(f, id)["payout"]["method"], "ecocash");
    // And the menu does not offer it.
    Dial late{g.phone};
    (void)late.start();
    EXPECT_EQ(late.send("3").body, "END Ha ho chelete eo u ka fetolang hore u e amohele joang.");
}

// The menu reads the remittances afresh every turn; a remittance arriving while the family reads
// the list (newest first) must not turn their "1" into a choice they never saw.
TEST_F(UssdHttpITest, ARemittanceArrivingMidSessionDoesNotChangeWhatTheFamilyChose) {
    const Family f = family("mpesa", "Lerato", "Ramakatsa");  // on the watchlist: held
    const std::string first = send(f, "mpesa", "120.00");
    (void)wait_status(f, first, "held", 20s);
    Dial d{f.phone};
    (void)d.start();
    const auto list = d.send("3");
    const auto line = list.body.find("\n1. M");
    ASSERT_NE(line, std::string::npos) << list.body;
    EXPECT_EQ(list.body.find("\n2. M"), std::string::npos) << list.body;
    const std::string amount_shown =
        list.body.substr(line + 4, list.body.find(' ', line + 4) - (line + 4));  // "M113.00"
    const std::string second = send(f, "mpesa", "80.00");
    (void)wait_status(f, second, "held", 20s);
    // The aggregator posts the turn again (it lost the answer): the same screen, not the list as
    // it is now, so what the family sees is what the session remembers.
    EXPECT_EQ(d.repeat().body, list.body);
    const auto methods = d.send("1");  // the one shown: the first, now second in the list
    EXPECT_NE(methods.body.find(" " + amount_shown + "\nE amohele ka:"), std::string::npos)
        << methods.body;
    EXPECT_NE(d.send("1").body.find("ka EcoCash.\nKenya PIN"), std::string::npos);
    EXPECT_EQ(d.send(f.pin).body.rfind("END Ho lokile: ", 0), 0U);
    ASSERT_TRUE(method_becomes(f, first, "ecocash"));
    EXPECT_EQ(remittance(f, second)["payout"]["method"], "mpesa");
}

TEST_F(UssdHttpITest, APinChangedByUssdOpensTheLoginAndTheOldOneNoLonger) {
    const Family f = family("mpesa");
    EXPECT_EQ(login(f.phone, f.pin).substr(0, 3), "200");
    const std::string fresh = f.pin == "97531" ? "86420" : "97531";
    Dial d{f.phone};
    (void)d.start();
    EXPECT_EQ(d.send("4").body, "CON Kenya PIN ea hau (linomoro tse 5):\n0. Morao");
    EXPECT_EQ(d.send(f.pin).body, "CON Kenya PIN e ncha (linomoro tse 5):\n0. Morao");
    EXPECT_EQ(d.send(fresh).body, "CON Kenya PIN e ncha hape:\n0. Morao");
    EXPECT_EQ(d.send(fresh).body, "END PIN ea hau e fetohile.");
    // The session is over: the same final turn again gets the same answer, anything further is
    // a session that no longer exists.
    EXPECT_EQ(d.repeat().body, "END PIN ea hau e fetohile.");
    EXPECT_EQ(d.send("1").body, "END Nako e felile. Letsetsa hape.");
    EXPECT_TRUE(
        testing::wait_until([&] { return login(f.phone, fresh).substr(0, 3) == "200"; }, 15s)
    ) << "the new PIN does not open the login";
    EXPECT_EQ(login(f.phone, f.pin).substr(0, 3), "401");
}

// The final turn's transaction fails at commit (a deferred trigger, once) after the answer was
// worked out. Before the fix the answer was already kept in Redis and the session deleted, so
// the aggregator's retry was answered "PIN changed" from Redis with nothing recorded and nothing
// sent: the family was told a PIN they do not have. Now the answer is kept with the action in
// the same commit, and the retry does the action.
TEST_F(UssdHttpITest, AFinalTurnWhoseCommitFailedIsDoneOnTheRetry) {
    const std::string schema = chelete_->ussd_schema();
    const auto sql = [](const std::string& statement) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec(statement);
        tx.commit();
    };
    sql("CREATE SEQUENCE " + schema + ".fail_once");
    sql("CREATE FUNCTION " + schema +
        ".fail_first_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF nextval('" + schema +
        ".fail_once') = 1 THEN RAISE EXCEPTION 'test: the first commit of an action fails'; "
        "END IF; RETURN NULL; END $$");
    sql("CREATE CONSTRAINT TRIGGER fail_first AFTER INSERT ON " + schema +
        ".actions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " + schema +
        ".fail_first_commit()");
    struct DropTrigger {
        std::function<void(const std::string&)> run;
        std::string statement;
        ~DropTrigger() { run(statement); }
    } drop{sql, "DROP TRIGGER fail_first ON " + schema + ".actions"};

    const Family f = family("mpesa");
    const std::string fresh = f.pin == "97531" ? "86420" : "97531";
    Dial d{f.phone};
    (void)d.start();
    (void)d.send("4");
    (void)d.send(f.pin);
    (void)d.send(fresh);
    // The consumer tries the failed message again by itself (or the aggregator posts the final
    // turn again) until it has an answer.
    testing::HttpResult answered = d.send(fresh);
    ASSERT_TRUE(testing::wait_until(
        [&] {
            if (answered.status != 200) {
                answered = d.repeat();
            }
            return answered.status == 200;
        },
        60s
    )) << answered.status
       << " " << answered.body;
    {
        // The trigger ran twice: the commit that failed and the one that held.
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        EXPECT_EQ(tx.exec1("SELECT last_value FROM " + schema + ".fail_once")[0].as<int>(), 2);
    }
    EXPECT_EQ(answered.body, "END PIN ea hau e fetohile.");
    EXPECT_TRUE(
        testing::wait_until([&] { return login(f.phone, fresh).substr(0, 3) == "200"; }, 20s)
    ) << "told the PIN changed, but the new PIN does not open the login";
    EXPECT_EQ(login(f.phone, f.pin).substr(0, 3), "401");
}

TEST_F(UssdHttpITest, WrongInputAtEveryMenuKeepsTheMenuAndSaysSo) {
    const Family f = family("cash_pickup", "Lerato", "Ramakatsa");
    (void)send(f, "cash_pickup", "120.00");  // held: listed, and its method can change
    ASSERT_TRUE(testing::wait_until(
        [&] {
            Dial probe{f.phone};
            (void)probe.start();
            return probe.send("1").body.find("e tseleng") != std::string::npos;
        },
        20s
    ));
    constexpr const char* kInvalid = "CON Khetho e fosahetse.\n";
    Dial d{f.phone};
    (void)d.start();
    // The first menu: out of range, letters, two digits, empty, then "0" (no "back" there).
    for (const char* wrong : {"7", "ab", "12", "", "0"}) {
        EXPECT_EQ(d.send(wrong).body, std::string{kInvalid} + (kMainSesotho + 4)) << wrong;
    }
    // The list: out of range, then back.
    EXPECT_EQ(d.send("1").body.rfind("CON Chelete e u romelletsoeng:", 0), 0U);
    EXPECT_EQ(d.send("5").body.rfind(std::string{kInvalid} + "Chelete e u romelletsoeng:", 0), 0U);
    EXPECT_EQ(d.send("0").body, kMainSesotho);
    // The remittance to change: wrong, then the methods: wrong, then the PIN: wrong shape.
    EXPECT_EQ(d.send("3").body.rfind("CON Khetha chelete:", 0), 0U);
    EXPECT_EQ(d.send("x").body.rfind(std::string{kInvalid} + "Khetha chelete:", 0), 0U);
    (void)d.send("1");
    const auto bad_method = d.send("3");
    EXPECT_EQ(bad_method.body.rfind(kInvalid, 0), 0U) << bad_method.body;
    EXPECT_NE(bad_method.body.find("E amohele ka:"), std::string::npos);
    (void)d.send("2");
    EXPECT_EQ(d.send("123").body.rfind("CON PIN ke linomoro tse 5.\n", 0), 0U);
    EXPECT_EQ(d.send("0").body.find("E amohele ka:") != std::string::npos, true);
    EXPECT_EQ(d.send("0").body.rfind("CON Khetha chelete:", 0), 0U);
    EXPECT_EQ(d.send("0").body, kMainSesotho);
    // Change PIN: a weak new PIN, then two that differ.
    (void)d.send("4");
    EXPECT_EQ(d.send(f.pin).body.rfind("CON Kenya PIN e ncha", 0), 0U);
    EXPECT_EQ(d.send("11111").body.rfind("CON PIN eo e bonolo haholo.\n", 0), 0U);
    EXPECT_EQ(d.send("12345").body.rfind("CON PIN eo e bonolo haholo.\n", 0), 0U);
    EXPECT_EQ(d.send("97531").body, "CON Kenya PIN e ncha hape:\n0. Morao");
    EXPECT_EQ(d.send("97532").body.rfind("CON Li-PIN ha li tsamaisane.\n", 0), 0U);
    EXPECT_EQ(d.send("0").body, kMainSesotho);
    // The voucher list (none issued while held).
    EXPECT_EQ(d.send("2").body, "END Ha ho voucher e ka romeloang hape.");
    // Nothing was changed by any of it: the first PIN still logs in.
    EXPECT_EQ(login(f.phone, f.pin).substr(0, 3), "200");
}

TEST_F(UssdHttpITest, FiveWrongPinsLockTheLoginForUssdAndTheApiAlike) {
    const Family f = family("mpesa");
    const std::string wrong = wrong_pin_for(f.pin);
    Dial d{f.phone};
    (void)d.start();
    (void)d.send("4");
    for (int i = 1; i <= 4; ++i) {
        EXPECT_EQ(d.send(wrong).body.rfind("CON PIN e fosahetse.\n", 0), 0U) << i;
    }
    EXPECT_EQ(
        d.send(wrong).body,
        "END PIN e notletsoe ka lebaka la liteko tse fosahetseng. Leka hape hamorao."
    );
    // Locked for a new session even with the right PIN, and for the API login.
    Dial again{f.phone};
    (void)again.start();
    (void)again.send("4");
    EXPECT_EQ(again.send(f.pin).body.rfind("END PIN e notletsoe", 0), 0U);
    EXPECT_EQ(login(f.phone, f.pin), "401 /problems/login-locked");
}

// An aggregator may post a turn again while the first copy is still being answered, and two
// gateways may take the copies at once. A PIN check counts towards the lockout, so the copies are
// answered one after the other (a lock per session) and the PIN is checked once.
TEST_F(UssdHttpITest, CopiesOfOneTurnAnsweredAtOnceCheckThePinOnce) {
    const Family f = family("mpesa");
    Dial d{f.phone};
    (void)d.start();
    (void)d.send("4");
    d.type(wrong_pin_for(f.pin));
    constexpr int kCopies = 6;
    std::vector<std::string> bodies(kCopies);
    {
        std::vector<std::thread> posts;
        for (int i = 0; i < kCopies; ++i) {
            posts.emplace_back([&, i] {
                testing::HttpClient client{chelete_->base_url()};
                bodies[static_cast<std::size_t>(i)] = d.repeat(&client).body;
            });
        }
        for (auto& t : posts) {
            t.join();
        }
    }
    for (const auto& body : bodies) {
        EXPECT_EQ(body.rfind("CON PIN e fosahetse.\n", 0), 0U) << body;
    }
    pqxx::connection c{*testing::pg_dsn()};
    pqxx::read_transaction tx{c};
    EXPECT_EQ(
        tx.exec_params1(
              "SELECT failed_logins FROM " + chelete_->registry_schema() +
                  ".beneficiary_logins WHERE phone = $1",
              f.phone
        )[0]
            .as<int>(),
        1
    ) << "one wrong PIN typed, counted once";
}

TEST_F(UssdHttpITest, AnExpiredSessionEndsAndTheNextDialStartsFresh) {
    const Family f = family("mpesa");
    Dial d{f.phone};
    EXPECT_EQ(d.start().body, kMainSesotho);
    platform::RedisClient redis{*testing::redis_options()};
    const std::string key = chelete_->ussd_session_prefix() + d.session();
    const auto ttl = redis.command({"PTTL", key});
    ASSERT_TRUE(ttl.value().is_integer());
    EXPECT_GT(ttl.value().integer(), 50'000);  // CHELETE_USSD_SESSION_TTL=60s, renewed each turn
    EXPECT_LE(ttl.value().integer(), 60'000);
    (void)d.send("4");
    EXPECT_EQ(d.send(wrong_pin_for(f.pin)).body.rfind("CON PIN e fosahetse.", 0), 0U);
    // What the TTL does when it runs out.
    (void)redis.command({"DEL", key});
    EXPECT_EQ(d.send(f.pin).body, "END Nako e felile. Letsetsa hape.");
    // The one wrong try counted; a new dial starts from the first menu.
    Dial fresh{f.phone};
    EXPECT_EQ(fresh.start().body, kMainSesotho);
    EXPECT_EQ(fresh.send("4").body.rfind("CON Kenya PIN", 0), 0U);
}

TEST_F(UssdHttpITest, UnknownPhonesBadFormsAndWrongCredentialsAreRefused) {
    Dial stranger{unique_phone("+2665")};
    EXPECT_EQ(stranger.start().body, "END Nomoro ena ha e ngolisoe ho Chelete.");
    // A wrong credential, or none.
    const std::string form = "sessionId=x1&serviceCode=%2A120%23&phoneNumber=%2B26650000001&text=";
    for (const auto& auth :
         {std::string{"Authorization: Basic "} + platform::crypto::base64_encode("aggregator:nope"),
          std::string{}}) {
        std::vector<std::string> headers{"Content-Type: application/x-www-form-urlencoded"};
        if (!auth.empty()) {
            headers.push_back(auth);
        }
        const auto r = http().request("POST", "/v1/ussd", form, headers);
        EXPECT_EQ(r.status, 401) << r.body;
        (void)testing::check_against_spec("POST", "/v1/ussd", r);
    }
    const auto send_form = [&](const std::string& f) {
        auto r = http().request(
            "POST",
            "/v1/ussd",
            f,
            {"Content-Type: application/x-www-form-urlencoded",
             "Authorization: Basic " + platform::crypto::base64_encode(kCredential)}
        );
        (void)testing::check_against_spec("POST", "/v1/ussd", r);
        return r;
    };
    // No phone: the gateway's schema names it.
    const auto missing = send_form("sessionId=x2&serviceCode=%2A120%23&text=");
    EXPECT_EQ(missing.status, 422) << missing.body;
    EXPECT_NE(missing.body.find("phoneNumber"), std::string::npos) << missing.body;
    // A national number (leading 0): the USSD service names it.
    const auto national =
        send_form("sessionId=x3&serviceCode=%2A120%23&phoneNumber=057123456&text=");
    EXPECT_EQ(national.status, 400) << national.body;
    EXPECT_EQ(body(national)["errors"][0]["field"], "phoneNumber") << national.body;
    // A bad escape.
    const auto escape =
        send_form("sessionId=x4&serviceCode=%2A120%23&phoneNumber=%2B26650000001&text=%G1");
    EXPECT_EQ(escape.status, 400) << escape.body;
    // JSON is not the aggregator's form.
    const auto as_json = http().request(
        "POST",
        "/v1/ussd",
        R"({"sessionId":"x5"})",
        {"Content-Type: application/json",
         "Authorization: Basic " + platform::crypto::base64_encode(kCredential)}
    );
    EXPECT_EQ(as_json.status, 415) << as_json.body;
}

}  // namespace
}  // namespace chelete
