#pragma once

// Reporting thresholds of the FIC Act (DOMAIN.md 1.4, docs/compliance.md "Threshold reports"):
// which regulatory reports a movement of money calls for. A flag is an obligation for the
// central-bank integration, not a suspicion: it never holds or rejects a remittance.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chelete::compliance {

struct ReportThresholds {
    /// International Funds Transfer Report (s31): a cross-border electronic transfer of R20,000
    /// or more ("above R19,999.99"), fees excluded.
    std::int64_t iftr_minor = 2'000'000;
    /// Cash Threshold Report (s28): cash of R50,000 or more ("above R49,999.99"), one transaction;
    /// no aggregation since 14 Nov 2022 (splitting is a suspicious-transaction matter, s29).
    std::int64_t ctr_minor = 5'000'000;
};

enum class ReportKind : std::uint8_t { kIftr, kCtr };
/// "iftr", "ctr"
[[nodiscard]] std::string_view to_string(ReportKind kind);

struct ReportFlag {
    ReportKind kind = ReportKind::kIftr;
    std::int64_t amount_minor = 0;
    std::int64_t threshold_minor = 0;

    friend bool operator==(const ReportFlag&, const ReportFlag&) = default;
};

/// What one transaction moves, in ZAR cents; 0 where it does not apply.
struct ReportableAmounts {
    /// Sent across the border electronically, fees excluded (every remittance to Lesotho: CMA
    /// transfers are cross-border since September 2024, DOMAIN.md 1.6).
    std::int64_t cross_border_electronic_minor = 0;
    /// Cash received from the customer (an agent's cash-in), fees included.
    std::int64_t cash_received_minor = 0;
};

/// The reports due: IFTR when the cross-border amount >= iftr_minor, CTR when the cash >=
/// ctr_minor; both when both apply. Empty when none.
[[nodiscard]] std::vector<ReportFlag> threshold_reports(
    const ReportableAmounts& amounts, const ReportThresholds& thresholds = {}
);

/// "IFTR (FIC Act s31, within 3 days): cross-border electronic transfer of R20,000.00, at or
/// above R20,000.00"
[[nodiscard]] std::string describe(const ReportFlag& flag);

}  // namespace chelete::compliance
