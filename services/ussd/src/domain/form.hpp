#pragma once
// The USSD gateway's request (Africa's Talking style, DOMAIN.md §4): an
// application/x-www-form-urlencoded body with sessionId, serviceCode, phoneNumber, networkCode and
// text, where text is every input of the session so far joined with '*'. No I/O here.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/platform/result.hpp>

namespace chelete::ussd {

/// A refused request: the field named as the gateway spells it, and why (safe to show).
struct FormError {
    std::string field;
    std::string detail;
};

struct UssdRequest {
    std::string session_id;    // the gateway's id, the same on every turn of one session
    std::string service_code;  // the code dialled, e.g. *120*5050#
    std::string phone_number;  // E.164 with '+', the caller
    std::string network_code;  // the mobile network, may be empty
    std::string text;          // every input so far joined with '*', "" on the first turn
};

inline constexpr std::size_t kMaxFormBytes = 4096;
inline constexpr std::size_t kMaxTextBytes = 512;
/// A session on a real network ends long before this many inputs (2 minutes, DOMAIN.md §4).
inline constexpr std::size_t kMaxInputs = 64;

/// Decodes and validates the form. Unknown fields are ignored (gateways add their own); a field
/// given twice, a bad percent escape or a value out of shape is refused, naming the field.
[[nodiscard]] platform::Result<UssdRequest, FormError> parse_ussd_form(std::string_view body);

/// `text` split into the inputs of the session: "" -> {}, "1*2" -> {"1", "2"}, "1**" ->
/// {"1", "", ""} (an empty input is an input, the menu refuses it).
[[nodiscard]] std::vector<std::string> split_inputs(std::string_view text);

}  // namespace chelete::ussd
