#include "domain/common.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace chelete::compliance {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Digits without a leading zero, at most `max_digits` of them.
std::optional<std::int64_t> parse_digits(std::string_view text, std::size_t max_digits) {
    if (!all_digits(text) || text.size() > max_digits || (text.size() > 1 && text[0] == '0')) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    for (const char c : text) {
        value = value * 10 + (c - '0');
    }
    return value;
}

bool is_continuation(unsigned char c) {
    return (c & 0xC0U) == 0x80U;
}

/// Length of the well-formed UTF-8 sequence at text[pos] and its code point, or 0 if malformed.
std::size_t decode_one(std::string_view text, std::size_t pos, char32_t& out) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
    const unsigned char lead = byte(0);
    const std::size_t left = text.size() - pos;
    if (lead < 0x80U) {
        out = lead;
        return 1;
    }
    std::size_t length = 0;
    char32_t value = 0;
    char32_t minimum = 0;
    if (lead >= 0xC2U && lead <= 0xDFU) {
        length = 2;
        value = lead & 0x1FU;
        minimum = 0x80;
    } else if (lead >= 0xE0U && lead <= 0xEFU) {
        length = 3;
        value = lead & 0x0FU;
        minimum = 0x800;
    } else if (lead >= 0xF0U && lead <= 0xF4U) {
        length = 4;
        value = lead & 0x07U;
        minimum = 0x10000;
    } else {
        return 0;
    }
    if (left < length) {
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        if (!is_continuation(byte(i))) {
            return 0;
        }
        value = (value << 6U) | (byte(i) & 0x3FU);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        return 0;
    }
    out = value;
    return length;
}

}  // namespace

std::string_view to_string(ReasonCode code) {
    switch (code) {
        case ReasonCode::kDailyLimit:
            return "daily_limit";
        case ReasonCode::kMonthlyLimit:
            return "monthly_limit";
        case ReasonCode::kSanctionsMatch:
            return "sanctions_match";
        case ReasonCode::kPepMatch:
            return "pep_match";
        case ReasonCode::kInternalListMatch:
            return "internal_list_match";
        case ReasonCode::kVelocity:
            return "velocity";
        case ReasonCode::kStructuring:
            return "structuring";
    }
    return "unknown";
}

std::string format_rand(std::int64_t minor) {
    std::string out;
    // Work in unsigned so that INT64_MIN has a magnitude too.
    const bool negative = minor < 0;
    const std::uint64_t magnitude =
        negative ? ~static_cast<std::uint64_t>(minor) + 1U : static_cast<std::uint64_t>(minor);
    const std::uint64_t rands = magnitude / 100U;
    const std::uint64_t cents = magnitude % 100U;
    std::string digits = std::to_string(rands);
    std::string grouped;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            grouped += ',';
        }
        grouped += digits[i];
    }
    if (negative) {
        out += '-';
    }
    out += 'R';
    out += grouped;
    out += '.';
    out += static_cast<char>('0' + cents / 10U);
    out += static_cast<char>('0' + cents % 10U);
    return out;
}

std::optional<std::int64_t> parse_config_minor(std::string_view text) {
    const auto value = parse_digits(text, 13);
    if (!value || *value < 1 || *value > kMaxConfiguredMinor) {
        return std::nullopt;
    }
    return value;
}

std::optional<std::int64_t> parse_config_count(std::string_view text) {
    const auto value = parse_digits(text, 7);
    if (!value || *value < 1 || *value > 1'000'000) {
        return std::nullopt;
    }
    return value;
}

std::optional<std::chrono::seconds> parse_config_window(std::string_view text) {
    if (text.size() < 2) {
        return std::nullopt;
    }
    const char unit = text.back();
    const auto count = parse_digits(text.substr(0, text.size() - 1), 4);
    if (!count || *count < 1) {
        return std::nullopt;
    }
    constexpr std::int64_t kMaxHours = std::int64_t{366} * 24;
    if (unit == 'h' && *count <= kMaxHours) {
        return std::chrono::hours{*count};
    }
    if (unit == 'd' && *count <= 366) {
        return std::chrono::hours{*count * 24};
    }
    return std::nullopt;
}

std::string describe_window(std::chrono::seconds window) {
    const auto hours = std::chrono::duration_cast<std::chrono::hours>(window).count();
    if (std::chrono::hours{hours} != window) {
        return std::to_string(window.count()) + " seconds";
    }
    if (hours % 24 == 0 && hours >= 48) {
        return std::to_string(hours / 24) + " days";
    }
    return std::to_string(hours) + (hours == 1 ? " hour" : " hours");
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

bool valid_utf8(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        char32_t c = 0;
        const std::size_t n = decode_one(text, pos, c);
        if (n == 0) {
            return false;
        }
        pos += n;
    }
    return true;
}

std::u32string decode_utf8(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        char32_t c = 0;
        const std::size_t n = decode_one(text, pos, c);
        if (n == 0) {
            out += kReplacement;
            ++pos;
        } else {
            out += c;
            pos += n;
        }
    }
    return out;
}

std::string encode_utf8(std::u32string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char32_t c : text) {
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if (c < 0x800) {
            out += static_cast<char>(0xC0U | (c >> 6U));
            out += static_cast<char>(0x80U | (c & 0x3FU));
        } else if (c < 0x10000) {
            out += static_cast<char>(0xE0U | (c >> 12U));
            out += static_cast<char>(0x80U | ((c >> 6U) & 0x3FU));
            out += static_cast<char>(0x80U | (c & 0x3FU));
        } else {
            out += static_cast<char>(0xF0U | (c >> 18U));
            out += static_cast<char>(0x80U | ((c >> 12U) & 0x3FU));
            out += static_cast<char>(0x80U | ((c >> 6U) & 0x3FU));
            out += static_cast<char>(0x80U | (c & 0x3FU));
        }
    }
    return out;
}

}  // namespace chelete::compliance
