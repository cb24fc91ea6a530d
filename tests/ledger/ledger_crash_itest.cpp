// The ledger process killed at random points under load (ARCHITECTURE.md "The ledger"): a
// restart, kill -9 at any point included, loses nothing that was acknowledged and applies nothing
// twice. A seeded schedule SIGKILLs `chelete ledger` every 0.3–1.5 s, sometimes at the fault points
// around the batch commit or in the relay, while 8 clients send commands over the bus and retry
// unanswered ones with the same transfer ids. Reproduce with CHELETE_CRASH_SEED=<seed>; run longer
// with CHELETE_CRASH_COMMANDS=<n>.
#include <atomic>
#include <csignal>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <chelete/ledger/pg_store.hpp>
#include <chelete/ledger/verify.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::ledger {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace bus = platform::bus;

struct Command {
    json payload;
    std::vector<std::string> transfer_ids;
    bool acknowledged = false;
};

/// 800 commands (about 12 s, 5-10 kills) in scripts/test.sh; CHELETE_CRASH_COMMANDS for a longer
/// run.
int commands_for_run() {
    if (const char* s = std::getenv("CHELETE_CRASH_COMMANDS")) {  // NOLINT(concurrency-mt-unsafe)
        return std::stoi(s);
    }
    return 800;
}

std::uint64_t seed_for_run() {
    if (const char* s = std::getenv("CHELETE_CRASH_SEED")) {  // NOLINT(concurrency-mt-unsafe)
        return std::stoull(s);
    }
    return std::random_device{}();
}

TEST(LedgerCrashITest, NothingAcknowledgedIsLostAndNothingIsAppliedTwice) {
    CHELETE_REQUIRE_PG();
    CHELETE_REQUIRE_REDIS();
    const std::uint64_t seed = seed_for_run();
    SCOPED_TRACE("reproduce with CHELETE_CRASH_SEED=" + std::to_string(seed));
    std::mt19937_64 rng{seed};

    const std::string schema = testing::unique_name("ledger_crash");
    const std::string stream = testing::unique_name("ledger.cmd.crash");
    const std::string log_file = "/tmp/" + schema + ".log";
    const std::vector<std::pair<std::string, std::string>> env{
        {"CHELETE_PG_DSN", *testing::pg_dsn()},
        {"CHELETE_REDIS_PORT", std::to_string(testing::redis_options()->port)},
        {"CHELETE_LEDGER_SCHEMA", schema},
        {"CHELETE_LEDGER_COMMAND_STREAM", stream},
        {"CHELETE_LEDGER_EVENT_STREAM", stream + ".events"},
        {"CHELETE_RELAY_POLL_INTERVAL", "10ms"},
        {"CHELETE_LOG_LEVEL", "warn"},
        {"CHELETE_INSTANCE_ID", schema}};
    const auto start = [&](const std::string& faults) {
        auto e = env;
        if (!faults.empty()) {
            e.emplace_back("CHELETE_FAULTS", faults);
        }
        return std::make_unique<testing::ChildProcess>(
            testing::built_program("chelete"), std::vector<std::string>{"ledger"}, e, log_file
        );
    };

    // The workload: accounts, then commands of 1-8 transfers: plain ones, pending ones posted or
    // voided later in the same command, linked pairs.
    constexpr int kAccounts = 16;
    const int command_count = commands_for_run();
    std::vector<std::string> accounts;
    json account_list = json::array();
    for (int i = 0; i < kAccounts; ++i) {
        accounts.push_back(platform::new_uuid());
        account_list.push_back({{"id", accounts.back()}, {"currency", "ZAR"}, {"code", 100 + i % 3}}
        );
    }
    std::map<std::string, std::pair<std::int64_t, std::int64_t>>
        expected;  // account -> (debits, credits) posted
    std::vector<Command> commands;
    for (int c = 0; c < command_count; ++c) {
        Command cmd;
        json transfers = json::array();
        const auto n = 1 + rng() % 8;
        for (std::uint64_t k = 0; k < n; ++k) {
            const auto a = rng() % kAccounts;
            const auto b = (a + 1 + rng() % (kAccounts - 1)) % kAccounts;
            const std::int64_t amount = 1 + static_cast<std::int64_t>(rng() % 100'000);
            const std::string id = platform::new_uuid();
            const auto kind = rng() % 10;
            json t{
                {"id", id},
                {"debit_account_id", accounts[a]},
                {"credit_account_id", accounts[b]},
                {"amount", amount},
                {"currency", "ZAR"},
                {"code", 1}};
            cmd.transfer_ids.push_back(id);
            if (kind < 6) {
                transfers.push_back(t);
                expected[accounts[a]].first += amount;
                expected[accounts[b]].second += amount;
            } else if (kind < 8) {
                t["flags"] = {"pending"};
                transfers.push_back(t);
                const std::string resolve = platform::new_uuid();
                cmd.transfer_ids.push_back(resolve);
                const bool post = kind == 6;
                transfers.push_back(
                    {{"id", resolve},
                     {"pending_id", id},
                     {"currency", "ZAR"},
                     {"flags", {post ? "post_pending_transfer" : "void_pending_transfer"}}}
                );
                if (post) {
                    expected[accounts[a]].first += amount;
                    expected[accounts[b]].second += amount;
                }
            } else {
                t["flags"] = {"linked"};
                transfers.push_back(t);
                const std::string second = platform::new_uuid();
                cmd.transfer_ids.push_back(second);
                transfers.push_back(
                    {{"id", second},
                     {"debit_account_id", accounts[b]},
                     {"credit_account_id", accounts[a]},
                     {"amount", amount / 2 + 1},
                     {"currency", "ZAR"},
                     {"code", 2}}
                );
                expected[accounts[a]].first += amount;
                expected[accounts[b]].second += amount;
                expected[accounts[b]].first += amount / 2 + 1;
                expected[accounts[a]].second += amount / 2 + 1;
            }
        }
        cmd.payload = json{{"transfers", transfers}};
        commands.push_back(std::move(cmd));
    }

    auto ledger = start("");
    bus::BusOptions options;
    options.redis = *testing::redis_options();
    bus::BusClient client{options, testing::unique_name("crash.reply")};
    client.start();
    const auto send = [&](const std::string& type, const json& payload) -> std::optional<json> {
        // Short, so that a crash leaves clients without an answer and they retry the same ids.
        const auto reply =
            client.request_sync(bus::OutgoingMessage{stream, type, payload.dump(), "", ""}, 400ms);
        if (!reply) {
            return std::nullopt;
        }
        return json::parse(reply->payload);
    };
    ASSERT_TRUE(testing::wait_until(
        [&] {
            const auto r = send("ledger.create_accounts", json{{"accounts", account_list}});
            return r && (*r)["status"] == 200;
        },
        60s
    ));

    // Clients: each takes the next unacknowledged command, retrying unanswered ones. The workload
    // is released in step with the killer: command i waits until i * kMinimumKills / count kills
    // have happened, so a fast machine cannot finish the run before the ledger was crashed enough
    // times (a fast run could acknowledge all 800 commands after 4 kills and fail the count below).
    constexpr int kMinimumKills = 5;
    std::atomic<int> kills_so_far{0};
    const auto released = [&](std::size_t index) {
        return static_cast<std::int64_t>(kills_so_far.load()) * command_count >=
               static_cast<std::int64_t>(index) * kMinimumKills;
    };
    std::mutex mutex;
    std::size_t next = 0;
    std::atomic<int> acknowledged{0};
    std::atomic<int> retries{0};
    std::atomic<bool> stop_clients{false};
    std::vector<std::thread> clients;
    for (int w = 0; w < 8; ++w) {
        clients.emplace_back([&] {
            for (;;) {
                std::size_t mine = 0;
                {
                    std::lock_guard lock{mutex};
                    if (next >= commands.size() || stop_clients) {
                        return;
                    }
                    mine = next++;
                }
                while (!released(mine)) {
                    if (stop_clients) {
                        return;
                    }
                    std::this_thread::sleep_for(10ms);
                }
                // A steady pace, so the run lasts long enough to be crashed many times.
                std::this_thread::sleep_for(50ms);
                for (;;) {
                    if (stop_clients) {
                        return;
                    }
                    const auto r = send("ledger.create_transfers", commands[mine].payload);
                    bool done = r && (*r)["status"] == 200;
                    if (done) {
                        for (const auto& result : (*r)["body"]["results"]) {
                            done =
                                done && (result["result"] == "ok" || result["result"] == "exists");
                        }
                        ASSERT_TRUE(done) << r->dump();
                    }
                    if (done) {
                        std::lock_guard lock{mutex};
                        commands[mine].acknowledged = true;
                        ++acknowledged;
                        break;
                    }
                    ++retries;
                }
            }
        });
    }

    // The killer.
    std::map<std::string, int> kills;
    const auto deadline =
        std::chrono::steady_clock::now() + 150s + std::chrono::milliseconds{command_count * 20};
    while (acknowledged.load() < command_count && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds{300 + rng() % 1200});
        if (acknowledged.load() >= command_count) {
            break;
        }
        ledger->kill(SIGKILL);
        (void)ledger->wait_for(10s);
        const auto kind = rng() % 4;
        std::string faults;
        if (kind == 1) {
            faults = "ledger.after_commit=kill@" + std::to_string(1 + rng() % 5);
        } else if (kind == 2) {
            faults = "ledger.before_commit=kill@" + std::to_string(1 + rng() % 5);
        } else if (kind == 3) {
            faults = "relay.after_xadd=kill@" + std::to_string(1 + rng() % 3);
        }
        ++kills[faults.empty() ? "sigkill" : faults.substr(0, faults.find('='))];
        ++kills_so_far;
        // Down for a while, as under a real supervisor: clients time out and retry meanwhile.
        std::this_thread::sleep_for(std::chrono::milliseconds{100 + rng() % 600});
        ledger = start(faults);
        // A process armed with a fault point dies by itself; bring the next one up plain.
        if (!faults.empty()) {
            if (ledger->wait_for(4s).has_value()) {
                ++kills["(fault fired)"];
                ledger = start("");
            }
        }
    }
    stop_clients = acknowledged.load() < command_count;
    for (auto& t : clients) {
        t.join();
    }
    ASSERT_EQ(acknowledged.load(), command_count)
        << "not every command was acknowledged within the time";
    std::string summary;
    int total_kills = 0;
    for (const auto& [k, n] : kills) {
        summary += k + "=" + std::to_string(n) + " ";
        total_kills += k == "(fault fired)" ? 0 : n;
    }
    RecordProperty("kills", summary);
    std::cout << "[ledger crash] kills: " << summary << "; retried commands: " << retries.load()
              << "\n";
    EXPECT_GE(total_kills, kMinimumKills) << "the run must actually crash the ledger";
    EXPECT_GT(retries.load(), 0) << "crashes must have left clients retrying with the same ids";

    // Every acknowledged transfer exists exactly once, and the balances are what the workload
    // says: nothing lost, nothing doubled.
    client.stop();
    ledger->kill(SIGTERM);
    (void)ledger->wait_for(20s);
    platform::PgPoolOptions pool;
    pool.dsn = *testing::pg_dsn();
    pool.schema = schema;
    pool.size = 1;
    {
        platform::PgPool factory{pool};
        auto conn = factory.connect_dedicated();
        pqxx::read_transaction tx{*conn};
        json ids = json::array();
        std::size_t expected_transfers = 0;
        for (const auto& c : commands) {
            for (const auto& id : c.transfer_ids) {
                ids.push_back(id);
                ++expected_transfers;
            }
        }
        const auto found = tx.exec_params1(
            "SELECT count(*) FROM transfers WHERE id::text IN (SELECT "
            "json_array_elements_text($1::json))",
            ids.dump()
        );
        EXPECT_EQ(found[0].as<std::size_t>(), expected_transfers);
        EXPECT_EQ(
            tx.exec1("SELECT count(*) FROM transfers")[0].as<std::size_t>(), expected_transfers
        ) << "no transfer beyond the workload";
        for (const auto& [account, sums] : expected) {
            const auto r = tx.exec_params(
                "SELECT debits_posted, credits_posted FROM entries WHERE account_id = $1 ORDER BY "
                "timestamp DESC LIMIT 1",
                account
            );
            ASSERT_FALSE(r.empty()) << account;
            EXPECT_EQ(r[0][0].as<std::int64_t>(), sums.first) << account;
            EXPECT_EQ(r[0][1].as<std::int64_t>(), sums.second) << account;
        }
    }
    const auto report = verify_ledger(pool);
    EXPECT_TRUE(report.ok) << (report.problems.empty() ? "" : report.problems.front());
    std::cout << "[ledger crash] verified " << report.checked.batches << " batches, "
              << report.checked.transfers << " transfers, " << report.checked.entries
              << " entries\n";
    pqxx::connection c{*testing::pg_dsn()};
    pqxx::work drop{c};
    drop.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    drop.commit();
}

}  // namespace
}  // namespace chelete::ledger
