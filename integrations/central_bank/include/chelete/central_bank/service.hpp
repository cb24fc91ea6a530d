#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <chelete/central_bank/report.hpp>
#include <chelete/platform/api.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/platform/config.hpp>
#include <chelete/platform/pg.hpp>
#include <chelete/platform/settings.hpp>

namespace chelete::central_bank {

/// Where the cbank service listens and publishes; the gateway reads the command stream too.
struct CbankStreams {
    std::string command_stream = "cbank.cmd";
    std::string event_stream = "cbank.events";

    static CbankStreams load(platform::ConfigReader& reader);
};

struct CbankSettings {
    std::string schema = "cbank";
    CbankStreams streams;
    /// Consumed: remit.completed and remit.deposit_received. Not read by load(): the
    /// remittance service owns CHELETE_REMIT_EVENT_STREAM, so the caller copies it here.
    std::string remit_event_stream = "remit.events";
    /// When the previous day's return is produced, local time (+02:00).
    TimeOfDay return_at{2, 0};
    /// How often the job looks for a due return that is missing.
    std::chrono::milliseconds job_interval{std::chrono::seconds{60}};
    ReportThresholds thresholds;

    static CbankSettings load(platform::ConfigReader& reader);
};

/// Message types (docs/central-bank.md "Messages").
namespace messages {
/// On cbank.cmd: the report operations, forwarded by the gateway (the envelope names them).
constexpr std::string_view kHttpRequest = "cbank.http";
/// On cbank.events: {date, version, produced_at, produced_by, reason, files: [...]}.
constexpr std::string_view kReturnProduced = "cbank.return_produced";
// Consumed from remit.events.
constexpr std::string_view kRemitCompleted = "remit.completed";
constexpr std::string_view kDepositReceived = "remit.deposit_received";
}  // namespace messages

[[nodiscard]] std::vector<platform::Migration> cbank_migrations();
/// The operationIds of api-spec/openapi.yaml the service answers (the gateway forwards them).
[[nodiscard]] std::vector<std::string> cbank_operations();

/// The cbank process: a consumer of remit.events (remittances in a final state, cash
/// deposits), consumers of cbank.cmd (the report operations), the outbox relay, and the daily
/// job that produces the previous day's return.
class CentralBankService {
public:
    /// `clock` must outlive the service.
    CentralBankService(
        const platform::PlatformSettings& platform,
        CbankSettings settings,
        const platform::Clock& clock = default_clock()
    );
    ~CentralBankService();
    CentralBankService(const CentralBankService&) = delete;
    CentralBankService& operator=(const CentralBankService&) = delete;
    CentralBankService(CentralBankService&&) = delete;
    CentralBankService& operator=(CentralBankService&&) = delete;

    void migrate();
    void start();
    void stop();

    /// Answers one HTTP operation inside `tx` (what the consumers call; exposed for tests).
    [[nodiscard]] platform::api::Reply handle(
        pqxx::dbtransaction& tx, const platform::api::Request& request
    );
    /// Applies one remit.events message inside `tx`; other types are ignored and malformed
    /// payloads dropped (logged). What the remit.events consumer calls.
    void on_event(pqxx::transaction_base& tx, std::string_view type, std::string_view payload);
    /// Produces the due return (due_return_date) if it is missing; the day produced, or nullopt
    /// when it existed already. What the job runs every `job_interval`.
    std::optional<Date> run_job_once();

private:
    static const platform::Clock& default_clock();
    void job_loop();

    platform::PlatformSettings platform_;
    CbankSettings settings_;
    const platform::Clock& clock_;
    std::unique_ptr<platform::PgPool> pool_;
    std::unique_ptr<platform::bus::Outbox> outbox_;
    std::unique_ptr<platform::bus::OutboxRelay> relay_;
    std::vector<std::unique_ptr<platform::bus::Consumer>> consumers_;
    std::atomic<bool> stopping_{true};
    std::mutex job_mutex_;
    std::condition_variable job_cv_;
    std::thread job_thread_;
};

}  // namespace chelete::central_bank
