// What the USSD service asks of remittances (docs/ussd.md "What the remittance service answers"):
// the remittances sent to a phone, and a family's choice of payout method before the payout
// starts. Both arrive on remit.cmd beside the HTTP envelopes.

#include <spdlog/spdlog.h>

#include <chelete/platform/id.hpp>
#include <chelete/platform/money.hpp>

#include "service/context.hpp"

namespace chelete::remittance::detail {
namespace {

constexpr int kMaxIncoming = 7;  // the menu lists four; a few more so it can pick the newest

bool is_method(std::string_view m) {
    return m == "mpesa" || m == "ecocash" || m == "cash_pickup";
}

std::string given_name(const std::string& full_name) {
    return full_name.substr(0, full_name.find(' '));
}

}  // namespace

std::string ussd_incoming(
    const Context& ctx, pqxx::dbtransaction& tx, const json& query, const std::string& request_id
) {
    const std::string phone = text_of(query, "phone");
    if (phone.empty() || phone.size() > 16 || phone[0] != '+') {
        return api::problem(
                   400,
                   "bad-request",
                   "Invalid query",
                   "phone: an E.164 number",
                   {{"phone", "an E.164 number"}}
        ).to_payload();
    }
    // Rejected and cancelled remittances never left the sender: the family is not shown them.
    const auto rows = tx.exec_params(
        "SELECT id::text, sender_id::text, payout_reference, receive_minor, sender_name, status, "
        "payout_method, voucher_code IS NOT NULL AND coalesce(voucher_expires_at > "
        "$3::timestamptz, false), beneficiary_national_id_masked IS NOT NULL FROM remittances "
        "WHERE beneficiary_phone = $1 AND status NOT IN ('rejected', "
        "'cancelled') ORDER BY created_at DESC, id DESC LIMIT $2",
        phone,
        kMaxIncoming,
        platform::format_rfc3339(ctx.clock.now())
    );
    json out = json::array();
    for (const auto& r : rows) {
        const std::string id = r[0].as<std::string>();
        const auto state = remittance_state_from(r[5].as<std::string>());
        out.push_back(json{
            {"remittance_id", id},
            {"reference", short_ref(r[2].as<std::string>())},
            {"receive_minor", r[3].as<std::int64_t>()},
            {"sender_name", given_name(r[4].as<std::string>())},
            {"status", r[5].as<std::string>()},
            {"payout_method", r[6].as<std::string>()},
            {"voucher_live", r[7].as<bool>()},
            // An agent pays a cash pickup only against the national id on file.
            {"cash_pickup_possible", r[8].as<bool>()},
            // The rule is the state machine's (choose_payout_method enforces it again).
            {"method_changeable", state && is_before_payout(*state)}});
        // The sender's name and the amount went to someone other than the sender.
        tx.exec_params0(
            "INSERT INTO access_log (subject_id, actor_id, actor_role, record, record_id, purpose, "
            "request_id) VALUES ($1, $2, 'beneficiary', 'remittance', $3, 'ussd', $4)",
            r[1].as<std::string>(),
            "ussd:" + phone,
            id,
            request_id
        );
    }
    return api::json(200, json{{"remittances", out}}).to_payload();
}

std::string choose_payout_method(
    const Context& ctx, pqxx::dbtransaction& tx, const json& command, const std::string& message_id
) {
    const std::string id = text_of(command, "remittance_id");
    const std::string phone = text_of(command, "phone");
    const std::string method = text_of(command, "method");
    const auto refuse = [&](int status, std::string_view why) {
        // A command from the USSD service's outbox: nobody waits, so the refusal is logged.
        spdlog::warn("remit.choose_method {} for {}: refused: {}", message_id, id, why);
        return api::problem(status, "method-not-changed", "Payout method not changed", why)
            .to_payload();
    };
    if (!platform::Id128::parse(id) || !is_method(method)) {
        return refuse(400, "needs remittance_id and a method (mpesa, ecocash, cash_pickup)");
    }
    const auto rows = tx.exec_params(
        "SELECT status, payout_method, beneficiary_phone, payout_reference, receive_minor, "
        "beneficiary_national_id_masked IS NOT NULL FROM remittances WHERE id = $1 FOR UPDATE",
        id
    );
    // Only the family the money is for may choose (the phone the USSD network vouched for).
    if (rows.empty() || rows[0][2].as<std::string>() != phone) {
        return refuse(404, "no such remittance for this phone");
    }
    const auto state = remittance_state_from(rows[0][0].as<std::string>());
    // "Where allowed": the payout has not been handed to the partner yet (before payout.cmd, the
    // same states in which the sender may still cancel). The row is locked, and dispatching the
    // payout locks it too, so the two cannot cross.
    if (!state || !is_before_payout(*state)) {
        return refuse(409, "the payout has already started");
    }
    // An agent pays a cash pickup only against the beneficiary's national id (registry
    // recipient_check): without one on file the voucher could never be collected.
    if (method == "cash_pickup" && !rows[0][5].as<bool>()) {
        return refuse(409, "no national id on file for a cash pickup");
    }
    if (rows[0][1].as<std::string>() == method) {
        return api::json(200, json{{"changed", false}}).to_payload();
    }
    const std::string now = platform::format_rfc3339(ctx.clock.now());
    tx.exec_params0(
        "UPDATE remittances SET payout_method = $2, updated_at = $3 WHERE id = $1", id, method, now
    );
    ctx.send(
        tx,
        ctx.settings.saga.notify_command,
        "notify.sms",
        json{
            {"to", phone},
            {"template", "payout_method_changed"},
            {"params",
             {{"ref", short_ref(rows[0][3].as<std::string>())},
              {"amount", platform::format_minor_units(rows[0][4].as<std::int64_t>())},
              {"method", method}}},
            {"dedupe_key", "remit:" + id + ":method:" + message_id}}
    );
    spdlog::info("remittance {}: payout method changed to {} by the family", id, method);
    return api::json(200, json{{"changed", true}}).to_payload();
}

}  // namespace chelete::remittance::detail
