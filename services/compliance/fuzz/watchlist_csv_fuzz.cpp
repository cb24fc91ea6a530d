// libFuzzer target for the watchlist CSV parser and the name key (docs/compliance.md). Arbitrary
// bytes as a watchlist file. Properties: nothing crashes; a list that parses formats back to text
// that parses to the same entries and formats to the same text again; every entry whose name can
// match at all finds itself with score 1; the name key of a key is the key; Jaro-Winkler is
// symmetric and within [0, 1].
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/names.hpp"
#include "domain/watchlist.hpp"

namespace {

void check_name_properties(std::string_view text) {
    using namespace chelete::compliance;
    const NameKey key = name_key(text);
    if (name_key(to_string(key)).tokens != key.tokens) {
        __builtin_trap();
    }
    if (key.tokens.size() >= 2) {
        const double ab = jaro_winkler(key.tokens[0], key.tokens[1]);
        const double ba = jaro_winkler(key.tokens[1], key.tokens[0]);
        if (ab != ba || ab < 0.0 || ab > 1.0 || jaro_winkler(key.tokens[0], key.tokens[0]) != 1.0) {
            __builtin_trap();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace chelete::compliance;
    const std::string text(
        reinterpret_cast<const char*>(data), size
    );  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    check_name_properties(std::string_view(text).substr(0, 256));

    auto parsed = parse_watchlist_csv(text);
    if (!parsed) {
        if (parsed.error().line == 0 || parsed.error().message.empty()) {
            __builtin_trap();
        }
        return 0;
    }
    const Watchlist& list = parsed.value();
    const std::string formatted = format_watchlist_csv(list);
    auto again = parse_watchlist_csv(formatted);
    if (!again || again.value().entries() != list.entries() ||
        format_watchlist_csv(again.value()) != formatted) {
        __builtin_trap();
    }
    for (std::size_t i = 0; i < list.size() && i < 4; ++i) {
        const WatchlistEntry& entry = list.entries()[i];
        check_name_properties(entry.full_name);
        const NameSimilarity self = name_similarity(list.keys(i)[0], list.keys(i)[0]);
        if (self.score == 0.0) {
            continue;  // initials only, or nothing to compare: matches nothing, itself included
        }
        if (self.score != 1.0 || !self.exact) {
            __builtin_trap();
        }
        bool found = false;
        for (const Match& match : screen(entry.full_name, std::nullopt, list)) {
            found = found || match.entry_id == entry.id;
            if (match.score < ScreeningPolicy{}.threshold || match.score > 1.0) {
                __builtin_trap();
            }
        }
        if (!found) {
            __builtin_trap();
        }
    }
    return 0;
}
