#include "domain/names.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "domain/common.hpp"

namespace chelete::compliance {
namespace {

constexpr char32_t kApostrophe = U'\'';
constexpr char32_t kSeparator = U' ';
constexpr char32_t kCombiningCaron = 0x030C;

// Latin-1 Supplement U+00C0..U+00FF folded to ASCII; "" marks a separator (× and ÷).
constexpr std::array<std::string_view, 64> kLatin1{
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",
};

// Latin Extended-A U+0100..U+017F. Š/š fold to "sh": in Lesotho Sesotho "tš" is the aspirated
// affricate South Africa writes "tsh" (Tšepiso = Tshepiso), and in Sepedi names š is the "sh"
// sound (Mašego = Mashego).
constexpr std::array<std::string_view, 128> kLatinExtendedA{
    "a",  "a",  "a",  "a",  "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    "d",  "d",  "e",  "e",  "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    "g",  "g",  "g",  "g",  "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    "i",  "i",  "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    "l",  "l",  "l",  "n",  "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    "o",  "o",  "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    "sh", "sh", "t",  "t",  "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    "u",  "u",  "u",  "u",  "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};

// Latin Extended-B U+01CD..U+01DC: the caron and diaeresis vowels of some African orthographies.
constexpr std::array<std::string_view, 16> kVowelsWithCaron{
    "a",
    "a",
    "i",
    "i",
    "o",
    "o",
    "u",
    "u",
    "u",
    "u",
    "u",
    "u",
    "u",
    "u",
    "u",
    "u",
};

bool is_apostrophe(char32_t c) {
    return c == U'\'' || c == U'`' || c == 0x00B4 || c == 0x02BB || c == 0x02BC || c == 0x2018 ||
           c == 0x2019 || c == 0x2032;
}

/// Latin-1 punctuation and NBSP, general punctuation (dashes, spaces), minus, ideographic space,
/// byte order mark and the replacement character of malformed UTF-8.
bool is_separator(char32_t c) {
    return c <= 0x00BF || (c >= 0x2000 && c <= 0x206F) || c == 0x2212 || c == 0x3000 ||
           c == 0xFEFF || c == 0xFFFD;
}

bool is_vowel(char32_t c) {
    return c == U'a' || c == U'e' || c == U'i' || c == U'o' || c == U'u';
}

void append_ascii(std::u32string& out, std::string_view ascii) {
    if (ascii.empty()) {
        out += kSeparator;
        return;
    }
    for (const char c : ascii) {
        out += static_cast<char32_t>(c);
    }
}

/// Case, diacritics and punctuation: one code point of the name into the folded text, where
/// kSeparator splits tokens and kApostrophe is kept for the Sesotho rules.
void fold(char32_t c, std::u32string& out) {
    if (c < 0x80) {
        if (c >= U'A' && c <= U'Z') {
            out += static_cast<char32_t>(c - U'A' + U'a');
        } else if ((c >= U'a' && c <= U'z') || (c >= U'0' && c <= U'9')) {
            out += c;
        } else if (is_apostrophe(c)) {
            out += kApostrophe;
        } else {
            out += kSeparator;
        }
        return;
    }
    if (is_apostrophe(c)) {
        out += kApostrophe;
    } else if (c >= 0x00C0 && c <= 0x00FF) {
        append_ascii(out, kLatin1.at(c - 0x00C0));
    } else if (c >= 0x0100 && c <= 0x017F) {
        append_ascii(out, kLatinExtendedA.at(c - 0x0100));
    } else if (c >= 0x01CD && c <= 0x01DC) {
        append_ascii(out, kVowelsWithCaron.at(c - 0x01CD));
    } else if (c >= 0x0218 && c <= 0x021B) {
        append_ascii(out, c <= 0x0219 ? "s" : "t");
    } else if (c >= 0x0300 && c <= 0x036F) {
        // Combining marks (decomposed input) vanish; a caron on s makes the "sh" of š.
        if (c == kCombiningCaron && !out.empty() && out.back() == U's') {
            out += U'h';
        }
    } else if ((c >= 0x0391 && c <= 0x03A9 && c != 0x03A2) || (c >= 0x0410 && c <= 0x042F)) {
        out += static_cast<char32_t>(c + 0x20);  // Greek and Cyrillic capitals
    } else if (c >= 0x0400 && c <= 0x040F) {
        out += static_cast<char32_t>(c + 0x50);
    } else if (is_separator(c)) {
        out += kSeparator;
    } else {
        out += c;
    }
}

bool ends_with(const std::u32string& s, std::u32string_view tail) {
    return s.size() >= tail.size() && std::u32string_view(s).substr(s.size() - tail.size()) == tail;
}

bool starts_at(std::u32string_view s, std::size_t i, std::u32string_view what) {
    return s.substr(i, what.size()) == what;
}

/// The Lesotho → South African Sesotho orthography differences (docs/compliance.md), applied to
/// every token so both spellings meet in one key.
std::u32string fold_sesotho(std::u32string_view raw) {
    // 1. Apostrophes. A word-initial syllabic nasal is "'m"/"'n" in Lesotho, "mm"/"nn" in South
    //    Africa ('Mathabo = Mmathabo); "ts'" and "t's" are tš (= tsh) typed without š; "k'h" is
    //    South Africa's "kh". Every other apostrophe (elisions) goes.
    std::u32string s;
    std::size_t i = 0;
    if (raw.size() >= 2 && raw[0] == kApostrophe && (raw[1] == U'm' || raw[1] == U'n')) {
        s += raw[1];
        s += raw[1];
        i = 2;
    }
    for (; i < raw.size(); ++i) {
        const char32_t c = raw[i];
        if (c != kApostrophe) {
            s += c;
        } else if (ends_with(s, U"ts")) {
            s += U'h';
        } else if (ends_with(s, U"t") && i + 1 < raw.size() && raw[i + 1] == U's') {
            s += U"sh";
            ++i;
        }
    }
    // 2. Letters: Lesotho kh = SA kg (Khotso = Kgotso; both become "kh"); Lesotho ch = SA tjh;
    //    Lesotho fsh, psh = SA fj, pjh; Lesotho l before i or u = SA d (Limpho = Dimpho).
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t j = 0; j < s.size();) {
        if (starts_at(s, j, U"tjh")) {
            out += U"ch";
            j += 3;
        } else if (starts_at(s, j, U"kg")) {
            out += U"kh";
            j += 2;
        } else if (starts_at(s, j, U"fsh")) {
            out += U"fj";
            j += 3;
        } else if (starts_at(s, j, U"psh")) {
            out += U"pjh";
            j += 3;
        } else if (s[j] == U'l' && j + 1 < s.size() && (s[j + 1] == U'i' || s[j + 1] == U'u')) {
            out += U'd';
            ++j;
        } else {
            out += s[j];
            ++j;
        }
    }
    // 3. Semivowels: Lesotho writes o and e where South Africa writes w and y (Mokoena = Mokwena,
    //    Moshoeshoe = Moshweshwe, moea = moya). In a run of vowels the one before the last is the
    //    glide when it is o before a/e/i or e before a/o/u; repeated on what is left of the run so
    //    that the key is a fixed point (name_key of a key is the key).
    for (std::size_t end = out.size(); end > 0;) {
        if (!is_vowel(out[end - 1])) {
            --end;
            continue;
        }
        std::size_t start = end - 1;
        while (start > 0 && is_vowel(out[start - 1])) {
            --start;
        }
        std::size_t last = end - 1;
        while (last >= start + 1) {
            const char32_t before = out[last - 1];
            const char32_t vowel = out[last];
            if (before == U'o' && (vowel == U'a' || vowel == U'e' || vowel == U'i')) {
                out[last - 1] = U'w';
            } else if (before == U'e' && (vowel == U'a' || vowel == U'o' || vowel == U'u')) {
                out[last - 1] = U'y';
            } else {
                break;
            }
            if (last < start + 2) {
                break;
            }
            last -= 2;
        }
        end = start;
    }
    return out;
}

double jaro(std::u32string_view a, std::u32string_view b) {
    if (a.empty() && b.empty()) {
        return 1.0;
    }
    if (a.empty() || b.empty()) {
        return 0.0;
    }
    const std::size_t longer = std::max(a.size(), b.size());
    const std::size_t window = longer / 2 > 0 ? longer / 2 - 1 : 0;
    std::vector<char> a_matched(a.size(), 0);
    std::vector<char> b_matched(b.size(), 0);
    std::size_t matches = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::size_t from = i > window ? i - window : 0;
        const std::size_t to = std::min(b.size(), i + window + 1);
        for (std::size_t j = from; j < to; ++j) {
            if (b_matched[j] == 0 && a[i] == b[j]) {
                a_matched[i] = 1;
                b_matched[j] = 1;
                ++matches;
                break;
            }
        }
    }
    if (matches == 0) {
        return 0.0;
    }
    std::size_t half_transpositions = 0;
    std::size_t j = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a_matched[i] == 0) {
            continue;
        }
        while (b_matched[j] == 0) {
            ++j;
        }
        if (a[i] != b[j]) {
            ++half_transpositions;
        }
        ++j;
    }
    // Winkler's strcmp95 halves the count in integers.
    const std::size_t transpositions = half_transpositions / 2;
    const auto m = static_cast<double>(matches);
    const auto t = static_cast<double>(transpositions);
    return (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) + (m - t) / m) /
           3.0;
}

double token_score(
    const NameKey& a, std::size_t i, const NameKey& b, std::size_t j, const NameMatchPolicy& p
) {
    const std::u32string& ka = a.tokens[i];
    const std::u32string& kb = b.tokens[j];
    if (ka == kb) {
        return 1.0;
    }
    const std::u32string& pa = a.plain[i];
    const std::u32string& pb = b.plain[j];
    const bool a_initial = pa.size() == 1;
    const bool b_initial = pb.size() == 1;
    if (a_initial || b_initial) {
        if (a_initial && b_initial) {
            return 0.0;
        }
        // "L." stands for Limpho whose key is dimpho: the plain form keeps the l.
        const char32_t initial = a_initial ? pa[0] : pb[0];
        const std::u32string& word_key = a_initial ? kb : ka;
        const std::u32string& word_plain = a_initial ? pb : pa;
        constexpr double kBelowEqual = 0.99;  // an initial is never as good as the name
        return word_key[0] == initial || word_plain[0] == initial
                   ? std::min(p.initial_score, kBelowEqual)
                   : 0.0;
    }
    return std::max(jaro_winkler(ka, kb), jaro_winkler(pa, pb));
}

struct Pairing {
    double weakest = -1.0;  // < 0: no pairing reaches this state
    double sum = 0.0;
};

bool better(const Pairing& candidate, const Pairing& current) {
    constexpr double kEpsilon = 1e-12;
    if (candidate.weakest > current.weakest + kEpsilon) {
        return true;
    }
    return candidate.weakest > current.weakest - kEpsilon && candidate.sum > current.sum + kEpsilon;
}

}  // namespace

NameKey name_key(std::string_view name) {
    std::u32string folded;
    for (const char32_t c : decode_utf8(name)) {
        fold(c, folded);
    }
    NameKey key;
    std::size_t pos = 0;
    while (pos < folded.size()) {
        const std::size_t end = std::min(folded.find(kSeparator, pos), folded.size());
        if (end > pos) {
            const std::u32string_view raw = std::u32string_view(folded).substr(pos, end - pos);
            std::u32string token = fold_sesotho(raw);
            std::u32string plain;
            std::copy_if(raw.begin(), raw.end(), std::back_inserter(plain), [](char32_t c) {
                return c != kApostrophe;
            });
            if (!token.empty() && !plain.empty()) {
                key.tokens.push_back(std::move(token));
                key.plain.push_back(std::move(plain));
            }
        }
        pos = end + 1;
    }
    return key;
}

std::string to_string(const NameKey& key) {
    std::string out;
    for (const auto& token : key.tokens) {
        if (!out.empty()) {
            out += ' ';
        }
        out += encode_utf8(token);
    }
    return out;
}

double jaro_winkler(std::u32string_view a, std::u32string_view b) {
    const double j = jaro(a, b);
    if (j <= 0.7) {
        return j;
    }
    std::size_t prefix = 0;
    while (prefix < 4 && prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) {
        ++prefix;
    }
    return j + static_cast<double>(prefix) * 0.1 * (1.0 - j);
}

double jaro_winkler(std::string_view a, std::string_view b) {
    return jaro_winkler(decode_utf8(a), decode_utf8(b));
}

NameSimilarity name_similarity(const NameKey& a, const NameKey& b, const NameMatchPolicy& policy) {
    NameSimilarity result;
    const std::size_t cap = std::clamp<std::size_t>(policy.max_tokens, 1, 12);
    const std::size_t a_size = std::min(a.tokens.size(), cap);
    const std::size_t b_size = std::min(b.tokens.size(), cap);
    if (a.plain.size() != a.tokens.size() || b.plain.size() != b.tokens.size()) {
        throw std::invalid_argument("name_similarity: a NameKey not made by name_key");
    }
    const bool a_shorter = a_size <= b_size;
    const NameKey& shorter = a_shorter ? a : b;
    const NameKey& longer = a_shorter ? b : a;
    const std::size_t k = std::min(a_size, b_size);
    const std::size_t n = std::max(a_size, b_size);
    if (k == 0 || (k == 1 && n > 1)) {
        return result;
    }

    std::vector<double> scores(k * n);
    for (std::size_t i = 0; i < k; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            scores[i * n + j] = token_score(shorter, i, longer, j, policy);
        }
    }
    // Assignment by dynamic programming over the set of longer-name tokens used so far (n <= 12):
    // state (mask, has a pair of two full tokens), token i of the shorter name is paired next.
    const std::size_t states = std::size_t{1} << n;
    std::vector<std::array<Pairing, 2>> dp(states);
    dp[0][0] = Pairing{1.0, 0.0};
    for (std::size_t mask = 0; mask < states; ++mask) {
        const auto i = static_cast<std::size_t>(std::popcount(mask));
        if (i >= k) {
            continue;
        }
        for (std::size_t full = 0; full < 2; ++full) {
            const Pairing& here = dp[mask][full];
            if (here.weakest < 0) {
                continue;
            }
            for (std::size_t j = 0; j < n; ++j) {
                const double s = scores[i * n + j];
                if (((mask >> j) & 1U) != 0 || s <= 0.0) {
                    continue;
                }
                const bool both_full = shorter.plain[i].size() > 1 && longer.plain[j].size() > 1;
                const std::size_t next_full = full != 0 || both_full ? 1 : 0;
                const Pairing candidate{std::min(here.weakest, s), here.sum + s};
                Pairing& there = dp[mask | (std::size_t{1} << j)][next_full];
                if (better(candidate, there)) {
                    there = candidate;
                }
            }
        }
    }
    Pairing best;
    for (std::size_t mask = 0; mask < states; ++mask) {
        if (static_cast<std::size_t>(std::popcount(mask)) == k && better(dp[mask][1], best)) {
            best = dp[mask][1];
        }
    }
    if (best.weakest <= 0) {
        return result;
    }
    result.paired = k;
    result.unmatched = n - k;
    result.weakest_pair = best.weakest;
    const double penalty = policy.missing_token_penalty * static_cast<double>(result.unmatched);
    result.score = std::max(0.0, best.weakest * (1.0 - penalty));
    // Initial pairs score below 1 (token_score clamps), so a weakest pair of 1 means every token
    // equals its partner in one form or the other.
    result.exact = k == n && best.weakest >= 1.0;
    return result;
}

}  // namespace chelete::compliance
