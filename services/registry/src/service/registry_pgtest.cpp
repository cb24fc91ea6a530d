// The registry against a real PostgreSQL, without the bus: key rotation, the daily jobs and the
// service queries of registry.cmd (answered as the consumers answer them).
#include <gtest/gtest.h>

#include <chelete/platform/crypto.hpp>
#include <chelete/registry/service.hpp>
#include <chelete/testing/env.hpp>

#include "domain/rules.hpp"

namespace chelete::registry {
namespace {

using nlohmann::json;
namespace api = platform::api;
using namespace std::chrono_literals;

const std::string kKey1 = "k1:" + std::string(64, '1');
const std::string kKey2 = "k2:" + std::string(64, '2');

class RegistryPgTest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        schema_ = testing::unique_name("registry_t");
    }
    void TearDown() override {
        if (testing::pg_dsn()) {
            pqxx::connection c{*testing::pg_dsn()};
            pqxx::work tx{c};
            tx.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
            tx.commit();
        }
    }

    std::unique_ptr<RegistryService> service(const std::string& keys) {
        platform::MapEnvironment env{
            {"CHELETE_PG_DSN", *testing::pg_dsn()},
            {"CHELETE_REGISTRY_SCHEMA", schema_},
            {"CHELETE_ADMIN_PASSWORD", "pgtest-admin-password"},
            {"CHELETE_FIELD_KEYS", keys},
            {"CHELETE_LOOKUP_KEY", std::string(64, 'b')},
            {"CHELETE_LETTER_SIGNING_KEY", std::string(64, 'c')}};
        platform::ConfigReader reader{env};
        platform_ = platform::PlatformSettings::load(reader);
        auto settings = RegistrySettings::load(reader);
        reader.finish();
        auto s = std::make_unique<RegistryService>(platform_, settings, clock_);
        s->migrate();
        return s;
    }

    api::Reply call(
        RegistryService& s,
        const std::string& operation,
        const json& body,
        const json& path = json::object(),
        std::optional<api::Caller> caller = std::nullopt
    ) {
        api::Request r;
        r.operation = operation;
        r.request_id = "pgtest";
        r.body = body;
        r.path = path;
        r.caller = std::move(caller);
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec("SET search_path TO " + schema_);
        auto reply = s.handle(tx, r);
        tx.commit();
        return reply;
    }

    std::string register_worker(
        RegistryService& s, const std::string& phone, const std::string& passport
    ) {
        const auto reply = call(
            s,
            "registerWorker",
            {{"given_name", "Lerato"},
             {"family_name", "Nthane"},
             {"date_of_birth", "1988-07-01"},
             {"phone", phone},
             {"pin", "48213"},
             {"passport_number", passport},
             {"lesotho_id", "0102030405"},
             {"consents", {{{"purpose", "registration"}, {"granted", true}}}}}
        );
        EXPECT_EQ(reply.status, 201) << reply.body.dump();
        return reply.body.value("id", "");
    }

    json row(const std::string& sql, const std::string& param) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        const auto r = tx.exec_params1(sql, param);
        json out = json::array();
        for (const auto& f : r) {
            out.push_back(f.is_null() ? json(nullptr) : json(f.as<std::string>()));
        }
        return out;
    }

    /// One registry.cmd message answered as a consumer answers it, committed; the reply.
    api::Reply ask(
        RegistryService& s,
        std::string_view type,
        const std::string& payload,
        const std::string& correlation_id = "corr-pgtest"
    ) {
        platform::bus::Message m;
        m.stream = "registry.cmd";
        m.type = std::string{type};
        m.correlation_id = correlation_id;
        m.payload = payload;
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec("SET search_path TO " + schema_);
        const std::string answer = s.answer(tx, m);
        tx.commit();
        auto reply = api::Reply::parse(answer);
        EXPECT_TRUE(reply.has_value()) << answer;
        return reply.value_or(api::Reply{});
    }

    api::Reply check(
        RegistryService& s,
        const std::string& beneficiary_id,
        const std::string& national_id,
        const std::string& agent_id
    ) {
        return ask(
            s,
            messages::kRecipientCheck,
            json{
                {"beneficiary_id", beneficiary_id},
                {"national_id", national_id},
                {"agent_id", agent_id}}
                .dump()
        );
    }

    std::string staff(
        RegistryService& s,
        const std::string& username,
        const std::string& role,
        const std::optional<std::string>& country
    ) {
        json body{
            {"username", username},
            {"password", "a long enough password"},
            {"role", role},
            {"display_name", username}};
        if (country) {
            body["country"] = *country;
        }
        const auto reply =
            call(s, "createStaff", body, json::object(), api::Caller{"admin", "admin", 0});
        EXPECT_EQ(reply.status, 201) << reply.body.dump();
        return reply.body.value("id", "");
    }

    std::string beneficiary(
        RegistryService& s,
        const std::string& worker_id,
        const std::string& phone,
        const std::optional<std::string>& national_id
    ) {
        json body{
            {"full_name", "Palesa Nthane"},
            {"phone", phone},
            {"relationship", "sister"},
            {"payout_method", national_id ? "cash_pickup" : "mpesa"}};
        if (national_id) {
            body["national_id"] = *national_id;
        }
        const auto reply = call(
            s, "addBeneficiary", body, {{"id", worker_id}}, api::Caller{worker_id, "worker", 0}
        );
        EXPECT_EQ(reply.status, 201) << reply.body.dump();
        return reply.body.value("id", "");
    }

    std::string count(const std::string& sql, const std::string& param) {
        return row(sql, param)[0].get<std::string>();
    }

    json directors_of(const std::string& agency_id) {
        return json::parse(row("SELECT directors::text FROM " + schema_ + ".agencies WHERE id = $1",
                               agency_id)[0]
                               .get<std::string>());
    }

    void exec(const std::string& sql) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec("SET search_path TO " + schema_);
        tx.exec(sql);
        tx.commit();
    }

    /// Today by the test's clock, plus `days`, as the API writes dates.
    std::string date_in(int days) {
        return platform::format_rfc3339(
                   std::chrono::floor<std::chrono::days>(clock_.now()) + std::chrono::days{days}
        )
            .substr(0, 10);
    }

    api::Reply login(RegistryService& s, const std::string& username, const std::string& password) {
        return call(s, "issueToken", {{"username", username}, {"password", password}});
    }

    std::string schema_;
    platform::PlatformSettings platform_;
    platform::ManualClock clock_{std::chrono::system_clock::now()};
    const api::Caller officer_{"officer-1", "ministry_officer", 0};
};

TEST_F(RegistryPgTest, RotationKeepsOldRowsReadableThenResealsThemUnderTheNewKey) {
    auto before = service(kKey1);
    const std::string id = register_worker(*before, "+27821110001", "RA7654321");
    ASSERT_FALSE(id.empty());
    const auto sealed =
        row("SELECT passport_enc, lesotho_id_enc FROM " + schema_ + ".workers WHERE id = $1", id);
    ASSERT_EQ(platform::crypto::FieldCipher::key_id_of(sealed[0].get<std::string>()), "k1");

    // The new key first, the old one kept: old rows still open.
    auto keys = platform::crypto::FieldCipher::parse_keys(kKey2 + "," + kKey1);
    ASSERT_TRUE(keys);
    const platform::crypto::FieldCipher ring{keys.value()};
    EXPECT_EQ(ring.decrypt(sealed[0].get<std::string>(), "workers.passport:" + id), "RA7654321");
    // Sealed for this row and column only.
    EXPECT_FALSE(ring.decrypt(sealed[0].get<std::string>(), "workers.lesotho_id:" + id).has_value()
    );

    auto after = service(kKey2 + "," + kKey1);
    const auto report = after->rotate_field_keys();
    EXPECT_EQ(report.rewritten, 2);
    EXPECT_EQ(report.unreadable, 0);
    EXPECT_EQ(after->rotate_field_keys().rewritten, 0) << "idempotent";
    const auto resealed =
        row("SELECT passport_enc, lesotho_id_enc FROM " + schema_ + ".workers WHERE id = $1", id);
    EXPECT_EQ(platform::crypto::FieldCipher::key_id_of(resealed[0].get<std::string>()), "k2");
    // Now the old key can go.
    const platform::crypto::FieldCipher only_new{
        platform::crypto::FieldCipher::parse_keys(kKey2).value()};
    EXPECT_EQ(
        only_new.decrypt(resealed[0].get<std::string>(), "workers.passport:" + id), "RA7654321"
    );
    EXPECT_EQ(
        only_new.decrypt(resealed[1].get<std::string>(), "workers.lesotho_id:" + id), "0102030405"
    );
    // And duplicates are still found by the keyed hash, whatever key sealed the value.
    EXPECT_EQ(
        call(
            *after,
            "registerWorker",
            {{"given_name", "Other"},
             {"family_name", "Person"},
             {"date_of_birth", "1990-01-01"},
             {"phone", "+27821110002"},
             {"pin", "48213"},
             {"passport_number", "ra 765-4321"},
             {"consents", {{{"purpose", "registration"}, {"granted", true}}}}}
        ).status,
        409
    );
}

TEST_F(RegistryPgTest, JobsFlagLicencesAndWarnOfExpiringPermitsOnce) {
    auto s = service(kKey1);
    const api::Caller officer{"officer-1", "ministry_officer", 0};
    const std::string id = register_worker(*s, "+27821110003", "RB1234567");
    // A permit whose printed expiry is 20 days away.
    const auto in_20_days =
        std::chrono::floor<std::chrono::days>(clock_.now()) + std::chrono::days{20};
    const std::string expiry = platform::format_rfc3339(in_20_days).substr(0, 10);
    auto r = call(
        *s,
        "addPermit",
        {{"type", "LSP"},
         {"number", "LSP555001"},
         {"issued_on", "2020-01-01"},
         {"expires_on", expiry}},
        {{"id", id}},
        officer
    );
    ASSERT_EQ(r.status, 201) << r.body.dump();
    const auto agency = call(
        *s,
        "createAgency",
        {{"name", "Quthing Labour Bureau"},
         {"registration_no", "QLB-1"},
         {"address", "Main Road, Quthing"},
         {"contact_phone", "+26622000001"},
         {"directors", {{{"full_name", "Teboho Sello"}}}}},
        json::object(),
        officer
    );
    ASSERT_EQ(agency.status, 201);
    const std::string agency_id = agency.body["id"];
    ASSERT_EQ(
        call(
            *s,
            "decideAgency",
            {{"action", "start_review"}, {"reason", "complete"}},
            {{"id", agency_id}},
            officer
        )
            .status,
        200
    );
    ASSERT_EQ(
        call(
            *s,
            "decideAgency",
            {{"action", "approve"}, {"reason", "approved"}},
            {{"id", agency_id}},
            officer
        )
            .status,
        200
    );

    auto report = s->run_jobs();
    EXPECT_EQ(report.expiry_notices, 1);
    EXPECT_EQ(report.agencies_changed, 0);
    EXPECT_EQ(s->run_jobs().expiry_notices, 0) << "one notice per permit and date";
    const auto sms =
        row("SELECT count(*)::text FROM " + schema_ +
                ".outbox WHERE type = 'notify.sms' AND payload::jsonb->>'template' = $1",
            "permit_expiry");
    EXPECT_EQ(sms[0], "1");

    // Three years on, less 30 days: the licence falls due; after its end it has expired.
    clock_.advance(std::chrono::days{3 * 365 - 30});
    report = s->run_jobs();
    EXPECT_EQ(report.agencies_changed, 1);
    EXPECT_EQ(
        row("SELECT status FROM " + schema_ + ".agencies WHERE id = $1", agency_id)[0],
        "renewal_due"
    );
    EXPECT_GE(report.permits_changed, 1) << "the permit has expired by now";
    clock_.advance(std::chrono::days{40});
    EXPECT_EQ(s->run_jobs().agencies_changed, 1);
    EXPECT_EQ(
        row("SELECT status FROM " + schema_ + ".agencies WHERE id = $1", agency_id)[0], "expired"
    );
    EXPECT_EQ(
        row("SELECT count(*)::text FROM " + schema_ +
                ".agency_decisions WHERE agency_id = $1 AND action = 'calendar'",
            agency_id)[0],
        "2"
    );
}

// ---- agency directors' identity numbers --------------------------------------------------------

TEST_F(RegistryPgTest, DirectorsIdentityNumbersAreSealedMaskedAndRotated) {
    auto s = service(kKey1);
    const auto created = call(
        *s,
        "createAgency",
        {{"name", "Mafeteng Placements"},
         {"registration_no", "MP-77"},
         {"address", "Main Road, Mafeteng"},
         {"contact_phone", "+26622000077"},
         {"directors",
          {{{"full_name", "Thato Mofoka"}, {"national_id", "ls 99-8877"}},
           {{"full_name", "Nthabiseng Lebona"}, {"police_clearance", true}},
           {{"full_name", "Retselisitsoe Sekhonyana"}, {"national_id", "0405060708"}}}}},
        json::object(),
        officer_
    );
    ASSERT_EQ(created.status, 201) << created.body.dump();
    const std::string id = created.body["id"];
    // The answer (and so the gateway's idempotency record) shows the numbers masked only.
    EXPECT_EQ(created.body["directors"][0]["national_id"], "*****877");
    EXPECT_EQ(created.body["directors"][1]["national_id"], nullptr);
    EXPECT_EQ(created.body["directors"][1]["police_clearance"], true);
    EXPECT_EQ(created.body["directors"][2]["national_id"], "******0708");
    for (const std::string number : {"998877", "99-8877", "0405060708", "v1.k1."}) {
        EXPECT_EQ(created.body.dump().find(number), std::string::npos) << created.body.dump();
    }

    // Stored sealed, for this agency and place in the list only; nothing in clear.
    const std::string stored =
        row("SELECT directors::text FROM " + schema_ + ".agencies WHERE id = $1", id)[0];
    for (const std::string number : {"998877", "99-8877", "0405060708", "\"national_id\""}) {
        EXPECT_EQ(stored.find(number), std::string::npos) << stored;
    }
    const auto sealed = [&](std::size_t i) {
        return directors_of(id)[i].value("national_id_enc", "");
    };
    const auto place = [&](std::size_t i) {
        return "agencies.directors.national_id:" + id + ":" + std::to_string(i);
    };
    const platform::crypto::FieldCipher k1{
        platform::crypto::FieldCipher::parse_keys(kKey1).value()};
    EXPECT_EQ(platform::crypto::FieldCipher::key_id_of(sealed(0)), "k1");
    EXPECT_EQ(k1.decrypt(sealed(0), place(0)), "LS998877");
    EXPECT_EQ(k1.decrypt(sealed(2), place(2)), "0405060708");
    EXPECT_FALSE(k1.decrypt(sealed(0), place(2)).has_value()) << "moved, it no longer opens";
    EXPECT_EQ(sealed(1), "");

    // A clear number cannot be stored, whoever writes the row.
    EXPECT_THROW(
        exec(
            "UPDATE agencies SET directors = '[{\"full_name\": \"X\", \"national_id\": "
            "\"LS1234567\"}]' WHERE id = '" +
            id + "'"
        ),
        pqxx::check_violation
    );

    // The public register: no directors, no numbers, masked or not.
    for (const auto& reply :
         {call(*s, "getAgency", json::object(), {{"id", id}}),
          call(*s, "listAgencies", json::object()),
          call(
              *s,
              "decideAgency",
              {{"action", "start_review"}, {"reason", "complete"}},
              {{"id", id}},
              officer_
          )}) {
        ASSERT_EQ(reply.status, 200) << reply.body.dump();
        for (const std::string text :
             {"directors", "national_id", "*****877", "******0708", "Mofoka", "Lebona"}) {
            EXPECT_EQ(reply.body.dump().find(text), std::string::npos) << reply.body.dump();
        }
    }

    // Rotation re-seals them under the new key; the old key can then go.
    auto after = service(kKey2 + "," + kKey1);
    const auto report = after->rotate_field_keys();
    EXPECT_EQ(report.rewritten, 2);
    EXPECT_EQ(report.unreadable, 0);
    EXPECT_EQ(after->rotate_field_keys().rewritten, 0) << "idempotent";
    const platform::crypto::FieldCipher k2{
        platform::crypto::FieldCipher::parse_keys(kKey2).value()};
    EXPECT_EQ(platform::crypto::FieldCipher::key_id_of(sealed(0)), "k2");
    EXPECT_EQ(k2.decrypt(sealed(0), place(0)), "LS998877");
    EXPECT_EQ(k2.decrypt(sealed(2), place(2)), "0405060708");
    EXPECT_EQ(directors_of(id)[0]["national_id_masked"], "*****877");

    // A number no key opens is reported, left as it is, and does not stop the others.
    auto only_k3 = service("k3:" + std::string(64, '3'));
    const auto lost = only_k3->rotate_field_keys();
    EXPECT_EQ(lost.rewritten, 0);
    EXPECT_EQ(lost.unreadable, 2);
}

TEST_F(RegistryPgTest, DirectorsNumbersStoredInClearBeforeTheFixAreSealedWhenTheServiceMigrates) {
    // A database as it was before V004: the first three registry migrations, a number in clear.
    {
        pqxx::connection c{*testing::pg_dsn()};
        (void)platform::apply_migrations(c, schema_, platform::bus_migrations());
        auto migrations = registry_migrations();
        ASSERT_GT(migrations.size(), 3U);
        migrations.resize(3);
        (void)platform::apply_migrations(c, schema_, migrations);
    }
    const std::string id = "5d0c5e7a-1b2c-4d3e-8f90-a1b2c3d4e5f6";
    exec(
        "INSERT INTO agencies (id, name, registration_no, address, contact_phone, directors, "
        "status) VALUES ('" +
        id +
        "', 'Old Agency', 'OLD-1', 'Old Road, Maseru', '+26622000001', '[{\"full_name\": "
        "\"Palesa Ntho\", \"national_id\": \"LS998877\"}, {\"full_name\": \"Neo "
        "Letsie\"}]', 'applied')"
    );

    auto s = service(kKey1);  // migrates from V004 on, then seals what is in clear
    const json directors = directors_of(id);
    EXPECT_EQ(directors.dump().find("998877"), std::string::npos) << directors.dump();
    EXPECT_FALSE(directors[0].contains("national_id"));
    EXPECT_EQ(directors[0]["national_id_masked"], "*****877");
    const platform::crypto::FieldCipher k1{
        platform::crypto::FieldCipher::parse_keys(kKey1).value()};
    EXPECT_EQ(
        k1.decrypt(
            directors[0]["national_id_enc"].get<std::string>(),
            "agencies.directors.national_id:" + id + ":0"
        ),
        "LS998877"
    );
    EXPECT_EQ(directors[1], json({{"full_name", "Neo Letsie"}}));
    EXPECT_EQ(
        count(
            "SELECT convalidated::text FROM pg_constraint WHERE conname = $1 AND connamespace = '" +
                schema_ + "'::regnamespace",
            "agencies_directors_sealed"
        ),
        "true"
    );
    EXPECT_EQ(s->rotate_field_keys().rewritten, 0) << "nothing left in clear or under an old key";
}

// ---- the daily job and officers' permit decisions ----------------------------------------------

TEST_F(RegistryPgTest, TheJobNeverUndoesAnOfficersDecisionNorMovesAgainstTheLifecycle) {
    auto s = service(kKey1);
    const std::string worker = register_worker(*s, "+27821110021", "RD1000021");
    const auto add = [&](const std::string& type, const std::string& number, int expires_in) {
        const auto r = call(
            *s,
            "addPermit",
            {{"type", type},
             {"number", number},
             {"issued_on", "2020-01-01"},
             {"expires_on", date_in(expires_in)}},
            {{"id", worker}},
            officer_
        );
        EXPECT_EQ(r.status, 201) << r.body.dump();
        return r.body.value("id", "");
    };
    const auto set_status = [&](const std::string& id, const std::string& status) {
        const auto r = call(
            *s,
            "changePermitStatus",
            {{"status", status}, {"reason", "card cancelled by DHA"}},
            {{"id", id}},
            officer_
        );
        EXPECT_EQ(r.status, 200) << r.body.dump();
    };
    const auto status_of = [&](const std::string& id) {
        return row("SELECT status FROM " + schema_ + ".permits WHERE id = $1", id)[0];
    };
    // A: printed to run another year, expired by an officer.
    const std::string a = add("LSP", "LSP777001", 365);
    set_status(a, "expired");
    // B: an LEP expired by the calendar; C: an LEP expired by an officer 5 days before its
    // printed date; D: an LEP an officer marked issued (the end of an application).
    const std::string b = add("LEP", "LEP777002", -10);
    EXPECT_EQ(status_of(b), "expired");
    const std::string c = add("LEP", "LEP777003", 5);
    set_status(c, "expired");
    const std::string d = add("LEP", "LEP777004", 5);
    exec("UPDATE permits SET status = 'issued', status_source = 'officer' WHERE id = '" + d + "'");

    auto report = s->run_jobs();
    EXPECT_EQ(status_of(a), "expired") << "the job turned an officer's expiry back to valid";
    EXPECT_EQ(status_of(c), "expired");
    EXPECT_EQ(status_of(d), "valid") << "an issued permit within its dates is valid";
    EXPECT_EQ(report.permits_changed, 1);

    // Ten days on, with a directive extending LEPs: the calendar's expiry is lifted, the
    // officer's is not; the issued-then-valid permit is extended.
    clock_.advance(std::chrono::days{10});
    const auto directive = call(
        *s,
        "createPermitDirective",
        {{"permit_type", "LEP"},
         {"valid_until", date_in(400)},
         {"reference", "Directive 9/2026"},
         {"published_on", date_in(0)}},
        json::object(),
        officer_
    );
    ASSERT_EQ(directive.status, 201) << directive.body.dump();
    EXPECT_EQ(directive.body["permits_updated"], 2);
    EXPECT_EQ(status_of(b), "extended_by_directive");
    EXPECT_EQ(status_of(c), "expired") << "an officer's expiry stands until an officer lifts it";
    EXPECT_EQ(status_of(d), "extended_by_directive");
    EXPECT_EQ(
        row("SELECT legal_expiry::text, coalesce(directive_ref, '') FROM " + schema_ +
                ".permits WHERE id = $1",
            c),
        json::array({date_in(-5), ""})
    ) << "a permit the calendar may not move keeps its dates";
    report = s->run_jobs();
    EXPECT_EQ(report.permits_changed, 0);
    EXPECT_EQ(status_of(a), "expired");

    // Every status change ever written is one the lifecycle allows.
    pqxx::connection conn{*testing::pg_dsn()};
    pqxx::read_transaction tx{conn};
    int changes = 0;
    for (const auto& h : tx.exec(
             "SELECT from_status, to_status, reason FROM " + schema_ +
             ".permit_history WHERE from_status IS NOT NULL AND from_status <> to_status ORDER BY "
             "id"
         )) {
        ++changes;
        const auto from = permit_status_from(h[0].as<std::string>());
        const auto to = permit_status_from(h[1].as<std::string>());
        ASSERT_TRUE(from && to);
        EXPECT_TRUE(permit_transition_allowed(*from, *to))
            << h[0].as<std::string>() << " -> " << h[1].as<std::string>() << " ("
            << h[2].as<std::string>() << ")";
    }
    EXPECT_EQ(changes, 5);  // two officers' expiries, issued → valid, two directive extensions
}

// Applications and decisions have no dates for the job to act on; once issued the permit is the
// calendar's like any other. V006 keeps issued-phase rows complete.
TEST_F(RegistryPgTest, TheJobLeavesApplicationsAloneAndIssuedPermitsHaveTheirNumberAndDates) {
    auto s = service(kKey1);
    const std::string worker = register_worker(*s, "+27821110031", "RD1000031");
    const auto apply = [&](const std::string& status, const json& vfs) {
        json body{{"type", "LEP"}, {"status", status}};
        if (!vfs.is_null()) {
            body["vfs_reference"] = vfs;
        }
        const auto r = call(*s, "addPermit", body, {{"id", worker}}, officer_);
        EXPECT_EQ(r.status, 201) << r.body.dump();
        return r.body.value("id", "");
    };
    const auto move = [&](const std::string& id, const std::string& to, json extra) {
        extra["status"] = to;
        extra["reason"] = "VFS tracking";
        return call(*s, "changePermitStatus", extra, {{"id", id}}, officer_);
    };
    const auto status_of = [&](const std::string& id) {
        return row("SELECT status FROM " + schema_ + ".permits WHERE id = $1", id)[0];
    };
    const std::string draft = apply("draft", nullptr);
    const std::string ready = apply("submitted", "VFS-LSO-0000031");
    for (const std::string to : {"in_adjudication", "approved", "ready_for_collection"}) {
        EXPECT_EQ(move(ready, to, json::object()).status, 200) << to;
    }
    auto report = s->run_jobs();
    EXPECT_EQ(report.permits_changed, 0);
    EXPECT_EQ(status_of(draft), "draft");
    EXPECT_EQ(status_of(ready), "ready_for_collection");
    EXPECT_EQ(
        call(
            *s,
            "createPermitDirective",
            {{"permit_type", "LEP"},
             {"valid_until", date_in(900)},
             {"reference", "Directive 31/2026"},
             {"published_on", date_in(0)}},
            json::object(),
            officer_
        )
            .body["permits_updated"],
        0
    ) << "a directive has no application to extend";
    const auto issued =
        move(ready, "issued", {{"number", "lep-031-2026"}, {"expires_on", date_in(365)}});
    ASSERT_EQ(issued.status, 200) << issued.body.dump();
    EXPECT_EQ(issued.body["number"], "LEP-031-2026");
    EXPECT_EQ(issued.body["issued_on"], date_in(0));
    EXPECT_EQ(issued.body["legal_expiry"], date_in(900)) << "the directive in force applies";
    report = s->run_jobs();
    EXPECT_EQ(report.permits_changed, 1);
    EXPECT_EQ(status_of(ready), "valid");
    EXPECT_EQ(status_of(draft), "draft");
    // The schema refuses an issued-phase permit without its number, and a submitted one
    // without its receipt.
    EXPECT_THROW(
        exec("UPDATE permits SET status = 'valid' WHERE id = '" + draft + "'"),
        pqxx::check_violation
    );
    EXPECT_THROW(
        exec("UPDATE permits SET status = 'submitted' WHERE id = '" + draft + "'"),
        pqxx::check_violation
    );
}

TEST_F(RegistryPgTest, ExistingPermitsLearnWhoSetTheirStatusFromTheirHistory) {
    // A database as it was before V005, with permits whose history says who set their status.
    {
        pqxx::connection c{*testing::pg_dsn()};
        (void)platform::apply_migrations(c, schema_, platform::bus_migrations());
        auto migrations = registry_migrations();
        ASSERT_GT(migrations.size(), 4U);
        migrations.resize(4);
        (void)platform::apply_migrations(c, schema_, migrations);
    }
    const std::string worker = "6e1d2c3b-4a5f-4e6d-8c7b-9a0f1e2d3c4b";
    exec(
        "INSERT INTO workers (id, given_name, family_name, date_of_birth, phone, pin_hash, "
        "passport_enc, passport_hash, passport_masked) VALUES ('" +
        worker + "', 'Lerato', 'Nthane', '1988-07-01', '+27821110031', 'x', 'x', 'x', '*****')"
    );
    const auto permit = [&](int n, const std::string& status, const std::string& history) {
        const std::string id = "00000000-0000-4000-8000-00000000000" + std::to_string(n);
        exec(
            "INSERT INTO permits (id, worker_id, type, number, issued_on, printed_expiry, status, "
            "legal_expiry) VALUES ('" +
            id + "', '" + worker + "', 'LEP', 'LEP90000" + std::to_string(n) +
            "', '2020-01-01', '" + date_in(365) + "', '" + status + "', '" + date_in(365) + "')"
        );
        exec(
            "INSERT INTO permit_history (permit_id, from_status, to_status, reason, actor) "
            "SELECT '" +
            id + "', h.f, h.t, h.r, h.a FROM (VALUES " + history + ") AS h(f, t, r, a)"
        );
        return id;
    };
    const std::string recorded = "(NULL, 'valid', 'recorded', 'officer-1')";
    const std::string by_officer = permit(
        1, "expired", recorded + ", ('valid', 'expired', 'card cancelled by DHA', 'officer-1')"
    );
    const std::string by_job =
        permit(2, "expired", recorded + ", ('valid', 'expired', 'daily check', 'system')");
    const std::string by_directive = permit(
        3,
        "extended_by_directive",
        recorded +
            ", ('valid', 'extended_by_directive', 'directive recorded (D 1/2026)', "
            "'officer-1'), ('extended_by_directive', 'extended_by_directive', "
            "'directive recorded (D 2/2026)', 'officer-1')"
    );
    const std::string by_registry = permit(
        4, "revoked", recorded + ", ('valid', 'revoked', 'permit registry check', 'officer-1')"
    );
    const std::string untouched = permit(5, "valid", recorded);

    auto s = service(kKey1);  // V005
    const auto source = [&](const std::string& id) {
        return row("SELECT status_source FROM " + schema_ + ".permits WHERE id = $1", id)[0];
    };
    EXPECT_EQ(source(by_officer), "officer");
    EXPECT_EQ(source(by_job), "calendar");
    EXPECT_EQ(source(by_directive), "calendar");
    EXPECT_EQ(source(by_registry), "registry");
    EXPECT_EQ(source(untouched), "calendar");
    // And the job keeps the officer's expiry, while it corrects the calendar's own.
    (void)s->run_jobs();
    const auto status = [&](const std::string& id) {
        return row("SELECT status FROM " + schema_ + ".permits WHERE id = $1", id)[0];
    };
    EXPECT_EQ(status(by_officer), "expired");
    EXPECT_EQ(status(by_job), "expired") << "expired → valid is not a transition";
    EXPECT_EQ(status(untouched), "valid");
}

// ---- logins ------------------------------------------------------------------------------------

TEST_F(RegistryPgTest, ALoginLocksOnTheFifthWrongPasswordAndALapsedLockCountsAfresh) {
    auto s = service(kKey1);
    (void)staff(*s, "clerk.maseru", "finance", std::nullopt);
    const std::string right = "a long enough password";
    const auto wrong_is_refused = [&](const char* what) {
        const auto r = login(*s, "clerk.maseru", "not the password");
        EXPECT_EQ(r.status, 401) << what;
        EXPECT_EQ(r.body.value("type", "").find("login-locked"), std::string::npos)
            << what << ": " << r.body.dump();
    };
    for (int i = 1; i <= 5; ++i) {
        wrong_is_refused("wrong password, not yet locked");
    }
    // The fifth locked it: even the right password is refused, with when to come back.
    auto r = login(*s, "clerk.maseru", right);
    ASSERT_EQ(r.status, 401);
    EXPECT_NE(r.body.value("type", "").find("login-locked"), std::string::npos) << r.body.dump();
    ASSERT_TRUE(r.headers.contains("Retry-After"));
    const int retry_after = std::stoi(r.headers.at("Retry-After"));
    EXPECT_GE(retry_after, 1790);
    EXPECT_LE(retry_after, 1800);

    // The lock lapses: five more tries, not one.
    exec(
        "UPDATE staff SET locked_until = now() - interval '1 second' WHERE username = "
        "'clerk.maseru'"
    );
    for (int i = 1; i <= 4; ++i) {
        wrong_is_refused("wrong password after the lock lapsed");
    }
    r = login(*s, "clerk.maseru", right);
    EXPECT_EQ(r.status, 200) << "four wrong after a lapsed lock do not lock: " << r.body.dump();
    EXPECT_EQ(
        row("SELECT failed_logins::text, coalesce(locked_until::text, '') FROM " + schema_ +
                ".staff WHERE username = $1",
            "clerk.maseru"),
        json::array({"0", ""})
    );
}

// ---- the USSD service's messages ---------------------------------------------------------------

TEST_F(RegistryPgTest, UssdCallerAnswersOnlyWhetherAFamilyLoginHasThePhone) {
    auto s = service(kKey1);
    const std::string worker = register_worker(*s, "+27821110031", "RC1000031");
    (void)beneficiary(*s, worker, "+26658003101", std::nullopt);
    auto r = ask(*s, messages::kUssdCaller, json{{"phone", "+26658003101"}}.dump());
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body, (json{{"registered", true}}));
    // A worker's phone is not a family member's login; an unknown one is not either.
    EXPECT_EQ(
        ask(*s, messages::kUssdCaller, json{{"phone", "+27821110031"}}.dump()).body,
        (json{{"registered", false}})
    );
    EXPECT_EQ(
        ask(*s, messages::kUssdCaller, json{{"phone", "+26658009999"}}.dump()).body,
        (json{{"registered", false}})
    );
    const auto bad = ask(*s, messages::kUssdCaller, json{{"phone", "058003101"}}.dump());
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.body["errors"][0]["field"], "phone");
}

TEST_F(RegistryPgTest, UssdPinChecksShareThePhoneLoginsLockoutAndAPinChangeNeedsTheOldPin) {
    auto s = service(kKey1);
    const std::string worker = register_worker(*s, "+27821110032", "RC1000032");
    const std::string phone = "+26658003201";
    (void)beneficiary(*s, worker, phone, std::nullopt);
    // The first PIN, as the welcome SMS carries it.
    const json welcome =
        json::parse(row("SELECT payload FROM " + schema_ +
                            ".outbox WHERE payload::jsonb->>'template' = 'beneficiary_welcome' AND "
                            "payload::jsonb->>'to' = $1",
                        phone)[0]
                        .get<std::string>());
    const std::string pin = welcome["params"]["pin"];
    const std::string wrong = pin == "24680" ? "13579" : "24680";
    const auto pin_check = [&](const std::string& p) {
        const auto r = ask(*s, messages::kUssdPinCheck, json{{"phone", phone}, {"pin", p}}.dump());
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body.value("result", "");
    };
    EXPECT_EQ(pin_check(pin), "correct");
    // A phone login (the API) and USSD count towards one lockout.
    EXPECT_EQ(call(*s, "issueToken", {{"phone", phone}, {"pin", wrong}}).status, 401);
    EXPECT_EQ(pin_check(wrong), "wrong");
    EXPECT_EQ(pin_check(wrong), "wrong");
    EXPECT_EQ(pin_check(wrong), "wrong");
    EXPECT_EQ(pin_check(wrong), "locked");  // the fifth wrong try
    EXPECT_EQ(pin_check(pin), "locked");
    EXPECT_EQ(
        call(*s, "issueToken", {{"phone", phone}, {"pin", pin}}).body.value("type", ""),
        "/problems/login-locked"
    );
    EXPECT_EQ(
        ask(*s, messages::kUssdPinCheck, json{{"phone", "+26658009999"}, {"pin", pin}}.dump())
            .status,
        404
    );

    // Unlocked (the lockout lapsed): a change with a stale old PIN or a weak new one does nothing.
    exec("UPDATE beneficiary_logins SET locked_until = now() - interval '1 second'");
    const auto change = [&](const std::string& old_pin, const std::string& new_pin) {
        return ask(
            *s,
            messages::kUssdPinChange,
            json{{"phone", phone}, {"old_pin", old_pin}, {"new_pin", new_pin}}.dump()
        );
    };
    const std::string fresh = pin == "97531" ? "86420" : "97531";
    EXPECT_EQ(change(wrong, fresh).status, 409);
    EXPECT_EQ(change(pin, "11111").status, 409);
    EXPECT_EQ(pin_check(pin), "correct");
    const auto version_before =
        row("SELECT token_version::text FROM " + schema_ + ".beneficiary_logins WHERE phone = $1",
            phone)[0];
    const auto changed = change(pin, fresh);
    ASSERT_EQ(changed.status, 200) << changed.body.dump();
    EXPECT_EQ(pin_check(fresh), "correct");
    EXPECT_EQ(pin_check(pin), "wrong");
    EXPECT_EQ(
        row("SELECT token_version::text, must_change_pin::text FROM " + schema_ +
                ".beneficiary_logins WHERE phone = $1",
            phone),
        json::array({std::to_string(std::stoi(version_before.get<std::string>()) + 1), "false"})
    );
    // The same change delivered again finds the old PIN gone: nothing changes twice.
    EXPECT_EQ(change(pin, fresh).status, 409);
    EXPECT_EQ(call(*s, "issueToken", {{"phone", phone}, {"pin", fresh}}).status, 200);
}

// ---- registry.recipient_check ------------------------------------------------------------------

constexpr std::string_view kUnknownId = "0b6f1c2e-8d7a-4c1b-9e3f-5a4d2c1b0a99";

TEST_F(RegistryPgTest, RecipientCheckMatchesTheNationalIdHoweverItIsSpacedOrCased) {
    auto s = service(kKey1);
    const std::string worker = register_worker(*s, "+27821110011", "RC1000011");
    const std::string agent = staff(*s, "agent.maseru", "agent", "LS");
    const std::string b = beneficiary(*s, worker, "+26658001011", "ls 1234-5678");
    ASSERT_FALSE(b.empty());
    for (const std::string typed :
         {"LS12345678", "ls12345678", "LS 1234 5678", "l-s 12-34-56-78"}) {
        const auto r = check(*s, b, typed, agent);
        ASSERT_EQ(r.status, 200) << typed << ": " << r.body.dump();
        EXPECT_EQ(r.body["beneficiary_found"], true) << typed;
        EXPECT_EQ(r.body["identity_match"], true) << typed;
    }
}

TEST_F(RegistryPgTest, RecipientCheckRefusesAnotherNumber) {
    auto s = service(kKey1);
    const std::string worker = register_worker(*s, "+27821110012", "RC1000012");
    const std::string agent = staff(*s, "agent.mafeteng", "agent", "LS");
    const std::string b = beneficiary(*s, worker, "+26658001012", "LS12345678");
    ASSERT_FALSE(b.empty());
    // Another number, a prefix, a longer one, and ones that are no identity number at all
    // (answered as a mismatch, not an error).
    for (const std::string typed :
         {"LS12345679", "LS1234567", "LS123456789", "LS12345678'", "LS1234\u00e95678", "12"}) {
        const auto r = check(*s, b, typed, agent);
        ASSERT_EQ(r.status, 200) << typed << ": " << r.body.dump();
        EXPECT_EQ(r.body["beneficiary_found"], true) << typed;
        EXPECT_EQ(r.body["identity_match"], false) << typed;
    }
    // The number never comes back, not even masked.
    const auto r = check(*s, b, "LS12345679", agent);
    EXPECT_EQ(r.body.size(), 3U) << r.body.dump();
    EXPECT_EQ(r.body.dump().find("5678"), std::string::npos) << r.body.dump();
}

TEST_F(RegistryPgTest, RecipientCheckNeverMatchesABeneficiaryWithoutANationalId) {
    auto s = service(kKey1);
    const std::string worker = register_worker(*s, "+27821110013", "RC1000013");
    const std::string agent = staff(*s, "agent.leribe", "agent", "LS");
    const std::string b = beneficiary(*s, worker, "+26658001013", std::nullopt);
    ASSERT_FALSE(b.empty());
    ASSERT_TRUE(row("SELECT national_id_enc FROM " + schema_ + ".beneficiaries WHERE id = $1", b)[0]
                    .is_null());
    const auto r = check(*s, b, "LS12345678", agent);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["beneficiary_found"], true);
    EXPECT_EQ(r.body["identity_match"], false);
}

TEST_F(RegistryPgTest, RecipientCheckOfAnUnknownBeneficiaryFindsNothing) {
    auto s = service(kKey1);
    const std::string agent = staff(*s, "agent.berea", "agent", "LS");
    const auto r = check(*s, std::string{kUnknownId}, "LS12345678", agent);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["beneficiary_found"], false);
    EXPECT_EQ(r.body["identity_match"], false);
    EXPECT_EQ(r.body["agent_country"], "LS");
}

TEST_F(RegistryPgTest, RecipientCheckAnswersTheCountryOfAnAgentOnly) {
    auto s = service(kKey1);
    const std::string worker = register_worker(*s, "+27821110014", "RC1000014");
    const std::string b = beneficiary(*s, worker, "+26658001014", "LS12345678");
    const std::string lesotho = staff(*s, "agent.qacha", "agent", "LS");
    const std::string south_africa = staff(*s, "agent.soweto", "agent", "ZA");
    // Staff with a country who are not agents are not agents.
    const std::string officer = staff(*s, "officer.maseru", "ministry_officer", "LS");
    const auto country = [&](const std::string& agent_id) {
        const auto r = check(*s, b, "LS12345678", agent_id);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        EXPECT_EQ(r.body["identity_match"], true) << "the agent does not change the match";
        return r.body["agent_country"];
    };
    EXPECT_EQ(country(lesotho), "LS");
    EXPECT_EQ(country(south_africa), "ZA");
    EXPECT_EQ(country(officer), nullptr);
    EXPECT_EQ(country(std::string{kUnknownId}), nullptr);
}

TEST_F(RegistryPgTest, RecipientCheckRefusesAMalformedQueryNamingTheField) {
    auto s = service(kKey1);
    const std::string worker = register_worker(*s, "+27821110015", "RC1000015");
    const std::string b = beneficiary(*s, worker, "+26658001015", "LS12345678");
    const std::string agent = staff(*s, "agent.mokhotlong", "agent", "LS");
    const json good{{"beneficiary_id", b}, {"national_id", "LS12345678"}, {"agent_id", agent}};
    ASSERT_EQ(ask(*s, messages::kRecipientCheck, good.dump()).status, 200);

    const auto refused = [&](const json& query, const std::string& field) {
        const auto r = ask(*s, messages::kRecipientCheck, query.dump());
        EXPECT_EQ(r.status, 400) << query.dump() << " -> " << r.body.dump();
        bool named = false;
        for (const auto& e : r.body.value("errors", json::array())) {
            named = named || api::text_of(e, "field") == field;
        }
        EXPECT_TRUE(named) << query.dump() << " -> " << r.body.dump();
    };
    const auto with = [&](const char* key, const json& value) {
        json q = good;
        q[key] = value;
        return q;
    };
    const auto without = [&](const char* key) {
        json q = good;
        q.erase(key);
        return q;
    };
    refused(with("beneficiary_id", "not-a-uuid"), "beneficiary_id");
    refused(with("beneficiary_id", b + "' OR '1'='1"), "beneficiary_id");
    refused(without("beneficiary_id"), "beneficiary_id");
    refused(with("agent_id", "agent-7"), "agent_id");
    refused(with("agent_id", 7), "agent_id");
    refused(without("agent_id"), "agent_id");
    refused(with("national_id", ""), "national_id");
    refused(with("national_id", std::string(65, '1')), "national_id");
    refused(with("national_id", 12345678), "national_id");
    refused(without("national_id"), "national_id");
    refused(json::array(), "beneficiary_id");
    const auto r = ask(*s, messages::kRecipientCheck, "{not json");
    EXPECT_EQ(r.status, 400) << r.body.dump();
    // 64 characters is still a check (a mismatch), not a refusal.
    EXPECT_EQ(
        ask(*s, messages::kRecipientCheck, with("national_id", std::string(64, '1')).dump()).status,
        200
    );
    // Refusals read nothing, so they log nothing: two checks, two rows.
    EXPECT_EQ(
        count(
            "SELECT count(*)::text FROM " + schema_ + ".access_log WHERE record = $1",
            "beneficiary_national_id"
        ),
        "2"
    );
}

TEST_F(RegistryPgTest, ReadingConsentsIsAccessLogged) {
    auto s = service(kKey1);
    const std::string worker = register_worker(*s, "+27821110017", "RC1000017");
    ASSERT_FALSE(worker.empty());
    const std::string reads = "SELECT count(*)::text FROM " + schema_ +
                              ".access_log WHERE record = 'consent' AND action = 'read' AND "
                              "subject_id = $1";
    ASSERT_EQ(count(reads, worker), "0");

    const auto r = call(
        *s, "listConsents", json::object(), {{"id", worker}}, api::Caller{worker, "worker", 0}
    );
    ASSERT_EQ(r.status, 200) << r.body.dump();
    ASSERT_EQ(r.body["items"].size(), 1U);
    EXPECT_EQ(count(reads, worker), "1");
    const auto logged =
        row("SELECT actor_id, actor_role, fields, purpose FROM " + schema_ +
                ".access_log WHERE record = 'consent' AND subject_id = $1",
            worker);
    EXPECT_EQ(logged, (json{worker, "worker", "all", "self_service"}));

    // Another worker's consents are "not found", and a refusal reads and logs nothing.
    const api::Caller other{"01a20ae9-0000-7000-8000-000000000017", "worker", 0};
    EXPECT_EQ(call(*s, "listConsents", json::object(), {{"id", worker}}, other).status, 404);
    EXPECT_EQ(count(reads, worker), "1");
}

TEST_F(RegistryPgTest, RecipientCheckIsAccessLoggedWithoutTheNumber) {
    auto s = service(kKey1);
    const std::string worker = register_worker(*s, "+27821110016", "RC1000016");
    const std::string agent = staff(*s, "agent.thaba", "agent", "LS");
    const std::string b = beneficiary(*s, worker, "+26658001016", "LS 8765-4321");
    ASSERT_FALSE(b.empty());
    const std::string log = schema_ + ".access_log";
    const std::string all = "SELECT count(*)::text FROM " + log + " WHERE actor_role <> $1";
    const std::string before = count(all, "none");

    EXPECT_EQ(
        ask(*s,
            messages::kRecipientCheck,
            json{{"beneficiary_id", b}, {"national_id", "ls 8765 4321"}, {"agent_id", agent}}.dump(
            ),
            "corr-match")
            .body["identity_match"],
        true
    );
    EXPECT_EQ(
        ask(*s,
            messages::kRecipientCheck,
            json{{"beneficiary_id", b}, {"national_id", "LS87654320"}, {"agent_id", agent}}.dump(),
            "corr-mismatch")
            .body["identity_match"],
        false
    );
    EXPECT_EQ(
        ask(*s,
            messages::kRecipientCheck,
            json{
                {"beneficiary_id", std::string{kUnknownId}},
                {"national_id", "LS87654321"},
                {"agent_id", agent}}
                .dump(),
            "corr-unknown")
            .body["beneficiary_found"],
        false
    );
    EXPECT_EQ(std::stoi(count(all, "none")), std::stoi(before) + 3);

    // Who, what and why; under the worker who sends to this beneficiary.
    const auto match =
        row("SELECT subject_id::text, actor_id, actor_role, action, record, fields, purpose FROM " +
                log + " WHERE request_id = $1",
            "corr-match");
    EXPECT_EQ(
        match,
        json::array(
            {worker,
             agent,
             "agent",
             "read",
             "beneficiary_national_id",
             "national_id",
             "cash_pickup_redeem"}
        )
    );
    EXPECT_EQ(
        row("SELECT subject_id::text FROM " + log + " WHERE request_id = $1", "corr-mismatch")[0],
        worker
    );
    // An unknown beneficiary is logged under the id presented: probing leaves a trace too.
    EXPECT_EQ(
        row("SELECT subject_id::text, actor_id FROM " + log + " WHERE request_id = $1",
            "corr-unknown"),
        json::array({std::string{kUnknownId}, agent})
    );
    // The worker sees the check in their "who accessed my data" report.
    const auto report = call(
        *s, "getAccessLog", json::object(), {{"id", worker}}, api::Caller{worker, "worker", 0}
    );
    ASSERT_EQ(report.status, 200) << report.body.dump();
    EXPECT_NE(report.body.dump().find("cash_pickup_redeem"), std::string::npos);

    // The number, in any form typed, is nowhere in the access log.
    for (const std::string number : {"87654321", "8765 4321", "87654320", "8765-4321"}) {
        EXPECT_EQ(
            count("SELECT count(*)::text FROM " + log + " a WHERE strpos(a::text, $1) > 0", number),
            "0"
        ) << number;
    }
}

TEST_F(RegistryPgTest, PartiesAreStillAnsweredOnTheCommandStream) {
    auto s = service(kKey1);
    const std::string worker = register_worker(*s, "+27821110017", "RC1000017");
    const auto r =
        ask(*s, messages::kParties, json{{"worker_id", worker}, {"purpose", "deposit"}}.dump());
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["worker"]["id"], worker);
    EXPECT_EQ(ask(*s, "registry.http", "{not an envelope").status, 400);
}

}  // namespace
}  // namespace chelete::registry
