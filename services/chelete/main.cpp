// chelete: one binary, one subcommand per service (ARCHITECTURE.md "Processes").
//
//   chelete all            every service in one process (local use, scripts/run.sh)
//   chelete gateway        the HTTP API
//   chelete ledger         the ledger service (the single writer of shard CHELETE_LEDGER_SHARD;
//                          `all` runs every one of the CHELETE_LEDGER_SHARDS shards)
//   chelete ledger verify  re-check every ledger invariant of that shard; exit 1 if anything is
//                          wrong
//                          (--expect-head <seq>:<digest>: that batch must be stored with that
//                          digest)
//   chelete registry       workers, permits, agencies, complaints (registry.cmd)
//   chelete registry rotate-keys  re-seal identity numbers under the first CHELETE_FIELD_KEYS key
//   chelete remittance     deposits, wallets, quotes, remittances and their saga (remit.cmd)
//   chelete compliance     screening, cases and threshold reports (compliance.cmd)
//   chelete payout         payouts through M-Pesa and EcoCash, their callbacks (payout.cmd)
//   chelete notifier       SMS to workers and families through the SMS gateway (notify.cmd)
//   chelete central-bank   the daily cross-border return and other reports (cbank.cmd)
//   chelete ussd           the families' USSD menu: the gateway's USSD turns (ussd.cmd)
//   chelete relay          every schema's outbox relay, for services run with
//                          CHELETE_RELAY_EMBEDDED=false (one relay per schema is active at a time)
//   chelete migrate        apply every schema's migrations and exit
//   chelete config         list every configuration variable (--markdown for the README table)
//
// Configuration comes from the environment and is validated before anything starts: a bad value
// stops the process with every problem listed.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chelete/central_bank/service.hpp>
#include <chelete/compliance/service.hpp>
#include <chelete/gateway/gateway.hpp>
#include <chelete/ledger/pg_store.hpp>
#include <chelete/ledger/service.hpp>
#include <chelete/ledger/verify.hpp>
#include <chelete/payout/service.hpp>
#include <chelete/platform/config.hpp>
#include <chelete/platform/faults.hpp>
#include <chelete/platform/logging.hpp>
#include <chelete/platform/settings.hpp>
#include <chelete/registry/service.hpp>
#include <chelete/remittance/service.hpp>
#include <chelete/sms/notifier.hpp>
#include <chelete/ussd/service.hpp>

#include "routes.hpp"

namespace {

using namespace chelete;

/// Which components a command runs; only their settings are read and validated.
struct Components {
    bool gateway = false;
    bool ledger = false;
    bool registry = false;
    bool remittance = false;
    bool compliance = false;
    bool payout = false;
    bool notifier = false;
    bool cbank = false;
    bool ussd = false;

    /// Every service (`chelete all`, `config`): new services add themselves here.
    static Components everything() {
        Components c;
        c.gateway = c.ledger = c.registry = c.remittance = c.compliance = c.payout = true;
        c.notifier = true;
        c.cbank = true;
        c.ussd = true;
        return c;
    }
};

struct Settings {
    platform::PlatformSettings platform;
    std::optional<gateway::GatewaySettings> gateway;
    std::optional<ledger::LedgerSettings> ledger;
    std::optional<registry::RegistrySettings> registry;
    std::optional<remittance::RemittanceSettings> remittance;
    std::optional<compliance::ComplianceSettings> compliance;
    std::optional<payout::PayoutSettings> payout;
    std::optional<notifier::NotifierSettings> notifier;
    ledger::LedgerStreams ledger_streams;  // where the gateway forwards the ledger's operations
    registry::RegistryStreams registry_streams;
    remittance::RemitStreams remit_streams;
    compliance::ComplianceStreams compliance_streams;
    std::string payout_command_stream;  // the remittance service owns both variables
    std::string payout_event_stream;
    std::optional<central_bank::CbankSettings> cbank;
    central_bank::CbankStreams cbank_streams;
    std::optional<ussd::UssdSettings> ussd;
    ussd::UssdStreams ussd_streams;
};

Settings read_settings(platform::ConfigReader& reader, Components components) {
    Settings s;
    s.platform = platform::PlatformSettings::load(reader);
    if (components.gateway) {
        s.gateway = gateway::GatewaySettings::load(reader);
    }
    if (components.ledger) {
        s.ledger = ledger::LedgerSettings::load(reader);
        s.ledger_streams = s.ledger->layout;
    } else if (components.gateway) {
        s.ledger_streams = ledger::LedgerStreams::load(reader);
    }
    if (components.registry) {
        s.registry = registry::RegistrySettings::load(reader);
        s.registry_streams = s.registry->streams;
    } else if (components.gateway || components.remittance || components.compliance || components.payout || components.ussd) {
        s.registry_streams = registry::RegistryStreams::load(reader);
    }
    if (components.compliance) {
        s.compliance = compliance::ComplianceSettings::load(reader);
        s.compliance_streams = s.compliance->streams;
        s.compliance->registry_event_stream = s.registry_streams.event_stream;
    } else if (components.gateway || components.remittance) {
        s.compliance_streams = compliance::ComplianceStreams::load(reader);
    }
    if ((components.remittance || components.payout) && !components.ledger && !components.gateway) {
        s.ledger_streams = ledger::LedgerStreams::load(reader);
    }
    if (components.remittance) {
        s.remittance = remittance::RemittanceSettings::load(reader);
        s.remit_streams = s.remittance->streams;
        s.remittance->saga.ledger_command = s.ledger_streams.command_stream;
        s.remittance->saga.ledger_shards = s.ledger_streams.shards;
        s.remittance->saga.registry_command = s.registry_streams.command_stream;
    } else if (components.gateway || components.compliance || components.cbank || components.ussd) {
        s.remit_streams = remittance::RemitStreams::load(reader);
    }
    if (s.remittance) {
        s.remittance->saga.compliance_command = s.compliance_streams.command_stream;
        s.remittance->saga.compliance_events = s.compliance_streams.event_stream;
    }
    if (s.compliance) {
        s.compliance->remit_event_stream = s.remit_streams.event_stream;
    }
    if (s.remittance) {
        s.payout_command_stream = s.remittance->saga.payout_command;
        s.payout_event_stream = s.remittance->saga.payout_events;
    } else if (components.gateway || components.payout || components.ussd) {
        // Read as the remittance service reads them (RemittanceSettings::load).
        const remittance::SagaStreams defaults;
        s.payout_command_stream = reader.string(
            "CHELETE_PAYOUT_COMMAND_STREAM",
            defaults.payout_command,
            "Stream payout requests are sent to"
        );
        s.payout_event_stream = reader.string(
            "CHELETE_PAYOUT_EVENT_STREAM",
            defaults.payout_events,
            "Stream payout outcomes arrive on"
        );
    }
    if (components.payout) {
        s.payout = payout::PayoutSettings::load(reader);
        s.payout->command_stream = s.payout_command_stream;
        s.payout->event_stream = s.payout_event_stream;
        s.payout->ledger_command = s.ledger_streams.command_stream;
        s.payout->ledger_shards = s.ledger_streams.shards;
        s.payout->registry_command = s.registry_streams.command_stream;
    }
    if (components.remittance || components.notifier || components.payout) {
        // CHELETE_NOTIFY_STREAM is the registry's (it produces requests too): read once.
        const std::string notify_stream =
            s.registry ? s.registry->notify_stream
                       : notifier::NotifyStreams::load(reader).command_stream;
        if (s.remittance) {
            s.remittance->saga.notify_command = notify_stream;
        }
        if (s.payout) {
            s.payout->notify_command = notify_stream;
        }
        if (components.notifier) {
            s.notifier = notifier::NotifierSettings::load(reader);
            s.notifier->command_stream = notify_stream;
        }
    }
    if (components.ussd) {
        s.ussd = ussd::UssdSettings::load(reader);
        s.ussd_streams = s.ussd->streams;
        s.ussd->registry_command = s.registry_streams.command_stream;
        s.ussd->remit_command = s.remit_streams.command_stream;
        s.ussd->payout_command = s.payout_command_stream;
    } else if (components.gateway) {
        s.ussd_streams = ussd::UssdStreams::load(reader);
    }
    if (components.cbank) {
        s.cbank = central_bank::CbankSettings::load(reader);
        s.cbank_streams = s.cbank->streams;
        s.cbank->remit_event_stream = s.remit_streams.event_stream;
    } else if (components.gateway) {
        s.cbank_streams = central_bank::CbankStreams::load(reader);
    }
    return s;
}

int print_config(bool markdown) {
    platform::MapEnvironment empty;
    platform::ConfigReader reader{empty};
    (void)read_settings(reader, Components::everything());
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

void wait_for_stop_signal(const sigset_t& set) {
    int signal = 0;
    sigwait(&set, &signal);
    spdlog::info("received signal {}, stopping", signal);
}

int migrate(const Settings& s) {
    platform::PgPool pool{s.platform.pool_options("gateway", 1)};
    auto conn = pool.connect_dedicated();
    const auto gw = platform::apply_migrations(*conn, "gateway", gateway::gateway_migrations());
    // Every ledger shard's schema (one, `ledger` unless configured otherwise, by default).
    platform::MigrationReport bus;
    platform::MigrationReport led;
    for (std::size_t k = 0; k < s.ledger->layout.shards; ++k) {
        const std::string schema = s.ledger->for_shard(k).schema;
        bus = platform::apply_migrations(*conn, schema, platform::bus_migrations());
        led = platform::apply_migrations(*conn, schema, ledger::ledger_migrations());
    }
    const auto reg_bus =
        platform::apply_migrations(*conn, s.registry->schema, platform::bus_migrations());
    const auto reg =
        platform::apply_migrations(*conn, s.registry->schema, registry::registry_migrations());
    (void)platform::apply_migrations(*conn, s.remittance->schema, platform::bus_migrations());
    const auto remit = platform::apply_migrations(
        *conn, s.remittance->schema, remittance::remittance_migrations()
    );
    (void)platform::apply_migrations(*conn, s.payout->schema, platform::bus_migrations());
    (void)platform::apply_migrations(*conn, s.payout->schema, payout::payout_migrations());
    (void)platform::apply_migrations(*conn, s.notifier->schema, platform::bus_migrations());
    (void)platform::apply_migrations(*conn, s.notifier->schema, notifier::notifier_migrations());
    (void)platform::apply_migrations(*conn, s.cbank->schema, platform::bus_migrations());
    (void)platform::apply_migrations(*conn, s.cbank->schema, central_bank::cbank_migrations());
    (void)platform::apply_migrations(*conn, s.ussd->schema, platform::bus_migrations());
    (void)platform::apply_migrations(*conn, s.ussd->schema, ussd::ussd_migrations());
    (void)platform::apply_migrations(*conn, s.compliance->schema, platform::bus_migrations());
    const auto comp = platform::apply_migrations(
        *conn, s.compliance->schema, compliance::compliance_migrations()
    );
    spdlog::info(
        "migrations applied: gateway {}, ledger {} (+{} bus), registry {} (+{} bus), remit {}, "
        "compliance {}",
        gw.applied,
        led.applied,
        bus.applied,
        reg.applied,
        reg_bus.applied,
        remit.applied,
        comp.applied
    );
    return 0;
}

/// `chelete ledger verify [--expect-head <seq>:<digest>]`'s options; nullopt (after saying why)
/// when they cannot be read.
std::optional<ledger::VerifyOptions> verify_options(const std::vector<std::string>& args) {
    ledger::VerifyOptions options;
    for (std::size_t i = 2; i < args.size(); ++i) {
        std::string value;
        if (args[i] == "--expect-head" && i + 1 < args.size()) {
            value = args[++i];
        } else if (args[i].rfind("--expect-head=", 0) == 0) {
            value = args[i].substr(std::string_view{"--expect-head="}.size());
        } else {
            std::cerr << "chelete ledger verify: unknown argument '" << args[i] << "'\n";
            return std::nullopt;
        }
        options.expect_head = ledger::parse_batch_head(value);
        if (!options.expect_head) {
            std::cerr
                << "chelete ledger verify: --expect-head takes <seq>:<digest>, a batch number "
                   "and its 64 hex digits (as ledger.batch_committed publishes them)\n";
            return std::nullopt;
        }
    }
    return options;
}

int verify(const Settings& s, const ledger::VerifyOptions& options) {
    const auto report =
        ledger::verify_ledger(s.platform.pool_options(s.ledger->schema, 1), nullptr, options);
    std::cout << ledger::to_json(report).dump(2) << "\n";
    return report.ok ? 0 : 1;
}

int rotate_keys(const Settings& s) {
    registry::RegistryService service{s.platform, *s.registry};
    service.migrate();
    const auto report = service.rotate_field_keys();
    std::cout
        << nlohmann::json{{"rewritten", report.rewritten}, {"unreadable", report.unreadable}}.dump()
        << "\n";
    return report.unreadable == 0 ? 0 : 1;
}

/// `every_ledger_shard`: `chelete all` runs one ledger service per shard; `chelete ledger` only
/// the shard of CHELETE_LEDGER_SHARD.
int run_services(const Settings& s, bool every_ledger_shard) {
    sigset_t signals;
    block_stop_signals(signals);
    std::vector<std::unique_ptr<ledger::LedgerService>> ledger_services;
    std::unique_ptr<registry::RegistryService> registry_service;
    std::unique_ptr<remittance::RemittanceService> remittance_service;
    std::unique_ptr<compliance::ComplianceService> compliance_service;
    std::unique_ptr<payout::PayoutService> payout_service;
    std::unique_ptr<notifier::NotifierService> notifier_service;
    std::unique_ptr<central_bank::CentralBankService> cbank_service;
    std::unique_ptr<ussd::UssdService> ussd_service;
    std::unique_ptr<gateway::Gateway> gw;
    if (s.ledger) {
        for (std::size_t k = 0; k < s.ledger->layout.shards; ++k) {
            if (!every_ledger_shard && k != s.ledger->shard) {
                continue;
            }
            ledger_services.push_back(
                std::make_unique<ledger::LedgerService>(s.platform, s.ledger->for_shard(k))
            );
            ledger_services.back()->start();
        }
    }
    if (s.registry) {
        registry_service = std::make_unique<registry::RegistryService>(s.platform, *s.registry);
        registry_service->start();
    }
    if (s.compliance) {
        compliance_service =
            std::make_unique<compliance::ComplianceService>(s.platform, *s.compliance);
        compliance_service->start();
    }
    if (s.payout) {
        payout_service = std::make_unique<payout::PayoutService>(
            s.platform, *s.payout, payout::make_partners(*s.payout)
        );
        payout_service->start();
    }
    if (s.notifier) {
        notifier_service = std::make_unique<notifier::NotifierService>(s.platform, *s.notifier);
        notifier_service->start();
    }
    if (s.cbank) {
        cbank_service = std::make_unique<central_bank::CentralBankService>(s.platform, *s.cbank);
        cbank_service->start();
    }
    if (s.ussd) {
        ussd_service = std::make_unique<ussd::UssdService>(s.platform, *s.ussd);
        ussd_service->start();
    }
    if (s.remittance) {
        remittance_service =
            std::make_unique<remittance::RemittanceService>(s.platform, *s.remittance);
        remittance_service->start();
    }
    if (s.gateway) {
        gw = std::make_unique<gateway::Gateway>(*s.gateway, s.platform);
        app::register_service_routes(
            *gw,
            app::ServiceStreams{
                s.ledger_streams.command_streams(),
                s.registry_streams.command_stream,
                s.remit_streams.command_stream,
                s.compliance_streams.command_stream,
                s.payout_command_stream,
                s.cbank_streams.command_stream,
                s.ussd_streams.command_stream}
        );
        gw->start();
        spdlog::info("chelete is up: http://{}:{}", s.gateway->server.host, gw->port());
    }
    wait_for_stop_signal(signals);
    if (gw) {
        gw->stop();
    }
    if (remittance_service) {
        remittance_service->stop();
    }
    if (ussd_service) {
        ussd_service->stop();
    }
    if (compliance_service) {
        compliance_service->stop();
    }
    if (cbank_service) {
        cbank_service->stop();
    }
    if (payout_service) {
        payout_service->stop();
    }
    if (notifier_service) {
        notifier_service->stop();
    }
    if (registry_service) {
        registry_service->stop();
    }
    for (auto& ledger_service : ledger_services) {
        ledger_service->stop();
    }
    return 0;
}

/// The outbox relays of every service schema in one process (`chelete relay`). Each relay takes
/// its schema's advisory lock, so a relay embedded in a service and this one never publish the
/// same schema at once; a killed relay's lock goes with its session and a standby takes over.
int run_relays(const Settings& s) {
    sigset_t signals;
    block_stop_signals(signals);
    std::vector<std::string> schemas;
    for (std::size_t k = 0; s.ledger && k < s.ledger->layout.shards; ++k) {
        schemas.push_back(s.ledger->for_shard(k).schema);
    }
    for (const auto* schema :
         {s.registry ? &s.registry->schema : nullptr,
          s.remittance ? &s.remittance->schema : nullptr,
          s.compliance ? &s.compliance->schema : nullptr,
          s.payout ? &s.payout->schema : nullptr,
          s.cbank ? &s.cbank->schema : nullptr,
          s.ussd ? &s.ussd->schema : nullptr}) {
        if (schema != nullptr) {
            schemas.push_back(*schema);
        }
    }
    std::vector<std::unique_ptr<platform::bus::Outbox>> outboxes;
    std::vector<std::unique_ptr<platform::bus::OutboxRelay>> relays;
    for (const auto& schema : schemas) {
        outboxes.push_back(std::make_unique<platform::bus::Outbox>(schema));
        relays.push_back(std::make_unique<platform::bus::OutboxRelay>(
            s.platform.pool_options(schema, 1), *outboxes.back(), s.platform.bus, s.platform.relay
        ));
        relays.back()->start();
    }
    spdlog::info("outbox relays running for {} schemas", schemas.size());
    wait_for_stop_signal(signals);
    for (auto& relay : relays) {
        relay->stop();
    }
    return 0;
}

void usage() {
    std::cerr << "usage: chelete <all|gateway|ledger [verify [--expect-head <seq>:<digest>]]|"
                 "registry [rotate-keys]|remittance|"
                 "compliance|payout|notifier|central-bank|ussd|relay|migrate|config [--markdown]|"
                 "version>\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c): libpq, hiredis and OpenSSL may raise it
    const std::vector<std::string> args(
        argv + 1, argv + argc
    );  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    if (args.empty()) {
        usage();
        return 2;
    }
    const std::string& command = args[0];
    if (command == "config") {
        return print_config(args.size() > 1 && args[1] == "--markdown");
    }
    if (command == "version") {
        std::cout << "chelete 0.1.0\n";
        return 0;
    }
    Components components;
    if (command == "all") {
        components = Components::everything();
    } else if (command == "gateway") {
        components.gateway = true;
    } else if (command == "ledger") {
        components.ledger = true;
    } else if (command == "registry") {
        components.registry = true;
    } else if (command == "remittance") {
        components.remittance = true;
    } else if (command == "compliance") {
        components.compliance = true;
    } else if (command == "payout") {
        components.payout = true;
    } else if (command == "notifier") {
        components.notifier = true;
    } else if (command == "central-bank") {
        components.cbank = true;
    } else if (command == "ussd") {
        components.ussd = true;
    } else if (command == "migrate" || command == "relay") {
        components.ledger = true;
        components.registry = true;
        components.remittance = true;
        components.compliance = true;
        components.payout = true;
        components.notifier = true;
        components.cbank = true;
        components.ussd = true;
    } else {
        usage();
        return 2;
    }
    if ((command == "ledger" && args.size() > 1 && args[1] != "verify") ||
        (command == "registry" && args.size() > 1 && args[1] != "rotate-keys")) {
        usage();
        return 2;
    }
    std::optional<ledger::VerifyOptions> verify_with;
    if (command == "ledger" && args.size() > 1) {
        verify_with = verify_options(args);
        if (!verify_with) {
            usage();
            return 2;
        }
    }
    platform::ProcessEnvironment env;
    platform::ConfigReader reader{env};
    Settings settings;
    try {
        settings = read_settings(reader, components);
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
        if (command == "relay") {
            return run_relays(settings);
        }
        if (verify_with) {
            return verify(settings, *verify_with);
        }
        if (command == "registry" && args.size() > 1) {
            return rotate_keys(settings);
        }
        return run_services(settings, command == "all");
    } catch (const std::exception& e) {
        spdlog::critical("chelete {} cannot run: {}", command, e.what());
        spdlog::default_logger()->flush();
        return 1;
    }
}
