#pragma once

// The SMS gateway's wire format (docs/notifier.md "Gateway"): the request body and the
// interpretation of an answer. No I/O.

#include <string>
#include <string_view>

#include <chelete/sms/gateway.hpp>

namespace chelete::sms::wire {

/// {"to": "<digits>", "from", "text", "reference"}
[[nodiscard]] std::string message_body(const OutgoingSms& sms);

/// 2xx (202 new, 200 a known reference) with {"message_id", "segments"} -> kAccepted; a 2xx whose
/// body does not parse -> kRetryable (the resend with the same reference answers with the first
/// message); 408, 429, 5xx -> kRetryable; other statuses -> kRejected. `detail` is never empty.
[[nodiscard]] SendResult interpret_reply(long status, std::string_view body);

/// True for the references the gateway accepts: 1-64 characters of [A-Za-z0-9._:-].
[[nodiscard]] bool is_valid_reference(std::string_view reference);

}  // namespace chelete::sms::wire
