#include "domain/watchlist.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace chelete::compliance {
namespace {

using platform::Err;

constexpr std::size_t kFieldCount = 6;
constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxIdBytes = 64;
constexpr std::size_t kMaxAliases = 100;
constexpr std::size_t kMaxDates = 20;
constexpr double kEpsilon = 1e-9;
constexpr std::array<std::string_view, kFieldCount> kHeaderFields{
    "id", "full_name", "aliases", "date_of_birth", "list", "reference"};

struct Record {
    std::vector<std::string> fields;
    std::size_t line = 0;
};

Err<WatchlistError> error_at(std::size_t line, std::string_view what) {
    return Err<WatchlistError>{
        WatchlistError{line, "line " + std::to_string(line) + ": " + std::string(what)}};
}

/// RFC 4180 records; `line` counts physical lines so errors can name them.
class CsvReader {
public:
    explicit CsvReader(std::string_view text) : text_(text) {}

    /// The next record, nullopt at the end, or what is wrong with the text.
    platform::Result<std::optional<Record>, WatchlistError> next() {
        skip_blank_lines();
        if (pos_ >= text_.size()) {
            return std::optional<Record>{};
        }
        Record record;
        record.line = line_;
        while (true) {
            std::string field;
            if (peek() == '"') {
                const std::size_t opened = line_;
                ++pos_;
                while (true) {
                    if (pos_ >= text_.size()) {
                        return error_at(opened, "a quoted field is never closed");
                    }
                    const char c = text_[pos_];
                    if (c == '"') {
                        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
                            field += '"';
                            pos_ += 2;
                            continue;
                        }
                        ++pos_;
                        break;
                    }
                    if (c == '\n') {
                        ++line_;
                    }
                    field += c;
                    ++pos_;
                }
                if (pos_ < text_.size() && peek() != ',' && peek() != '\n' && peek() != '\r') {
                    return error_at(record.line, "text after the closing quote of a field");
                }
            } else {
                while (pos_ < text_.size() && peek() != ',' && peek() != '\n' && peek() != '\r') {
                    if (peek() == '"') {
                        return error_at(
                            record.line, "a quote inside an unquoted field (quote the whole field)"
                        );
                    }
                    field += text_[pos_];
                    ++pos_;
                }
            }
            record.fields.push_back(std::move(field));
            if (record.fields.size() > kFieldCount) {
                return error_at(record.line, "more than 6 fields");
            }
            if (pos_ >= text_.size()) {
                return std::optional<Record>{std::move(record)};
            }
            const char c = text_[pos_];
            ++pos_;
            if (c == ',') {
                continue;
            }
            if (c == '\r') {
                if (pos_ >= text_.size() || text_[pos_] != '\n') {
                    return error_at(record.line, "a carriage return without a line feed");
                }
                ++pos_;
            }
            ++line_;
            return std::optional<Record>{std::move(record)};
        }
    }

private:
    [[nodiscard]] char peek() const { return text_[pos_]; }

    void skip_blank_lines() {
        while (pos_ < text_.size()) {
            if (text_[pos_] == '\n') {
                ++pos_;
            } else if (text_.substr(pos_, 2) == "\r\n") {
                pos_ += 2;
            } else {
                return;
            }
            ++line_;
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
};

bool has_control(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20U || u == 0x7FU;
    });
}

/// nullopt when `text` is a usable name, else what is wrong with it.
std::optional<std::string> check_text(
    std::string_view what, std::string_view text, std::size_t max
) {
    if (text.size() > max) {
        return std::string(what) + " is longer than " + std::to_string(max) + " bytes";
    }
    if (!valid_utf8(text)) {
        return std::string(what) + " is not valid UTF-8";
    }
    if (has_control(text)) {
        return std::string(what) + " holds a control character (a line break?)";
    }
    return std::nullopt;
}

std::optional<std::string> check_name(std::string_view what, std::string_view name) {
    if (name.empty()) {
        return std::string(what) + " is empty";
    }
    if (auto bad = check_text(what, name, kMaxNameBytes)) {
        return bad;
    }
    if (name_key(name).tokens.empty()) {
        return std::string(what) + " '" + std::string(name) + "' has no letters";
    }
    return std::nullopt;
}

bool valid_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxIdBytes) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
    });
}

std::vector<std::string_view> split_bars(std::string_view text) {
    std::vector<std::string_view> parts;
    while (true) {
        const std::size_t bar = text.find('|');
        parts.push_back(trim(text.substr(0, bar)));
        if (bar == std::string_view::npos) {
            return parts;
        }
        text.remove_prefix(bar + 1);
    }
}

std::optional<BirthDate> parse_birth_date(std::string_view text) {
    if (text.size() == 4 &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        int year = 0;
        std::from_chars(text.data(), text.data() + text.size(), year);
        if (year < 1900 || year > 2200) {
            return std::nullopt;
        }
        return BirthDate{platform::Date{year, 1, 1}, true};
    }
    if (const auto date = platform::parse_date(text)) {
        return BirthDate{*date, false};
    }
    return std::nullopt;
}

platform::Result<WatchlistEntry, WatchlistError> to_entry(const Record& record) {
    const std::size_t line = record.line;
    if (record.fields.size() != kFieldCount) {
        return error_at(
            line,
            "expected 6 fields (" + std::string(kWatchlistHeader) + "), found " +
                std::to_string(record.fields.size())
        );
    }
    WatchlistEntry entry;
    entry.id = std::string(trim(record.fields[0]));
    if (!valid_id(entry.id)) {
        return error_at(line, "id '" + entry.id + "' must be 1-64 of A-Z a-z 0-9 . _ : / -");
    }
    entry.full_name = std::string(trim(record.fields[1]));
    if (auto bad = check_name("full_name", entry.full_name)) {
        return error_at(line, *bad);
    }
    if (const std::string_view aliases = trim(record.fields[2]); !aliases.empty()) {
        for (const std::string_view alias : split_bars(aliases)) {
            if (alias.empty()) {
                return error_at(line, "an empty alias (two | in a row, or | at an end?)");
            }
            if (auto bad = check_name("alias", alias)) {
                return error_at(line, *bad);
            }
            entry.aliases.emplace_back(alias);
        }
        if (entry.aliases.size() > kMaxAliases) {
            return error_at(line, "more than 100 aliases");
        }
    }
    if (const std::string_view dates = trim(record.fields[3]); !dates.empty()) {
        for (const std::string_view text : split_bars(dates)) {
            const auto date = parse_birth_date(text);
            if (!date) {
                return error_at(
                    line,
                    "date_of_birth '" + std::string(text) +
                        "' is not YYYY-MM-DD or YYYY (a real date, 1900-2200)"
                );
            }
            entry.dates_of_birth.push_back(*date);
        }
        if (entry.dates_of_birth.size() > kMaxDates) {
            return error_at(line, "more than 20 dates of birth");
        }
    }
    const std::string_view list = trim(record.fields[4]);
    const auto kind = list_kind_from(list);
    if (!kind) {
        return error_at(
            line, "list '" + std::string(list) + "' must be sanctions, pep or internal"
        );
    }
    entry.list = *kind;
    entry.reference = std::string(trim(record.fields[5]));
    if (auto bad = check_text("reference", entry.reference, kMaxNameBytes)) {
        return error_at(line, *bad);
    }
    return entry;
}

void append_field(std::string& out, std::string_view field) {
    const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!field.empty() && (field.front() == ' ' || field.front() == '\t' ||
                                           field.back() == ' ' || field.back() == '\t'));
    if (!quote) {
        out += field;
        return;
    }
    out += '"';
    for (const char c : field) {
        if (c == '"') {
            out += '"';
        }
        out += c;
    }
    out += '"';
}

std::string format_score(double score) {
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(
        buffer.data(), buffer.data() + buffer.size(), score, std::chars_format::fixed, 2
    );
    return {buffer.data(), result.ptr};
}

}  // namespace

std::string_view to_string(ListKind list) {
    switch (list) {
        case ListKind::kSanctions:
            return "sanctions";
        case ListKind::kPep:
            return "pep";
        case ListKind::kInternal:
            return "internal";
    }
    return "unknown";
}

std::optional<ListKind> list_kind_from(std::string_view name) {
    for (const ListKind kind : {ListKind::kSanctions, ListKind::kPep, ListKind::kInternal}) {
        if (to_string(kind) == name) {
            return kind;
        }
    }
    return std::nullopt;
}

std::string_view to_string(DobAgreement dob) {
    switch (dob) {
        case DobAgreement::kUnknown:
            return "unknown";
        case DobAgreement::kSame:
            return "same";
        case DobAgreement::kNear:
            return "near";
    }
    return "unknown";
}

Watchlist::Watchlist(std::vector<WatchlistEntry> entries) : entries_(std::move(entries)) {
    std::map<std::string_view, std::size_t> ids;
    keys_.reserve(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const WatchlistEntry& entry = entries_[i];
        if (entry.id.empty() || !ids.emplace(entry.id, i).second) {
            throw std::invalid_argument("watchlist: empty or duplicate id '" + entry.id + "'");
        }
        std::vector<NameKey> keys;
        keys.reserve(1 + entry.aliases.size());
        keys.push_back(name_key(entry.full_name));
        for (const auto& alias : entry.aliases) {
            keys.push_back(name_key(alias));
        }
        for (const auto& key : keys) {
            if (key.tokens.empty()) {
                throw std::invalid_argument(
                    "watchlist: entry '" + entry.id + "' has an empty name"
                );
            }
        }
        keys_.push_back(std::move(keys));
    }
}

platform::Result<Watchlist, WatchlistError> parse_watchlist_csv(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) {
        text.remove_prefix(3);
    }
    CsvReader reader(text);
    auto header = reader.next();
    if (!header) {
        return Err<WatchlistError>{header.error()};
    }
    const std::optional<Record>& first = header.value();
    const bool header_ok =
        first.has_value() && first->line == 1 &&
        std::equal(
            first->fields.begin(), first->fields.end(), kHeaderFields.begin(), kHeaderFields.end()
        );
    if (!header_ok) {
        return error_at(1, "the first line must be the header " + std::string(kWatchlistHeader));
    }
    std::vector<WatchlistEntry> entries;
    std::map<std::string, std::size_t> id_lines;
    while (true) {
        auto record = reader.next();
        if (!record) {
            return Err<WatchlistError>{record.error()};
        }
        if (!record.value().has_value()) {
            break;
        }
        auto entry = to_entry(*record.value());
        if (!entry) {
            return Err<WatchlistError>{entry.error()};
        }
        const std::size_t line = record.value()->line;
        const auto [it, fresh] = id_lines.emplace(entry.value().id, line);
        if (!fresh) {
            return error_at(
                line,
                "id '" + entry.value().id + "' already used on line " + std::to_string(it->second)
            );
        }
        entries.push_back(std::move(entry).value());
    }
    return Watchlist{std::move(entries)};
}

std::string format_watchlist_csv(const Watchlist& watchlist) {
    std::string out(kWatchlistHeader);
    out += '\n';
    for (const WatchlistEntry& entry : watchlist.entries()) {
        std::string aliases;
        for (const auto& alias : entry.aliases) {
            if (!aliases.empty()) {
                aliases += '|';
            }
            aliases += alias;
        }
        std::string dates;
        for (const BirthDate& date : entry.dates_of_birth) {
            if (!dates.empty()) {
                dates += '|';
            }
            dates += date.year_only ? date.date.to_string().substr(0, 4) : date.date.to_string();
        }
        append_field(out, entry.id);
        out += ',';
        append_field(out, entry.full_name);
        out += ',';
        append_field(out, aliases);
        out += ',';
        append_field(out, dates);
        out += ',';
        out += to_string(entry.list);
        out += ',';
        append_field(out, entry.reference);
        out += '\n';
    }
    return out;
}

platform::Result<double, ConfigError> parse_match_threshold(std::string_view text) {
    const auto bad = [&] {
        return Err<ConfigError>{ConfigError{
            "match threshold '" + std::string(text) + "' must be a decimal from 0.50 to 1.00"}};
    };
    if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) {
        return bad();
    }
    if (text == "1") {
        return 1.0;
    }
    if (text.size() < 3 || text[1] != '.') {
        return bad();
    }
    int thousandths = 0;
    int scale = 100;
    for (const char c : text.substr(2)) {
        if (c < '0' || c > '9') {
            return bad();
        }
        thousandths += (c - '0') * scale;
        scale /= 10;
    }
    thousandths += (text[0] - '0') * 1000;
    if (thousandths < 500 || thousandths > 1000) {
        return bad();
    }
    return static_cast<double>(thousandths) / 1000.0;
}

std::vector<Match> screen(
    std::string_view name,
    const std::optional<platform::Date>& date_of_birth,
    const Watchlist& watchlist,
    const ScreeningPolicy& policy
) {
    const NameKey key = name_key(name);
    std::vector<Match> matches;
    if (key.tokens.empty()) {
        return matches;
    }
    for (std::size_t i = 0; i < watchlist.size(); ++i) {
        const WatchlistEntry& entry = watchlist.entries()[i];
        const std::vector<NameKey>& keys = watchlist.keys(i);
        NameSimilarity best;
        std::size_t best_key = 0;
        for (std::size_t k = 0; k < keys.size(); ++k) {
            const NameSimilarity similarity = name_similarity(key, keys[k], policy.names);
            if (similarity.score > best.score + kEpsilon) {
                best = similarity;
                best_key = k;
            }
        }
        if (best.score + kEpsilon < policy.threshold) {
            continue;
        }
        DobAgreement dob = DobAgreement::kUnknown;
        if (date_of_birth && !entry.dates_of_birth.empty()) {
            int nearest = 10000;
            for (const BirthDate& listed : entry.dates_of_birth) {
                const bool same = listed.year_only ? listed.date.year == date_of_birth->year
                                                   : listed.date == *date_of_birth;
                if (same) {
                    dob = DobAgreement::kSame;
                }
                nearest = std::min(nearest, std::abs(listed.date.year - date_of_birth->year));
            }
            if (dob != DobAgreement::kSame) {
                if (nearest > policy.dob_near_years) {
                    continue;  // ruled out: another person with the same name
                }
                dob = DobAgreement::kNear;
            }
        }
        Match match;
        match.entry_id = entry.id;
        match.list = entry.list;
        match.reference = entry.reference;
        match.via_alias = best_key > 0;
        match.matched_name = match.via_alias ? entry.aliases.at(best_key - 1) : entry.full_name;
        match.exact_name = best.exact;
        match.name_score = best.score;
        match.score = std::max(
            0.0, best.score - (dob == DobAgreement::kNear ? policy.dob_near_penalty : 0.0)
        );
        match.dob = dob;
        if (match.score + kEpsilon >= policy.threshold) {
            matches.push_back(std::move(match));
        }
    }
    std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
        if (a.score != b.score) {
            return a.score > b.score;
        }
        return a.entry_id < b.entry_id;
    });
    return matches;
}

std::string describe(const Match& match, std::string_view role, std::string_view name) {
    std::string out = std::string(role) + " '" + std::string(name) + "' matches " +
                      std::string(to_string(match.list)) + " list entry " + match.entry_id + " '" +
                      match.matched_name + "'";
    if (match.via_alias || !match.reference.empty()) {
        out += " (";
        if (match.via_alias) {
            out += "an alias";
            if (!match.reference.empty()) {
                out += "; ";
            }
        }
        out += match.reference + ")";
    }
    out += ": score " + format_score(match.score);
    out += match.exact_name ? ", the same name after normalisation"
                            : ", name similarity " + format_score(match.name_score);
    switch (match.dob) {
        case DobAgreement::kUnknown:
            out += ", date of birth not comparable";
            break;
        case DobAgreement::kSame:
            out += ", date of birth the same";
            break;
        case DobAgreement::kNear:
            out += ", date of birth close but different";
            break;
    }
    return out;
}

}  // namespace chelete::compliance
