#include "domain/gsm.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace chelete::sms {
namespace {

// The GSM 03.38 basic table beyond printable ASCII (the ASCII part is handled by range).
constexpr auto kBasicNonAscii = std::to_array<char32_t>({
    0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x00D8, 0x00F8, 0x00C5,
    0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3, 0x0398, 0x039E,
    0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0, 0x000A, 0x000D,
});

constexpr auto kExtension = std::to_array<char32_t>({
    0x000C,
    U'^',
    U'{',
    U'}',
    U'\\',
    U'[',
    U'~',
    U']',
    U'|',
    0x20AC,
});

// Look-alikes in the basic table for characters names and free text commonly carry. Sesotho
// (Lesotho orthography) writes š in names such as Tšepiso and ʼ/’ in names such as Ts’epo.
constexpr auto kFolds = std::to_array<std::pair<char32_t, std::string_view>>({
    {0x00C0, "A"},  {0x00C1, "A"},  {0x00C2, "A"}, {0x00C3, "A"}, {0x00E1, "a"}, {0x00E2, "a"},
    {0x00E3, "a"},  {0x0101, "a"},  {0x0100, "A"}, {0x00E7, "c"}, {0x010D, "c"}, {0x010C, "C"},
    {0x00C8, "E"},  {0x00CA, "E"},  {0x00CB, "E"}, {0x00EA, "e"}, {0x00EB, "e"}, {0x0113, "e"},
    {0x0112, "E"},  {0x00CC, "I"},  {0x00CD, "I"}, {0x00CE, "I"}, {0x00CF, "I"}, {0x00ED, "i"},
    {0x00EE, "i"},  {0x00EF, "i"},  {0x012B, "i"}, {0x00D2, "O"}, {0x00D3, "O"}, {0x00D4, "O"},
    {0x00D5, "O"},  {0x00F3, "o"},  {0x00F4, "o"}, {0x00F5, "o"}, {0x014D, "o"}, {0x00D9, "U"},
    {0x00DA, "U"},  {0x00DB, "U"},  {0x00FA, "u"}, {0x00FB, "u"}, {0x016B, "u"}, {0x00DD, "Y"},
    {0x00FD, "y"},  {0x00FF, "y"},  {0x0161, "s"}, {0x0160, "S"}, {0x017E, "z"}, {0x017D, "Z"},
    {0x2018, "'"},  {0x2019, "'"},  {0x02BC, "'"}, {0x00B4, "'"}, {U'`', "'"},   {0x201C, "\""},
    {0x201D, "\""}, {0x201E, "\""}, {0x2013, "-"}, {0x2014, "-"}, {0x2212, "-"}, {0x2026, "..."},
    {U'[', "("},    {U']', ")"},    {U'{', "("},   {U'}', ")"},   {U'\\', "/"},  {U'|', "/"},
    {U'~', "-"},    {U'^', "?"},    {0x20AC, "E"},
});

/// Decodes one code point at `i`; nullopt (and `i` moved by one byte) for invalid UTF-8.
std::optional<char32_t> decode(std::string_view s, std::size_t& i) {
    const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
    const std::uint8_t b0 = byte(i);
    std::size_t length = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (b0 < 0x80U) {
        ++i;
        return b0;
    }
    if ((b0 & 0xE0U) == 0xC0U) {
        length = 2;
        cp = b0 & 0x1FU;
        min = 0x80;
    } else if ((b0 & 0xF0U) == 0xE0U) {
        length = 3;
        cp = b0 & 0x0FU;
        min = 0x800;
    } else if ((b0 & 0xF8U) == 0xF0U) {
        length = 4;
        cp = b0 & 0x07U;
        min = 0x10000;
    } else {
        ++i;
        return std::nullopt;
    }
    if (i + length > s.size()) {
        ++i;
        return std::nullopt;
    }
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0U) != 0x80U) {
            ++i;
            return std::nullopt;
        }
        cp = (cp << 6U) | (byte(i + k) & 0x3FU);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++i;
        return std::nullopt;
    }
    i += length;
    return cp;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0U | (cp >> 6U));
        out += static_cast<char>(0x80U | (cp & 0x3FU));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0U | (cp >> 12U));
        out += static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU));
        out += static_cast<char>(0x80U | (cp & 0x3FU));
    } else {
        out += static_cast<char>(0xF0U | (cp >> 18U));
        out += static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU));
        out += static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU));
        out += static_cast<char>(0x80U | (cp & 0x3FU));
    }
}

/// Segments for `costs` (units per character) given the single- and multi-segment sizes; a
/// character never straddles two segments.
template <typename Costs>
std::size_t segments_of(
    const Costs& costs, std::size_t total, std::size_t single, std::size_t multi
) {
    if (total <= single) {
        return 1;
    }
    std::size_t segments = 1;
    std::size_t used = 0;
    for (const std::size_t cost : costs) {
        if (used + cost > multi) {
            ++segments;
            used = 0;
        }
        used += cost;
    }
    return segments;
}

}  // namespace

std::string_view to_string(Encoding encoding) {
    return encoding == Encoding::kGsm7 ? "gsm7" : "ucs2";
}

bool is_gsm7_basic(char32_t cp) {
    if (cp >= 0x20 && cp <= 0x7E) {
        // Printable ASCII is basic except ` (absent) and the eight extension characters.
        return cp != U'`' && !is_gsm7_extension(cp);
    }
    return std::find(kBasicNonAscii.begin(), kBasicNonAscii.end(), cp) != kBasicNonAscii.end();
}

bool is_gsm7_extension(char32_t cp) {
    return std::find(kExtension.begin(), kExtension.end(), cp) != kExtension.end();
}

std::optional<SmsLength> measure(std::string_view utf8) {
    std::vector<std::size_t> septets;
    std::vector<std::size_t> utf16;
    bool gsm = true;
    std::size_t i = 0;
    while (i < utf8.size()) {
        const auto cp = decode(utf8, i);
        if (!cp) {
            return std::nullopt;
        }
        utf16.push_back(*cp >= 0x10000 ? 2 : 1);
        if (is_gsm7_basic(*cp)) {
            septets.push_back(1);
        } else if (is_gsm7_extension(*cp)) {
            septets.push_back(2);
        } else {
            gsm = false;
        }
    }
    SmsLength length;
    if (gsm) {
        length.encoding = Encoding::kGsm7;
        for (const auto n : septets) {
            length.units += n;
        }
        length.segments = segments_of(septets, length.units, kGsm7SingleSegment, kGsm7MultiSegment);
    } else {
        length.encoding = Encoding::kUcs2;
        for (const auto n : utf16) {
            length.units += n;
        }
        length.segments = segments_of(utf16, length.units, kUcs2SingleSegment, kUcs2MultiSegment);
    }
    return length;
}

std::string fold_to_gsm7_basic(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool pending_space = false;
    const auto put = [&](std::string_view piece) {
        if (pending_space && !out.empty()) {
            out += ' ';
        }
        pending_space = false;
        out += piece;
    };
    std::size_t i = 0;
    while (i < text.size()) {
        const auto cp = decode(text, i);
        if (!cp) {
            put("?");
            continue;
        }
        if (*cp < 0x20 || *cp == 0x7F || *cp == U' ' || *cp == 0x00A0 ||
            (*cp >= 0x80 && *cp < 0xA0)) {
            pending_space = true;  // control characters and line breaks read as a space
            continue;
        }
        if (is_gsm7_basic(*cp)) {
            std::string piece;
            append_utf8(piece, *cp);
            put(piece);
            continue;
        }
        const auto* fold = std::find_if(kFolds.begin(), kFolds.end(), [&](const auto& f) {
            return f.first == *cp;
        });
        put(fold != kFolds.end() ? fold->second : std::string_view{"?"});
    }
    return out;
}

std::size_t code_points(std::string_view utf8) {
    return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](const char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

std::string first_code_points(std::string_view utf8, std::size_t max_points) {
    std::size_t points = 0;
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        if ((static_cast<unsigned char>(utf8[i]) & 0xC0U) != 0x80U) {
            if (points == max_points) {
                return std::string{utf8.substr(0, i)};
            }
            ++points;
        }
    }
    return std::string{utf8};
}

}  // namespace chelete::sms
