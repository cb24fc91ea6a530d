#pragma once

#include <string>
#include <string_view>

#include "common/sim_crypto.hpp"

namespace chelete::simulators::testing {

/// One 2048-bit key per test binary: generating is the slow part.
const RsaKey& test_rsa_key();

/// base64(RSA PKCS#1 v1.5(public key from `public_pem`, plaintext)), computed with OpenSSL
/// directly, independent of RsaKey: what an M-Pesa client sends as its bearer.
std::string encrypt_bearer_with_pem(const std::string& public_pem, std::string_view plaintext);

/// hex HMAC-SHA256 with OpenSSL's EVP_MAC, independent of the code under test.
std::string reference_hmac_hex(std::string_view key, std::string_view data);

}  // namespace chelete::simulators::testing
