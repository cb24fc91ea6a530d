#include <algorithm>
#include <map>

#include <chelete/central_bank/report.hpp>
#include <chelete/platform/money.hpp>

namespace chelete::central_bank {
namespace {

using std::chrono::duration_cast;
using std::chrono::hours;
using std::chrono::minutes;

constexpr std::int64_t kDay = 24;

TimePoint midnight_utc(Date d) {
    return TimePoint{duration_cast<TimePoint::duration>(hours{kDay * d.days_since_epoch()})};
}

std::string yes_no(bool b) {
    return b ? "yes" : "no";
}

void append_row(std::string& out, const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        out += csv_field(fields[i]);
    }
    out += "\r\n";
}

/// Values of a completed row in the +02:00 day `day`, sorted by completion time then id.
std::vector<CompletedRemittance> flows_of_day(
    const std::vector<CompletedRemittance>& candidates, Date day
) {
    const DayWindow w = business_day_window(day);
    std::vector<CompletedRemittance> out;
    for (const auto& r : candidates) {
        if (is_cross_border_flow(r) && r.completed_at >= w.from && r.completed_at < w.to) {
            out.push_back(r);
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.completed_at != b.completed_at ? a.completed_at < b.completed_at
                                                : a.remittance_id < b.remittance_id;
    });
    return out;
}

}  // namespace

DayWindow business_day_window(Date d) {
    const TimePoint start = midnight_utc(d) - duration_cast<TimePoint::duration>(kBusinessOffset);
    return DayWindow{start, start + duration_cast<TimePoint::duration>(hours{kDay})};
}

Date business_date_of(TimePoint t) {
    return Date::of(t + duration_cast<TimePoint::duration>(kBusinessOffset));
}

std::optional<TimeOfDay> parse_time_of_day(std::string_view text) {
    if (text.size() != 5 || text[2] != ':') {
        return std::nullopt;
    }
    const auto two_digits = [](std::string_view s) -> std::optional<int> {
        if (s.size() != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') {
            return std::nullopt;
        }
        return (s[0] - '0') * 10 + (s[1] - '0');
    };
    const auto h = two_digits(text.substr(0, 2));
    const auto m = two_digits(text.substr(3, 2));
    if (!h || !m || *h > 23 || *m > 59) {
        return std::nullopt;
    }
    return TimeOfDay{*h, *m};
}

Date due_return_date(TimePoint now, TimeOfDay at) {
    const Date today = business_date_of(now);
    const TimePoint local_midnight = business_day_window(today).from;
    const TimePoint due_at =
        local_midnight + duration_cast<TimePoint::duration>(hours{at.hour} + minutes{at.minute});
    const std::int64_t back = now >= due_at ? 1 : 2;
    return Date::from_days_since_epoch(today.days_since_epoch() - back);
}

bool is_cross_border_flow(const CompletedRemittance& r) {
    return r.status == "paid";
}

std::string csv_field(std::string_view value) {
    if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
        return std::string{value};
    }
    std::string out = "\"";
    for (const char c : value) {
        if (c == '"') {
            out += '"';
        }
        out += c;
    }
    out += '"';
    return out;
}

std::string_view cross_border_csv_header() {
    return "reference,remittance_id,value_date,completed_at,created_at,flow,bop_category,purpose,"
           "source_of_funds,send_amount,send_currency,fee_amount,fee_currency,transfer_amount,"
           "transfer_currency,receive_amount,receive_currency,rate,payout_method,"
           "partner_reference,sender_id,sender_full_name,sender_date_of_birth,sender_gender,"
           "sender_nationality,sender_id_type,sender_id_number_masked,sender_address,"
           "sender_country,sender_phone,sender_employer,beneficiary_id,beneficiary_full_name,"
           "beneficiary_phone,beneficiary_relationship,beneficiary_national_id_masked,"
           "beneficiary_district,beneficiary_country,iftr";
}

std::vector<CompletedRemittance> cross_border_rows(
    const std::vector<CompletedRemittance>& candidates, Date day
) {
    return flows_of_day(candidates, day);
}

std::string cross_border_csv(
    const std::vector<CompletedRemittance>& candidates, Date day, const ReportThresholds& thresholds
) {
    std::string out{cross_border_csv_header()};
    out += "\r\n";
    for (const auto& r : flows_of_day(candidates, day)) {
        const auto& s = r.sender;
        const auto& b = r.beneficiary;
        append_row(
            out,
            {r.reference,
             r.remittance_id,
             business_date_of(r.completed_at).to_string(),
             platform::format_rfc3339(r.completed_at),
             platform::format_rfc3339(r.created_at),
             "outward",
             r.bop_category,
             r.purpose,
             r.source_of_funds,
             platform::format_minor_units(r.send_minor),
             r.send_currency,
             platform::format_minor_units(r.fee_minor),
             r.send_currency,
             platform::format_minor_units(r.transfer_minor()),
             r.send_currency,
             platform::format_minor_units(r.receive_minor),
             r.receive_currency,
             r.rate,
             r.payout_method,
             r.partner_reference,
             s.id,
             s.full_name,
             s.date_of_birth,
             s.gender,
             s.nationality,
             s.id_type,
             s.id_number_masked,
             s.address,
             s.country,
             s.phone,
             s.employer_name,
             b.id,
             b.full_name,
             b.phone,
             b.relationship,
             b.national_id_masked,
             b.district,
             b.country,
             yes_no(r.transfer_minor() >= thresholds.electronic_minor)}
        );
    }
    return out;
}

std::vector<ThresholdItem> threshold_items(
    const std::vector<CompletedRemittance>& remittances,
    const std::vector<CashDeposit>& deposits,
    Date day,
    const ReportThresholds& thresholds
) {
    std::vector<ThresholdItem> out;
    for (const auto& r : flows_of_day(remittances, day)) {
        if (r.transfer_minor() >= thresholds.electronic_minor) {
            out.push_back(ThresholdItem{
                "iftr",
                "remittance",
                r.remittance_id,
                r.sender.id,
                r.transfer_minor(),
                thresholds.electronic_minor,
                r.completed_at});
        }
    }
    const DayWindow w = business_day_window(day);
    for (const auto& d : deposits) {
        if (d.at >= w.from && d.at < w.to && d.amount_minor >= thresholds.cash_minor) {
            out.push_back(ThresholdItem{
                "ctr",
                "deposit",
                d.deposit_id,
                d.worker_id,
                d.amount_minor,
                thresholds.cash_minor,
                d.at});
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.at != b.at ? a.at < b.at : a.reference_id < b.reference_id;
    });
    return out;
}

std::string_view threshold_csv_header() {
    return "kind,reference_type,reference_id,subject_id,amount,currency,threshold,at";
}

std::string threshold_csv(const std::vector<ThresholdItem>& items) {
    std::string out{threshold_csv_header()};
    out += "\r\n";
    for (const auto& i : items) {
        append_row(
            out,
            {i.kind,
             i.reference_type,
             i.reference_id,
             i.subject_id,
             platform::format_minor_units(i.amount_minor),
             "ZAR",
             platform::format_minor_units(i.threshold_minor),
             platform::format_rfc3339(i.at)}
        );
    }
    return out;
}

std::optional<std::vector<PartnerSummary>> settlement_summary(
    const std::vector<CompletedRemittance>& candidates, Date day
) {
    std::map<std::string, PartnerSummary> by_partner;
    for (const auto& r : flows_of_day(candidates, day)) {
        auto& p = by_partner[r.payout_method];
        p.partner = r.payout_method;
        const auto count = platform::checked_add(p.count, 1);
        const auto send = platform::checked_add(p.send_minor, r.send_minor);
        const auto fee = platform::checked_add(p.fee_minor, r.fee_minor);
        const auto receive = platform::checked_add(p.receive_minor, r.receive_minor);
        if (!count || !send || !fee || !receive) {
            return std::nullopt;
        }
        p.count = *count;
        p.send_minor = *send;
        p.fee_minor = *fee;
        p.receive_minor = *receive;
    }
    std::vector<PartnerSummary> out;
    out.reserve(by_partner.size());
    for (auto& [name, summary] : by_partner) {
        out.push_back(std::move(summary));
    }
    return out;
}

std::string_view to_string(Format format) {
    return format == Format::kCsv ? "csv" : "json";
}

std::string_view to_string(ReportKind kind) {
    return kind == ReportKind::kThresholds ? "thresholds" : "cross_border";
}

platform::Result<Date, QueryError> parse_report_date(std::string_view date, TimePoint now) {
    if (date.empty()) {
        return platform::err(QueryError{"date", "is required (YYYY-MM-DD)"});
    }
    const auto d = platform::parse_date(date);
    if (!d) {
        return platform::err(QueryError{"date", "must be a calendar date YYYY-MM-DD"});
    }
    if (*d >= business_date_of(now)) {
        return platform::err(QueryError{
            "date", "must be a day that has ended (+02:00, Africa/Johannesburg)"});
    }
    return *d;
}

platform::Result<ReportQuery, QueryError> parse_report_query(
    std::string_view date, std::string_view format, std::string_view report, TimePoint now
) {
    ReportQuery q;
    if (format == "csv") {
        q.format = Format::kCsv;
    } else if (format.empty() || format == "json") {
        q.format = Format::kJson;
    } else {
        return platform::err(QueryError{"format", "must be csv or json"});
    }
    if (report == "thresholds") {
        q.report = ReportKind::kThresholds;
    } else if (!report.empty() && report != "cross_border") {
        return platform::err(QueryError{"report", "must be cross_border or thresholds"});
    }
    auto d = parse_report_date(date, now);
    if (!d) {
        return platform::err(d.error());
    }
    q.date = d.value();
    return q;
}

}  // namespace chelete::central_bank
