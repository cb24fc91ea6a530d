#pragma once

// The central-bank reports as pure functions (docs/central-bank.md): the daily cross-border
// return, the threshold report and the settlement summary, built from the remittances the
// remittance service reported final (remit.completed) and the cash deposits it recorded
// (remit.deposit_received). No I/O, no clock: the caller passes the day and the rows.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/result.hpp>

namespace chelete::central_bank {

using platform::Date;
using platform::TimePoint;

// ---- the business day --------------------------------------------------------------------------

/// South Africa (SAST) and Lesotho both keep UTC+02:00 all year, without daylight saving: a
/// business day is a calendar day at that fixed offset, Africa/Johannesburg's (and Maseru's).
inline constexpr std::chrono::hours kBusinessOffset{2};

/// [from, to): the UTC instants of the day `d` at +02:00 (from = d-1 22:00Z, to = d 22:00Z).
struct DayWindow {
    TimePoint from;
    TimePoint to;
};
[[nodiscard]] DayWindow business_day_window(Date d);
/// The +02:00 calendar day of an instant.
[[nodiscard]] Date business_date_of(TimePoint t);

/// A local (+02:00) time of day, "HH:MM".
struct TimeOfDay {
    int hour = 0;
    int minute = 0;
    friend bool operator==(const TimeOfDay&, const TimeOfDay&) = default;
};
/// Strict "HH:MM", 00:00 to 23:59.
[[nodiscard]] std::optional<TimeOfDay> parse_time_of_day(std::string_view text);

/// The latest day whose return is due at `now` when returns are produced at `at` (local): the
/// day before today once `at` has passed today, else the day before that. The job produces
/// that day if it is missing, which also catches up a run missed while the service was down.
[[nodiscard]] Date due_return_date(TimePoint now, TimeOfDay at);

// ---- the records -------------------------------------------------------------------------------

/// Text fields are "" when unknown (a CSV empty field, a JSON null).
struct SenderRecord {
    std::string id;
    std::string full_name;
    std::string date_of_birth;  // YYYY-MM-DD
    std::string kyc_tier;
    std::string phone;
    std::string nationality;  // ISO 3166-1 alpha-2
    std::string id_type;      // foreign_passport, sa_id, asylum_or_refugee
    std::string id_number_masked;
    std::string employer_name;
    std::string address;
    std::string gender;
    std::string country;  // where the sender is: ZA
    friend bool operator==(const SenderRecord&, const SenderRecord&) = default;
};

struct BeneficiaryRecord {
    std::string id;
    std::string full_name;
    std::string phone;
    std::string relationship;
    std::string national_id_masked;
    std::string district;
    std::string country;  // LS
    friend bool operator==(const BeneficiaryRecord&, const BeneficiaryRecord&) = default;
};

/// One remittance in a final state, as remit.completed reported it.
struct CompletedRemittance {
    std::string remittance_id;
    std::string reference;  // the end-to-end reference the partner was given
    std::string status;     // paid, refunded, cancelled, rejected
    std::string reason;
    TimePoint created_at;
    TimePoint completed_at;
    std::int64_t send_minor = 0;     // ZAR collected, fee included
    std::int64_t fee_minor = 0;      // ZAR
    std::int64_t receive_minor = 0;  // LSL paid out
    std::string send_currency = "ZAR";
    std::string receive_currency = "LSL";
    std::string rate;          // exact fraction, "1/1" at par
    std::string purpose;       // bop_417
    std::string bop_category;  // 417
    std::string source_of_funds;
    std::string payout_method;  // mpesa, ecocash, cash_pickup: the payout partner
    std::string partner_reference;
    std::string compliance_case_id;
    SenderRecord sender;
    BeneficiaryRecord beneficiary;
    friend bool operator==(const CompletedRemittance&, const CompletedRemittance&) = default;

    /// What left for Lesotho: the send amount less the fee (the IFTR amount, fees excluded).
    [[nodiscard]] std::int64_t transfer_minor() const { return send_minor - fee_minor; }
};

/// Only paid remittances are cross-border flows; refunded, cancelled and rejected ones are kept
/// by the service (for the record) but are in no return, threshold report or settlement sum.
[[nodiscard]] bool is_cross_border_flow(const CompletedRemittance& r);

/// A cash deposit at a South African agent (remit.deposit_received).
struct CashDeposit {
    std::string deposit_id;
    std::string worker_id;
    std::string agent_id;
    std::int64_t amount_minor = 0;  // ZAR
    TimePoint at;
    friend bool operator==(const CashDeposit&, const CashDeposit&) = default;
};

/// FIC Act thresholds (DOMAIN.md 1.4): electronic cross-border transfers (s31, IFTR) and cash
/// (s28, CTR), each "at or above".
struct ReportThresholds {
    std::int64_t electronic_minor = 2'000'000;  // R20,000.00
    std::int64_t cash_minor = 5'000'000;        // R50,000.00
};

// ---- the cross-border return -------------------------------------------------------------------

/// The CSV header, fixed (docs/central-bank.md lists every column).
[[nodiscard]] std::string_view cross_border_csv_header();
/// The rows of the day's return: the flows whose completed_at falls in the day, in order of
/// completed_at then remittance id.
[[nodiscard]] std::vector<CompletedRemittance> cross_border_rows(
    const std::vector<CompletedRemittance>& candidates, Date day
);
/// RFC 4180: CRLF line ends, the header first, fields with a comma, quote, CR or LF quoted and
/// quotes doubled; amounts as "500.00".
[[nodiscard]] std::string cross_border_csv(
    const std::vector<CompletedRemittance>& candidates,
    Date day,
    const ReportThresholds& thresholds = {}
);

/// One RFC 4180 field.
[[nodiscard]] std::string csv_field(std::string_view value);

// ---- threshold report --------------------------------------------------------------------------

struct ThresholdItem {
    std::string kind;            // iftr (electronic) or ctr (cash)
    std::string reference_type;  // remittance or deposit
    std::string reference_id;
    std::string subject_id;  // the sender or the depositing worker
    std::int64_t amount_minor = 0;
    std::int64_t threshold_minor = 0;
    TimePoint at;
};
/// The day's movements at or above a threshold: paid remittances by their transfer amount
/// (fees excluded) and cash deposits by their amount; in time order.
[[nodiscard]] std::vector<ThresholdItem> threshold_items(
    const std::vector<CompletedRemittance>& remittances,
    const std::vector<CashDeposit>& deposits,
    Date day,
    const ReportThresholds& thresholds = {}
);
[[nodiscard]] std::string_view threshold_csv_header();
[[nodiscard]] std::string threshold_csv(const std::vector<ThresholdItem>& items);

// ---- settlement summary ------------------------------------------------------------------------

/// Per payout partner for a day: what was paid out and what it earned.
struct PartnerSummary {
    std::string partner;  // the payout method: mpesa, ecocash, cash_pickup
    std::int64_t count = 0;
    std::int64_t send_minor = 0;     // ZAR collected
    std::int64_t fee_minor = 0;      // ZAR fees earned
    std::int64_t receive_minor = 0;  // LSL paid out by the partner: what we owe it
    friend bool operator==(const PartnerSummary&, const PartnerSummary&) = default;
};
/// The day's paid remittances per partner, partners in name order. A sum beyond int64 is an
/// error (nullopt), never a wrapped number.
[[nodiscard]] std::optional<std::vector<PartnerSummary>> settlement_summary(
    const std::vector<CompletedRemittance>& candidates, Date day
);

// ---- query parameters --------------------------------------------------------------------------

enum class Format : std::uint8_t { kCsv, kJson };
enum class ReportKind : std::uint8_t { kCrossBorder, kThresholds };
[[nodiscard]] std::string_view to_string(Format format);
[[nodiscard]] std::string_view to_string(ReportKind kind);

struct ReportQuery {
    Date date;
    Format format = Format::kJson;
    ReportKind report = ReportKind::kCrossBorder;
};

/// A refused query parameter: its name and a message safe to show.
struct QueryError {
    std::string field;
    std::string message;
};

/// `date` (YYYY-MM-DD, required, a day that has ended at +02:00 by `now`), `format` (csv or
/// json, default json) and `report` (cross_border or thresholds, default cross_border).
[[nodiscard]] platform::Result<ReportQuery, QueryError> parse_report_query(
    std::string_view date, std::string_view format, std::string_view report, TimePoint now
);
/// `date` alone, with the same rule.
[[nodiscard]] platform::Result<Date, QueryError> parse_report_date(
    std::string_view date, TimePoint now
);

}  // namespace chelete::central_bank
