#include "domain/watchlist.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace chelete::compliance {
namespace {

constexpr std::string_view kCsv =
    "id,full_name,aliases,date_of_birth,list,reference\n"
    "UN-1,Tšepiso Mokoena,\"Ts'epo Mokoena|Tšepiso \"\"TM\"\" Mokwena\",1980-05-17,sanctions,"
    "UN QDi.999\n"
    "PEP-7,'Mathabo Moshoeshoe,,1975,pep,\"Gazette 12, 2024\"\n"
    "INT-3,Thabo Lucas Molefe,Thabo Molefe|T. L. Molefe,1990-01-02|1991-02-01,internal,"
    "case 2026-0042\n";

Watchlist parsed(std::string_view csv) {
    auto list = parse_watchlist_csv(csv);
    EXPECT_TRUE(list.ok()) << (list.ok() ? "" : list.error().message);
    return list.ok() ? std::move(list).value() : Watchlist{};
}

WatchlistError error_of(std::string_view csv) {
    auto list = parse_watchlist_csv(csv);
    EXPECT_FALSE(list.ok()) << csv;
    return list.ok() ? WatchlistError{} : list.error();
}

std::string with_header(std::string_view body) {
    return std::string(kWatchlistHeader) + "\n" + std::string(body);
}

platform::Date date(const char* text) {
    const auto d = platform::parse_date(text);
    EXPECT_TRUE(d.has_value()) << text;
    return d.value_or(platform::Date{});
}

TEST(WatchlistCsvTest, ParsesTheDocumentedFormat) {
    const Watchlist list = parsed(kCsv);
    ASSERT_EQ(list.size(), 3U);
    const WatchlistEntry& un = list.entries()[0];
    EXPECT_EQ(un.id, "UN-1");
    EXPECT_EQ(un.full_name, "Tšepiso Mokoena");
    EXPECT_EQ(un.aliases, (std::vector<std::string>{"Ts'epo Mokoena", "Tšepiso \"TM\" Mokwena"}));
    ASSERT_EQ(un.dates_of_birth.size(), 1U);
    EXPECT_EQ(un.dates_of_birth[0], (BirthDate{date("1980-05-17"), false}));
    EXPECT_EQ(un.list, ListKind::kSanctions);
    EXPECT_EQ(un.reference, "UN QDi.999");
    const WatchlistEntry& pep = list.entries()[1];
    EXPECT_TRUE(pep.aliases.empty());
    EXPECT_EQ(pep.dates_of_birth, (std::vector<BirthDate>{{platform::Date{1975, 1, 1}, true}}));
    EXPECT_EQ(pep.list, ListKind::kPep);
    EXPECT_EQ(pep.reference, "Gazette 12, 2024");
    const WatchlistEntry& internal = list.entries()[2];
    EXPECT_EQ(internal.aliases.size(), 2U);
    EXPECT_EQ(internal.dates_of_birth.size(), 2U);
    EXPECT_EQ(internal.list, ListKind::kInternal);
    EXPECT_EQ(to_string(list.keys(0)[0]), "tshepiso mokwena");
    EXPECT_EQ(list.keys(0).size(), 3U) << "full name and two aliases";
}

TEST(WatchlistCsvTest, AcceptsCrlfBomBlankLinesAndSpaces) {
    const Watchlist list = parsed(
        "\xEF\xBB\xBFid,full_name,aliases,date_of_birth,list,reference\r\n"
        "\r\n"
        " A1 , Thabo Mokoena , T. Mokoena | Thabo M , 1980 ,sanctions, ref \r\n"
        "\n"
        "A2,Palesa Nthako,,,pep,\r\n"
    );
    ASSERT_EQ(list.size(), 2U);
    EXPECT_EQ(list.entries()[0].id, "A1");
    EXPECT_EQ(list.entries()[0].full_name, "Thabo Mokoena");
    EXPECT_EQ(list.entries()[0].aliases, (std::vector<std::string>{"T. Mokoena", "Thabo M"}));
    EXPECT_EQ(list.entries()[0].reference, "ref");
    EXPECT_TRUE(list.entries()[1].reference.empty());
    EXPECT_EQ(parsed(kWatchlistHeader).size(), 0U) << "a header alone is an empty list";
}

TEST(WatchlistCsvTest, ErrorsNameTheLine) {
    struct Case {
        std::string csv;
        std::size_t line;
        std::string message;
    };
    const std::vector<Case> cases{
        {"", 1, "line 1: the first line must be the header " + std::string(kWatchlistHeader)},
        {"id,name\n",
         1,
         "line 1: the first line must be the header " + std::string(kWatchlistHeader)},
        {with_header("A1,Thabo Mokoena,,,sanctions\n"),
         2,
         "line 2: expected 6 fields (" + std::string(kWatchlistHeader) + "), found 5"},
        {with_header("A1,Thabo Mokoena,,,sanctions,r,x\n"), 2, "line 2: more than 6 fields"},
        {with_header("\nA1,Thabo Mokoena,,1985-02-30,sanctions,r\n"),
         3,
         "line 3: date_of_birth '1985-02-30' is not YYYY-MM-DD or YYYY (a real date, 1900-2200)"},
        {with_header("A1,Thabo Mokoena,,85,sanctions,r\n"),
         2,
         "line 2: date_of_birth '85' is not YYYY-MM-DD or YYYY (a real date, 1900-2200)"},
        {with_header("A1,Thabo Mokoena,,,terror,r\n"),
         2,
         "line 2: list 'terror' must be sanctions, pep or internal"},
        {with_header("A1,Thabo Mokoena,,,pep,r\nA2,Lerato Moloi,,,pep,\nA1,X Y,,,pep,\n"),
         4,
         "line 4: id 'A1' already used on line 2"},
        {with_header("A 1,Thabo Mokoena,,,pep,r\n"),
         2,
         "line 2: id 'A 1' must be 1-64 of A-Z a-z 0-9 . _ : / -"},
        {with_header(",Thabo Mokoena,,,pep,r\n"),
         2,
         "line 2: id '' must be 1-64 of A-Z a-z 0-9 . _ : / -"},
        {with_header("A1,,,,pep,r\n"), 2, "line 2: full_name is empty"},
        {with_header("A1,'' --,,,pep,r\n"), 2, "line 2: full_name ''' --' has no letters"},
        {with_header("A1,Thabo \xFF,,,pep,r\n"), 2, "line 2: full_name is not valid UTF-8"},
        {with_header("A1,\"Thabo\nMokoena\",,,pep,r\n"),
         2,
         "line 2: full_name holds a control character (a line break?)"},
        {with_header("A1,Thabo Mokoena,T M||Thabo M,,pep,r\n"),
         2,
         "line 2: an empty alias (two | in a row, or | at an end?)"},
        {with_header("A1,Thabo Mokoena,,,pep,\"unclosed\n"),
         2,
         "line 2: a quoted field is never closed"},
        {with_header("A1,\"Thabo\" Mokoena,,,pep,r\n"),
         2,
         "line 2: text after the closing quote of a field"},
        {with_header("A1,Thabo \"T\" Mokoena,,,pep,r\n"),
         2,
         "line 2: a quote inside an unquoted field (quote the whole field)"},
        {with_header("A1,Thabo Mokoena,,,pep,r\rA2"),
         2,
         "line 2: a carriage return without a line feed"},
        {with_header("A1,Thabo Mokoena,,,pep," + std::string(201, 'x') + "\n"),
         2,
         "line 2: reference is longer than 200 bytes"},
    };
    for (const Case& c : cases) {
        const WatchlistError e = error_of(c.csv);
        EXPECT_EQ(e.line, c.line) << c.csv;
        EXPECT_EQ(e.message, c.message) << c.csv;
    }
}

TEST(WatchlistCsvTest, LinesCountInsideQuotedFields) {
    // The reference spans two physical lines; the next record starts on line 4.
    const WatchlistError e =
        error_of(with_header("A1,Thabo Mokoena,,,pep,\"two\nlines\"\nA2,,,,pep,\n"));
    // A line break is refused in the reference too, on the record's first line.
    EXPECT_EQ(e.line, 2U);
    EXPECT_EQ(e.message, "line 2: reference holds a control character (a line break?)");
    const WatchlistError unclosed =
        error_of(with_header("A1,Thabo Mokoena,,,pep,r\nA2,\"x\ny,,,pep,r\n"));
    EXPECT_EQ(unclosed.line, 3U) << "where the quote opened";
}

TEST(WatchlistCsvTest, FormatRoundTrips) {
    const Watchlist list = parsed(kCsv);
    const std::string text = format_watchlist_csv(list);
    const Watchlist again = parsed(text);
    EXPECT_EQ(again.entries(), list.entries());
    EXPECT_EQ(format_watchlist_csv(again), text);
    EXPECT_NE(text.find(",\"Ts'epo Mokoena|Tšepiso \"\"TM\"\" Mokwena\","), std::string::npos);
    EXPECT_NE(text.find(",1975,pep,\"Gazette 12, 2024\"\n"), std::string::npos);
}

TEST(WatchlistCsvTest, ConstructorRefusesWhatTheParserRefuses) {
    WatchlistEntry a;
    a.id = "A1";
    a.full_name = "Thabo Mokoena";
    WatchlistEntry dup = a;
    EXPECT_THROW(Watchlist({a, dup}), std::invalid_argument);
    WatchlistEntry blank = a;
    blank.id = "A2";
    blank.full_name = " - ";
    EXPECT_THROW(Watchlist({a, blank}), std::invalid_argument);
    EXPECT_EQ(Watchlist({a}).size(), 1U);
}

TEST(WatchlistCsvTest, ListNames) {
    for (const ListKind kind : {ListKind::kSanctions, ListKind::kPep, ListKind::kInternal}) {
        EXPECT_EQ(list_kind_from(to_string(kind)), kind);
    }
    EXPECT_FALSE(list_kind_from("Sanctions").has_value());
}

TEST(MatchThresholdTest, ParsesTheDocumentedRange) {
    EXPECT_DOUBLE_EQ(parse_match_threshold("0.90").value(), 0.90);
    EXPECT_DOUBLE_EQ(parse_match_threshold("0.93").value(), ScreeningPolicy{}.threshold);
    EXPECT_DOUBLE_EQ(parse_match_threshold("0.9").value(), 0.90);
    EXPECT_DOUBLE_EQ(parse_match_threshold("0.925").value(), 0.925);
    EXPECT_DOUBLE_EQ(parse_match_threshold("0.50").value(), 0.50);
    EXPECT_DOUBLE_EQ(parse_match_threshold("1").value(), 1.0);
    EXPECT_DOUBLE_EQ(parse_match_threshold("1.00").value(), 1.0);
    for (const char* bad :
         {"", "0.49", "1.01", "0.9000", "90", ".9", "0,9", "0.", "-0.9", "0.9x", "2"}) {
        const auto t = parse_match_threshold(bad);
        EXPECT_FALSE(t.ok()) << bad;
    }
    EXPECT_EQ(
        parse_match_threshold("0.3").error().message,
        "match threshold '0.3' must be a decimal from 0.50 to 1.00"
    );
}

TEST(WatchlistScreenTest, OtherOrthographyAndSameBirthDateIsAnExactMatch) {
    const Watchlist list = parsed(kCsv);
    const auto matches = screen("Tshepiso Mokwena", date("1980-05-17"), list);
    ASSERT_EQ(matches.size(), 1U);
    const Match& m = matches[0];
    EXPECT_EQ(m.entry_id, "UN-1");
    EXPECT_EQ(m.list, ListKind::kSanctions);
    EXPECT_EQ(m.matched_name, "Tšepiso Mokoena");
    EXPECT_FALSE(m.via_alias) << "the full name wins a tie with an alias";
    EXPECT_TRUE(m.exact_name);
    EXPECT_DOUBLE_EQ(m.score, 1.0);
    EXPECT_EQ(m.dob, DobAgreement::kSame);
    EXPECT_EQ(
        describe(m, "sender", "Tshepiso Mokwena"),
        "sender 'Tshepiso Mokwena' matches sanctions list entry UN-1 'Tšepiso Mokoena' (UN "
        "QDi.999): "
        "score 1.00, the same name after normalisation, date of birth the same"
    );
}

TEST(WatchlistScreenTest, AliasesCount) {
    const Watchlist list = parsed(kCsv);
    const auto matches = screen("Tsepo Mokoena", std::nullopt, list);
    ASSERT_EQ(matches.size(), 1U);
    EXPECT_TRUE(matches[0].via_alias);
    EXPECT_EQ(matches[0].matched_name, "Ts'epo Mokoena");
    EXPECT_TRUE(matches[0].exact_name) << "only the apostrophe differs";
    EXPECT_EQ(matches[0].dob, DobAgreement::kUnknown);
    EXPECT_DOUBLE_EQ(matches[0].score, 1.0);
    const auto near = screen("Tsepo Mokoenna", std::nullopt, list);  // a doubled letter
    ASSERT_EQ(near.size(), 1U);
    EXPECT_TRUE(near[0].via_alias);
    EXPECT_FALSE(near[0].exact_name);
    EXPECT_GE(near[0].score, 0.93);
    EXPECT_LT(near[0].score, 1.0);
    EXPECT_NE(
        describe(matches[0], "beneficiary", "Tsepo Mokoena").find("(an alias; UN QDi.999)"),
        std::string::npos
    );
}

TEST(WatchlistScreenTest, BirthDateRulesOutOrLowers) {
    const Watchlist list = parsed(kCsv);
    // Fifteen years apart: another person with the same name.
    EXPECT_TRUE(screen("Tšepiso Mokoena", date("1995-05-17"), list).empty());
    // A year apart: a typo or an approximate list date; kept, 0.03 lower.
    const auto near = screen("Tšepiso Mokoena", date("1981-05-17"), list);
    ASSERT_EQ(near.size(), 1U);
    EXPECT_EQ(near[0].dob, DobAgreement::kNear);
    EXPECT_DOUBLE_EQ(near[0].name_score, 1.0);
    EXPECT_NEAR(near[0].score, 0.97, 1e-12);
    // Same year, another day: near as well.
    const auto same_year = screen("Tšepiso Mokoena", date("1980-07-15"), list);
    ASSERT_EQ(same_year.size(), 1U);
    EXPECT_EQ(same_year[0].dob, DobAgreement::kNear);
    // The list gives only a year: the same year is the same date of birth.
    const auto pep = screen("Mmathabo Moshweshwe", date("1975-08-30"), list);
    ASSERT_EQ(pep.size(), 1U);
    EXPECT_EQ(pep[0].dob, DobAgreement::kSame);
    EXPECT_TRUE(screen("Mmathabo Moshweshwe", date("1960-08-30"), list).empty());
    // Several listed dates: any one agreeing is enough.
    const auto internal = screen("Thabo Molefe", date("1991-02-01"), list);
    ASSERT_EQ(internal.size(), 1U);
    EXPECT_EQ(internal[0].dob, DobAgreement::kSame);
}

TEST(WatchlistScreenTest, NearDateCanDropBelowTheThreshold) {
    const Watchlist list = parsed(kCsv);
    // Molefi vs the alias Thabo Molefe scores 0.933; a near date takes it to 0.903 < 0.93.
    const auto unknown = screen("Thabo Molefi", std::nullopt, list);
    ASSERT_EQ(unknown.size(), 1U);
    EXPECT_NEAR(unknown[0].score, 0.9333, 1e-4);
    EXPECT_TRUE(screen("Thabo Molefi", date("1992-06-01"), list).empty());
}

TEST(WatchlistScreenTest, ThresholdIsConfiguration) {
    const Watchlist list = parsed(kCsv);
    ScreeningPolicy strict;
    strict.threshold = 0.95;
    EXPECT_TRUE(screen("Thabo Molefi", std::nullopt, list, strict).empty());
    ScreeningPolicy loose;
    loose.threshold = 0.80;
    EXPECT_FALSE(screen("Tšepiso Mokoetle", std::nullopt, list, loose).empty())
        << "at 0.80 even a different surname hits";
    EXPECT_TRUE(screen("Tšepiso Mokoetle", std::nullopt, list).empty());
}

TEST(WatchlistScreenTest, DifferentPeopleDoNotMatch) {
    const Watchlist list = parsed(kCsv);
    for (const char* name :
         {"Thabo Mokoetle",
          "Lerato Mofokeng",
          "Mokoena",
          "Palesa Moshoeshoe",
          "Tšepiso",
          "",
          "Lineo Molefe"}) {
        EXPECT_TRUE(screen(name, std::nullopt, list).empty()) << name;
    }
}

TEST(WatchlistScreenTest, StrongestMatchFirst) {
    const Watchlist list =
        parsed(with_header("B,Thabo Mokoena,,,pep,\n"
                           "A,Thabo Mokoena Molefe,,,sanctions,\n"
                           "C,Thabo Mokoena,,,internal,\n"));
    const auto matches = screen("thabo MOKOENA", std::nullopt, list);
    ASSERT_EQ(matches.size(), 3U);
    EXPECT_EQ(matches[0].entry_id, "B");
    EXPECT_EQ(matches[1].entry_id, "C");
    EXPECT_EQ(matches[2].entry_id, "A");
    EXPECT_NEAR(matches[2].score, 0.97, 1e-9);
}

}  // namespace
}  // namespace chelete::compliance
