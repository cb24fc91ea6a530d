#include <gtest/gtest.h>

#include <chelete/central_bank/report.hpp>

namespace chelete::central_bank {
namespace {

using namespace std::chrono_literals;

TimePoint at(std::string_view rfc3339) {
    return *platform::parse_rfc3339(rfc3339);
}

Date date(std::string_view text) {
    return *platform::parse_date(text);
}

CompletedRemittance paid(std::string id, std::string_view completed_at) {
    CompletedRemittance r;
    r.remittance_id = std::move(id);
    r.reference = "ref-" + r.remittance_id;
    r.status = "paid";
    r.created_at = at(completed_at) - 5min;
    r.completed_at = at(completed_at);
    r.send_minor = 50'000;
    r.fee_minor = 1'500;
    r.receive_minor = 48'500;
    r.rate = "1/1";
    r.purpose = "bop_417";
    r.bop_category = "417";
    r.source_of_funds = "salary";
    r.payout_method = "mpesa";
    r.sender = {
        "s1",
        "Thabo Mokoena",
        "1990-04-01",
        "basic",
        "+27821234567",
        "LS",
        "foreign_passport",
        "*****4567",
        "",
        "",
        "",
        "ZA"};
    r.beneficiary = {"b1", "Mpho Mokoena", "+26658123456", "mother", "", "", "LS"};
    return r;
}

/// The CSV's lines (CRLF ends), the header first.
std::vector<std::string> lines_of(const std::string& csv) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < csv.size()) {
        const auto end = csv.find("\r\n", start);
        EXPECT_NE(end, std::string::npos) << "every line ends with CRLF";
        if (end == std::string::npos) {
            break;
        }
        out.push_back(csv.substr(start, end - start));
        start = end + 2;
    }
    return out;
}

TEST(BusinessDay, IsTheCalendarDayAtPlusTwoHours) {
    const auto w = business_day_window(date("2026-03-02"));
    EXPECT_EQ(platform::format_rfc3339(w.from), "2026-03-01T22:00:00.000Z");
    EXPECT_EQ(platform::format_rfc3339(w.to), "2026-03-02T22:00:00.000Z");
    EXPECT_EQ(business_date_of(at("2026-03-01T21:59:59.999Z")), date("2026-03-01"));
    EXPECT_EQ(business_date_of(at("2026-03-01T22:00:00.000Z")), date("2026-03-02"));
    EXPECT_EQ(business_date_of(at("2026-03-02T21:59:59.999Z")), date("2026-03-02"));
}

TEST(BusinessDay, TheReturnIsDueForYesterdayOnceTheHourHasPassed) {
    const TimeOfDay two{2, 0};
    // 01:59 local on 3 March: the job has not run today, so 1 March is the latest due.
    EXPECT_EQ(due_return_date(at("2026-03-02T23:59:00Z"), two), date("2026-03-01"));
    // 02:00 local on 3 March: 2 March is due.
    EXPECT_EQ(due_return_date(at("2026-03-03T00:00:00Z"), two), date("2026-03-02"));
    EXPECT_EQ(due_return_date(at("2026-03-03T21:59:00Z"), two), date("2026-03-02"));
}

TEST(TimeOfDay, IsStrictHhMm) {
    EXPECT_EQ(parse_time_of_day("02:00"), (TimeOfDay{2, 0}));
    EXPECT_EQ(parse_time_of_day("23:59"), (TimeOfDay{23, 59}));
    for (const char* bad : {"24:00", "2:00", "02:60", "0200", "02:00 ", "", "ab:cd", "-1:00"}) {
        EXPECT_FALSE(parse_time_of_day(bad)) << bad;
    }
}

TEST(Csv, QuotesCommasQuotesAndNewlinesPerRfc4180) {
    EXPECT_EQ(csv_field("plain"), "plain");
    EXPECT_EQ(csv_field("Mokoena, Thabo"), "\"Mokoena, Thabo\"");
    EXPECT_EQ(csv_field("Thabo \"T\" Mokoena"), "\"Thabo \"\"T\"\" Mokoena\"");
    EXPECT_EQ(csv_field("line\nbreak"), "\"line\nbreak\"");
    EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
    EXPECT_EQ(csv_field(""), "");
}

TEST(Csv, TheReturnHasTheFixedHeaderAndExactAmounts) {
    const auto csv = cross_border_csv({paid("r1", "2026-03-02T08:00:00Z")}, date("2026-03-02"));
    const auto lines = lines_of(csv);
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_EQ(lines[0], cross_border_csv_header());
    EXPECT_EQ(
        lines[1],
        "ref-r1,r1,2026-03-02,2026-03-02T08:00:00.000Z,2026-03-02T07:55:00.000Z,outward,417,"
        "bop_417,salary,500.00,ZAR,15.00,ZAR,485.00,ZAR,485.00,LSL,1/1,mpesa,,s1,Thabo Mokoena,"
        "1990-04-01,,LS,foreign_passport,*****4567,,ZA,+27821234567,,b1,Mpho Mokoena,"
        "+26658123456,mother,,,LS,no"
    );
}

TEST(Csv, ANameWithACommaQuoteAndNewlineStaysOneField) {
    auto r = paid("r1", "2026-03-02T08:00:00Z");
    r.sender.full_name = "Mokoena, \"Thabo\"\nJr";
    const auto csv = cross_border_csv({r}, date("2026-03-02"));
    EXPECT_NE(csv.find(",\"Mokoena, \"\"Thabo\"\"\nJr\","), std::string::npos) << csv;
}

TEST(Return, OnlyPaidRemittancesOfTheDayInTimeOrder) {
    auto refunded = paid("r-refunded", "2026-03-02T09:00:00Z");
    refunded.status = "refunded";
    auto cancelled = paid("r-cancelled", "2026-03-02T09:00:00Z");
    cancelled.status = "cancelled";
    auto rejected = paid("r-rejected", "2026-03-02T09:00:00Z");
    rejected.status = "rejected";
    const std::vector<CompletedRemittance> all{
        paid("r-late", "2026-03-02T21:59:59.999Z"),
        paid("r-early", "2026-03-01T22:00:00Z"),
        paid("r-before", "2026-03-01T21:59:59.999Z"),  // 1 March at +02:00
        paid("r-after", "2026-03-02T22:00:00Z"),       // 3 March at +02:00
        refunded,
        cancelled,
        rejected};
    const auto rows = cross_border_rows(all, date("2026-03-02"));
    ASSERT_EQ(rows.size(), 2U);
    EXPECT_EQ(rows[0].remittance_id, "r-early");
    EXPECT_EQ(rows[1].remittance_id, "r-late");
    EXPECT_EQ(lines_of(cross_border_csv(all, date("2026-03-02"))).size(), 3U);
    EXPECT_EQ(lines_of(cross_border_csv({}, date("2026-03-02"))).size(), 1U) << "header only";
}

TEST(Return, FlagsIftrAtTheThresholdFeesExcluded) {
    auto at_threshold = paid("r1", "2026-03-02T08:00:00Z");
    at_threshold.send_minor = 2'001'000;  // R20,010.00 with a R10.00 fee: R20,000.00 leaves
    at_threshold.fee_minor = 1'000;
    at_threshold.receive_minor = 2'000'000;
    auto below = at_threshold;
    below.remittance_id = "r2";
    below.fee_minor = 1'001;  // R19,999.99 leaves
    const auto csv = cross_border_csv({at_threshold, below}, date("2026-03-02"));
    const auto lines = lines_of(csv);
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_TRUE(lines[1].ends_with(",yes"));
    EXPECT_TRUE(lines[2].ends_with(",no"));
}

TEST(Thresholds, ElectronicFromPaidRemittancesCashFromDeposits) {
    auto big = paid("r-big", "2026-03-02T08:00:00Z");
    big.send_minor = 2'101'000;
    big.fee_minor = 1'000;
    big.receive_minor = 2'100'000;
    auto big_refunded = big;
    big_refunded.remittance_id = "r-refunded";
    big_refunded.status = "refunded";
    const std::vector<CashDeposit> deposits{
        {"d-big", "w1", "agent-1", 5'000'000, at("2026-03-02T07:00:00Z")},
        {"d-small", "w1", "agent-1", 4'999'999, at("2026-03-02T07:00:00Z")},
        {"d-other-day", "w1", "agent-1", 9'000'000, at("2026-03-02T22:00:00Z")}};
    const auto items = threshold_items(
        {big, big_refunded, paid("r-small", "2026-03-02T08:00:00Z")}, deposits, date("2026-03-02")
    );
    ASSERT_EQ(items.size(), 2U);
    EXPECT_EQ(items[0].kind, "ctr");
    EXPECT_EQ(items[0].reference_id, "d-big");
    EXPECT_EQ(items[0].amount_minor, 5'000'000);
    EXPECT_EQ(items[1].kind, "iftr");
    EXPECT_EQ(items[1].reference_id, "r-big");
    EXPECT_EQ(items[1].amount_minor, 2'100'000);
    const auto lines = lines_of(threshold_csv(items));
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(lines[0], "kind,reference_type,reference_id,subject_id,amount,currency,threshold,at");
    EXPECT_EQ(lines[1], "ctr,deposit,d-big,w1,50000.00,ZAR,50000.00,2026-03-02T07:00:00.000Z");
}

TEST(Settlement, SumsPaidRemittancesPerPartner) {
    auto eco = paid("r3", "2026-03-02T10:00:00Z");
    eco.payout_method = "ecocash";
    auto failed = paid("r4", "2026-03-02T10:00:00Z");
    failed.status = "refunded";
    const auto summary = settlement_summary(
        {paid("r1", "2026-03-02T08:00:00Z"), paid("r2", "2026-03-02T09:00:00Z"), eco, failed},
        date("2026-03-02")
    );
    ASSERT_TRUE(summary);
    ASSERT_EQ(summary->size(), 2U);
    EXPECT_EQ((*summary)[0], (PartnerSummary{"ecocash", 1, 50'000, 1'500, 48'500}));
    EXPECT_EQ((*summary)[1], (PartnerSummary{"mpesa", 2, 100'000, 3'000, 97'000}));
}

TEST(Settlement, AnOverflowingSumIsAnErrorNotAWrappedNumber) {
    auto a = paid("r1", "2026-03-02T08:00:00Z");
    a.send_minor = INT64_MAX;
    a.receive_minor = INT64_MAX - 10;
    auto b = a;
    b.remittance_id = "r2";
    EXPECT_FALSE(settlement_summary({a, b}, date("2026-03-02")));
}

TEST(Query, DateFormatAndReportAreChecked) {
    const TimePoint now = at("2026-03-03T08:00:00Z");  // 3 March, 10:00 local
    const auto q = parse_report_query("2026-03-02", "csv", "", now);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->date, date("2026-03-02"));
    EXPECT_EQ(q->format, Format::kCsv);
    EXPECT_EQ(q->report, ReportKind::kCrossBorder);
    EXPECT_EQ(parse_report_query("2026-03-02", "", "thresholds", now)->format, Format::kJson);
    EXPECT_EQ(
        parse_report_query("2026-03-02", "", "thresholds", now)->report, ReportKind::kThresholds
    );
    EXPECT_EQ(parse_report_query("", "csv", "", now).error().field, "date");
    EXPECT_EQ(parse_report_query("2026-02-30", "csv", "", now).error().field, "date");
    EXPECT_EQ(parse_report_query("2026-03-03", "csv", "", now).error().field, "date")
        << "today has not ended";
    EXPECT_EQ(parse_report_query("2026-03-02", "xml", "", now).error().field, "format");
    EXPECT_EQ(parse_report_query("2026-03-02", "csv", "all", now).error().field, "report");
    // 23:30 on 2 March UTC is already 3 March at +02:00: 2 March has ended.
    EXPECT_TRUE(parse_report_date("2026-03-02", at("2026-03-02T22:30:00Z")));
    EXPECT_FALSE(parse_report_date("2026-03-02", at("2026-03-02T21:30:00Z")));
}

}  // namespace
}  // namespace chelete::central_bank
