#pragma once

// GSM 03.38: which texts travel as 7-bit GSM and which need UCS-2, how many segments a text
// takes, and the folding of free text (names) into the GSM-7 basic alphabet. Pure: no I/O.
//
// One SMS holds 160 GSM-7 septets or 70 UCS-2 code units. A longer text is split into segments
// of 153 septets or 67 code units (the rest of each is the concatenation header); an escaped
// GSM-7 character (€, [, ], {, }, ~, ^, \, |) takes two septets and is never split across
// segments, nor is a UTF-16 surrogate pair.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chelete::sms {

enum class Encoding { kGsm7, kUcs2 };
/// "gsm7", "ucs2"
[[nodiscard]] std::string_view to_string(Encoding encoding);

inline constexpr std::size_t kGsm7SingleSegment = 160;
inline constexpr std::size_t kGsm7MultiSegment = 153;
inline constexpr std::size_t kUcs2SingleSegment = 70;
inline constexpr std::size_t kUcs2MultiSegment = 67;

struct SmsLength {
    Encoding encoding = Encoding::kGsm7;
    std::size_t units = 0;  // septets (GSM-7) or UTF-16 code units (UCS-2)
    std::size_t segments = 0;

    friend bool operator==(const SmsLength&, const SmsLength&) = default;
};

/// How `utf8` travels: GSM-7 when every character is in the basic or extension table, else
/// UCS-2. nullopt when `utf8` is not valid UTF-8. An empty text is one (empty) segment.
[[nodiscard]] std::optional<SmsLength> measure(std::string_view utf8);

/// True when the code point is in the GSM-7 basic table (one septet).
[[nodiscard]] bool is_gsm7_basic(char32_t code_point);
/// True when the code point is in the GSM-7 extension table (two septets).
[[nodiscard]] bool is_gsm7_extension(char32_t code_point);

/// `text` folded into the GSM-7 basic table, so that one character is one septet: letters with
/// diacritics the table lacks lose them (š -> s, ê -> e), typographic quotes and dashes become
/// ASCII, extension characters become a basic look-alike ([ -> (, € -> E), control characters
/// and line breaks become spaces, runs of spaces collapse, the ends are trimmed, and anything
/// else becomes '?'. Invalid UTF-8 bytes become '?' too. The result is valid UTF-8.
[[nodiscard]] std::string fold_to_gsm7_basic(std::string_view text);

/// Code points in valid UTF-8 (each byte that is not a continuation byte starts one).
[[nodiscard]] std::size_t code_points(std::string_view utf8);

/// The first `max_points` code points of valid UTF-8 `text` (all of it when shorter).
[[nodiscard]] std::string first_code_points(std::string_view utf8, std::size_t max_points);

}  // namespace chelete::sms
