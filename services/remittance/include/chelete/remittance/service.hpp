#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <chelete/platform/api.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/platform/config.hpp>
#include <chelete/platform/pg.hpp>
#include <chelete/platform/settings.hpp>

namespace chelete::remittance {

/// Where the remittance service listens; the gateway reads the command stream too.
struct RemitStreams {
    std::string command_stream = "remit.cmd";
    std::string event_stream = "remit.events";

    static RemitStreams load(platform::ConfigReader& reader);
};

/// The streams the saga talks over (docs/remittance.md "The saga").
struct SagaStreams {
    std::string ledger_command = "ledger.cmd";      // the ledger's command stream (shard 0's)
    std::size_t ledger_shards = 1;                  // CHELETE_LEDGER_SHARDS (docs/scaling.md)
    std::string ledger_replies = "remit.ledger";    // where the ledger answers our commands
    std::string registry_command = "registry.cmd";  // registry.parties queries
    std::string compliance_command = "compliance.cmd";
    std::string compliance_events = "compliance.events";
    std::string payout_command = "payout.cmd";
    std::string payout_events = "payout.events";
    /// SMS requests to sender and recipient (notify.sms; CHELETE_NOTIFY_STREAM, copied by the
    /// caller from the registry's or the notifier's settings).
    std::string notify_command = "notify.cmd";
};

struct RemittanceSettings {
    std::string schema = "remit";
    RemitStreams streams;
    SagaStreams saga;
    std::size_t consumers = 2;
    // Pricing, as configured (validated into a PricingConfig by load()).
    std::string fee_schedule;
    std::int64_t send_min_minor = 0;
    std::int64_t send_max_minor = 0;
    std::string payout_fees;
    std::string rates;
    std::chrono::seconds quote_validity{15 * 60};
    std::int64_t deposit_min_minor = 1'000;         // R10.00
    std::int64_t deposit_max_minor = 10'000'000;    // R100,000.00
    std::chrono::milliseconds party_timeout{3000};  // a registry.parties or ledger query
    /// Saga steps with no answer after this long are asked again (idempotent on both ends).
    std::chrono::milliseconds stuck_after{std::chrono::seconds{30}};
    std::chrono::milliseconds sweep_interval{std::chrono::seconds{10}};

    /// Reads the settings; the streams of other services are filled in by the caller.
    static RemittanceSettings load(platform::ConfigReader& reader);
};

/// Message types (docs/remittance.md "Messages").
namespace messages {
constexpr std::string_view kHttpRequest = "remit.http";
/// The USSD service's messages on remit.cmd (docs/ussd.md): `{phone}` → the remittances sent to
/// that phone, newest first; `{remittance_id, phone, method}` (a command) → the family's payout
/// method, accepted only before the payout starts.
constexpr std::string_view kUssdIncoming = "remit.ussd_incoming";
constexpr std::string_view kChooseMethod = "remit.choose_method";
// Events on remit.events.
constexpr std::string_view kStatusChanged = "remit.status_changed";
constexpr std::string_view kDepositReceived = "remit.deposit_received";
/// A remittance reached a final state: its whole record (docs/central-bank.md "The event").
constexpr std::string_view kCompleted = "remit.completed";
// The payout hand-off.
constexpr std::string_view kPayoutRequest = "payout.request";  // on payout.cmd
constexpr std::string_view kPayoutOutcome = "payout.outcome";  // on payout.events
/// {remittance_id, voucher_code, expires_at}: a cash-pickup voucher reached the recipient.
constexpr std::string_view kVoucherIssued = "payout.voucher_issued";  // on payout.events
}  // namespace messages

/// Ledger account codes (docs/ledger.md "Chart of accounts") and transfer codes the service uses.
namespace codes {
constexpr int kWalletAccount = 100;
constexpr int kAgentFloatAccount = 200;
constexpr int kInTransitAccount = 300;
constexpr int kFeeRevenueAccount = 400;
constexpr int kDepositTransfer = 1;
constexpr int kRemittanceTransfer = 2;
constexpr int kFeeTransfer = 3;
}  // namespace codes

[[nodiscard]] std::vector<platform::Migration> remittance_migrations();
/// The operationIds of api-spec/openapi.yaml the service answers (the gateway forwards them).
[[nodiscard]] std::vector<std::string> remittance_operations();

/// Deterministic 128-bit ids derived from a name: the ledger ids of wallets, agent floats and a
/// remittance's transfers, so every retry asks for the same thing.
[[nodiscard]] std::string derived_id(std::string_view name);
[[nodiscard]] std::string wallet_account_id(std::string_view worker_id);

/// The remittance process: consumers of remit.cmd (the HTTP operations), compliance.events, the
/// ledger's replies and payout.events (the saga), the outbox relay, and a sweeper that asks again
/// for saga steps left without an answer.
class RemittanceService {
public:
    RemittanceService(
        const platform::PlatformSettings& platform,
        RemittanceSettings settings,
        const platform::Clock& clock = default_clock()
    );
    ~RemittanceService();
    RemittanceService(const RemittanceService&) = delete;
    RemittanceService& operator=(const RemittanceService&) = delete;
    RemittanceService(RemittanceService&&) = delete;
    RemittanceService& operator=(RemittanceService&&) = delete;

    void migrate();
    void start();
    void stop();

    /// Asks again for every saga step older than `stuck_after`; returns how many. Idempotent.
    int sweep();

private:
    static const platform::Clock& default_clock();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chelete::remittance
