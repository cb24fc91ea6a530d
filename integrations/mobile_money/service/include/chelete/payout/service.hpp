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
    std::size_t consumers = 2;
    std::size_t workers = 2;  // threads that call partners
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
}  // namespace messages

using Partners = std::map<mobile_money::PartnerId, std::shared_ptr<mobile_money::PayoutPartner>>;

/// The production adapters for every partner with a base URL configured (M-Pesa OpenAPI and
/// EcoCash clients); throws std::invalid_argument for a configuration they cannot use.
[[nodiscard]] Partners make_partners(const PayoutSettings& settings);

[[nodiscard]] std::vector<platform::Migration> payout_migrations();
/// The operationIds of api-spec/openapi.yaml the payout service answers.
[[nodiscard]] std::vector<std::string> payout_operations();

/// The payout process: consumers of payout.cmd (payout requests from the remittance saga, and the
/// partners' callbacks the gateway forwards), workers that send payouts to partners and ask them
/// about the ones whose outcome is not known, and the outbox relay for payout.events.
class PayoutService {
public:
    /// `partners`: the adapters by partner (a missing one leaves its payouts waiting).
    PayoutService(
        const platform::PlatformSettings& platform,
        PayoutSettings settings,
        Partners partners,
        const platform::Clock& clock = default_clock()
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
    /// Answers one forwarded HTTP operation (the callbacks) inside `tx`.
    [[nodiscard]] platform::api::Reply handle(
        pqxx::dbtransaction& tx, const platform::api::Request& request
    );
    /// One pass of a worker: claims due payouts, sends or asks about each. Returns how many it
    /// handled. What the worker threads loop on; tests call it directly.
    std::size_t work_once();

private:
    static const platform::Clock& default_clock();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chelete::payout
