#include "domain/reports.hpp"

#include "domain/common.hpp"

namespace chelete::compliance {

std::string_view to_string(ReportKind kind) {
    switch (kind) {
        case ReportKind::kIftr:
            return "iftr";
        case ReportKind::kCtr:
            return "ctr";
    }
    return "unknown";
}

std::vector<ReportFlag> threshold_reports(
    const ReportableAmounts& amounts, const ReportThresholds& thresholds
) {
    std::vector<ReportFlag> flags;
    if (amounts.cross_border_electronic_minor > 0 &&
        amounts.cross_border_electronic_minor >= thresholds.iftr_minor) {
        flags.push_back(ReportFlag{
            ReportKind::kIftr, amounts.cross_border_electronic_minor, thresholds.iftr_minor});
    }
    if (amounts.cash_received_minor > 0 && amounts.cash_received_minor >= thresholds.ctr_minor) {
        flags.push_back(ReportFlag{
            ReportKind::kCtr, amounts.cash_received_minor, thresholds.ctr_minor});
    }
    return flags;
}

std::string describe(const ReportFlag& flag) {
    const bool iftr = flag.kind == ReportKind::kIftr;
    return std::string(
               iftr ? "IFTR (FIC Act s31, within 3 days): cross-border electronic transfer"
                    : "CTR (FIC Act s28, within 3 business days): cash"
           ) +
           " of " + format_rand(flag.amount_minor) + ", at or above " +
           format_rand(flag.threshold_minor);
}

}  // namespace chelete::compliance
