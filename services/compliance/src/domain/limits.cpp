#include "domain/limits.hpp"

#include <chrono>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

#include <chelete/platform/money.hpp>

namespace chelete::compliance {
namespace {

using platform::Err;

std::size_t index_of(Tier tier) {
    return static_cast<std::size_t>(tier);
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    return platform::checked_add(a, b).value_or(std::numeric_limits<std::int64_t>::max());
}

Err<ConfigError> entry_error(std::size_t number, std::string_view entry, std::string_view what) {
    return Err<ConfigError>{ConfigError{
        "entry " + std::to_string(number) + " '" + std::string(entry) + "': " + std::string(what)}};
}

}  // namespace

std::string_view to_string(Tier tier) {
    switch (tier) {
        case Tier::kRestricted:
            return "restricted";
        case Tier::kBasic:
            return "basic";
        case Tier::kStandard:
            return "standard";
        case Tier::kEnhanced:
            return "enhanced";
    }
    return "unknown";
}

std::optional<Tier> tier_from(std::string_view name) {
    for (const Tier tier : kAllTiers) {
        if (to_string(tier) == name) {
            return tier;
        }
    }
    return std::nullopt;
}

LimitTable LimitTable::defaults() {
    auto table = parse_limit_table(kDefaultLimits);
    if (!table) {
        throw std::logic_error("kDefaultLimits does not parse: " + table.error().message);
    }
    return std::move(table).value();
}

const TierLimits& LimitTable::of(Tier tier) const {
    return limits_.at(index_of(tier));
}

std::string LimitTable::to_text() const {
    std::string out;
    for (const Tier tier : kAllTiers) {
        if (!out.empty()) {
            out += ',';
        }
        const TierLimits& l = of(tier);
        out += to_string(tier);
        out += ':';
        out += std::to_string(l.daily_minor);
        out += '/';
        out += std::to_string(l.monthly_minor);
    }
    return out;
}

platform::Result<LimitTable, ConfigError> parse_limit_table(std::string_view text) {
    std::array<TierLimits, 4> limits{};
    std::array<bool, 4> seen{};
    std::size_t number = 0;
    std::string_view rest = text;
    while (true) {
        const std::size_t comma = rest.find(',');
        const std::string_view entry = trim(rest.substr(0, comma));
        ++number;
        const std::size_t colon = entry.find(':');
        const std::size_t slash = entry.find('/');
        if (entry.empty()) {
            return entry_error(number, entry, "empty entry (stray comma?)");
        }
        if (colon == std::string_view::npos || slash == std::string_view::npos || slash < colon) {
            return entry_error(number, entry, "expected <tier>:<daily cents>/<monthly cents>");
        }
        const auto tier = tier_from(trim(entry.substr(0, colon)));
        if (!tier) {
            return entry_error(
                number, entry, "unknown tier (restricted, basic, standard or enhanced)"
            );
        }
        if (seen.at(index_of(*tier))) {
            return entry_error(number, entry, "tier given twice");
        }
        const auto daily = parse_config_minor(trim(entry.substr(colon + 1, slash - colon - 1)));
        const auto monthly = parse_config_minor(trim(entry.substr(slash + 1)));
        if (!daily || !monthly) {
            return entry_error(
                number, entry, "amounts are cents as digits, from 1 to 1000000000000 (R10bn)"
            );
        }
        if (*daily > *monthly) {
            return entry_error(number, entry, "the daily limit is above the monthly limit");
        }
        seen.at(index_of(*tier)) = true;
        limits.at(index_of(*tier)) = TierLimits{*daily, *monthly};
        if (comma == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(comma + 1);
    }
    for (const Tier tier : kAllTiers) {
        if (!seen.at(index_of(tier))) {
            return Err<ConfigError>{
                ConfigError{"tier '" + std::string(to_string(tier)) + "' is missing"}};
        }
    }
    for (std::size_t i = 1; i < limits.size(); ++i) {
        if (limits.at(i).daily_minor < limits.at(i - 1).daily_minor ||
            limits.at(i).monthly_minor < limits.at(i - 1).monthly_minor) {
            return Err<ConfigError>{ConfigError{
                "tier '" + std::string(to_string(kAllTiers.at(i))) +
                "' has a lower limit than tier '" + std::string(to_string(kAllTiers.at(i - 1))) +
                "': a higher tier never sends less"}};
        }
    }
    return LimitTable{limits};
}

LimitCheck check_limits(
    const LimitTable& table,
    Tier tier,
    std::int64_t amount_minor,
    std::int64_t used_today_minor,
    std::int64_t used_this_month_minor
) {
    if (amount_minor <= 0 || used_today_minor < 0 || used_this_month_minor < 0) {
        throw std::invalid_argument("check_limits: amount must be > 0 and used amounts >= 0");
    }
    const TierLimits& limits = table.of(tier);
    LimitCheck check;
    const auto consider = [&](LimitPeriod period, std::int64_t limit, std::int64_t used) {
        const std::int64_t total = saturating_add(used, amount_minor);
        if (total > limit) {
            check.breaches.push_back(LimitBreach{period, limit, used, total, total - limit});
        }
        return used >= limit ? 0 : limit - used;
    };
    const std::int64_t day_left = consider(LimitPeriod::kDay, limits.daily_minor, used_today_minor);
    const std::int64_t month_left =
        consider(LimitPeriod::kMonth, limits.monthly_minor, used_this_month_minor);
    check.available_minor = std::min(day_left, month_left);
    return check;
}

std::string describe(const LimitBreach& breach, Tier tier) {
    const bool day = breach.period == LimitPeriod::kDay;
    return std::string(day ? "daily" : "monthly") + " limit of tier " +
           std::string(to_string(tier)) + " is " + format_rand(breach.limit_minor) + ": " +
           format_rand(breach.used_minor) + " already sent " +
           (day ? "in the last 24 hours" : "this calendar month") + " and " +
           format_rand(breach.total_minor - breach.used_minor) + " now make " +
           format_rand(breach.total_minor) + ", " + format_rand(breach.excess_minor) + " over";
}

LimitWindows limit_windows(platform::TimePoint now) {
    using std::chrono::hours;
    constexpr hours kSastOffset{2};
    const auto local_days = std::chrono::floor<std::chrono::days>(now + kSastOffset);
    const std::chrono::year_month_day ymd{local_days};
    const std::chrono::sys_days first_local{ymd.year() / ymd.month() / std::chrono::day{1}};
    const platform::TimePoint month_from =
        std::chrono::time_point_cast<platform::TimePoint::duration>(first_local - kSastOffset);
    return LimitWindows{now - hours{24}, month_from};
}

}  // namespace chelete::compliance
