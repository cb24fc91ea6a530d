#pragma once

// Names as the watchlist screen compares them (docs/compliance.md "Name matching"): a comparison
// key that folds case, diacritics, punctuation and the spelling differences between the Lesotho
// and South African Sesotho orthographies; Jaro-Winkler similarity; and a token-based name score
// that ignores order and accepts initials and missing middle names.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chelete::compliance {

/// A name reduced to comparison tokens: lower-case ASCII for Latin letters, digits kept, other
/// scripts kept as code points (Greek and Cyrillic lower-cased). Never shown to anyone: it is not
/// a spelling, only a key ("Ts'episo Mokoena" and "Tshepiso Mokwena" both give "tshepiso mokwena").
struct NameKey {
    /// With the Sesotho orthography rules applied: what names are matched and compared on.
    std::vector<std::u32string> tokens;
    /// The same tokens with only case, diacritics and apostrophes folded ("tsepiso", "mokoena"):
    /// a typing slip can look larger after the orthography rules (Mokeona → mokyona against
    /// mokwena), so a token pair scores the better of the two forms.
    std::vector<std::u32string> plain;

    friend bool operator==(const NameKey&, const NameKey&) = default;
};

/// Builds the key; total for any input (malformed UTF-8 bytes separate tokens).
[[nodiscard]] NameKey name_key(std::string_view name);
/// The tokens joined by single spaces, as UTF-8 (tests, logs of the screening record).
[[nodiscard]] std::string to_string(const NameKey& key);

/// Jaro-Winkler similarity in [0, 1] over code points (Winkler 1990: prefix scale 0.1, common
/// prefix up to 4, boost only when the Jaro similarity is above 0.7). 1 only for equal strings;
/// two empty strings are equal.
[[nodiscard]] double jaro_winkler(std::u32string_view a, std::u32string_view b);
/// The same over the UTF-8 text as given (no key folding).
[[nodiscard]] double jaro_winkler(std::string_view a, std::string_view b);

struct NameMatchPolicy {
    /// Score of an initial ("T") against a token starting with that letter ("thabo"), at most
    /// 0.99. With the default threshold 0.93 an initial and a surname match (0.95), an initial
    /// with another name missing does not (0.95 × 0.97 = 0.92).
    double initial_score = 0.95;
    /// Subtracted (as a fraction of the score) for each token of the longer name left unmatched:
    /// a missing middle name costs 3%.
    double missing_token_penalty = 0.03;
    /// Tokens beyond this many are ignored (keeps the assignment search small).
    std::size_t max_tokens = 8;
};

struct NameSimilarity {
    double score = 0;           // 0 when the names cannot match at all
    bool exact = false;         // every token equals its partner (key or plain form), any order
    std::size_t paired = 0;     // tokens of the shorter name paired with the longer one
    std::size_t unmatched = 0;  // tokens of the longer name left over
    double weakest_pair = 0;    // the lowest token-pair similarity among the pairs
};

/// Pairs every token of the shorter name with a distinct token of the longer one, choosing the
/// pairing whose weakest pair is strongest (order does not matter). A pair scores 1 when the
/// tokens are equal, initial_score for an initial and a token starting with it (in either form),
/// else the better Jaro-Winkler similarity of the two forms. score = weakest pair ×
/// (1 − missing_token_penalty × unmatched). A name of one token matches only a one-token name (one
/// shared word, say a surname, is not a name match), and at least one pair must be of two full
/// tokens (initials alone never match).
[[nodiscard]] NameSimilarity name_similarity(
    const NameKey& a, const NameKey& b, const NameMatchPolicy& policy = {}
);

}  // namespace chelete::compliance
