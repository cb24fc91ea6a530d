#include "sms/segments.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace chelete::simulators::sms {
namespace {

// GSM 03.38 default alphabet, as Unicode code points (ESC, 0x1B, is not a character).
constexpr std::u32string_view kBasic =
    U"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    U"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
// The extension table: each costs an escape septet plus its own.
constexpr std::u32string_view kExtension = U"\f^{}\\[~]|€";

constexpr std::size_t kGsmSingle = 160;
constexpr std::size_t kGsmPart = 153;
constexpr std::size_t kUcsSingle = 70;
constexpr std::size_t kUcsPart = 67;

/// Strict UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
std::optional<std::u32string> decode_utf8(std::string_view text) {
    std::u32string out;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        char32_t cp = 0;
        if (lead < 0x80U) {
            length = 1;
            cp = lead;
        } else if ((lead & 0xE0U) == 0xC0U) {
            length = 2;
            cp = lead & 0x1FU;
        } else if ((lead & 0xF0U) == 0xE0U) {
            length = 3;
            cp = lead & 0x0FU;
        } else if ((lead & 0xF8U) == 0xF0U) {
            length = 4;
            cp = lead & 0x07U;
        } else {
            return std::nullopt;
        }
        if (i + length > text.size()) {
            return std::nullopt;
        }
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0U) != 0x80U) {
                return std::nullopt;
            }
            cp = (cp << 6U) | (next & 0x3FU);
        }
        constexpr std::array<char32_t, 5> kMinimum{0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMinimum.at(length) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return std::nullopt;
        }
        out += cp;
        i += length;
    }
    return out;
}

std::size_t parts(std::size_t units, std::size_t single, std::size_t part) {
    if (units == 0) {
        return 0;
    }
    return units <= single ? 1 : (units + part - 1) / part;
}

}  // namespace

std::optional<SegmentCount> count_segments(std::string_view utf8) {
    const auto text = decode_utf8(utf8);
    if (!text) {
        return std::nullopt;
    }
    SegmentCount out;
    std::size_t septets = 0;
    bool gsm = true;
    for (const char32_t c : *text) {
        if (kBasic.find(c) != std::u32string_view::npos) {
            septets += 1;
        } else if (kExtension.find(c) != std::u32string_view::npos) {
            septets += 2;
        } else {
            gsm = false;
            break;
        }
    }
    if (gsm) {
        out.encoding = SmsEncoding::kGsm7;
        out.units = septets;
        out.segments = parts(septets, kGsmSingle, kGsmPart);
        return out;
    }
    std::size_t units = 0;
    for (const char32_t c : *text) {
        units += c > 0xFFFF ? 2 : 1;  // outside the BMP: a surrogate pair
    }
    out.encoding = SmsEncoding::kUcs2;
    out.units = units;
    out.segments = parts(units, kUcsSingle, kUcsPart);
    return out;
}

}  // namespace chelete::simulators::sms
