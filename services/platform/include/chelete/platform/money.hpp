#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <chelete/platform/result.hpp>

namespace chelete::platform {

/// The corridor's two currencies (ISO 4217, exponent 2). The loti is pegged 1:1 to the rand.
enum class Currency : std::uint8_t { kZar = 1, kLsl = 2 };

[[nodiscard]] std::string_view to_string(Currency c);
[[nodiscard]] std::optional<Currency> parse_currency(std::string_view code);

/// Why a decimal amount string was refused; the text is safe to show to a client.
struct AmountError {
    std::string message;
};

/// An amount in minor units (cents, lisente) with its currency. Never a floating point number.
struct Money {
    std::int64_t minor = 0;
    Currency currency = Currency::kZar;

    friend bool operator==(const Money&, const Money&) = default;
};

/// Parses the API's decimal form: optional '-', digits without a leading zero (or a single 0),
/// '.', exactly two decimals ("500.00"). Anything else, or a value beyond int64 minor units, is
/// refused. `allow_negative` is false for every client-supplied amount.
[[nodiscard]] Result<std::int64_t, AmountError> parse_minor_units(
    std::string_view text, bool allow_negative = false
);

/// Formats minor units as the API's decimal string: 50000 -> "500.00", -5 -> "-0.05".
[[nodiscard]] std::string format_minor_units(std::int64_t minor);

/// Checked arithmetic: std::nullopt on int64 overflow.
[[nodiscard]] std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b);
[[nodiscard]] std::optional<std::int64_t> checked_sub(std::int64_t a, std::int64_t b);
[[nodiscard]] std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b);

/// round(value * numerator / denominator) half away from zero, computed in 128 bits so that basis
/// point fees on large amounts cannot overflow; std::nullopt if the result leaves int64.
[[nodiscard]] std::optional<std::int64_t> mul_div_round(
    std::int64_t value, std::int64_t numerator, std::int64_t denominator
);

}  // namespace chelete::platform
