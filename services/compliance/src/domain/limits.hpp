#pragma once

// Send limits per KYC tier (DOMAIN.md 1.3, docs/compliance.md "Limits"): configuration, not
// constants. The table is parsed from text; check_limits decides one remittance against it.
// The caller sums what the sender has already used (committed and in-flight remittances) under a
// per-sender lock; this code only decides.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/result.hpp>

#include "domain/common.hpp"

namespace chelete::compliance {

/// The registry's KYC tiers (docs/registry.md "KYC tiers"), lowest first. The tier already
/// reflects the permit status: an expired or revoked permit makes the sender `restricted`.
enum class Tier : std::uint8_t { kRestricted, kBasic, kStandard, kEnhanced };
inline constexpr std::array<Tier, 4> kAllTiers{
    Tier::kRestricted, Tier::kBasic, Tier::kStandard, Tier::kEnhanced};

/// "restricted", "basic", "standard", "enhanced": the registry's names on the bus.
[[nodiscard]] std::string_view to_string(Tier tier);
[[nodiscard]] std::optional<Tier> tier_from(std::string_view name);

struct TierLimits {
    std::int64_t daily_minor = 0;    // rolling 24 hours, ZAR cents
    std::int64_t monthly_minor = 0;  // calendar month (SAST), ZAR cents

    friend bool operator==(const TierLimits&, const TierLimits&) = default;
};

/// The defaults, in the format parse_limit_table reads (cents per day / per calendar month):
/// restricted R1,000/R3,000; basic R3,000/R10,000; standard R5,000/R25,000 (the base tier of
/// DOMAIN.md 1.3); enhanced R5,000/R50,000. docs/compliance.md gives the reasoning.
inline constexpr std::string_view kDefaultLimits =
    "restricted:100000/300000,basic:300000/1000000,standard:500000/2500000,"
    "enhanced:500000/5000000";

class LimitTable {
public:
    /// The table of kDefaultLimits.
    [[nodiscard]] static LimitTable defaults();

    [[nodiscard]] const TierLimits& of(Tier tier) const;
    /// The table in the text format, tiers lowest first: parse_limit_table(t.to_text()) == t.
    [[nodiscard]] std::string to_text() const;

    friend bool operator==(const LimitTable&, const LimitTable&) = default;
    friend platform::Result<LimitTable, ConfigError> parse_limit_table(std::string_view text);

private:
    explicit LimitTable(const std::array<TierLimits, 4>& limits) : limits_(limits) {}
    std::array<TierLimits, 4> limits_;
};

/// Reads "<tier>:<daily>/<monthly>" entries separated by commas (spaces around entries allowed),
/// amounts in cents as plain digits. Every tier exactly once; daily > 0 and daily <= monthly; a
/// higher tier never below a lower one. The error names the entry and what is wrong.
[[nodiscard]] platform::Result<LimitTable, ConfigError> parse_limit_table(std::string_view text);

enum class LimitPeriod : std::uint8_t { kDay, kMonth };

struct LimitBreach {
    LimitPeriod period = LimitPeriod::kDay;
    std::int64_t limit_minor = 0;
    std::int64_t used_minor = 0;    // before this remittance
    std::int64_t total_minor = 0;   // used + this remittance (saturating)
    std::int64_t excess_minor = 0;  // total - limit, > 0

    friend bool operator==(const LimitBreach&, const LimitBreach&) = default;
};

struct LimitCheck {
    std::vector<LimitBreach> breaches;  // empty: within both limits
    /// What the sender may still send now (the smaller headroom, never negative), before this
    /// remittance: for "you can send up to R…" answers.
    std::int64_t available_minor = 0;

    [[nodiscard]] bool allowed() const { return breaches.empty(); }
};

/// Decides `amount_minor` (ZAR cents, excluding the fee) for a sender of `tier` who has already
/// used `used_today_minor` in the rolling 24 hours and `used_this_month_minor` in the calendar
/// month (committed and in-flight remittances, not this one). Reaching a limit exactly is
/// allowed; one cent more is a breach. Throws std::invalid_argument when amount <= 0 or a used
/// amount is negative: the adapter validated those, so it is a programming error.
[[nodiscard]] LimitCheck check_limits(
    const LimitTable& table,
    Tier tier,
    std::int64_t amount_minor,
    std::int64_t used_today_minor,
    std::int64_t used_this_month_minor
);

/// "daily limit of tier basic is R3,000.00: R2,500.00 already sent in the last 24 hours and
/// R800.00 now make R3,300.00, R300.00 over"
[[nodiscard]] std::string describe(const LimitBreach& breach, Tier tier);

/// Where the service starts summing "used" amounts for a remittance made at `now`: the rolling
/// day starts 24 hours earlier; the month at 00:00 SAST (UTC+02:00, no daylight saving) on the
/// first of the month in SAST.
struct LimitWindows {
    platform::TimePoint day_from;
    platform::TimePoint month_from;
};
[[nodiscard]] LimitWindows limit_windows(platform::TimePoint now);

}  // namespace chelete::compliance
