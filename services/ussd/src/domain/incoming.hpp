#pragma once
// From what the other services answer to what the menu shows (docs/ussd.md "What the menu is
// told"): a remittance's state as a family's stage, which actions it allows, and the PIN check's
// answer. Pure: the service adapter reads the wire values and passes them here.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/menu.hpp"

namespace chelete::ussd {

/// A remittance to the caller, as the remittance service answers remit.ussd_incoming.
struct RemitRecord {
    std::string remittance_id;
    std::string reference;  // the short reference of the SMS
    std::int64_t receive_minor = 0;
    std::string sender_name;
    std::string status;         // the remittance's state (created, ..., payout_pending, paid, ...)
    std::string payout_method;  // mpesa | ecocash | cash_pickup
    bool voucher_live = false;  // a voucher was issued and has not expired
    bool method_changeable = false;     // the payout has not been handed to a partner yet
    bool cash_pickup_possible = false;  // a national id is on file (an agent pays against it)
};

[[nodiscard]] std::optional<PayoutMethod> payout_method_from(std::string_view name);
/// The family's stage of a remittance state; nullopt for a state the family is not shown.
[[nodiscard]] std::optional<Stage> stage_of(
    std::string_view status, PayoutMethod method, bool voucher_live
);
/// The menu's view of a record; nullopt when it cannot be shown (an unknown state or method).
[[nodiscard]] std::optional<IncomingRemittance> to_incoming(const RemitRecord& record);

/// "correct" | "wrong" | "locked", as the registry answers registry.ussd_pin_check.
[[nodiscard]] std::optional<PinCheck> pin_check_from(std::string_view answer);
[[nodiscard]] std::string_view to_string(PinCheck check);

/// The PIN the caller proved in this session (the input of the last correct check), which the
/// registry wants again with a new PIN; nullopt when no check was correct.
[[nodiscard]] std::optional<std::string> proven_pin(
    const std::vector<std::string>& inputs, const PinAnswers& pins
);

}  // namespace chelete::ussd
