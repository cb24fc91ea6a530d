// SMS to sender and recipient at every step of a remittance (DOMAIN.md "SMS to sender and
// recipient at every step"; docs/remittance.md "SMS"): notify.sms requests written through the
// outbox in the transaction that records the state, so a state is never recorded without its
// message, nor a message sent for a state that rolled back. Each carries a dedupe_key of
// "remit:<id>:<status>:<sender|recipient>": the notifier sends each at most once, however often
// the saga's messages are delivered. No language is named: the notifier's default applies.
#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include <chelete/platform/money.hpp>

#include "service/context.hpp"

namespace chelete::remittance::detail {
namespace {

struct Parties {
    std::string sender_id;
    std::string sender_name;
    std::string sender_phone;  // empty for remittances created before it was recorded
    std::string beneficiary_id;
    std::string beneficiary_name;
    std::string beneficiary_phone;
    std::int64_t send = 0;
    std::int64_t receive = 0;
    std::string ref;
};

Parties parties_of(pqxx::transaction_base& tx, const std::string& id) {
    const auto r = tx.exec_params1(
        "SELECT sender_id::text, sender_name, coalesce(sender_phone, ''), beneficiary_id::text, "
        "beneficiary_name, beneficiary_phone, send_minor, receive_minor, payout_reference FROM "
        "remittances WHERE id = $1",
        id
    );
    Parties p;
    p.sender_id = r[0].as<std::string>();
    p.sender_name = r[1].as<std::string>();
    p.sender_phone = r[2].as<std::string>();
    p.beneficiary_id = r[3].as<std::string>();
    p.beneficiary_name = r[4].as<std::string>();
    p.beneficiary_phone = r[5].as<std::string>();
    p.send = r[6].as<std::int64_t>();
    p.receive = r[7].as<std::int64_t>();
    p.ref = short_ref(r[8].as<std::string>());
    return p;
}

enum class Party { kSender, kRecipient };

void request_sms(
    const Context& ctx,
    pqxx::transaction_base& tx,
    const std::string& remittance_id,
    const Parties& p,
    Party party,
    std::string_view status,
    std::string_view template_name,
    json params
) {
    const bool sender = party == Party::kSender;
    const std::string& phone = sender ? p.sender_phone : p.beneficiary_phone;
    if (phone.empty()) {
        spdlog::info(
            "remittance {}: no SMS {} to the {}: no phone on record",
            remittance_id,
            template_name,
            sender ? "sender" : "recipient"
        );
        return;
    }
    params["ref"] = p.ref;
    ctx.send(
        tx,
        ctx.settings.saga.notify_command,
        "notify.sms",
        json{
            {"to", phone},
            {"template", template_name},
            {"params", std::move(params)},
            {"subject_id", sender ? p.sender_id : p.beneficiary_id},
            {"dedupe_key",
             "remit:" + remittance_id + ":" + std::string{status} + ":" +
                 (sender ? "sender" : "recipient")}}
    );
}

}  // namespace

/// The short reference people see: the last ten characters of the payout reference (the random
/// end of the id; its start is a timestamp shared by remittances made close together).
std::string short_ref(const std::string& payout_reference) {
    std::string ref = payout_reference.size() > 10
                          ? payout_reference.substr(payout_reference.size() - 10)
                          : payout_reference;
    std::transform(ref.begin(), ref.end(), ref.begin(), [](unsigned char c) {
        return static_cast<char>(std::toupper(c));
    });
    return ref;
}

void notify_parties(
    const Context& ctx,
    pqxx::transaction_base& tx,
    const std::string& remittance_id,
    RemittanceState from,
    RemittanceState to
) {
    // "created" is told when the new remittance goes to screening: the row is inserted as
    // created and moved on in the same transaction, without an event of its own.
    const bool created = from == RemittanceState::kCreated && to == RemittanceState::kScreening;
    const bool notified = created || to == RemittanceState::kPaid ||
                          to == RemittanceState::kFailed || to == RemittanceState::kRefunded ||
                          to == RemittanceState::kCancelled || to == RemittanceState::kRejected;
    if (!notified) {
        return;
    }
    const Parties p = parties_of(tx, remittance_id);
    const std::string send = platform::format_minor_units(p.send);
    const std::string receive = platform::format_minor_units(p.receive);
    if (created) {
        request_sms(
            ctx,
            tx,
            remittance_id,
            p,
            Party::kSender,
            "created",
            "remittance_created",
            {{"amount", send}, {"receive_amount", receive}, {"recipient_name", p.beneficiary_name}}
        );
        request_sms(
            ctx,
            tx,
            remittance_id,
            p,
            Party::kRecipient,
            "created",
            "remittance_incoming",
            {{"amount", receive}, {"sender_name", p.sender_name}}
        );
        return;
    }
    const std::string status{to_string(to)};
    switch (to) {
        case RemittanceState::kPaid:
            request_sms(
                ctx,
                tx,
                remittance_id,
                p,
                Party::kSender,
                status,
                "remittance_paid",
                {{"amount", receive}, {"recipient_name", p.beneficiary_name}}
            );
            request_sms(
                ctx,
                tx,
                remittance_id,
                p,
                Party::kRecipient,
                status,
                "remittance_received",
                {{"amount", receive}, {"sender_name", p.sender_name}}
            );
            break;
        case RemittanceState::kFailed:
            request_sms(
                ctx,
                tx,
                remittance_id,
                p,
                Party::kSender,
                status,
                "remittance_failed",
                {{"amount", receive}, {"recipient_name", p.beneficiary_name}}
            );
            break;
        case RemittanceState::kRefunded:
        case RemittanceState::kCancelled:
            // The whole send amount, fee included, is the sender's again (voided or never held).
            request_sms(
                ctx,
                tx,
                remittance_id,
                p,
                Party::kSender,
                status,
                "remittance_refunded",
                {{"amount", send}}
            );
            break;
        case RemittanceState::kRejected:
            request_sms(
                ctx,
                tx,
                remittance_id,
                p,
                Party::kSender,
                status,
                "remittance_rejected",
                {{"amount", send}, {"recipient_name", p.beneficiary_name}}
            );
            break;
        default:
            break;
    }
}

}  // namespace chelete::remittance::detail
