#pragma once

// The wire side of the central-bank reports: the events consumed (remit.completed,
// remit.deposit_received) parsed strictly into records, and the JSON forms of the reports.
// Pure: no I/O.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <chelete/central_bank/report.hpp>
#include <chelete/platform/result.hpp>

namespace chelete::central_bank {

/// remit.completed's payload (docs/central-bank.md "The event"). Refuses anything malformed:
/// missing or mistyped required members, amounts that are not integers in int64, currencies
/// other than ZAR/LSL, a fee not below the send amount, an unknown status, text over 1,000
/// bytes. The error names the member.
[[nodiscard]] platform::Result<CompletedRemittance, std::string> parse_completed_event(
    std::string_view payload
);
/// The record back in the event's form: parse_completed_event(dump) gives the record again.
[[nodiscard]] nlohmann::json completed_event_json(const CompletedRemittance& r);

/// remit.deposit_received's payload: {deposit_id, worker_id, agent_id, amount_minor, at}.
[[nodiscard]] platform::Result<CashDeposit, std::string> parse_deposit_event(
    std::string_view payload
);

/// The day's return as JSON: {report, date, time_zone, period, count, totals, items}.
[[nodiscard]] nlohmann::json cross_border_json(
    const std::vector<CompletedRemittance>& candidates,
    Date day,
    const ReportThresholds& thresholds = {}
);
/// {report: "thresholds", date, time_zone, count, items}.
[[nodiscard]] nlohmann::json threshold_json(const std::vector<ThresholdItem>& items, Date day);
/// {date, time_zone, partners: [...], totals}.
[[nodiscard]] nlohmann::json settlement_json(const std::vector<PartnerSummary>& partners, Date day);

}  // namespace chelete::central_bank
