#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <chelete/platform/result.hpp>

// OpenSSL's EVP_PKEY, declared here so this header does not pull OpenSSL into its users.
struct evp_pkey_st;

namespace chelete::platform::crypto {

/// Ed25519 signatures (RFC 8032) for documents anyone may check offline, such as a worker's
/// permit status letter: the service signs with its private seed and publishes
/// public_key_hex(); a verifier needs only that key, the exact signed bytes and the signature.
/// Sign a canonical serialization that names the document type and its version, so a
/// signature over one kind of document cannot be passed off as another.
///
/// Move-only (it owns an OpenSSL key). sign() is const and thread-safe.
class Ed25519Signer {
public:
    static constexpr std::size_t kSeedBytes = 32;
    static constexpr std::size_t kPublicKeyBytes = 32;
    static constexpr std::size_t kSignatureBytes = 64;

    /// From the 32-byte private seed (raw bytes). Throws std::invalid_argument if it is not 32
    /// bytes, std::runtime_error if OpenSSL fails.
    explicit Ed25519Signer(std::string_view seed);

    /// From configuration: the seed as 64 hex characters. The error never echoes the value.
    [[nodiscard]] static Result<Ed25519Signer, std::string> from_seed_hex(std::string_view seed_hex
    );

    /// The 64-byte signature, base64url without padding (86 characters). Throws
    /// std::runtime_error if OpenSSL fails.
    [[nodiscard]] std::string sign(std::string_view message) const;

    /// The 32-byte public key as 64 lowercase hex characters.
    [[nodiscard]] const std::string& public_key_hex() const { return public_key_hex_; }

private:
    struct KeyDeleter {
        void operator()(evp_pkey_st* key) const;
    };

    std::unique_ptr<evp_pkey_st, KeyDeleter> key_;
    std::string public_key_hex_;
};

/// True only if `signature_b64url` is a valid Ed25519 signature of `message` under the public
/// key `public_key_hex` (64 hex characters). False for a malformed key or signature encoding,
/// a wrong length or a bad signature; never throws for bad input.
[[nodiscard]] bool verify_ed25519(
    std::string_view public_key_hex, std::string_view message, std::string_view signature_b64url
);

}  // namespace chelete::platform::crypto
