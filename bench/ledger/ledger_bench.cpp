// Ledger benchmark (bench/ledger/README.md): the same random transfers through (a) the engine and
// (b) the reference row-locking design, in one run, on one PostgreSQL with synchronous_commit on.
//
//   ledger_bench --dsn "host=127.0.0.1 port=25462 dbname=chelete user=chelete" [--seconds 30]
//                [--workloads 50,hot10,1000] [--reference-clients 20] [--engine-inflight 4096]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include <chelete/ledger/engine.hpp>
#include <chelete/ledger/pg_store.hpp>
#include <chelete/ledger/verify.hpp>
#include <chelete/platform/logging.hpp>
#include <chelete/platform/random_ids.hpp>

namespace {

using namespace chelete;
using Clock = std::chrono::steady_clock;

struct Args {
    std::string dsn;
    int seconds = 30;
    std::vector<std::string> workloads{"50", "hot10", "1000"};
    int reference_clients = 20;
    std::size_t engine_inflight = 4096;
    std::string reference_sql = "bench/ledger/reference.sql";
};

struct Workload {
    std::string name;
    int accounts = 0;
    std::string description;
};

Workload workload_of(const std::string& name) {
    if (name == "50") {
        return {"50 accounts", 50, "uniform pairs among 50 accounts"};
    }
    if (name == "hot10") {
        return {"10 hot accounts", 10, "every transfer between 2 of 10 accounts"};
    }
    if (name == "1000") {
        return {"1,000 accounts", 1000, "uniform pairs among 1,000 accounts"};
    }
    throw std::invalid_argument("unknown workload " + name);
}

struct Result {
    std::string design;
    double per_second = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    double bytes_per_transfer = 0;
    std::uint64_t transfers = 0;
    std::string invariants;
};

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) {
        return 0;
    }
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

void exec(const std::string& dsn, const std::string& sql) {
    pqxx::connection c{dsn};
    pqxx::work tx{c};
    tx.exec(sql);
    tx.commit();
}

std::int64_t scalar(const std::string& dsn, const std::string& sql) {
    pqxx::connection c{dsn};
    pqxx::read_transaction tx{c};
    return tx.exec1(sql)[0].as<std::int64_t>();
}

platform::PgPoolOptions pool_options(const Args& args, const std::string& schema) {
    platform::PgPoolOptions o;
    o.dsn = args.dsn;
    o.schema = schema;
    o.size = 1;
    o.statement_timeout = std::chrono::minutes{10};
    return o;
}

/// (a) The engine: many requests in flight (one transfer each, as independent clients would send
/// them); the engine batches them itself.
Result run_engine(const Args& args, const Workload& w, const std::string& schema) {
    exec(args.dsn, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    {
        platform::PgPool factory{pool_options(args, schema)};
        auto conn = factory.connect_dedicated();
        (void)platform::apply_migrations(*conn, schema, ledger::ledger_migrations());
    }
    platform::SystemClock clock;
    ledger::Engine engine{
        std::make_unique<ledger::PgLedgerStore>(pool_options(args, schema)), clock};
    engine.start();
    std::vector<ledger::Id128> ids;
    std::vector<ledger::Account> accounts;
    platform::RandomIdGenerator gen;
    for (int i = 0; i < w.accounts; ++i) {
        ledger::Account a;
        a.id = gen.next();
        a.code = 100;
        accounts.push_back(a);
        ids.push_back(a.id);
    }
    if (!engine.create_accounts(accounts).ok) {
        throw std::runtime_error("creating accounts failed");
    }
    std::mt19937_64 rng{2026};
    std::mutex mutex;
    std::condition_variable cv;
    std::size_t inflight = 0;
    std::atomic<std::uint64_t> ok{0};
    std::atomic<std::uint64_t> not_ok{0};
    std::vector<double> latencies;
    latencies.reserve(4'000'000);
    const auto deadline = Clock::now() + std::chrono::seconds{args.seconds};
    const auto started = Clock::now();
    while (Clock::now() < deadline) {
        {
            std::unique_lock lock{mutex};
            cv.wait(lock, [&] { return inflight < args.engine_inflight; });
            ++inflight;
        }
        ledger::Transfer t;
        t.id = gen.next();
        const auto a = rng() % ids.size();
        auto b = rng() % (ids.size() - 1);
        b += b >= a ? 1 : 0;
        t.debit_account_id = ids[a];
        t.credit_account_id = ids[b];
        t.amount = 1 + static_cast<std::int64_t>(rng() % 100'000);
        t.code = 1;
        const auto sent = Clock::now();
        engine.submit_transfers({t}, "", [&, sent](ledger::RequestOutcome o) {
            const double ms =
                std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
            if (o.ok && o.transfer_results.at(0) == ledger::CreateTransferResult::kOk) {
                ++ok;
            } else {
                ++not_ok;
            }
            std::lock_guard lock{mutex};
            latencies.push_back(ms);
            --inflight;
            cv.notify_one();
        });
    }
    {
        std::unique_lock lock{mutex};
        cv.wait(lock, [&] { return inflight == 0; });
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    const auto stats = engine.stats();
    Result r;
    r.design = "engine";
    r.transfers = ok.load();
    r.per_second = static_cast<double>(ok.load()) / elapsed;
    r.p50_ms = percentile(latencies, 0.50);
    r.p99_ms = percentile(latencies, 0.99);
    const auto report = ledger::verify_ledger(pool_options(args, schema), &engine);
    engine.stop();
    const std::string dsn_schema = args.dsn;
    const auto bytes = scalar(
        dsn_schema,
        "SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = '" +
            schema + "' AND c.relkind = 'r'"
    );
    r.bytes_per_transfer =
        static_cast<double>(bytes) / static_cast<double>(std::max<std::uint64_t>(1, r.transfers));
    std::ostringstream inv;
    inv << (report.ok ? "ok" : "FAILED") << " (verify: " << report.checked.batches << " batches, "
        << report.checked.transfers << " transfers, " << report.checked.entries
        << " entries, chain + replay";
    if (!report.ok && !report.problems.empty()) {
        inv << "; " << report.problems.front();
    }
    inv << "; " << stats.batches << " batches, " << not_ok.load() << " not ok)";
    r.invariants = inv.str();
    return r;
}

/// (b) The reference: 20 clients, each its own connection, one transfer per transaction.
Result run_reference(const Args& args, const Workload& w, const std::string& schema) {
    exec(args.dsn, "DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema);
    std::ifstream sql_file{args.reference_sql};
    std::stringstream sql;
    sql << sql_file.rdbuf();
    exec(args.dsn, "SET search_path TO " + schema + "; " + sql.str());
    std::vector<std::string> ids;
    {
        pqxx::connection c{args.dsn};
        pqxx::work tx{c};
        tx.exec("SET search_path TO " + schema);
        platform::RandomIdGenerator gen;
        for (int i = 0; i < w.accounts; ++i) {
            ids.push_back(gen.next().to_string());
            tx.exec_params0("INSERT INTO ref_accounts (id) VALUES ($1)", ids.back());
        }
        tx.commit();
    }
    std::atomic<std::uint64_t> ok{0};
    std::atomic<std::uint64_t> not_ok{0};
    std::mutex mutex;
    std::vector<double> latencies;
    const auto deadline = Clock::now() + std::chrono::seconds{args.seconds};
    const auto started = Clock::now();
    std::vector<std::thread> clients;
    for (int k = 0; k < args.reference_clients; ++k) {
        clients.emplace_back([&, k] {
            pqxx::connection c{args.dsn};
            {
                pqxx::nontransaction setup{c};
                setup.exec("SET search_path TO " + schema);
            }
            c.prepare("transfer", "SELECT ref_transfer($1, $2, $3, $4)");
            std::mt19937_64 rng{static_cast<std::uint64_t>(1000 + k)};
            platform::RandomIdGenerator gen;
            std::vector<double> mine;
            while (Clock::now() < deadline) {
                const auto a = rng() % ids.size();
                auto b = rng() % (ids.size() - 1);
                b += b >= a ? 1 : 0;
                const auto sent = Clock::now();
                std::string result;
                for (int attempt = 0; attempt < 5; ++attempt) {
                    try {
                        pqxx::work tx{c};
                        result = tx.exec_prepared1(
                                       "transfer",
                                       gen.next().to_string(),
                                       ids[a],
                                       ids[b],
                                       1 + static_cast<std::int64_t>(rng() % 100'000)
                        )[0]
                                     .as<std::string>();
                        tx.commit();
                        break;
                    } catch (const pqxx::transaction_rollback&) {
                        result = "retry";
                    }
                }
                mine.push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - sent).count()
                );
                (result == "ok" ? ok : not_ok)++;
            }
            std::lock_guard lock{mutex};
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
    }
    for (auto& t : clients) {
        t.join();
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    Result r;
    r.design = "reference (row locks, 20 clients)";
    r.transfers = ok.load();
    r.per_second = static_cast<double>(ok.load()) / elapsed;
    r.p50_ms = percentile(latencies, 0.50);
    r.p99_ms = percentile(latencies, 0.99);
    const auto bytes = scalar(
        args.dsn,
        "SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = '" +
            schema + "' AND c.relkind = 'r'"
    );
    r.bytes_per_transfer =
        static_cast<double>(bytes) / static_cast<double>(std::max<std::uint64_t>(1, r.transfers));
    // Its invariants: debits = credits, each balance = the sum of its entries, one entry pair each.
    // Aggregated in one pass each (a correlated subquery per transfer would scan the entries
    // once per transfer: the entries have no index on transfer_id).
    const auto unbalanced = scalar(
        args.dsn,
        "SELECT count(*) FROM " + schema +
            ".ref_accounts a LEFT JOIN (SELECT account_id, "
            "sum(amount) FILTER (WHERE debit) AS d, sum(amount) FILTER (WHERE NOT debit) AS c "
            "FROM " +
            schema +
            ".ref_entries GROUP BY account_id) e ON e.account_id = a.id "
            "WHERE a.debits_posted <> coalesce(e.d, 0) OR a.credits_posted <> coalesce(e.c, 0)"
    );
    const auto sums = scalar(
        args.dsn,
        "SELECT (sum(debits_posted) - sum(credits_posted))::bigint FROM " + schema + ".ref_accounts"
    );
    const auto pairs = scalar(
        args.dsn,
        "SELECT count(*) FROM " + schema +
            ".ref_transfers t FULL JOIN (SELECT transfer_id, "
            "count(*) AS n FROM " +
            schema +
            ".ref_entries GROUP BY transfer_id) e ON "
            "e.transfer_id = t.id WHERE t.id IS NULL OR e.n IS DISTINCT FROM 2"
    );
    std::ostringstream inv;
    inv << ((unbalanced == 0 && sums == 0 && pairs == 0) ? "ok" : "FAILED")
        << " (balances = entries, debits = credits, "
        << "2 entries per transfer; " << not_ok.load() << " not ok)";
    r.invariants = inv.str();
    return r;
}

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
        const std::string v =
            argv[i + 1];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
        if (k == "--dsn") {
            a.dsn = v;
        } else if (k == "--seconds") {
            a.seconds = std::stoi(v);
        } else if (k == "--workloads") {
            a.workloads.clear();
            std::stringstream ss{v};
            for (std::string w; std::getline(ss, w, ',');) {
                a.workloads.push_back(w);
            }
        } else if (k == "--reference-clients") {
            a.reference_clients = std::stoi(v);
        } else if (k == "--engine-inflight") {
            a.engine_inflight = std::stoul(v);
        } else if (k == "--reference-sql") {
            a.reference_sql = v;
        } else {
            throw std::invalid_argument("unknown option " + k);
        }
    }
    if (a.dsn.empty()) {
        throw std::invalid_argument("--dsn is required");
    }
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Args args = parse(argc, argv);
        platform::init_logging(platform::LogOptions{"ledger-bench", "warn", "text"});
        {
            pqxx::connection c{args.dsn};
            pqxx::nontransaction tx{c};
            std::cout << "PostgreSQL " << tx.exec1("SHOW server_version")[0].c_str()
                      << ", synchronous_commit=" << tx.exec1("SHOW synchronous_commit")[0].c_str()
                      << ", fsync=" << tx.exec1("SHOW fsync")[0].c_str() << ", "
                      << std::thread::hardware_concurrency() << " cores, " << args.seconds
                      << " s per run\n\n";
        }
        std::printf(
            "| workload | design | transfers/s | p50 ms | p99 ms | bytes/transfer | transfers | vs "
            "reference | invariants |\n"
        );
        std::printf("|---|---|---:|---:|---:|---:|---:|---:|---|\n");
        for (const auto& name : args.workloads) {
            const Workload w = workload_of(name);
            const auto ref = run_reference(args, w, "bench_ref_" + std::to_string(w.accounts));
            const auto eng = run_engine(args, w, "bench_engine_" + std::to_string(w.accounts));
            for (const auto* r : {&ref, &eng}) {
                std::printf(
                    "| %s | %s | %.0f | %.2f | %.2f | %.0f | %llu | %s | %s |\n",
                    w.name.c_str(),
                    r->design.c_str(),
                    r->per_second,
                    r->p50_ms,
                    r->p99_ms,
                    r->bytes_per_transfer,
                    static_cast<unsigned long long>(r->transfers),
                    r == &eng ? (std::to_string(static_cast<int>(
                                     eng.per_second / std::max(1.0, ref.per_second)
                                 )) +
                                 "x")
                                    .c_str()
                              : "1x",
                    r->invariants.c_str()
                );
                std::fflush(stdout);
            }
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "ledger_bench: " << e.what() << "\n";
        return 1;
    }
}
