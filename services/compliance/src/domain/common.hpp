#pragma once

// Small pieces the compliance rules share (docs/compliance.md): configuration errors, the reasons
// an officer reads, rand amounts as text, and the strict number and duration syntax of the
// configuration strings. No I/O.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chelete::compliance {

/// A configuration string (limits, velocity, structuring, threshold) that could not be used; the
/// message names the entry and what is wrong, e.g. "entry 2 'basic:300000': expected
/// <tier>:<daily>/<monthly>".
struct ConfigError {
    std::string message;
};

/// Why a remittance is held or rejected. `code` is stable (API, metrics); `text` is for the
/// compliance officer and names the rule, the amounts and the window.
enum class ReasonCode : std::uint8_t {
    kDailyLimit,
    kMonthlyLimit,
    kSanctionsMatch,
    kPepMatch,
    kInternalListMatch,
    kVelocity,
    kStructuring,
};
[[nodiscard]] std::string_view to_string(ReasonCode code);

struct Reason {
    ReasonCode code = ReasonCode::kDailyLimit;
    std::string text;

    friend bool operator==(const Reason&, const Reason&) = default;
};

/// "R5,000.00", "R0.05", "-R12.50": minor units (cents) as an officer reads them.
[[nodiscard]] std::string format_rand(std::int64_t minor);

/// The largest amount a configuration string may hold: R10 billion in cents (12 digits), so that
/// sums and percentages of configured amounts stay far from int64 overflow.
inline constexpr std::int64_t kMaxConfiguredMinor = 1'000'000'000'000;

/// Cents as plain decimal digits ("500000"): no sign, no separators, no leading zero, 1 to
/// kMaxConfiguredMinor. nullopt otherwise.
[[nodiscard]] std::optional<std::int64_t> parse_config_minor(std::string_view text);

/// A positive count as decimal digits, at most 1,000,000.
[[nodiscard]] std::optional<std::int64_t> parse_config_count(std::string_view text);

/// "<n>h" or "<n>d" (hours, days), n from 1 to 366 days' worth. nullopt otherwise.
[[nodiscard]] std::optional<std::chrono::seconds> parse_config_window(std::string_view text);

/// "24 hours", "7 days", "1 hour": a window as an officer reads it.
[[nodiscard]] std::string describe_window(std::chrono::seconds window);

/// Leading and trailing ASCII spaces and tabs removed.
[[nodiscard]] std::string_view trim(std::string_view text);

/// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
[[nodiscard]] bool valid_utf8(std::string_view text);

/// Decodes UTF-8; each malformed byte becomes U+FFFD.
[[nodiscard]] std::u32string decode_utf8(std::string_view text);
[[nodiscard]] std::string encode_utf8(std::u32string_view text);

}  // namespace chelete::compliance
