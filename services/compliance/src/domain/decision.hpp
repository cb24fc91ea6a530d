#pragma once

// The screening decision for one remittance (docs/compliance.md "Decision"): limits, watchlist
// (sender and beneficiary), velocity and structuring combined into approved, held (a case for a
// compliance officer) or rejected, plus the threshold reports it calls for.
//
//   over a limit                      -> rejected, the limit named (a case too if anything below)
//   a watchlist match (any list)      -> held: even an exact sanctions match is held, not rejected
//   velocity or structuring           -> held
//   otherwise                         -> approved
//   IFTR / CTR flags                  -> carried along; they never change the outcome

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/result.hpp>

#include "domain/common.hpp"
#include "domain/limits.hpp"
#include "domain/patterns.hpp"
#include "domain/reports.hpp"
#include "domain/watchlist.hpp"

namespace chelete::compliance {

enum class Outcome : std::uint8_t { kApproved, kHeld, kRejected };
/// "approved", "held", "rejected": the remittance states of ARCHITECTURE.md.
[[nodiscard]] std::string_view to_string(Outcome outcome);

[[nodiscard]] std::vector<VelocityRule> default_velocity_rules();
[[nodiscard]] std::vector<StructuringRule> default_structuring_rules();

/// Everything configurable; a default-constructed Policy holds the documented defaults.
struct Policy {
    LimitTable limits = LimitTable::defaults();
    ScreeningPolicy screening;
    std::vector<VelocityRule> velocity = default_velocity_rules();
    std::vector<StructuringRule> structuring = default_structuring_rules();
    ReportThresholds reports;
};

/// The four configuration strings, defaults as documented.
struct PolicySettings {
    std::string_view limits = kDefaultLimits;
    std::string_view match_threshold = "0.93";
    std::string_view velocity = kDefaultVelocityRules;
    std::string_view structuring = kDefaultStructuringRules;
};
/// Parses every setting; the error starts with the setting's name ("limits: entry 2 …").
[[nodiscard]] platform::Result<Policy, ConfigError> parse_policy(const PolicySettings& settings);

/// How far back the service must load a sender's remittances for `recent`: the longest
/// velocity or structuring window.
[[nodiscard]] std::chrono::seconds lookback(const Policy& policy);

struct Request {
    std::string sender_name;
    std::optional<platform::Date> sender_date_of_birth;
    Tier tier = Tier::kBasic;
    std::string beneficiary_name;
    std::optional<platform::Date> beneficiary_date_of_birth;
    Transfer remittance;  // the amount sent (fee excluded) and when it was requested
    /// Summed by the service under the sender's lock, committed and in-flight remittances, this
    /// one excluded: the rolling 24 hours and the calendar month (limit_windows()).
    std::int64_t used_today_minor = 0;
    std::int64_t used_this_month_minor = 0;
    /// The sender's remittances within lookback(policy), this one excluded.
    std::vector<Transfer> recent;
};

struct Decision {
    Outcome outcome = Outcome::kApproved;
    /// Rejected: the limit reasons first, then any case reasons. Held: the case reasons.
    std::vector<Reason> reasons;
    /// A case for a compliance officer: always when held; when rejected only if a watchlist,
    /// velocity or structuring reason came up too (an attempted transaction can be reportable).
    bool open_case = false;
    LimitCheck limits;
    std::vector<Match> sender_matches;
    std::vector<Match> beneficiary_matches;
    std::vector<ReportFlag> reports;
};

/// Decides one remittance. Throws std::invalid_argument when the amount is not positive or a used
/// amount is negative (check_limits).
[[nodiscard]] Decision decide(
    const Request& request, const Watchlist& watchlist, const Policy& policy
);

}  // namespace chelete::compliance
