#include <array>
#include <limits>

#include <chelete/platform/money.hpp>

namespace chelete::platform {

std::string_view to_string(Currency c) {
    switch (c) {
        case Currency::kZar:
            return "ZAR";
        case Currency::kLsl:
            return "LSL";
    }
    return "???";
}

std::optional<Currency> parse_currency(std::string_view code) {
    if (code == "ZAR") {
        return Currency::kZar;
    }
    if (code == "LSL") {
        return Currency::kLsl;
    }
    return std::nullopt;
}

Result<std::int64_t, AmountError> parse_minor_units(std::string_view text, bool allow_negative) {
    constexpr std::size_t kMaxLength = 24;
    if (text.empty()) {
        return err(AmountError{"must not be empty"});
    }
    if (text.size() > kMaxLength) {
        return err(AmountError{"is too long"});
    }
    bool negative = false;
    std::size_t pos = 0;
    if (text[0] == '-') {
        if (!allow_negative) {
            return err(AmountError{"must not be negative"});
        }
        negative = true;
        pos = 1;
    }
    const std::size_t dot = text.find('.', pos);
    if (dot == std::string_view::npos) {
        return err(AmountError{"must have exactly two decimals, as in \"500.00\""});
    }
    const std::string_view whole = text.substr(pos, dot - pos);
    const std::string_view cents = text.substr(dot + 1);
    if (cents.size() != 2) {
        return err(AmountError{"must have exactly two decimals, as in \"500.00\""});
    }
    if (whole.empty()) {
        return err(AmountError{"must have digits before the decimal point"});
    }
    if (whole.size() > 1 && whole[0] == '0') {
        return err(AmountError{"must not have leading zeros"});
    }
    const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    std::int64_t value = 0;
    for (char c : whole) {
        if (!is_digit(c)) {
            return err(AmountError{"must contain only digits and one decimal point"});
        }
        if (__builtin_mul_overflow(value, 10, &value) ||
            __builtin_add_overflow(value, c - '0', &value)) {
            return err(AmountError{"is too large"});
        }
    }
    for (char c : cents) {
        if (!is_digit(c)) {
            return err(AmountError{"must contain only digits and one decimal point"});
        }
        if (__builtin_mul_overflow(value, 10, &value) ||
            __builtin_add_overflow(value, c - '0', &value)) {
            return err(AmountError{"is too large"});
        }
    }
    if (negative) {
        if (value == 0) {
            return err(AmountError{"negative zero is not an amount"});
        }
        value = -value;
    }
    return value;
}

std::string format_minor_units(std::int64_t minor) {
    // Work in unsigned so that INT64_MIN formats correctly.
    const bool negative = minor < 0;
    const std::uint64_t magnitude = negative ? static_cast<std::uint64_t>(-(minor + 1)) + 1U
                                             : static_cast<std::uint64_t>(minor);
    std::string out = std::to_string(magnitude / 100U);
    const std::uint64_t cents = magnitude % 100U;
    out.push_back('.');
    out.push_back(static_cast<char>('0' + cents / 10U));
    out.push_back(static_cast<char>('0' + cents % 10U));
    if (negative) {
        out.insert(out.begin(), '-');
    }
    return out;
}

std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b) {
    std::int64_t out = 0;
    if (__builtin_add_overflow(a, b, &out)) {
        return std::nullopt;
    }
    return out;
}

std::optional<std::int64_t> checked_sub(std::int64_t a, std::int64_t b) {
    std::int64_t out = 0;
    if (__builtin_sub_overflow(a, b, &out)) {
        return std::nullopt;
    }
    return out;
}

std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) {
    std::int64_t out = 0;
    if (__builtin_mul_overflow(a, b, &out)) {
        return std::nullopt;
    }
    return out;
}

std::optional<std::int64_t> mul_div_round(
    std::int64_t value, std::int64_t numerator, std::int64_t denominator
) {
    if (denominator == 0) {
        return std::nullopt;
    }
    __extension__ using Int128 = __int128;
    const Int128 product = static_cast<Int128>(value) * numerator;
    Int128 quotient = product / denominator;
    const Int128 remainder = product % denominator;
    // Half away from zero: compare 2*|remainder| with |denominator|.
    const Int128 twice_rem = remainder < 0 ? -2 * remainder : 2 * remainder;
    const Int128 abs_den =
        denominator < 0 ? -static_cast<Int128>(denominator) : static_cast<Int128>(denominator);
    if (twice_rem >= abs_den) {
        const bool negative = (product < 0) != (denominator < 0);
        quotient += negative ? -1 : 1;
    }
    if (quotient > std::numeric_limits<std::int64_t>::max() ||
        quotient < std::numeric_limits<std::int64_t>::min()) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(quotient);
}

}  // namespace chelete::platform
