#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include <chelete/platform/pg.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::platform {
namespace {

TEST(PgPoolPgTest, SetsTheSearchPathToTheSchema) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    PgPool pool{schema.pool_options(2)};
    with_transaction(pool, [](pqxx::work& tx) { tx.exec0("CREATE TABLE t (v int)"); });
    const auto where = with_transaction(pool, [](pqxx::work& tx) {
        return tx
            .exec1(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 't' AND "
                "table_schema = "
                "current_schema()"
            )[0]
            .as<std::string>();
    });
    EXPECT_EQ(where, schema.name());
}

TEST(PgPoolPgTest, ReportsABadStatementAtStart) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    PgPool pool{schema.pool_options(1)};
    pool.prepare("good", "SELECT $1::int + 1");
    pool.prepare("typo", "SELEC 1");
    try {
        pool.check_statements();
        FAIL() << "a broken statement must stop the start";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string{e.what()}.find("'typo'"), std::string::npos);
    }
}

TEST(PgPoolPgTest, PreparedStatementsWorkOnEveryConnection) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    PgPool pool{schema.pool_options(3)};
    pool.prepare("add_one", "SELECT $1::int + 1");
    pool.check_statements();
    std::atomic<int> sum{0};
    std::vector<std::thread> threads;
    threads.reserve(6);
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&, i] {
            sum += with_transaction(pool, [&](pqxx::work& tx) {
                return tx.exec_prepared1("add_one", i)[0].as<int>();
            });
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(sum.load(), 0 + 1 + 2 + 3 + 4 + 5 + 6);
}

TEST(PgPoolPgTest, ExhaustionTimesOut) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    auto options = schema.pool_options(1);
    options.acquire_timeout = std::chrono::milliseconds{100};
    PgPool pool{options};
    auto held = pool.acquire();
    EXPECT_THROW((void)pool.acquire(), PoolExhausted);
}

TEST(PgPoolPgTest, RetriesSerializationFailures) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    PgPool pool{schema.pool_options(4)};
    with_transaction(pool, [](pqxx::work& tx) {
        tx.exec0("CREATE TABLE counter (id int PRIMARY KEY, v int NOT NULL)");
        tx.exec0("INSERT INTO counter VALUES (1, 0)");
    });
    // Read-modify-write under SERIALIZABLE from 4 threads: without the retry some increments
    // would fail with 40001; with it every one lands.
    std::vector<std::thread> threads;
    threads.reserve(4);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 25; ++i) {
                with_transaction<pqxx::serializable>(
                    pool,
                    [](pqxx::transaction<pqxx::serializable>& tx) {
                        const int v = tx.exec1("SELECT v FROM counter WHERE id = 1")[0].as<int>();
                        tx.exec_params0("UPDATE counter SET v = $1 WHERE id = 1", v + 1);
                    },
                    100
                );
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    const int v = with_transaction(pool, [](pqxx::work& tx) {
        return tx.exec1("SELECT v FROM counter")[0].as<int>();
    });
    EXPECT_EQ(v, 100);
}

}  // namespace
}  // namespace chelete::platform

namespace chelete::platform {
namespace {

TEST(SavepointPgTest, RollsBackParameterisedWrites) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    PgPool pool{schema.pool_options(1)};
    with_transaction(pool, [](pqxx::work& tx) { tx.exec0("CREATE TABLE sp (v text)"); });
    with_transaction(pool, [](pqxx::work& tx) {
        for (const char* value : {"rolled-back", "kept"}) {
            Savepoint sp{tx, "item"};
            // A parameterised statement first: with a bare pqxx::subtransaction this write would
            // reach the parent transaction and survive the rollback below.
            tx.exec_params0("SELECT 1 WHERE $1 = ''", value);
            sp.exec_params0("INSERT INTO sp (v) VALUES ($1)", value);
            if (std::string{value} == "kept") {
                sp.commit();
            }
        }
    });
    const auto rows = with_transaction(pool, [](pqxx::work& tx) {
        std::vector<std::string> out;
        for (const auto& row : tx.exec("SELECT v FROM sp ORDER BY v")) {
            out.push_back(row[0].as<std::string>());
        }
        return out;
    });
    EXPECT_EQ(rows, std::vector<std::string>{"kept"});
}

}  // namespace
}  // namespace chelete::platform
