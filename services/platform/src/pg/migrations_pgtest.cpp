#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chelete/platform/pg.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::platform {
namespace {

using ::testing::HasSubstr;

std::vector<Migration> sample(const std::string& second_sql = "CREATE TABLE b (id int)") {
    return migrations_from_files(
        "svc", {{"V002__b.sql", second_sql}, {"V001__a.sql", "CREATE TABLE a (id int)"}}
    );
}

TEST(MigrationsPgTest, AppliesOnceInVersionOrder) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    auto conn = schema.connect();
    const auto first = apply_migrations(*conn, schema.name(), sample());
    EXPECT_EQ(first.applied, 2);
    const auto second = apply_migrations(*conn, schema.name(), sample());
    EXPECT_EQ(second.applied, 0);
    EXPECT_EQ(second.already_applied, 2);
    pqxx::read_transaction tx{*conn};
    const auto rows = tx.exec(
        "SELECT version FROM " + schema.name() + ".schema_migrations ORDER BY applied_at, version"
    );
    ASSERT_EQ(rows.size(), 2U);
    EXPECT_EQ(rows[0][0].as<int>(), 1);
}

TEST(MigrationsPgTest, RefusesAnEditedPastMigration) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    auto conn = schema.connect();
    (void)apply_migrations(*conn, schema.name(), sample());
    try {
        (void)apply_migrations(*conn, schema.name(), sample("CREATE TABLE b (id bigint)"));
        FAIL() << "an edited migration must be refused";
    } catch (const std::runtime_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("svc/2 (b)"));
        EXPECT_THAT(e.what(), HasSubstr("was edited after it was applied"));
    }
}

TEST(MigrationsPgTest, RefusesASchemaNewerThanTheCode) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    auto conn = schema.connect();
    (void)apply_migrations(*conn, schema.name(), sample());
    const auto older = migrations_from_files("svc", {{"V001__a.sql", "CREATE TABLE a (id int)"}});
    EXPECT_THROW((void)apply_migrations(*conn, schema.name(), older), std::runtime_error);
}

TEST(MigrationsPgTest, AFailingMigrationLeavesNothingBehind) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    auto conn = schema.connect();
    EXPECT_THROW(
        (void)apply_migrations(*conn, schema.name(), sample("CREATE TABLE b (id int); SELECT 1/0")),
        pqxx::sql_error
    );
    pqxx::read_transaction tx{*conn};
    EXPECT_EQ(
        tx.exec1("SELECT count(*) FROM " + schema.name() + ".schema_migrations")[0].as<int>(), 1
    );
    EXPECT_EQ(
        tx.exec1(
              "SELECT count(*) FROM information_schema.tables WHERE table_schema = '" +
              schema.name() + "' AND table_name = 'b'"
        )[0]
            .as<int>(),
        0
    );
}

TEST(MigrationsPgTest, BadFileNamesAndDuplicateVersionsAreRefused) {
    EXPECT_THROW((void)migrations_from_files("x", {{"001_a.sql", ""}}), std::invalid_argument);
    EXPECT_THROW((void)migrations_from_files("x", {{"V0__a.sql", ""}}), std::invalid_argument);
    EXPECT_THROW(
        (void)migrations_from_files("x", {{"V1__a.sql", ""}, {"V01__b.sql", ""}}),
        std::invalid_argument
    );
}

TEST(MigrationsPgTest, BusTablesApply) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    auto conn = schema.connect();
    EXPECT_EQ(apply_migrations(*conn, schema.name(), bus_migrations()).applied, 1);
    pqxx::work tx{*conn};
    tx.exec0("INSERT INTO " + schema.name() + ".inbox (consumer, message_id) VALUES ('g', 'm')");
    EXPECT_EQ(
        tx.exec(
              "INSERT INTO " + schema.name() +
              ".inbox (consumer, message_id) VALUES ('g', 'm') ON CONFLICT DO NOTHING"
        )
            .affected_rows(),
        0U
    );
}

}  // namespace
}  // namespace chelete::platform
