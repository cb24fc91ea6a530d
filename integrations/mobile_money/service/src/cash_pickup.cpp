// Cash pickup (docs/payout.md "Cash pickup"): a voucher code and PIN sent to the recipient by
// SMS, redeemed at a Lesotho agent with the recipient's national id, locked after five wrong
// tries, expired (and the sender refunded) when nobody collects it.

#include <chelete/platform/money.hpp>

#include "domain/voucher.hpp"
#include "payout_impl.hpp"

namespace chelete::payout {

namespace {

constexpr int kMaxVoucherCodeDraws = 8;

api::Reply refused(int attempts_left, bool locked) {
    // One answer for a wrong PIN and a wrong national id: which of the two was right is not
    // something the counter should tell.
    auto reply = api::problem(
        403,
        "redeem-refused",
        "Forbidden",
        locked ? "the PIN or the national id does not match; the voucher is now locked"
               : "the PIN or the national id does not match"
    );
    reply.body["attempts_left"] = attempts_left;
    return reply;
}

}  // namespace

void PayoutService::Impl::issue_voucher(
    pqxx::transaction_base& tx, const std::string& remittance_id, const json& request
) const {
    const std::string now = now_text();
    const std::string expires = later_text(settings.voucher_lifetime);
    const std::string pin = voucher_pin_from(platform::crypto::random_u64());
    const std::string pin_hash = pin_hasher.hash(pin);
    std::string code;
    for (int draw = 0; draw < kMaxVoucherCodeDraws && code.empty(); ++draw) {
        const std::string candidate = voucher_code_from(platform::crypto::random_u64());
        const auto inserted = tx.exec_params(
            "INSERT INTO vouchers (remittance_id, code, pin_hash, state, issued_at, expires_at) "
            "VALUES ($1, $2, $3, 'issued', $4, $5) ON CONFLICT (code) DO NOTHING",
            remittance_id,
            candidate,
            pin_hash,
            now,
            expires
        );
        if (inserted.affected_rows() == 1) {
            code = candidate;
        }
    }
    if (code.empty()) {
        // 10^9 codes: eight collisions in a row means the table is nearly full or the random
        // source is broken. The consumer retries the message; an operator must look.
        throw std::runtime_error("no free voucher code after several draws");
    }
    // The voucher waits at the agents: no worker claims a cash_pickup payout.
    tx.exec_params0(
        "UPDATE payouts SET state = 'accepted', next_check_at = $2, updated_at = $3 WHERE "
        "remittance_id = $1",
        remittance_id,
        expires,
        now
    );
    const json recipient = request.contains("recipient") ? request["recipient"] : json::object();
    const json sender = request.contains("sender") ? request["sender"] : json::object();
    // The PIN leaves only in this request; the notifier sends it without storing it
    // (docs/notifier.md "Secret templates").
    outbox->enqueue(
        tx,
        bus::OutgoingMessage{
            settings.notify_command,
            "notify.sms",
            json{
                {"to", api::text_of(recipient, "phone")},
                {"template", "voucher_issued"},
                {"params",
                 {{"voucher_code", code},
                  {"pin", pin},
                  {"amount",
                   platform::format_minor_units(request["amount_minor"].get<std::int64_t>())},
                  {"sender_name", api::text_of(sender, "full_name")}}},
                {"subject_id", api::text_of(recipient, "beneficiary_id")},
                {"dedupe_key", "payout:" + remittance_id + ":voucher_issued"}}
                .dump(),
            "",
            ""}
    );
    outbox->enqueue(
        tx,
        bus::OutgoingMessage{
            settings.event_stream,
            std::string{messages::kVoucherIssued},
            json{{"remittance_id", remittance_id}, {"voucher_code", code}, {"expires_at", expires}}
                .dump(),
            "",
            ""}
    );
    spdlog::info("payout {}: cash-pickup voucher issued, expires {}", remittance_id, expires);
}

void PayoutService::Impl::resend_voucher(
    pqxx::transaction_base& tx, const json& command, const std::string& message_id
) const {
    const std::string remittance_id =
        command.is_object() ? api::text_of(command, "remittance_id") : std::string{};
    const std::string phone = command.is_object() ? api::text_of(command, "phone") : std::string{};
    const auto refuse = [&](std::string_view why) {
        // A command from the USSD service's outbox: nobody waits for an answer.
        spdlog::warn(
            "payout.resend_voucher {} for {}: not sent: {}", message_id, remittance_id, why
        );
    };
    if (!platform::Id128::parse(remittance_id) || phone.empty()) {
        refuse("needs remittance_id and phone");
        return;
    }
    const auto rows = tx.exec_params(
        "SELECT v.code, v.state, v.expires_at > $2::timestamptz, p.msisdn, p.amount_minor, "
        "p.sender_name, coalesce(p.beneficiary_id::text, '') FROM vouchers v JOIN payouts p USING "
        "(remittance_id) WHERE v.remittance_id = $1 FOR UPDATE OF v",
        remittance_id,
        now_text()
    );
    const auto digits = [](std::string_view number) {
        return std::string{number.substr(!number.empty() && number[0] == '+' ? 1 : 0)};
    };
    // Only to the phone the voucher was issued to, whoever asks.
    if (rows.empty() || digits(rows[0][3].as<std::string>()) != digits(phone)) {
        refuse("no voucher for this phone");
        return;
    }
    // A locked, redeemed or expired voucher stays as it is: a new PIN must not reopen it.
    if (rows[0][1].as<std::string>() != "issued" || !rows[0][2].as<bool>()) {
        refuse("the voucher is " + rows[0][1].as<std::string>() + " or past its time");
        return;
    }
    const std::string code = rows[0][0].as<std::string>();
    const std::string pin = voucher_pin_from(platform::crypto::random_u64());
    // The failed tries are kept: asking again must not buy more guesses.
    tx.exec_params0(
        "UPDATE vouchers SET pin_hash = $2 WHERE remittance_id = $1",
        remittance_id,
        pin_hasher.hash(pin)
    );
    json sms{
        {"to", phone},
        {"template", "voucher_issued"},
        {"params",
         {{"voucher_code", code},
          {"pin", pin},
          {"amount", platform::format_minor_units(rows[0][4].as<std::int64_t>())},
          {"sender_name", rows[0][5].as<std::string>()}}},
        {"dedupe_key", "payout:" + remittance_id + ":voucher_resent:" + message_id}};
    if (const std::string subject = rows[0][6].as<std::string>(); !subject.empty()) {
        sms["subject_id"] = subject;
    }
    outbox->enqueue(
        tx, bus::OutgoingMessage{settings.notify_command, "notify.sms", sms.dump(), "", ""}
    );
    spdlog::info("payout {}: cash-pickup voucher sent again with a new PIN", remittance_id);
}

api::Reply PayoutService::Impl::redeem(pqxx::dbtransaction& tx, const api::Request& request) const {
    const json& body = request.body;
    const std::string code = api::text_of(body, "voucher_code");
    const std::string pin = api::text_of(body, "pin");
    const std::string national_id = api::text_of(body, "recipient_national_id");
    std::vector<api::FieldError> errors;
    if (!is_voucher_code(code)) {
        errors.push_back(
            {"voucher_code", "10 digits as the SMS shows them; these fail the check digit"}
        );
    }
    if (!is_voucher_pin(pin)) {
        errors.push_back({"pin", "the 6-digit PIN of the SMS"});
    }
    if (national_id.empty() || national_id.size() > 64) {
        errors.push_back({"recipient_national_id", "the recipient's national id, as printed"});
    }
    if (!errors.empty()) {
        return api::unprocessable(errors);
    }
    if (!request.caller || !platform::Id128::parse(request.caller->subject)) {
        return api::forbidden("only an agent can redeem a voucher");
    }
    const std::string agent_id = request.caller->subject;
    // Whom the voucher pays, read without a lock: the registry is asked before any row is
    // locked (its answer may take CHELETE_PAYOUT_REGISTRY_TIMEOUT), and where the agent works is
    // known before the PIN is looked at, so an agent outside Lesotho can neither burn the
    // voucher's tries nor learn whether a PIN is right.
    const auto whom = tx.exec_params(
        "SELECT coalesce(p.beneficiary_id::text, '') FROM vouchers v JOIN payouts p USING "
        "(remittance_id) WHERE v.code = $1",
        code
    );
    if (whom.empty()) {
        return api::not_found("voucher");
    }
    const std::string beneficiary_id = whom[0][0].as<std::string>();
    std::optional<RecipientCheck> check;
    if (checker && !beneficiary_id.empty()) {
        check = checker->check(beneficiary_id, national_id, agent_id);
    }
    if (!check) {
        return api::problem(
            503,
            "unavailable",
            "Service unavailable",
            "the recipient's national id could not be checked now; nothing changed, try again"
        );
    }
    if (check->agent_country != "LS") {
        return api::forbidden("cash pickups are paid by agents in Lesotho");
    }
    const auto rows = tx.exec_params(
        "SELECT v.remittance_id::text, v.state, v.pin_hash, v.failed_attempts, v.expires_at <= "
        "$2::timestamptz, p.amount_minor, p.recipient_name, "
        "to_char(v.redeemed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
        "coalesce(v.redeemed_by::text, '') "
        "FROM vouchers v JOIN payouts p USING (remittance_id) WHERE v.code = $1 FOR UPDATE",
        code,
        now_text()
    );
    const auto& v = rows.at(0);
    const std::string remittance_id = v[0].as<std::string>();
    const std::string state = v[1].as<std::string>();
    const auto amount = v[5].as<std::int64_t>();
    const auto paid_answer = [&](const std::string& redeemed_at) {
        return api::json(
            200,
            json{
                {"remittance_id", remittance_id},
                {"status", "paid"},
                {"amount", {{"amount", platform::format_minor_units(amount)}, {"currency", "LSL"}}},
                {"recipient_name", v[6].as<std::string>()},
                {"redeemed_at", redeemed_at}}
        );
    };
    const auto record = [&](std::string_view result) {
        tx.exec_params0(
            "INSERT INTO voucher_attempts (remittance_id, agent_id, at, result) VALUES ($1, $2, "
            "$3, $4)",
            remittance_id,
            agent_id,
            now_text(),
            std::string{result}
        );
    };
    if (state == "redeemed") {
        if (v[8].as<std::string>() == agent_id && pin_hasher.verify(pin, v[2].as<std::string>()) &&
            check->identity_match) {
            // The same agent asking again (its answer was lost): the same answer, nothing moves.
            return paid_answer(v[7].as<std::string>());
        }
        return api::problem(
            409,
            "voucher-redeemed",
            "Conflict",
            "this voucher was collected at " + v[7].as<std::string>()
        );
    }
    if (state == "expired" || v[4].as<bool>()) {
        return api::problem(
            410,
            "voucher-expired",
            "Gone",
            "this voucher expired uncollected; the sender is refunded"
        );
    }
    if (state == "locked") {
        return api::problem(
            423,
            "voucher-locked",
            "Locked",
            "too many wrong tries: this voucher is locked until it expires and the sender is "
            "refunded"
        );
    }
    const int failures = v[3].as<int>();
    const auto count_failure = [&](std::string_view result) {
        const int now_failed = failures + 1;
        const bool lock = now_failed >= kVoucherMaxFailures;
        tx.exec_params0(
            "UPDATE vouchers SET failed_attempts = $2, state = CASE WHEN $3 THEN 'locked' ELSE "
            "state END, locked_at = CASE WHEN $3 THEN $4::timestamptz ELSE locked_at END WHERE "
            "remittance_id = $1",
            remittance_id,
            now_failed,
            lock,
            now_text()
        );
        record(result);
        if (lock) {
            spdlog::warn(
                "payout {}: cash-pickup voucher locked after {} failures", remittance_id, now_failed
            );
        }
        return refused(kVoucherMaxFailures - now_failed, lock);
    };
    if (!pin_hasher.verify(pin, v[2].as<std::string>())) {
        return count_failure("wrong_pin");
    }
    if (!check->beneficiary_found || !check->identity_match) {
        return count_failure("identity_mismatch");
    }
    const std::string now = now_text();
    tx.exec_params0(
        "UPDATE vouchers SET state = 'redeemed', redeemed_at = $2, redeemed_by = $3 WHERE "
        "remittance_id = $1",
        remittance_id,
        now,
        agent_id
    );
    record("redeemed");
    const auto locked = lock_payout(tx, remittance_id);
    if (!locked || is_final(locked->facts.state)) {
        throw std::logic_error("a redeemable voucher's payout is final: " + remittance_id);
    }
    Decision paid;
    paid.next = PayoutState::kPaid;
    paid.report = Report::kPaid;
    paid.reason = "collected in cash at an agent";
    apply(tx, remittance_id, *locked, paid, "CP" + code);
    post_payout(tx, remittance_id, agent_owner(agent_id), "cash_pickup");
    return paid_answer(now);
}

int PayoutService::Impl::expire_vouchers() {
    int expired = 0;
    platform::with_transaction(*pool, [&](pqxx::work& tx) {
        const std::string now = now_text();
        const auto due = tx.exec_params(
            "SELECT remittance_id::text FROM vouchers WHERE state IN ('issued', 'locked') AND "
            "expires_at <= $1 ORDER BY expires_at LIMIT 100 FOR UPDATE SKIP LOCKED",
            now
        );
        for (const auto& row : due) {
            const std::string id = row[0].as<std::string>();
            const auto locked = lock_payout(tx, id);
            if (!locked || is_final(locked->facts.state)) {
                continue;
            }
            tx.exec_params0(
                "UPDATE vouchers SET state = 'expired', expired_at = $2 WHERE remittance_id = $1",
                id,
                now
            );
            Decision failed;
            failed.next = PayoutState::kFailed;
            failed.report = Report::kFailed;
            failed.reason = "the cash-pickup voucher expired uncollected";
            apply(tx, id, *locked, failed, "");
            ++expired;
        }
    });
    return expired;
}

}  // namespace chelete::payout
