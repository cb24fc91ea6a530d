#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <chelete/platform/api.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/platform/config.hpp>
#include <chelete/platform/pg.hpp>
#include <chelete/platform/settings.hpp>

namespace chelete::compliance {

/// Where compliance listens and publishes; the gateway reads the command stream too.
struct ComplianceStreams {
    std::string command_stream = "compliance.cmd";
    std::string event_stream = "compliance.events";

    static ComplianceStreams load(platform::ConfigReader& reader);
};

struct ComplianceSettings {
    std::string schema = "compliance";
    ComplianceStreams streams;
    /// Consumed: remit.status_changed and remit.deposit_received. Not read by load(): the
    /// remittance service owns CHELETE_REMIT_EVENT_STREAM, so the caller copies
    /// RemitStreams::event_stream here.
    std::string remit_event_stream = "remit.events";
    /// Consumed: registry.trafficking_alert. Not read by load(): the registry owns
    /// CHELETE_REGISTRY_EVENT_STREAM, so the caller copies RegistryStreams::event_stream here.
    std::string registry_event_stream = "registry.events";
    std::size_t consumers = 2;  // consumer threads on the command stream
    // The policy as configured (docs/compliance.md "Configuration"); load() checks that it parses.
    std::string limits;
    std::string match_threshold;
    std::string velocity;
    std::string structuring;
    /// The watchlist CSV; empty: an empty list.
    std::string watchlist_path;
    /// How often the file's modification time is checked; a changed file is read again.
    std::chrono::milliseconds watchlist_reload{std::chrono::seconds{60}};

    /// Defaults as documented (the domain's defaults for the policy strings).
    ComplianceSettings();
    static ComplianceSettings load(platform::ConfigReader& reader);
};

/// Message types. The gateway forwards every compliance operation as kHttpRequest on the
/// command stream (the envelope names the operation).
namespace messages {
constexpr std::string_view kHttpRequest = "compliance.http";
/// On compliance.cmd, from the remittance service (no reply: the answer is kScreened).
constexpr std::string_view kScreen = "compliance.screen";
// Events on compliance.events.
constexpr std::string_view kScreened = "compliance.screened";
constexpr std::string_view kCaseDecided = "compliance.case_decided";
// Consumed from other services' event streams.
constexpr std::string_view kRemitStatusChanged = "remit.status_changed";
constexpr std::string_view kRemitDepositReceived = "remit.deposit_received";
constexpr std::string_view kTraffickingAlert = "registry.trafficking_alert";
}  // namespace messages

[[nodiscard]] std::vector<platform::Migration> compliance_migrations();
/// The operationIds of api-spec/openapi.yaml compliance answers (the gateway forwards them).
[[nodiscard]] std::vector<std::string> compliance_operations();

/// The compliance process: consumers of compliance.cmd (screening requests and the cases and
/// reports API), of remit.events (remittance states, cash deposits) and of registry.events
/// (trafficking alerts), the outbox relay, and the watchlist reloader. Every effect commits with
/// its inbox row; every event leaves through the outbox.
class ComplianceService {
public:
    /// Parses the policy and reads the watchlist file: throws std::invalid_argument when the
    /// policy does not parse and std::runtime_error when the file cannot be read or parsed.
    /// `clock` must outlive the service.
    ComplianceService(
        const platform::PlatformSettings& platform,
        ComplianceSettings settings,
        const platform::Clock& clock = default_clock()
    );
    ~ComplianceService();
    ComplianceService(const ComplianceService&) = delete;
    ComplianceService& operator=(const ComplianceService&) = delete;
    ComplianceService(ComplianceService&&) = delete;
    ComplianceService& operator=(ComplianceService&&) = delete;

    /// Migrates, starts the relay, the consumers and the watchlist reloader.
    void start();
    void stop();
    /// Applies the bus tables and compliance's migrations (start() does it too).
    void migrate();

    /// Answers one HTTP operation inside `tx` (what the consumers call; exposed for tests).
    [[nodiscard]] platform::api::Reply handle(
        pqxx::dbtransaction& tx, const platform::api::Request& request
    );

    /// Screens one remittance (a compliance.screen payload) inside `tx`: under the sender's lock,
    /// decides, records the screening, the case and the threshold flags, and enqueues
    /// compliance.screened. Returns that event's payload. A remittance screened before is not
    /// screened again: its stored outcome is published again. A malformed payload is logged and
    /// dropped: nothing is written or published, and the result is std::nullopt.
    std::optional<nlohmann::json> screen(pqxx::dbtransaction& tx, const nlohmann::json& payload);

    /// Applies one consumed event (remit.status_changed, remit.deposit_received,
    /// registry.trafficking_alert) inside `tx`; other types and malformed payloads are ignored
    /// (logged). What the remit.events and registry.events consumers call.
    void on_event(pqxx::dbtransaction& tx, std::string_view type, const nlohmann::json& payload);

    /// Reads the watchlist file again now. On a read or parse error the old list stays and the
    /// error (with its line) is logged.
    void reload_watchlist();
    /// Entries in the current list, and its version (the first 16 hex digits of the file's
    /// SHA-256, "empty" without a file): each screening records the version it used.
    [[nodiscard]] std::size_t watchlist_size() const;
    [[nodiscard]] std::string watchlist_version() const;

private:
    struct Impl;
    static const platform::Clock& default_clock();
    void reload_loop();

    platform::PlatformSettings platform_;
    ComplianceSettings settings_;
    const platform::Clock& clock_;
    std::unique_ptr<Impl> impl_;
    std::unique_ptr<platform::PgPool> pool_;
    std::unique_ptr<platform::bus::Outbox> outbox_;
    std::unique_ptr<platform::bus::OutboxRelay> relay_;
    std::vector<std::unique_ptr<platform::bus::Consumer>> consumers_;
    std::atomic<bool> stopping_{false};
    std::mutex reload_mutex_;
    std::condition_variable reload_cv_;
    std::thread reload_thread_;
};

}  // namespace chelete::compliance
