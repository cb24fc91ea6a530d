#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/mobile_money/partner.hpp>
#include <chelete/platform/api.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/platform/config.hpp>
#include <chelete/platform/pg.hpp>
#include <chelete/platform/settings.hpp>

namespace chelete::payout {

/// How the payout service treats partners' answers over time (docs/partners.md "The payout
/// service"); the defaults are production values, tests shorten them.
struct PayoutTimings {
    std::chrono::milliseconds callback_wait{std::chrono::seconds{30}};
    std::chrono::milliseconds first_query_after{std::chrono::seconds{5}};
    std::chrono::milliseconds max_query_interval{std::chrono::minutes{15}};
    std::chrono::milliseconds not_sent_retry{std::chrono::seconds{5}};
    std::chrono::milliseconds retry_wait{std::chrono::seconds{60}};
    std::chrono::milliseconds retry_sla{std::chrono::hours{4}};
    /// A payout being sent is leased to one worker this long; a worker that dies mid-send
    /// leaves it to be asked about (never resent blindly) after the lease.
    std::chrono::milliseconds lease{std::chrono::seconds{60}};
    std::chrono::milliseconds poll{std::chrono::milliseconds{500}};
};

/// A partner's connection settings, as configured (the adapters take them).
struct MpesaSettings {
    std::string base_url;  // empty: M-Pesa payouts wait (logged once)
    std::string market = "vodacomLES";
    std::string api_key;
    std::string public_key_pem;  // the portal's RSA public key (PEM text, or read from a file)
    std::string service_provider_code;
    std::string callback_secret;
    std::chrono::milliseconds timeout{std::chrono::seconds{10}};
    std::chrono::seconds session_lifetime{3600};
};

struct EcocashSettings {
    std::string base_url;  // empty: EcoCash payouts wait (logged once)
    std::string client_id;
    std::string client_secret;
    std::string notify_url;  // our callback URL, sent with every disbursement
    std::string callback_secret;
    std::chrono::milliseconds timeout{std::chrono::seconds{10}};
};

struct PayoutSettings {
    std::string schema = "payout";
    /// payout.cmd (requests and the callback operations) and payout.events. Not read by load():
    /// the remittance service owns CHELETE_PAYOUT_COMMAND_STREAM / _EVENT_STREAM, so the caller
    /// copies them here.
    std::string command_stream = "payout.cmd";
    std::string event_stream = "payout.events";
    /// Streams of other services, copied here by the caller as the owners read them: ledger
    /// commands (the partner side of each payout), registry queries (the recipient's national
    /// id on a cash-pickup redeem) and SMS requests (the voucher to the recipient).
    std::string ledger_command = "ledger.cmd";  // shard 0's; shard k's: ledger::shard_stream
    std::size_t ledger_shards = 1;              // CHELETE_LEDGER_SHARDS (docs/scaling.md)
    std::string registry_command = "registry.cmd";
    std::string notify_command = "notify.cmd";
    /// Where the ledger answers this service's commands.
    std::string ledger_replies = "payout.ledger";
    std::size_t consumers = 2;
    std::size_t workers = 2;  // threads that call partners
    /// Cash pickup: how long a voucher can be collected before it expires and the sender is
    /// refunded.
    std::chrono::milliseconds voucher_lifetime{std::chrono::hours{24 * 30}};
    /// How long a redeem waits for the registry's answer about the recipient's national id.
    std::chrono::milliseconds registry_timeout{std::chrono::seconds{5}};
    /// A partner float (less payouts in flight) under this raises the low-float alarm (LSL cents).
    std::int64_t low_float_minor = 1'000'000;
    /// The statement of a UTC day is reconciled automatically after this hour (UTC) of the next.
    int reconcile_after_hour = 2;
    /// How often the jobs run: voucher expiry, reconciliation, float alarms, unconfirmed ledger
    /// postings.
    std::chrono::milliseconds jobs_interval{std::chrono::seconds{5}};
    /// An unconfirmed ledger posting is sent again after this long.
    std::chrono::milliseconds ledger_resend_after{std::chrono::seconds{30}};
    std::size_t claim_batch = 8;
    PayoutTimings timings;
    std::chrono::seconds callback_window{300};
    MpesaSettings mpesa;
    EcocashSettings ecocash;

    static PayoutSettings load(platform::ConfigReader& reader);
};

namespace messages {
constexpr std::string_view kHttpRequest = "payout.http";
constexpr std::string_view kPayoutRequest = "payout.request";  // on payout.cmd
constexpr std::string_view kPayoutOutcome = "payout.outcome";  // on payout.events
/// {remittance_id, voucher_code, expires_at}: a cash-pickup voucher was sent to the recipient.
constexpr std::string_view kVoucherIssued = "payout.voucher_issued";  // on payout.events
/// {partner, float_minor, pending_minor, threshold_minor}: a float runs low.
constexpr std::string_view kFloatLow = "payout.float_low";                // on payout.events
constexpr std::string_view kRecipientCheck = "registry.recipient_check";  // to the registry
/// {remittance_id, phone}: the family asked (by USSD) for their voucher again.
constexpr std::string_view kResendVoucher = "payout.resend_voucher";  // on payout.cmd
}  // namespace messages

/// What the registry says about the person at an agent's counter (registry.recipient_check).
struct RecipientCheck {
    bool beneficiary_found = false;
    bool identity_match = false;
    std::string agent_country;  // "LS", "ZA", or empty for no such agent
};

/// Asks whether a presented national id is the beneficiary's, and where the agent works. The
/// production one asks the registry over the bus; nullopt when it did not answer in time.
class RecipientChecker {
public:
    virtual ~RecipientChecker() = default;
    RecipientChecker() = default;
    RecipientChecker(const RecipientChecker&) = delete;
    RecipientChecker& operator=(const RecipientChecker&) = delete;
    RecipientChecker(RecipientChecker&&) = delete;
    RecipientChecker& operator=(RecipientChecker&&) = delete;
    [[nodiscard]] virtual std::optional<RecipientCheck> check(
        const std::string& beneficiary_id,
        const std::string& national_id,
        const std::string& agent_id
    ) = 0;
};

using Partners = std::map<mobile_money::PartnerId, std::shared_ptr<mobile_money::PayoutPartner>>;

/// The production adapters for every partner with a base URL configured (M-Pesa OpenAPI and
/// EcoCash clients); throws std::invalid_argument for a configuration they cannot use.
[[nodiscard]] Partners make_partners(const PayoutSettings& settings);

[[nodiscard]] std::vector<platform::Migration> payout_migrations();
/// The operationIds of api-spec/openapi.yaml the payout service answers.
[[nodiscard]] std::vector<std::string> payout_operations();
/// Those answered at an agent's counter (a redeem waits for the registry): they arrive on a
/// stream of their own, one message per transaction, so a slow registry answer never delays
/// the replies of other requests past the gateway's timeout.
[[nodiscard]] bool is_counter_operation(std::string_view operation);
[[nodiscard]] inline std::string counter_stream(const std::string& command_stream) {
    return command_stream + ".counter";
}

/// The payout process: consumers of payout.cmd (payout requests from the remittance saga, and the
/// partners' callbacks the gateway forwards), workers that send payouts to partners and ask them
/// about the ones whose outcome is not known, and the outbox relay for payout.events.
class PayoutService {
public:
    /// `partners`: the adapters by partner (a missing one leaves its payouts waiting).
    /// `checker`: how a redeem learns whether a national id is the recipient's.
    PayoutService(
        const platform::PlatformSettings& platform,
        PayoutSettings settings,
        Partners partners,
        const platform::Clock& clock = default_clock(),
        std::shared_ptr<RecipientChecker> checker = nullptr  // null: the registry, over the bus
    );
    ~PayoutService();
    PayoutService(const PayoutService&) = delete;
    PayoutService& operator=(const PayoutService&) = delete;
    PayoutService(PayoutService&&) = delete;
    PayoutService& operator=(PayoutService&&) = delete;

    void migrate();
    /// Migrates, starts the relay, the consumers and the workers.
    void start();
    void stop();

    /// Takes one payout.request payload inside `tx` (what the consumer calls). Idempotent: a
    /// request for a remittance already known changes nothing.
    void accept_request(pqxx::dbtransaction& tx, const nlohmann::json& payload);
    /// Takes one payout.resend_voucher payload inside `tx` (what the consumer calls; the message
    /// id names the SMS, so a redelivery sends nothing new): a live voucher's code with a new PIN.
    void resend_voucher(
        pqxx::dbtransaction& tx, const nlohmann::json& payload, const std::string& message_id
    );
    /// Answers one forwarded HTTP operation (the callbacks) inside `tx`.
    [[nodiscard]] platform::api::Reply handle(
        pqxx::dbtransaction& tx, const platform::api::Request& request
    );
    /// Takes the ledger's answer to one of this service's commands inside `tx` (what the
    /// ledger-reply consumer calls): confirms a posting, or renews its ids to send it again.
    void apply_ledger_reply(pqxx::transaction_base& tx, const platform::bus::Message& reply);
    /// One pass of a worker: claims due payouts, sends or asks about each. Returns how many it
    /// handled. What the worker threads loop on; tests call it directly.
    std::size_t work_once();
    /// One pass of the jobs (what the jobs thread loops on; tests call it): expires uncollected
    /// vouchers, queues the daily reconciliations and runs queued ones, raises or clears the
    /// low-float alarms, and sends unconfirmed ledger postings again.
    void run_jobs_once();

private:
    static const platform::Clock& default_clock();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chelete::payout
