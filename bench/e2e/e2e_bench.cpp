// End-to-end benchmark (bench/e2e/README.md): remittances through the gateway while the partner
// simulators pay them out, and, in the same run, what a minimal Pistache handler serves.
//
//   e2e_bench --gateway-port 26480 --hello-port 26490 --dsn "host=127.0.0.1 port=25472 ..."
//             [--seconds 60] [--concurrency 64] [--rate 0] [--max-remittances N]
//             [--hello-seconds 10] [--drain-seconds 60] [--procs FILE]
//
// Bearer tokens are signed with CHELETE_TOKEN_SECRET (kid CHELETE_TOKEN_KID) from the
// environment, as the gateway verifies them: logging in is not what is measured.
//
// Phases: (1) the HTTP ceiling: GET /hello on the minimal server with the same connections;
// (2) setup: workers (POST /v1/workers), one beneficiary each, an agent deposit each, until the
// ledger has completed every deposit; (3) the timed window: quote + POST /v1/remittances from
// `--concurrency` flows in flight (or `--rate` flows started per second), never more than
// `--max-remittances`; CPU and memory of every process sampled from /proc; (4) drain: wait until
// every remittance is final (or `--drain-seconds`), then read created → paid from the
// remittance service's status history in PostgreSQL. Nothing polls the gateway while it runs.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sys/types.h>
#include <unistd.h>

#include <chelete/gateway/jwt.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/platform/random_ids.hpp>

#include "load_client.hpp"

namespace {

using namespace chelete;
using bench::HttpReply;
using bench::LoadClient;
using nlohmann::json;
using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// Velocity rule of compliance (`CHELETE_COMPLIANCE_VELOCITY`, default 5/24h): more than five
/// sends a day from one worker are held for review, so no worker sends more than five.
constexpr int kSendsPerWorker = 5;
/// Sends of R100.00 to R540.00: five stay under the basic tier's R3,000.00 a day, far from the
/// structuring band (R2,700-R3,000 for one send) and from the IFTR threshold.
constexpr std::int64_t kMinSendCents = 10'000;
constexpr std::int64_t kSendSpreadCents = 44'000;
/// Each worker's deposit covers five of the largest sends.
constexpr const char* kDeposit = "3000.00";
/// Deposits per agent, under the per-client burst of the rate limiter (60).
constexpr int kWorkersPerAgent = 40;
/// The longest setup allowed (12,000 workers took 158 s on the loaded 2-core machine).
constexpr std::chrono::seconds kSetupLimit{1800};

struct Args {
    std::uint16_t gateway_port = 0;
    std::uint16_t hello_port = 0;
    std::string dsn;
    int seconds = 60;
    int concurrency = 64;
    double rate = 0;  // flows started per second; 0: closed loop
    std::int64_t max_remittances = 0;
    int hello_seconds = 10;
    int drain_seconds = 60;
    int setup_concurrency = 32;
    std::string procs_file;
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "e2e_bench: " << why
              << "\nusage: e2e_bench --gateway-port N --hello-port N --dsn DSN [--seconds 60] "
                 "[--concurrency 64] [--rate 0] [--max-remittances N] [--hello-seconds 10] "
                 "[--drain-seconds 60] [--setup-concurrency 32] [--procs FILE]\n";
    std::exit(2);  // NOLINT(concurrency-mt-unsafe): single-threaded at this point
}

Args parse_args(int argc, char** argv) {
    Args a;
    const std::vector<std::string> v(argv + 1, argv + argc);  // NOLINT
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string& flag = v[i];
        if (i + 1 >= v.size()) {
            usage("missing value after " + flag);
        }
        const std::string& value = v[++i];
        try {
            if (flag == "--gateway-port") {
                a.gateway_port = static_cast<std::uint16_t>(std::stoi(value));
            } else if (flag == "--hello-port") {
                a.hello_port = static_cast<std::uint16_t>(std::stoi(value));
            } else if (flag == "--dsn") {
                a.dsn = value;
            } else if (flag == "--seconds") {
                a.seconds = std::stoi(value);
            } else if (flag == "--concurrency") {
                a.concurrency = std::stoi(value);
            } else if (flag == "--rate") {
                a.rate = std::stod(value);
            } else if (flag == "--max-remittances") {
                a.max_remittances = std::stoll(value);
            } else if (flag == "--hello-seconds") {
                a.hello_seconds = std::stoi(value);
            } else if (flag == "--drain-seconds") {
                a.drain_seconds = std::stoi(value);
            } else if (flag == "--setup-concurrency") {
                a.setup_concurrency = std::stoi(value);
            } else if (flag == "--procs") {
                a.procs_file = value;
            } else {
                usage("unknown flag " + flag);
            }
        } catch (const std::logic_error&) {
            usage("bad value for " + flag + ": " + value);
        }
    }
    if (a.gateway_port == 0 || a.dsn.empty()) {
        usage("--gateway-port and --dsn are required");
    }
    if (a.seconds <= 0 || a.concurrency <= 0 || a.rate < 0 || a.setup_concurrency <= 0) {
        usage("--seconds, --concurrency and --setup-concurrency must be positive, --rate >= 0");
    }
    if (a.max_remittances <= 0) {
        // The goal is 1,000 a second: enough workers for that, whatever is reached.
        const double per_second = a.rate > 0 ? a.rate : 1000.0;
        a.max_remittances = static_cast<std::int64_t>(per_second * a.seconds);
    }
    return a;
}

void log(const std::string& line) {
    std::cerr << "[e2e_bench] " << line << std::endl;  // NOLINT(performance-avoid-endl)
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) {
        return NAN;
    }
    const auto k = static_cast<std::size_t>(std::llround(p * static_cast<double>(v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

std::string fixed(double v, int digits = 1) {
    if (std::isnan(v)) {
        return "-";
    }
    std::array<char, 64> buf{};
    std::snprintf(buf.data(), buf.size(), "%.*f", digits, v);
    return buf.data();
}

/// 12345.6 -> "12,346" (digits = 0) or "12,345.6".
std::string grouped(double v, int digits = 0) {
    if (std::isnan(v)) {
        return "-";
    }
    std::string s = fixed(v, digits);
    const auto dot = s.find('.');
    auto end = static_cast<std::ptrdiff_t>(dot == std::string::npos ? s.size() : dot);
    const std::ptrdiff_t first = s[0] == '-' ? 1 : 0;
    for (auto i = end - 3; i > first; i -= 3) {
        s.insert(static_cast<std::size_t>(i), ",");
    }
    return s;
}

std::string money_of(std::int64_t cents) {
    return std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") +
           std::to_string(cents % 100);
}

// ---- CPU and memory per process, from /proc ----

struct Sample {
    double cpu_seconds = 0;
    double rss_mib = 0;
    bool alive = false;
};

/// One process, or a process and all its descendants (PostgreSQL: the postmaster and backends).
struct Watched {
    std::string name;
    pid_t pid = 0;
    bool tree = false;
    Sample start;
    Sample last;
    double peak_rss_mib = 0;
};

const double kTicks = static_cast<double>(sysconf(_SC_CLK_TCK));
const double kPageMib = static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);

std::optional<std::pair<double, pid_t>> cpu_and_parent(pid_t pid) {
    std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
    std::string text;
    if (!std::getline(in, text)) {
        return std::nullopt;
    }
    const auto close = text.rfind(')');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream fields{text.substr(close + 2)};
    std::string f;
    std::vector<std::string> v;
    while (fields >> f && v.size() < 15) {
        v.push_back(f);
    }
    if (v.size() < 13) {
        return std::nullopt;
    }
    // After the name: state(0) ppid(1) ... utime(11) stime(12)
    const double ticks = std::stod(v[11]) + std::stod(v[12]);
    return std::make_pair(ticks / kTicks, static_cast<pid_t>(std::stol(v[1])));
}

/// Resident memory; for process trees the proportional share (Pss), so shared buffers count once.
double memory_mib(pid_t pid, bool proportional) {
    if (proportional) {
        std::ifstream in{"/proc/" + std::to_string(pid) + "/smaps_rollup"};
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("Pss:", 0) == 0) {
                return std::stod(line.substr(4)) / 1024.0;
            }
        }
        return 0;
    }
    std::ifstream in{"/proc/" + std::to_string(pid) + "/statm"};
    double size = 0;
    double resident = 0;
    in >> size >> resident;
    return resident * kPageMib;
}

std::vector<pid_t> descendants(pid_t root) {
    std::map<pid_t, std::vector<pid_t>> children;
    for (const auto& entry : std::filesystem::directory_iterator{"/proc"}) {
        const auto name = entry.path().filename().string();
        if (name.empty() ||
            !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            continue;
        }
        const auto pid = static_cast<pid_t>(std::stol(name));
        if (const auto s = cpu_and_parent(pid)) {
            children[s->second].push_back(pid);
        }
    }
    std::vector<pid_t> out{root};
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto it = children.find(out[i]);
        if (it != children.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
        }
    }
    return out;
}

Sample sample(const Watched& w) {
    Sample s;
    const std::vector<pid_t> pids = w.tree ? descendants(w.pid) : std::vector<pid_t>{w.pid};
    for (const auto pid : pids) {
        if (const auto c = cpu_and_parent(pid)) {
            s.cpu_seconds += c->first;
            s.rss_mib += memory_mib(pid, w.tree);
            s.alive = true;
        }
    }
    return s;
}

std::vector<Watched> read_procs(const std::string& file) {
    std::vector<Watched> out;
    if (!file.empty()) {
        std::ifstream in{file};
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream f{line};
            Watched w;
            std::string kind;
            if (f >> w.name >> w.pid) {
                f >> kind;
                w.tree = kind == "tree";
                out.push_back(w);
            }
        }
    }
    Watched self;
    self.name = "e2e_bench (load generator)";
    self.pid = getpid();
    out.push_back(self);
    return out;
}

// ---- the workload ----

struct Worker {
    std::string id;
    std::string auth;  // "Authorization: Bearer ..."
    std::string beneficiary_id;
    std::string method;
};

struct Counts {
    std::map<std::string, std::map<int, std::int64_t>> by_status;  // "POST /v1/quotes" -> 201 -> n
    void add(const std::string& what, int status) { ++by_status[what][status]; }
    [[nodiscard]] std::string errors() const {
        std::string out;
        for (const auto& [what, statuses] : by_status) {
            for (const auto& [status, n] : statuses) {
                if (status >= 200 && status < 300) {
                    continue;
                }
                out += (out.empty() ? "" : "; ") + what + " " +
                       (status == 0 ? std::string{"transport error"} : std::to_string(status)) +
                       ": " + std::to_string(n);
            }
        }
        return out.empty() ? "none" : out;
    }
};

std::string id_of(const HttpReply& r) {
    const auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("id", "") : "";
}

std::string key_header() {
    return "Idempotency-Key: " + platform::new_uuid();
}

class Bench {
public:
    explicit Bench(Args args)
        : args_(std::move(args)),
          tokens_(
              {gateway::TokenKey{key_id(), secret()}},
              gateway::TokenSettings{.lifetime = std::chrono::hours{6}},
              clock_
          ) {}

    int run();

private:
    static std::string secret() {
        const char* s = std::getenv("CHELETE_TOKEN_SECRET");  // NOLINT(concurrency-mt-unsafe)
        if (s == nullptr || std::string{s}.size() < 32) {
            usage("CHELETE_TOKEN_SECRET (32 bytes or more) must be set as the gateway's");
        }
        return s;
    }
    static std::string key_id() {
        const char* k = std::getenv("CHELETE_TOKEN_KID");  // NOLINT(concurrency-mt-unsafe)
        return k == nullptr ? "k1" : k;
    }
    std::string bearer(const std::string& role, const std::string& subject) const {
        return "Authorization: Bearer " +
               tokens_.issue(gateway::Principal{subject, role, 0, platform::new_uuid()});
    }

    void hello_phase();
    void setup_phase();
    void timed_phase();
    void drain_and_collect();
    void print() const;

    void start_flow(LoadClient& client);
    void flow_done(LoadClient& client);
    void sample_processes(bool first);

    Args args_;
    platform::SystemClock clock_;
    gateway::TokenService tokens_;
    std::vector<Worker> workers_;
    Counts counts_;
    std::vector<Watched> watched_;
    std::string load_before_;

    // hello
    double hello_rps_ = 0;
    double hello_p50_ = NAN;
    double hello_p99_ = NAN;
    std::int64_t hello_errors_ = 0;

    // setup
    double setup_seconds_ = 0;

    // timed window
    std::int64_t started_ = 0;
    std::int64_t in_flight_ = 0;
    bool window_open_ = false;
    std::int64_t created_ = 0;
    std::vector<double> quote_ms_;
    std::vector<double> remit_ms_;
    std::chrono::system_clock::time_point window_start_;
    std::chrono::system_clock::time_point window_end_;
    double window_seconds_ = 0;

    // from PostgreSQL
    std::int64_t db_remittances_ = 0;
    std::int64_t paid_in_window_ = 0;
    std::int64_t paid_total_ = 0;
    double flow_p50_ms_ = NAN;
    double flow_p99_ms_ = NAN;
    double flow_max_ms_ = NAN;
    std::string final_states_;
    double drain_seconds_ = 0;
};

void Bench::hello_phase() {
    if (args_.hello_port == 0 || args_.hello_seconds <= 0) {
        return;
    }
    log("HTTP ceiling: GET /hello on the minimal Pistache server, " +
        std::to_string(args_.concurrency) + " connections, " + std::to_string(args_.hello_seconds) +
        " s");
    LoadClient client{"127.0.0.1", args_.hello_port, args_.concurrency};
    std::vector<double> ms;
    ms.reserve(1'000'000);
    std::int64_t ok = 0;
    bool open = true;
    const auto warmup_end = Steady::now() + 1s;
    Steady::time_point start;
    bool measuring = false;
    std::function<void()> one = [&] {
        client.request("GET", "/hello", {}, "", [&](HttpReply r) {
            if (measuring) {
                if (r.status == 200) {
                    ++ok;
                    ms.push_back(r.ms);
                } else {
                    ++hello_errors_;
                }
            }
            if (open) {
                one();
            }
        });
    };
    for (int i = 0; i < args_.concurrency; ++i) {
        one();
    }
    const auto deadline = warmup_end + std::chrono::seconds{args_.hello_seconds};
    while (Steady::now() < deadline) {
        if (!measuring && Steady::now() >= warmup_end) {
            measuring = true;
            start = Steady::now();
        }
        client.poll(50ms);
    }
    open = false;
    const double seconds = std::chrono::duration<double>(Steady::now() - start).count();
    measuring = false;
    while (client.outstanding() > 0) {
        client.poll(50ms);
    }
    hello_rps_ = static_cast<double>(ok) / seconds;
    hello_p50_ = percentile(ms, 0.50);
    hello_p99_ = percentile(ms, 0.99);
    log("hello: " + grouped(hello_rps_) + " requests/s");
}

void Bench::setup_phase() {
    const auto started = Steady::now();
    const auto worker_count =
        static_cast<std::size_t>((args_.max_remittances + kSendsPerWorker - 1) / kSendsPerWorker);
    log("setup: " + std::to_string(worker_count) +
        " workers, each with a beneficiary and a R3,000.00 deposit");
    workers_.resize(worker_count);
    LoadClient client{"127.0.0.1", args_.gateway_port, args_.setup_concurrency};
    std::vector<std::string> agents;
    for (std::size_t i = 0; i < worker_count; i += kWorkersPerAgent) {
        agents.push_back(bearer("agent", platform::new_uuid()));
    }
    std::size_t next = 0;
    std::size_t done = 0;
    std::int64_t failures = 0;
    std::function<void()> start_one;
    const auto finished = [&](bool ok) {
        ++done;
        failures += ok ? 0 : 1;
        if (next < worker_count) {
            start_one();
        }
    };
    start_one = [&] {
        const std::size_t i = next++;
        Worker& w = workers_[i];
        w.method = i % 2 == 0 ? "mpesa" : "ecocash";
        char phone[32];  // NOLINT(cppcoreguidelines-avoid-c-arrays,modernize-avoid-c-arrays)
        std::snprintf(phone, sizeof phone, "+2781%07zu", i);
        char passport[32];  // NOLINT(cppcoreguidelines-avoid-c-arrays,modernize-avoid-c-arrays)
        std::snprintf(passport, sizeof passport, "RB%08zu", i);
        const json worker{
            {"given_name", "Teboho"},
            {"family_name", "Lebona"},
            {"date_of_birth", "1988-03-09"},
            {"phone", phone},
            {"pin", "48213"},
            {"passport_number", passport},
            {"consents", {{{"purpose", "registration"}, {"granted", true}}}}};
        client.request("POST", "/v1/workers", {key_header()}, worker.dump(), [&, i](HttpReply r) {
            counts_.add("setup POST /v1/workers", r.status);
            Worker& w2 = workers_[i];
            w2.id = r.status == 201 ? id_of(r) : "";
            if (w2.id.empty()) {
                finished(false);
                return;
            }
            w2.auth = bearer("worker", w2.id);
            char bphone[32];  // NOLINT(cppcoreguidelines-avoid-c-arrays,modernize-avoid-c-arrays)
            std::snprintf(bphone, sizeof bphone, "+2665%07zu", i);
            const json beneficiary{
                {"full_name", "Palesa Nthako"},
                {"phone", bphone},
                {"relationship", "parent"},
                {"payout_method", w2.method},
                {"national_id", "0123456789012"}};
            client.request(
                "POST",
                "/v1/workers/" + w2.id + "/beneficiaries",
                {key_header(), w2.auth},
                beneficiary.dump(),
                [&, i](HttpReply b) {
                    counts_.add("setup POST /v1/workers/{id}/beneficiaries", b.status);
                    Worker& w3 = workers_[i];
                    w3.beneficiary_id = b.status == 201 ? id_of(b) : "";
                    if (w3.beneficiary_id.empty()) {
                        finished(false);
                        return;
                    }
                    const json deposit{
                        {"worker_id", w3.id},
                        {"amount", {{"amount", kDeposit}, {"currency", "ZAR"}}}};
                    client.request(
                        "POST",
                        "/v1/deposits",
                        {key_header(), agents[i / kWorkersPerAgent]},
                        deposit.dump(),
                        [&](HttpReply d) {
                            counts_.add("setup POST /v1/deposits", d.status);
                            finished(d.status == 201);
                        }
                    );
                }
            );
        });
    };
    for (int i = 0; i < args_.setup_concurrency && next < worker_count; ++i) {
        start_one();
    }
    auto report_at = Steady::now() + 5s;
    // Bounded like every phase: a gateway that stops answering ends the run instead of hanging it.
    const auto setup_deadline = Steady::now() + kSetupLimit;
    while (done < worker_count) {
        if (Steady::now() > setup_deadline) {
            throw std::runtime_error(
                "setup unfinished after " + std::to_string(kSetupLimit.count()) +
                " s: " + std::to_string(done) + "/" + std::to_string(worker_count) + " workers"
            );
        }
        client.poll(100ms);
        if (Steady::now() >= report_at) {
            log("setup: " + std::to_string(done) + "/" + std::to_string(worker_count) +
                " workers ready");
            report_at += 5s;
        }
    }
    if (failures > 0) {
        log("setup: " + std::to_string(failures) + " workers could not be set up (" +
            counts_.errors() + "); they send nothing");
        std::erase_if(workers_, [](const Worker& w) { return w.beneficiary_id.empty(); });
    }
    if (workers_.empty()) {
        throw std::runtime_error("no worker could be set up: " + counts_.errors());
    }
    // Deposits complete when the ledger has the transfer: wait for all, reading PostgreSQL.
    pqxx::connection db{args_.dsn};
    const auto deadline = Steady::now() + 180s;
    for (;;) {
        pqxx::work tx{db};
        const auto completed =
            tx.exec1("SELECT count(*) FROM remit.deposits WHERE status = 'completed'")[0]
                .as<std::int64_t>();
        tx.commit();
        if (completed >= static_cast<std::int64_t>(workers_.size())) {
            break;
        }
        if (Steady::now() > deadline) {
            throw std::runtime_error(
                "deposits not completed after 180 s: " + std::to_string(completed) + "/" +
                std::to_string(workers_.size())
            );
        }
        std::this_thread::sleep_for(250ms);
    }
    setup_seconds_ = std::chrono::duration<double>(Steady::now() - started).count();
    log("setup done in " + fixed(setup_seconds_) + " s");
}

void Bench::start_flow(LoadClient& client) {
    const std::int64_t k = started_++;
    ++in_flight_;
    const Worker& w = workers_[static_cast<std::size_t>(k) % workers_.size()];
    const std::int64_t cents = kMinSendCents + (k * 7919) % kSendSpreadCents;
    std::string quote = R"({"send_amount":{"amount":")" + money_of(cents) +
                        R"(","currency":"ZAR"},"payout_method":")" + w.method + R"("})";
    client.request(
        "POST",
        "/v1/quotes",
        {key_header(), w.auth},
        quote,
        [this, &client, &w](HttpReply q) {
            counts_.add("POST /v1/quotes", q.status);
            quote_ms_.push_back(q.ms);
            const std::string quote_id = q.status == 201 ? id_of(q) : "";
            if (quote_id.empty()) {
                flow_done(client);
                return;
            }
            const std::string body = R"({"quote_id":")" + quote_id + R"(","beneficiary_id":")" +
                                     w.beneficiary_id +
                                     R"(","purpose":"bop_417","source_of_funds":"salary"})";
            client.request(
                "POST",
                "/v1/remittances",
                {key_header(), w.auth},
                body,
                [this, &client](HttpReply r) {
                    counts_.add("POST /v1/remittances", r.status);
                    remit_ms_.push_back(r.ms);
                    created_ += r.status == 202 ? 1 : 0;
                    flow_done(client);
                }
            );
        }
    );
}

void Bench::flow_done(LoadClient& client) {
    --in_flight_;
    if (window_open_ && args_.rate <= 0 && started_ < args_.max_remittances) {
        start_flow(client);
    }
}

void Bench::sample_processes(bool first) {
    for (auto& w : watched_) {
        const Sample s = sample(w);
        if (first) {
            w.start = s;
        }
        if (s.alive) {
            w.last = s;
            w.peak_rss_mib = std::max(w.peak_rss_mib, s.rss_mib);
        }
    }
}

void Bench::timed_phase() {
    log("timed window: " + std::to_string(args_.seconds) + " s, " +
        (args_.rate > 0 ? fixed(args_.rate, 0) + " flows started a second, at most " +
                              std::to_string(args_.concurrency) + " in flight"
                        : std::to_string(args_.concurrency) + " flows in flight (closed loop)") +
        ", at most " + std::to_string(args_.max_remittances) + " remittances");
    LoadClient client{"127.0.0.1", args_.gateway_port, args_.concurrency};
    quote_ms_.reserve(static_cast<std::size_t>(args_.max_remittances));
    remit_ms_.reserve(static_cast<std::size_t>(args_.max_remittances));
    try {
        // Only the window's statements in pg_stat_statements, when run.sh installed it.
        pqxx::connection db{args_.dsn};
        pqxx::nontransaction tx{db};
        tx.exec("SELECT pg_stat_statements_reset()");
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): the extension is optional
    }
    sample_processes(true);
    window_start_ = std::chrono::system_clock::now();
    const auto start = Steady::now();
    const auto end = start + std::chrono::seconds{args_.seconds};
    window_open_ = true;
    if (args_.rate <= 0) {
        for (int i = 0; i < args_.concurrency && started_ < args_.max_remittances; ++i) {
            start_flow(client);
        }
    }
    auto next_sample = start + 1s;
    auto next_report = start + 5s;
    std::int64_t behind = 0;
    while (Steady::now() < end && started_ < args_.max_remittances) {
        if (args_.rate > 0) {
            const double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
            const auto due = static_cast<std::int64_t>(elapsed * args_.rate);
            while (started_ + behind < due && started_ < args_.max_remittances) {
                if (in_flight_ < args_.concurrency) {
                    start_flow(client);
                } else {
                    ++behind;  // the system is slower than the rate: the start is dropped
                }
            }
        }
        client.poll(args_.rate > 0 ? 1ms : 50ms);
        const auto now = Steady::now();
        if (now >= next_sample) {
            sample_processes(false);
            next_sample += 1s;
        }
        if (now >= next_report) {
            log(std::to_string(created_) + " remittances created, " + std::to_string(in_flight_) +
                " flows in flight");
            next_report += 5s;
        }
    }
    window_open_ = false;
    window_end_ = std::chrono::system_clock::now();
    window_seconds_ = std::chrono::duration<double>(Steady::now() - start).count();
    sample_processes(false);
    if (behind > 0) {
        log(std::to_string(behind) + " flow starts dropped: the system was slower than --rate");
    }
    const auto finish_by = Steady::now() + 30s;
    while (client.outstanding() > 0 && Steady::now() < finish_by) {
        client.poll(50ms);
    }
    log("window closed after " + fixed(window_seconds_) + " s: " + std::to_string(created_) +
        " remittances created");
}

void Bench::drain_and_collect() {
    pqxx::connection db{args_.dsn};
    const auto started = Steady::now();
    const auto deadline = started + std::chrono::seconds{args_.drain_seconds};
    std::int64_t open = 0;
    for (;;) {
        pqxx::work tx{db};
        open = tx.exec1(
                     "SELECT count(*) FROM remit.remittances WHERE status NOT IN "
                     "('paid', 'refunded', 'rejected', 'cancelled')"
        )[0]
                   .as<std::int64_t>();
        tx.commit();
        if (open == 0 || Steady::now() > deadline) {
            break;
        }
        std::this_thread::sleep_for(250ms);
    }
    drain_seconds_ = std::chrono::duration<double>(Steady::now() - started).count();
    log("drain: " + fixed(drain_seconds_) + " s, " + std::to_string(open) + " not final");
    const auto micros = [](std::chrono::system_clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    };
    pqxx::work tx{db};
    const auto r = tx.exec_params1(
        R"(WITH flows AS (
               SELECT r.id, r.created_at, h.at AS paid_at
               FROM remit.remittances r
               LEFT JOIN remit.remittance_history h ON h.remittance_id = r.id AND h.status = 'paid')
           SELECT count(*),
                  count(paid_at) FILTER (WHERE paid_at <= to_timestamp($2::float8 / 1e6)),
                  count(paid_at),
                  percentile_cont(0.5) WITHIN GROUP (
                      ORDER BY extract(epoch FROM paid_at - created_at)) * 1000,
                  percentile_cont(0.99) WITHIN GROUP (
                      ORDER BY extract(epoch FROM paid_at - created_at)) * 1000,
                  max(extract(epoch FROM paid_at - created_at)) * 1000
           FROM flows
           WHERE created_at >= to_timestamp($1::float8 / 1e6))",
        micros(window_start_),
        micros(window_end_)
    );
    db_remittances_ = r[0].as<std::int64_t>();
    paid_in_window_ = r[1].as<std::int64_t>();
    paid_total_ = r[2].as<std::int64_t>();
    flow_p50_ms_ = r[3].is_null() ? NAN : r[3].as<double>();
    flow_p99_ms_ = r[4].is_null() ? NAN : r[4].as<double>();
    flow_max_ms_ = r[5].is_null() ? NAN : r[5].as<double>();
    for (const auto& row :
         tx.exec("SELECT status, count(*) FROM remit.remittances GROUP BY 1 ORDER BY 2 DESC")) {
        final_states_ += (final_states_.empty() ? "" : ", ") + row[0].as<std::string>() + " " +
                         grouped(row[1].as<double>());
    }
    tx.commit();
}

void Bench::print() const {
    const double created_per_s = static_cast<double>(created_) / window_seconds_;
    const double completed_per_s = static_cast<double>(paid_in_window_) / window_seconds_;
    const double requests_per_s =
        static_cast<double>(quote_ms_.size() + remit_ms_.size()) / window_seconds_;
    const double post_p50 = percentile(remit_ms_, 0.50);
    const double post_p99 = percentile(remit_ms_, 0.99);
    const auto ratio = [&](double v) {
        return hello_rps_ > 0 ? fixed(100.0 * v / hello_rps_, 2) + " %" : std::string{"-"};
    };
    std::time_t now = std::time(nullptr);
    std::array<char, 64> date{};
    std::strftime(date.data(), date.size(), "%Y-%m-%d %H:%M", std::localtime(&now));  // NOLINT
    std::printf(
        "\n## Chelete end to end (%s, %u cores, load average before the run: %s)\n\n",
        date.data(),
        std::thread::hardware_concurrency(),
        load_before_.c_str()
    );
    std::printf(
        "%s, %d connections; %s workers x at most %d sends of R100-R540 (M-Pesa and EcoCash "
        "alternating); setup %s s; window %s s; drain %s s\n\n",
        args_.rate > 0 ? ("open loop at " + fixed(args_.rate, 0) + " flows/s").c_str()
                       : "closed loop",
        args_.concurrency,
        grouped(static_cast<double>(workers_.size())).c_str(),
        kSendsPerWorker,
        fixed(setup_seconds_).c_str(),
        fixed(window_seconds_).c_str(),
        fixed(drain_seconds_).c_str()
    );
    std::printf("| measure | value | vs hello |\n|---|---:|---:|\n");
    std::printf(
        "| minimal Pistache `GET /hello` requests/s (p50 / p99 ms) | %s (%s / %s) | 100 %% |\n",
        grouped(hello_rps_).c_str(),
        fixed(hello_p50_, 2).c_str(),
        fixed(hello_p99_, 2).c_str()
    );
    std::printf(
        "| gateway requests/s (quotes + remittances) | %s | %s |\n",
        grouped(requests_per_s).c_str(),
        ratio(requests_per_s).c_str()
    );
    std::printf(
        "| remittances created/s (`POST /v1/remittances` 202) | %s | %s |\n",
        grouped(created_per_s, 1).c_str(),
        ratio(created_per_s).c_str()
    );
    std::printf(
        "| remittances completed/s (paid within the window) | %s | %s |\n",
        grouped(completed_per_s, 1).c_str(),
        ratio(completed_per_s).c_str()
    );
    std::printf(
        "| `POST /v1/remittances` p50 / p99 ms | %s / %s | |\n",
        fixed(post_p50).c_str(),
        fixed(post_p99).c_str()
    );
    std::printf(
        "| `POST /v1/quotes` p50 / p99 ms | %s / %s | |\n",
        fixed(percentile(quote_ms_, 0.50)).c_str(),
        fixed(percentile(quote_ms_, 0.99)).c_str()
    );
    std::printf(
        "| whole flow created → paid p50 / p99 / max ms | %s / %s / %s | |\n",
        fixed(flow_p50_ms_, 0).c_str(),
        fixed(flow_p99_ms_, 0).c_str(),
        fixed(flow_max_ms_, 0).c_str()
    );
    std::printf(
        "| remittances created / paid by the end of the drain | %s / %s | |\n",
        grouped(static_cast<double>(db_remittances_)).c_str(),
        grouped(static_cast<double>(paid_total_)).c_str()
    );
    std::printf("| states at the end | %s | |\n", final_states_.c_str());
    std::printf("| errors | %s | |\n", counts_.errors().c_str());
    const bool met = completed_per_s >= 1000.0 && post_p99 < 50.0;
    std::printf(
        "| goal: >= 1,000 completed/s, p99 POST < 50 ms | %s | |\n\n", met ? "met" : "not met"
    );
    std::printf(
        "| process (timed window) | CPU s | CPU %% of one core | CPU ms per remittance | RSS MiB "
        "(end) "
        "| peak RSS MiB |\n"
        "|---|---:|---:|---:|---:|---:|\n"
    );
    // CPU per remittance created: less sensitive than rates to what else runs on the machine.
    const auto per_remittance = [&](double cpu_seconds) {
        return created_ > 0 ? 1000.0 * cpu_seconds / static_cast<double>(created_) : NAN;
    };
    double total = 0;
    for (const auto& w : watched_) {
        const double cpu = w.last.cpu_seconds - w.start.cpu_seconds;
        total += cpu;
        std::printf(
            "| %s%s | %s | %s | %s | %s | %s |\n",
            w.name.c_str(),
            w.tree ? " (all its processes, Pss)" : "",
            fixed(cpu).c_str(),
            fixed(100.0 * cpu / window_seconds_, 0).c_str(),
            fixed(per_remittance(cpu), 2).c_str(),
            fixed(w.last.rss_mib).c_str(),
            fixed(w.peak_rss_mib).c_str()
        );
    }
    std::printf(
        "| **total** | %s | %s | %s | | |\n",
        fixed(total).c_str(),
        fixed(100.0 * total / window_seconds_, 0).c_str(),
        fixed(per_remittance(total), 2).c_str()
    );
    std::fflush(stdout);
}

int Bench::run() {
    {
        std::ifstream in{"/proc/loadavg"};
        std::string a;
        std::string b;
        std::string c;
        in >> a >> b >> c;
        load_before_ = a + " " + b + " " + c;
    }
    watched_ = read_procs(args_.procs_file);
    hello_phase();
    setup_phase();
    timed_phase();
    drain_and_collect();
    print();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        Bench bench{parse_args(argc, argv)};
        return bench.run();
    } catch (const std::exception& e) {
        std::cerr << "e2e_bench: " << e.what() << "\n";
        return 1;
    }
}
