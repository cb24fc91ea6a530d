#pragma once

// What the remittance service's handlers and saga steps share: settings, pricing, the clock, the
// outbox, and the bus client for queries to the registry and the ledger.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chelete/ledger/shards.hpp>
#include <chelete/platform/api.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/remittance/service.hpp>

#include "domain/pricing.hpp"
#include "domain/remittance_state.hpp"

namespace chelete::remittance::detail {

using nlohmann::json;
namespace api = platform::api;

struct Context {
    const RemittanceSettings& settings;
    const PricingConfig& pricing;
    const platform::Clock& clock;
    platform::bus::Outbox& outbox;
    platform::bus::BusClient& bus;

    /// A synchronous query to another service (registry.parties, ledger reads): the reply, or
    /// nullopt when it did not answer within settings.party_timeout.
    [[nodiscard]] std::optional<api::Reply> query(
        const std::string& stream, std::string_view type, const json& payload
    ) const;
    void publish(pqxx::transaction_base& tx, std::string_view type, const json& payload) const;
    void send(
        pqxx::transaction_base& tx,
        const std::string& stream,
        std::string_view type,
        const json& payload,
        const std::string& reply_to = {}
    ) const;
};

using Handler = api::Reply (*)(const Context&, pqxx::dbtransaction&, const api::Request&);

/// 422 naming the fields; a member's text ("" when absent): the platform's (api.hpp).
using api::text_of;
using api::unprocessable;
[[nodiscard]] api::Reply conflict(std::string_view slug, std::string_view detail);
[[nodiscard]] api::Reply unavailable(std::string_view what);
[[nodiscard]] json money(std::int64_t minor, std::string_view currency);

/// The short reference people see in SMS and on USSD (notifications.cpp).
[[nodiscard]] std::string short_ref(const std::string& payout_reference);

// The USSD service's messages on remit.cmd (ussd_messages.cpp; docs/ussd.md): a reply payload.
[[nodiscard]] std::string ussd_incoming(
    const Context& ctx, pqxx::dbtransaction& tx, const json& query, const std::string& request_id
);
[[nodiscard]] std::string choose_payout_method(
    const Context& ctx, pqxx::dbtransaction& tx, const json& command, const std::string& message_id
);

// HTTP operations (http_handlers.cpp).
api::Reply create_deposit(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply get_deposit(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply get_wallet(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply create_quote(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply create_remittance(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply get_remittance(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply list_remittances(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply cancel_remittance(const Context&, pqxx::dbtransaction&, const api::Request&);

/// A remittance as the API shows it (with its status history); nullopt when there is none.
[[nodiscard]] std::optional<json> remittance_view(
    pqxx::transaction_base& tx, const std::string& id
);

// The saga (saga.cpp).

/// Who or what caused a transition, stored with it.
struct Cause {
    std::string reason;
    std::string actor;
};

/// Applies `event` to the remittance (locked FOR UPDATE), through next_state(): the status, one
/// history row, the ledger command its transition calls for, and a remit.status_changed event, all
/// in `tx`. A refused event changes nothing and is answered.
[[nodiscard]] platform::Result<Transition, TransitionError> apply_event(
    const Context& ctx,
    pqxx::transaction_base& tx,
    const std::string& remittance_id,
    RemittanceEvent event,
    const Cause& cause
);

/// Records a new remittance `created`, then `screening` with its compliance.screen request.
void start_remittance(const Context& ctx, pqxx::transaction_base& tx, const std::string& id);

/// The ledger shard of a worker: their wallet and every transfer of their deposits and
/// remittances live there (docs/scaling.md "The ledger: account shards").
[[nodiscard]] std::size_t ledger_shard_of(const Context& ctx, std::string_view worker_id);
/// The command stream of ledger shard `shard`.
[[nodiscard]] std::string ledger_stream(const Context& ctx, std::size_t shard);

/// Ensures the ledger accounts exist (create_accounts through the outbox to `shard`, once per
/// owner).
void ensure_account(
    const Context& ctx,
    pqxx::transaction_base& tx,
    std::size_t shard,
    const std::string& owner,
    const std::string& account_id,
    int code,
    const std::vector<std::string>& flags
);

/// Bus handlers of the saga.
void on_compliance_event(const Context&, pqxx::transaction_base&, const platform::bus::Message&);
void on_ledger_reply(const Context&, pqxx::transaction_base&, const platform::bus::Message&);
void on_payout_event(const Context&, pqxx::transaction_base&, const platform::bus::Message&);

// The remit.completed event (completion_event.cpp).

/// Stores the registry's travel-rule fields (registry.parties' worker and beneficiary) with a
/// new remittance: identity numbers masked only.
void record_travel_rule_snapshot(
    pqxx::transaction_base& tx,
    const std::string& remittance_id,
    const json& worker,
    const json& beneficiary
);

/// When `to` is final (paid, refunded, rejected, cancelled), publishes remit.completed: the
/// remittance's whole record for the central-bank return. Nothing otherwise.
void publish_completion(
    const Context& ctx,
    pqxx::transaction_base& tx,
    const std::string& remittance_id,
    RemittanceState to,
    const Cause& cause
);

// SMS to sender and recipient (notifications.cpp).

/// Enqueues the notify.sms requests that entering `to` from `from` calls for (docs/remittance.md
/// "SMS"): created, paid, failed, refunded, cancelled and rejected; nothing for other states.
void notify_parties(
    const Context& ctx,
    pqxx::transaction_base& tx,
    const std::string& remittance_id,
    RemittanceState from,
    RemittanceState to
);

/// Re-sends the requests of saga steps left without an answer for longer than `stuck_after`.
int resend_stuck(const Context& ctx, pqxx::transaction_base& tx);

inline constexpr const char* kInTransitOwner = "system:in_transit";
inline constexpr const char* kFeeRevenueOwner = "system:fee_revenue";

}  // namespace chelete::remittance::detail
