#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chelete::platform::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;

[[nodiscard]] Sha256Digest sha256(std::string_view data);
[[nodiscard]] std::string sha256_hex(std::string_view data);
[[nodiscard]] Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

/// Keyed lookup hash: hex HMAC-SHA256 of an already normalized value. It lets a column that is
/// stored encrypted (FieldCipher, random nonces) still be searched and made UNIQUE by equality,
/// while someone holding only the database cannot test guesses (identity numbers are few enough
/// to enumerate; a plain SHA-256 would give them away). The key is a secret of its own, not a
/// FieldCipher key, at least 32 bytes; a shorter one throws std::invalid_argument.
/// Normalize first (e.g. normalize_identity_number), or equal numbers typed differently differ.
[[nodiscard]] std::string lookup_hash(std::string_view key, std::string_view normalized_value);
/// Canonical form of an identity or permit number for lookup_hash: ASCII letters upper-cased,
/// spaces and dashes removed ("ab 12-345" -> "AB12345"). Other bytes are kept as they are.
[[nodiscard]] std::string normalize_identity_number(std::string_view value);

[[nodiscard]] std::string to_hex(const std::uint8_t* data, std::size_t size);
template <std::size_t N>
[[nodiscard]] std::string to_hex(const std::array<std::uint8_t, N>& bytes) {
    return to_hex(bytes.data(), bytes.size());
}
[[nodiscard]] std::optional<std::string> from_hex(std::string_view hex);

/// RFC 4648 §5 base64url without padding (JWT, callback signatures).
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
/// Strict: refuses padding, whitespace, characters outside the alphabet and non-canonical tails.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);
/// Standard base64 with padding (partner APIs).
[[nodiscard]] std::string base64_encode(std::string_view bytes);
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

/// Constant-time equality (CRYPTO_memcmp); unequal lengths compare unequal without early exit on
/// content.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b);

/// Cryptographically secure random bytes (OpenSSL RAND_bytes); throws if the generator fails.
[[nodiscard]] std::string random_bytes(std::size_t count);
[[nodiscard]] std::uint64_t random_u64();

}  // namespace chelete::platform::crypto
