#include "domain/incoming.hpp"

namespace chelete::ussd {

std::optional<PayoutMethod> payout_method_from(std::string_view name) {
    if (name == "mpesa") {
        return PayoutMethod::kMpesa;
    }
    if (name == "ecocash") {
        return PayoutMethod::kEcocash;
    }
    if (name == "cash_pickup") {
        return PayoutMethod::kCashPickup;
    }
    return std::nullopt;
}

namespace {

// The states before payout.cmd hands the payout to a partner (remittance's is_before_payout).
bool before_payout(std::string_view status) {
    return status == "created" || status == "screening" || status == "held" ||
           status == "approved" || status == "funded";
}

}  // namespace

std::optional<Stage> stage_of(std::string_view status, PayoutMethod method, bool voucher_live) {
    if (before_payout(status)) {
        return Stage::kOnItsWay;
    }
    if (status == "payout_pending" || status == "payout_unknown") {
        // A cash pickup waits at the agents once its voucher is out; anything else is still
        // with the partner.
        return method == PayoutMethod::kCashPickup && voucher_live ? Stage::kReadyToCollect
                                                                   : Stage::kOnItsWay;
    }
    if (status == "paid") {
        return Stage::kPaid;
    }
    if (status == "failed" || status == "refunded") {
        return Stage::kReturned;  // a failed payout is refunded to the sender
    }
    return std::nullopt;  // rejected, cancelled: never sent to the family
}

std::optional<IncomingRemittance> to_incoming(const RemitRecord& record) {
    const auto method = payout_method_from(record.payout_method);
    if (!method || !is_reference_shaped(record.reference)) {
        return std::nullopt;  // a reference a session could not remember is never offered
    }
    const auto stage = stage_of(record.status, *method, record.voucher_live);
    if (!stage) {
        return std::nullopt;
    }
    IncomingRemittance r;
    r.reference = record.reference;
    r.amount_minor = record.receive_minor;
    r.sender_name = record.sender_name;
    r.stage = *stage;
    r.method = *method;
    r.voucher_resendable = *method == PayoutMethod::kCashPickup && *stage == Stage::kReadyToCollect;
    // Both must agree: the remittance service's word, and a state before the hand-off (a stale
    // or wrong answer never offers a change the remittance service would refuse).
    if (record.method_changeable && before_payout(record.status)) {
        for (const auto m :
             {PayoutMethod::kMpesa, PayoutMethod::kEcocash, PayoutMethod::kCashPickup}) {
            if (m != *method && (m != PayoutMethod::kCashPickup || record.cash_pickup_possible)) {
                r.methods_allowed.push_back(m);
            }
        }
    }
    return r;
}

std::optional<PinCheck> pin_check_from(std::string_view answer) {
    if (answer == "correct") {
        return PinCheck::kCorrect;
    }
    if (answer == "wrong") {
        return PinCheck::kWrong;
    }
    if (answer == "locked") {
        return PinCheck::kLocked;
    }
    return std::nullopt;
}

std::string_view to_string(PinCheck check) {
    switch (check) {
        case PinCheck::kCorrect:
            return "correct";
        case PinCheck::kWrong:
            return "wrong";
        case PinCheck::kLocked:
            return "locked";
    }
    return "wrong";
}

std::optional<std::string> proven_pin(
    const std::vector<std::string>& inputs, const PinAnswers& pins
) {
    std::optional<std::string> out;
    for (const auto& [position, check] : pins) {
        if (check == PinCheck::kCorrect && position < inputs.size()) {
            out = inputs[position];  // the map is ordered: the last correct one wins
        }
    }
    return out;
}

}  // namespace chelete::ussd
