#include "domain/patterns.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include <chelete/platform/money.hpp>

namespace chelete::compliance {
namespace {

using platform::Err;

bool in_window(const Transfer& t, const Transfer& now, std::chrono::seconds window) {
    return t.at > now.at - window;
}

Err<ConfigError> entry_error(
    std::string_view kind, std::size_t number, std::string_view entry, std::string_view what
) {
    return Err<ConfigError>{ConfigError{
        std::string(kind) + " entry " + std::to_string(number) + " '" + std::string(entry) +
        "': " + std::string(what)}};
}

/// Calls parse(entry, number) for each comma-separated entry; stops at the first error.
template <typename Rule, typename Parse>
platform::Result<std::vector<Rule>, ConfigError> parse_entries(std::string_view text, Parse parse) {
    std::vector<Rule> rules;
    std::size_t number = 0;
    while (true) {
        const std::size_t comma = text.find(',');
        ++number;
        auto rule = parse(trim(text.substr(0, comma)), number);
        if (!rule) {
            return Err<ConfigError>{rule.error()};
        }
        rules.push_back(std::move(rule).value());
        if (comma == std::string_view::npos) {
            return rules;
        }
        text.remove_prefix(comma + 1);
    }
}

std::string_view target_name(const StructuringRule& rule) {
    switch (rule.target) {
        case StructuringTarget::kDailyLimit:
            return "the daily limit";
        case StructuringTarget::kIftr:
            return "the IFTR threshold";
        case StructuringTarget::kAmount:
            return "the amount";
    }
    return "the amount";
}

/// "R4,600.00 on 2026-11-20T09:15:00.000Z, ... and R4,900.00 now": the last one is the new one.
std::string list_transfers(const std::vector<Transfer>& transfers) {
    std::string out;
    for (std::size_t i = 0; i < transfers.size(); ++i) {
        if (i > 0) {
            out += i + 1 == transfers.size() ? " and " : ", ";
        }
        out += format_rand(transfers[i].amount_minor);
        out +=
            i + 1 == transfers.size() ? " now" : " on " + platform::format_rfc3339(transfers[i].at);
    }
    return out;
}

}  // namespace

platform::Result<std::vector<VelocityRule>, ConfigError> parse_velocity_rules(std::string_view text
) {
    return parse_entries<VelocityRule>(
        text,
        [](std::string_view entry,
           std::size_t number) -> platform::Result<VelocityRule, ConfigError> {
            const std::size_t slash = entry.find('/');
            if (slash == std::string_view::npos) {
                return entry_error("velocity", number, entry, "expected <max count>/<window>");
            }
            const auto count = parse_config_count(trim(entry.substr(0, slash)));
            const auto window = parse_config_window(trim(entry.substr(slash + 1)));
            if (!count) {
                return entry_error("velocity", number, entry, "the count must be 1 to 1000000");
            }
            if (!window) {
                return entry_error(
                    "velocity", number, entry, "the window must be <n>h or <n>d, up to 366 days"
                );
            }
            return VelocityRule{*count, *window};
        }
    );
}

std::vector<Reason> check_velocity(
    std::span<const Transfer> recent, const Transfer& now, std::span<const VelocityRule> rules
) {
    std::vector<Reason> reasons;
    for (const VelocityRule& rule : rules) {
        const auto count = 1 + std::count_if(recent.begin(), recent.end(), [&](const Transfer& t) {
                               return in_window(t, now, rule.window);
                           });
        if (count > rule.max_count) {
            reasons.push_back(Reason{
                ReasonCode::kVelocity,
                "velocity: " + std::to_string(count) + " remittances within " +
                    describe_window(rule.window) + ", this one included; more than " +
                    std::to_string(rule.max_count) + " are reviewed"});
        }
    }
    return reasons;
}

platform::Result<std::vector<StructuringRule>, ConfigError> parse_structuring_rules(
    std::string_view text
) {
    return parse_entries<StructuringRule>(
        text,
        [](std::string_view entry,
           std::size_t number) -> platform::Result<StructuringRule, ConfigError> {
            const auto bad = [&](std::string_view what) {
                return entry_error("structuring", number, entry, what);
            };
            const std::size_t colon = entry.find(':');
            const std::size_t percent = entry.find("%/");
            const std::size_t slash = entry.rfind('/');
            if (colon == std::string_view::npos || percent == std::string_view::npos ||
                percent < colon || slash <= percent + 1) {
                return bad("expected <target>:<band>%/<window>/<min count>");
            }
            StructuringRule rule;
            const std::string_view target = trim(entry.substr(0, colon));
            if (target == "daily_limit") {
                rule.target = StructuringTarget::kDailyLimit;
            } else if (target == "iftr") {
                rule.target = StructuringTarget::kIftr;
            } else if (const auto amount = parse_config_minor(target)) {
                rule.target = StructuringTarget::kAmount;
                rule.amount_minor = *amount;
            } else {
                return bad("the target must be daily_limit, iftr or an amount in cents");
            }
            const auto band =
                parse_config_count(trim(entry.substr(colon + 1, percent - colon - 1)));
            if (!band || *band > 100) {
                return bad("the band must be a whole percent from 1 to 100");
            }
            rule.band_percent = static_cast<std::int32_t>(*band);
            const auto window =
                parse_config_window(trim(entry.substr(percent + 2, slash - percent - 2)));
            if (!window) {
                return bad("the window must be <n>h or <n>d, up to 366 days");
            }
            rule.window = *window;
            const auto min_count = parse_config_count(trim(entry.substr(slash + 1)));
            if (!min_count || *min_count < 2) {
                return bad("the minimum count must be at least 2 (one remittance is not a pattern)"
                );
            }
            rule.min_count = *min_count;
            return rule;
        }
    );
}

std::vector<Reason> check_structuring(
    std::span<const Transfer> recent,
    const Transfer& now,
    std::span<const StructuringRule> rules,
    std::int64_t daily_limit_minor,
    const ReportThresholds& thresholds
) {
    std::vector<Reason> reasons;
    for (const StructuringRule& rule : rules) {
        std::int64_t target = rule.amount_minor;
        if (rule.target == StructuringTarget::kDailyLimit) {
            target = daily_limit_minor;
        } else if (rule.target == StructuringTarget::kIftr) {
            target = thresholds.iftr_minor;
        }
        if (target <= 0) {
            continue;
        }
        // The band's floor, rounded up so that "within 10% below" never reaches further down.
        const std::int64_t floor =
            target - target / 100 * rule.band_percent - (target % 100) * rule.band_percent / 100;
        const auto in_band = [&](const Transfer& t) {
            return t.amount_minor >= floor && t.amount_minor < target;
        };
        if (!in_band(now)) {
            continue;
        }
        std::vector<Transfer> matched;
        for (const Transfer& t : recent) {
            if (in_window(t, now, rule.window) && in_band(t)) {
                matched.push_back(t);
            }
        }
        std::sort(matched.begin(), matched.end(), [](const Transfer& a, const Transfer& b) {
            return a.at < b.at;
        });
        matched.push_back(now);
        std::int64_t sum = 0;
        for (const Transfer& t : matched) {
            sum = platform::checked_add(sum, t.amount_minor)
                      .value_or(std::numeric_limits<std::int64_t>::max());
        }
        if (static_cast<std::int64_t>(matched.size()) < rule.min_count || sum < target) {
            continue;
        }
        const std::string band =
            rule.band_percent >= 100
                ? "each below "
                : "each within " + std::to_string(rule.band_percent) + "% below ";
        reasons.push_back(Reason{
            ReasonCode::kStructuring,
            "structuring: " + std::to_string(matched.size()) + " remittances within " +
                describe_window(rule.window) + " " + band + std::string(target_name(rule)) + " " +
                format_rand(target) + " (" + list_transfers(matched) + "), together " +
                format_rand(sum) +
                (rule.band_percent >= 100 ? ": one sum split under the threshold"
                                          : ": amounts kept just under it")});
    }
    return reasons;
}

}  // namespace chelete::compliance
