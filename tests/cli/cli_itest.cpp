// The chelete binary as an operator meets it: configuration errors, the documented variables,
// `chelete ledger verify`.
#include <array>
#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chelete/ledger/engine.hpp>
#include <chelete/ledger/pg_store.hpp>
#include <chelete/testing/env.hpp>

namespace chelete {
namespace {

using ::testing::HasSubstr;

struct Output {
    int exit_code = -1;
    std::string text;
};

Output run(const std::string& command) {
    Output out;
    // NOLINTNEXTLINE(cert-env33-c): the tests run fixed command lines through the shell
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        return out;
    }
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) {
        out.text += buf.data();
    }
    const int status = pclose(pipe);
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
}

std::string chelete() {
    return testing::built_program("chelete");
}

TEST(CheleteCliITest, ABadConfigurationStopsTheStartWithEveryProblem) {
    const auto out =
        run("env -i CHELETE_HTTP_PORT=abc CHELETE_BUS_MAX_DELIVERIES=0 CHELETE_LOG_LEVEL=loud " +
            chelete() + " gateway");
    EXPECT_EQ(out.exit_code, 2);
    EXPECT_THAT(out.text, HasSubstr("CHELETE_HTTP_PORT='abc' is not an integer"));
    EXPECT_THAT(out.text, HasSubstr("CHELETE_BUS_MAX_DELIVERIES=0 is out of range"));
    EXPECT_THAT(out.text, HasSubstr("CHELETE_LOG_LEVEL='loud' must be one of"));
    EXPECT_THAT(out.text, HasSubstr("CHELETE_TOKEN_SECRET is required"));
}

TEST(CheleteCliITest, UnknownCommandsAreRefused) {
    EXPECT_EQ(run(chelete() + " launch-rockets").exit_code, 2);
    EXPECT_EQ(run(chelete()).exit_code, 2);
}

TEST(CheleteCliITest, TheReadmeListsEveryConfigurationVariable) {
    const auto config = run(chelete() + " config");
    ASSERT_EQ(config.exit_code, 0);
    std::set<std::string> variables;
    const std::regex name{R"(^(CHELETE_[A-Z0-9_]+)=)"};
    std::istringstream lines{config.text};
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_search(line, m, name)) {
            variables.insert(m[1]);
        }
    }
    ASSERT_GT(variables.size(), 20U);
    std::ifstream readme{std::string{CHELETE_SOURCE_DIR} + "/README.md"};
    std::stringstream text;
    text << readme.rdbuf();
    for (const auto& v : variables) {
        EXPECT_THAT(text.str(), HasSubstr("`" + v + "`"))
            << v << " is read by the code but not in README.md";
    }
}

// `chelete ledger verify` on a ledger written by the engine: exit 0 while the history is intact;
// exit 1, naming the problem, once a stored running balance has been edited behind the
// append-only triggers (as the tables' owner can: ALTER TABLE ... DISABLE TRIGGER).
TEST(CheleteCliITest, LedgerVerifyExitsOneAndNamesAnEditedRunningBalance) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    {
        auto conn = schema.connect();
        (void)platform::apply_migrations(*conn, schema.name(), ledger::ledger_migrations());
    }
    const platform::Id128 wallet{7, 1};
    const platform::Id128 cash{7, 2};
    const platform::Id128 deposit{8, 1};
    const platform::Id128 spend{8, 2};
    {
        platform::SystemClock clock;
        ledger::Engine engine{
            std::make_unique<ledger::PgLedgerStore>(schema.pool_options(1)), clock};
        engine.start();
        ledger::Account w;
        w.id = wallet;
        w.code = 100;
        w.flags = ledger::kDebitsMustNotExceedCredits | ledger::kHistory;
        ledger::Account c;
        c.id = cash;
        c.code = 200;
        ASSERT_TRUE(engine.create_accounts({w, c}).ok);
        ledger::Transfer in;
        in.id = deposit;
        in.debit_account_id = cash;
        in.credit_account_id = wallet;
        in.amount = 50'000;
        in.code = 1;
        ledger::Transfer out = in;
        out.id = spend;
        out.debit_account_id = wallet;
        out.credit_account_id = cash;
        out.amount = 12'000;
        const auto result = engine.create_transfers({in, out});
        ASSERT_TRUE(result.ok);
        ASSERT_EQ(
            result.transfer_results,
            (std::vector<ledger::CreateTransferResult>{
                ledger::CreateTransferResult::kOk, ledger::CreateTransferResult::kOk})
        );
    }
    const std::string verify = "env -i CHELETE_PG_DSN='" + *testing::pg_dsn() +
                               "' CHELETE_LEDGER_SCHEMA=" + schema.name() + " " + chelete() +
                               " ledger verify";
    auto out = run(verify);
    ASSERT_EQ(out.exit_code, 0) << out.text;
    EXPECT_THAT(out.text, HasSubstr("\"ok\": true"));

    // The wallet's running balance after the spend, as if 20.00 of it had never left.
    {
        auto conn = schema.connect();
        pqxx::work tx{*conn};
        tx.exec("ALTER TABLE entries DISABLE TRIGGER USER");
        tx.exec_params0(
            "UPDATE entries SET debits_posted = debits_posted - 2000 WHERE account_id = $1 AND "
            "transfer_id = $2",
            wallet.to_string(),
            spend.to_string()
        );
        tx.exec("ALTER TABLE entries ENABLE TRIGGER USER");
        tx.commit();
    }
    out = run(verify);
    EXPECT_EQ(out.exit_code, 1) << out.text;
    EXPECT_THAT(out.text, HasSubstr("\"ok\": false"));
    EXPECT_THAT(
        out.text,
        HasSubstr(
            "account " + wallet.to_string() + ": the running balance after transfer " +
            spend.to_string() + " does not equal the sum of its entries"
        )
    );
}

// `chelete ledger verify --expect-head <seq>:<digest>`: an operator's record of a head, kept
// outside the database, catches batches deleted from the end of the chain, which leave a chain
// that still links. A malformed head is a usage error.
TEST(CheleteCliITest, LedgerVerifyExpectHeadFindsTheNewestBatchesDeleted) {
    CHELETE_REQUIRE_PG();
    testing::TempSchema schema;
    {
        auto conn = schema.connect();
        (void)platform::apply_migrations(*conn, schema.name(), ledger::ledger_migrations());
    }
    {
        platform::SystemClock clock;
        ledger::Engine engine{
            std::make_unique<ledger::PgLedgerStore>(schema.pool_options(1)), clock};
        engine.start();
        ledger::Account w;
        w.id = platform::Id128{9, 1};
        w.code = 100;
        ledger::Account c = w;
        c.id = platform::Id128{9, 2};
        c.code = 200;
        ASSERT_TRUE(engine.create_accounts({w, c}).ok);
        for (std::uint64_t n = 1; n <= 2; ++n) {  // batches 2 and 3
            ledger::Transfer t;
            t.id = platform::Id128{10, n};
            t.debit_account_id = c.id;
            t.credit_account_id = w.id;
            t.amount = 500;
            t.code = 1;
            ASSERT_EQ(
                engine.create_transfers({t}).transfer_results,
                std::vector<ledger::CreateTransferResult>{ledger::CreateTransferResult::kOk}
            );
        }
    }
    std::string digest;
    {
        auto conn = schema.connect();
        pqxx::read_transaction tx{*conn};
        const auto head =
            tx.exec1("SELECT seq, encode(digest, 'hex') FROM batches ORDER BY seq DESC LIMIT 1");
        ASSERT_EQ(head[0].as<int>(), 3);
        digest = head[1].as<std::string>();
    }
    const std::string verify = "env -i CHELETE_PG_DSN='" + *testing::pg_dsn() +
                               "' CHELETE_LEDGER_SCHEMA=" + schema.name() + " " + chelete() +
                               " ledger verify";
    auto out = run(verify);
    ASSERT_EQ(out.exit_code, 0) << out.text;
    EXPECT_THAT(out.text, HasSubstr("\"digest\": \"" + digest + "\""))
        << "the report names the head to record";
    out = run(verify + " --expect-head 3:" + digest);
    ASSERT_EQ(out.exit_code, 0) << out.text;

    // Batch 3 and its rows go, as the tables' owner can make them go.
    {
        auto conn = schema.connect();
        pqxx::work tx{*conn};
        for (const std::string table : {"transfers", "entries", "batches"}) {
            tx.exec("ALTER TABLE " + table + " DISABLE TRIGGER USER");
            tx.exec(
                "DELETE FROM " + table + " WHERE " + (table == "batches" ? "seq" : "batch") + " = 3"
            );
            tx.exec("ALTER TABLE " + table + " ENABLE TRIGGER USER");
        }
        tx.commit();
    }
    out = run(verify + " --expect-head 3:" + digest);
    EXPECT_EQ(out.exit_code, 1) << out.text;
    EXPECT_THAT(
        out.text,
        HasSubstr(
            "the stored chain ends at batch 2 but the expected head is batch 3: batches missing"
        )
    );
    out = run(verify + " --expect-head=3:" + digest.substr(1));
    EXPECT_EQ(out.exit_code, 2) << out.text;
    EXPECT_THAT(out.text, HasSubstr("--expect-head takes <seq>:<digest>"));
}

}  // namespace
}  // namespace chelete
