#pragma once

// Velocity and structuring (docs/compliance.md "Velocity and structuring"): patterns in a
// sender's recent remittances that a compliance officer should look at. Pure: the caller passes
// the sender's recent remittances (committed and in-flight, not this one) and the new one.

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/result.hpp>

#include "domain/common.hpp"
#include "domain/reports.hpp"

namespace chelete::compliance {

/// One remittance as the patterns see it: the amount sent (ZAR cents, fee excluded) and when.
struct Transfer {
    std::int64_t amount_minor = 0;
    platform::TimePoint at;
};

/// More than `max_count` remittances (the new one included) within `window` ending at the new one.
struct VelocityRule {
    std::int64_t max_count = 0;
    std::chrono::seconds window{0};

    friend bool operator==(const VelocityRule&, const VelocityRule&) = default;
};

/// "<max count>/<window>" entries separated by commas; window "<n>h" or "<n>d".
inline constexpr std::string_view kDefaultVelocityRules = "5/24h,20/30d";
[[nodiscard]] platform::Result<std::vector<VelocityRule>, ConfigError> parse_velocity_rules(
    std::string_view text
);

/// One reason per rule broken (code kVelocity).
[[nodiscard]] std::vector<Reason> check_velocity(
    std::span<const Transfer> recent, const Transfer& now, std::span<const VelocityRule> rules
);

enum class StructuringTarget : std::uint8_t {
    kDailyLimit,  // the sender's daily limit (its tier)
    kIftr,        // ReportThresholds::iftr_minor
    kAmount,      // a configured amount
};

/// At least `min_count` remittances within `window` ending at the new one (the new one among
/// them) whose amounts each lie in [target × (1 − band), target), and whose sum reaches the
/// target. A band of 10% catches amounts kept just under a limit; 100% catches one sum split
/// into parts each below a reporting threshold.
struct StructuringRule {
    StructuringTarget target = StructuringTarget::kDailyLimit;
    std::int64_t amount_minor = 0;  // for kAmount
    std::int32_t band_percent = 10;
    std::chrono::seconds window{0};
    std::int64_t min_count = 2;

    friend bool operator==(const StructuringRule&, const StructuringRule&) = default;
};

/// "<target>:<band>%/<window>/<min count>" entries separated by commas; target daily_limit, iftr
/// or an amount in cents; band 1-100 (whole percent); min count at least 2.
inline constexpr std::string_view kDefaultStructuringRules =
    "daily_limit:10%/7d/3,iftr:10%/7d/2,iftr:100%/48h/2";
[[nodiscard]] platform::Result<std::vector<StructuringRule>, ConfigError> parse_structuring_rules(
    std::string_view text
);

/// One reason per rule matched (code kStructuring), listing the remittances and their sum.
[[nodiscard]] std::vector<Reason> check_structuring(
    std::span<const Transfer> recent,
    const Transfer& now,
    std::span<const StructuringRule> rules,
    std::int64_t daily_limit_minor,
    const ReportThresholds& thresholds = {}
);

}  // namespace chelete::compliance
