#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

// OpenSSL's EVP_PKEY, declared here so this header does not pull OpenSSL into its users.
struct evp_pkey_st;

namespace chelete::simulators {

/// Lower-case hex of HMAC-SHA256(key, data): the callback signature (partner contract).
[[nodiscard]] std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// Standard base64 with padding (RFC 4648 §4), as partner APIs use it.
[[nodiscard]] std::string base64_encode(std::string_view bytes);
/// Strict: nullopt for characters outside the alphabet, bad padding or a length not a multiple
/// of four. Whitespace is not allowed.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

/// `bytes` cryptographically random bytes as 2 * bytes lower-case hex characters (session ids,
/// tokens, transaction ids: unguessable and unique without any shared counter).
[[nodiscard]] std::string random_hex(std::size_t bytes);

/// An RSA key pair for the M-Pesa session flow: the client encrypts its API key (and later the
/// session id) with the public key, PKCS#1 v1.5, and sends base64 of that as the bearer.
/// OpenSSL 3 EVP APIs only. Move-only; the const methods are thread-safe (each call makes its
/// own EVP_PKEY_CTX).
class RsaKey {
public:
    /// A fresh key of `bits` bits (2048 when the simulator has no --rsa-key-file). Throws
    /// std::runtime_error when OpenSSL fails.
    [[nodiscard]] static RsaKey generate(int bits);
    /// From a PEM private key (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY"); nullopt when it
    /// is not an RSA private key.
    [[nodiscard]] static std::optional<RsaKey> from_private_pem(std::string_view pem);

    /// The public half as PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----").
    [[nodiscard]] std::string public_pem() const;
    /// The private key as PEM PKCS#8 (tests write it where a client would read it).
    [[nodiscard]] std::string private_pem() const;

    /// RSA PKCS#1 v1.5 decryption; nullopt for anything that does not decrypt.
    [[nodiscard]] std::optional<std::string> decrypt(std::string_view ciphertext) const;
    /// RSA PKCS#1 v1.5 encryption with the public key, as a client does. Throws on failure.
    [[nodiscard]] std::string encrypt(std::string_view plaintext) const;
    /// base64(decrypt(...)) in reverse: the bearer text of the M-Pesa API; nullopt if either the
    /// base64 or the decryption fails.
    [[nodiscard]] std::optional<std::string> decrypt_bearer(std::string_view bearer) const;

private:
    struct KeyDeleter {
        void operator()(evp_pkey_st* key) const;
    };
    explicit RsaKey(evp_pkey_st* key) : key_(key) {}

    std::unique_ptr<evp_pkey_st, KeyDeleter> key_;
};

}  // namespace chelete::simulators
