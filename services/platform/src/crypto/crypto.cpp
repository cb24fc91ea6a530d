#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <chelete/platform/crypto.hpp>

namespace chelete::platform::crypto {
namespace {

constexpr std::string_view kB64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kB64Std =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    const auto byte = [&](std::size_t k) {
        return static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[k]));
    };
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = (byte(i) << 16U) | (byte(i + 1) << 8U) | byte(i + 2);
        out += alphabet[(v >> 18U) & 63U];
        out += alphabet[(v >> 12U) & 63U];
        out += alphabet[(v >> 6U) & 63U];
        out += alphabet[v & 63U];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const std::uint32_t v = byte(i) << 16U;
        out += alphabet[(v >> 18U) & 63U];
        out += alphabet[(v >> 12U) & 63U];
        if (pad) {
            out += "==";
        }
    } else if (rest == 2) {
        const std::uint32_t v = (byte(i) << 16U) | (byte(i + 1) << 8U);
        out += alphabet[(v >> 18U) & 63U];
        out += alphabet[(v >> 12U) & 63U];
        out += alphabet[(v >> 6U) & 63U];
        if (pad) {
            out += '=';
        }
    }
    return out;
}

std::optional<std::string> decode(std::string_view text, std::string_view alphabet) {
    std::array<int, 256> table{};
    table.fill(-1);
    for (std::size_t k = 0; k < alphabet.size(); ++k) {
        table.at(static_cast<std::uint8_t>(alphabet[k])) = static_cast<int>(k);
    }
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : text) {
        const int v = table.at(static_cast<std::uint8_t>(c));
        if (v < 0) {
            return std::nullopt;
        }
        acc = (acc << 6U) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> static_cast<unsigned>(bits)) & 0xFFU);
        }
    }
    // Non-canonical encodings (set bits in the unused tail) are refused, so one value has one text.
    if (bits > 0 && (acc & ((1U << static_cast<unsigned>(bits)) - 1U)) != 0) {
        return std::nullopt;
    }
    return out;
}

}  // namespace

Sha256Digest sha256(std::string_view data) {
    Sha256Digest out{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
        len != out.size()) {
        throw std::runtime_error("SHA-256 failed");
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    return to_hex(sha256(data));
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
    Sha256Digest out{};
    unsigned int len = 0;
    const auto* result = HMAC(
        EVP_sha256(),
        key.data(),
        static_cast<int>(key.size()),
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): OpenSSL takes unsigned char*
        reinterpret_cast<const unsigned char*>(data.data()),
        data.size(),
        out.data(),
        &len
    );
    if (result == nullptr || len != out.size()) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return out;
}

std::string lookup_hash(std::string_view key, std::string_view normalized_value) {
    constexpr std::size_t kMinKeyBytes = 32;
    if (key.size() < kMinKeyBytes) {
        throw std::invalid_argument("lookup_hash: the key must be at least 32 bytes");
    }
    return to_hex(hmac_sha256(key, normalized_value));
}

std::string normalize_identity_number(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == ' ' || c == '-') {
            continue;
        }
        // ASCII only, no locale: the same number must hash the same on every machine.
        out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
    return out;
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
    constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += kHex
            [(data[i] >> 4U) & 0xFU];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
        out += kHex[data[i] & 0xFU];   // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    }
    return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        return std::nullopt;
    }
    const auto nibble = [](char c) -> int {
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
    };
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int h = nibble(hex[i]);
        const int l = nibble(hex[i + 1]);
        if (h < 0 || l < 0) {
            return std::nullopt;
        }
        out += static_cast<char>((h << 4) | l);
    }
    return out;
}

std::string base64url_encode(std::string_view bytes) {
    return encode(bytes, kB64Url, false);
}

std::optional<std::string> base64url_decode(std::string_view text) {
    return decode(text, kB64Url);
}

std::string base64_encode(std::string_view bytes) {
    return encode(bytes, kB64Std, true);
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') {
        ++pad;
    }
    return decode(text.substr(0, text.size() - pad), kB64Std);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t count) {
    std::string out(count, '\0');
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): OpenSSL takes unsigned char*
    auto* const bytes = reinterpret_cast<unsigned char*>(out.data());
    if (count > 0 && RAND_bytes(bytes, static_cast<int>(count)) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return out;
}

std::uint64_t random_u64() {
    std::uint64_t value = 0;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): OpenSSL takes unsigned char*
    auto* const bytes = reinterpret_cast<unsigned char*>(&value);
    if (RAND_bytes(bytes, sizeof value) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return value;
}

}  // namespace chelete::platform::crypto
