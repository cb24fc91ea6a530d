#include "domain/reconciliation.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace chelete::payout {

std::string_view to_string(BreakKind kind) {
    switch (kind) {
        case BreakKind::kMissingHere:
            return "missing_here";
        case BreakKind::kMissingThere:
            return "missing_there";
        case BreakKind::kAmountMismatch:
            return "amount_mismatch";
    }
    return "missing_here";
}

int ReconReport::count(BreakKind kind) const {
    return static_cast<int>(std::count_if(breaks.begin(), breaks.end(), [kind](const Break& b) {
        return b.kind == kind;
    }));
}

namespace {

// Our paid payout and the partner's line for it: matched, or an amount mismatch.
void compare_amounts(
    const OurPayment& ours, const mobile_money::StatementLine& line, ReconReport& report
) {
    if (ours.amount_minor == line.amount_minor) {
        ++report.matched;
        return;
    }
    report.breaks.push_back(Break{
        BreakKind::kAmountMismatch,
        line.reference,
        ours.remittance_id,
        ours.amount_minor,
        line.amount_minor,
        line.transaction_id});
}

}  // namespace

ReconReport reconcile(const ReconInput& input) {
    ReconReport report;
    report.statement_lines = static_cast<int>(input.day_lines.size());
    std::set<std::string> seen_today;
    for (const auto& line : input.day_lines) {
        if (!seen_today.insert(line.reference).second) {
            // A second payment under one reference: the partner paid twice, we recorded once.
            report.breaks.push_back(Break{
                BreakKind::kMissingHere,
                line.reference,
                "",
                0,
                line.amount_minor,
                line.transaction_id});
            continue;
        }
        const auto it = input.ours_by_reference.find(line.reference);
        if (it == input.ours_by_reference.end()) {
            report.breaks.push_back(Break{
                BreakKind::kMissingHere,
                line.reference,
                "",
                0,
                line.amount_minor,
                line.transaction_id});
            continue;
        }
        const OurPayment& ours = it->second;
        switch (ours.outcome) {
            case OurOutcome::kInFlight:
                ++report.in_flight;
                break;
            case OurOutcome::kNotPaid:
                report.breaks.push_back(Break{
                    BreakKind::kMissingHere,
                    line.reference,
                    ours.remittance_id,
                    0,
                    line.amount_minor,
                    line.transaction_id});
                break;
            case OurOutcome::kPaid:
                compare_amounts(ours, line, report);
                break;
        }
    }
    std::map<std::string, const mobile_money::StatementLine*> earlier;
    for (const auto& line : input.earlier_lines) {
        earlier.emplace(line.reference, &line);
    }
    for (const auto& ours : input.ours_paid_on_day) {
        if (seen_today.contains(ours.reference)) {
            continue;  // judged above, line by line
        }
        if (const auto found = earlier.find(ours.reference); found != earlier.end()) {
            // Completed on an earlier day, learned later (it was in flight on that day's run,
            // which compared no amount): compared here.
            compare_amounts(ours, *found->second, report);
            continue;
        }
        report.breaks.push_back(Break{
            BreakKind::kMissingThere, ours.reference, ours.remittance_id, ours.amount_minor, 0, ""}
        );
    }
    return report;
}

}  // namespace chelete::payout
