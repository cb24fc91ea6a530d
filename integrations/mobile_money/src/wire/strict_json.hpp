#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <chelete/platform/result.hpp>

// Strict JSON reading shared by the partner wire parsers: what a partner sends decides where
// money goes, so an ambiguous body is refused rather than guessed at.
namespace chelete::mobile_money::wire {

using Json = nlohmann::json;

/// Parses `body` as one JSON object, refusing invalid JSON, anything but an object, and a key
/// repeated at any depth (nlohmann would keep the last one silently).
[[nodiscard]] platform::Result<Json, std::string> parse_object(std::string_view body);

/// Every member of `object` is one of `required` or `optional`, and every `required` one is
/// there; the error names the first offender.
[[nodiscard]] platform::Status<std::string> check_members(
    const Json& object,
    std::initializer_list<std::string_view> required,
    std::initializer_list<std::string_view> optional = {}
);

/// The member as a string; an error when it is absent or of another type.
[[nodiscard]] platform::Result<std::string, std::string> string_member(
    const Json& object, std::string_view name
);

/// The member when it is a string, else "" (for reading error bodies leniently: a missing or
/// odd member just means "no code", which the classification treats as unknown).
[[nodiscard]] std::string text_member(const Json& object, std::string_view name);

/// [A-Za-z0-9]{1,40}: an M-Pesa ThirdPartyConversationID.
[[nodiscard]] bool is_mpesa_reference(std::string_view text);
/// [A-Za-z0-9-]{1,40}: an EcoCash clientCorrelator.
[[nodiscard]] bool is_ecocash_reference(std::string_view text);
/// 1-64 printable ASCII characters without spaces: partner ids and codes we store and log.
[[nodiscard]] bool is_partner_token(std::string_view text);
/// 266 + 8 digits: a Lesotho MSISDN as both partners write it.
[[nodiscard]] bool is_lesotho_msisdn(std::string_view text);
/// An RFC 3339 UTC date-time (platform::parse_rfc3339 accepts it).
[[nodiscard]] bool is_rfc3339(std::string_view text);

}  // namespace chelete::mobile_money::wire
