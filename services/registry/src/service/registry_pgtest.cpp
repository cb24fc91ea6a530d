// The registry against a real PostgreSQL, without the bus: key rotation and the daily jobs.
#include <gtest/gtest.h>

#include <chelete/platform/crypto.hpp>
#include <chelete/registry/service.hpp>
#include <chelete/testing/env.hpp>

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
            {"CHELETE_LETTER_SIGNING_KEY", std::string(64, 'c')},
            {"CHELETE_PASSWORD_MEMORY_KIB", "64"},
            {"CHELETE_PASSWORD_ITERATIONS", "1"}};
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

    std::string schema_;
    platform::PlatformSettings platform_;
    platform::ManualClock clock_{std::chrono::system_clock::now()};
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

}  // namespace
}  // namespace chelete::registry
