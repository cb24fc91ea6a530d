// Remittances end to end through the gateway (issue 5): `chelete all` on the real PostgreSQL and
// Redis, the ledger, compliance with a watchlist file, and a test partner answering payout.cmd.
// Workers register, agents take their cash, they quote and send; each failure the issue names is
// driven through the API, and a seeded random run ends with the ledger verified and every
// remittance consistent with its transfers.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/crypto.hpp>
#include <chelete/platform/money.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/platform/redis.hpp>
#include <chelete/remittance/service.hpp>

#include "chelete_process.hpp"
#include "payout_responder.hpp"
#include "spec_check.hpp"

namespace chelete {
namespace {

using nlohmann::json;
using testing::HttpResult;
using testing::PayoutOutcome;
using namespace std::chrono_literals;

const std::set<std::string> kFinal{"paid", "refunded", "rejected", "cancelled"};

// Ledger transfer flags as the ledger stores them (ledger/include/chelete/ledger/types.hpp).
constexpr int kLinked = 1;
constexpr int kPending = 2;
constexpr int kPostPending = 4;
constexpr int kVoidPending = 8;

/// `LOCK TABLE … IN EXCLUSIVE MODE` until destroyed: plain reads go on, while every writer and
/// every SELECT … FOR UPDATE on the table waits. Tests use it to hold one step of the saga.
/// `ACCESS EXCLUSIVE` holds plain reads too.
class TableLock {
public:
    explicit TableLock(const std::string& table, const std::string& mode = "EXCLUSIVE")
        : conn_{*testing::pg_dsn()}, tx_{conn_} {
        tx_.exec0("LOCK TABLE " + table + " IN " + mode + " MODE");
    }

private:
    pqxx::connection conn_;
    pqxx::work tx_;  // never committed: the destructor rolls back, which releases the lock
};

struct Sender {
    std::string id;
    std::string method;  // the beneficiary's payout method
    std::string auth;    // "Authorization: Bearer …"
    std::string beneficiary_id;
};

class RemittanceHttpITest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!testing::pg_dsn() || !testing::redis_options()) {
            return;
        }
        watchlist_ =
            std::filesystem::temp_directory_path() / (testing::unique_name("watchlist") + ".csv");
        std::ofstream{watchlist_} << "id,full_name,aliases,date_of_birth,list,reference\n"
                                     "UN-1,Tšepiso Mokoena,Ts'epo Mokoena,,sanctions,UN QDi.999\n"
                                     "INT-3,Lerato Ramakatsa,,,internal,case 2026-0042\n";
        chelete_ = new testing::CheleteProcess(  // NOLINT(cppcoreguidelines-owning-memory)
            {{"CHELETE_COMPLIANCE_WATCHLIST", watchlist_.string()},
             {"CHELETE_REMIT_STUCK_AFTER", "5s"},
             // One agent and one officer poll a lot: the per-client limit is not under test here.
             {"CHELETE_RATE_LIMIT", "1000000"},
             {"CHELETE_RATE_BURST", "100000"},
             {"CHELETE_REMIT_SWEEP_INTERVAL", "1s"}}
        );
        responder_ = new testing::PayoutResponder(  // NOLINT(cppcoreguidelines-owning-memory)
            chelete_->payout_command_stream(),
            chelete_->payout_event_stream(),
            [](const json& request) {
                std::lock_guard lock{outcomes_mutex_};
                const auto it = outcomes_.find(request["recipient"].value("beneficiary_id", ""));
                return it == outcomes_.end() ? PayoutOutcome::kPaid : it->second;
            }
        );
    }
    static void TearDownTestSuite() {
        std::cout << "[remittance] " << checked_responses_
                  << " responses checked against the spec\n";
        delete responder_;  // NOLINT(cppcoreguidelines-owning-memory)
        responder_ = nullptr;
        delete chelete_;  // NOLINT(cppcoreguidelines-owning-memory)
        chelete_ = nullptr;
        std::filesystem::remove(watchlist_);
    }
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        CHELETE_REQUIRE_REDIS();
        ASSERT_NE(chelete_, nullptr);
        ASSERT_TRUE(chelete_->ready());
    }

    static testing::HttpClient& http() { return chelete_->http(); }
    static json body(const HttpResult& r) { return json::parse(r.body, nullptr, false); }

    static HttpResult post(
        const std::string& path,
        const json& payload,
        const std::string& auth,
        const std::string& key = platform::new_uuid()
    ) {
        auto r = http().post_json(
            path, payload.is_null() ? "" : payload.dump(), {"Idempotency-Key: " + key, auth}
        );
        if (testing::check_against_spec("POST", path, r)) {
            ++checked_responses_;
        }
        return r;
    }
    static HttpResult get(const std::string& path, const std::string& auth) {
        auto r = http().get(path, {auth});
        if (testing::check_against_spec("GET", path, r)) {
            ++checked_responses_;
        }
        return r;
    }

    static std::string unique_phone(const std::string& prefix) {
        std::string out = prefix;
        while (out.size() < 12) {
            out += static_cast<char>('0' + platform::crypto::random_u64() % 10);
        }
        return out;
    }

    /// A registered worker (tier basic: passport, no permit) with one beneficiary.
    static Sender new_sender(
        const std::string& beneficiary_name = "Palesa Nthako",
        const std::string& method = "mpesa",
        PayoutOutcome outcome = PayoutOutcome::kPaid
    ) {
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
        s.method = method;
        json beneficiary{
            {"full_name", beneficiary_name},
            {"phone", unique_phone("+2665")},
            {"relationship", "parent"},
            {"payout_method", method}};
        if (method == "cash_pickup") {
            beneficiary["national_id"] =
                "LS" + std::to_string(10'000'000 + platform::crypto::random_u64() % 80'000'000);
        }
        const auto b = post("/v1/workers/" + s.id + "/beneficiaries", beneficiary, s.auth);
        EXPECT_EQ(b.status, 201) << b.body;
        s.beneficiary_id = body(b).value("id", "");
        std::lock_guard lock{outcomes_mutex_};
        outcomes_[s.beneficiary_id] = outcome;
        return s;
    }

    static json money(const std::string& amount, const std::string& currency = "ZAR") {
        return json{{"amount", amount}, {"currency", currency}};
    }

    /// Cash in at an agent and wait until the ledger has it.
    static void deposit(const Sender& s, const std::string& amount) {
        const std::string agent = chelete_->bearer("agent", agent_id_);
        const auto r =
            post("/v1/deposits", {{"worker_id", s.id}, {"amount", money(amount)}}, agent);
        ASSERT_EQ(r.status, 201) << r.body;
        const std::string id = body(r)["id"];
        json d;
        ASSERT_TRUE(testing::wait_until(
            [&] {
                d = body(get("/v1/deposits/" + id, agent));
                return d.value("status", "") != "pending";
            },
            15s
        )) << "deposit never completed";
        ASSERT_EQ(d["status"], "completed") << d.dump();
    }

    static json wallet(const Sender& s) {
        const auto r = get("/v1/workers/" + s.id + "/wallet", s.auth);
        EXPECT_EQ(r.status, 200) << r.body;
        return body(r);
    }

    /// The wallet once nothing is held: a remittance is `paid` (or refunded) when the partner's
    /// answer is recorded, and the ledger's post (or void) of its reservation follows by message,
    /// so the posted balance trails the status by a moment.
    static json settled_wallet(const Sender& s) {
        (void)testing::wait_until([&] { return wallet(s)["held"] == money("0.00"); }, 10s);
        return wallet(s);
    }

    static json quote(
        const Sender& s, const std::string& send_amount, const std::string& method = "mpesa"
    ) {
        const auto r = post(
            "/v1/quotes", {{"send_amount", money(send_amount)}, {"payout_method", method}}, s.auth
        );
        EXPECT_EQ(r.status, 201) << r.body;
        return body(r);
    }

    static HttpResult send(
        const Sender& s, const std::string& quote_id, const std::string& key = platform::new_uuid()
    ) {
        return post(
            "/v1/remittances",
            {{"quote_id", quote_id},
             {"beneficiary_id", s.beneficiary_id},
             {"purpose", "bop_417"},
             {"source_of_funds", "salary"}},
            s.auth,
            key
        );
    }

    /// Polls the remittance until its status is one of `statuses`.
    static json wait_for(
        const Sender& s, const std::string& id, const std::set<std::string>& statuses
    ) {
        json r;
        const bool reached = testing::wait_until(
            [&] {
                r = body(get("/v1/remittances/" + id, s.auth));
                return statuses.contains(r.value("status", ""));
            },
            20s
        );
        EXPECT_TRUE(reached) << "remittance " << id << " stuck in " << r.dump(2);
        return r;
    }

    static std::vector<std::string> statuses_of(const json& remittance) {
        std::vector<std::string> out;
        for (const auto& h : remittance["status_history"]) {
            out.push_back(h["status"]);
        }
        return out;
    }

    static std::string officer() { return chelete_->bearer("compliance_officer", officer_id_); }
    static std::string finance() { return chelete_->bearer("finance", finance_id_); }

    static std::string header_of(const HttpResult& r, const std::string& lower_case_name) {
        const auto it = r.headers.find(lower_case_name);
        return it == r.headers.end() ? std::string{} : it->second;
    }

    static std::int64_t minor_of(const json& m) {
        return *platform::parse_minor_units(m.value("amount", std::string{"x"}));
    }

    static std::string in_transit_account() { return remittance::derived_id("system:in_transit"); }
    static std::string revenue_account() { return remittance::derived_id("system:fee_revenue"); }

    /// A ledger account's committed balances in minor units, as finance reads them.
    static json ledger_balances(const std::string& account_id) {
        const auto r = get("/v1/ledger/accounts/" + account_id, finance());
        EXPECT_EQ(r.status, 200) << r.body;
        const json account = body(r);
        json out = json::object();
        for (const char* k :
             {"debits_pending", "debits_posted", "credits_pending", "credits_posted"}) {
            out[k] = r.status == 200 ? minor_of(account["balances"][k]) : -1;
        }
        return out;
    }

    /// A transfer as the ledger committed it (its own table); null when it has none.
    static json ledger_transfer(const std::string& id) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        const auto rows = tx.exec_params(
            "SELECT debit_account_id::text, credit_account_id::text, amount, pending_id::text, "
            "flags FROM " +
                chelete_->ledger_schema() + ".transfers WHERE id = $1::uuid",
            id
        );
        if (rows.empty()) {
            return json{};
        }
        return json{
            {"debit", rows[0][0].as<std::string>()},
            {"credit", rows[0][1].as<std::string>()},
            {"amount", rows[0][2].as<std::int64_t>()},
            {"pending_id", rows[0][3].as<std::string>()},
            {"flags", rows[0][4].as<int>()}};
    }

    /// What the remittance service stores beside the status (not in the API).
    static json remit_row(const std::string& id) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        const auto r = tx.exec_params1(
            "SELECT status, ledger_state, partner_reference, reserve_transfer_id::text, "
            "reserve_fee_transfer_id::text, settle_transfer_id::text, send_minor, fee_minor FROM " +
                chelete_->remit_schema() + ".remittances WHERE id = $1",
            id
        );
        const auto text = [](const pqxx::field& f) {
            return f.is_null() ? json(nullptr) : json(f.as<std::string>());
        };
        return json{
            {"status", r[0].as<std::string>()},
            {"ledger_state", r[1].as<std::string>()},
            {"partner_reference", text(r[2])},
            {"reserve_id", r[3].as<std::string>()},
            {"reserve_fee_id", r[4].as<std::string>()},
            {"settle_id", text(r[5])},
            {"send", r[6].as<std::int64_t>()},
            {"fee", r[7].as<std::int64_t>()}};
    }

    /// Rows of the remittance service's outbox that name the remittance (commands and events).
    static int outbox_rows_about(const std::string& id) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        return tx
            .exec_params1(
                "SELECT count(*) FROM " + chelete_->remit_schema() +
                    ".outbox WHERE strpos(payload, $1) > 0",
                id
            )[0]
            .as<int>();
    }

    /// Whether a consumer of the remittance service has handled the bus message (its inbox row).
    static bool remit_handled(const std::string& message_id) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        return tx.exec_params1(
                     "SELECT count(*) FROM " + chelete_->remit_schema() +
                         ".inbox WHERE message_id = $1",
                     message_id
               )[0]
                   .as<int>() > 0;
    }

    /// A remittance cancelled after its approval (reservation asked for): cancelled, with the
    /// history saying so; both pending transfers (principal and fee) in the ledger and both voided,
    /// never posted; the wallet whole again; in transit and revenue back where they were; and
    /// nothing ever sent to the partner.
    static void expect_reservation_voided_by_cancel(
        const Sender& s,
        const std::string& id,
        const std::string& deposited,
        const json& in_transit_before,
        const json& revenue_before
    ) {
        // The reservation's reply (late: after the cancel) comes first on the ledger's reply
        // stream, then the void's: once voided is recorded, both were handled.
        ASSERT_TRUE(
            testing::wait_until([&] { return remit_row(id)["ledger_state"] == "voided"; }, 20s)
        ) << remit_row(id).dump();
        const json r = body(get("/v1/remittances/" + id, s.auth));
        EXPECT_EQ(r["status"], "cancelled") << r.dump(2);
        EXPECT_EQ(
            statuses_of(r),
            (std::vector<std::string>{"created", "screening", "approved", "cancelled"})
        ) << r.dump(2);
        EXPECT_EQ(r["status_history"].back()["reason"], "cancelled by the sender");
        EXPECT_TRUE(r["payout"]["partner_reference"].is_null()) << r.dump(2);

        const json row = remit_row(id);
        const std::int64_t send = row["send"];
        const std::int64_t fee = row["fee"];
        ASSERT_GT(fee, 0) << "the fee has a transfer of its own only when there is a fee";
        const std::string wallet = remittance::wallet_account_id(s.id);
        const json principal = ledger_transfer(row["reserve_id"]);
        const json fee_reserve = ledger_transfer(row["reserve_fee_id"]);
        ASSERT_FALSE(principal.is_null()) << "the principal was never reserved";
        ASSERT_FALSE(fee_reserve.is_null()) << "the fee was never reserved";
        EXPECT_EQ(
            principal,
            (json{
                {"debit", wallet},
                {"credit", in_transit_account()},
                {"amount", send - fee},
                {"pending_id", "00000000-0000-0000-0000-000000000000"},
                {"flags", kPending | kLinked}})
        );
        EXPECT_EQ(
            fee_reserve,
            (json{
                {"debit", wallet},
                {"credit", revenue_account()},
                {"amount", fee},
                {"pending_id", "00000000-0000-0000-0000-000000000000"},
                {"flags", kPending}})
        );
        const std::string void_id = remittance::derived_id("void:" + id);
        EXPECT_EQ(row["settle_id"], void_id);
        const json void_principal = ledger_transfer(void_id);
        const json void_fee = ledger_transfer(remittance::derived_id("void-fee:" + id));
        ASSERT_FALSE(void_principal.is_null()) << "the principal's reservation was not voided";
        ASSERT_FALSE(void_fee.is_null()) << "the fee's reservation was not voided";
        EXPECT_EQ(void_principal["pending_id"], row["reserve_id"]);
        EXPECT_EQ(void_principal["flags"], kVoidPending | kLinked);
        EXPECT_EQ(void_fee["pending_id"], row["reserve_fee_id"]);
        EXPECT_EQ(void_fee["flags"], kVoidPending);
        EXPECT_TRUE(ledger_transfer(remittance::derived_id("post:" + id)).is_null());
        EXPECT_TRUE(ledger_transfer(remittance::derived_id("post-fee:" + id)).is_null());

        const json w = wallet_of(s);
        EXPECT_EQ(w["balance"], money(deposited));
        EXPECT_EQ(w["available"], money(deposited));
        EXPECT_EQ(w["held"], money("0.00"));
        EXPECT_EQ(ledger_balances(in_transit_account()), in_transit_before);
        EXPECT_EQ(ledger_balances(revenue_account()), revenue_before);
        EXPECT_EQ(responder_->requests_for(id), 0)
            << "a cancelled remittance never reaches the partner";
    }

    /// The wallet once nothing is held for the worker any more.
    static json wallet_of(const Sender& s) {
        testing::wait_until([&] { return wallet(s)["held"] == money("0.00"); }, 10s);
        return wallet(s);
    }

    /// A payout answer for a remittance that never reached the partner (a late, stray or forged
    /// one) changes nothing: not the remittance, not its history, not the ledger, no message.
    static void expect_late_payout_changes_nothing(const Sender& s, const std::string& id) {
        const json before = body(get("/v1/remittances/" + id, s.auth));
        const json row_before = remit_row(id);
        const json wallet_before = wallet(s);
        const int outbox_before = outbox_rows_about(id);
        const std::string message =
            responder_->answer(id, "paid", before["payout"]["reference"].get<std::string>());
        ASSERT_TRUE(testing::wait_until([&] { return remit_handled(message); }, 15s))
            << "the payout event was never handled";
        EXPECT_EQ(body(get("/v1/remittances/" + id, s.auth)), before);
        EXPECT_EQ(remit_row(id), row_before);
        EXPECT_EQ(outbox_rows_about(id), outbox_before) << "no event, command or SMS";
        EXPECT_TRUE(ledger_transfer(remittance::derived_id("post:" + id)).is_null());
        EXPECT_EQ(wallet(s), wallet_before);
        // Nor does a voucher: it belongs to a payout with the partner.
        const std::string voucher =
            responder_->voucher(id, "VC-" + id.substr(0, 8), "2030-01-01T00:00:00Z");
        ASSERT_TRUE(testing::wait_until([&] { return remit_handled(voucher); }, 15s))
            << "the voucher event was never handled";
        EXPECT_EQ(body(get("/v1/remittances/" + id, s.auth)), before);
        EXPECT_EQ(outbox_rows_about(id), outbox_before) << "no event, command or SMS";
    }

    /// The open case of a held remittance.
    static json case_of(const std::string& remittance_id) {
        const auto r = get("/v1/compliance/cases?status=open", officer());
        EXPECT_EQ(r.status, 200) << r.body;
        const json page = body(r);  // named: a range over body(r)["items"] would dangle
        for (const auto& c : page["items"]) {
            if (c.contains("remittance_id") && c["remittance_id"] == json(remittance_id)) {
                return c;
            }
        }
        ADD_FAILURE() << "no open case for " << remittance_id << " in " << r.body;
        return json{};
    }

    static inline testing::CheleteProcess* chelete_ = nullptr;
    static inline testing::PayoutResponder* responder_ = nullptr;
    static inline std::filesystem::path watchlist_;
    static inline std::mutex outcomes_mutex_;
    static inline std::map<std::string, PayoutOutcome> outcomes_;
    static inline int checked_responses_ = 0;
    static inline const std::string agent_id_ = platform::new_uuid();
    static inline const std::string officer_id_ = platform::new_uuid();
    static inline const std::string finance_id_ = platform::new_uuid();
};

TEST_F(RemittanceHttpITest, HappyPathFromCashInToPaidOut) {
    const Sender s = new_sender("'Mathabo Lebona");
    json w = wallet(s);
    EXPECT_EQ(w["balance"], money("0.00"));
    deposit(s, "1000.00");
    w = wallet(s);
    EXPECT_EQ(w["balance"], money("1000.00"));
    EXPECT_EQ(w["available"], money("1000.00"));

    const json q = quote(s, "500.00");
    EXPECT_EQ(q["fee"], money("7.00"));
    EXPECT_EQ(q["receive_amount"], money("493.00", "LSL"));
    EXPECT_EQ(q["state"], "issued");

    const std::string key = platform::new_uuid();
    const auto created = send(s, q["id"], key);
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string id = body(created)["id"];
    EXPECT_EQ(body(created)["status"], "screening");
    // A retry with the same key is the same remittance.
    const auto again = send(s, q["id"], key);
    ASSERT_EQ(again.status, 202) << again.body;
    EXPECT_EQ(body(again)["id"], id);

    const json paid = wait_for(s, id, kFinal);
    EXPECT_EQ(paid["status"], "paid") << paid.dump(2);
    EXPECT_EQ(
        statuses_of(paid),
        (std::vector<std::string>{
            "created", "screening", "approved", "funded", "payout_pending", "paid"})
    );
    EXPECT_EQ(paid["send_amount"], money("500.00"));
    EXPECT_EQ(paid["fee"], money("7.00"));
    EXPECT_EQ(paid["receive_amount"], money("493.00", "LSL"));
    EXPECT_EQ(paid["purpose"], "bop_417");
    std::cout << "[remittance] a paid remittance as GET /v1/remittances/{id} answers it:\n"
              << paid.dump(2) << "\n";

    // The partner was asked once, with what it needs to pay.
    EXPECT_EQ(responder_->requests_for(id), 1);
    const json request = responder_->request_of(id);
    EXPECT_EQ(request["amount_minor"], 49300);
    EXPECT_EQ(request["currency"], "LSL");
    EXPECT_EQ(request["method"], "mpesa");
    EXPECT_EQ(request["recipient"]["beneficiary_id"], s.beneficiary_id);
    EXPECT_EQ(request["payout_reference"], paid["payout"]["reference"]);

    // The wallet paid the send amount, fee included; nothing is held any more.
    testing::wait_until([&] { return wallet(s)["held"] == money("0.00"); }, 5s);
    w = wallet(s);
    EXPECT_EQ(w["balance"], money("500.00"));
    EXPECT_EQ(w["available"], money("500.00"));

    // A used quote is refused; another worker sees nothing; staff see it (and it is logged).
    EXPECT_EQ(send(s, q["id"]).status, 409);
    const Sender other = new_sender();
    EXPECT_EQ(get("/v1/remittances/" + id, other.auth).status, 404);
    EXPECT_EQ(get("/v1/remittances/" + id, officer()).status, 200);
    EXPECT_EQ(get("/v1/workers/" + s.id + "/wallet", other.auth).status, 404);
    const auto mine = get("/v1/remittances", s.auth);
    ASSERT_EQ(mine.status, 200);
    EXPECT_EQ(body(mine)["items"].size(), 1U) << "the retry made no second remittance";
    EXPECT_EQ(body(get("/v1/remittances", other.auth))["items"].size(), 0U);
    pqxx::connection c{*testing::pg_dsn()};
    pqxx::read_transaction tx{c};
    EXPECT_EQ(
        tx.exec_params1(
              "SELECT count(*) FROM " + chelete_->remit_schema() +
                  ".access_log WHERE record_id = $1 AND actor_role = 'compliance_officer'",
              id
        )[0]
            .as<int>(),
        1
    );
    // SMS at every step (docs/remittance.md "SMS"): created and paid, to sender and recipient,
    // each once, through the outbox; `chelete all` has no SMS gateway, so the notifier keeps
    // them queued.
    const auto sms = tx.exec_params(
        "SELECT payload::jsonb->>'dedupe_key', payload::jsonb->>'template', payload::jsonb->>'to' "
        "FROM " +
            chelete_->remit_schema() +
            ".outbox WHERE type = 'notify.sms' AND payload::jsonb->>'dedupe_key' LIKE $1",
        "remit:" + id + ":%"
    );
    std::map<std::string, std::string> templates;
    for (const auto& row : sms) {
        templates[row[0].as<std::string>()] = row[1].as<std::string>();
        EXPECT_TRUE(row[2].as<std::string>().starts_with("+")) << row[2].c_str();
    }
    const std::string sms_key = "remit:" + id + ":";
    EXPECT_EQ(
        templates,
        (std::map<std::string, std::string>{
            {sms_key + "created:recipient", "remittance_incoming"},
            {sms_key + "created:sender", "remittance_created"},
            {sms_key + "paid:recipient", "remittance_received"},
            {sms_key + "paid:sender", "remittance_paid"}})
    );
    const bool queued = testing::wait_until(
        [&] {
            pqxx::connection n{*testing::pg_dsn()};
            pqxx::read_transaction ntx{n};
            return ntx.exec_params1(
                          "SELECT count(*) FROM " + chelete_->notify_schema() +
                              ".messages WHERE dedupe_key LIKE $1 AND status = 'queued'",
                          sms_key + "%"
                   )[0]
                       .as<int>() == 4;
        },
        10s
    );
    EXPECT_TRUE(queued) << "the notifier in `chelete all` stores the four requests";
}

TEST_F(RemittanceHttpITest, InsufficientFundsIsRejectedAndTheWalletIsUntouched) {
    const Sender s = new_sender();
    deposit(s, "100.00");
    const json q = quote(s, "500.00");
    const auto r = send(s, q["id"]);
    ASSERT_EQ(r.status, 202) << r.body;
    const json done = wait_for(s, body(r)["id"], kFinal);
    EXPECT_EQ(done["status"], "rejected");
    EXPECT_NE(
        done["status_history"].back()["reason"].get<std::string>().find("insufficient_funds"),
        std::string::npos
    ) << done.dump(2);
    EXPECT_EQ(wallet(s)["available"], money("100.00"));
    EXPECT_EQ(responder_->requests_for(body(r)["id"]), 0);
}

TEST_F(RemittanceHttpITest, OverTheDailyLimitIsRejectedWithTheLimitNamed) {
    const Sender s = new_sender();  // tier basic: R3,000 a day
    deposit(s, "5000.00");
    const auto first = send(s, quote(s, "2000.00")["id"]);
    ASSERT_EQ(first.status, 202) << first.body;
    EXPECT_EQ(wait_for(s, body(first)["id"], kFinal)["status"], "paid");
    const auto second = send(s, quote(s, "1500.00")["id"]);
    ASSERT_EQ(second.status, 202) << second.body;
    const json done = wait_for(s, body(second)["id"], kFinal);
    EXPECT_EQ(done["status"], "rejected");
    EXPECT_NE(
        done["status_history"].back()["reason"].get<std::string>().find("daily limit"),
        std::string::npos
    ) << done.dump(2);
    EXPECT_EQ(settled_wallet(s)["balance"], money("3000.00"));
}

TEST_F(RemittanceHttpITest, TwoConcurrentRemittancesThatTogetherBreakTheLimit) {
    const Sender s = new_sender();  // R3,000 a day
    deposit(s, "5000.00");
    const json q1 = quote(s, "2000.00");
    const json q2 = quote(s, "2000.00");
    // Each request on its own connection, released together.
    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    auto request = [&](const json& q) {
        start.wait();
        testing::HttpClient client{chelete_->base_url()};
        return client.post_json(
            "/v1/remittances",
            json{
                {"quote_id", q["id"]},
                {"beneficiary_id", s.beneficiary_id},
                {"source_of_funds", "salary"}}
                .dump(),
            {"Idempotency-Key: " + platform::new_uuid(), s.auth}
        );
    };
    auto a = std::async(std::launch::async, request, q1);
    auto b = std::async(std::launch::async, request, q2);
    go.set_value();
    const auto ra = a.get();
    const auto rb = b.get();
    ASSERT_EQ(ra.status, 202) << ra.body;
    ASSERT_EQ(rb.status, 202) << rb.body;
    std::multiset<std::string> outcomes{
        wait_for(s, body(ra)["id"], kFinal)["status"].get<std::string>(),
        wait_for(s, body(rb)["id"], kFinal)["status"].get<std::string>()};
    EXPECT_EQ(outcomes, (std::multiset<std::string>{"paid", "rejected"}));
    EXPECT_EQ(settled_wallet(s)["balance"], money("3000.00"));
}

TEST_F(RemittanceHttpITest, WatchlistHitIsHeldThenApprovedOrRejectedByAnOfficer) {
    // 'Tshepiso Mokwena' is the South African spelling of the listed 'Tšepiso Mokoena'.
    const Sender s = new_sender("Tshepiso Mokwena");
    deposit(s, "2000.00");
    const auto first = send(s, quote(s, "300.00")["id"]);
    ASSERT_EQ(first.status, 202) << first.body;
    const std::string held_id = body(first)["id"];
    json held = wait_for(s, held_id, {"held"});
    EXPECT_NE(
        held["status_history"].back()["reason"].get<std::string>().find("UN-1"), std::string::npos
    ) << held.dump(2);
    json c = case_of(held_id);
    ASSERT_FALSE(c.is_null()) << "no open case for the held remittance";
    EXPECT_EQ(c["kind"], "held_remittance");
    EXPECT_EQ(held["compliance_case_id"], c["id"]);
    // Nothing moved while held.
    EXPECT_EQ(wallet(s)["available"], money("2000.00"));
    // Only a compliance officer decides, with a note.
    const std::string decisions =
        "/v1/compliance/cases/" + c["id"].get<std::string>() + "/decisions";
    EXPECT_EQ(post(decisions, {{"action", "approve"}, {"note", "x"}}, s.auth).status, 403);
    EXPECT_EQ(post(decisions, {{"action", "approve"}}, officer()).status, 422);
    auto d = post(
        decisions,
        {{"action", "approve"}, {"note", "Different person: passport and date of birth checked"}},
        officer()
    );
    ASSERT_EQ(d.status, 200) << d.body;
    EXPECT_EQ(body(d)["status"], "approved");
    EXPECT_EQ(post(decisions, {{"action", "reject"}, {"note", "again"}}, officer()).status, 409);
    const json paid = wait_for(s, held_id, kFinal);
    EXPECT_EQ(paid["status"], "paid");
    EXPECT_EQ(
        statuses_of(paid),
        (std::vector<std::string>{
            "created", "screening", "held", "approved", "funded", "payout_pending", "paid"})
    );

    const auto second = send(s, quote(s, "400.00")["id"]);
    ASSERT_EQ(second.status, 202);
    const std::string second_id = body(second)["id"];
    wait_for(s, second_id, {"held"});
    c = case_of(second_id);
    ASSERT_FALSE(c.is_null());
    d = post(
        "/v1/compliance/cases/" + c["id"].get<std::string>() + "/decisions",
        {{"action", "reject"}, {"note", "Confirmed match: reported to the FIC"}},
        officer()
    );
    ASSERT_EQ(d.status, 200) << d.body;
    const json rejected = wait_for(s, second_id, kFinal);
    EXPECT_EQ(rejected["status"], "rejected");
    const json settled = settled_wallet(s);
    EXPECT_EQ(settled["balance"], money("1700.00"));
    EXPECT_EQ(settled["available"], money("1700.00"));
}

TEST_F(RemittanceHttpITest, ExpiredAndUsedQuotesAreRefused) {
    const Sender s = new_sender();
    deposit(s, "1000.00");
    const json q = quote(s, "200.00");
    {
        // Fifteen minutes pass (the quote's expiry moved into the past).
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec_params0(
            "UPDATE " + chelete_->remit_schema() +
                ".quotes SET issued_at = now() - interval '16 minutes', expires_at = now() - "
                "interval '1 minute' WHERE id = $1",
            q["id"].get<std::string>()
        );
        tx.commit();
    }
    const auto r = send(s, q["id"]);
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_NE(r.body.find("quote-expired"), std::string::npos) << r.body;
    EXPECT_EQ(body(get("/v1/remittances", s.auth))["items"].size(), 0U) << "nothing was created";
    // Another worker's quote is answered like one that does not exist (422 on quote_id, as
    // docs/remittance.md "Validity and state" says); a quote for another payout method does not
    // fit.
    const Sender other = new_sender();
    const json theirs = quote(other, "200.00");
    const auto stolen = send(s, theirs["id"]);
    EXPECT_EQ(stolen.status, 422) << stolen.body;
    const auto unknown = send(s, platform::new_uuid());
    EXPECT_EQ(unknown.status, 422) << unknown.body;
    EXPECT_EQ(body(stolen)["errors"], body(unknown)["errors"]) << "nothing tells them apart";
    EXPECT_EQ(body(stolen)["errors"][0]["field"], "quote_id") << stolen.body;
    const json cash = quote(s, "200.00", "cash_pickup");
    const auto mismatch = send(s, cash["id"]);
    EXPECT_EQ(mismatch.status, 422) << mismatch.body;
    EXPECT_NE(mismatch.body.find("quote_id"), std::string::npos);
}

TEST_F(RemittanceHttpITest, CancelBeforePayoutRefundsAndIsRefusedOnceThePartnerPays) {
    const Sender held_sender = new_sender("Lerato Ramakatsa");  // on the internal list
    deposit(held_sender, "1000.00");
    const auto r = send(held_sender, quote(held_sender, "600.00")["id"]);
    ASSERT_EQ(r.status, 202);
    const std::string id = body(r)["id"];
    wait_for(held_sender, id, {"held"});
    const auto other = new_sender();
    EXPECT_EQ(post("/v1/remittances/" + id + "/cancel", nullptr, other.auth).status, 404);
    const auto cancelled = post("/v1/remittances/" + id + "/cancel", nullptr, held_sender.auth);
    ASSERT_EQ(cancelled.status, 200) << cancelled.body;
    EXPECT_EQ(body(cancelled)["status"], "cancelled");
    EXPECT_EQ(post("/v1/remittances/" + id + "/cancel", nullptr, held_sender.auth).status, 409)
        << "a final state never changes";
    EXPECT_EQ(wallet(held_sender)["available"], money("1000.00"));

    // Once payout.cmd has gone out the partner may be paying: too late to cancel.
    const Sender s = new_sender("Mpho Lebona", "mpesa", PayoutOutcome::kNoAnswer);
    deposit(s, "1000.00");
    const auto p = send(s, quote(s, "400.00")["id"]);
    ASSERT_EQ(p.status, 202);
    const std::string pending_id = body(p)["id"];
    wait_for(s, pending_id, {"payout_pending"});
    EXPECT_EQ(wallet(s)["available"], money("600.00"));
    EXPECT_EQ(wallet(s)["held"], money("400.00"));
    const auto late = post("/v1/remittances/" + pending_id + "/cancel", nullptr, s.auth);
    EXPECT_EQ(late.status, 409) << late.body;
    EXPECT_NE(late.body.find("too-late-to-cancel"), std::string::npos) << late.body;
    // The partner says it failed: the reservation is voided and the wallet is whole.
    responder_->answer(pending_id, "failed");
    const json refunded = wait_for(s, pending_id, kFinal);
    EXPECT_EQ(refunded["status"], "refunded");
    EXPECT_EQ(
        statuses_of(refunded),
        (std::vector<std::string>{
            "created", "screening", "approved", "funded", "payout_pending", "failed", "refunded"})
    );
    testing::wait_until([&] { return wallet(s)["held"] == money("0.00"); }, 5s);
    EXPECT_EQ(wallet(s)["available"], money("1000.00"));
}

TEST_F(RemittanceHttpITest, CancelAfterTheReservationVoidsItAndALatePayoutChangesNothing) {
    const Sender s = new_sender("Karabo Lebona");
    deposit(s, "1000.00");
    const json q = quote(s, "600.00");
    ASSERT_EQ(q["fee"], money("8.00"));  // R2.00 + 1 %: R592.00 to in transit, R8.00 to revenue
    const json in_transit = ledger_balances(in_transit_account());
    const json revenue = ledger_balances(revenue_account());
    std::string id;
    {
        // Every ledger reply waits: on_ledger_reply first looks for a deposit with the transfer
        // (SELECT … FOR UPDATE on deposits), which a cancel never touches. So the ledger reserves
        // while the remittance service has not heard of it yet.
        const TableLock replies_wait{chelete_->remit_schema() + ".deposits"};
        const auto r = send(s, q["id"]);
        ASSERT_EQ(r.status, 202) << r.body;
        id = body(r)["id"];
        const std::string reserve_id = remit_row(id)["reserve_id"];
        ASSERT_TRUE(testing::wait_until([&] { return !ledger_transfer(reserve_id).is_null(); }, 20s)
        ) << "the ledger never reserved: "
          << remit_row(id).dump();
        // The reservation exists; its answer has not been handled, so the remittance is approved.
        ASSERT_EQ(body(get("/v1/remittances/" + id, s.auth))["status"], "approved");
        EXPECT_EQ(remit_row(id)["ledger_state"], "reserve_requested");
        const json w = wallet(s);
        EXPECT_EQ(w["balance"], money("1000.00"));
        EXPECT_EQ(w["held"], money("600.00"));
        EXPECT_EQ(w["available"], money("400.00"));
        EXPECT_EQ(
            ledger_balances(in_transit_account())["credits_pending"],
            in_transit["credits_pending"].get<std::int64_t>() + 59'200
        );
        EXPECT_EQ(
            ledger_balances(revenue_account())["credits_pending"],
            revenue["credits_pending"].get<std::int64_t>() + 800
        );

        const auto cancelled = post("/v1/remittances/" + id + "/cancel", nullptr, s.auth);
        ASSERT_EQ(cancelled.status, 200) << cancelled.body;
        EXPECT_EQ(body(cancelled)["status"], "cancelled");
        EXPECT_EQ(remit_row(id)["ledger_state"], "void_requested");
    }
    // The replies flow again: the reservation's (late: ignored), then the void's.
    ASSERT_NO_FATAL_FAILURE(
        expect_reservation_voided_by_cancel(s, id, "1000.00", in_transit, revenue)
    );
    ASSERT_NO_FATAL_FAILURE(expect_late_payout_changes_nothing(s, id));
}

TEST_F(RemittanceHttpITest, CancelWhileTheReservationIsOnItsWayVoidsItAfterwards) {
    const Sender s = new_sender("Karabo Lebona");
    deposit(s, "1000.00");
    const json q = quote(s, "600.00");
    const json in_transit = ledger_balances(in_transit_account());
    const json revenue = ledger_balances(revenue_account());
    std::string id;
    {
        // The ledger can commit nothing (its batch row waits), so the reservation is asked for
        // but not in the ledger, and no answer comes: the cancel overtakes it.
        const TableLock ledger_waits{chelete_->ledger_schema() + ".batches"};
        const auto r = send(s, q["id"]);
        ASSERT_EQ(r.status, 202) << r.body;
        id = body(r)["id"];
        const json approved = wait_for(s, id, {"approved", "held", "rejected"});
        ASSERT_EQ(approved["status"], "approved") << approved.dump(2);
        EXPECT_EQ(remit_row(id)["ledger_state"], "reserve_requested");
        EXPECT_TRUE(ledger_transfer(remit_row(id)["reserve_id"]).is_null())
            << "the reservation must still be on its way";

        const auto cancelled = post("/v1/remittances/" + id + "/cancel", nullptr, s.auth);
        ASSERT_EQ(cancelled.status, 200) << cancelled.body;
        EXPECT_EQ(body(cancelled)["status"], "cancelled");
        EXPECT_EQ(remit_row(id)["ledger_state"], "void_requested");
    }
    // The ledger applies the reservation and then the void (one ordered stream); the
    // reservation's "ok" reaches a cancelled remittance and is ignored.
    ASSERT_NO_FATAL_FAILURE(
        expect_reservation_voided_by_cancel(s, id, "1000.00", in_transit, revenue)
    );
    ASSERT_NO_FATAL_FAILURE(expect_late_payout_changes_nothing(s, id));
}

TEST_F(RemittanceHttpITest, ReservationLandingAfterItsVoidFoundNothingIsVoidedLate) {
    // A ledger consumer that dies after reading the reservation and before acknowledging it
    // leaves the reservation to be delivered again later: the cancel's void, behind it on
    // ledger.cmd, is then applied first and finds nothing, and the reservation lands after it.
    // The test plays that order on the real ledger: it stops the ledger's consumer, takes the
    // reservation out of ledger.cmd, lets the void through, then delivers the reservation again.
    namespace bus = platform::bus;
    const Sender s = new_sender("Karabo Lebona");
    deposit(s, "1000.00");
    const json q = quote(s, "600.00");
    const json in_transit = ledger_balances(in_transit_account());
    const json revenue = ledger_balances(revenue_account());
    platform::RedisClient redis{*testing::redis_options()};
    const std::string ledger_cmd = chelete_->ledger_stream();
    const auto xadd = [&](const std::string& stream, const bus::Message& m) {
        std::vector<std::string> args{"XADD", stream, "*"};
        for (auto& f : bus::entry_fields(m)) {
            args.push_back(std::move(f));
        }
        const auto r = redis.command(args);
        EXPECT_FALSE(r.is_error()) << r.str();
        return std::string{r.str()};
    };
    const auto entries_after = [&](const std::string& stream, const std::string& after) {
        std::vector<bus::Message> out;
        const auto r = redis.command({"XRANGE", stream, "(" + after, "+"});
        EXPECT_FALSE(r.is_error()) << r.str();
        for (std::size_t i = 0; !r.is_error() && i < r.value().size(); ++i) {
            if (auto m = bus::parse_entry(stream, r.value()[i])) {
                out.push_back(std::move(*m));
            }
        }
        return out;
    };
    const auto first_transfer_id = [](const bus::Message& m) {
        const json p = json::parse(m.payload, nullptr, false);
        return p.is_object() && p.contains("transfers") && p["transfers"].is_array() &&
                       !p["transfers"].empty()
                   ? p["transfers"][0].value("id", std::string{})
                   : std::string{};
    };
    std::string id;
    std::string reserve_id;
    bus::Message reservation;
    {
        // The ledger's consumer looks a command up in its inbox before applying it: with the
        // inbox locked it stops at the first command it reads (this harmless account), and
        // whatever follows stays unread on ledger.cmd, in the order the test leaves there.
        const TableLock ledger_stops{chelete_->ledger_schema() + ".inbox", "ACCESS EXCLUSIVE"};
        bus::Message stop;
        stop.id = platform::new_uuid();
        stop.type = "ledger.create_accounts";
        stop.correlation_id = platform::new_uuid();
        stop.payload = json{
            {"accounts",
             json::array(
                 {{{"id", platform::new_uuid()},
                   {"currency", "ZAR"},
                   {"code", 1},
                   {"flags", json::array()}}}
             )}}.dump();
        const std::string stop_entry = xadd(ledger_cmd, stop);
        ASSERT_TRUE(testing::wait_until(
            [&] {
                const auto r =
                    redis.command({"XPENDING", ledger_cmd, "ledger", stop_entry, stop_entry, "1"});
                return !r.is_error() && r.value().size() == 1;
            },
            10s
        )) << "the ledger never read the stopping command";

        const auto r = send(s, q["id"]);
        ASSERT_EQ(r.status, 202) << r.body;
        id = body(r)["id"];
        const json approved = wait_for(s, id, {"approved", "held", "rejected"});
        ASSERT_EQ(approved["status"], "approved") << approved.dump(2);
        reserve_id = remit_row(id)["reserve_id"];
        const auto cancelled = post("/v1/remittances/" + id + "/cancel", nullptr, s.auth);
        ASSERT_EQ(cancelled.status, 200) << cancelled.body;
        ASSERT_EQ(remit_row(id)["ledger_state"], "void_requested");
        // Everything the remittance asked for is on ledger.cmd (the relay has published it).
        pqxx::connection c{*testing::pg_dsn()};
        ASSERT_TRUE(testing::wait_until(
            [&] {
                pqxx::read_transaction tx{c};
                return tx.exec_params1(
                             "SELECT count(*) FROM " + chelete_->remit_schema() +
                                 ".outbox WHERE strpos(payload, $1) > 0 AND published_at IS NULL",
                             id
                       )[0]
                           .as<int>() == 0;
            },
            10s
        ));
        // The reservation (and any copy the sweeper sent) goes, the void stays: as if the
        // consumer that read the reservation died with it.
        bool found_void = false;
        for (const auto& m : entries_after(ledger_cmd, stop_entry)) {
            const std::string first = first_transfer_id(m);
            if (first == reserve_id) {
                if (reservation.id.empty()) {
                    reservation = m;
                }
                EXPECT_FALSE(found_void) << "the void was sent before the reservation";
                ASSERT_FALSE(redis.command({"XDEL", ledger_cmd, m.entry_id}).is_error());
            } else if (first == remittance::derived_id("void:" + id)) {
                found_void = true;
            }
        }
        ASSERT_FALSE(reservation.id.empty()) << "no reservation on " << ledger_cmd;
        ASSERT_TRUE(found_void) << "no void on " << ledger_cmd;
    }
    // The ledger reads on: the void finds nothing pending.
    ASSERT_TRUE(
        testing::wait_until([&] { return remit_row(id)["ledger_state"] != "void_requested"; }, 20s)
    ) << remit_row(id).dump();
    EXPECT_EQ(remit_row(id)["ledger_state"], "voided_nothing_pending");
    EXPECT_TRUE(ledger_transfer(reserve_id).is_null()) << "the reservation came before the void";
    EXPECT_TRUE(ledger_transfer(remittance::derived_id("void:" + id)).is_null());

    // The reservation is delivered again (the same message, as XAUTOCLAIM would deliver it): the
    // money is held, and the remittance voids it with a void of its own.
    xadd(ledger_cmd, reservation);
    ASSERT_TRUE(testing::wait_until([&] { return !ledger_transfer(reserve_id).is_null(); }, 20s))
        << "the ledger never applied the reservation";
    ASSERT_TRUE(testing::wait_until([&] { return remit_row(id)["ledger_state"] == "voided"; }, 20s))
        << remit_row(id).dump();
    const json row = remit_row(id);
    const std::string late_id = remittance::derived_id("void-late:" + id);
    EXPECT_EQ(row["status"], "cancelled");
    EXPECT_EQ(row["settle_id"], late_id);
    // The money is not held for ever.
    const json w = wallet_of(s);
    EXPECT_EQ(w["balance"], money("1000.00"));
    EXPECT_EQ(w["available"], money("1000.00"));
    EXPECT_EQ(w["held"], money("0.00"));
    EXPECT_EQ(ledger_balances(in_transit_account()), in_transit);
    EXPECT_EQ(ledger_balances(revenue_account()), revenue);
    const json late_principal = ledger_transfer(late_id);
    const json late_fee = ledger_transfer(remittance::derived_id("void-late-fee:" + id));
    ASSERT_FALSE(late_principal.is_null()) << "the principal's reservation was never voided";
    ASSERT_FALSE(late_fee.is_null()) << "the fee's reservation was never voided";
    EXPECT_EQ(late_principal["pending_id"], reserve_id);
    EXPECT_EQ(late_principal["flags"], kVoidPending | kLinked);
    EXPECT_EQ(late_fee["pending_id"], row["reserve_fee_id"]);
    EXPECT_EQ(late_fee["flags"], kVoidPending);
    EXPECT_EQ(ledger_transfer(row["reserve_fee_id"])["flags"], kPending);
    EXPECT_TRUE(ledger_transfer(remittance::derived_id("void:" + id)).is_null());
    EXPECT_TRUE(ledger_transfer(remittance::derived_id("post:" + id)).is_null());
    // The status was final with the cancel: the late void adds no transition.
    const json cancelled = body(get("/v1/remittances/" + id, s.auth));
    EXPECT_EQ(
        statuses_of(cancelled),
        (std::vector<std::string>{"created", "screening", "approved", "cancelled"})
    ) << cancelled.dump(2);
    EXPECT_EQ(responder_->requests_for(id), 0);

    // The reservation's answer once more (a ledger that sends it again): nothing changes.
    bus::Message reply;
    for (const auto& m : entries_after(chelete_->remit_ledger_replies(), "0-0")) {
        if (m.type == "ledger.create_transfers.reply" &&
            m.payload.find(reserve_id) != std::string::npos) {
            reply = m;
        }
    }
    ASSERT_FALSE(reply.id.empty()) << "the reservation's answer is not on the reply stream";
    const int outbox_before = outbox_rows_about(id);
    reply.id = platform::new_uuid();
    xadd(chelete_->remit_ledger_replies(), reply);
    ASSERT_TRUE(testing::wait_until([&] { return remit_handled(reply.id); }, 15s));
    EXPECT_EQ(remit_row(id), row);
    EXPECT_EQ(body(get("/v1/remittances/" + id, s.auth)), cancelled);
    EXPECT_EQ(outbox_rows_about(id), outbox_before) << "no second void, event or SMS";
    ASSERT_NO_FATAL_FAILURE(expect_late_payout_changes_nothing(s, id));
}

TEST_F(RemittanceHttpITest, DepositRetriedWithTheSameKeyIsOneDeposit) {
    const Sender s = new_sender();
    const std::string agent = chelete_->bearer("agent", agent_id_);
    const std::string key = platform::new_uuid();
    const json request{{"worker_id", s.id}, {"amount", money("250.00")}};
    const auto first = post("/v1/deposits", request, agent, key);
    ASSERT_EQ(first.status, 201) << first.body;
    const std::string id = body(first)["id"];
    // The retry gets the first answer again, byte for byte, and makes nothing new.
    const auto again = post("/v1/deposits", request, agent, key);
    ASSERT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(header_of(again, "idempotent-replayed"), "true");
    // The same key for another deposit (another amount, another worker) is refused.
    const Sender other = new_sender();
    for (const json& changed :
         {json{{"worker_id", s.id}, {"amount", money("300.00")}},
          json{{"worker_id", other.id}, {"amount", money("250.00")}}}) {
        const auto reused = post("/v1/deposits", changed, agent, key);
        EXPECT_EQ(reused.status, 409) << reused.body;
        EXPECT_EQ(header_of(reused, "content-type"), "application/problem+json") << reused.body;
        EXPECT_EQ(body(reused)["type"], "/problems/idempotency-key-reused") << reused.body;
    }
    json d;
    ASSERT_TRUE(testing::wait_until(
        [&] {
            d = body(get("/v1/deposits/" + id, agent));
            return d.value("status", "") != "pending";
        },
        15s
    ));
    EXPECT_EQ(d["status"], "completed") << d.dump();

    // The service keeps the key as long as the deposit (the gateway only for its TTL): with the
    // gateway's record gone, a retry is still the same deposit and another body still a 409.
    const auto forget_gateway_record = [&] {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec_params0("DELETE FROM gateway.idempotency_keys WHERE idempotency_key = $1", key);
        tx.commit();
    };
    forget_gateway_record();
    const auto late = post("/v1/deposits", request, agent, key);
    ASSERT_EQ(late.status, 201) << late.body;
    EXPECT_EQ(body(late)["id"], id);
    EXPECT_EQ(body(late)["status"], "completed");
    EXPECT_FALSE(late.headers.contains("idempotent-replayed"))
        << "the service answered, not the gateway";
    forget_gateway_record();
    const auto late_reuse =
        post("/v1/deposits", {{"worker_id", s.id}, {"amount", money("300.00")}}, agent, key);
    EXPECT_EQ(late_reuse.status, 409) << late_reuse.body;
    EXPECT_EQ(body(late_reuse)["type"], "/problems/idempotency-key-reused") << late_reuse.body;

    // One deposit, one transfer, the wallet credited once; the other worker got nothing.
    pqxx::connection c{*testing::pg_dsn()};
    pqxx::read_transaction tx{c};
    EXPECT_EQ(
        tx.exec_params1(
              "SELECT count(*) FROM " + chelete_->remit_schema() +
                  ".deposits WHERE idempotency_key = $1",
              key
        )[0]
            .as<int>(),
        1
    );
    EXPECT_EQ(
        tx.exec_params1(
              "SELECT count(*) FROM " + chelete_->ledger_schema() +
                  ".transfers WHERE credit_account_id = $1::uuid",
              remittance::wallet_account_id(s.id)
        )[0]
            .as<int>(),
        1
    );
    const json w = wallet(s);
    EXPECT_EQ(w["balance"], money("250.00"));
    EXPECT_EQ(w["available"], money("250.00"));
    EXPECT_EQ(wallet(other)["balance"], money("0.00"));
}

TEST_F(RemittanceHttpITest, QuoteByReceiveAmountAddsTheFeeOnTopAndCanBeSent) {
    const Sender s = new_sender();
    deposit(s, "1000.00");
    const auto by_receive = [&](const std::string& amount, const std::string& method) {
        const auto r = post(
            "/v1/quotes",
            {{"receive_amount", money(amount, "LSL")}, {"payout_method", method}},
            s.auth
        );
        EXPECT_EQ(r.status, 201) << r.body;
        return body(r);
    };
    // fee + receive = send (at par), the breakdown adds up to the fee, and one cent less to send
    // would deliver less than asked: the smallest send that delivers the target.
    const auto expect_fee_on_top = [&](const json& q, const std::string& target) {
        SCOPED_TRACE(q.dump());
        EXPECT_EQ(q["basis"], "receive_amount");
        const std::int64_t send = minor_of(q["send_amount"]);
        const std::int64_t fee = minor_of(q["fee"]);
        const std::int64_t receive = minor_of(q["receive_amount"]);
        EXPECT_EQ(q["receive_amount"]["currency"], "LSL");
        EXPECT_EQ(fee + receive, send);
        EXPECT_GE(receive, minor_of(money(target)));
        EXPECT_EQ(
            minor_of(q["fee_breakdown"]["flat"]) + minor_of(q["fee_breakdown"]["percentage"]) +
                minor_of(q["fee_breakdown"]["payout_method"]),
            fee
        );
        const json priced = quote(s, platform::format_minor_units(send), q["payout_method"]);
        EXPECT_EQ(priced["fee"], q["fee"]) << "the same send costs the same either way";
        EXPECT_EQ(priced["receive_amount"], q["receive_amount"]);
        const json less = quote(s, platform::format_minor_units(send - 1), q["payout_method"]);
        EXPECT_LT(minor_of(less["receive_amount"]), minor_of(money(target))) << less.dump();
    };
    // Inside a band the target is met exactly: M294.00 costs R300.00 (fee R3.00 + 1 %).
    const json q = by_receive("294.00", "mpesa");
    EXPECT_EQ(q["send_amount"], money("300.00"));
    EXPECT_EQ(q["fee"], money("6.00"));
    EXPECT_EQ(q["receive_amount"], money("294.00", "LSL"));
    expect_fee_on_top(q, "294.00");
    // In the gap where the fee steps down (R499.99 pays R8.00, R500.00 pays R7.00) no send
    // delivers M492.50 exactly: R500.00 delivers M493.00, never less than asked.
    const json gap = by_receive("492.50", "mpesa");
    EXPECT_EQ(gap["send_amount"], money("500.00"));
    EXPECT_EQ(gap["receive_amount"], money("493.00", "LSL"));
    expect_fee_on_top(gap, "492.50");
    // Cash pickup adds its R3.00: M294.00 costs R303.03 (R3.00 + R3.03 + R3.00).
    const json cash = by_receive("294.00", "cash_pickup");
    EXPECT_EQ(cash["send_amount"], money("303.03"));
    expect_fee_on_top(cash, "294.00");

    // Sent: the wallet pays the send amount, the partner is asked for the receive amount.
    const auto r = send(s, q["id"]);
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string id = body(r)["id"];
    EXPECT_EQ(body(r)["send_amount"], money("300.00"));
    EXPECT_EQ(body(r)["receive_amount"], money("294.00", "LSL"));
    const json paid = wait_for(s, id, kFinal);
    EXPECT_EQ(paid["status"], "paid") << paid.dump(2);
    EXPECT_EQ(responder_->request_of(id)["amount_minor"], 29'400);
    EXPECT_EQ(responder_->request_of(id)["principal_minor"], 29'400);
    const json w = wallet_of(s);
    EXPECT_EQ(w["balance"], money("700.00"));
    EXPECT_EQ(w["available"], money("700.00"));
}

TEST_F(RemittanceHttpITest, UnknownPayoutOutcomesSettleBySecondAnswer) {
    const Sender paid = new_sender("Nthabiseng Lebona", "ecocash", PayoutOutcome::kUnknownThenPaid);
    const Sender failed =
        new_sender("Nthabeleng Lebona", "mpesa", PayoutOutcome::kUnknownThenFailed);
    deposit(paid, "500.00");
    deposit(failed, "500.00");
    const auto a = send(paid, quote(paid, "250.00", "ecocash")["id"]);
    const auto b = send(failed, quote(failed, "250.00")["id"]);
    ASSERT_EQ(a.status, 202);
    ASSERT_EQ(b.status, 202);
    const json pa = wait_for(paid, body(a)["id"], kFinal);
    const json fb = wait_for(failed, body(b)["id"], kFinal);
    EXPECT_EQ(pa["status"], "paid");
    EXPECT_EQ(statuses_of(pa)[5], "payout_unknown");
    EXPECT_EQ(fb["status"], "refunded");
    EXPECT_EQ(wallet(paid)["balance"], money("250.00"));
    testing::wait_until([&] { return wallet(failed)["held"] == money("0.00"); }, 5s);
    EXPECT_EQ(wallet(failed)["balance"], money("500.00"));
}

TEST_F(RemittanceHttpITest, BadRequestsNameTheFieldAndChangeNothing) {
    const Sender s = new_sender();
    const std::string agent = chelete_->bearer("agent", agent_id_);
    auto r = post("/v1/deposits", {{"worker_id", s.id}, {"amount", money("-5.00")}}, agent);
    EXPECT_TRUE(r.status == 400 || r.status == 422) << r.body;
    r = post("/v1/deposits", {{"worker_id", s.id}, {"amount", money("5.00", "LSL")}}, agent);
    EXPECT_EQ(r.status, 422) << r.body;
    r = post("/v1/deposits", {{"worker_id", s.id}, {"amount", money("200000.00")}}, agent);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_NE(r.body.find("amount"), std::string::npos);
    r = post(
        "/v1/deposits", {{"worker_id", platform::new_uuid()}, {"amount", money("50.00")}}, agent
    );
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_NE(r.body.find("worker_id"), std::string::npos);
    EXPECT_EQ(
        post("/v1/deposits", {{"worker_id", s.id}, {"amount", money("50.00")}}, s.auth).status, 403
    ) << "a worker cannot credit their own wallet";
    r = post(
        "/v1/quotes",
        {{"send_amount", money("100.00")},
         {"receive_amount", money("90.00", "LSL")},
         {"payout_method", "mpesa"}},
        s.auth
    );
    EXPECT_EQ(r.status, 422) << r.body;
    r = post("/v1/quotes", {{"send_amount", money("10.00")}, {"payout_method", "mpesa"}}, s.auth);
    EXPECT_EQ(r.status, 422) << "below the minimum send";
    EXPECT_NE(r.body.find("send_amount"), std::string::npos);
    const json q = quote(s, "100.00");
    r = post(
        "/v1/remittances",
        {{"quote_id", q["id"]},
         {"beneficiary_id", s.beneficiary_id},
         {"purpose", "bop_401"},
         {"source_of_funds", "salary"}},
        s.auth
    );
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_NE(r.body.find("purpose"), std::string::npos) << r.body;
    r = post(
        "/v1/remittances",
        {{"quote_id", q["id"]},
         {"beneficiary_id", platform::new_uuid()},
         {"source_of_funds", "salary"}},
        s.auth
    );
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_NE(r.body.find("beneficiary_id"), std::string::npos) << r.body;
    r = post(
        "/v1/remittances",
        {{"quote_id", q["id"]},
         {"beneficiary_id", s.beneficiary_id},
         {"source_of_funds", "salary"},
         {"status", "paid"}},
        s.auth
    );
    EXPECT_EQ(r.status, 422) << "server-owned fields are refused: " << r.body;
    EXPECT_EQ(body(get("/v1/remittances", s.auth))["items"].size(), 0U) << "nothing was created";
    EXPECT_EQ(quote(s, "100.00")["state"], "issued");
}

/// Many remittances, random amounts, random payout outcomes, random cancels (some at once, some
/// after approval with the reservation in the ledger) and officers' decisions on held ones; at the
/// end every one is final, every outcome occurred, the ledger verifies, each remittance agrees
/// with its transfers (principal and fee), and in transit and revenue hold what the remittances
/// say.
TEST_F(RemittanceHttpITest, SeededRandomRunEndsBalancedAndConsistent) {
    const char* seed_text = std::getenv("CHELETE_REMIT_SEED");
    const std::uint64_t seed = seed_text ? std::strtoull(seed_text, nullptr, 10) : 20261123;
    std::cout << "[remittance] random run seed " << seed << " (CHELETE_REMIT_SEED)\n";
    std::mt19937_64 rng{seed};
    const std::array<PayoutOutcome, 4> kOutcomes{
        PayoutOutcome::kPaid,
        PayoutOutcome::kFailed,
        PayoutOutcome::kUnknownThenPaid,
        PayoutOutcome::kUnknownThenFailed};
    struct Sent {
        std::size_t sender;
        std::string id;
    };
    std::vector<Sender> senders;
    std::map<std::string, std::int64_t> deposited;  // sender id -> cents
    for (int i = 0; i < 16; ++i) {
        // One beneficiary is on the internal list, so some remittances are held whatever the seed.
        senders.push_back(new_sender(
            i == 7 ? "Lerato Ramakatsa" : "Lineo Lebona",
            i % 3 == 0 ? "ecocash" : "mpesa",
            kOutcomes.at(rng() % 4)
        ));
        const std::int64_t cents = 50'000 + static_cast<std::int64_t>(rng() % 200'000);
        deposit(senders.back(), platform::format_minor_units(cents));
        deposited[senders.back().id] = cents;
    }
    std::vector<Sent> sent;
    int cancels_after_approval = 0;
    for (int i = 0; i < 100; ++i) {
        const std::size_t k = rng() % senders.size();
        const std::int64_t cents = 5'000 + static_cast<std::int64_t>(rng() % 95'000);  // R50-R1,000
        const json q = quote(senders[k], platform::format_minor_units(cents), senders[k].method);
        // 0: cancel at whatever point it has reached; 1: cancel once approved, the ledger's
        // answer held back (as in CancelAfterTheReservationVoidsIt...): after the reservation.
        const auto cancel = rng() % 8;
        std::optional<TableLock> replies_wait;
        if (cancel == 1) {
            replies_wait.emplace(chelete_->remit_schema() + ".deposits");
        }
        const auto r = send(senders[k], q["id"]);
        ASSERT_EQ(r.status, 202) << r.body;
        sent.push_back({k, body(r)["id"]});
        const std::string cancel_path = "/v1/remittances/" + sent.back().id + "/cancel";
        if (cancel == 0) {
            const auto c = post(cancel_path, nullptr, senders[k].auth);
            EXPECT_TRUE(c.status == 200 || c.status == 409) << c.body;
        } else if (cancel == 1) {
            // Held or rejected by screening instead: left to the officer, or final.
            const json screened =
                wait_for(senders[k], sent.back().id, {"approved", "held", "rejected"});
            if (screened["status"] == "approved") {
                const auto c = post(cancel_path, nullptr, senders[k].auth);
                EXPECT_EQ(c.status, 200) << c.body;
                ++cancels_after_approval;
            }
        }
        replies_wait.reset();
    }
    std::map<std::string, int> by_status;
    std::map<std::string, std::int64_t> spent;  // sender id -> cents paid out
    std::set<std::string> final_or_held = kFinal;
    final_or_held.insert("held");
    int decided = 0;
    for (const auto& s : sent) {
        json r = wait_for(senders[s.sender], s.id, final_or_held);
        if (r["status"] == "held") {
            // More than five sends in a day, or amounts kept under the limit: an officer decides.
            const json c = case_of(s.id);
            ASSERT_FALSE(c.is_null());
            const bool approve = rng() % 2 == 0;
            const auto d = post(
                "/v1/compliance/cases/" + c["id"].get<std::string>() + "/decisions",
                {{"action", approve ? "approve" : "reject"}, {"note", "random run decision"}},
                officer()
            );
            ASSERT_EQ(d.status, 200) << d.body;
            ++decided;
            r = wait_for(senders[s.sender], s.id, kFinal);
        }
        ++by_status[r["status"].get<std::string>()];
        if (r["status"] == "paid") {
            spent[senders[s.sender].id] +=
                *platform::parse_minor_units(r["send_amount"]["amount"].get<std::string>());
        }
        // Every step of its history was a transition of the one machine, ending final.
        EXPECT_EQ(statuses_of(r).front(), "created");
        EXPECT_TRUE(kFinal.contains(statuses_of(r).back()));
        // Exactly one payout request for those that reached the partner, none for the others.
        const auto history = statuses_of(r);
        const bool dispatched =
            std::find(history.begin(), history.end(), "payout_pending") != history.end();
        EXPECT_EQ(responder_->requests_for(s.id), dispatched ? 1 : 0) << r.dump(2);
    }
    std::cout << "[remittance] random run:";
    for (const auto& [status, n] : by_status) {
        std::cout << " " << status << "=" << n;
    }
    std::cout << " (" << decided << " held and decided by an officer, " << cancels_after_approval
              << " cancelled after approval)\n";
    // Every way a remittance can end (a seed that misses one proves less: change the choices).
    EXPECT_GT(by_status["paid"], 0);
    EXPECT_GT(by_status["refunded"], 0);
    EXPECT_GT(by_status["rejected"], 0);
    EXPECT_GT(by_status["cancelled"], 0);
    EXPECT_GT(decided, 0) << "none was held";
    EXPECT_GT(cancels_after_approval, 0) << "none was cancelled after approval";

    // Wallets: what was deposited less what was paid out; nothing left held.
    for (const auto& s : senders) {
        testing::wait_until([&] { return wallet(s)["held"] == money("0.00"); }, 10s);
        const json w = wallet(s);
        EXPECT_EQ(w["balance"], money(platform::format_minor_units(deposited[s.id] - spent[s.id])));
        EXPECT_EQ(w["held"], money("0.00"));
    }

    // Each remittance agrees with its ledger transfers, principal and fee (read from the
    // ledger's own tables), once no answer from the ledger is outstanding.
    pqxx::connection c{*testing::pg_dsn()};
    const std::string remit = chelete_->remit_schema();
    EXPECT_TRUE(testing::wait_until(
        [&] {
            pqxx::read_transaction tx{c};
            return tx.exec1(
                         "SELECT count(*) FROM " + remit +
                         ".remittances WHERE ledger_state LIKE '%_requested'"
                   )[0]
                       .as<int>() == 0;
        },
        20s
    )) << "ledger steps still unanswered";
    pqxx::read_transaction tx{c};
    const auto rows = tx.exec(
        "SELECT id::text, status, ledger_state, reserve_transfer_id::text, "
        "reserve_fee_transfer_id::text, settle_transfer_id::text, send_minor, fee_minor FROM " +
        remit + ".remittances"
    );
    const std::string ledger_schema = chelete_->ledger_schema();
    auto transfer = [&](const std::string& id) {
        const auto t = tx.exec_params(
            "SELECT amount, pending_id::text, flags FROM " + ledger_schema +
                ".transfers WHERE id = $1::uuid",
            id
        );
        return t.empty() ? json{}
                         : json{
                               {"amount", t[0][0].as<std::int64_t>()},
                               {"pending_id", t[0][1].as<std::string>()},
                               {"flags", t[0][2].as<int>()}};
    };
    auto transfer_at = [&](const pqxx::field& id) {
        return id.is_null() ? json{} : transfer(id.as<std::string>());
    };
    // What in transit and revenue must hold: the principal and fee of every live reservation as
    // pending, of every paid remittance as posted (the test partner is not the payout service,
    // so nothing moves the principal on from in transit).
    std::int64_t live_principal = 0;
    std::int64_t live_fee = 0;
    std::int64_t paid_principal = 0;
    std::int64_t paid_fee = 0;
    int cancelled_with_reservation = 0;  // of this run (the accounts see the whole schema)
    std::set<std::string> this_run;
    for (const auto& s : sent) {
        this_run.insert(s.id);
    }
    for (const auto& r : rows) {
        const std::string id = r[0].as<std::string>();
        const std::string status = r[1].as<std::string>();
        const std::string ledger_state = r[2].as<std::string>();
        const std::int64_t send = r[6].as<std::int64_t>();
        const std::int64_t fee = r[7].as<std::int64_t>();
        SCOPED_TRACE(id + " " + status + " " + ledger_state);
        const json reserve = transfer_at(r[3]);
        const json reserve_fee = transfer_at(r[4]);
        const json settle = transfer_at(r[5]);
        const bool posting = ledger_state == "posted";
        // A late void (after a void that found nothing) has ids of its own.
        const bool late =
            !r[5].is_null() && r[5].as<std::string>() == remittance::derived_id("void-late:" + id);
        const json settle_fee =
            r[5].is_null()
                ? json{}
                : transfer(remittance::derived_id(
                      std::string{posting ? "post-fee:" : (late ? "void-late-fee:" : "void-fee:")} +
                      id
                  ));
        const bool reserved = !reserve.is_null();
        const bool settled = !settle.is_null();
        // The fee travels with the principal: reserved together (linked), settled together.
        EXPECT_EQ(reserved, !reserve_fee.is_null());
        EXPECT_EQ(settled, !settle_fee.is_null());
        if (reserved) {
            EXPECT_EQ(reserve["amount"], send - fee);
            EXPECT_EQ(reserve["flags"], kPending | kLinked);
            EXPECT_EQ(reserve_fee["amount"], fee);
            EXPECT_EQ(reserve_fee["flags"], kPending);
        }
        if (settled) {
            const int flag = posting ? kPostPending : kVoidPending;
            EXPECT_EQ(settle["pending_id"], r[3].as<std::string>());
            EXPECT_EQ(settle["flags"], flag | kLinked);
            EXPECT_EQ(settle_fee["pending_id"], r[4].as<std::string>());
            EXPECT_EQ(settle_fee["flags"], flag);
        }
        if (status == "paid") {
            EXPECT_TRUE(reserved && settled);
            EXPECT_EQ(ledger_state, "posted");
            paid_principal += send - fee;
            paid_fee += fee;
        } else if (status == "refunded") {
            EXPECT_TRUE(reserved && settled);
            EXPECT_EQ(ledger_state, "voided");
        } else if (status == "cancelled") {
            // Before approval nothing was asked of the ledger; after it the reservation was
            // voided, or was refused and there was nothing to void.
            EXPECT_TRUE(
                ledger_state == "none" || ledger_state == "voided" ||
                ledger_state == "voided_nothing_pending"
            );
            EXPECT_EQ(reserved, settled);
            if (ledger_state == "none") {
                EXPECT_FALSE(reserved);
                EXPECT_TRUE(r[5].is_null());
            }
            cancelled_with_reservation += reserved && this_run.contains(id) ? 1 : 0;
        } else if (status == "rejected") {
            EXPECT_FALSE(reserved);
            EXPECT_TRUE(ledger_state == "none" || ledger_state == "reserve_refused");
        } else if (reserved && !settled) {
            live_principal += send - fee;  // in flight (another test's payout still pending)
            live_fee += fee;
        }
    }
    std::cout << "[remittance] " << cancelled_with_reservation
              << " cancelled with their reservation in the ledger, then voided\n";
    EXPECT_GT(cancelled_with_reservation, 0);
    const json in_transit = ledger_balances(in_transit_account());
    EXPECT_EQ(in_transit["credits_pending"], live_principal) << in_transit.dump();
    EXPECT_EQ(in_transit["credits_posted"], paid_principal) << in_transit.dump();
    EXPECT_EQ(in_transit["debits_pending"], 0) << in_transit.dump();
    EXPECT_EQ(in_transit["debits_posted"], 0) << in_transit.dump();
    const json revenue = ledger_balances(revenue_account());
    EXPECT_EQ(revenue["credits_pending"], live_fee) << revenue.dump();
    EXPECT_EQ(revenue["credits_posted"], paid_fee) << revenue.dump();
    EXPECT_EQ(revenue["debits_pending"], 0) << revenue.dump();
    EXPECT_EQ(revenue["debits_posted"], 0) << revenue.dump();
    // Finance pages through every remittance, newest first, each exactly once.
    const std::string finance = chelete_->bearer("finance", platform::new_uuid());
    std::set<std::string> listed;
    std::string cursor;
    int pages = 0;
    do {
        const auto page =
            get("/v1/remittances?limit=30" + (cursor.empty() ? "" : "&cursor=" + cursor), finance);
        ASSERT_EQ(page.status, 200) << page.body;
        const json b = body(page);
        for (const auto& item : b["items"]) {
            EXPECT_TRUE(listed.insert(item["id"].get<std::string>()).second) << "listed twice";
        }
        cursor = b["next_cursor"].is_string() ? b["next_cursor"].get<std::string>() : "";
        ++pages;
    } while (!cursor.empty() && pages < 100);
    for (const auto& s : sent) {
        EXPECT_TRUE(listed.contains(s.id)) << s.id << " missing from finance's list";
    }
    const auto paid_only = get("/v1/remittances?status=paid&limit=200", finance);
    ASSERT_EQ(paid_only.status, 200);
    const json paid_page = body(paid_only);
    EXPECT_GE(static_cast<int>(paid_page["items"].size()), by_status["paid"]);
    for (const auto& item : paid_page["items"]) {
        EXPECT_EQ(item["status"], "paid");
    }

    // And the ledger's own invariants hold.
    const auto verify =
        post("/v1/ledger/verify", nullptr, chelete_->bearer("finance", platform::new_uuid()));
    ASSERT_EQ(verify.status, 200) << verify.body;
    EXPECT_TRUE(body(verify)["ok"].get<bool>()) << verify.body;
}

}  // namespace
}  // namespace chelete
