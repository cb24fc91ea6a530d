#include "testing/test_keys.hpp"

#include <array>
#include <memory>
#include <stdexcept>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace chelete::simulators::testing {

const RsaKey& test_rsa_key() {
    static const RsaKey kKey = RsaKey::generate(2048);
    return kKey;
}

std::string encrypt_bearer_with_pem(const std::string& public_pem, std::string_view plaintext) {
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio{
        BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())), &BIO_free};
    const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{
        PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free};
    if (!key) {
        throw std::runtime_error("not a public key PEM");
    }
    const std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx{
        EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr), &EVP_PKEY_CTX_free};
    std::size_t size = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(plaintext.data());  // NOLINT
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_encrypt(ctx.get(), nullptr, &size, in, plaintext.size()) != 1) {
        throw std::runtime_error("encryption setup failed");
    }
    std::vector<unsigned char> out(size);
    if (EVP_PKEY_encrypt(ctx.get(), out.data(), &size, in, plaintext.size()) != 1) {
        throw std::runtime_error("encryption failed");
    }
    return base64_encode(std::string(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size)));
}

std::string reference_hmac_hex(std::string_view key, std::string_view data) {
    const std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac{
        EVP_MAC_fetch(nullptr, "HMAC", nullptr), &EVP_MAC_free};
    const std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx{
        EVP_MAC_CTX_new(mac.get()), &EVP_MAC_CTX_free};
    std::array<char, 7> digest_name{"SHA256"};
    const std::array<OSSL_PARAM, 2> params{
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name.data(), 0),
        OSSL_PARAM_construct_end()};
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    std::size_t length = 0;
    if (!ctx ||
        EVP_MAC_init(
            ctx.get(),
            reinterpret_cast<const unsigned char*>(key.data()),  // NOLINT
            key.size(),
            params.data()
        ) != 1 ||
        EVP_MAC_update(
            ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()  // NOLINT
        ) != 1 ||
        EVP_MAC_final(ctx.get(), out.data(), &length, out.size()) != 1) {
        throw std::runtime_error("HMAC failed");
    }
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string hex;
    for (std::size_t i = 0; i < length; ++i) {
        hex += kHex[out.at(i) >> 4U];
        hex += kHex[out.at(i) & 0xFU];
    }
    return hex;
}

}  // namespace chelete::simulators::testing
