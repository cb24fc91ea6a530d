// chelete-simulator: partner systems in one binary, one subcommand each, for tests and local runs
// (ARCHITECTURE.md "Processes"; README.md beside this file documents every API and flag).
//
//   chelete-simulator permit-registry --port P --api-key K [--seed-file F] [fault knobs]
//
// mpesa, ecocash and sms are to come. Everything is in memory; the process serves 127.0.0.1 only
// and stops cleanly on SIGTERM or SIGINT (exit 0). Exit 2: bad usage; exit 1: could not serve.
#include <csignal>
#include <fstream>
#include <iostream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "common/flags.hpp"
#include "common/sim_server.hpp"
#include "permit_registry/permit_registry_app.hpp"

namespace {

using namespace chelete::simulators;

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

void usage(std::ostream& out) {
    out << "usage: chelete-simulator <simulator> [flags]\n"
           "\n"
           "simulators:\n"
           "  permit-registry   the permit registry (stand-in for a future official DHA channel)\n"
           "  mpesa, ecocash, sms   not written yet\n"
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
           "  --threads N           HTTP worker threads (default 2)\n";
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

}  // namespace

int main(int argc, char** argv) {
    // Writing to a client that has gone (a held "timeout" answer) must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c)
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
    if (simulator == "mpesa" || simulator == "ecocash" || simulator == "sms") {
        return fail_usage(simulator + " is not written yet");
    }
    usage(std::cerr);
    return kExitUsage;
}
