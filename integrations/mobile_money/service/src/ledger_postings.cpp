// The partner side of the ledger (docs/payout.md "The partner side of the ledger"): what a paid
// payout, a cash-pickup redeem, a float top-up and a reconciliation break do to the ledger.
//
// Every command goes through the outbox in the transaction that decided it and is recorded in
// ledger_postings until the ledger confirms it, so a lost message or a ledger restart is
// repaired by sending it again (the ledger answers `exists` for what it already has).

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

std::string PayoutService::Impl::ensure_account(
    pqxx::transaction_base& tx, const std::string& owner, int code, std::string_view currency
) const {
    const std::string id = derived_id(owner);
    const auto inserted = tx.exec_params(
        "INSERT INTO ledger_accounts (owner, account_id, code, currency) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (owner) DO NOTHING",
        owner,
        id,
        code,
        std::string{currency}
    );
    if (inserted.affected_rows() > 0) {
        outbox->enqueue(
            tx,
            bus::OutgoingMessage{
                settings.ledger_command,
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
    platform::with_transaction(*pool, [&](pqxx::work& tx) {
        (void)ensure_account(tx, liquidity_owner("ZAR"), codes::kLiquidityAccount, "ZAR");
        (void)ensure_account(tx, liquidity_owner("LSL"), codes::kLiquidityAccount, "LSL");
        (void)ensure_account(tx, kSuspenseOwner, codes::kSuspenseAccount, "LSL");
        (void)ensure_account(tx, kSettlementBankOwner, codes::kSettlementBankAccount, "LSL");
        for (const auto id : {mm::PartnerId::kMpesa, mm::PartnerId::kEcocash}) {
            (void)ensure_account(tx, float_owner(id), codes::kPartnerFloatAccount, "LSL");
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
        "reference, command, state, created_at, sent_at, created_by) VALUES ($1, $2, $3, $4, "
        "nullif($5, '')::uuid, $6, $7, $8, 'sent', $9, $9, $10) ON CONFLICT DO NOTHING",
        derived_id(posting.key),
        transfers[0]["id"].get<std::string>(),
        posting.kind,
        posting.subject,
        posting.remittance_id,
        posting.float_effect,
        posting.reference,
        command.dump(),
        now,
        posting.created_by
    );
    if (inserted.affected_rows() == 0) {
        return false;  // posted before: a repeated decision moves no money twice
    }
    outbox->enqueue(
        tx,
        bus::OutgoingMessage{
            settings.ledger_command,
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
        "SELECT amount_minor, coalesce(principal_zar_minor, amount_minor) FROM payouts WHERE "
        "remittance_id = $1",
        remittance_id
    );
    const auto lsl = r[0].as<std::int64_t>();
    const auto zar = r[1].as<std::int64_t>();
    const int code = kind == "cash_pickup" ? codes::kCashPickupTransfer : codes::kPayoutTransfer;
    const std::string to = ensure_account(tx, subject, codes::kPartnerFloatAccount, "LSL");
    Posting p;
    p.key = std::string{kind} + ":" + remittance_id;
    p.kind = std::string{kind};
    p.subject = subject;
    p.remittance_id = remittance_id;
    p.float_effect = -lsl;  // the float paid it out (an agent: we owe the agent)
    // ZAR in transit becomes LSL at the partner through the two liquidity accounts (DOMAIN.md
    // §1.1: at par; a rate table other than 1:1 leaves its difference in liquidity).
    p.transfers = json::array(
        {{{"debit_account_id", derived_id(kInTransitOwner)},
          {"credit_account_id", derived_id(liquidity_owner("ZAR"))},
          {"amount", zar},
          {"currency", "ZAR"},
          {"code", code},
          {"user_data_128", remittance_id}},
         {{"debit_account_id", derived_id(liquidity_owner("LSL"))},
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
            "SELECT id::text, command FROM ledger_postings WHERE state = 'sent' AND sent_at < $1 "
            "ORDER BY sent_at LIMIT 200 FOR UPDATE SKIP LOCKED",
            platform::format_rfc3339(clock.now() - settings.ledger_resend_after)
        );
        if (due.empty()) {
            return;
        }
        // Accounts first, in the same stream: a resent command finds them.
        const auto accounts = tx.exec(
            "SELECT account_id::text, code, currency FROM ledger_accounts WHERE NOT confirmed"
        );
        if (!accounts.empty()) {
            json list = json::array();
            for (const auto& a : accounts) {
                list.push_back(
                    {{"id", a[0].as<std::string>()},
                     {"code", a[1].as<int>()},
                     {"currency", a[2].as<std::string>()},
                     {"flags", json::array()}}
                );
            }
            outbox->enqueue(
                tx,
                bus::OutgoingMessage{
                    settings.ledger_command,
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
                    settings.ledger_command,
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
