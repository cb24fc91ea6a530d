// chelete-simulator: partner systems in one binary, one subcommand each, for tests and local runs
// (ARCHITECTURE.md "Processes"; README.md beside this file documents every API and flag).
//
//   chelete-simulator permit-registry --port P --api-key K [--seed-file F] [fault knobs]
//   chelete-simulator mpesa   --port P --api-key K --callback-url U --callback-secret S [...]
//   chelete-simulator ecocash --port P --client-id I --client-secret S --callback-secret S [...]
//   chelete-simulator sms     --port P --api-key K [fault knobs]
//
// Everything is in memory; the process serves 127.0.0.1 only and stops cleanly on SIGTERM or
// SIGINT (exit 0, pending callbacks dropped). Exit 2: bad usage; exit 1: could not serve.
#include <csignal>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <curl/curl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/money.hpp>

#include "common/callbacks.hpp"
#include "common/flags.hpp"
#include "common/payment_book.hpp"
#include "common/sim_crypto.hpp"
#include "common/sim_server.hpp"
#include "ecocash/ecocash_app.hpp"
#include "mpesa/mpesa_app.hpp"
#include "permit_registry/permit_registry_app.hpp"
#include "sms/sms_app.hpp"

namespace {

using namespace chelete::simulators;

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

void usage(std::ostream& out) {
    out << "usage: chelete-simulator <simulator> [flags]\n"
           "\n"
           "simulators:\n"
           "  permit-registry   the permit registry (stand-in for a future official DHA channel)\n"
           "  mpesa             M-Pesa Lesotho B2C (OpenAPI-like): sessions, payments, callbacks\n"
           "  ecocash           EcoCash disbursements (Pay-Online-like): token, payments, "
           "callbacks\n"
           "  sms               an SMS gateway: messages, segment counting, idempotent reference\n"
           "\n"
           "permit-registry flags:\n"
           "  --port N              listen on 127.0.0.1:N (required)\n"
           "  --api-key KEY         required in X-Api-Key on every request but GET /healthz "
           "(required)\n"
           "  --seed-file PATH      CSV of permits to preload (README.md has the format)\n"
           "  --latency-ms N        added to every /permits answer (default 0)\n"
           "  --error-rate F        fraction of /permits requests answered 503 (default 0)\n"
           "  --timeout-rate F      fraction held back --timeout-hold-ms before answering (default "
           "0)\n"
           "  --malformed-rate F    fraction answered 200 with a contract-breaking body (default "
           "0)\n"
           "  --timeout-hold-ms N   how long a timeout fault holds its answer (default 30000)\n"
           "  --seed N              seed of the fault schedule (default 1)\n"
           "  --threads N           HTTP worker threads (default 2)\n"
           "\n"
           "flags of every payment partner (mpesa, ecocash):\n"
           "  --port N                    listen on 127.0.0.1:N (required)\n"
           "  --callback-secret S         HMAC-SHA256 key of the signed callbacks (required)\n"
           "  --float AMOUNT              initial float, LSL (default 10000000.00)\n"
           "  --invalid-msisdn A,B        numbers refused as invalid (repeatable)\n"
           "  --latency-ms N              added to every partner answer (default 0)\n"
           "  --error-rate F              503 before any processing (default 0)\n"
           "  --timeout-rate F            payment processed, answer held --timeout-hold-ms "
           "(default 0)\n"
           "  --timeout-hold-ms N         how long a timeout fault holds its answer (default "
           "30000)\n"
           "  --unknown-rate F            answer the partner's outcome-unknown code (default 0)\n"
           "  --unknown-paid-rate F       of those, the fraction actually paid (default 0)\n"
           "  --late-callback-ms N        callbacks follow the result this late (default 50)\n"
           "  --callback-retries N        further attempts after a failed delivery (default 3)\n"
           "  --drop-callback-rate F      no callback at all (default 0)\n"
           "  --duplicate-callback-rate F the callback sent twice (default 0)\n"
           "  --out-of-order-rate F       a stale pending callback after the final one (default "
           "0)\n"
           "  --forged-callback-rate F    a wrongly signed copy with the opposite outcome (default "
           "0)\n"
           "  --seed N                    seed of the fault schedule (default 1)\n"
           "  --threads N                 HTTP worker threads (default 2)\n"
           "\n"
           "mpesa flags:\n"
           "  --api-key K                 the API key clients encrypt for getSession (required)\n"
           "  --callback-url URL          where results are POSTed (required)\n"
           "  --rsa-key-file PEM          RSA private key (default: a fresh 2048-bit key)\n"
           "  --service-provider-code C   the shortcode payments must name (default 000000)\n"
           "  --session-ttl-s N           session lifetime (default 3600)\n"
           "\n"
           "ecocash flags:\n"
           "  --client-id ID, --client-secret S   OAuth client credentials (both required)\n"
           "  --token-ttl-s N             access token lifetime (default 3600)\n"
           "\n"
           "sms flags:\n"
           "  --port N, --api-key K (required); --latency-ms, --error-rate, --timeout-rate,\n"
           "  --timeout-hold-ms, --seed, --threads as above\n";
}

/// Blocks SIGINT/SIGTERM in every thread (before any starts) so that only sigwait sees them.
sigset_t block_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

int fail_usage(const std::string& message) {
    std::cerr << "chelete-simulator: " << message << "\n";
    return kExitUsage;
}

int run_permit_registry(const std::vector<std::string>& args) {
    namespace pr = chelete::simulators::permit_registry;
    const std::set<std::string> known{
        "port",
        "api-key",
        "seed-file",
        "latency-ms",
        "error-rate",
        "timeout-rate",
        "malformed-rate",
        "timeout-hold-ms",
        "seed",
        "threads"};
    const auto flags = Flags::parse(args, known);
    if (!flags.ok()) {
        return fail_usage(flags.error());
    }
    const auto& f = flags.value();
    constexpr std::int64_t kMaxMillis = 3'600'000;
    const auto port = f.get_int("port", 0, 1, std::numeric_limits<std::uint16_t>::max());
    const auto latency = f.get_int("latency-ms", 0, 0, kMaxMillis);
    const auto hold = f.get_int("timeout-hold-ms", 30'000, 1, kMaxMillis);
    const auto seed = f.get_int("seed", 1, 0, std::numeric_limits<std::int64_t>::max());
    const auto threads = f.get_int("threads", 2, 1, 64);
    const auto error_rate = f.get_rate_ppm("error-rate");
    const auto timeout_rate = f.get_rate_ppm("timeout-rate");
    const auto malformed_rate = f.get_rate_ppm("malformed-rate");
    for (const auto* problem :
         {port.ok() ? nullptr : &port.error(),
          latency.ok() ? nullptr : &latency.error(),
          hold.ok() ? nullptr : &hold.error(),
          seed.ok() ? nullptr : &seed.error(),
          threads.ok() ? nullptr : &threads.error(),
          error_rate.ok() ? nullptr : &error_rate.error(),
          timeout_rate.ok() ? nullptr : &timeout_rate.error(),
          malformed_rate.ok() ? nullptr : &malformed_rate.error()}) {
        if (problem != nullptr) {
            return fail_usage(*problem);
        }
    }
    if (!f.get("port")) {
        return fail_usage("--port is required");
    }
    const auto api_key = f.get("api-key");
    if (!api_key || api_key->empty()) {
        return fail_usage(
            "--api-key is required (a simulator without a key hides misconfigured clients)"
        );
    }
    pr::PermitRegistryOptions options;
    options.api_key = *api_key;
    options.faults = FaultRates{error_rate.value(), timeout_rate.value(), malformed_rate.value()};
    if (!options.faults.valid()) {
        return fail_usage("--error-rate, --timeout-rate and --malformed-rate add up to more than 1"
        );
    }
    options.seed = static_cast<std::uint64_t>(seed.value());
    options.latency = std::chrono::milliseconds{latency.value()};
    options.timeout_hold = std::chrono::milliseconds{hold.value()};

    std::vector<pr::SimPermit> preload;
    if (const auto seed_file = f.get("seed-file")) {
        std::ifstream in{*seed_file};
        if (!in) {
            return fail_usage("cannot read --seed-file " + *seed_file);
        }
        std::ostringstream text;
        text << in.rdbuf();
        auto parsed = pr::parse_seed_csv(text.str());
        if (!parsed.ok()) {
            return fail_usage(*seed_file + ": " + parsed.error());
        }
        preload = std::move(parsed).value();
    }

    const sigset_t stop_signals = block_stop_signals();
    pr::PermitRegistryApp app{options, preload};
    SimServerOptions server_options;
    server_options.port = static_cast<std::uint16_t>(port.value());
    server_options.threads = static_cast<std::size_t>(threads.value());
    SimServer server{
        server_options, [&app](const SimRequest& request) { return app.handle(request); }};
    try {
        server.start();
    } catch (const std::exception& e) {
        spdlog::error(
            "permit-registry simulator cannot serve on 127.0.0.1:{}: {}", port.value(), e.what()
        );
        return kExitFailure;
    }
    spdlog::info(
        "permit-registry simulator on http://127.0.0.1:{} ({} permits preloaded; faults ppm: 503 "
        "{}, timeout {}, "
        "malformed {}; seed {})",
        port.value(),
        preload.size(),
        options.faults.unavailable_ppm,
        options.faults.timeout_ppm,
        options.faults.malformed_ppm,
        options.seed
    );
    int signal = 0;
    sigwait(&stop_signals, &signal);
    spdlog::info("received signal {}, stopping", signal);
    server.shutdown();
    const auto counts = app.counts();
    spdlog::info("served {} /permits requests; stopped", counts.total);
    return 0;
}

/// Collects flag errors; the first one is reported.
class Problems {
public:
    template <typename T>
    T take(const chelete::platform::Result<T, std::string>& result, T fallback = T{}) {
        if (!result.ok()) {
            if (!first_) {
                first_ = result.error();
            }
            return fallback;
        }
        return result.value();
    }
    void add(const std::string& message) {
        if (!first_) {
            first_ = message;
        }
    }
    [[nodiscard]] const std::optional<std::string>& first() const { return first_; }

private:
    std::optional<std::string> first_;
};

constexpr std::int64_t kMaxMillis = 3'600'000;
constexpr std::int64_t kMaxTtlSeconds = 30LL * 24 * 3600;

/// The flags every payment partner takes (a function: a static std::set may throw before main).
std::set<std::string> partner_flags() {
    return {
        "port",
        "threads",
        "seed",
        "latency-ms",
        "error-rate",
        "timeout-rate",
        "timeout-hold-ms",
        "unknown-rate",
        "unknown-paid-rate",
        "drop-callback-rate",
        "duplicate-callback-rate",
        "late-callback-ms",
        "out-of-order-rate",
        "forged-callback-rate",
        "callback-secret",
        "callback-retries",
        "float",
        "invalid-msisdn"};
}

/// What mpesa and ecocash share: the flags of the partner contract's "common fault knobs".
struct PartnerSetup {
    std::uint16_t port = 0;
    std::size_t threads = 2;
    std::uint64_t seed = 1;
    FaultRates faults;
    CallbackFaultRates callback_faults;
    std::chrono::milliseconds latency{0};
    std::chrono::milliseconds timeout_hold{30'000};
    std::chrono::milliseconds late_callback{50};
    std::int64_t float_minor = 0;
    std::set<std::string> invalid_msisdns;
    CallbackSenderOptions sender;
};

PartnerSetup partner_setup(const Flags& f, Problems& problems) {
    PartnerSetup s;
    s.port = static_cast<std::uint16_t>(
        problems.take(f.get_int("port", 0, 1, std::numeric_limits<std::uint16_t>::max()))
    );
    s.threads = static_cast<std::size_t>(problems.take(f.get_int("threads", 2, 1, 64)));
    s.seed = static_cast<std::uint64_t>(
        problems.take(f.get_int("seed", 1, 0, std::numeric_limits<std::int64_t>::max()))
    );
    s.latency = std::chrono::milliseconds{problems.take(f.get_int("latency-ms", 0, 0, kMaxMillis))};
    s.timeout_hold = std::chrono::milliseconds{
        problems.take(f.get_int("timeout-hold-ms", 30'000, 1, kMaxMillis))};
    s.late_callback =
        std::chrono::milliseconds{problems.take(f.get_int("late-callback-ms", 50, 0, kMaxMillis))};
    s.sender.retries = static_cast<int>(problems.take(f.get_int("callback-retries", 3, 0, 100)));
    s.faults.unavailable_ppm = problems.take(f.get_rate_ppm("error-rate"));
    s.faults.timeout_ppm = problems.take(f.get_rate_ppm("timeout-rate"));
    s.faults.unknown_ppm = problems.take(f.get_rate_ppm("unknown-rate"));
    s.callback_faults.unknown_paid_ppm = problems.take(f.get_rate_ppm("unknown-paid-rate"));
    s.callback_faults.drop_ppm = problems.take(f.get_rate_ppm("drop-callback-rate"));
    s.callback_faults.duplicate_ppm = problems.take(f.get_rate_ppm("duplicate-callback-rate"));
    s.callback_faults.out_of_order_ppm = problems.take(f.get_rate_ppm("out-of-order-rate"));
    s.callback_faults.forged_ppm = problems.take(f.get_rate_ppm("forged-callback-rate"));
    if (!f.get("port")) {
        problems.add("--port is required");
    }
    if (!s.faults.valid()) {
        problems.add("--error-rate, --timeout-rate and --unknown-rate add up to more than 1");
    }
    const auto secret = f.get("callback-secret");
    if (!secret || secret->empty()) {
        problems.add("--callback-secret is required (callbacks are signed with it)");
    } else {
        s.sender.secret = *secret;
    }
    const std::string float_text = f.get("float").value_or("10000000.00");
    const auto float_minor = chelete::platform::parse_minor_units(float_text);
    if (!float_minor.ok()) {
        problems.add("--float must be an amount like 10000000.00, got '" + float_text + "'");
    } else {
        s.float_minor = float_minor.value();
    }
    for (const auto& msisdn : f.get_list("invalid-msisdn")) {
        if (msisdn.find_first_not_of("0123456789") != std::string::npos) {
            problems.add("--invalid-msisdn takes digits only, got '" + msisdn + "'");
        }
        s.invalid_msisdns.insert(msisdn);
    }
    return s;
}

/// Serves `handler` with a callback sender beside it until SIGTERM/SIGINT. The sender stops
/// after the server: pending callbacks are dropped and an attempt in flight is cancelled.
int serve_partner(
    const std::string& name,
    const PartnerSetup& setup,
    CallbackOutbox& outbox,
    const chelete::platform::Clock& clock,
    const sigset_t& stop_signals,
    const SimHandler& handler
) {
    CallbackSender sender{outbox, clock, setup.sender, curl_transport()};
    SimServerOptions server_options;
    server_options.port = setup.port;
    server_options.threads = setup.threads;
    SimServer server{server_options, handler};
    try {
        server.start();
    } catch (const std::exception& e) {
        spdlog::error("{} simulator cannot serve on 127.0.0.1:{}: {}", name, setup.port, e.what());
        return kExitFailure;
    }
    sender.start();
    spdlog::info(
        "{} simulator on http://127.0.0.1:{} (faults ppm: 503 {}, timeout {}, unknown {}; "
        "callbacks ppm: drop {}, duplicate {}, out-of-order {}, forged {}; seed {})",
        name,
        setup.port,
        setup.faults.unavailable_ppm,
        setup.faults.timeout_ppm,
        setup.faults.unknown_ppm,
        setup.callback_faults.drop_ppm,
        setup.callback_faults.duplicate_ppm,
        setup.callback_faults.out_of_order_ppm,
        setup.callback_faults.forged_ppm,
        setup.seed
    );
    int signal = 0;
    sigwait(&stop_signals, &signal);
    spdlog::info("received signal {}, stopping", signal);
    server.shutdown();
    sender.stop();
    spdlog::info("{} simulator stopped", name);
    return 0;
}

int run_mpesa(const std::vector<std::string>& args) {
    namespace mp = chelete::simulators::mpesa;
    auto known = partner_flags();
    known.insert(
        {"api-key", "rsa-key-file", "service-provider-code", "session-ttl-s", "callback-url"}
    );
    const auto flags = Flags::parse(args, known, {"invalid-msisdn"});
    if (!flags.ok()) {
        return fail_usage(flags.error());
    }
    const auto& f = flags.value();
    Problems problems;
    const PartnerSetup setup = partner_setup(f, problems);
    mp::MpesaOptions options;
    options.session_ttl =
        std::chrono::seconds{problems.take(f.get_int("session-ttl-s", 3600, 1, kMaxTtlSeconds))};
    const auto api_key = f.get("api-key");
    if (!api_key || api_key->empty()) {
        problems.add("--api-key is required (a simulator without a key hides misconfigured clients)"
        );
    }
    const auto callback_url = f.get("callback-url");
    if (!callback_url || callback_url->rfind("http://", 0) != 0) {
        problems.add("--callback-url is required and must be an http:// URL");
    }
    options.service_provider_code = f.get("service-provider-code").value_or("000000");
    if (options.service_provider_code.empty()) {
        problems.add("--service-provider-code must not be empty");
    }
    std::optional<RsaKey> key;
    if (const auto key_file = f.get("rsa-key-file")) {
        std::ifstream in{*key_file};
        std::ostringstream text;
        text << in.rdbuf();
        if (!in) {
            problems.add("cannot read --rsa-key-file " + *key_file);
        } else if (key = RsaKey::from_private_pem(text.str()); !key) {
            problems.add("--rsa-key-file " + *key_file + " is not a PEM RSA private key");
        }
    }
    if (problems.first()) {
        return fail_usage(*problems.first());
    }
    if (!key) {
        constexpr int kBits = 2048;
        key = RsaKey::generate(kBits);
    }
    options.api_key = *api_key;
    options.callback_url = *callback_url;
    options.invalid_msisdns = setup.invalid_msisdns;
    options.float_minor = setup.float_minor;
    options.faults = setup.faults;
    options.callback_faults = setup.callback_faults;
    options.seed = setup.seed;
    options.latency = setup.latency;
    options.timeout_hold = setup.timeout_hold;
    options.late_callback = setup.late_callback;

    const sigset_t stop_signals = block_stop_signals();
    const chelete::platform::SystemClock clock;
    CallbackOutbox outbox;
    mp::MpesaApp app{options, *key, clock, outbox};
    return serve_partner("mpesa", setup, outbox, clock, stop_signals, [&app](const SimRequest& r) {
        return app.handle(r);
    });
}

int run_ecocash(const std::vector<std::string>& args) {
    namespace eco = chelete::simulators::ecocash;
    auto known = partner_flags();
    known.insert({"client-id", "client-secret", "token-ttl-s"});
    const auto flags = Flags::parse(args, known, {"invalid-msisdn"});
    if (!flags.ok()) {
        return fail_usage(flags.error());
    }
    const auto& f = flags.value();
    Problems problems;
    const PartnerSetup setup = partner_setup(f, problems);
    eco::EcocashOptions options;
    options.token_ttl =
        std::chrono::seconds{problems.take(f.get_int("token-ttl-s", 3600, 1, kMaxTtlSeconds))};
    const auto client_id = f.get("client-id");
    const auto client_secret = f.get("client-secret");
    if (!client_id || client_id->empty() || client_id->find(':') != std::string::npos) {
        problems.add("--client-id is required (and cannot contain ':')");
    }
    if (!client_secret || client_secret->empty()) {
        problems.add("--client-secret is required");
    }
    if (problems.first()) {
        return fail_usage(*problems.first());
    }
    options.client_id = *client_id;
    options.client_secret = *client_secret;
    options.invalid_msisdns = setup.invalid_msisdns;
    options.float_minor = setup.float_minor;
    options.faults = setup.faults;
    options.callback_faults = setup.callback_faults;
    options.seed = setup.seed;
    options.latency = setup.latency;
    options.timeout_hold = setup.timeout_hold;
    options.late_callback = setup.late_callback;

    const sigset_t stop_signals = block_stop_signals();
    const chelete::platform::SystemClock clock;
    CallbackOutbox outbox;
    eco::EcocashApp app{options, clock, outbox};
    return serve_partner(
        "ecocash",
        setup,
        outbox,
        clock,
        stop_signals,
        [&app](const SimRequest& r) { return app.handle(r); }
    );
}

int run_sms(const std::vector<std::string>& args) {
    namespace sms = chelete::simulators::sms;
    const std::set<std::string> known{
        "port",
        "api-key",
        "latency-ms",
        "error-rate",
        "timeout-rate",
        "timeout-hold-ms",
        "seed",
        "threads"};
    const auto flags = Flags::parse(args, known);
    if (!flags.ok()) {
        return fail_usage(flags.error());
    }
    const auto& f = flags.value();
    Problems problems;
    const auto port =
        problems.take(f.get_int("port", 0, 1, std::numeric_limits<std::uint16_t>::max()));
    const auto threads = problems.take(f.get_int("threads", 2, 1, 64));
    sms::SmsOptions options;
    options.seed = static_cast<std::uint64_t>(
        problems.take(f.get_int("seed", 1, 0, std::numeric_limits<std::int64_t>::max()))
    );
    options.latency =
        std::chrono::milliseconds{problems.take(f.get_int("latency-ms", 0, 0, kMaxMillis))};
    options.timeout_hold = std::chrono::milliseconds{
        problems.take(f.get_int("timeout-hold-ms", 30'000, 1, kMaxMillis))};
    options.faults.unavailable_ppm = problems.take(f.get_rate_ppm("error-rate"));
    options.faults.timeout_ppm = problems.take(f.get_rate_ppm("timeout-rate"));
    if (!options.faults.valid()) {
        problems.add("--error-rate and --timeout-rate add up to more than 1");
    }
    if (!f.get("port")) {
        problems.add("--port is required");
    }
    const auto api_key = f.get("api-key");
    if (!api_key || api_key->empty()) {
        problems.add("--api-key is required (a simulator without a key hides misconfigured clients)"
        );
    }
    if (problems.first()) {
        return fail_usage(*problems.first());
    }
    options.api_key = *api_key;

    const sigset_t stop_signals = block_stop_signals();
    const chelete::platform::SystemClock clock;
    sms::SmsApp app{options, clock};
    SimServerOptions server_options;
    server_options.port = static_cast<std::uint16_t>(port);
    server_options.threads = static_cast<std::size_t>(threads);
    SimServer server{server_options, [&app](const SimRequest& r) { return app.handle(r); }};
    try {
        server.start();
    } catch (const std::exception& e) {
        spdlog::error("sms simulator cannot serve on 127.0.0.1:{}: {}", port, e.what());
        return kExitFailure;
    }
    spdlog::info(
        "sms simulator on http://127.0.0.1:{} (faults ppm: 503 {}, timeout {}; seed {})",
        port,
        options.faults.unavailable_ppm,
        options.faults.timeout_ppm,
        options.seed
    );
    int signal = 0;
    sigwait(&stop_signals, &signal);
    spdlog::info("received signal {}, stopping", signal);
    server.shutdown();
    spdlog::info("sms simulator stopped after {} messages", app.messages().size());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // Writing to a client that has gone (a held "timeout" answer) must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c)
    // Before any thread starts (libcurl's global state is not thread-safe to set up).
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const std::vector<std::string> args(
        argv + 1, argv + argc
    );  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        usage(args.empty() ? std::cerr : std::cout);
        return args.empty() ? kExitUsage : 0;
    }
    const std::string& simulator = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (simulator == "permit-registry") {
        if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
            usage(std::cout);
            return 0;
        }
        try {
            return run_permit_registry(rest);
        } catch (const std::exception& e) {
            spdlog::error("permit-registry simulator failed: {}", e.what());
            return kExitFailure;
        }
    }
    const std::map<std::string, std::function<int(const std::vector<std::string>&)>> others{
        {"mpesa", run_mpesa}, {"ecocash", run_ecocash}, {"sms", run_sms}};
    if (const auto it = others.find(simulator); it != others.end()) {
        if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
            usage(std::cout);
            return 0;
        }
        try {
            return it->second(rest);
        } catch (const std::exception& e) {
            spdlog::error("{} simulator failed: {}", simulator, e.what());
            return kExitFailure;
        }
    }
    usage(std::cerr);
    return kExitUsage;
}
