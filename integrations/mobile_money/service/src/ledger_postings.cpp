// The partner side of the ledger (docs/payout.md "The partner side of the ledger"): what a paid
// payout, a cash-pickup redeem, a float top-up and a reconciliation break do to the ledger.
//
// Every command goes through the outbox in the transaction that decided it and is recorded in
// ledger_postings until the ledger confirms it, so a lost message or a ledger restart is
// repaired by sending it again (the ledger answers `exists` for what it already has).

#include <map>

#include <chelete/ledger/shards.hpp>

#include "payout_impl.hpp"

namespace chelete::payout {

namespace {

/// Tries of a lone transfer under fresh ids before a posting is left to finance.
constexpr int kMaxFreshIds = 10;

bool accepted(const std::string& result) {
    return result == "ok" || result == "exists";
}

/// A refusal that sending again can cure once the accounts exist.
bool curable(const std::string& result) {
    return result == "debit_account_not_found" || result == "credit_account_not_found" ||
           result == "id_already_failed" || result == "linked_event_failed";
}

}  // namespace

std::string PayoutService::Impl::ledger_stream(std::size_t shard) const {
    return ledger::shard_stream(settings.ledger_command, shard);
}

std::string PayoutService::Impl::ensure_account(
    pqxx::transaction_base& tx,
    const std::string& owner,
    int code,
    std::string_view currency,
    std::size_t shard
) const {
    const std::string name = ledger::sub_account_name(owner, shard);
    const std::string id = derived_id(name);
    const auto inserted = tx.exec_params(
        "INSERT INTO ledger_accounts (owner, account_id, code, currency) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (owner) DO NOTHING",
        name,
        id,
        code,
        std::string{currency}
    );
    if (inserted.affected_rows() > 0) {
        outbox->enqueue(
            tx,
            bus::OutgoingMessage{
                ledger_stream(shard),
                "ledger.create_accounts",
                json{{"accounts",
                      json::array(
                          {{{"id", id},
                            {"currency", std::string{currency}},
                            {"code", code},
                            {"flags", json::array()}}}
                      )}}
                    .dump(),
                "",
                settings.ledger_replies}
        );
    }
    return id;
}

void PayoutService::Impl::open_system_accounts() {
    // One sub-account of each per ledger shard: a payout's legs stay in its sender's shard.
    platform::with_transaction(*pool, [&](pqxx::work& tx) {
        for (std::size_t k = 0; k < settings.ledger_shards; ++k) {
            (void)ensure_account(tx, liquidity_owner("ZAR"), codes::kLiquidityAccount, "ZAR", k);
            (void)ensure_account(tx, liquidity_owner("LSL"), codes::kLiquidityAccount, "LSL", k);
            (void)ensure_account(tx, kSuspenseOwner, codes::kSuspenseAccount, "LSL", k);
            (void)ensure_account(tx, kSettlementBankOwner, codes::kSettlementBankAccount, "LSL", k);
            for (const auto id : {mm::PartnerId::kMpesa, mm::PartnerId::kEcocash}) {
                (void)ensure_account(tx, float_owner(id), codes::kPartnerFloatAccount, "LSL", k);
            }
        }
    });
}

bool PayoutService::Impl::post(pqxx::transaction_base& tx, const Posting& posting) const {
    json transfers = json::array();
    const std::size_t n = posting.transfers.size();
    for (std::size_t i = 0; i < n; ++i) {
        json t = posting.transfers[i];
        t["id"] = derived_id(posting.key + ":" + std::to_string(i) + ":1");
        // Every leg but the last is linked to the next: all apply, or none.
        t["flags"] = i + 1 < n ? json::array({"linked"}) : json::array();
        transfers.push_back(std::move(t));
    }
    const std::string now = now_text();
    const json command{{"transfers", transfers}};
    const auto inserted = tx.exec_params(
        "INSERT INTO ledger_postings (id, transfer_id, kind, subject, remittance_id, float_effect, "
        "reference, command, state, created_at, sent_at, created_by, ledger_shard) VALUES ($1, "
        "$2, $3, $4, nullif($5, '')::uuid, $6, $7, $8, 'sent', $9, $9, $10, $11) ON CONFLICT DO "
        "NOTHING",
        derived_id(posting.key),
        transfers[0]["id"].get<std::string>(),
        posting.kind,
        posting.subject,
        posting.remittance_id,
        posting.float_effect,
        posting.reference,
        command.dump(),
        now,
        posting.created_by,
        static_cast<int>(posting.shard)
    );
    if (inserted.affected_rows() == 0) {
        return false;  // posted before: a repeated decision moves no money twice
    }
    outbox->enqueue(
        tx,
        bus::OutgoingMessage{
            ledger_stream(posting.shard),
            "ledger.create_transfers",
            command.dump(),
            "",
            settings.ledger_replies}
    );
    return true;
}

void PayoutService::Impl::post_payout(
    pqxx::transaction_base& tx,
    const std::string& remittance_id,
    const std::string& subject,
    std::string_view kind
) const {
    const auto r = tx.exec_params1(
        "SELECT amount_minor, coalesce(principal_zar_minor, amount_minor), "
        "coalesce(sender_id::text, '') FROM payouts WHERE remittance_id = $1",
        remittance_id
    );
    const auto lsl = r[0].as<std::int64_t>();
    const auto zar = r[1].as<std::int64_t>();
    const int code = kind == "cash_pickup" ? codes::kCashPickupTransfer : codes::kPayoutTransfer;
    // The remittance reserved in its sender's ledger shard: its in-transit rand is there, so
    // both legs go there, to the shard's sub-accounts.
    const std::size_t shard = ledger::shard_of(r[2].as<std::string>(), settings.ledger_shards);
    if (shard != 0) {
        // Positions are read per subject (every shard's sub-account together), and a posting's
        // subject must be a known account: shard 0's names it.
        (void)ensure_account(tx, subject, codes::kPartnerFloatAccount, "LSL");
    }
    const std::string to = ensure_account(tx, subject, codes::kPartnerFloatAccount, "LSL", shard);
    Posting p;
    p.shard = shard;
    p.key = std::string{kind} + ":" + remittance_id;
    p.kind = std::string{kind};
    p.subject = subject;
    p.remittance_id = remittance_id;
    p.float_effect = -lsl;  // the float paid it out (an agent: we owe the agent)
    // ZAR in transit becomes LSL at the partner through the two liquidity accounts (DOMAIN.md
    // §1.1: at par; a rate table other than 1:1 leaves its difference in liquidity).
    p.transfers = json::array(
        {{{"debit_account_id", derived_id(ledger::sub_account_name(kInTransitOwner, shard))},
          {"credit_account_id",
           derived_id(ledger::sub_account_name(liquidity_owner("ZAR"), shard))},
          {"amount", zar},
          {"currency", "ZAR"},
          {"code", code},
          {"user_data_128", remittance_id}},
         {{"debit_account_id", derived_id(ledger::sub_account_name(liquidity_owner("LSL"), shard))},
          {"credit_account_id", to},
          {"amount", lsl},
          {"currency", "LSL"},
          {"code", code},
          {"user_data_128", remittance_id}}}
    );
    post(tx, p);
}

void PayoutService::Impl::on_ledger_reply(pqxx::transaction_base& tx, const bus::Message& m) const {
    const auto reply = api::Reply::parse(m.payload);
    if (!reply || !reply->body.is_object() || !reply->body.contains("results") ||
        !reply->body["results"].is_array() || reply->body["results"].empty()) {
        spdlog::error("payout: the ledger answered {} with {}", m.type, m.payload.substr(0, 300));
        return;
    }
    const json& results = reply->body["results"];
    if (m.type == "ledger.create_accounts.reply") {
        for (const auto& r : results) {
            const std::string result = api::text_of(r, "result");
            if (accepted(result)) {
                tx.exec_params0(
                    "UPDATE ledger_accounts SET confirmed = true WHERE account_id = $1",
                    api::text_of(r, "id")
                );
            } else {
                spdlog::error(
                    "payout: the ledger refused account {}: {}", api::text_of(r, "id"), result
                );
            }
        }
        return;
    }
    const std::string first = api::text_of(results[0], "id");
    if (!platform::Id128::parse(first)) {
        return;
    }
    std::string refusal;
    for (const auto& r : results) {
        const std::string result = api::text_of(r, "result");
        if (!accepted(result) && (refusal.empty() || refusal == "linked_event_failed")) {
            refusal = result;
        }
    }
    const std::string now = now_text();
    if (refusal.empty()) {
        tx.exec_params0(
            "UPDATE ledger_postings SET state = 'applied', result = 'ok', answered_at = $2 WHERE "
            "transfer_id = $1 AND state = 'sent'",
            first,
            now
        );
        return;
    }
    if (curable(refusal)) {
        // Sent again by resend_postings() once its accounts are confirmed. A chain's ids are
        // not spent by a refusal (the ledger rolls the chain back), so it goes again as it was:
        // a copy still in flight can only answer `exists`, never apply twice. A lone transfer's
        // id is spent by a transient failure (it answers id_already_failed forever after), so
        // only then do fresh ids go out, and the spent one can never apply later.
        const auto rows = tx.exec_params(
            "SELECT id::text, attempt, command FROM ledger_postings WHERE transfer_id = $1 AND "
            "state = 'sent' FOR UPDATE",
            first
        );
        if (rows.empty()) {
            return;
        }
        const bool lone = json::parse(rows[0][2].as<std::string>())["transfers"].size() == 1;
        if (!lone && refusal != "id_already_failed") {
            tx.exec_params0(
                "UPDATE ledger_postings SET result = $2 WHERE id = $1",
                rows[0][0].as<std::string>(),
                refusal
            );
            spdlog::warn(
                "payout: ledger posting {} refused ({}); sent again later", first, refusal
            );
            return;
        }
        const auto attempt = rows[0][1].as<int>() + 1;
        if (attempt > kMaxFreshIds) {
            // Each try spends an id at the ledger for good: stop and leave it to finance.
            tx.exec_params0(
                "UPDATE ledger_postings SET state = 'refused', result = $2, answered_at = $3 "
                "WHERE id = $1",
                rows[0][0].as<std::string>(),
                refusal + " (gave up after " + std::to_string(kMaxFreshIds) + " tries)",
                now
            );
            spdlog::error("payout: ledger posting {} given up: {} (for finance)", first, refusal);
            return;
        }
        json command = json::parse(rows[0][2].as<std::string>());
        for (std::size_t i = 0; i < command["transfers"].size(); ++i) {
            command["transfers"][i]["id"] = derived_id(
                rows[0][0].as<std::string>() + ":" + std::to_string(i) + ":" +
                std::to_string(attempt)
            );
        }
        tx.exec_params0(
            "UPDATE ledger_postings SET transfer_id = $2, attempt = $3, command = $4, result = $5 "
            "WHERE id = $1",
            rows[0][0].as<std::string>(),
            command["transfers"][0]["id"].get<std::string>(),
            attempt,
            command.dump(),
            refusal
        );
        spdlog::warn("payout: ledger posting {} refused ({}); sent again later", first, refusal);
        return;
    }
    tx.exec_params0(
        "UPDATE ledger_postings SET state = 'refused', result = $2, answered_at = $3 WHERE "
        "transfer_id = $1 AND state = 'sent'",
        first,
        refusal,
        now
    );
    spdlog::error("payout: the ledger refused posting {}: {} (for finance)", first, refusal);
}

int PayoutService::Impl::resend_postings() {
    int resent = 0;
    platform::with_transaction(*pool, [&](pqxx::work& tx) {
        const auto due = tx.exec_params(
            "SELECT id::text, command, ledger_shard FROM ledger_postings WHERE state = 'sent' AND "
            "sent_at < $1 ORDER BY sent_at LIMIT 200 FOR UPDATE SKIP LOCKED",
            platform::format_rfc3339(clock.now() - settings.ledger_resend_after)
        );
        if (due.empty()) {
            return;
        }
        // Accounts first, in the same stream: a resent command finds them.
        const auto accounts = tx.exec(
            "SELECT account_id::text, code, currency, owner FROM ledger_accounts WHERE NOT "
            "confirmed"
        );
        std::map<std::size_t, json> lists;  // by shard: the owner's name tells which
        for (const auto& a : accounts) {
            const auto shard = ledger::shard_of_sub_account_name(a[3].as<std::string>());
            if (!shard || *shard >= settings.ledger_shards) {
                spdlog::error("payout: ledger account {} names no shard", a[3].as<std::string>());
                continue;
            }
            lists[*shard].push_back(
                {{"id", a[0].as<std::string>()},
                 {"code", a[1].as<int>()},
                 {"currency", a[2].as<std::string>()},
                 {"flags", json::array()}}
            );
        }
        for (const auto& [shard, list] : lists) {
            outbox->enqueue(
                tx,
                bus::OutgoingMessage{
                    ledger_stream(shard),
                    "ledger.create_accounts",
                    json{{"accounts", list}}.dump(),
                    "",
                    settings.ledger_replies}
            );
        }
        for (const auto& row : due) {
            outbox->enqueue(
                tx,
                bus::OutgoingMessage{
                    ledger_stream(static_cast<std::size_t>(row[2].as<int>())),
                    "ledger.create_transfers",
                    row[1].as<std::string>(),
                    "",
                    settings.ledger_replies}
            );
            tx.exec_params0(
                "UPDATE ledger_postings SET sent_at = $2 WHERE id = $1",
                row[0].as<std::string>(),
                now_text()
            );
            ++resent;
        }
    });
    return resent;
}

}  // namespace chelete::payout
