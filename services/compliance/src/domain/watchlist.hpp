#pragma once

// The watchlist and the screen (docs/compliance.md "Watchlist"): entries loaded from a fixed CSV
// format (RFC 4180), names compared with names.hpp, dates of birth ruling matches out or lowering
// them. No I/O: the service reads the file and hands over its text.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/result.hpp>

#include "domain/common.hpp"
#include "domain/names.hpp"

namespace chelete::compliance {

/// Which list an entry comes from. sanctions: targeted financial sanctions (UN Security Council
/// consolidated list as published by the FIC under s26A, and the lists the RMCP adds); pep:
/// politically exposed persons (FIC Act s21F-s21H); internal: Chelete's own list (confirmed fraud,
/// mule accounts, earlier reports).
enum class ListKind : std::uint8_t { kSanctions, kPep, kInternal };
[[nodiscard]] std::string_view to_string(ListKind list);
[[nodiscard]] std::optional<ListKind> list_kind_from(std::string_view name);

/// A listed date of birth: a full date, or only the year when the list gives no more.
struct BirthDate {
    platform::Date date;
    bool year_only = false;  // then date is YYYY-01-01

    friend bool operator==(const BirthDate&, const BirthDate&) = default;
};

struct WatchlistEntry {
    std::string id;
    std::string full_name;
    std::vector<std::string> aliases;
    std::vector<BirthDate> dates_of_birth;  // several when the list gives several
    ListKind list = ListKind::kSanctions;
    std::string reference;  // the list's own reference, e.g. "UN QDi.999"

    friend bool operator==(const WatchlistEntry&, const WatchlistEntry&) = default;
};

/// Entries with their names' keys computed once.
class Watchlist {
public:
    Watchlist() = default;
    /// Throws std::invalid_argument on an empty or duplicate id or a name without letters (what
    /// parse_watchlist_csv reports as an error for a file).
    explicit Watchlist(std::vector<WatchlistEntry> entries);

    [[nodiscard]] const std::vector<WatchlistEntry>& entries() const { return entries_; }
    [[nodiscard]] std::size_t size() const { return entries_.size(); }
    /// Keys of entry i: full name first, then each alias in order.
    [[nodiscard]] const std::vector<NameKey>& keys(std::size_t i) const { return keys_.at(i); }

private:
    std::vector<WatchlistEntry> entries_;
    std::vector<std::vector<NameKey>> keys_;
};

/// The fixed header line of the CSV format.
inline constexpr std::string_view kWatchlistHeader =
    "id,full_name,aliases,date_of_birth,list,reference";

struct WatchlistError {
    std::size_t line = 0;  // 1-based physical line where the bad record starts (header: 1)
    std::string message;   // "line 7: date_of_birth '1985-02-30' is not YYYY-MM-DD or YYYY"
};

/// Parses the CSV: the header exactly as kWatchlistHeader; then one record per entry with six
/// fields, RFC 4180 quoting ("" for a quote inside a quoted field, quoted fields may hold commas;
/// CRLF or LF line ends; a UTF-8 byte order mark is skipped; blank lines are skipped). Fields:
/// id (1-64 of A-Z a-z 0-9 . _ : / -, unique), full_name (1-200 bytes, at least one letter),
/// aliases (names separated by |, may be empty), date_of_birth (YYYY-MM-DD or YYYY, several
/// separated by |, may be empty), list (sanctions, pep or internal), reference (0-200 bytes).
/// Text fields are UTF-8 without control characters; surrounding spaces are trimmed.
[[nodiscard]] platform::Result<Watchlist, WatchlistError> parse_watchlist_csv(std::string_view text
);

/// Writes the entries back in the same format (LF line ends, quoting only where needed), so
/// parse_watchlist_csv(format_watchlist_csv(w)) gives the same entries.
[[nodiscard]] std::string format_watchlist_csv(const Watchlist& watchlist);

struct ScreeningPolicy {
    /// A match needs score >= threshold. 0.93 by default (docs/compliance.md): Sesotho names share
    /// noun-class prefixes (Mo-, Ntha-, Se-) that Jaro-Winkler's prefix bonus rewards, so distinct
    /// names like Nthabiseng/Nthabeleng reach 0.92.
    double threshold = 0.93;
    /// Both dates known, different, but within this many years (a typo, a day and month swapped,
    /// a list's approximate year): the match stays, lowered by dob_near_penalty. Further apart:
    /// ruled out.
    int dob_near_years = 1;
    double dob_near_penalty = 0.03;
    NameMatchPolicy names;
};

/// Reads a threshold "0.50" to "1.00" (one to three decimals after "0." or "1."; "1" alone).
[[nodiscard]] platform::Result<double, ConfigError> parse_match_threshold(std::string_view text);

enum class DobAgreement : std::uint8_t {
    kUnknown,  // the person's or the list's date of birth is unknown: no effect
    kSame,     // equal (to the year when the list gives only the year)
    kNear,     // different, within dob_near_years: the score is lowered
};
[[nodiscard]] std::string_view to_string(DobAgreement dob);

struct Match {
    std::string entry_id;
    ListKind list = ListKind::kSanctions;
    std::string reference;
    std::string matched_name;  // the entry's full name or the alias that matched best
    bool via_alias = false;
    bool exact_name = false;  // the same name tokens (after normalisation), in any order
    double name_score = 0;    // before the date of birth
    double score = 0;         // after it; >= the threshold
    DobAgreement dob = DobAgreement::kUnknown;
};

/// Screens one person's name (and date of birth when known) against every entry: the best of the
/// entry's full name and aliases, then the date-of-birth rule; matches at or above the threshold,
/// highest score first (ties by entry id). An entry whose every listed date of birth is more than
/// dob_near_years from the person's is ruled out whatever the name.
[[nodiscard]] std::vector<Match> screen(
    std::string_view name,
    const std::optional<platform::Date>& date_of_birth,
    const Watchlist& watchlist,
    const ScreeningPolicy& policy = {}
);

/// "sender 'Thabo Mokoena' matches sanctions list entry UN-1 'Thabo Mokwena' (UN QDi.999):
/// score 0.97, same name after normalisation, date of birth the same"
[[nodiscard]] std::string describe(
    const Match& match, std::string_view role, std::string_view name
);

}  // namespace chelete::compliance
