// The chaos run (issue 7): remittances at a steady rate through the gateway while a seeded schedule
// kills a random service every 5-15 s, restarts Redis losing its data twice and stops PostgreSQL
// immediately twice. Then a drain and the proof: every acknowledged remittance reached a final
// state, nothing was paid twice (counted at the partner simulators), the ledger verifies, every
// remittance agrees with its transfers, every wallet with its deposits less what it paid, and the
// partners' statements reconcile with no break.
//
// It owns its servers (a private PostgreSQL and Redis, which it must be free to crash) and runs
// every service as a process of its own (`chelete <service>`, the outbox relays in `chelete
// relay`), restarting a killed one after a short, seeded pause as a supervisor would.
//
//   CHELETE_CHAOS_REMITTANCES (500)  how many remittances; tests/chaos/run.sh runs 5,000
//   CHELETE_CHAOS_RATE (10)          remittances started per second
//   CHELETE_CHAOS_SEED (7)           the schedule's seed: the same seed, the same schedule
//   CHELETE_CHAOS_INSTANCES (1)      2: two processes of every stateless service, two gateways
//   CHELETE_CHAOS_SHARDS (1)         ledger shards, each a `chelete ledger` process of its own
//   CHELETE_CHAOS_DIR                where servers and logs live, a directory per test inside
//                                    (default /tmp/chelete-chaos-<pid>)
// Those set the first test; the second always runs 300 remittances with two of everything and
// two ledger shards (docs/scaling.md).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sys/wait.h>

#include <chelete/gateway/jwt.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/platform/money.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/testing/env.hpp>
#include <chelete/testing/http_client.hpp>

namespace chelete {
namespace {

using nlohmann::json;
using testing::ChildProcess;
using testing::HttpClient;
using testing::HttpResult;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kTokenSecret = "chaos-token-secret-0123456789abcdef0123";
constexpr const char* kAdminPassword = "chaos-admin-password-123";
constexpr const char* kMpesaKey = "chaos-mpesa-api-key";
constexpr const char* kMpesaSecret = "chaos-mpesa-callback-secret";
constexpr const char* kEcocashId = "chaos-ecocash";
constexpr const char* kEcocashSecret = "chaos-ecocash-client-secret";
constexpr const char* kEcocashCallbackSecret = "chaos-ecocash-callback-secret";
constexpr const char* kSmsKey = "chaos-sms-api-key";
/// What each worker deposits; no worker sends more than kMaxPerWorker remittances of at most
/// R139.99, so nobody runs out of money or reaches the daily limit of the `basic` tier a worker
/// with a passport and no verified permit has (R3,000; docs/compliance.md). No remittance breaks
/// a rule, so none may end rejected.
constexpr std::int64_t kDepositMinor = 500'000;
constexpr int kMaxPerWorker = 20;
constexpr int kMinAmountRand = 50;  // the smallest send (docs/remittance.md)
constexpr int kMaxAmountRand = 140;

/// Partner faults beside the process chaos, mild so most payments go through at first try.
const std::vector<std::string> kPartnerFaults{
    "--seed",
    "5",
    "--latency-ms",
    "5",
    "--unknown-rate",
    "0.03",
    "--unknown-paid-rate",
    "0.5",
    "--timeout-rate",
    "0.02",
    "--timeout-hold-ms",
    "1500",
    "--duplicate-callback-rate",
    "0.1",
    "--drop-callback-rate",
    "0.05"};

int env_int(const char* name, int fallback) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before threads
    return value != nullptr && *value != '\0' ? std::stoi(value) : fallback;
}

/// The body as JSON; an empty object when it is not JSON (so a lookup never asserts).
json body_of(const HttpResult& r) {
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j : json::object();
}

/// j[key] when present, else an empty object: figures must print even from a wrong answer.
const json& field(const json& j, const char* key) {
    static const json kEmpty = json::object();
    return j.is_object() && j.contains(key) ? j[key] : kEmpty;
}

/// Transient answers a client retries with the same Idempotency-Key: no answer at all (a killed
/// gateway), 408 (the gateway's HTTP layer timed the request out), 5xx (a service or PostgreSQL
/// gone), 429.
bool retryable(long status) {
    return status == 0 || status == 408 || status == 429 || status >= 500;
}

std::string uuid_hex(const std::string& uuid) {
    std::string out;
    std::copy_if(uuid.begin(), uuid.end(), std::back_inserter(out), [](char c) {
        return c != '-';
    });
    return out;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL and Redis, through the same shell functions scripts/test.sh uses.

class Servers {
public:
    Servers(std::filesystem::path dir, std::uint16_t pg_port, std::uint16_t redis_port)
        : dir_(std::move(dir)), pg_port_(pg_port), redis_port_(redis_port) {}
    ~Servers() {
        shell(
            "redis_stop " + redis_dir() + " " + std::to_string(redis_port_) + "; pg_stop " +
            pg_dir() + (discard_data_ ? "; rm -rf " + pg_dir() + " " + redis_dir() : "")
        );
    }
    Servers(const Servers&) = delete;
    Servers& operator=(const Servers&) = delete;
    Servers(Servers&&) = delete;
    Servers& operator=(Servers&&) = delete;

    bool start_pg() {
        return shell(
            "pg_start " + pg_dir() + " " + std::to_string(pg_port_) +
            " fsync=off full_page_writes=off"
        );
    }
    /// `pg_ctl stop -m immediate`: every backend dies at once, no checkpoint; the next start
    /// runs crash recovery, as after a power cut.
    bool crash_pg() { return shell("pg_crash " + pg_dir()); }
    /// Redis without persistence: a restart comes back empty, every stream and group gone.
    bool start_redis() {
        return shell(
            "redis_start " + redis_dir() + " " + std::to_string(redis_port_) + " volatile"
        );
    }
    bool stop_redis() {
        return shell("redis_stop " + redis_dir() + " " + std::to_string(redis_port_));
    }
    [[nodiscard]] std::uint16_t redis_port() const { return redis_port_; }
    /// After a clean run only the logs are worth keeping.
    void discard_data_on_stop() { discard_data_ = true; }
    [[nodiscard]] std::string dsn() const {
        return "host=127.0.0.1 port=" + std::to_string(pg_port_) + " dbname=chelete user=chelete";
    }

private:
    [[nodiscard]] std::string pg_dir() const { return (dir_ / "pg").string(); }
    [[nodiscard]] std::string redis_dir() const { return (dir_ / "redis").string(); }
    bool shell(const std::string& commands) const {
        const std::string script = "source '" CHELETE_SOURCE_DIR "/scripts/lib/common.sh' && " +
                                   commands + " >>'" + (dir_ / "servers.log").string() + "' 2>&1";
        ChildProcess bash{"/bin/bash", {"-c", script}};
        const auto status = bash.wait_for(120s);
        return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
    }

    std::filesystem::path dir_;
    bool discard_data_ = false;
    std::uint16_t pg_port_;
    std::uint16_t redis_port_;
};

// ---------------------------------------------------------------------------------------------
// The services, each a process the schedule may kill; a supervisor thread restarts them.

class Fleet {
public:
    Fleet(std::map<std::string, std::string> env, std::filesystem::path log_dir)
        : env_(std::move(env)), log_dir_(std::move(log_dir)) {}
    ~Fleet() { stop_all(); }
    Fleet(const Fleet&) = delete;
    Fleet& operator=(const Fleet&) = delete;
    Fleet(Fleet&&) = delete;
    Fleet& operator=(Fleet&&) = delete;

    void add(
        const std::string& name,
        const std::string& subcommand,
        std::map<std::string, std::string> extra_env = {}
    ) {
        const std::lock_guard lock{mutex_};
        auto& s = services_[name];
        s.subcommand = subcommand;
        s.extra_env = std::move(extra_env);
        start_locked(name, s);
    }
    [[nodiscard]] std::vector<std::string> names() const {
        const std::lock_guard lock{mutex_};
        std::vector<std::string> out;
        for (const auto& [name, s] : services_) {
            out.push_back(name);
        }
        return out;
    }
    /// SIGKILL now; the supervisor starts it again after `pause`.
    void kill(const std::string& name, std::chrono::milliseconds pause) {
        const std::lock_guard lock{mutex_};
        auto& s = services_.at(name);
        if (s.process) {
            s.process->kill(SIGKILL);
            (void)s.process->wait_for(5s);
        }
        s.process.reset();
        s.restart_at = Clock::now() + pause;
        ++s.kills;
    }
    /// Starts what is due and what died on its own (counted: a service should survive its
    /// servers going away, not need a supervisor for it).
    void supervise() {
        const std::lock_guard lock{mutex_};
        for (auto& [name, s] : services_) {
            if (s.process && !s.process->running()) {
                ++s.unplanned_exits;
                s.process.reset();
                s.restart_at = Clock::now() + 1s;
            }
            if (!s.process && Clock::now() >= s.restart_at) {
                start_locked(name, s);
            }
        }
    }
    void stop_all() {
        const std::lock_guard lock{mutex_};
        for (auto& [name, s] : services_) {
            if (s.process) {
                s.process->kill(SIGTERM);
                if (!s.process->wait_for(20s)) {
                    s.process->kill(SIGKILL);
                }
                s.process.reset();
            }
        }
    }
    [[nodiscard]] std::map<std::string, int> kills() const {
        const std::lock_guard lock{mutex_};
        std::map<std::string, int> out;
        for (const auto& [name, s] : services_) {
            out[name] = s.kills;
        }
        return out;
    }
    [[nodiscard]] std::map<std::string, int> unplanned_exits() const {
        const std::lock_guard lock{mutex_};
        std::map<std::string, int> out;
        for (const auto& [name, s] : services_) {
            out[name] = s.unplanned_exits;
        }
        return out;
    }

private:
    struct Service {
        std::string subcommand;
        std::map<std::string, std::string> extra_env;
        std::unique_ptr<ChildProcess> process;
        Clock::time_point restart_at{};
        int starts = 0;
        int kills = 0;
        int unplanned_exits = 0;
    };
    void start_locked(const std::string& name, Service& s) {
        auto env = env_;
        for (const auto& [k, v] : s.extra_env) {
            env[k] = v;
        }
        // A fresh consumer name per start: the dead one's pending entries are reclaimed by
        // XAUTOCLAIM like any other idle entries.
        env["CHELETE_INSTANCE_ID"] = name + "-" + std::to_string(++s.starts);
        s.process = std::make_unique<ChildProcess>(
            testing::built_program("chelete"),
            std::vector<std::string>{s.subcommand},
            std::vector<std::pair<std::string, std::string>>(env.begin(), env.end()),
            (log_dir_ / (name + ".log")).string()
        );
    }

    std::map<std::string, std::string> env_;
    std::filesystem::path log_dir_;
    mutable std::mutex mutex_;
    std::map<std::string, Service> services_;
};

// ---------------------------------------------------------------------------------------------

struct Worker {
    std::string id;
    std::string auth;
    std::string beneficiary_id;
    std::string method;
};

struct Sent {
    std::string id;  // empty when never acknowledged
    std::string worker_id;
    std::int64_t send_minor = 0;
    long last_status = 0;
    std::string last_body;  // of a refusal
};

std::string bearer(const std::string& role, const std::string& subject) {
    static const platform::SystemClock clock;
    static const gateway::TokenService tokens{
        {gateway::TokenKey{"k1", std::string{kTokenSecret}}}, gateway::TokenSettings{}, clock};
    return "Authorization: Bearer " +
           tokens.issue(gateway::Principal{subject, role, 0, platform::new_uuid()});
}

/// POSTs until the answer is not transient (same body and Idempotency-Key every time), for at
/// most `limit`: what a careful client does while the system heals.
HttpResult post_until_answered(
    HttpClient& http,
    const std::string& path,
    const std::string& payload,
    const std::vector<std::string>& headers,
    std::chrono::seconds limit = 180s
) {
    const auto deadline = Clock::now() + limit;
    HttpResult r;
    while (true) {
        try {
            r = http.post_json(path, payload, headers);
        } catch (const std::exception&) {
            r = HttpResult{};
        }
        // 409 request-in-progress: the first try of this key is still running, or its gateway
        // died before recording the answer and the key's lock has not lapsed yet.
        const bool in_progress =
            r.status == 409 && body_of(r).value("type", "") == "/problems/request-in-progress";
        if ((!retryable(r.status) && !in_progress) || Clock::now() >= deadline) {
            return r;
        }
        std::this_thread::sleep_for(in_progress ? 1s : 300ms);
    }
}

HttpResult get_until_answered(
    HttpClient& http,
    const std::string& path,
    const std::vector<std::string>& headers,
    std::chrono::seconds limit = 120s
) {
    const auto deadline = Clock::now() + limit;
    HttpResult r;
    while (true) {
        try {
            r = http.get(path, headers);
        } catch (const std::exception&) {
            r = HttpResult{};
        }
        if (!retryable(r.status) || Clock::now() >= deadline) {
            return r;
        }
        std::this_thread::sleep_for(300ms);
    }
}

std::string random_digits(std::mt19937_64& rng, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += static_cast<char>('0' + rng() % 10);
    }
    return out;
}

/// The ledger schema of shard k (ledger/include/chelete/ledger/shards.hpp: `ledger`, `ledger_1`).
std::string ledger_schema(int shard) {
    return shard == 0 ? "ledger" : "ledger_" + std::to_string(shard);
}

/// Every shard's rows of a ledger table, as one relation.
std::string every_shard(const std::string& table, int shards) {
    std::string out = "(";
    for (int k = 0; k < shards; ++k) {
        out += (k == 0 ? "SELECT * FROM " : " UNION ALL SELECT * FROM ") + ledger_schema(k) + "." +
               table;
    }
    return out + ")";
}

/// One chaos run: `instances` processes of every stateless service (1 or 2) and `shards` ledger
/// shards, a ledger process each.
void run_chaos(int remittances, int rate, std::uint64_t seed, int instances, int shards) {
    ASSERT_GT(remittances, 0);
    ASSERT_GT(rate, 0);
    const char* dir_env = std::getenv("CHELETE_CHAOS_DIR");  // NOLINT(concurrency-mt-unsafe)
    const std::filesystem::path dir =
        (dir_env != nullptr ? std::filesystem::path{dir_env}
                            : std::filesystem::temp_directory_path() /
                                  ("chelete-chaos-" + std::to_string(getpid()))) /
        ("instances-" + std::to_string(instances) + "-shards-" + std::to_string(shards));
    std::filesystem::create_directories(dir);
    std::cout << "chaos: " << remittances << " remittances at " << rate << "/s, seed " << seed
              << ", logs in " << dir.string() << "\n";
    std::mt19937_64 rng{seed};

    // Servers.
    Servers servers{dir, testing::unused_port(), testing::unused_port()};
    ASSERT_TRUE(servers.start_pg()) << "see " << dir / "servers.log";
    ASSERT_TRUE(servers.start_redis()) << "see " << dir / "servers.log";

    // Partners.
    const auto gateway_port = testing::unused_port();
    const auto mpesa_port = testing::unused_port();
    const auto ecocash_port = testing::unused_port();
    const auto sms_port = testing::unused_port();
    const std::string gateway = "http://127.0.0.1:" + std::to_string(gateway_port);
    const std::string sim_log = (dir / "simulators.log").string();
    std::vector<std::string> mpesa_args{
        "mpesa",
        "--port",
        std::to_string(mpesa_port),
        "--api-key",
        kMpesaKey,
        "--callback-url",
        gateway + "/v1/callbacks/mpesa",
        "--callback-secret",
        kMpesaSecret};
    mpesa_args.insert(mpesa_args.end(), kPartnerFaults.begin(), kPartnerFaults.end());
    ChildProcess mpesa{testing::built_program("chelete-simulator"), mpesa_args, {}, sim_log};
    std::vector<std::string> ecocash_args{
        "ecocash",
        "--port",
        std::to_string(ecocash_port),
        "--client-id",
        kEcocashId,
        "--client-secret",
        kEcocashSecret,
        "--callback-secret",
        kEcocashCallbackSecret};
    ecocash_args.insert(ecocash_args.end(), kPartnerFaults.begin(), kPartnerFaults.end());
    ChildProcess ecocash{testing::built_program("chelete-simulator"), ecocash_args, {}, sim_log};
    ChildProcess sms{
        testing::built_program("chelete-simulator"),
        {"sms", "--port", std::to_string(sms_port), "--api-key", kSmsKey},
        {},
        sim_log};
    HttpClient mpesa_admin{"http://127.0.0.1:" + std::to_string(mpesa_port)};
    HttpClient ecocash_admin{"http://127.0.0.1:" + std::to_string(ecocash_port)};
    ASSERT_TRUE(testing::wait_until(
        [&] {
            try {
                return mpesa_admin.get("/healthz").status == 200 &&
                       ecocash_admin.get("/healthz").status == 200;
            } catch (const std::exception&) {
                return false;
            }
        },
        10s
    )) << "simulators did not start; see "
       << sim_log;
    const auto public_key = dir / "mpesa_public.pem";
    std::ofstream{public_key} << mpesa_admin.get("/admin/public-key").body;

    // Services: one process each, the relays in a process of their own.
    const std::map<std::string, std::string> env{
        {"CHELETE_PG_DSN", servers.dsn()},
        {"CHELETE_REDIS_PORT", std::to_string(servers.redis_port())},
        {"CHELETE_TOKEN_SECRET", kTokenSecret},
        {"CHELETE_HTTP_PORT", std::to_string(gateway_port)},
        {"CHELETE_HTTP_DRAIN", "100ms"},
        {"CHELETE_ADMIN_PASSWORD", kAdminPassword},
        {"CHELETE_FIELD_KEYS", "k1:" + std::string(64, 'a')},
        {"CHELETE_LOOKUP_KEY", std::string(64, 'b')},
        {"CHELETE_LETTER_SIGNING_KEY", std::string(64, 'c')},
        {"CHELETE_RATE_LIMIT", "1000000"},
        {"CHELETE_RATE_BURST", "100000"},
        {"CHELETE_RATE_LIMIT_ANONYMOUS", "1000000"},
        {"CHELETE_RATE_BURST_ANONYMOUS", "100000"},
        {"CHELETE_RELAY_EMBEDDED", "false"},
        {"CHELETE_RELAY_POLL_INTERVAL", "20ms"},
        {"CHELETE_RELAY_SWEEP_INTERVAL", "1s"},
        {"CHELETE_RELAY_LOSS_CHECK_AGE", "2s"},
        {"CHELETE_BUS_CLAIM_IDLE", "3s"},
        {"CHELETE_BUS_CLAIM_INTERVAL", "1s"},
        {"CHELETE_COMPLIANCE_VELOCITY", "1000/24h"},
        // A key whose gateway died unrecorded can be retried after this (services dedupe too).
        {"CHELETE_IDEMPOTENCY_LOCK", "20s"},
        {"CHELETE_REMIT_STUCK_AFTER", "10s"},
        {"CHELETE_REMIT_SWEEP_INTERVAL", "2s"},
        {"CHELETE_MPESA_BASE_URL", "http://127.0.0.1:" + std::to_string(mpesa_port) + "/openapi"},
        {"CHELETE_MPESA_API_KEY", kMpesaKey},
        {"CHELETE_MPESA_PUBLIC_KEY", public_key.string()},
        {"CHELETE_MPESA_CALLBACK_SECRET", kMpesaSecret},
        {"CHELETE_MPESA_TIMEOUT", "1s"},
        {"CHELETE_ECOCASH_BASE_URL", "http://127.0.0.1:" + std::to_string(ecocash_port)},
        {"CHELETE_ECOCASH_CLIENT_ID", kEcocashId},
        {"CHELETE_ECOCASH_CLIENT_SECRET", kEcocashSecret},
        {"CHELETE_ECOCASH_NOTIFY_URL", gateway + "/v1/callbacks/ecocash"},
        {"CHELETE_ECOCASH_CALLBACK_SECRET", kEcocashCallbackSecret},
        {"CHELETE_ECOCASH_TIMEOUT", "1s"},
        {"CHELETE_SMS_BASE_URL", "http://127.0.0.1:" + std::to_string(sms_port)},
        {"CHELETE_SMS_API_KEY", kSmsKey},
        {"CHELETE_PAYOUT_JOBS_INTERVAL", "500ms"},
        {"CHELETE_PAYOUT_LEDGER_RESEND", "3s"},
        {"CHELETE_PAYOUT_CALLBACK_WAIT", "1s"},
        {"CHELETE_PAYOUT_FIRST_QUERY", "500ms"},
        {"CHELETE_PAYOUT_MAX_QUERY_INTERVAL", "2s"},
        {"CHELETE_PAYOUT_RETRY_WAIT", "1s"},
        {"CHELETE_PAYOUT_RETRY_SLA", "10m"},
        {"CHELETE_PAYOUT_LEASE", "5s"},
        {"CHELETE_LEDGER_SHARDS", std::to_string(shards)},
        {"CHELETE_LOG_LEVEL", "warn"}};

    // Migrations once, then every service as a process of its own.
    {
        auto migrate_env = env;
        ChildProcess migrate{
            testing::built_program("chelete"),
            {"migrate"},
            std::vector<std::pair<std::string, std::string>>(
                migrate_env.begin(), migrate_env.end()
            ),
            (dir / "migrate.log").string()};
        const auto status = migrate.wait_for(120s);
        ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
            << "chelete migrate failed; see " << dir / "migrate.log";
    }
    Fleet fleet{env, dir};
    // CHELETE_CHAOS_INSTANCES=2 runs two processes of every stateless service (a second gateway
    // on its own port, the clients alternating) and a standby relay: docs/scaling.md.
    ASSERT_TRUE(instances == 1 || instances == 2);
    std::vector<std::string> gateways{gateway};
    ASSERT_TRUE(shards >= 1 && shards <= 4);
    for (int k = 0; k < shards; ++k) {
        fleet.add(
            k == 0 ? "ledger" : "ledger-" + std::to_string(k),
            "ledger",
            {{"CHELETE_LEDGER_SHARD", std::to_string(k)}}
        );
    }
    for (int copy = 1; copy <= instances; ++copy) {
        const std::string suffix = copy == 1 ? "" : "-" + std::to_string(copy);
        for (const auto* name :
             {"registry",
              "compliance",
              "payout",
              "notifier",
              "central-bank",
              "ussd",
              "remittance",
              "relay"}) {
            fleet.add(std::string{name} + suffix, name);
        }
        std::map<std::string, std::string> port;
        if (copy > 1) {
            const auto second = testing::unused_port();
            port["CHELETE_HTTP_PORT"] = std::to_string(second);
            gateways.push_back("http://127.0.0.1:" + std::to_string(second));
        }
        fleet.add("gateway" + suffix, "gateway", port);
    }
    HttpClient http{gateway};
    for (const auto& url : gateways) {
        HttpClient probe{url};
        ASSERT_TRUE(testing::wait_until(
            [&] {
                try {
                    return probe.get("/readyz").status == 200;
                } catch (const std::exception&) {
                    return false;
                }
            },
            60s
        )) << "the gateway at "
           << url << " did not become ready; see " << dir;
    }

    // Workers, each with a beneficiary and R5,000 deposited, before the chaos starts.
    const int worker_count = std::max(4, (remittances + kMaxPerWorker - 1) / kMaxPerWorker);
    std::vector<Worker> workers(static_cast<std::size_t>(worker_count));
    const std::string agent_auth = bearer("agent", platform::new_uuid());
    {
        std::atomic<int> next{0};
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&, t] {
                HttpClient client{gateway};
                std::mt19937_64 local{seed * 31 + static_cast<std::uint64_t>(t)};
                for (int i = next++; i < worker_count; i = next++) {
                    auto& w = workers[static_cast<std::size_t>(i)];
                    w.method = i % 2 == 0 ? "mpesa" : "ecocash";
                    const auto r = post_until_answered(
                        client,
                        "/v1/workers",
                        json{
                            {"given_name", "Lerato"},
                            {"family_name", "Mokoena"},
                            {"date_of_birth", "1990-07-14"},
                            {"phone", "+278" + random_digits(local, 8)},
                            {"pin", "48213"},
                            {"passport_number", "RC" + random_digits(local, 7)},
                            {"consents", {{{"purpose", "registration"}, {"granted", true}}}}}
                            .dump(),
                        {"Idempotency-Key: " + platform::new_uuid()}
                    );
                    w.id = body_of(r).value("id", "");
                    w.auth = bearer("worker", w.id);
                    const auto b = post_until_answered(
                        client,
                        "/v1/workers/" + w.id + "/beneficiaries",
                        json{
                            {"full_name", "Mpho Mokoena"},
                            {"phone", "+2665" + random_digits(local, 7)},
                            {"relationship", "parent"},
                            {"payout_method", w.method},
                            {"national_id", "0" + random_digits(local, 12)}}
                            .dump(),
                        {"Idempotency-Key: " + platform::new_uuid(), w.auth}
                    );
                    w.beneficiary_id = body_of(b).value("id", "");
                    const auto d = post_until_answered(
                        client,
                        "/v1/deposits",
                        json{
                            {"worker_id", w.id},
                            {"amount",
                             {{"amount", platform::format_minor_units(kDepositMinor)},
                              {"currency", "ZAR"}}}}
                            .dump(),
                        {"Idempotency-Key: " + platform::new_uuid(), agent_auth}
                    );
                    const std::string deposit_id = body_of(d).value("id", "");
                    const bool completed = r.status == 201 && b.status == 201 && d.status == 201 &&
                                           testing::wait_until(
                                               [&] {
                                                   return body_of(get_until_answered(
                                                                      client,
                                                                      "/v1/deposits/" + deposit_id,
                                                                      {agent_auth}
                                                                  ))
                                                              .value("status", "") == "completed";
                                               },
                                               30s
                                           );
                    if (!completed) {
                        ++failures;
                        std::cerr << "worker setup failed: " << r.status << " " << b.status << " "
                                  << d.status << " " << d.body << "\n";
                    }
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
        ASSERT_EQ(failures.load(), 0) << "see " << dir;
    }

    // The chaos: a seeded schedule, drawn before the run so a seed always means the same plan.
    struct Event {
        std::chrono::milliseconds at;
        std::string action;  // kill:<service>, redis, postgres
        std::chrono::milliseconds pause;
    };
    // Every process of the six kinds the issue names (each copy when there are two).
    std::vector<std::string> killable;
    for (const auto& name : fleet.names()) {
        for (const auto* kind :
             {"gateway", "remittance", "compliance", "ledger", "payout", "relay"}) {
            if (name == kind || name.rfind(std::string{kind} + "-", 0) == 0) {
                killable.push_back(name);
            }
        }
    }
    const auto planned = std::chrono::milliseconds{1000LL * remittances / rate};
    std::vector<Event> schedule;
    {
        std::uniform_int_distribution<int> gap_ms{5000, 15000};
        std::uniform_int_distribution<int> pause_ms{500, 3000};
        std::uniform_int_distribution<std::size_t> which{0, killable.size() - 1};
        for (auto at = std::chrono::milliseconds{gap_ms(rng)}; at < planned;
             at += std::chrono::milliseconds{gap_ms(rng)}) {
            schedule.push_back(
                {at, "kill:" + killable[which(rng)], std::chrono::milliseconds{pause_ms(rng)}}
            );
        }
        for (const double f : {0.25, 0.65}) {
            schedule.push_back(
                {std::chrono::milliseconds{static_cast<long>(planned.count() * f)},
                 "redis",
                 std::chrono::milliseconds{pause_ms(rng)}}
            );
        }
        for (const double f : {0.45, 0.85}) {
            schedule.push_back(
                {std::chrono::milliseconds{static_cast<long>(planned.count() * f)},
                 "postgres",
                 std::chrono::milliseconds{2000 + pause_ms(rng)}}
            );
        }
        if (shards > 1) {
            // Beside the random kills, a ledger shard other than 0 surely dies once mid-run.
            schedule.push_back(
                {std::chrono::milliseconds{static_cast<long>(planned.count() * 0.55)},
                 "kill:ledger-" + std::to_string(shards - 1),
                 std::chrono::milliseconds{pause_ms(rng)}}
            );
        }
        std::sort(schedule.begin(), schedule.end(), [](const Event& a, const Event& b) {
            return a.at < b.at;
        });
    }

    std::atomic<bool> load_done{false};
    std::atomic<bool> drained{false};
    int redis_restarts = 0;
    int postgres_stops = 0;
    std::vector<std::string> chaos_log;
    const auto t0 = Clock::now();
    std::thread chaos{[&] {
        std::size_t next_event = 0;
        while (!drained) {
            fleet.supervise();
            if (!load_done && next_event < schedule.size() &&
                Clock::now() - t0 >= schedule[next_event].at) {
                const auto& e = schedule[next_event++];
                std::ostringstream line;
                line << std::setw(6)
                     << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0)
                            .count()
                     << " ms  " << e.action << " (" << e.pause.count() << " ms down)";
                chaos_log.push_back(line.str());
                if (e.action == "redis") {
                    EXPECT_TRUE(servers.stop_redis());
                    std::this_thread::sleep_for(e.pause);
                    EXPECT_TRUE(servers.start_redis());
                    ++redis_restarts;
                } else if (e.action == "postgres") {
                    EXPECT_TRUE(servers.crash_pg());
                    std::this_thread::sleep_for(e.pause);
                    EXPECT_TRUE(servers.start_pg());
                    ++postgres_stops;
                } else {
                    fleet.kill(e.action.substr(5), e.pause);
                }
            }
            std::this_thread::sleep_for(100ms);
        }
    }};

    // Stops and joins the chaos thread on every way out of the test, a failed ASSERT included.
    struct JoinOnExit {
        std::atomic<bool>& stop;
        std::thread& thread;
        JoinOnExit(std::atomic<bool>& s, std::thread& t) : stop(s), thread(t) {}
        JoinOnExit(const JoinOnExit&) = delete;
        JoinOnExit& operator=(const JoinOnExit&) = delete;
        JoinOnExit(JoinOnExit&&) = delete;
        JoinOnExit& operator=(JoinOnExit&&) = delete;
        ~JoinOnExit() {
            stop = true;
            if (thread.joinable()) {
                thread.join();
            }
        }
    } join_chaos{drained, chaos};

    // The load: remittance i starts at t0 + i/rate; a client retries transient answers with the
    // same Idempotency-Key, as a careful app would.
    std::vector<Sent> sent(static_cast<std::size_t>(remittances));
    {
        std::atomic<int> next{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 24; ++t) {
            threads.emplace_back([&, t] {
                HttpClient client{gateways[static_cast<std::size_t>(t) % gateways.size()]};
                std::mt19937_64 local{seed * 977 + static_cast<std::uint64_t>(t)};
                for (int i = next++; i < remittances; i = next++) {
                    std::this_thread::sleep_until(
                        t0 + std::chrono::milliseconds{1000LL * i / rate}
                    );
                    const auto& w = workers[static_cast<std::size_t>(i % worker_count)];
                    auto& s = sent[static_cast<std::size_t>(i)];
                    s.worker_id = w.id;
                    s.send_minor =
                        100LL * (kMinAmountRand +
                                 static_cast<int>(local() % (kMaxAmountRand - kMinAmountRand))) +
                        static_cast<std::int64_t>(local() % 100);
                    const auto q = post_until_answered(
                        client,
                        "/v1/quotes",
                        json{
                            {"send_amount",
                             {{"amount", platform::format_minor_units(s.send_minor)},
                              {"currency", "ZAR"}}},
                            {"payout_method", w.method}}
                            .dump(),
                        {"Idempotency-Key: " + platform::new_uuid(), w.auth}
                    );
                    if (q.status != 201) {
                        s.last_status = q.status;
                        s.last_body = "quote: " + q.body;
                        continue;
                    }
                    const auto r = post_until_answered(
                        client,
                        "/v1/remittances",
                        json{
                            {"quote_id", body_of(q).value("id", "")},
                            {"beneficiary_id", w.beneficiary_id},
                            {"purpose", "bop_417"},
                            {"source_of_funds", "salary"}}
                            .dump(),
                        {"Idempotency-Key: " + platform::new_uuid(), w.auth}
                    );
                    s.last_status = r.status;
                    if (r.status == 202) {
                        s.id = body_of(r).value("id", "");
                    } else {
                        s.last_body = "remittance: " + r.body;
                    }
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
    }
    load_done = true;
    const auto load_time = Clock::now() - t0;

    // The drain: every acknowledged remittance must reach a final state.
    const std::set<std::string> final_states{"paid", "refunded", "rejected", "cancelled"};
    std::set<std::string> acknowledged;
    std::map<long, int> refused_by_status;
    for (const auto& s : sent) {
        if (!s.id.empty()) {
            acknowledged.insert(s.id);
        } else if (++refused_by_status[s.last_status] <= 3) {
            std::cout << "refused or unanswered (" << s.last_status << "): " << s.last_body << "\n";
        }
    }
    std::map<std::string, std::string> status_of;
    const auto read_statuses = [&] {
        try {
            pqxx::connection c{servers.dsn()};
            pqxx::read_transaction tx{c};
            status_of.clear();
            for (const auto& row : tx.exec("SELECT id::text, status FROM remit.remittances")) {
                status_of[row[0].as<std::string>()] = row[1].as<std::string>();
            }
            return true;
        } catch (const std::exception&) {
            return false;
        }
    };
    const auto unfinished = [&] {
        int n = 0;
        for (const auto& id : acknowledged) {
            const auto it = status_of.find(id);
            n += it == status_of.end() || !final_states.contains(it->second) ? 1 : 0;
        }
        return n;
    };
    const auto drain_start = Clock::now();
    const auto drain_limit = std::chrono::seconds{std::max(240, remittances / 10)};
    while (Clock::now() - drain_start < drain_limit) {
        if (read_statuses() && unfinished() == 0) {
            break;
        }
        std::this_thread::sleep_for(2s);
    }
    const auto drain_time = Clock::now() - drain_start;
    ASSERT_TRUE(read_statuses());
    std::map<std::string, int> by_status;
    std::vector<std::string> lost;
    for (const auto& id : acknowledged) {
        const auto it = status_of.find(id);
        const std::string status = it == status_of.end() ? "missing" : it->second;
        ++by_status[status];
        if (!final_states.contains(status)) {
            lost.push_back(id + " (" + status + ")");
        }
    }

    // Why each remittance that was not paid ended as it did (its last two history entries).
    std::map<std::string, int> endings;
    {
        pqxx::connection c{servers.dsn()};
        pqxx::read_transaction tx{c};
        for (const auto& row : tx.exec(
                 "SELECT r.status || ': ' || left(regexp_replace(h.reasons, '[0-9a-f-]{36}', "
                 "'<id>', "
                 "'g'), 90), count(*) FROM remit.remittances r JOIN LATERAL (SELECT "
                 "string_agg(reason, ' / ' ORDER BY seq) AS reasons FROM (SELECT seq, reason FROM "
                 "remit.remittance_history WHERE remittance_id = r.id ORDER BY seq DESC LIMIT 2) "
                 "last_two) h ON true WHERE r.status <> 'paid' GROUP BY 1 ORDER BY 2 DESC"
             )) {
            endings[row[0].as<std::string>()] = row[1].as<int>();
        }
    }

    // Payouts counted at the partners: at most one completed payment per remittance, exactly
    // one for each paid remittance and none for the others.
    std::map<std::string, int> completed_at;  // remittance hex id -> completed payments
    std::map<std::string, int> completed_by_partner;
    int duplicates = 0;
    for (auto* admin : {&mpesa_admin, &ecocash_admin}) {
        const std::string partner = admin == &mpesa_admin ? "mpesa" : "ecocash";
        const json all = body_of(admin->get("/admin/payments"));
        ASSERT_TRUE(all.contains("payments")) << all.dump();
        std::map<std::string, int> here;
        for (const auto& p : field(all, "payments")) {
            if (p.value("status", "") == "completed") {
                const std::string remittance = p.value("reference", "").substr(0, 32);
                ++here[remittance];
                ++completed_at[remittance];
                ++completed_by_partner[partner];
            }
        }
        for (const auto& [remittance, n] : here) {
            duplicates += n > 1 ? n - 1 : 0;
        }
    }
    int paid_without_payment = 0;
    int unpaid_with_payment = 0;
    for (const auto& id : acknowledged) {
        const int payments = completed_at[uuid_hex(id)];
        if (status_of[id] == "paid") {
            paid_without_payment += payments == 0 ? 1 : 0;
        } else {
            unpaid_with_payment += payments > 0 ? 1 : 0;
        }
    }

    const std::string finance = bearer("finance", platform::new_uuid());
    // The ledger's own invariants.
    const auto verify = post_until_answered(http, "/v1/ledger/verify", "", {finance});
    const json verified = body_of(verify);

    // Each remittance agrees with its ledger transfers (read from the ledger's own tables).
    int disagreeing = 0;
    {
        pqxx::connection c{servers.dsn()};
        pqxx::read_transaction tx{c};
        const auto rows = tx.exec(
            "SELECT r.id::text, r.status, r.ledger_state, "
            "(SELECT count(*) FROM " +
            every_shard("transfers", shards) +
            " t WHERE t.id = r.reserve_transfer_id), "
            "(SELECT count(*) FROM " +
            every_shard("transfers", shards) +
            " t WHERE t.id = r.settle_transfer_id) "
            "FROM remit.remittances r"
        );
        for (const auto& r : rows) {
            const std::string status = r[1].as<std::string>();
            const std::string ledger_state = r[2].as<std::string>();
            const bool reserved = r[3].as<int>() > 0;
            const bool settled = r[4].as<int>() > 0;
            bool agrees = true;
            if (status == "paid") {
                agrees = reserved && settled && ledger_state == "posted";
            } else if (status == "refunded") {
                agrees = reserved && settled && ledger_state == "voided";
            } else if (status == "cancelled") {
                // A void that found no reservation (refused, or not yet landed) leaves nothing
                // held only if no reservation exists: one that landed later must have been voided.
                agrees = ledger_state == "none" || (ledger_state == "voided" && settled) ||
                         (ledger_state == "voided_nothing_pending" && !reserved);
            } else if (status == "rejected") {
                agrees = !reserved && (ledger_state == "none" || ledger_state == "reserve_refused");
            }
            if (!agrees) {
                ++disagreeing;
                ADD_FAILURE() << "remittance " << r[0].as<std::string>() << " is " << status
                              << " with ledger_state " << ledger_state << ", reserved " << reserved
                              << ", settled " << settled;
            }
        }
    }

    // Every shard holds wallets and moved money: the workers spread over the shards, and each
    // shard's verify report is its own.
    std::vector<std::pair<int, int>> per_shard;  // wallets, transfers
    {
        pqxx::connection c{servers.dsn()};
        pqxx::read_transaction tx{c};
        for (int k = 0; k < shards; ++k) {
            const auto row = tx.exec1(
                "SELECT (SELECT count(*) FROM " + ledger_schema(k) +
                ".accounts WHERE code = 100), (SELECT count(*) FROM " + ledger_schema(k) +
                ".transfers)"
            );
            per_shard.emplace_back(row[0].as<int>(), row[1].as<int>());
        }
    }
    const json& shard_reports = field(verified, "shards");

    // Every wallet: its deposit less what it paid out, nothing held.
    std::map<std::string, std::int64_t> spent;
    for (const auto& s : sent) {
        if (!s.id.empty() && status_of[s.id] == "paid") {
            spent[s.worker_id] += s.send_minor;
        }
    }
    int wrong_wallets = 0;
    for (const auto& w : workers) {
        const json wallet =
            body_of(get_until_answered(http, "/v1/workers/" + w.id + "/wallet", {w.auth}));
        const std::string want = platform::format_minor_units(kDepositMinor - spent[w.id]);
        if (field(wallet, "balance").value("amount", "") != want ||
            field(wallet, "held").value("amount", "") != "0.00") {
            ++wrong_wallets;
            ADD_FAILURE() << "wallet of " << w.id << ": " << wallet.dump() << ", want balance "
                          << want;
        }
    }

    // The partners' statements reconcile: today's (and yesterday's, if the run crossed midnight
    // UTC) runs find no break and nothing still in flight.
    std::set<std::string> days;
    const auto utc_day = [](std::chrono::system_clock::time_point t) {
        const std::time_t tt = std::chrono::system_clock::to_time_t(t);
        std::tm tm{};
        gmtime_r(&tt, &tm);
        std::ostringstream out;
        out << std::put_time(&tm, "%Y-%m-%d");
        return out.str();
    };
    days.insert(utc_day(std::chrono::system_clock::now()));
    days.insert(utc_day(
        std::chrono::system_clock::now() -
        std::chrono::duration_cast<std::chrono::system_clock::duration>(Clock::now() - t0)
    ));
    std::vector<json> runs;
    for (const auto& day : days) {
        const auto started = post_until_answered(
            http,
            "/v1/reconciliation/runs",
            json{{"date", day}}.dump(),
            {"Idempotency-Key: " + platform::new_uuid(), finance}
        );
        ASSERT_EQ(started.status, 202) << started.body;
        const json queued = body_of(started);
        for (const auto& run : field(queued, "runs")) {
            json done;
            const std::string run_id = run.value("id", "");
            EXPECT_TRUE(testing::wait_until(
                [&] {
                    done = body_of(
                        get_until_answered(http, "/v1/reconciliation/runs/" + run_id, {finance})
                    );
                    const std::string state = done.value("state", "");
                    return state == "done" || state == "failed";
                },
                60s
            )) << done.dump();
            runs.push_back(done);
        }
    }
    drained = true;
    chaos.join();  // JoinOnExit finds it joined

    // The figures.
    const auto seconds = [](auto d) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0;
    };
    std::cout << "\nchaos schedule (seed " << seed << "):\n";
    for (const auto& line : chaos_log) {
        std::cout << "  " << line << "\n";
    }
    std::cout << "\n| figure | value |\n|---|---|\n";
    std::cout << "| remittances submitted | " << remittances << " over " << std::fixed
              << std::setprecision(1) << seconds(load_time) << " s (" << worker_count
              << " workers) |\n";
    std::cout << "| processes | " << fleet.names().size() << " (" << instances
              << " of each stateless service, " << gateways.size() << " gateways) |\n";
    std::cout << "| acknowledged (202) | " << acknowledged.size() << " |\n";
    std::cout << "| refused or never answered | "
              << remittances - static_cast<int>(acknowledged.size());
    for (const auto& [status, n] : refused_by_status) {
        std::cout << " (" << status << ": " << n << ")";
    }
    std::cout << " |\n";
    std::cout << "| final after the drain (" << seconds(drain_time) << " s) |";
    for (const auto& [status, n] : by_status) {
        std::cout << " " << status << " " << n;
    }
    std::cout << " |\n";
    std::cout << "| lost (acknowledged, not final) | " << lost.size() << " |\n";
    for (const auto& [ending, n] : endings) {
        std::cout << "| ended " << ending << " | " << n << " |\n";
    }
    std::cout << "| services killed |";
    for (const auto& [name, n] : fleet.kills()) {
        if (n > 0) {
            std::cout << " " << name << " " << n;
        }
    }
    std::cout << " |\n";
    std::cout << "| Redis restarts losing every stream | " << redis_restarts << " |\n";
    std::cout << "| PostgreSQL immediate stops | " << postgres_stops << " |\n";
    std::cout << "| services that exited on their own (restarted) |";
    int unplanned = 0;
    for (const auto& [name, n] : fleet.unplanned_exits()) {
        if (n > 0) {
            std::cout << " " << name << " " << n;
            unplanned += n;
        }
    }
    std::cout << (unplanned == 0 ? " 0" : "") << " |\n";
    std::cout << "| payments completed at the partners | mpesa " << completed_by_partner["mpesa"]
              << ", ecocash " << completed_by_partner["ecocash"] << " |\n";
    std::cout << "| duplicate payouts | " << duplicates << " |\n";
    std::cout << "| paid without a payment / unpaid with one | " << paid_without_payment << " / "
              << unpaid_with_payment << " |\n";
    std::cout << "| ledger verify | " << (verified.value("ok", false) ? "ok" : "FAILED") << " ("
              << field(verified, "checked").value("transfers", 0) << " transfers) |\n";
    for (int k = 0; k < shards; ++k) {
        const auto& [wallets, transfers] = per_shard[static_cast<std::size_t>(k)];
        std::cout << "| ledger shard " << k << " | " << wallets << " wallets, " << transfers
                  << " transfers";
        if (shards > 1) {
            const bool ok = shard_reports.is_array() &&
                            shard_reports.size() > static_cast<std::size_t>(k) &&
                            shard_reports[static_cast<std::size_t>(k)].value("ok", false);
            std::cout << ", verify " << (ok ? "ok" : "FAILED");
        }
        std::cout << " |\n";
    }
    std::cout << "| remittances disagreeing with their transfers | " << disagreeing << " of "
              << status_of.size() << " |\n";
    std::cout << "| wallets wrong | " << wrong_wallets << " of " << workers.size() << " |\n";
    for (const auto& run : runs) {
        const json& breaks = field(run, "breaks");
        std::cout << "| reconciliation " << run.value("partner", "") << " " << run.value("date", "")
                  << " | " << run.value("state", "") << ": " << run.value("statement_lines", 0)
                  << " lines, matched " << run.value("matched", 0) << ", in flight "
                  << run.value("in_flight", 0) << ", breaks "
                  << breaks.value("missing_here", 0) + breaks.value("missing_there", 0) +
                         breaks.value("amount_mismatch", 0)
                  << " |\n";
    }
    std::cout << std::flush;

    EXPECT_FALSE(acknowledged.empty());
    EXPECT_EQ(static_cast<int>(acknowledged.size()), remittances)
        << "remittances refused or never answered after retrying for 3 minutes";
    EXPECT_TRUE(lost.empty()) << "acknowledged but not final: " << ::testing::PrintToString(lost);
    EXPECT_EQ(by_status["rejected"], 0) << "no remittance of the run breaks a rule";
    EXPECT_EQ(duplicates, 0);
    EXPECT_EQ(paid_without_payment, 0);
    EXPECT_EQ(unpaid_with_payment, 0);
    EXPECT_EQ(verify.status, 200) << verify.body;
    EXPECT_TRUE(verified.value("ok", false)) << verify.body;
    for (int k = 0; k < shards; ++k) {
        const auto& [wallets, transfers] = per_shard[static_cast<std::size_t>(k)];
        EXPECT_GT(wallets, 0) << "no worker's wallet in ledger shard " << k;
        EXPECT_GT(transfers, wallets) << "ledger shard " << k << " moved no remittance";
    }
    if (shards > 1) {
        ASSERT_TRUE(shard_reports.is_array()) << verify.body;
        EXPECT_EQ(shard_reports.size(), static_cast<std::size_t>(shards)) << verify.body;
        for (const auto& report : shard_reports) {
            EXPECT_TRUE(report.value("ok", false)) << report.dump();
        }
    }
    EXPECT_EQ(disagreeing, 0);
    EXPECT_EQ(wrong_wallets, 0);
    EXPECT_EQ(redis_restarts, 2);
    EXPECT_EQ(postgres_stops, 2);
    int matched = 0;
    for (const auto& run : runs) {
        EXPECT_EQ(run.value("state", ""), "done") << run.dump();
        EXPECT_EQ(run.value("in_flight", -1), 0) << run.dump();
        const json& breaks = field(run, "breaks");
        EXPECT_EQ(breaks.value("missing_here", -1), 0) << run.dump();
        EXPECT_EQ(breaks.value("missing_there", -1), 0) << run.dump();
        EXPECT_EQ(breaks.value("amount_mismatch", -1), 0) << run.dump();
        matched += run.value("matched", 0);
    }
    EXPECT_EQ(matched, completed_by_partner["mpesa"] + completed_by_partner["ecocash"]);

    if (!::testing::Test::HasFailure()) {
        servers.discard_data_on_stop();
    }
}

TEST(ChaosITest, EveryAcknowledgedRemittanceEndsOnceAndTheBooksAgree) {
    run_chaos(
        env_int("CHELETE_CHAOS_REMITTANCES", 500),
        env_int("CHELETE_CHAOS_RATE", 10),
        static_cast<std::uint64_t>(env_int("CHELETE_CHAOS_SEED", 7)),
        env_int("CHELETE_CHAOS_INSTANCES", 1),
        env_int("CHELETE_CHAOS_SHARDS", 1)
    );
}

// docs/scaling.md: two processes of every stateless service (two gateways, two relays, one on
// standby) share the work through their consumer groups, and two ledger shards (a ledger
// process each) split the workers' wallets, under the same chaos and the same proof.
TEST(ChaosITest, TwoOfEveryStatelessServiceAndTwoLedgerShardsUnderTheSameChaos) {
    run_chaos(300, 10, 11, 2, 2);
}

}  // namespace
}  // namespace chelete
