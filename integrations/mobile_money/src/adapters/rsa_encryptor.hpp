#pragma once

#include <memory>
#include <string>
#include <string_view>

// OpenSSL's EVP_PKEY, declared here so this header does not pull OpenSSL into its users.
struct evp_pkey_st;

namespace chelete::mobile_money::crypto {

/// M-Pesa OpenAPI credential encryption: base64(RSA-PKCS#1 v1.5 encrypt(public key, text)).
/// Thread-safe (the key is read-only after construction; each call has its own context).
class RsaEncryptor {
public:
    /// From PEM ("BEGIN PUBLIC KEY" or "BEGIN RSA PUBLIC KEY") or the bare base64 DER
    /// SubjectPublicKeyInfo the M-Pesa portal shows. Throws std::invalid_argument when it is
    /// not an RSA public key.
    explicit RsaEncryptor(std::string_view public_key);
    ~RsaEncryptor();
    RsaEncryptor(const RsaEncryptor&) = delete;
    RsaEncryptor& operator=(const RsaEncryptor&) = delete;
    RsaEncryptor(RsaEncryptor&&) = delete;
    RsaEncryptor& operator=(RsaEncryptor&&) = delete;

    /// Standard base64 (with padding) of the ciphertext; random padding makes every call
    /// different. Throws std::runtime_error if OpenSSL fails (e.g. text too long for the key).
    [[nodiscard]] std::string encrypt_base64(std::string_view plaintext) const;

private:
    struct KeyDeleter {
        void operator()(evp_pkey_st* key) const;
    };
    std::unique_ptr<evp_pkey_st, KeyDeleter> key_;
};

/// Standard base64 with padding (also HTTP Basic credentials).
[[nodiscard]] std::string base64(std::string_view bytes);

/// 16 random bytes from OpenSSL as 32 lower-case hex characters (query conversation ids).
[[nodiscard]] std::string random_hex_id();

}  // namespace chelete::mobile_money::crypto
