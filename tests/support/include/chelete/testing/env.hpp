#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <chelete/platform/pg.hpp>
#include <chelete/platform/redis.hpp>

namespace chelete::testing {

/// CHELETE_TEST_PG_DSN, set by scripts/test.sh; nullopt when absent.
[[nodiscard]] std::optional<std::string> pg_dsn();
/// CHELETE_TEST_REDIS_HOST/PORT, set by scripts/test.sh.
[[nodiscard]] std::optional<platform::RedisOptions> redis_options();

/// Skips the current test when PostgreSQL (or Redis) is not configured. CI always configures
/// both, so a skip there is a setup bug (scripts/test.sh fails the run if any test skipped).
/// scripts/test.sh sets CHELETE_TEST_REQUIRE_SERVERS=1: then a missing server fails the test
/// instead of skipping it, so no run can turn green by skipping.
[[nodiscard]] bool servers_required();

// Macros, because FAIL() and GTEST_SKIP() must return from the test body itself.
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage)
#define CHELETE_REQUIRE_PG()                                                         \
    do {                                                                             \
        if (!::chelete::testing::pg_dsn()) {                                         \
            if (::chelete::testing::servers_required()) {                            \
                FAIL() << "CHELETE_TEST_PG_DSN is not set but servers are required"; \
            }                                                                        \
            GTEST_SKIP() << "CHELETE_TEST_PG_DSN is not set (run scripts/test.sh)";  \
        }                                                                            \
    } while (0)
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage)
#define CHELETE_REQUIRE_REDIS()                                                          \
    do {                                                                                 \
        if (!::chelete::testing::redis_options()) {                                      \
            if (::chelete::testing::servers_required()) {                                \
                FAIL() << "CHELETE_TEST_REDIS_PORT is not set but servers are required"; \
            }                                                                            \
            GTEST_SKIP() << "CHELETE_TEST_REDIS_PORT is not set (run scripts/test.sh)";  \
        }                                                                                \
    } while (0)

/// A schema of its own for one test, dropped (CASCADE) at the end.
class TempSchema {
public:
    TempSchema();
    ~TempSchema();
    TempSchema(const TempSchema&) = delete;
    TempSchema& operator=(const TempSchema&) = delete;
    TempSchema(TempSchema&&) = delete;
    TempSchema& operator=(TempSchema&&) = delete;

    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] platform::PgPoolOptions pool_options(std::size_t size = 4) const;
    /// A plain connection with search_path set to the schema.
    [[nodiscard]] std::unique_ptr<pqxx::connection> connect() const;

private:
    std::string name_;
};

/// A unique prefix for Redis keys and streams used by one test.
[[nodiscard]] std::string unique_name(const std::string& prefix);

/// A TCP port on 127.0.0.1 that nothing is bound to right now, in 20000-31999 (below the
/// ephemeral range). Every test takes its ports here: separate per-suite formulas over the pid
/// overlapped, and two tests running side by side picked the same port.
[[nodiscard]] std::uint16_t unused_port();

/// Polls `condition` every 10 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

/// A child process (fork + exec) that is killed (SIGKILL) and reaped when the handle goes away.
class ChildProcess {
public:
    /// `log_file`: where the child's stdout and stderr go (appended); empty keeps the parent's.
    ChildProcess(
        const std::string& program,
        const std::vector<std::string>& args,
        const std::vector<std::pair<std::string, std::string>>& extra_env = {},
        const std::string& log_file = ""
    );
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ChildProcess(ChildProcess&&) = delete;
    ChildProcess& operator=(ChildProcess&&) = delete;

    [[nodiscard]] int pid() const { return pid_; }
    /// Waits for exit up to `timeout`; returns the raw wait status, or nullopt if still running.
    std::optional<int> wait_for(std::chrono::milliseconds timeout);
    void kill(int signal);
    [[nodiscard]] bool running();

private:
    int pid_ = -1;
    std::optional<int> status_;
};

/// Path of a program built in the same tree (CHELETE_TEST_BIN_DIR or beside the test binary).
[[nodiscard]] std::string built_program(const std::string& name);

}  // namespace chelete::testing
