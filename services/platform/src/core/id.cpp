#include <string_view>

#include <chelete/platform/id.hpp>

namespace chelete::platform {
namespace {

constexpr std::string_view kHex = "0123456789abcdef";

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

std::string Id128::to_string() const {
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 32; ++i) {
        const std::uint64_t word = i < 16 ? hi : lo;
        const int shift = 60 - 4 * (i % 16);
        out.push_back(kHex[(word >> shift) & 0xFU]);
        if (i == 7 || i == 11 || i == 15 || i == 19) {
            out.push_back('-');
        }
    }
    return out;
}

std::optional<Id128> Id128::parse(std::string_view text) {
    const bool dashed = text.size() == 36;
    if (!dashed && text.size() != 32) {
        return std::nullopt;
    }
    if (dashed && (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')) {
        return std::nullopt;
    }
    Id128 id;
    int digits = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
            continue;
        }
        const int v = hex_value(text[i]);
        if (v < 0) {
            return std::nullopt;
        }
        std::uint64_t& word = digits < 16 ? id.hi : id.lo;
        word = (word << 4U) | static_cast<std::uint64_t>(v);
        ++digits;
    }
    return id;
}

Id128 make_uuid_v7(std::uint64_t unix_ms, std::uint64_t rand_hi, std::uint64_t rand_lo) {
    Id128 id;
    // 48 bits of time | version 7 | 12 random bits
    id.hi = ((unix_ms & 0xFFFFFFFFFFFFULL) << 16U) | 0x7000ULL | (rand_hi & 0x0FFFULL);
    // variant 10 | 62 random bits
    id.lo = 0x8000000000000000ULL | (rand_lo & 0x3FFFFFFFFFFFFFFFULL);
    return id;
}

}  // namespace chelete::platform
