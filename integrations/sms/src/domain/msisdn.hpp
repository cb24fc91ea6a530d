#pragma once

// Mobile numbers of the corridor as the notifier accepts them. Pure: no I/O.

#include <optional>
#include <string>
#include <string_view>

namespace chelete::sms {

/// "+27" and 9 digits (South Africa) or "+266" and 8 digits (Lesotho), with or without the '+'
/// (the registry stores E.164 with it, the SMS gateway wants it without). Returns the E.164 form
/// with '+', or nullopt for anything else.
[[nodiscard]] std::optional<std::string> normalize_msisdn(std::string_view number);

/// The gateway's form of a normalized number: the digits without '+'.
[[nodiscard]] std::string gateway_msisdn(std::string_view e164);

/// "+2665812****": enough to tell numbers apart in a log line, not enough to text someone.
[[nodiscard]] std::string masked_msisdn(std::string_view e164);

}  // namespace chelete::sms
