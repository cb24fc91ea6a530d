#include "domain/reconciliation.hpp"

#include <algorithm>
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
                if (ours.amount_minor == line.amount_minor) {
                    ++report.matched;
                } else {
                    report.breaks.push_back(Break{
                        BreakKind::kAmountMismatch,
                        line.reference,
                        ours.remittance_id,
                        ours.amount_minor,
                        line.amount_minor,
                        line.transaction_id});
                }
                break;
        }
    }
    std::set<std::string> seen_earlier;
    for (const auto& line : input.earlier_lines) {
        seen_earlier.insert(line.reference);
    }
    for (const auto& ours : input.ours_paid_on_day) {
        if (seen_today.contains(ours.reference)) {
            continue;  // judged above, line by line
        }
        if (seen_earlier.contains(ours.reference)) {
            ++report.matched;  // completed on an earlier day, learned later
            continue;
        }
        report.breaks.push_back(Break{
            BreakKind::kMissingThere, ours.reference, ours.remittance_id, ours.amount_minor, 0, ""}
        );
    }
    return report;
}

}  // namespace chelete::payout
