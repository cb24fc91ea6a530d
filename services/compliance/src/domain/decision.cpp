#include "domain/decision.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace chelete::compliance {
namespace {

using platform::Err;

ReasonCode match_code(ListKind list) {
    switch (list) {
        case ListKind::kSanctions:
            return ReasonCode::kSanctionsMatch;
        case ListKind::kPep:
            return ReasonCode::kPepMatch;
        case ListKind::kInternal:
            return ReasonCode::kInternalListMatch;
    }
    return ReasonCode::kSanctionsMatch;
}

/// Sanctions before PEP before the internal list, each party's strongest match first.
void add_match_reasons(
    std::vector<Reason>& reasons,
    const std::vector<Match>& matches,
    std::string_view role,
    std::string_view name,
    ListKind list
) {
    for (const Match& match : matches) {
        if (match.list == list) {
            reasons.push_back(Reason{match_code(list), describe(match, role, name)});
        }
    }
}

template <typename T>
T parsed_default(platform::Result<T, ConfigError> result, std::string_view what) {
    if (!result) {
        throw std::logic_error(
            "the default " + std::string(what) + " do not parse: " + result.error().message
        );
    }
    return std::move(result).value();
}

Err<ConfigError> prefixed(std::string_view setting, const ConfigError& error) {
    return Err<ConfigError>{ConfigError{std::string(setting) + ": " + error.message}};
}

}  // namespace

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::kApproved:
            return "approved";
        case Outcome::kHeld:
            return "held";
        case Outcome::kRejected:
            return "rejected";
    }
    return "unknown";
}

std::vector<VelocityRule> default_velocity_rules() {
    return parsed_default(parse_velocity_rules(kDefaultVelocityRules), "velocity rules");
}

std::vector<StructuringRule> default_structuring_rules() {
    return parsed_default(parse_structuring_rules(kDefaultStructuringRules), "structuring rules");
}

platform::Result<Policy, ConfigError> parse_policy(const PolicySettings& settings) {
    auto limits = parse_limit_table(settings.limits);
    if (!limits) {
        return prefixed("limits", limits.error());
    }
    auto threshold = parse_match_threshold(settings.match_threshold);
    if (!threshold) {
        return prefixed("match threshold", threshold.error());
    }
    auto velocity = parse_velocity_rules(settings.velocity);
    if (!velocity) {
        return prefixed("velocity", velocity.error());
    }
    auto structuring = parse_structuring_rules(settings.structuring);
    if (!structuring) {
        return prefixed("structuring", structuring.error());
    }
    Policy policy;
    policy.limits = std::move(limits).value();
    policy.screening.threshold = threshold.value();
    policy.velocity = std::move(velocity).value();
    policy.structuring = std::move(structuring).value();
    return policy;
}

std::chrono::seconds lookback(const Policy& policy) {
    std::chrono::seconds longest{0};
    for (const VelocityRule& rule : policy.velocity) {
        longest = std::max(longest, rule.window);
    }
    for (const StructuringRule& rule : policy.structuring) {
        longest = std::max(longest, rule.window);
    }
    return longest;
}

Decision decide(const Request& request, const Watchlist& watchlist, const Policy& policy) {
    Decision decision;
    decision.limits = check_limits(
        policy.limits,
        request.tier,
        request.remittance.amount_minor,
        request.used_today_minor,
        request.used_this_month_minor
    );
    decision.sender_matches =
        screen(request.sender_name, request.sender_date_of_birth, watchlist, policy.screening);
    decision.beneficiary_matches = screen(
        request.beneficiary_name, request.beneficiary_date_of_birth, watchlist, policy.screening
    );
    ReportableAmounts amounts;
    amounts.cross_border_electronic_minor = request.remittance.amount_minor;
    decision.reports = threshold_reports(amounts, policy.reports);

    std::vector<Reason> rejections;
    for (const LimitBreach& breach : decision.limits.breaches) {
        rejections.push_back(Reason{
            breach.period == LimitPeriod::kDay ? ReasonCode::kDailyLimit
                                               : ReasonCode::kMonthlyLimit,
            describe(breach, request.tier)});
    }
    std::vector<Reason> holds;
    for (const ListKind list : {ListKind::kSanctions, ListKind::kPep, ListKind::kInternal}) {
        add_match_reasons(holds, decision.sender_matches, "sender", request.sender_name, list);
        add_match_reasons(
            holds, decision.beneficiary_matches, "beneficiary", request.beneficiary_name, list
        );
    }
    for (Reason& reason : check_velocity(request.recent, request.remittance, policy.velocity)) {
        holds.push_back(std::move(reason));
    }
    const std::int64_t daily_limit = policy.limits.of(request.tier).daily_minor;
    for (Reason& reason : check_structuring(
             request.recent, request.remittance, policy.structuring, daily_limit, policy.reports
         )) {
        holds.push_back(std::move(reason));
    }

    if (!rejections.empty()) {
        decision.outcome = Outcome::kRejected;
        decision.open_case = !holds.empty();
    } else if (!holds.empty()) {
        decision.outcome = Outcome::kHeld;
        decision.open_case = true;
    } else {
        decision.outcome = Outcome::kApproved;
    }
    decision.reasons = std::move(rejections);
    for (Reason& reason : holds) {
        decision.reasons.push_back(std::move(reason));
    }
    return decision;
}

}  // namespace chelete::compliance
