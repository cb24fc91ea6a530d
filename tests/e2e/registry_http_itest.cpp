// The registry as its users meet it, through `chelete all` over HTTP: the admin and officers log
// in, agencies go through their licence lifecycle, workers register and log in with a PIN, record
// permits that a ministerial directive extends, add beneficiaries, complain about agencies, and
// read who looked at their data. Plus the authorisation matrix and field validation.
#include <functional>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chelete/gateway/gateway.hpp>
#include <chelete/gateway/openapi.hpp>
#include <chelete/platform/crypto.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/registry/service.hpp>

#include "chelete_process.hpp"
#include "spec_check.hpp"

namespace chelete {
namespace {

using nlohmann::json;
using testing::HttpResult;

class RegistryHttpITest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (testing::pg_dsn() && testing::redis_options()) {
            chelete_ = new testing::CheleteProcess(
            );  // NOLINT(cppcoreguidelines-owning-memory): suite-wide
        }
    }
    static void TearDownTestSuite() {
        std::cout << "[registry] " << checked_responses << " responses checked against the spec\n";
        delete chelete_;  // NOLINT(cppcoreguidelines-owning-memory)
        chelete_ = nullptr;
    }
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        CHELETE_REQUIRE_REDIS();
        ASSERT_NE(chelete_, nullptr);
        ASSERT_TRUE(chelete_->ready());
    }

    static testing::HttpClient& http() { return chelete_->http(); }

    /// Every answer is checked against the spec (spec_check.hpp).
    static void check_against_spec(
        const std::string& method, const std::string& path, const HttpResult& r
    ) {
        if (testing::check_against_spec(method, path, r)) {
            ++checked_responses;
        }
    }
    static HttpResult post(
        const std::string& path, const json& body, const std::string& auth = ""
    ) {
        std::vector<std::string> headers{"Idempotency-Key: " + platform::new_uuid()};
        if (!auth.empty()) {
            headers.push_back(auth);
        }
        auto r = http().post_json(path, body.dump(), headers);
        check_against_spec("POST", path, r);
        return r;
    }
    static HttpResult get(const std::string& path, const std::string& auth = "") {
        auto r = auth.empty() ? http().get(path) : http().get(path, {auth});
        check_against_spec("GET", path, r);
        return r;
    }
    static json body(const HttpResult& r) { return json::parse(r.body, nullptr, false); }
    static std::string login(const json& credentials) {
        const auto r = http().post_json("/v1/auth/token", credentials.dump());
        EXPECT_EQ(r.status, 200) << r.body;
        return "Authorization: Bearer " + body(r).value("access_token", std::string{});
    }
    static std::string random_hex() {
        return platform::crypto::to_hex(platform::crypto::sha256(platform::crypto::random_bytes(16))
        )
            .substr(0, 16);
    }
    /// A random mobile number with this prefix ("+278", "+2665", "+2666"): 12 characters.
    static std::string unique_phone(const std::string& prefix) {
        std::string out = prefix;
        while (out.size() < 12) {
            out += static_cast<char>('0' + platform::crypto::random_u64() % 10);
        }
        return out;
    }
    static json new_worker(const std::string& phone, const std::string& passport) {
        return json{
            {"given_name", "Thabo"},
            {"family_name", "Mokoena"},
            {"date_of_birth", "1990-04-12"},
            {"phone", phone},
            {"pin", "48213"},
            {"passport_number", passport},
            {"lesotho_id", "LS" + passport.substr(2)},
            {"consents", {{{"purpose", "registration"}, {"granted", true}}}}};
    }
    static std::string new_passport() {
        return "RA" + std::to_string(1'000'000 + platform::crypto::random_u64() % 8'000'000);
    }
    /// A licensed agency, made by an officer; returns {id, licence_no}.
    static std::pair<std::string, std::string> licensed_agency(const std::string& officer) {
        const auto created = post(
            "/v1/agencies",
            {{"name", "Maseru Mining Recruiters"},
             {"registration_no", "REG-" + random_hex()},
             {"address", "Kingsway, Maseru 100"},
             {"contact_phone", "+26622123456"},
             {"directors", {{{"full_name", "Palesa Ntho"}, {"national_id", "LS998877"}}}}},
            officer
        );
        EXPECT_EQ(created.status, 201) << created.body;
        const std::string id = body(created).value("id", "");
        EXPECT_EQ(
            post(
                "/v1/agencies/" + id + "/decisions",
                {{"action", "start_review"}, {"reason", "documents complete"}},
                officer
            )
                .status,
            200
        );
        const auto approved = post(
            "/v1/agencies/" + id + "/decisions",
            {{"action", "approve"}, {"reason", "bond posted, premises inspected"}},
            officer
        );
        EXPECT_EQ(approved.status, 200) << approved.body;
        return {id, body(approved).value("licence_no", "")};
    }
    static std::string officer_session() {
        static std::string cached;
        if (cached.empty()) {
            const auto admin =
                login({{"username", "admin"}, {"password", testing::CheleteProcess::kAdminPassword}}
                );
            const std::string username = "officer" + random_hex();
            const auto created = post(
                "/v1/staff",
                {{"username", username},
                 {"password", "officer-password-1"},
                 {"role", "ministry_officer"},
                 {"display_name", "Officer Mohapi"}},
                admin
            );
            EXPECT_EQ(created.status, 201) << created.body;
            cached = login({{"username", username}, {"password", "officer-password-1"}});
        }
        return cached;
    }

    static testing::CheleteProcess* chelete_;
    static inline int checked_responses = 0;
};

testing::CheleteProcess* RegistryHttpITest::chelete_ = nullptr;

TEST_F(RegistryHttpITest, AgenciesGoThroughTheirLicenceLifecycleInPublic) {
    const auto officer = officer_session();
    const auto created_agency = licensed_agency(officer);
    const std::string id = created_agency.first;
    const std::string licence = created_agency.second;
    EXPECT_EQ(licence.rfind("LS-RA-", 0), 0U) << licence;

    // The public register: no token, no personal data.
    auto r = get("/v1/agencies/" + id);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["status"], "licensed");
    EXPECT_FALSE(body(r).contains("directors"));
    EXPECT_FALSE(body(r).contains("contact_phone"));
    EXPECT_EQ(r.body.find("Palesa"), std::string::npos);
    r = get("/v1/agencies/verify/" + licence);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["status"], "licensed");
    EXPECT_EQ(get("/v1/agencies/verify/LS-RA-1999-000000").status, 404);
    r = get("/v1/agencies?status=licensed&q=" + licence);
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(body(r)["items"].size(), 1U);

    // Not allowed from the current status: 409, nothing changes.
    r = post(
        "/v1/agencies/" + id + "/decisions", {{"action", "approve"}, {"reason", "again"}}, officer
    );
    EXPECT_EQ(r.status, 409) << r.body;
    r = post(
        "/v1/agencies/" + id + "/decisions",
        {{"action", "suspend"}, {"reason", "passports retained (order 12/2026)"}},
        officer
    );
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["status"], "suspended");
    EXPECT_EQ(body(r)["sanctions"].size(), 1U);
    EXPECT_EQ(
        post(
            "/v1/agencies/" + id + "/decisions",
            {{"action", "renew"}, {"reason", "renewal filed"}},
            officer
        )
            .status,
        409
    ) << "renewal is frozen while suspended";

    // A suspended agency cannot take on new workers.
    r = post("/v1/workers", [&] {
        auto w = new_worker(unique_phone("+278"), new_passport());
        w["agency_licence_no"] = licence;
        return w;
    }());
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_NE(r.body.find("agency_licence_no"), std::string::npos);

    r = get("/v1/agencies/" + id + "/history", officer);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto history = body(r)["items"];
    ASSERT_EQ(history.size(), 4U);  // applied, start_review, approve, suspend
    EXPECT_EQ(history[3]["reason"], "passports retained (order 12/2026)");
    EXPECT_EQ(history[3]["from_status"], "licensed");
    EXPECT_TRUE(body(r)["next_cursor"].is_null());

    // A page at a time, oldest first: three pages of 2, 2 and nothing more.
    r = get("/v1/agencies/" + id + "/history?limit=2", officer);
    ASSERT_EQ(r.status, 200) << r.body;
    const json first = body(r);
    ASSERT_EQ(first["items"].size(), 2U);
    EXPECT_EQ(first["items"][1], history[1]);
    ASSERT_TRUE(first["next_cursor"].is_string()) << r.body;
    r = get(
        "/v1/agencies/" + id + "/history?limit=2&cursor=" + first["next_cursor"].get<std::string>(),
        officer
    );
    ASSERT_EQ(r.status, 200) << r.body;
    const json second = body(r);
    ASSERT_EQ(second["items"].size(), 2U);
    EXPECT_EQ(second["items"][0], history[2]);
    EXPECT_EQ(second["items"][1], history[3]);
    // A full last page may still say there is more only if there is: here there is not.
    EXPECT_TRUE(second["next_cursor"].is_null()) << r.body;
    // A forged cursor is a 400 naming it, never a query.
    r = get("/v1/agencies/" + id + "/history?cursor=not-a-cursor", officer);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("cursor"), std::string::npos) << r.body;

    // The history is append-only in the database too.
    pqxx::connection c{*testing::pg_dsn()};
    pqxx::work tx{c};
    EXPECT_THROW(
        tx.exec(
            "UPDATE " + chelete_->registry_schema() + ".agency_decisions SET reason = 'edited'"
        ),
        pqxx::sql_error
    );
}

TEST_F(RegistryHttpITest, DirectorsIdentityNumbersAreNeverStoredNorAnsweredInClear) {
    const auto officer = officer_session();
    const std::string key = platform::new_uuid();
    const json application{
        {"name", "Berea Recruitment Services"},
        {"registration_no", "REG-" + random_hex()},
        {"address", "Main Road, Teyateyaneng"},
        {"contact_phone", "+26622456789"},
        {"directors",
         {{{"full_name", "Palesa Ntho"}, {"national_id", "LS 4455-6677"}},
          {{"full_name", "Neo Letsie"}}}}};
    const auto send = [&] {
        auto r = http().post_json(
            "/v1/agencies", application.dump(), {"Idempotency-Key: " + key, officer}
        );
        check_against_spec("POST", "/v1/agencies", r);
        return r;
    };
    const auto created = send();
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = body(created)["id"];
    EXPECT_EQ(body(created)["directors"][0]["national_id"], "******6677");
    EXPECT_EQ(body(created)["directors"][1]["national_id"], nullptr);
    // The gateway keeps the answer for replays: the mask, never the number.
    const auto replayed = send();
    EXPECT_EQ(replayed.status, 201);
    EXPECT_EQ(replayed.body, created.body);
    for (const auto* reply : {&created, &replayed}) {
        EXPECT_EQ(reply->body.find("44556677"), std::string::npos) << reply->body;
        EXPECT_EQ(reply->body.find("4455-6677"), std::string::npos) << reply->body;
    }
    {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        const auto stored = tx.exec_params1(
                                  "SELECT directors::text FROM " + chelete_->registry_schema() +
                                      ".agencies WHERE id = $1",
                                  id
        )[0]
                                .as<std::string>();
        EXPECT_EQ(stored.find("44556677"), std::string::npos) << stored;
        EXPECT_NE(stored.find("\"national_id_enc\": \"v1.k1."), std::string::npos) << stored;
        const auto kept = tx.exec_params(
            "SELECT response_body FROM gateway.idempotency_keys WHERE idempotency_key = $1", key
        );
        ASSERT_EQ(kept.size(), 1U);
        EXPECT_EQ(kept[0][0].as<std::string>().find("44556677"), std::string::npos);
        EXPECT_NE(kept[0][0].as<std::string>().find("******6677"), std::string::npos);
    }
    // The public register shows no directors at all.
    const auto pub = get("/v1/agencies/" + id);
    ASSERT_EQ(pub.status, 200) << pub.body;
    for (const std::string text : {"directors", "national_id", "******6677", "Palesa", "Letsie"}) {
        EXPECT_EQ(pub.body.find(text), std::string::npos) << pub.body;
    }
    // A number that is no identity number is refused by name.
    auto bad = application;
    bad["registration_no"] = "REG-" + random_hex();
    bad["directors"][0]["national_id"] = "LS/4455/6677";
    const auto refused = post("/v1/agencies", bad, officer);
    EXPECT_EQ(refused.status, 422) << refused.body;
    EXPECT_NE(refused.body.find("directors[0].national_id"), std::string::npos) << refused.body;
}

TEST_F(RegistryHttpITest, AWorkerRegistersLogsInAndSeesOnlyTheirOwnMaskedRecord) {
    const auto officer = officer_session();
    const auto created_agency = licensed_agency(officer);
    const std::string agency_id = created_agency.first;
    const std::string licence = created_agency.second;
    const std::string phone = unique_phone("+278");
    const std::string passport = new_passport();
    auto w = new_worker(phone, passport);
    w["agency_licence_no"] = licence;
    auto r = post("/v1/workers", w);
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string worker_id = body(r)["id"];
    EXPECT_EQ(body(r)["kyc_tier"], "basic");
    EXPECT_EQ(body(r)["agency_id"], agency_id);
    EXPECT_EQ(r.body.find(passport), std::string::npos) << "the passport number is shown masked";
    EXPECT_EQ(body(r)["passport_number"], "*****" + passport.substr(passport.size() - 4));
    EXPECT_EQ(r.body.find("48213"), std::string::npos) << "never the PIN";

    // Duplicates: the phone, the passport.
    EXPECT_EQ(post("/v1/workers", new_worker(phone, new_passport())).status, 409);
    r = post("/v1/workers", new_worker(unique_phone("+278"), passport));
    EXPECT_EQ(r.status, 409);
    EXPECT_NE(r.body.find("passport_number"), std::string::npos) << r.body;

    // Identity numbers are encrypted at rest; the look-up is by keyed hash.
    {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        const auto row = tx.exec_params1(
            "SELECT passport_enc, passport_hash, lesotho_id_enc FROM " +
                chelete_->registry_schema() + ".workers WHERE id = $1",
            worker_id
        );
        EXPECT_EQ(row[0].as<std::string>().find(passport), std::string::npos);
        EXPECT_EQ(row[0].as<std::string>().rfind("v1.k1.", 0), 0U) << row[0].as<std::string>();
        EXPECT_EQ(row[1].as<std::string>().find(passport), std::string::npos);
        EXPECT_EQ(row[2].as<std::string>().find(passport.substr(2)), std::string::npos);
    }

    const auto me = login({{"phone", phone}, {"pin", "48213"}});
    r = get("/v1/workers/" + worker_id, me);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["phone"], phone);
    // Another worker's record is "not found", never "forbidden".
    const auto other = post("/v1/workers", new_worker(unique_phone("+278"), new_passport()));
    ASSERT_EQ(other.status, 201);
    EXPECT_EQ(get("/v1/workers/" + body(other)["id"].get<std::string>(), me).status, 404);

    // Officers may read it, and the worker sees that they did.
    EXPECT_EQ(get("/v1/workers/" + worker_id, officer).status, 200);
    r = get("/v1/workers/" + worker_id + "/access-log", me);
    ASSERT_EQ(r.status, 200) << r.body;
    bool officer_read = false;
    const json log = body(r);
    for (const auto& entry : log["items"]) {
        officer_read = officer_read ||
                       (entry["actor_role"] == "ministry_officer" && entry["action"] == "read");
    }
    EXPECT_TRUE(officer_read) << r.body;
}

TEST_F(RegistryHttpITest, FiveWrongPinsLockTheLogin) {
    const std::string phone = unique_phone("+278");
    ASSERT_EQ(post("/v1/workers", new_worker(phone, new_passport())).status, 201);
    const auto try_pin = [&](const std::string& pin) {
        return http().post_json("/v1/auth/token", json{{"phone", phone}, {"pin", pin}}.dump());
    };
    // Four wrong PINs do not lock (each is answered as a wrong PIN, the fifth too); the fifth
    // locks: the right PIN is refused now, with the seconds left.
    const auto wrong_pins_are_refused = [&](int n) {
        for (int i = 1; i <= n; ++i) {
            const auto r = try_pin("97531");
            EXPECT_EQ(r.status, 401) << r.body;
            EXPECT_NE(r.body.find("invalid-credentials"), std::string::npos)
                << "wrong PIN " << i << " of " << n << ": " << r.body;
        }
    };
    wrong_pins_are_refused(5);
    const auto locked = try_pin("48213");
    EXPECT_EQ(locked.status, 401);
    EXPECT_NE(locked.body.find("login-locked"), std::string::npos) << locked.body;
    ASSERT_TRUE(locked.headers.count("retry-after")) << "the lockout says when to come back";
    const int retry_after = std::stoi(locked.headers.at("retry-after"));
    EXPECT_GE(retry_after, 1790) << "CHELETE_LOGIN_LOCKOUT is 30 minutes";
    EXPECT_LE(retry_after, 1800);

    // Once the lock has lapsed, the count starts afresh: four wrong PINs do not lock again.
    const auto workers = chelete_->registry_schema() + ".workers";
    {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec_params0(
            "UPDATE " + workers +
                " SET locked_until = now() - interval '1 second' WHERE phone = $1",
            phone
        );
        tx.commit();
    }
    wrong_pins_are_refused(4);
    const auto again = try_pin("48213");
    EXPECT_EQ(again.status, 200) << "a lapsed lock gives five more tries: " << again.body;
    {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        const auto row = tx.exec_params1(
            "SELECT failed_logins, locked_until IS NULL FROM " + workers + " WHERE phone = $1",
            phone
        );
        EXPECT_EQ(row[0].as<int>(), 0) << "the right PIN clears the count";
        EXPECT_TRUE(row[1].as<bool>());
    }
    // Unknown phones answer exactly like wrong PINs.
    const auto unknown = http().post_json(
        "/v1/auth/token", json{{"phone", "+27699999999"}, {"pin", "48213"}}.dump()
    );
    EXPECT_EQ(unknown.status, 401);
    EXPECT_NE(unknown.body.find("invalid-credentials"), std::string::npos);
}

TEST_F(RegistryHttpITest, ADirectiveExtendsLegalValidityAndKeepsThePrintedDate) {
    const auto officer = officer_session();
    const auto r0 = post("/v1/workers", new_worker(unique_phone("+278"), new_passport()));
    ASSERT_EQ(r0.status, 201);
    const std::string worker_id = body(r0)["id"];
    // An LEP printed to expire in the past: expired until the directive.
    const std::string number =
        "LEP" + std::to_string(100000 + platform::crypto::random_u64() % 800000);
    auto r = post(
        "/v1/workers/" + worker_id + "/permits",
        {{"type", "LEP"},
         {"number", number},
         {"issued_on", "2020-01-01"},
         {"expires_on", "2025-11-29"}},
        officer
    );
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(body(r)["status"], "expired");
    r = post(
        "/v1/permit-directives",
        {{"permit_type", "LEP"},
         {"valid_until", "2099-05-28"},
         {"reference", "Test directive " + platform::new_uuid()},
         {"published_on", "2025-10-07"}},
        officer
    );
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_GE(body(r)["permits_updated"].get<int>(), 1);
    r = get("/v1/workers/" + worker_id + "/permits", officer);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto permit = body(r)["items"][0];
    EXPECT_EQ(permit["status"], "extended_by_directive");
    EXPECT_EQ(permit["printed_expiry"], "2025-11-29");
    EXPECT_EQ(permit["legal_expiry"], "2099-05-28");
    EXPECT_TRUE(permit["directive_ref"].get<std::string>().rfind("Test directive", 0) == 0);
    // Lifecycle: revoked is allowed, back to valid is not.
    r = post(
        "/v1/permits/" + permit["id"].get<std::string>() + "/status",
        {{"status", "revoked"}, {"reason", "s43 breach"}},
        officer
    );
    EXPECT_EQ(r.status, 200) << r.body;
    r = post(
        "/v1/permits/" + permit["id"].get<std::string>() + "/status",
        {{"status", "valid"}, {"reason", "undo"}},
        officer
    );
    EXPECT_EQ(r.status, 409) << r.body;
}

/// Whether a 422 names `field` among its errors.
bool names_error(const json& problem, const std::string& field) {
    if (!problem.contains("errors")) {
        return false;
    }
    for (const auto& e : problem["errors"]) {
        if (e.value("field", std::string{}) == field) {
            return true;
        }
    }
    return false;
}

// DOMAIN.md 6: a worker whose permit lapsed applies again and holds the VFS receipt as proof of
// application; officers carry the application through adjudication to issue, after which the
// calendar treats it like any issued permit. A refused one ends refused_final.
TEST_F(RegistryHttpITest, AnApplicationWithItsVfsReceiptIsCarriedToIssueOrFinalRefusal) {
    const auto officer = officer_session();
    const std::string phone = unique_phone("+278");
    const auto r0 = post("/v1/workers", new_worker(phone, new_passport()));
    ASSERT_EQ(r0.status, 201);
    const std::string worker_id = body(r0)["id"];
    const auto me = login({{"phone", phone}, {"pin", "48213"}});
    const std::string permits = "/v1/workers/" + worker_id + "/permits";
    const auto digits = [] {
        return std::to_string(1'000'000 + platform::crypto::random_u64() % 8'000'000);
    };
    const std::string receipt = "LSO/PTA/2025/" + digits();

    // Submitted needs its receipt; an application has no number or dates yet.
    auto r = post(permits, {{"type", "other"}, {"status", "submitted"}}, me);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_TRUE(names_error(body(r), "vfs_reference")) << r.body;
    r = post(
        permits,
        {{"type", "other"},
         {"status", "submitted"},
         {"vfs_reference", receipt},
         {"number", "OTH123456"}},
        me
    );
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_TRUE(names_error(body(r), "number")) << r.body;
    r = post(permits, {{"type", "other"}, {"status", "valid"}, {"vfs_reference", receipt}}, me);
    EXPECT_EQ(r.status, 422) << "only application statuses may be recorded: " << r.body;
    EXPECT_TRUE(names_error(body(r), "status")) << r.body;

    // The worker records their own application, with the receipt.
    r = post(permits, {{"type", "other"}, {"status", "submitted"}, {"vfs_reference", receipt}}, me);
    ASSERT_EQ(r.status, 201) << r.body;
    const json application = body(r);
    EXPECT_EQ(application["status"], "submitted");
    EXPECT_EQ(application["vfs_reference"], receipt);
    EXPECT_TRUE(application["number"].is_null());
    EXPECT_TRUE(application["printed_expiry"].is_null());
    EXPECT_TRUE(application["legal_expiry"].is_null());
    EXPECT_FALSE(application["verified"].get<bool>());
    EXPECT_EQ(body(get("/v1/workers/" + worker_id, me))["kyc_tier"], "basic")
        << "an application is not a verified permit";
    const std::string status = "/v1/permits/" + application["id"].get<std::string>() + "/status";
    const auto move = [&](const std::string& to, json extra = json::object()) {
        extra["status"] = to;
        extra["reason"] = "VFS tracking: " + to;
        return post(status, extra, officer);
    };
    // No skipping the decision.
    r = move("issued", {{"number", "OTH" + digits()}, {"expires_on", "2099-01-01"}});
    EXPECT_EQ(r.status, 409) << r.body;
    for (const std::string to : {"in_adjudication", "approved", "ready_for_collection"}) {
        r = move(to);
        ASSERT_EQ(r.status, 200) << to << ": " << r.body;
        EXPECT_EQ(body(r)["status"], to);
        EXPECT_TRUE(body(r)["number"].is_null());
    }
    // Issue needs the number and the printed expiry, each named when missing.
    r = move("issued", {{"expires_on", "2099-01-01"}});
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_TRUE(names_error(body(r), "number")) << r.body;
    r = move("issued", {{"number", "OTH" + digits()}});
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_TRUE(names_error(body(r), "expires_on")) << r.body;
    const std::string number = "OTH" + digits();
    r = move(
        "issued", {{"number", number}, {"issued_on", "2025-06-01"}, {"expires_on", "2099-01-01"}}
    );
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["status"], "issued");
    EXPECT_EQ(body(r)["number"], number);
    EXPECT_EQ(body(r)["issued_on"], "2025-06-01");
    EXPECT_EQ(body(r)["printed_expiry"], "2099-01-01");
    EXPECT_EQ(body(r)["legal_expiry"], "2099-01-01");
    EXPECT_EQ(body(r)["vfs_reference"], receipt) << "the receipt stays on the permit it led to";

    // A second application by an officer, refused after review.
    const std::string receipt2 = "LSO/MSU/2025/" + digits();
    r = post(
        permits, {{"type", "other"}, {"status", "submitted"}, {"vfs_reference", receipt2}}, officer
    );
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string refused = "/v1/permits/" + body(r)["id"].get<std::string>() + "/status";
    for (const std::string to :
         {"in_adjudication", "rejected", "appeal_or_review_pending", "refused_final"}) {
        r = post(refused, {{"status", to}, {"reason", "DHA decision: " + to}}, officer);
        ASSERT_EQ(r.status, 200) << to << ": " << r.body;
        EXPECT_EQ(body(r)["status"], to);
    }
    r = post(refused, {{"status", "approved"}, {"reason", "try again"}}, officer);
    EXPECT_EQ(r.status, 409) << "refused_final is final: " << r.body;

    // The calendar (here a directive for the type) takes the issued permit to valid and leaves the
    // refused application alone.
    r = post(
        "/v1/permit-directives",
        {{"permit_type", "other"},
         {"valid_until", "2000-06-01"},
         {"reference", "Old directive " + platform::new_uuid()},
         {"published_on", "2000-01-01"}},
        officer
    );
    ASSERT_EQ(r.status, 201) << r.body;
    r = get(permits, me);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto items = body(r)["items"];
    ASSERT_EQ(items.size(), 2U) << r.body;
    EXPECT_EQ(items[0]["status"], "valid") << "issued, then valid by the calendar";
    EXPECT_EQ(items[0]["legal_expiry"], "2099-01-01");
    EXPECT_EQ(items[1]["status"], "refused_final");
    EXPECT_TRUE(items[1]["legal_expiry"].is_null());
    // The issued permit is now a permit like the others: revocable, not back to an application.
    r = post(status, {{"status", "submitted"}, {"reason", "undo"}}, officer);
    EXPECT_EQ(r.status, 409) << r.body;
}

// docs/registry.md "KYC tiers": an expired verified permit plus a submitted application with its
// VFS receipt keeps `basic` (DHA's 2017 circular), until the application is refused.
TEST_F(RegistryHttpITest, ASubmittedApplicationKeepsAnExpiredPermitHolderAtBasic) {
    const auto officer = officer_session();
    const std::string phone = unique_phone("+278");
    const auto r0 = post("/v1/workers", new_worker(phone, new_passport()));
    ASSERT_EQ(r0.status, 201);
    const std::string worker_id = body(r0)["id"];
    const std::string permits = "/v1/workers/" + worker_id + "/permits";
    auto r = post(
        permits,
        {{"type", "work_visa"},
         {"number", "WV" + random_hex().substr(0, 8)},
         {"issued_on", "2015-01-01"},
         {"expires_on", "2016-01-01"}},
        officer
    );
    ASSERT_EQ(r.status, 201) << r.body;
    ASSERT_EQ(body(r)["status"], "expired");
    {
        // Verified against the permit registry (that path is permit_verification_itest's).
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec_params0(
            "UPDATE " + chelete_->registry_schema() +
                ".permits SET verified_at = now(), verified_by = 'test' WHERE id = $1",
            body(r)["id"].get<std::string>()
        );
        tx.commit();
    }
    const auto tier = [&] { return body(get("/v1/workers/" + worker_id, officer))["kyc_tier"]; };
    EXPECT_EQ(tier(), "restricted");
    r = post(permits, {{"type", "work_visa"}, {"status", "draft"}}, officer);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(tier(), "restricted") << "a draft is no proof of application";
    const auto me = login({{"phone", phone}, {"pin", "48213"}});
    r = post(
        permits,
        {{"type", "work_visa"}, {"status", "submitted"}, {"vfs_reference", "VFS-" + random_hex()}},
        me
    );
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(body(r)["status"], "submitted");
    EXPECT_EQ(tier(), "restricted") << "a receipt number the worker typed in alone lifts no limit";
    r = post(
        permits,
        {{"type", "work_visa"}, {"status", "submitted"}, {"vfs_reference", "VFS-" + random_hex()}},
        officer
    );
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(tier(), "basic") << "expired permit plus VFS receipt";
    const std::string status = "/v1/permits/" + body(r)["id"].get<std::string>() + "/status";
    for (const std::string to : {"in_adjudication", "rejected"}) {
        ASSERT_EQ(post(status, {{"status", to}, {"reason", "DHA: " + to}}, officer).status, 200);
    }
    EXPECT_EQ(tier(), "restricted") << "a rejected application is proof of nothing";
}

TEST_F(RegistryHttpITest, AStatusLetterIsSignedAndAnyoneCanCheckIt) {
    const auto officer = officer_session();
    const std::string phone = unique_phone("+278");
    const auto r0 = post("/v1/workers", new_worker(phone, new_passport()));
    ASSERT_EQ(r0.status, 201);
    const std::string worker_id = body(r0)["id"];
    const auto me = login({{"phone", phone}, {"pin", "48213"}});
    EXPECT_EQ(get("/v1/workers/" + worker_id + "/status-letter", me).status, 422)
        << "no permit to state yet";
    ASSERT_EQ(
        post(
            "/v1/workers/" + worker_id + "/permits",
            {{"type", "LSP"},
             {"number", "LSP" + random_hex().substr(0, 8)},
             {"issued_on", "2021-02-01"},
             {"expires_on", "2031-01-31"}},
            me
        )
            .status,
        201
    );
    auto r = get("/v1/workers/" + worker_id + "/status-letter", me);
    ASSERT_EQ(r.status, 200) << r.body;
    const json letter = body(r);
    const std::string text = letter["signed_text"];
    EXPECT_EQ(json::parse(text), letter["content"]);
    EXPECT_EQ(letter["content"]["permits"][0]["status"], "valid");
    // Offline, with nothing but the public key:
    EXPECT_TRUE(platform::crypto::verify_ed25519(
        letter["public_key"].get<std::string>(), text, letter["signature"].get<std::string>()
    ));
    std::string forged = text;
    forged.replace(forged.find("\"valid\""), 7, "\"VALID\"");
    EXPECT_FALSE(platform::crypto::verify_ed25519(
        letter["public_key"].get<std::string>(), forged, letter["signature"].get<std::string>()
    ));
    // Online, by anyone; the check shows in the worker's access log.
    r = get(letter["check_path"].get<std::string>());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["valid"], true);
    EXPECT_EQ(get("/v1/status-letters/" + platform::new_uuid()).status, 404);
    EXPECT_EQ(get("/v1/workers/" + worker_id + "/status-letter", officer).status, 403)
        << "only the worker asks for it";
    r = get("/v1/workers/" + worker_id + "/access-log", me);
    EXPECT_NE(r.body.find("letter_check"), std::string::npos) << r.body;
}

TEST_F(RegistryHttpITest, BeneficiariesAndComplaints) {
    const auto officer = officer_session();
    const auto created_agency = licensed_agency(officer);
    const std::string agency_id = created_agency.first;
    const std::string licence = created_agency.second;
    const std::string phone = unique_phone("+278");
    const auto r0 = post("/v1/workers", new_worker(phone, new_passport()));
    ASSERT_EQ(r0.status, 201);
    const std::string worker_id = body(r0)["id"];
    const auto me = login({{"phone", phone}, {"pin", "48213"}});
    const std::string mother_phone = unique_phone("+2665");
    json mother{
        {"full_name", "'Mathabo Mokoena"},
        {"phone", mother_phone},
        {"relationship", "parent"},
        {"payout_method", "mpesa"}};
    auto r = post("/v1/workers/" + worker_id + "/beneficiaries", mother, me);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(post("/v1/workers/" + worker_id + "/beneficiaries", mother, me).status, 409)
        << "duplicate";
    mother["phone"] = "+27821234567";
    r = post("/v1/workers/" + worker_id + "/beneficiaries", mother, me);
    EXPECT_EQ(r.status, 422) << "a South African number cannot receive in Lesotho";
    EXPECT_NE(r.body.find("\"phone\""), std::string::npos) << r.body;
    mother["phone"] = unique_phone("+2666");
    mother["payout_method"] = "cash_pickup";
    r = post("/v1/workers/" + worker_id + "/beneficiaries", mother, me);
    EXPECT_EQ(r.status, 422) << "cash pickup needs the national id";
    r = get("/v1/workers/" + worker_id + "/beneficiaries", me);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(body(r)["items"].size(), 1U);
    // The mother gets a login of her own: a first PIN by SMS (read here from the outbox, as the
    // notifier would), and a token with the beneficiary role.
    {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        const auto sms = tx.exec_params(
            "SELECT payload FROM " + chelete_->registry_schema() +
                ".outbox WHERE type = 'notify.sms' AND payload::jsonb->>'to' = $1",
            mother_phone
        );
        ASSERT_EQ(sms.size(), 1U);
        const auto message = json::parse(sms[0][0].as<std::string>());
        EXPECT_EQ(message["template"], "beneficiary_welcome");
        const auto token = http().post_json(
            "/v1/auth/token",
            json{{"phone", mother_phone}, {"pin", message["params"]["pin"]}}.dump()
        );
        ASSERT_EQ(token.status, 200) << token.body;
        EXPECT_EQ(body(token)["role"], "beneficiary");
        EXPECT_EQ(
            http()
                .post_json("/v1/auth/token", json{{"phone", mother_phone}, {"pin", "97531"}}.dump())
                .status,
            401
        );
    }

    r = post(
        "/v1/agencies/" + agency_id + "/complaints",
        {{"category", "trafficking_indicator"},
         {"description", "they kept my passport and said I owe them"}},
        me
    );
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string complaint = body(r)["id"];
    EXPECT_EQ(body(r)["tracking_no"].get<std::string>().rfind("CMP-", 0), 0U);
    r = get("/v1/agencies/" + agency_id);
    EXPECT_EQ(body(r)["complaints_by_category"]["trafficking_indicator"], 1);
    // Compliance is alerted through registry.events (the outbox row is written with the complaint).
    {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        const auto n = tx.exec_params1(
            "SELECT count(*) FROM " + chelete_->registry_schema() +
                ".outbox WHERE type = 'registry.trafficking_alert' AND "
                "payload::jsonb->>'complaint_id' = $1",
            complaint
        );
        EXPECT_EQ(n[0].as<int>(), 1);
    }
    r = post(
        "/v1/complaints/" + complaint + "/decisions",
        {{"action", "refer_nrm"}, {"note", "referred to the NRM desk"}},
        officer
    );
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["status"], "referred_nrm");
    EXPECT_EQ(
        post(
            "/v1/complaints/" + complaint + "/decisions",
            {{"action", "resolve"}, {"note", "resolved after all"}},
            officer
        )
            .status,
        409
    );
    r = get("/v1/complaints?agency_id=" + agency_id, officer);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(body(r)["items"].size(), 1U);
}

// Field validation: a bad value is refused naming the field, and nothing is stored.
TEST_F(RegistryHttpITest, BadFieldsAreRefusedByNameAndNothingIsStored) {
    const auto count_workers = [] {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        return tx.exec1("SELECT count(*) FROM " + chelete_->registry_schema() + ".workers")[0]
            .as<int>();
    };
    const int before = count_workers();
    struct Case {
        const char* field;
        std::function<void(json&)> spoil;
        int status;
    };
    // Schema violations are refused by the gateway, rule violations by the registry: both 422
    // with the field named (400 is for bodies that are not JSON at all).
    const std::vector<Case> cases{
        {"phone", [](json& w) { w["phone"] = "0821234567"; }, 422},
        {"phone", [](json& w) { w["phone"] = "+15550100000"; }, 422},
        {"date_of_birth", [](json& w) { w["date_of_birth"] = "2999-01-01"; }, 422},
        {"date_of_birth", [](json& w) { w["date_of_birth"] = "1990-02-30"; }, 422},
        {"pin", [](json& w) { w["pin"] = "12345"; }, 422},
        {"pin", [](json& w) { w["pin"] = 48213; }, 422},
        {"given_name", [](json& w) { w["given_name"] = std::string(101, 'a'); }, 422},
        {"given_name", [](json& w) { w["given_name"] = "<script>"; }, 422},
        {"is_admin", [](json& w) { w["is_admin"] = true; }, 422},
        {"kyc_tier", [](json& w) { w["kyc_tier"] = "enhanced"; }, 422},
        {"consents",
         [](json& w) {
             w["consents"] = json::array({{{"purpose", "marketing"}, {"granted", true}}});
         },
         422},
        {"purpose", [](json& w) { w["consents"][0]["purpose"] = "selling"; }, 422},
        {"passport_number", [](json& w) { w.erase("passport_number"); }, 422},
    };
    for (const auto& c : cases) {
        auto w = new_worker(unique_phone("+278"), new_passport());
        c.spoil(w);
        const auto r = post("/v1/workers", w);
        EXPECT_EQ(r.status, c.status) << c.field << ": " << r.body;
        EXPECT_NE(r.body.find(c.field), std::string::npos)
            << "the error names " << c.field << ": " << r.body;
        EXPECT_NE(r.headers.at("content-type").find("application/problem+json"), std::string::npos);
    }
    const auto malformed = http().post_json(
        "/v1/workers", "{\"given_name\": ", {"Idempotency-Key: " + platform::new_uuid()}
    );
    EXPECT_EQ(malformed.status, 400) << malformed.body;
    EXPECT_EQ(count_workers(), before) << "a refused registration stores nothing";
}

// The other write operations: each bad field refused by name (422), nothing stored.
TEST_F(RegistryHttpITest, BadFieldsOfEveryWriteOperationAreRefusedByName) {
    const auto officer = officer_session();
    const auto admin =
        login({{"username", "admin"}, {"password", testing::CheleteProcess::kAdminPassword}});
    const auto created_agency = licensed_agency(officer);
    const std::string agency_id = created_agency.first;
    const std::string licence = created_agency.second;
    const std::string phone = unique_phone("+278");
    const auto w = post("/v1/workers", new_worker(phone, new_passport()));
    ASSERT_EQ(w.status, 201);
    const std::string worker_id = body(w)["id"];
    const auto me = login({{"phone", phone}, {"pin", "48213"}});
    const auto count = [](const std::string& table) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        return tx.exec1("SELECT count(*) FROM " + chelete_->registry_schema() + "." + table)[0]
            .as<int>();
    };
    struct Case {
        std::string path;
        std::string auth;
        json body;
        std::string field;
        std::string table;
    };
    const json agency{
        {"name", "Butha-Buthe Recruiters"},
        {"registration_no", "BB-" + random_hex()},
        {"address", "Main Road"},
        {"contact_phone", "+26622000002"},
        {"directors", {{{"full_name", "Mpho Letsie"}}}}};
    const json beneficiary{
        {"full_name", "Lineo Mokoena"},
        {"phone", unique_phone("+2665")},
        {"relationship", "sibling"},
        {"payout_method", "mpesa"}};
    const json permit{
        {"type", "LSP"},
        {"number", "LSP" + random_hex().substr(0, 8)},
        {"issued_on", "2021-01-01"},
        {"expires_on", "2031-01-01"}};
    const json staff{
        {"username", "clerk" + random_hex().substr(0, 6)},
        {"password", "a-long-password-1"},
        {"role", "finance"},
        {"display_name", "Clerk"}};
    const auto with = [](json base, const std::string& key, const json& value) {
        if (value.is_null()) {
            base.erase(key);
        } else {
            base[key] = value;
        }
        return base;
    };
    const std::string agencies = "/v1/agencies";
    const std::string beneficiaries = "/v1/workers/" + worker_id + "/beneficiaries";
    const std::string permits = "/v1/workers/" + worker_id + "/permits";
    const std::vector<Case> cases{
        {agencies, officer, with(agency, "contact_phone", "22000002"), "contact_phone", "agencies"},
        {agencies, officer, with(agency, "directors", json::array()), "directors", "agencies"},
        {agencies,
         officer,
         with(agency, "directors", {{{"full_name", "<b>x</b>"}}}),
         "directors[0].full_name",
         "agencies"},
        {agencies, officer, with(agency, "name", "A"), "name", "agencies"},
        {agencies, officer, with(agency, "status", "licensed"), "status", "agencies"},
        {beneficiaries, me, with(beneficiary, "phone", "+27821234567"), "phone", "beneficiaries"},
        {beneficiaries,
         me,
         with(beneficiary, "relationship", "landlord"),
         "relationship",
         "beneficiaries"},
        {beneficiaries,
         me,
         with(beneficiary, "payout_method", "bank"),
         "payout_method",
         "beneficiaries"},
        {beneficiaries, me, with(beneficiary, "full_name", nullptr), "full_name", "beneficiaries"},
        {permits, me, with(permit, "expires_on", "2020-01-01"), "expires_on", "permits"},
        {permits, me, with(permit, "issued_on", "2999-01-01"), "issued_on", "permits"},
        {permits, me, with(permit, "type", "ZEP"), "type", "permits"},
        {permits, me, with(permit, "number", "12"), "number", "permits"},
        {"/v1/staff", admin, with(staff, "password", "short"), "password", "staff"},
        {"/v1/staff", admin, with(staff, "role", "superuser"), "role", "staff"},
        {"/v1/staff",
         admin,
         with(staff, "username", "Robert'); DROP TABLE staff;--"),
         "username",
         "staff"},
        {"/v1/staff", admin, with(staff, "role", "agent"), "country", "staff"},
        {"/v1/agencies/" + agency_id + "/complaints",
         me,
         {{"category", "rude"}, {"description", "a long enough text"}},
         "category",
         "complaints"},
        {"/v1/agencies/" + agency_id + "/complaints",
         me,
         {{"category", "abuse"}, {"description", "short"}},
         "description",
         "complaints"},
        {"/v1/workers/" + worker_id + "/consents",
         me,
         {{"purpose", "selling"}, {"granted", true}},
         "purpose",
         "consents"},
        {"/v1/workers/" + worker_id + "/consents",
         me,
         {{"purpose", "registration"}, {"granted", false}},
         "purpose",
         "consents"},
        {"/v1/agencies/" + agency_id + "/decisions",
         officer,
         {{"action", "approve"}},
         "reason",
         "agency_decisions"},
        {"/v1/agencies/" + agency_id + "/decisions",
         officer,
         {{"action", "bless"}, {"reason", "because"}},
         "action",
         "agency_decisions"},
        {"/v1/permit-directives",
         officer,
         {{"permit_type", "LEP"},
          {"valid_until", "2027-02-30"},
          {"reference", "Directive X"},
          {"published_on", "2025-10-07"}},
         "valid_until",
         "directives"},
    };
    for (const auto& c : cases) {
        const int before = count(c.table);
        const auto r = post(c.path, c.body, c.auth);
        EXPECT_EQ(r.status, 422) << c.path << " " << c.field << ": " << r.body;
        EXPECT_NE(r.body.find("\"" + c.field + "\""), std::string::npos)
            << "the error names " << c.field << ": " << r.body;
        EXPECT_EQ(count(c.table), before) << c.path << " " << c.field << " stored something";
    }
    // A forged cursor is a 400 naming it, on every list (never a database error).
    for (const std::string& list :
         {std::string{"/v1/staff"},
          std::string{"/v1/agencies"},
          std::string{"/v1/complaints"},
          "/v1/workers/" + worker_id + "/access-log"}) {
        const std::string& auth = list == "/v1/staff"        ? admin
                                  : list == "/v1/complaints" ? officer
                                  : list == "/v1/agencies"   ? ""
                                                             : me;
        const auto forged =
            get(list + "?cursor=" + platform::crypto::base64url_encode("x' OR 1=1 --"), auth);
        EXPECT_EQ(forged.status, 400) << list << ": " << forged.body;
        EXPECT_NE(forged.body.find("cursor"), std::string::npos) << forged.body;
    }
    // SQL metacharacters in a valid field are stored verbatim and harmless.
    const auto r = post(
        "/v1/agencies/" + agency_id + "/complaints",
        {{"category", "other"},
         {"description", "x'); DROP TABLE complaints; -- and \"quotes\" \\ too"}},
        me
    );
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(body(r)["description"], "x'); DROP TABLE complaints; -- and \"quotes\" \\ too");
}

// Every registry operation x every role x own / someone else's record.
TEST_F(RegistryHttpITest, AuthorisationMatrix) {
    const auto officer = officer_session();
    const auto created_agency = licensed_agency(officer);
    const std::string agency_id = created_agency.first;
    const std::string licence = created_agency.second;
    const auto own = post("/v1/workers", new_worker(unique_phone("+278"), new_passport()));
    const auto other = post("/v1/workers", new_worker(unique_phone("+278"), new_passport()));
    ASSERT_EQ(own.status, 201);
    ASSERT_EQ(other.status, 201);
    const std::string own_id = body(own)["id"];
    const std::string other_id = body(other)["id"];

    enum class Who : std::uint8_t { kOwn, kOther };
    struct Row {
        std::string operation;  // operationId
        std::string method;
        std::function<std::string(const std::string& worker_id)> path;
        std::function<json()> body;
        std::set<std::string> roles;  // roles that may call it (x-roles), "" = public
        bool owned = false;           // the worker role only on its own record
    };
    const auto permit_body = [] {
        return json{
            {"type", "LSP"},
            {"number", "LSP" + std::to_string(100000 + platform::crypto::random_u64() % 800000)},
            {"issued_on", "2021-01-01"},
            {"expires_on", "2030-01-01"}};
    };
    const std::vector<Row> table{
        {"createStaff",
         "POST",
         [](auto&) { return "/v1/staff"; },
         [] {
             return json{
                 {"username", "u" + random_hex()},
                 {"password", "a-long-password-1"},
                 {"role", "finance"},
                 {"display_name", "Finance"}};
         },
         {"admin"}},
        {"listStaff", "GET", [](auto&) { return "/v1/staff"; }, nullptr, {"admin"}},
        {"getWorker",
         "GET",
         [](auto& w) { return "/v1/workers/" + w; },
         nullptr,
         {"worker", "ministry_officer", "compliance_officer"},
         true},
        {"addPermit",
         "POST",
         [](auto& w) { return "/v1/workers/" + w + "/permits"; },
         permit_body,
         {"worker", "ministry_officer"},
         true},
        {"listPermits",
         "GET",
         [](auto& w) { return "/v1/workers/" + w + "/permits"; },
         nullptr,
         {"worker", "ministry_officer"},
         true},
        {"addBeneficiary",
         "POST",
         [](auto& w) { return "/v1/workers/" + w + "/beneficiaries"; },
         [&] {
             return json{
                 {"full_name", "Lineo Mokoena"},
                 {"phone", unique_phone("+2665")},
                 {"relationship", "sibling"},
                 {"payout_method", "ecocash"}};
         },
         {"worker"},
         true},
        {"listBeneficiaries",
         "GET",
         [](auto& w) { return "/v1/workers/" + w + "/beneficiaries"; },
         nullptr,
         {"worker"},
         true},
        {"recordConsent",
         "POST",
         [](auto& w) { return "/v1/workers/" + w + "/consents"; },
         [] {
             return json{{"purpose", "remittance"}, {"granted", true}};
         },
         {"worker"},
         true},
        {"listConsents",
         "GET",
         [](auto& w) { return "/v1/workers/" + w + "/consents"; },
         nullptr,
         {"worker"},
         true},
        {"getAccessLog",
         "GET",
         [](auto& w) { return "/v1/workers/" + w + "/access-log"; },
         nullptr,
         {"worker", "admin"},
         true},
        {"createPermitDirective",
         "POST",
         [](auto&) { return "/v1/permit-directives"; },
         [] {
             return json{
                 {"permit_type", "work_visa"},
                 {"valid_until", "2030-01-01"},
                 {"reference", "D-" + platform::new_uuid()},
                 {"published_on", "2025-01-01"}};
         },
         {"ministry_officer", "admin"}},
        {"createAgency",
         "POST",
         [](auto&) { return "/v1/agencies"; },
         [] {
             return json{
                 {"name", "Agency"},
                 {"registration_no", "R-" + random_hex()},
                 {"address", "Main Road, Mafeteng"},
                 {"contact_phone", "+26622000000"},
                 {"directors", {{{"full_name", "Neo Lets'ela"}}}}};
         },
         {"ministry_officer"}},
        {"listAgencies", "GET", [](auto&) { return "/v1/agencies"; }, nullptr, {""}},
        {"getAgency", "GET", [&](auto&) { return "/v1/agencies/" + agency_id; }, nullptr, {""}},
        {"verifyAgencyLicence",
         "GET",
         [&](auto&) { return "/v1/agencies/verify/" + licence; },
         nullptr,
         {""}},
        {"getAgencyHistory",
         "GET",
         [&](auto&) { return "/v1/agencies/" + agency_id + "/history"; },
         nullptr,
         {"ministry_officer"}},
        {"decideAgency",
         "POST",
         [&](auto&) { return "/v1/agencies/" + agency_id + "/decisions"; },
         [] {
             return json{{"action", "renew"}, {"reason", "renewal filed"}};
         },
         {"ministry_officer"}},
        {"fileComplaint",
         "POST",
         [&](auto&) { return "/v1/agencies/" + agency_id + "/complaints"; },
         [] {
             return json{
                 {"category", "fees_charged"}, {"description", "charged me R2000 placement fee"}};
         },
         {"worker"}},
        {"listComplaints",
         "GET",
         [](auto&) { return "/v1/complaints"; },
         nullptr,
         {"ministry_officer"}},
    };
    // Operations the matrix drives elsewhere (they need a record made by another operation):
    // login is public by design; permit status and complaint decisions are officer-only.
    const std::set<std::string> covered_elsewhere{
        "issueToken",
        "registerWorker",
        "changePermitStatus",
        "decideComplaint",
        "getStatusLetter",
        "checkStatusLetter",
        "verifyPermit"};

    // The table must cover every registry operation of the spec.
    const auto spec = gateway::OpenApiSpec::load(gateway::embedded_openapi_yaml());
    for (const auto& op : registry::registry_operations()) {
        const bool in_table = std::any_of(table.begin(), table.end(), [&](const Row& r) {
            return r.operation == op;
        });
        EXPECT_TRUE(in_table || covered_elsewhere.count(op) != 0)
            << op << " is missing from the authorisation matrix";
        EXPECT_NE(spec.by_operation_id(op), nullptr) << op;
    }
    const std::vector<std::string> roles{
        "worker",
        "beneficiary",
        "agent",
        "ministry_officer",
        "compliance_officer",
        "finance",
        "admin",
        "partner"};
    int cases = 0;
    int unauthorised_2xx = 0;
    for (const auto& row : table) {
        const auto* op = spec.by_operation_id(row.operation);
        ASSERT_NE(op, nullptr) << row.operation;
        const bool is_public = row.roles.count("") != 0;
        EXPECT_EQ(op->is_public, is_public) << row.operation;
        for (const auto& role : roles) {
            for (const Who who : {Who::kOwn, Who::kOther}) {
                const std::string target = who == Who::kOwn ? own_id : other_id;
                const std::string subject = role == "worker" ? own_id : "staff-" + role;
                const std::string auth = "Authorization: Bearer " + chelete_->token(role, subject);
                const auto r = row.method == "GET" ? get(row.path(target), auth)
                                                   : post(row.path(target), row.body(), auth);
                ++cases;
                int want = 0;
                if (!is_public && row.roles.count(role) == 0) {
                    want = 403;
                } else if (row.owned && role == "worker" && who == Who::kOther) {
                    want = 404;  // not yours: not found
                }
                if (want != 0) {
                    EXPECT_EQ(r.status, want)
                        << row.operation << " as " << role
                        << (who == Who::kOwn ? " (own)" : " (other)") << ": " << r.body;
                    unauthorised_2xx += r.status >= 200 && r.status < 300 ? 1 : 0;
                } else {
                    EXPECT_TRUE(r.status >= 200 && r.status < 300)
                        << row.operation << " as " << role
                        << (who == Who::kOwn ? " (own)" : " (other)") << ": " << r.status << " "
                        << r.body;
                }
            }
        }
        // Without a token: public operations answer, the rest 401.
        const auto anon =
            row.method == "GET" ? get(row.path(own_id)) : post(row.path(own_id), row.body());
        ++cases;
        if (is_public) {
            EXPECT_EQ(anon.status, 200) << row.operation;
        } else {
            EXPECT_EQ(anon.status, 401) << row.operation;
        }
    }
    EXPECT_EQ(unauthorised_2xx, 0);
    RecordProperty("authorisation_cases", cases);
    std::cout << "[registry authorisation] " << table.size() << " operations, " << cases
              << " cases, " << unauthorised_2xx << " unauthorised 2xx\n";
}

}  // namespace
}  // namespace chelete
