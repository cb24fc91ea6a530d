// The remittance service's HTTP operations (api-spec/openapi.yaml, tags Money): deposits, the
// wallet, quotes and remittances. The gateway has authenticated, validated the body against the
// spec and checked the role; ownership is checked here.
#include <spdlog/spdlog.h>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/id.hpp>
#include <chelete/platform/money.hpp>
#include <chelete/platform/random_ids.hpp>

#include "domain/purpose.hpp"
#include "domain/quote.hpp"
#include "service/context.hpp"

namespace chelete::remittance::detail {
namespace {

constexpr std::string_view kTimestamp = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";

std::string ts(std::string_view column) {
    return "to_char(" + std::string{column} + " AT TIME ZONE 'UTC', " + std::string{kTimestamp} +
           ")";
}

bool is_worker(const api::Request& r, const std::string& worker_id) {
    return r.caller && r.caller->role == "worker" && r.caller->subject == worker_id;
}

/// An amount field of the body: a Money in `currency`; nullopt with the 422 in `error`.
std::optional<std::int64_t> amount_field(
    const api::Request& r, const char* field, std::string_view currency, api::Reply& error
) {
    const json& m = r.body.is_object() && r.body.contains(field) ? r.body[field] : json{};
    const std::string text = text_of(m, "amount");
    const auto minor = platform::parse_minor_units(text);
    if (!minor) {
        error = unprocessable({{std::string{field} + ".amount", minor.error().message}});
        return std::nullopt;
    }
    if (text_of(m, "currency") != currency) {
        error =
            unprocessable({{std::string{field} + ".currency", "must be " + std::string{currency}}});
        return std::nullopt;
    }
    return minor.value();
}

/// The registry's answer to registry.parties, or the reply to give instead.
std::optional<json> parties(
    const Context& ctx, const json& query, api::Reply& error, std::string_view beneficiary_field
) {
    const auto reply = ctx.query(ctx.settings.saga.registry_command, "registry.parties", query);
    if (!reply) {
        error = unavailable("the registry");
        return std::nullopt;
    }
    if (reply->status == 404) {
        const bool beneficiary = reply->body.contains("errors") &&
                                 reply->body["errors"].is_array() &&
                                 !reply->body["errors"].empty() &&
                                 text_of(reply->body["errors"][0], "field") == "beneficiary_id";
        error = unprocessable(
            {beneficiary
                 ? api::FieldError{std::string{beneficiary_field}, "no such beneficiary of yours"}
                 : api::FieldError{"worker_id", "no such worker"}}
        );
        return std::nullopt;
    }
    if (reply->status != 200) {
        spdlog::error("registry.parties answered {}", reply->status);
        error = unavailable("the registry");
        return std::nullopt;
    }
    return reply->body;
}

// ---- deposits ----------------------------------------------------------------------------------

json deposit_view(const pqxx::row& d) {
    return json{
        {"id", d[0].as<std::string>()},
        {"worker_id", d[1].as<std::string>()},
        {"agent_id", d[2].as<std::string>()},
        {"amount", money(d[3].as<std::int64_t>(), "ZAR")},
        {"status", d[4].as<std::string>()},
        {"failure", d[5].is_null() ? json(nullptr) : json(d[5].as<std::string>())},
        {"created_at", d[6].as<std::string>()},
        {"completed_at", d[7].is_null() ? json(nullptr) : json(d[7].as<std::string>())}};
}

std::string deposit_select() {
    return "SELECT id::text, worker_id::text, agent_id, amount_minor, status, failure, " +
           ts("created_at") + ", " + ts("completed_at") + " FROM deposits ";
}

// ---- quotes ------------------------------------------------------------------------------------

json quote_view(const pqxx::row& q, platform::TimePoint now) {
    const auto expires = platform::parse_rfc3339(q[9].as<std::string>());
    std::string state = q[10].as<std::string>();
    if (state == "issued" && expires && now >= *expires) {
        state = "expired";
    }
    return json{
        {"id", q[0].as<std::string>()},
        {"basis", q[1].as<std::string>()},
        {"payout_method", q[2].as<std::string>()},
        {"send_amount", money(q[3].as<std::int64_t>(), "ZAR")},
        {"fee", money(q[4].as<std::int64_t>(), "ZAR")},
        {"receive_amount", money(q[5].as<std::int64_t>(), "LSL")},
        {"rate", q[6].as<std::string>()},
        {"fee_breakdown",
         {{"flat", money(q[11].as<std::int64_t>(), "ZAR")},
          {"percentage", money(q[12].as<std::int64_t>(), "ZAR")},
          {"payout_method", money(q[13].as<std::int64_t>(), "ZAR")}}},
        {"issued_at", q[7].as<std::string>()},
        {"expires_at", q[9].as<std::string>()},
        {"state", state}};
}

std::string quote_select() {
    return "SELECT id::text, basis, payout_method, send_minor, fee_minor, receive_minor, "
           "rate_numerator::text || '/' || rate_denominator::text, " +
           ts("issued_at") + ", worker_id::text, " + ts("expires_at") +
           ", state, fee_flat, fee_percentage, fee_payout FROM quotes ";
}

// ---- remittances -------------------------------------------------------------------------------

void log_read(
    pqxx::transaction_base& tx,
    const api::Request& r,
    const std::string& sender_id,
    const std::string& record_id
) {
    if (is_worker(r, sender_id)) {
        return;  // a sender reading their own remittance
    }
    const std::string role = r.caller ? r.caller->role : "anonymous";
    tx.exec_params0(
        "INSERT INTO access_log (subject_id, actor_id, actor_role, record, record_id, purpose, "
        "request_id) VALUES ($1, $2, $3, 'remittance', $4, $5, $6)",
        sender_id,
        r.caller ? r.caller->subject : std::string{"anonymous"},
        role,
        record_id,
        std::string{role == "compliance_officer" ? "compliance_review" : "finance_reconciliation"},
        r.request_id
    );
}

}  // namespace

api::Reply create_deposit(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    if (!r.has_role("agent")) {
        return api::forbidden("only an agent takes a deposit");
    }
    const std::string agent_id = r.caller->subject;
    const std::string worker_id = text_of(r.body, "worker_id");
    if (!platform::Id128::parse(worker_id)) {
        return unprocessable({{"worker_id", "must be a worker id"}});
    }
    api::Reply error;
    const auto amount = amount_field(r, "amount", "ZAR", error);
    if (!amount) {
        return error;
    }
    // The same key from the same agent is the same deposit (the gateway's idempotency store is
    // the first line; this one holds as long as the deposit does).
    const auto existing = tx.exec_params(
        deposit_select() + "WHERE agent_id = $1 AND idempotency_key = $2",
        agent_id,
        r.idempotency_key
    );
    if (!existing.empty()) {
        const json view = deposit_view(existing[0]);
        if (view["worker_id"] != worker_id || existing[0][3].as<std::int64_t>() != *amount) {
            return conflict(
                "idempotency-key-reused", "this Idempotency-Key was used for another deposit"
            );
        }
        return api::json(201, view);
    }
    if (*amount < ctx.settings.deposit_min_minor || *amount > ctx.settings.deposit_max_minor) {
        return unprocessable(
            {{"amount.amount",
              "a deposit is from " + platform::format_minor_units(ctx.settings.deposit_min_minor) +
                  " to " + platform::format_minor_units(ctx.settings.deposit_max_minor) + " ZAR"}}
        );
    }
    const auto found = parties(
        ctx, json{{"worker_id", worker_id}, {"purpose", "deposit"}}, error, "beneficiary_id"
    );
    if (!found) {
        return error;
    }
    if (text_of((*found)["worker"], "status") != "active") {
        return unprocessable({{"worker_id", "the worker's account is not active"}});
    }
    const std::string id = platform::new_uuid();
    const std::string transfer_id = derived_id("deposit:" + id);
    const std::string wallet = wallet_account_id(worker_id);
    // The worker's shard holds the wallet and the agent's float sub-account the cash comes from.
    const std::size_t shard = ledger_shard_of(ctx, worker_id);
    const std::string agent_float =
        derived_id(ledger::sub_account_name("agent-float:" + agent_id, shard));
    const std::string now = platform::format_rfc3339(ctx.clock.now());
    ensure_account(
        ctx,
        tx,
        shard,
        "wallet:" + worker_id,
        wallet,
        codes::kWalletAccount,
        {"debits_must_not_exceed_credits", "history"}
    );
    ensure_account(
        ctx,
        tx,
        shard,
        ledger::sub_account_name("agent:" + agent_id, shard),
        agent_float,
        codes::kAgentFloatAccount,
        {}
    );
    tx.exec_params0(
        "INSERT INTO deposits (id, agent_id, idempotency_key, worker_id, amount_minor, "
        "transfer_id, status, created_at, requested_at) VALUES ($1, $2, $3, $4, $5, $6, "
        "'pending', $7, $7)",
        id,
        agent_id,
        r.idempotency_key,
        worker_id,
        *amount,
        transfer_id,
        now
    );
    // The agent holds the cash (debit its float), the worker's wallet owes it (credit).
    ctx.send(
        tx,
        ledger_stream(ctx, shard),
        "ledger.create_transfers",
        json{
            {"transfers",
             json::array(
                 {{{"id", transfer_id},
                   {"debit_account_id", agent_float},
                   {"credit_account_id", wallet},
                   {"amount", *amount},
                   {"currency", "ZAR"},
                   {"code", codes::kDepositTransfer},
                   {"user_data_128", id}}}
             )}},
        ctx.settings.saga.ledger_replies
    );
    const auto row = tx.exec_params1(deposit_select() + "WHERE id = $1", id);
    return api::json(201, deposit_view(row));
}

api::Reply get_deposit(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string id = r.path_param("id");
    const auto rows = platform::Id128::parse(id)
                          ? tx.exec_params(deposit_select() + "WHERE id = $1", id)
                          : pqxx::result{};
    // Another agent's deposit is answered like a missing one.
    if (rows.empty() ||
        (r.has_role("agent") && rows[0][2].as<std::string>() != r.caller->subject)) {
        return api::not_found("deposit");
    }
    return api::json(200, deposit_view(rows[0]));
}

api::Reply get_wallet(const Context& ctx, pqxx::dbtransaction&, const api::Request& r) {
    const std::string worker_id = r.path_param("id");
    if (!is_worker(r, worker_id)) {
        return api::not_found("wallet");
    }
    const std::string account = wallet_account_id(worker_id);
    const auto reply = ctx.query(
        ledger_stream(ctx, ledger_shard_of(ctx, worker_id)),
        "ledger.get_accounts",
        json{{"ids", {account}}}
    );
    if (!reply || reply->status != 200) {
        return unavailable("the ledger");
    }
    std::int64_t balance = 0;
    std::int64_t held = 0;
    const json& items = reply->body["items"];
    if (items.is_array() && !items.empty()) {
        const json& b = items[0]["balances_minor"];
        balance = b["credits_posted"].get<std::int64_t>() - b["debits_posted"].get<std::int64_t>();
        held = b["debits_pending"].get<std::int64_t>();
    }
    return api::json(
        200,
        json{
            {"worker_id", worker_id},
            {"account_id", account},
            {"balance", money(balance, "ZAR")},
            {"available", money(balance - held, "ZAR")},
            {"held", money(held, "ZAR")}}
    );
}

api::Reply create_quote(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    if (!r.has_role("worker")) {
        return api::forbidden("only a worker asks for a quote");
    }
    const bool by_send = r.body.contains("send_amount");
    const bool by_receive = r.body.contains("receive_amount");
    if (by_send == by_receive) {
        return unprocessable(
            {{by_send ? "receive_amount" : "send_amount",
              "give exactly one of send_amount and receive_amount"}}
        );
    }
    const auto method = payout_method_from(text_of(r.body, "payout_method"));
    if (!method) {
        return unprocessable({{"payout_method", "must be mpesa, ecocash or cash_pickup"}});
    }
    api::Reply error;
    const auto amount = by_send ? amount_field(r, "send_amount", "ZAR", error)
                                : amount_field(r, "receive_amount", "LSL", error);
    if (!amount) {
        return error;
    }
    const auto worker = platform::Id128::parse(r.caller->subject);
    const auto id = platform::Id128::parse(platform::new_uuid());
    if (!worker || !id) {
        return api::forbidden("the caller is not a worker");
    }
    const QuoteRequest request{
        by_send ? QuoteBasis::kSend : QuoteBasis::kReceive, *amount, *method};
    const auto quote = issue_quote(ctx.pricing, request, *id, *worker, ctx.clock.now());
    if (!quote) {
        return unprocessable(
            {{by_send ? "send_amount.amount" : "receive_amount.amount", quote.error().message}}
        );
    }
    const Quote& q = quote.value();
    tx.exec_params0(
        "INSERT INTO quotes (id, worker_id, basis, requested_minor, payout_method, send_minor, "
        "fee_minor, receive_minor, fee_flat, fee_percentage, fee_payout, rate_numerator, "
        "rate_denominator, issued_at, expires_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        "$9, $10, $11, $12, $13, $14, $15, 'issued')",
        q.id.to_string(),
        q.worker_id.to_string(),
        std::string{to_string(q.basis)},
        q.requested_minor,
        std::string{to_string(q.price.method)},
        q.price.send.minor,
        q.price.fee.minor,
        q.price.receive.minor,
        q.price.breakdown.flat,
        q.price.breakdown.percentage,
        q.price.breakdown.payout_fee,
        q.price.rate.numerator,
        q.price.rate.denominator,
        platform::format_rfc3339(q.issued_at),
        platform::format_rfc3339(q.expires_at)
    );
    const auto row = tx.exec_params1(quote_select() + "WHERE id = $1", q.id.to_string());
    return api::json(201, quote_view(row, ctx.clock.now()));
}

api::Reply create_remittance(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    if (!r.has_role("worker")) {
        return api::forbidden("only a worker sends");
    }
    const std::string sender_id = r.caller->subject;
    const std::string quote_id = text_of(r.body, "quote_id");
    const std::string beneficiary_id = text_of(r.body, "beneficiary_id");
    // A retried request (same sender, same key) is the same remittance.
    const auto existing = tx.exec_params(
        "SELECT id::text, quote_id::text FROM remittances WHERE sender_id = $1 AND "
        "idempotency_key = $2",
        sender_id,
        r.idempotency_key
    );
    if (!existing.empty()) {
        if (existing[0][1].as<std::string>() != quote_id) {
            return conflict(
                "idempotency-key-reused", "this Idempotency-Key was used for another remittance"
            );
        }
        return api::json(202, *remittance_view(tx, existing[0][0].as<std::string>()));
    }
    const auto quote_uuid = platform::Id128::parse(quote_id);
    if (!quote_uuid) {
        return unprocessable({{"quote_id", "must be a quote id"}});
    }
    if (!platform::Id128::parse(beneficiary_id)) {
        return unprocessable({{"beneficiary_id", "must be a beneficiary id"}});
    }
    const auto quote_rows = tx.exec_params(quote_select() + "WHERE id = $1 FOR UPDATE", quote_id);
    if (quote_rows.empty()) {
        return unprocessable({{"quote_id", "no such quote"}});
    }
    const auto& qr = quote_rows[0];
    api::Reply error;
    const auto found = parties(
        ctx,
        json{
            {"worker_id", sender_id},
            {"beneficiary_id", beneficiary_id},
            {"purpose", "remittance"}},
        error,
        "beneficiary_id"
    );
    if (!found) {
        return error;
    }
    const json& worker = (*found)["worker"];
    const json& beneficiary = (*found)["beneficiary"];
    if (text_of(worker, "status") != "active") {
        return api::forbidden("the sender's account is not active");
    }
    const auto document = sender_document_from(text_of(worker, "document"));
    const auto purpose = validate_purpose(
        text_of(r.body, "purpose"),
        text_of(r.body, "source_of_funds"),
        document.value_or(SenderDocument::kForeignPassport)
    );
    if (!purpose) {
        return unprocessable({{purpose.error().field, purpose.error().message}});
    }
    const auto method = payout_method_from(text_of(beneficiary, "payout_method"));
    if (!method) {
        return unavailable("the registry (a beneficiary without a payout method)");
    }
    // Rebuild the stored quote and let the domain decide whether it may be used.
    Quote quote;
    quote.id = *quote_uuid;
    quote.worker_id = *platform::Id128::parse(qr[8].as<std::string>());
    quote.price.method = *payout_method_from(qr[2].as<std::string>());
    quote.issued_at = *platform::parse_rfc3339(qr[7].as<std::string>());
    quote.expires_at = *platform::parse_rfc3339(qr[9].as<std::string>());
    quote.state = qr[10].as<std::string>() == "used" ? QuoteState::kUsed : QuoteState::kIssued;
    const auto remittance_uuid = *platform::Id128::parse(platform::new_uuid());
    if (quote.state == QuoteState::kUsed) {
        quote.used_by = platform::Id128{};  // used by a remittance other than this new one
    }
    const auto used = use_quote(
        quote, *platform::Id128::parse(sender_id), remittance_uuid, *method, ctx.clock.now()
    );
    if (!used) {
        switch (used.error().reason) {
            case QuoteRefusal::kNotYours:
                return unprocessable({{"quote_id", "no such quote"}});
            case QuoteRefusal::kAlreadyUsed:
                return conflict("quote-used", used.error().message);
            case QuoteRefusal::kExpired:
                return conflict("quote-expired", used.error().message);
            case QuoteRefusal::kMethodMismatch:
                return unprocessable({{"quote_id", used.error().message}});
        }
    }
    const std::string id = remittance_uuid.to_string();
    // The compare-and-set: only an issued quote becomes used (the row is locked, so this holds
    // even without the WHERE; the WHERE keeps it true if the lock is ever dropped).
    const auto marked = tx.exec_params(
        "UPDATE quotes SET state = 'used', used_by = $2 WHERE id = $1 AND state = 'issued'",
        quote_id,
        id
    );
    if (marked.affected_rows() != 1) {
        return conflict("quote-used", "the quote was used by another remittance");
    }
    const std::string now = platform::format_rfc3339(ctx.clock.now());
    tx.exec_params0(
        "INSERT INTO remittances (id, sender_id, idempotency_key, quote_id, sender_name, "
        "sender_date_of_birth, sender_kyc_tier, beneficiary_id, beneficiary_name, "
        "beneficiary_phone, payout_method, send_minor, fee_minor, receive_minor, purpose, "
        "source_of_funds, status, wallet_account_id, reserve_transfer_id, "
        "reserve_fee_transfer_id, payout_reference, created_at, updated_at) VALUES ($1, $2, $3, "
        "$4, $5, $6::date, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'created', $17, $18, "
        "$19, $20, $21, $21)",
        id,
        sender_id,
        r.idempotency_key,
        quote_id,
        text_of(worker, "full_name"),
        worker.contains("date_of_birth") && worker["date_of_birth"].is_string()
            ? std::optional<std::string>{worker["date_of_birth"].get<std::string>()}
            : std::nullopt,
        text_of(worker, "kyc_tier"),
        beneficiary_id,
        text_of(beneficiary, "full_name"),
        text_of(beneficiary, "phone"),
        qr[2].as<std::string>(),
        qr[3].as<std::int64_t>(),
        qr[4].as<std::int64_t>(),
        qr[5].as<std::int64_t>(),
        std::string{to_string(purpose.value().category)},
        std::string{to_string(purpose.value().source_of_funds)},
        wallet_account_id(sender_id),
        derived_id("reserve:" + id),
        derived_id("reserve-fee:" + id),
        // What the partner sees: the remittance id without dashes (32 characters, unique).
        platform::Id128::parse(id)->to_string().erase(8, 1).erase(12, 1).erase(16, 1).erase(20, 1),
        now
    );
    record_travel_rule_snapshot(tx, id, worker, beneficiary);
    start_remittance(ctx, tx, id);
    return api::json(202, *remittance_view(tx, id));
}

std::optional<json> remittance_view(pqxx::transaction_base& tx, const std::string& id) {
    if (!platform::Id128::parse(id)) {
        return std::nullopt;
    }
    const auto rows = tx.exec_params(
        "SELECT id::text, sender_id::text, status, send_minor, fee_minor, receive_minor, "
        "beneficiary_id::text, beneficiary_name, beneficiary_phone, payout_method, "
        "payout_reference, partner_reference, purpose, source_of_funds, quote_id::text, " +
            ts("created_at") + ", " + ts("updated_at") +
            ", compliance_case_id::text, voucher_code, " + ts("voucher_expires_at") +
            " FROM remittances WHERE id = $1",
        id
    );
    if (rows.empty()) {
        return std::nullopt;
    }
    const auto& m = rows[0];
    json history = json::array();
    for (const auto& h : tx.exec_params(
             "SELECT status, " + ts("at") +
                 ", reason FROM remittance_history WHERE remittance_id = $1 ORDER BY seq",
             id
         )) {
        history.push_back(
            {{"status", h[0].as<std::string>()},
             {"at", h[1].as<std::string>()},
             {"reason", h[2].as<std::string>()}}
        );
    }
    return json{
        {"id", m[0].as<std::string>()},
        {"sender_id", m[1].as<std::string>()},
        {"status", m[2].as<std::string>()},
        {"status_history", history},
        {"send_amount", money(m[3].as<std::int64_t>(), "ZAR")},
        {"fee", money(m[4].as<std::int64_t>(), "ZAR")},
        {"receive_amount", money(m[5].as<std::int64_t>(), "LSL")},
        {"beneficiary",
         {{"id", m[6].as<std::string>()},
          {"full_name", m[7].as<std::string>()},
          {"phone", m[8].as<std::string>()}}},
        {"payout",
         {{"method", m[9].as<std::string>()},
          {"reference", m[10].as<std::string>()},
          {"partner_reference", m[11].is_null() ? json(nullptr) : json(m[11].as<std::string>())},
          // Cash pickup: the code the recipient collects with (the PIN went to them alone).
          {"voucher_code", m[18].is_null() ? json(nullptr) : json(m[18].as<std::string>())},
          {"voucher_expires_at", m[19].is_null() ? json(nullptr) : json(m[19].as<std::string>())}}},
        {"purpose", m[12].as<std::string>()},
        {"source_of_funds", m[13].as<std::string>()},
        {"quote_id", m[14].as<std::string>()},
        {"compliance_case_id", m[17].is_null() ? json(nullptr) : json(m[17].as<std::string>())},
        {"created_at", m[15].as<std::string>()},
        {"updated_at", m[16].as<std::string>()}};
}

api::Reply get_remittance(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string id = r.path_param("id");
    const auto view = remittance_view(tx, id);
    const bool staff = r.has_role("compliance_officer") || r.has_role("finance");
    // Another worker's remittance is answered like a missing one.
    if (!view || (!staff && !is_worker(r, (*view)["sender_id"].get<std::string>()))) {
        return api::not_found("remittance");
    }
    log_read(tx, r, (*view)["sender_id"].get<std::string>(), id);
    return api::json(200, *view);
}

api::Reply list_remittances(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    const bool staff = r.has_role("compliance_officer") || r.has_role("finance");
    if (!staff && !r.has_role("worker")) {
        return api::forbidden("not allowed to list remittances");
    }
    std::int64_t limit = 50;
    if (r.query.contains("limit")) {
        const auto& l = r.query["limit"];
        if (!l.is_number_integer() || l.get<std::int64_t>() < 1 || l.get<std::int64_t>() > 200) {
            return api::problem(
                400, "bad-request", "Invalid query", "", {{"limit", "must be 1 to 200"}}
            );
        }
        limit = l.get<std::int64_t>();
    }
    std::string after;
    if (r.query.contains("cursor")) {
        const auto decoded =
            r.query["cursor"].is_string()
                ? platform::crypto::base64url_decode(r.query["cursor"].get<std::string>())
                : std::nullopt;
        if (!decoded || !platform::Id128::parse(*decoded)) {
            return api::problem(
                400, "bad-request", "Invalid query", "", {{"cursor", "not a cursor this list gave"}}
            );
        }
        after = *decoded;
    }
    std::string status = text_of(r.query, "status");
    if (!status.empty() && !remittance_state_from(status)) {
        return api::problem(
            400, "bad-request", "Invalid query", "", {{"status", "no such status"}}
        );
    }
    std::optional<std::string> from;
    std::optional<std::string> to;
    for (const char* bound : {"from", "to"}) {
        const std::string text = text_of(r.query, bound);
        if (text.empty()) {
            continue;
        }
        const auto t = platform::parse_rfc3339(text);
        if (!t) {
            return api::problem(
                400, "bad-request", "Invalid query", "", {{bound, "must be an RFC 3339 date-time"}}
            );
        }
        (std::string_view{bound} == "from" ? from : to) = platform::format_rfc3339(*t);
    }
    const auto rows = tx.exec_params(
        "SELECT id::text, sender_id::text FROM remittances r WHERE ($1 = '' OR sender_id = "
        "NULLIF($1, '')::uuid) AND ($2 = '' OR status = $2) AND ($3::timestamptz IS NULL OR "
        "created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4) AND ($5 = '' OR "
        "(created_at, id) < (SELECT created_at, id FROM remittances WHERE id = NULLIF($5, "
        "'')::uuid)) ORDER BY created_at DESC, id DESC LIMIT $6",
        staff ? std::string{} : r.caller->subject,
        status,
        from,
        to,
        after,
        limit + 1
    );
    json items = json::array();
    std::string last;
    for (const auto& row : rows) {
        if (static_cast<std::int64_t>(items.size()) == limit) {
            break;
        }
        last = row[0].as<std::string>();
        items.push_back(*remittance_view(tx, last));
        log_read(tx, r, row[1].as<std::string>(), last);
    }
    const bool more = static_cast<std::int64_t>(rows.size()) > limit;
    return api::json(
        200,
        json{
            {"items", items},
            {"next_cursor", more ? json(platform::crypto::base64url_encode(last)) : json(nullptr)}}
    );
}

api::Reply cancel_remittance(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string id = r.path_param("id");
    const auto view = remittance_view(tx, id);
    if (!view || !is_worker(r, (*view)["sender_id"].get<std::string>())) {
        return api::not_found("remittance");
    }
    const auto result =
        apply_event(ctx, tx, id, RemittanceEvent::kCancel, {"cancelled by the sender", "sender"});
    if (!result) {
        return conflict(
            std::string{to_string(result.error().reason)} == "too_late_to_cancel"
                ? "too-late-to-cancel"
                : "not-cancellable",
            result.error().message
        );
    }
    return api::json(200, *remittance_view(tx, id));
}

}  // namespace chelete::remittance::detail
