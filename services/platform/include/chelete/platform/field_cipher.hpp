#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/platform/result.hpp>

namespace chelete::platform::crypto {

/// One AES-256 key of a FieldCipher key ring.
struct FieldKey {
    std::string id;     // [a-z0-9_-]{1,16}; written in clear into every envelope it seals
    std::string bytes;  // exactly 32 raw bytes
};

/// Encryption of single database fields at rest (identity numbers and the like) with
/// AES-256-GCM and a key ring.
///
/// An envelope is text, safe for a TEXT column, and names its key:
///
///     v1.<key_id>.<base64url(12-byte nonce || ciphertext || 16-byte tag)>
///
/// The version and key id are authenticated together with the caller's associated data, which
/// should say where the value lives (e.g. "workers.national_id:<worker id>") so that a sealed
/// value copied to another row or column no longer opens.
///
/// Rotation: put the new key first (it seals), keep the old ones (they still open), re-encrypt
/// the rows whose `key_id_of()` is not `current_key_id()`, then drop the old key. Nonces are
/// random, so one key must not seal more than about 2^32 values (NIST SP 800-38D §8.3): rotate
/// long before that.
///
/// Thread-safe: every method is const and keeps no state between calls.
class FieldCipher {
public:
    static constexpr std::size_t kKeyBytes = 32;
    static constexpr std::size_t kNonceBytes = 12;
    static constexpr std::size_t kTagBytes = 16;
    static constexpr std::size_t kMaxKeyIdLength = 16;
    /// Larger plaintexts are a caller bug (fields, not files); larger envelopes are refused.
    static constexpr std::size_t kMaxPlaintextBytes = std::size_t{1024} * 1024;

    /// `keys.front()` seals; every key opens. Throws std::invalid_argument for an empty ring, a
    /// malformed or duplicate id, or a key that is not 32 bytes: configuration errors, caught at
    /// start-up (use parse_keys() to report them nicely).
    explicit FieldCipher(std::vector<FieldKey> keys);

    /// Reads a key ring from configuration (e.g. CHELETE_FIELD_KEYS):
    /// `k2:<64 hex chars>,k1:<64 hex chars>`, first entry sealing. Spaces around entries are
    /// ignored. The error names the entry and what is wrong with it, never key material.
    [[nodiscard]] static Result<std::vector<FieldKey>, std::string> parse_keys(std::string_view spec
    );

    /// Seals `plaintext` under the first key with a fresh random nonce; two calls with the same
    /// input give different envelopes. Throws std::length_error above kMaxPlaintextBytes and
    /// std::runtime_error if OpenSSL fails.
    [[nodiscard]] std::string encrypt(std::string_view plaintext, std::string_view associated_data)
        const;

    /// The plaintext, or nullopt for anything that is not an intact envelope sealed by a key of
    /// this ring with exactly this associated data: tampering, truncation, an unknown key id or
    /// a malformed envelope. Never throws for bad input.
    [[nodiscard]] std::optional<std::string> decrypt(
        std::string_view envelope, std::string_view associated_data
    ) const;

    /// The key id written in a well-formed envelope (nothing is decrypted or authenticated), to
    /// find rows still sealed under an old key. nullopt if the envelope is malformed.
    [[nodiscard]] static std::optional<std::string> key_id_of(std::string_view envelope);

    /// The id of the key that seals new values.
    [[nodiscard]] const std::string& current_key_id() const { return keys_.front().id; }

private:
    [[nodiscard]] const FieldKey* find_key(std::string_view id) const;

    std::vector<FieldKey> keys_;
};

}  // namespace chelete::platform::crypto
