#pragma once

// The notify.sms message on notify.cmd (docs/notifier.md "Message contract"):
//   {"to": "+26658123456", "template": "remittance_paid", "params": {"amount": "493.00", ...},
//    "subject_id": "<who it is about>", "dedupe_key": "remit:<id>:paid:sender",
//    "language": "en" | "st" (optional)}
// Strict: unknown members, non-string parameters, a bad number or language are refused. Error
// messages name the member, never a parameter's value (a PIN).

#include <optional>
#include <string>
#include <string_view>

#include <chelete/platform/result.hpp>

#include "domain/catalogue.hpp"

namespace chelete::sms::wire {

inline constexpr std::string_view kSmsMessageType = "notify.sms";
inline constexpr std::size_t kMaxDedupeKey = 200;
inline constexpr std::size_t kMaxSubjectId = 64;
inline constexpr std::size_t kMaxParams = 16;
inline constexpr std::size_t kMaxParamValue = 256;
inline constexpr std::size_t kMaxPayload = 8192;

struct SmsRequest {
    std::string to;  // E.164 with '+', normalized
    std::string template_name;
    Params params;
    std::string subject_id;  // may be empty
    std::string dedupe_key;
    std::optional<Language> language;

    friend bool operator==(const SmsRequest&, const SmsRequest&) = default;
};

[[nodiscard]] platform::Result<SmsRequest, std::string> parse_sms_request(std::string_view payload);
/// The canonical JSON of a request (what parse_sms_request reads back as the same request).
[[nodiscard]] std::string to_json(const SmsRequest& request);

}  // namespace chelete::sms::wire
