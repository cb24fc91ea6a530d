#include "chelete_process.hpp"

#include <csignal>

#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <unistd.h>

#include <chelete/gateway/jwt.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/platform/random_ids.hpp>

namespace chelete::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSecret = "e2e-test-token-secret-0123456789abcdef";

}  // namespace

CheleteProcess::CheleteProcess(const std::map<std::string, std::string>& extra_env) {
    ledger_schema_ = unique_name("e2e_ledger");
    registry_schema_ = unique_name("e2e_registry");
    ledger_stream_ = unique_name("ledger.cmd.e2e");
    remit_schema_ = unique_name("e2e_remit");
    remit_ledger_replies_ = unique_name("remit.ledger.e2e");
    compliance_schema_ = unique_name("e2e_compliance");
    cbank_schema_ = unique_name("e2e_cbank");
    payout_command_ = unique_name("payout.cmd.e2e");
    payout_events_ = unique_name("payout.events.e2e");
    log_file_ = "/tmp/" + registry_schema_ + ".log";
    // A test that must know the port before the start (partners' callback URLs) names it.
    const auto named_port = extra_env.find("CHELETE_HTTP_PORT");
    port_ = named_port != extra_env.end()
                ? static_cast<std::uint16_t>(std::stoi(named_port->second))
                : unused_port();
    payout_schema_ = unique_name("e2e_payout");
    notify_schema_ = unique_name("e2e_notify");
    remit_command_ = unique_name("remit.cmd.e2e");
    ussd_schema_ = unique_name("e2e_ussd");
    ussd_session_prefix_ = unique_name("ussd") + ":session:";
    std::map<std::string, std::string> env{
        {"CHELETE_PG_DSN", *pg_dsn()},
        {"CHELETE_REDIS_PORT", std::to_string(redis_options()->port)},
        {"CHELETE_TOKEN_SECRET", std::string{kSecret}},
        {"CHELETE_HTTP_PORT", std::to_string(port_)},
        {"CHELETE_HTTP_DRAIN", "100ms"},
        {"CHELETE_LEDGER_SCHEMA", ledger_schema_},
        {"CHELETE_LEDGER_COMMAND_STREAM", ledger_stream_},
        {"CHELETE_LEDGER_EVENT_STREAM", ledger_stream_ + ".events"},
        {"CHELETE_REGISTRY_SCHEMA", registry_schema_},
        {"CHELETE_REGISTRY_COMMAND_STREAM", unique_name("registry.cmd.e2e")},
        {"CHELETE_REGISTRY_EVENT_STREAM", unique_name("registry.events.e2e")},
        {"CHELETE_NOTIFY_STREAM", unique_name("notify.cmd.e2e")},
        {"CHELETE_REMIT_SCHEMA", remit_schema_},
        {"CHELETE_REMIT_COMMAND_STREAM", remit_command_},
        {"CHELETE_USSD_SCHEMA", ussd_schema_},
        {"CHELETE_USSD_COMMAND_STREAM", unique_name("ussd.cmd.e2e")},
        {"CHELETE_USSD_SESSION_PREFIX", ussd_session_prefix_},
        {"CHELETE_REMIT_EVENT_STREAM", unique_name("remit.events.e2e")},
        {"CHELETE_REMIT_LEDGER_REPLY_STREAM", remit_ledger_replies_},
        {"CHELETE_PAYOUT_COMMAND_STREAM", payout_command_},
        {"CHELETE_PAYOUT_EVENT_STREAM", payout_events_},
        {"CHELETE_PAYOUT_SCHEMA", payout_schema_},
        {"CHELETE_NOTIFY_SCHEMA", notify_schema_},
        {"CHELETE_COMPLIANCE_SCHEMA", compliance_schema_},
        {"CHELETE_CBANK_SCHEMA", cbank_schema_},
        {"CHELETE_CBANK_COMMAND_STREAM", unique_name("cbank.cmd.e2e")},
        {"CHELETE_CBANK_EVENT_STREAM", unique_name("cbank.events.e2e")},
        {"CHELETE_COMPLIANCE_COMMAND_STREAM", unique_name("compliance.cmd.e2e")},
        {"CHELETE_COMPLIANCE_EVENT_STREAM", unique_name("compliance.events.e2e")},
        {"CHELETE_ADMIN_PASSWORD", kAdminPassword},
        {"CHELETE_FIELD_KEYS", "k1:" + std::string(64, 'a')},
        {"CHELETE_LOOKUP_KEY", std::string(64, 'b')},
        {"CHELETE_LETTER_SIGNING_KEY", std::string(64, 'c')},
        {"CHELETE_RATE_LIMIT_PREFIX", unique_name("rl") + ":"},
        {"CHELETE_RATE_BURST_ANONYMOUS", "10000"},
        {"CHELETE_RELAY_POLL_INTERVAL", "20ms"},
        {"CHELETE_LOG_LEVEL", "warn"},
        {"CHELETE_INSTANCE_ID", registry_schema_}};
    for (const auto& [k, v] : extra_env) {
        env[k] = v;
    }
    ledger_shards_ =
        std::stoi(env.count("CHELETE_LEDGER_SHARDS") > 0 ? env["CHELETE_LEDGER_SHARDS"] : "1");
    process_ = std::make_unique<ChildProcess>(
        built_program("chelete"),
        std::vector<std::string>{"all"},
        std::vector<std::pair<std::string, std::string>>(env.begin(), env.end()),
        log_file_
    );
    http_ = std::make_unique<HttpClient>(base_url());
    ready_ = wait_until(
        [&] {
            try {
                return http_->get("/readyz").status == 200;
            } catch (const std::exception&) {
                return false;  // not listening yet
            }
        },
        60s
    );
    EXPECT_TRUE(ready_) << "chelete all did not become ready; see " << log_file_;
}

CheleteProcess::~CheleteProcess() {
    if (process_) {
        process_->kill(SIGTERM);
        EXPECT_TRUE(process_->wait_for(20s).has_value()) << "chelete all did not stop on SIGTERM";
    }
    try {
        pqxx::connection c{*pg_dsn()};
        pqxx::work tx{c};
        tx.exec("DROP SCHEMA IF EXISTS " + ledger_schema_ + " CASCADE");
        for (int k = 1; k < ledger_shards_; ++k) {  // shard k's schema: docs/scaling.md
            tx.exec(
                "DROP SCHEMA IF EXISTS " + ledger_schema_ + "_" + std::to_string(k) + " CASCADE"
            );
        }
        for (const auto* schema :
             {&registry_schema_,
              &remit_schema_,
              &compliance_schema_,
              &cbank_schema_,
              &payout_schema_,
              &notify_schema_,
              &ussd_schema_}) {
            tx.exec("DROP SCHEMA IF EXISTS " + *schema + " CASCADE");
        }
        tx.commit();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "dropping the test schemas: " << e.what();
    }
}

std::string CheleteProcess::base_url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
}

std::string CheleteProcess::token(const std::string& role, const std::string& subject) const {
    static const platform::SystemClock clock;
    const gateway::TokenService tokens{
        {gateway::TokenKey{"k1", std::string{kSecret}}}, gateway::TokenSettings{}, clock};
    return tokens.issue(gateway::Principal{subject, role, 0, platform::new_uuid()});
}

}  // namespace chelete::testing
