// The remittance saga (docs/remittance.md "The saga"): every transition goes through
// next_state() in apply_event(), which also writes what the new state asks of other services
// (compliance.screen, the ledger's pending/post/void, payout.request) into the outbox, in the
// same transaction as the status and its history row.
#include <spdlog/spdlog.h>

#include <chelete/ledger/shards.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/platform/id.hpp>

#include "service/context.hpp"

namespace chelete::remittance::detail {
namespace {

namespace bus = platform::bus;

struct Row {
    std::string id;
    RemittanceState status = RemittanceState::kCreated;
    std::string sender_id;
    std::string wallet;
    std::string reserve_id;
    std::string reserve_fee_id;
    std::int64_t send = 0;
    std::int64_t fee = 0;
    std::string ledger_state;
};

constexpr std::string_view kRowColumns =
    "id::text, status, sender_id::text, wallet_account_id::text, reserve_transfer_id::text, "
    "reserve_fee_transfer_id::text, send_minor, fee_minor, ledger_state";

Row row_of(const pqxx::row& r) {
    Row row;
    row.id = r[0].as<std::string>();
    const auto status = remittance_state_from(r[1].as<std::string>());
    if (!status) {
        throw std::runtime_error("remittance " + row.id + " has an unknown status");
    }
    row.status = *status;
    row.sender_id = r[2].as<std::string>();
    row.wallet = r[3].as<std::string>();
    row.reserve_id = r[4].as<std::string>();
    row.reserve_fee_id = r[5].as<std::string>();
    row.send = r[6].as<std::int64_t>();
    row.fee = r[7].as<std::int64_t>();
    row.ledger_state = r[8].as<std::string>();
    return row;
}

std::optional<Row> lock_remittance(pqxx::transaction_base& tx, const std::string& id) {
    const auto rows = tx.exec_params(
        "SELECT " + std::string{kRowColumns} + " FROM remittances WHERE id = $1 FOR UPDATE", id
    );
    if (rows.empty()) {
        return std::nullopt;
    }
    return row_of(rows[0]);
}

std::string account_of(pqxx::transaction_base& tx, const std::string& owner) {
    const auto rows =
        tx.exec_params("SELECT account_id::text FROM ledger_accounts WHERE owner = $1", owner);
    if (rows.empty()) {
        throw std::runtime_error("ledger account '" + owner + "' was never opened");
    }
    return rows[0][0].as<std::string>();
}

json transfer(
    const std::string& id,
    std::int64_t amount,
    int code,
    std::vector<std::string> flags,
    const std::string& remittance_id
) {
    return json{
        {"id", id},
        {"amount", amount},
        {"currency", "ZAR"},
        {"code", code},
        {"flags", std::move(flags)},
        {"user_data_128", remittance_id}};
}

/// The reservation: principal wallet → in-transit and fee wallet → revenue, pending and linked
/// (both or neither). A zero fee has no transfer of its own.
json reserve_command(const Context& ctx, pqxx::transaction_base& tx, const Row& r) {
    const std::size_t shard = ledger_shard_of(ctx, r.sender_id);
    const bool has_fee = r.fee > 0;
    json principal = transfer(
        r.reserve_id,
        r.send - r.fee,
        codes::kRemittanceTransfer,
        has_fee ? std::vector<std::string>{"pending", "linked"}
                : std::vector<std::string>{"pending"},
        r.id
    );
    principal["debit_account_id"] = r.wallet;
    principal["credit_account_id"] =
        account_of(tx, ledger::sub_account_name(kInTransitOwner, shard));
    json transfers = json::array({principal});
    if (has_fee) {
        json fee = transfer(r.reserve_fee_id, r.fee, codes::kFeeTransfer, {"pending"}, r.id);
        fee["debit_account_id"] = r.wallet;
        fee["credit_account_id"] =
            account_of(tx, ledger::sub_account_name(kFeeRevenueOwner, shard));
        transfers.push_back(fee);
    }
    return json{{"transfers", transfers}};
}

/// What settles a reservation. A late void has ids of its own: it follows a void the ledger
/// answered `pending_transfer_not_found` (it overtook the reservation), and a transfer id that
/// failed may not be used again.
enum class Settle : std::uint8_t { kPost, kVoid, kLateVoid };

/// The derived ids of a settlement's principal and fee transfers.
struct SettleIds {
    std::string principal;
    std::string fee;
};

SettleIds settle_ids_of(const std::string& remittance_id, Settle kind) {
    switch (kind) {
        case Settle::kPost:
            return {derived_id("post:" + remittance_id), derived_id("post-fee:" + remittance_id)};
        case Settle::kVoid:
            return {derived_id("void:" + remittance_id), derived_id("void-fee:" + remittance_id)};
        case Settle::kLateVoid:
            break;
    }
    return {derived_id("void-late:" + remittance_id), derived_id("void-late-fee:" + remittance_id)};
}

/// Posts or voids both pending transfers (amount 0: the whole pending amount), linked.
json settle_command(const Row& r, Settle kind) {
    const bool has_fee = r.fee > 0;
    const std::string flag =
        kind == Settle::kPost ? "post_pending_transfer" : "void_pending_transfer";
    const SettleIds ids = settle_ids_of(r.id, kind);
    json principal = transfer(
        ids.principal,
        0,
        codes::kRemittanceTransfer,
        has_fee ? std::vector<std::string>{flag, "linked"} : std::vector<std::string>{flag},
        r.id
    );
    principal["pending_id"] = r.reserve_id;
    json transfers = json::array({principal});
    if (has_fee) {
        json fee = transfer(ids.fee, 0, codes::kFeeTransfer, {flag}, r.id);
        fee["pending_id"] = r.reserve_fee_id;
        transfers.push_back(fee);
    }
    return json{{"transfers", transfers}};
}

/// Sends a command to the ledger shard of the worker whose money it moves.
void send_ledger(
    const Context& ctx,
    pqxx::transaction_base& tx,
    const std::string& worker_id,
    const json& command
) {
    ctx.send(
        tx,
        ledger_stream(ctx, ledger_shard_of(ctx, worker_id)),
        "ledger.create_transfers",
        command,
        ctx.settings.saga.ledger_replies
    );
}

json screen_request(pqxx::transaction_base& tx, const std::string& id) {
    const auto r = tx.exec_params1(
        "SELECT sender_id::text, sender_kyc_tier, sender_name, sender_date_of_birth::text, "
        "beneficiary_id::text, beneficiary_name, send_minor - fee_minor, payout_method, "
        "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
        "FROM remittances WHERE id = $1",
        id
    );
    return json{
        {"remittance_id", id},
        {"sender",
         {{"id", r[0].as<std::string>()},
          {"kyc_tier", r[1].as<std::string>()},
          {"full_name", r[2].as<std::string>()},
          {"date_of_birth", r[3].is_null() ? json(nullptr) : json(r[3].as<std::string>())}}},
        {"beneficiary", {{"id", r[4].as<std::string>()}, {"full_name", r[5].as<std::string>()}}},
        // Compliance screens the money that leaves for Lesotho: the send amount less the fee.
        {"send_amount_minor", r[6].as<std::int64_t>()},
        {"payout_method", r[7].as<std::string>()},
        {"requested_at", r[8].as<std::string>()}};
}

json payout_request(pqxx::transaction_base& tx, const std::string& id) {
    const auto r = tx.exec_params1(
        "SELECT payout_reference, payout_method, receive_minor, beneficiary_id::text, "
        "beneficiary_name, beneficiary_phone, sender_id::text, sender_name, purpose, "
        "send_minor - fee_minor, "
        "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
        "FROM remittances WHERE id = $1",
        id
    );
    return json{
        {"remittance_id", id},
        {"payout_reference", r[0].as<std::string>()},
        {"method", r[1].as<std::string>()},
        {"amount_minor", r[2].as<std::int64_t>()},
        {"currency", "LSL"},
        {"recipient",
         {{"beneficiary_id", r[3].as<std::string>()},
          {"full_name", r[4].as<std::string>()},
          {"phone", r[5].as<std::string>()}}},
        {"sender", {{"id", r[6].as<std::string>()}, {"full_name", r[7].as<std::string>()}}},
        {"purpose", r[8].as<std::string>()},
        // The rand leg of the payout's ledger posting (in transit → liquidity).
        {"principal_minor", r[9].as<std::int64_t>()},
        {"created_at", r[10].as<std::string>()}};
}

bool accepted(const std::string& result) {
    return result == "ok" || result == "exists";
}

std::string joined_texts(const json& reasons) {
    std::string out;
    if (!reasons.is_array()) {
        return out;
    }
    for (const auto& r : reasons) {
        const std::string text = text_of(r, "text");
        if (!text.empty()) {
            out += (out.empty() ? "" : "; ") + text;
        }
    }
    return out;
}

void ignore_refusal(
    const platform::Result<Transition, TransitionError>& result,
    const std::string& id,
    std::string_view what
) {
    if (!result) {
        // A duplicate or late message (the machine refuses it); nothing to do.
        spdlog::info("remittance {}: {} ignored ({})", id, what, result.error().message);
    }
}

/// Voids a reservation that landed after the cancel's void had found nothing (ledger_state
/// voided_nothing_pending), with the late void's own ids. The status is final already: only
/// the ledger state moves, to void_late_requested, which the sweeper sends again until answered.
void late_void(
    const Context& ctx, pqxx::transaction_base& tx, const std::string& id, const std::string& now
) {
    const auto row = lock_remittance(tx, id);
    if (!row) {
        return;
    }
    spdlog::warn(
        "remittance {}: the reservation landed after its void found nothing; voiding it again", id
    );
    send_ledger(ctx, tx, row->sender_id, settle_command(*row, Settle::kLateVoid));
    tx.exec_params0(
        "UPDATE remittances SET ledger_state = 'void_late_requested', settle_transfer_id = $2, "
        "step_requested_at = $3 WHERE id = $1",
        id,
        settle_ids_of(id, Settle::kLateVoid).principal,
        now
    );
}

}  // namespace

platform::Result<Transition, TransitionError> apply_event(
    const Context& ctx,
    pqxx::transaction_base& tx,
    const std::string& remittance_id,
    RemittanceEvent event,
    const Cause& cause
) {
    const auto row = lock_remittance(tx, remittance_id);
    if (!row) {
        return platform::err(TransitionError{TransitionRefusal::kNotAllowed, "no such remittance"});
    }
    auto transition = next_state(row->status, event);
    if (!transition) {
        return transition;
    }
    const Transition t = transition.value();
    const std::string now = platform::format_rfc3339(ctx.clock.now());
    const std::string status{to_string(t.to)};
    tx.exec_params0(
        "UPDATE remittances SET status = $2, updated_at = $3 WHERE id = $1",
        remittance_id,
        status,
        now
    );
    tx.exec_params0(
        "INSERT INTO remittance_history (remittance_id, seq, status, at, reason, actor) "
        "SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5 FROM remittance_history "
        "WHERE remittance_id = $1",
        remittance_id,
        status,
        now,
        cause.reason.empty() ? std::string{to_string(event)} : cause.reason,
        cause.actor
    );
    switch (t.ledger) {
        case LedgerAction::kNone:
            break;
        case LedgerAction::kPendingTransfer:
            send_ledger(ctx, tx, row->sender_id, reserve_command(ctx, tx, *row));
            tx.exec_params0(
                "UPDATE remittances SET ledger_state = 'reserve_requested', step_requested_at = "
                "$2 WHERE id = $1",
                remittance_id,
                now
            );
            break;
        case LedgerAction::kPost:
        case LedgerAction::kVoid: {
            const bool post = t.ledger == LedgerAction::kPost;
            const Settle kind = post ? Settle::kPost : Settle::kVoid;
            send_ledger(ctx, tx, row->sender_id, settle_command(*row, kind));
            tx.exec_params0(
                "UPDATE remittances SET ledger_state = $2, settle_transfer_id = $3, "
                "step_requested_at = $4 WHERE id = $1",
                remittance_id,
                std::string{post ? "post_requested" : "void_requested"},
                settle_ids_of(remittance_id, kind).principal,
                now
            );
            break;
        }
    }
    // What entering the state asks of the other services.
    if (t.to == RemittanceState::kScreening) {
        ctx.send(
            tx,
            ctx.settings.saga.compliance_command,
            "compliance.screen",
            screen_request(tx, remittance_id)
        );
        tx.exec_params0(
            "UPDATE remittances SET step_requested_at = $2 WHERE id = $1", remittance_id, now
        );
    } else if (t.to == RemittanceState::kPayoutPending) {
        ctx.send(
            tx,
            ctx.settings.saga.payout_command,
            messages::kPayoutRequest,
            payout_request(tx, remittance_id)
        );
    }
    ctx.publish(
        tx,
        messages::kStatusChanged,
        json{
            {"remittance_id", remittance_id},
            {"sender_id", row->sender_id},
            {"status", status},
            {"reason", cause.reason},
            {"at", now}}
    );
    publish_completion(ctx, tx, remittance_id, t.to, cause);  // remit.completed when final
    notify_parties(ctx, tx, remittance_id, row->status, t.to);
    return transition;
}

void start_remittance(const Context& ctx, pqxx::transaction_base& tx, const std::string& id) {
    const std::string now = platform::format_rfc3339(ctx.clock.now());
    tx.exec_params0(
        "INSERT INTO remittance_history (remittance_id, seq, status, at, reason, actor) VALUES "
        "($1, 1, 'created', $2, 'created', 'sender')",
        id,
        now
    );
    const auto started = apply_event(
        ctx, tx, id, RemittanceEvent::kStartScreening, {"sent to compliance screening", "system"}
    );
    if (!started) {
        throw std::logic_error("a created remittance must start screening");
    }
}

std::size_t ledger_shard_of(const Context& ctx, std::string_view worker_id) {
    return ledger::shard_of(worker_id, ctx.settings.saga.ledger_shards);
}

std::string ledger_stream(const Context& ctx, std::size_t shard) {
    return ledger::shard_stream(ctx.settings.saga.ledger_command, shard);
}

void ensure_account(
    const Context& ctx,
    pqxx::transaction_base& tx,
    std::size_t shard,
    const std::string& owner,
    const std::string& account_id,
    int code,
    const std::vector<std::string>& flags
) {
    const auto inserted = tx.exec_params(
        "INSERT INTO ledger_accounts (owner, account_id, code, currency) VALUES ($1, $2, $3, "
        "'ZAR') ON CONFLICT (owner) DO NOTHING",
        owner,
        account_id,
        code
    );
    if (inserted.affected_rows() == 0) {
        return;
    }
    // Creating an account twice answers `exists`, so a resent command is harmless.
    ctx.send(
        tx,
        ledger_stream(ctx, shard),
        "ledger.create_accounts",
        json{
            {"accounts",
             json::array(
                 {{{"id", account_id}, {"currency", "ZAR"}, {"code", code}, {"flags", flags}}}
             )}},
        ctx.settings.saga.ledger_replies
    );
}

void on_compliance_event(
    const Context& ctx, pqxx::transaction_base& tx, const platform::bus::Message& m
) {
    const auto payload = json::parse(m.payload, nullptr, false);
    const std::string id = text_of(payload, "remittance_id");
    if (id.empty() || !platform::Id128::parse(id)) {
        spdlog::warn("compliance event {} without a remittance id ignored", m.type);
        return;
    }
    const std::string outcome = text_of(payload, "outcome");
    if (m.type == "compliance.screened") {
        const std::string reasons =
            joined_texts(payload.contains("reasons") ? payload["reasons"] : json{});
        RemittanceEvent event = RemittanceEvent::kApprove;
        std::string reason = "approved by screening";
        if (outcome == "held") {
            event = RemittanceEvent::kHold;
            reason = "held for compliance review: " + reasons;
            const std::string case_id = text_of(payload, "case_id");
            if (platform::Id128::parse(case_id)) {
                tx.exec_params0(
                    "UPDATE remittances SET compliance_case_id = $2 WHERE id = $1", id, case_id
                );
            }
        } else if (outcome == "rejected") {
            event = RemittanceEvent::kReject;
            reason = "rejected by screening: " + reasons;
        } else if (outcome != "approved") {
            spdlog::warn("remittance {}: unknown screening outcome '{}' ignored", id, outcome);
            return;
        }
        ignore_refusal(apply_event(ctx, tx, id, event, {reason, "compliance"}), id, m.type);
    } else if (m.type == "compliance.case_decided") {
        const std::string note = text_of(payload, "note");
        const std::string officer = "compliance_officer:" + text_of(payload, "officer_id");
        if (outcome == "approved") {
            ignore_refusal(
                apply_event(
                    ctx,
                    tx,
                    id,
                    RemittanceEvent::kApprove,
                    {"approved by compliance: " + note, officer}
                ),
                id,
                m.type
            );
        } else if (outcome == "rejected") {
            ignore_refusal(
                apply_event(
                    ctx,
                    tx,
                    id,
                    RemittanceEvent::kReject,
                    {"rejected by compliance: " + note, officer}
                ),
                id,
                m.type
            );
        }
    }
}

void on_ledger_reply(
    const Context& ctx, pqxx::transaction_base& tx, const platform::bus::Message& m
) {
    const auto reply = api::Reply::parse(m.payload);
    if (!reply || !reply->body.is_object() || !reply->body.contains("results") ||
        !reply->body["results"].is_array() || reply->body["results"].empty()) {
        // A refused command (malformed): the ledger answered a problem. Ours are well formed,
        // so this is a bug to look at, not a state to move.
        spdlog::error("ledger answered {} with {}", m.type, m.payload);
        return;
    }
    const json& results = reply->body["results"];
    if (m.type == "ledger.create_accounts.reply") {
        for (const auto& r : results) {
            if (!accepted(text_of(r, "result"))) {
                spdlog::error(
                    "ledger refused account {}: {}", text_of(r, "id"), text_of(r, "result")
                );
            }
        }
        return;
    }
    const std::string first_id = text_of(results[0], "id");
    std::string refusal;  // the first result that is not ok/exists
    for (const auto& r : results) {
        const std::string result = text_of(r, "result");
        if (!accepted(result) && (refusal.empty() || refusal == "linked_event_failed")) {
            refusal = result;
        }
    }
    const std::string now = platform::format_rfc3339(ctx.clock.now());

    // A deposit?
    const auto deposit = tx.exec_params(
        "SELECT id::text, worker_id::text, agent_id, amount_minor, status FROM deposits WHERE "
        "transfer_id = $1 FOR UPDATE",
        first_id
    );
    if (!deposit.empty()) {
        if (deposit[0][4].as<std::string>() != "pending") {
            return;
        }
        const std::string deposit_id = deposit[0][0].as<std::string>();
        if (refusal.empty()) {
            tx.exec_params0(
                "UPDATE deposits SET status = 'completed', completed_at = $2 WHERE id = $1",
                deposit_id,
                now
            );
            ctx.publish(
                tx,
                messages::kDepositReceived,
                json{
                    {"deposit_id", deposit_id},
                    {"worker_id", deposit[0][1].as<std::string>()},
                    {"agent_id", deposit[0][2].as<std::string>()},
                    {"amount_minor", deposit[0][3].as<std::int64_t>()},
                    {"at", now}}
            );
        } else {
            spdlog::error("ledger refused deposit {}: {}", deposit_id, refusal);
            tx.exec_params0(
                "UPDATE deposits SET status = 'failed', failure = $2, completed_at = $3 WHERE id "
                "= $1",
                deposit_id,
                refusal,
                now
            );
        }
        return;
    }

    const auto found = tx.exec_params(
        "SELECT id::text, reserve_transfer_id = $1, ledger_state, reservation_landed FROM "
        "remittances WHERE reserve_transfer_id = $1 OR settle_transfer_id = $1 FOR UPDATE",
        first_id
    );
    if (found.empty()) {
        spdlog::warn("ledger reply for unknown transfer {} ignored", first_id);
        return;
    }
    const std::string id = found[0][0].as<std::string>();
    const bool is_reserve = found[0][1].as<bool>();
    const std::string ledger_state = found[0][2].as<std::string>();
    const bool reservation_landed = found[0][3].as<bool>();
    if (is_reserve) {
        if (refusal.empty() && !reservation_landed) {
            // Remembered whatever the state: a void's reply handled after this one (another
            // consumer or instance took it) must know the reservation is held (below).
            tx.exec_params0("UPDATE remittances SET reservation_landed = true WHERE id = $1", id);
        }
        if (ledger_state == "voided_nothing_pending") {
            // The cancel's void reached the ledger before the reservation (a ledger consumer died
            // holding the reservation, which was delivered again later) and found nothing. Now
            // the reservation is in: void it with ids of its own, or the money stays held.
            if (refusal.empty()) {
                late_void(ctx, tx, id, now);
            }
            return;  // a refused reservation holds nothing: the void that found nothing stands
        }
        if (ledger_state != "reserve_requested") {
            return;  // a cancel's void has been asked for since, or a duplicate reply
        }
        if (refusal.empty()) {
            tx.exec_params0(
                "UPDATE remittances SET ledger_state = 'reserved', step_requested_at = NULL "
                "WHERE id = $1",
                id
            );
            const auto funded = apply_event(
                ctx, tx, id, RemittanceEvent::kFunded, {"funds reserved in the ledger", "ledger"}
            );
            if (funded) {
                ignore_refusal(
                    apply_event(
                        ctx,
                        tx,
                        id,
                        RemittanceEvent::kDispatchPayout,
                        {"sent to the payout partner", "system"}
                    ),
                    id,
                    "dispatch"
                );
            }
            return;
        }
        tx.exec_params0(
            "UPDATE remittances SET ledger_state = 'reserve_refused', step_requested_at = NULL "
            "WHERE id = $1",
            id
        );
        // No wallet yet (never a deposit) is the same as an empty one.
        const bool no_funds = refusal == "exceeds_credits" || refusal == "debit_account_not_found";
        const std::string reason =
            no_funds ? "insufficient_funds: the wallet's available balance is below the send amount"
                     : "the ledger refused the reservation: " + refusal;
        ignore_refusal(
            apply_event(ctx, tx, id, RemittanceEvent::kFundingRefused, {reason, "ledger"}),
            id,
            "funding refused"
        );
        return;
    }
    // The post or the void.
    if (ledger_state == "post_requested") {
        if (!refusal.empty()) {
            spdlog::critical("remittance {}: the ledger refused to post: {}", id, refusal);
            return;  // stays post_requested: the sweeper asks again and an operator looks
        }
        tx.exec_params0(
            "UPDATE remittances SET ledger_state = 'posted', step_requested_at = NULL WHERE id = "
            "$1",
            id
        );
        return;
    }
    // Nothing pending (never reserved, or not yet) or already voided: the wallet is whole, for now.
    const bool whole = refusal.empty() || refusal == "pending_transfer_not_found" ||
                       refusal == "pending_transfer_already_voided";
    if (ledger_state == "void_requested") {
        if (!whole) {
            spdlog::critical("remittance {}: the ledger refused to void: {}", id, refusal);
            return;
        }
        const bool found_nothing = refusal == "pending_transfer_not_found";
        if (found_nothing && reservation_landed) {
            // The ledger applied the void before the reservation, and the reservation's reply
            // was handled first (by another consumer), in reserve_requested's stead: the money
            // is held now, so void it late at once.
            late_void(ctx, tx, id, now);
        } else {
            // A void that found nothing is remembered apart: a reservation that was overtaken
            // on its way can still land, and must then be voided (the reservation reply above).
            tx.exec_params0(
                "UPDATE remittances SET ledger_state = $2, step_requested_at = NULL WHERE id = "
                "$1",
                id,
                std::string{found_nothing ? "voided_nothing_pending" : "voided"}
            );
        }
        ignore_refusal(
            apply_event(
                ctx,
                tx,
                id,
                RemittanceEvent::kRefunded,
                {"the reservation was voided: the wallet is whole again", "ledger"}
            ),
            id,
            "refund"
        );
        return;
    }
    if (ledger_state == "void_late_requested") {
        if (!whole) {
            spdlog::critical("remittance {}: the ledger refused the late void: {}", id, refusal);
            return;  // stays void_late_requested: the sweeper asks again and an operator looks
        }
        // The remittance reached its final state with the first void: no transition here.
        tx.exec_params0(
            "UPDATE remittances SET ledger_state = 'voided', step_requested_at = NULL WHERE id = "
            "$1",
            id
        );
    }
}

void on_payout_event(
    const Context& ctx, pqxx::transaction_base& tx, const platform::bus::Message& m
) {
    if (m.type != messages::kPayoutOutcome && m.type != messages::kVoucherIssued) {
        return;
    }
    const auto payload = json::parse(m.payload, nullptr, false);
    const std::string id = text_of(payload, "remittance_id");
    if (!platform::Id128::parse(id)) {
        spdlog::warn("payout event {} without a remittance id ignored", m.type);
        return;
    }
    if (m.type == messages::kVoucherIssued) {
        const std::string code = text_of(payload, "voucher_code");
        const auto expires = platform::parse_rfc3339(text_of(payload, "expires_at"));
        if (code.empty() || !expires) {
            spdlog::warn("remittance {}: malformed voucher event ignored", id);
            return;
        }
        // A voucher belongs to a payout with the partner. Any other state (a cancelled
        // remittance, which never reached it, or one already settled) keeps what it has.
        const auto row = lock_remittance(tx, id);
        if (!row || (row->status != RemittanceState::kPayoutPending &&
                     row->status != RemittanceState::kPayoutUnknown)) {
            spdlog::info(
                "remittance {}: voucher ignored ({})",
                id,
                row ? std::string{to_string(row->status)} : std::string{"no such remittance"}
            );
            return;
        }
        tx.exec_params0(
            "UPDATE remittances SET voucher_code = $2, voucher_expires_at = $3 WHERE id = $1",
            id,
            code,
            platform::format_rfc3339(*expires)
        );
        return;
    }
    const std::string outcome = text_of(payload, "outcome");
    const std::string partner_reference = text_of(payload, "partner_reference");
    const std::string detail = text_of(payload, "reason");
    RemittanceEvent event = RemittanceEvent::kPayoutSucceeded;
    std::string reason = "paid out";
    if (outcome == "failed") {
        event = RemittanceEvent::kPayoutFailed;
        reason = "payout failed";
    } else if (outcome == "unknown") {
        event = RemittanceEvent::kPayoutUnknown;
        reason = "payout outcome unknown: asking the partner";
    } else if (outcome != "paid") {
        spdlog::warn("remittance {}: unknown payout outcome '{}' ignored", id, outcome);
        return;
    }
    if (!detail.empty()) {
        reason += ": " + detail;
    }
    // An answer the machine refuses (late, duplicate, or for a remittance that never reached the
    // partner, such as a cancelled one) changes nothing: not even the partner reference.
    if (const auto row = lock_remittance(tx, id)) {
        const auto allowed = next_state(row->status, event);
        if (!allowed) {
            ignore_refusal(allowed, id, m.type);
            return;
        }
    }
    if (!partner_reference.empty()) {
        // Before the transition, so the remit.completed it publishes carries it; the first
        // reference a partner gave stays (a late or contradictory answer does not replace it).
        tx.exec_params0(
            "UPDATE remittances SET partner_reference = coalesce(partner_reference, $2) WHERE id "
            "= $1",
            id,
            partner_reference
        );
    }
    const auto result = apply_event(ctx, tx, id, event, {reason, "payout"});
    ignore_refusal(result, id, m.type);
}

int resend_stuck(const Context& ctx, pqxx::transaction_base& tx) {
    const auto stuck_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(ctx.settings.stuck_after).count();
    const std::string now = platform::format_rfc3339(ctx.clock.now());
    int resent = 0;
    const auto rows = tx.exec_params(
        "SELECT " + std::string{kRowColumns} +
            " FROM remittances WHERE step_requested_at < $1::timestamptz - make_interval(secs => "
            "$2) AND (status = 'screening' OR ledger_state IN ('reserve_requested', "
            "'post_requested', 'void_requested', 'void_late_requested')) ORDER BY "
            "step_requested_at LIMIT 500 FOR UPDATE SKIP LOCKED",
        now,
        stuck_seconds
    );
    for (const auto& raw : rows) {
        const Row r = row_of(raw);
        if (r.status == RemittanceState::kScreening) {
            // Compliance answers a second request for the same remittance with its stored outcome.
            ctx.send(
                tx,
                ctx.settings.saga.compliance_command,
                "compliance.screen",
                screen_request(tx, r.id)
            );
        } else if (r.ledger_state == "reserve_requested") {
            send_ledger(ctx, tx, r.sender_id, reserve_command(ctx, tx, r));
        } else if (r.ledger_state == "post_requested") {
            send_ledger(ctx, tx, r.sender_id, settle_command(r, Settle::kPost));
        } else if (r.ledger_state == "void_requested") {
            send_ledger(ctx, tx, r.sender_id, settle_command(r, Settle::kVoid));
        } else {
            send_ledger(ctx, tx, r.sender_id, settle_command(r, Settle::kLateVoid));
        }
        tx.exec_params0("UPDATE remittances SET step_requested_at = $2 WHERE id = $1", r.id, now);
        ++resent;
    }
    const auto deposits = tx.exec_params(
        "SELECT id::text, transfer_id::text, worker_id::text, agent_id, amount_minor FROM "
        "deposits WHERE status = 'pending' AND requested_at < $1::timestamptz - "
        "make_interval(secs => $2) ORDER BY requested_at LIMIT 500 FOR UPDATE SKIP LOCKED",
        now,
        stuck_seconds
    );
    for (const auto& d : deposits) {
        json t = transfer(
            d[1].as<std::string>(),
            d[4].as<std::int64_t>(),
            codes::kDepositTransfer,
            {},
            d[0].as<std::string>()
        );
        const std::string worker_id = d[2].as<std::string>();
        t["debit_account_id"] = account_of(
            tx,
            ledger::sub_account_name(
                "agent:" + d[3].as<std::string>(), ledger_shard_of(ctx, worker_id)
            )
        );
        t["credit_account_id"] = account_of(tx, "wallet:" + worker_id);
        send_ledger(ctx, tx, worker_id, json{{"transfers", json::array({t})}});
        tx.exec_params0(
            "UPDATE deposits SET requested_at = $2 WHERE id = $1", d[0].as<std::string>(), now
        );
        ++resent;
    }
    return resent;
}

}  // namespace chelete::remittance::detail
