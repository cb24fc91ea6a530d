// chelete: one binary, one subcommand per service (ARCHITECTURE.md "Processes").
//
//   chelete all        every service in one process (local use, scripts/run.sh)
//   chelete gateway    the HTTP API
//   chelete migrate    apply every schema's migrations and exit
//   chelete config     list every configuration variable (--markdown for the README table)
//
// Configuration comes from the environment and is validated before anything starts: a bad value
// stops the process with every problem listed.
#include <csignal>
#include <cstdlib>
#include <iostream>

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chelete/gateway/gateway.hpp>
#include <chelete/platform/config.hpp>
#include <chelete/platform/faults.hpp>
#include <chelete/platform/logging.hpp>
#include <chelete/platform/settings.hpp>

namespace {

using namespace chelete;

struct Settings {
    platform::PlatformSettings platform;
    gateway::GatewaySettings gateway;
};

/// Reads every component's settings through one reader, so `chelete config` sees them all.
Settings read_settings(platform::ConfigReader& reader) {
    Settings s;
    s.platform = platform::PlatformSettings::load(reader);
    s.gateway = gateway::GatewaySettings::load(reader);
    return s;
}

int print_config(bool markdown) {
    platform::MapEnvironment empty;
    platform::ConfigReader reader{empty};
    (void)read_settings(reader);
    if (markdown) {
        std::cout << "| variable | default | meaning |\n|---|---|---|\n";
    }
    for (const auto& v : reader.variables()) {
        const std::string fallback = v.required ? "(required)"
                                     : v.secret ? "(unset)"
                                                : v.default_value;
        if (markdown) {
            std::cout << "| `" << v.name << "` | " << (fallback.empty() ? "" : "`" + fallback + "`")
                      << " | " << v.description << " |\n";
        } else {
            std::cout << v.name << "=" << fallback << "\n    " << v.description << "\n";
        }
    }
    return 0;
}

/// Blocks SIGINT/SIGTERM in every thread (call before any thread starts) and waits for one.
void block_stop_signals(sigset_t& set) {
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_stop_signal(const sigset_t& set) {
    int signal = 0;
    sigwait(&set, &signal);
    spdlog::info("received signal {}, stopping", signal);
    return signal;
}

int migrate(const Settings& s) {
    platform::PgPool pool{s.platform.pool_options("gateway", 1)};
    auto conn = pool.connect_dedicated();
    const auto report = platform::apply_migrations(*conn, "gateway", gateway::gateway_migrations());
    spdlog::info(
        "schema gateway: {} applied, {} already there", report.applied, report.already_applied
    );
    return 0;
}

int run_services(const Settings& s, bool gateway_only) {
    (void)gateway_only;
    sigset_t signals;
    block_stop_signals(signals);
    gateway::Gateway gw{s.gateway, s.platform};
    gw.start();
    spdlog::info("chelete is up: http://{}:{}", s.gateway.server.host, gw.port());
    wait_for_stop_signal(signals);
    gw.stop();
    return 0;
}

void usage() {
    std::cerr << "usage: chelete <all|gateway|migrate|config [--markdown]|version>\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c): libpq, hiredis and OpenSSL may raise it
    if (argc < 2) {
        usage();
        return 2;
    }
    const std::string command = argv[1];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    if (command == "config") {
        // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-pointer-arithmetic)
        const bool markdown = argc > 2 && std::string{argv[2]} == "--markdown";
        return print_config(markdown);
    }
    if (command == "version") {
        std::cout << "chelete 0.1.0\n";
        return 0;
    }
    platform::ProcessEnvironment env;
    platform::ConfigReader reader{env};
    Settings settings;
    try {
        settings = read_settings(reader);
        reader.finish();
    } catch (const platform::ConfigError& e) {
        std::cerr << "chelete: " << e.what() << "\n";
        return 2;
    }
    settings.platform.log.service = command;
    platform::init_logging(settings.platform.log);
    try {
        if (!settings.platform.faults.empty()) {
            platform::faults::configure(settings.platform.faults);
            spdlog::warn("fault points armed: {}", settings.platform.faults);
        }
        if (command == "migrate") {
            return migrate(settings);
        }
        if (command == "all") {
            return run_services(settings, false);
        }
        if (command == "gateway") {
            return run_services(settings, true);
        }
    } catch (const std::exception& e) {
        spdlog::critical("chelete {} cannot run: {}", command, e.what());
        spdlog::default_logger()->flush();
        return 1;
    }
    usage();
    return 2;
}
