#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <chelete/ledger/types.hpp>
#include <chelete/platform/result.hpp>

namespace chelete::ledger::codec {

/// Why a command was refused; `field` is like "transfers[3].amount".
struct CodecError {
    std::string field;
    std::string message;
};

constexpr std::size_t kMaxEventsPerCommand = 8190;

/// Parses the bus form of accounts and transfers (docs/ledger.md "Commands"): ids as UUID
/// strings, amounts as integer minor units, flags as a list of names. Strict: unknown fields,
/// wrong types, out-of-range numbers, more than kMaxEventsPerCommand events are refused.
[[nodiscard]] platform::Result<std::vector<Account>, CodecError> parse_accounts(
    const nlohmann::json& command
);
[[nodiscard]] platform::Result<std::vector<Transfer>, CodecError> parse_transfers(
    const nlohmann::json& command
);

[[nodiscard]] nlohmann::json to_json(const Account& account);
[[nodiscard]] nlohmann::json to_json(const Transfer& transfer);
[[nodiscard]] nlohmann::json account_flags(std::uint16_t flags);
[[nodiscard]] nlohmann::json transfer_flags(std::uint16_t flags);
/// An amount in the API's Money form: {"amount": "500.00", "currency": "ZAR"}.
[[nodiscard]] nlohmann::json money(std::int64_t minor, Currency currency);
/// Timestamps (ns) as RFC 3339 with milliseconds.
[[nodiscard]] std::string rfc3339(Timestamp ns);

}  // namespace chelete::ledger::codec
