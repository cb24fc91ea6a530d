#include "adapters/rsa_encryptor.hpp"

#include <array>
#include <stdexcept>
#include <vector>

#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

namespace chelete::mobile_money::crypto {
namespace {

struct BioDeleter {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct CtxDeleter {
    void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct DecoderDeleter {
    void operator()(OSSL_DECODER_CTX* ctx) const { OSSL_DECODER_CTX_free(ctx); }
};

/// The portal shows the key as one base64 line without PEM armour; wrap it so one decoder
/// reads both forms.
std::string as_pem(std::string_view key) {
    if (key.find("-----BEGIN") != std::string_view::npos) {
        return std::string{key};
    }
    std::string body;
    for (const char c : key) {
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            body.push_back(c);
        }
    }
    std::string pem = "-----BEGIN PUBLIC KEY-----\n";
    for (std::size_t i = 0; i < body.size(); i += 64) {
        pem.append(body, i, 64).push_back('\n');
    }
    pem += "-----END PUBLIC KEY-----\n";
    return pem;
}

EVP_PKEY* decode_public_key(const std::string& pem) {
    EVP_PKEY* key = nullptr;
    // Any public-key PEM (SubjectPublicKeyInfo or PKCS#1 "RSA PUBLIC KEY"), RSA only.
    std::unique_ptr<OSSL_DECODER_CTX, DecoderDeleter> decoder{OSSL_DECODER_CTX_new_for_pkey(
        &key, "PEM", nullptr, "RSA", EVP_PKEY_PUBLIC_KEY, nullptr, nullptr
    )};
    if (!decoder) {
        return nullptr;
    }
    const auto* data = reinterpret_cast<const unsigned char*>(pem.data());  // NOLINT
    std::size_t length = pem.size();
    if (OSSL_DECODER_from_data(decoder.get(), &data, &length) != 1) {
        EVP_PKEY_free(key);
        return nullptr;
    }
    return key;
}

}  // namespace

void RsaEncryptor::KeyDeleter::operator()(evp_pkey_st* key) const {
    EVP_PKEY_free(key);
}

RsaEncryptor::RsaEncryptor(std::string_view public_key) {
    key_.reset(decode_public_key(as_pem(public_key)));
    if (!key_ || EVP_PKEY_get_base_id(key_.get()) != EVP_PKEY_RSA) {
        throw std::invalid_argument("the M-Pesa public key is not an RSA public key");
    }
}

RsaEncryptor::~RsaEncryptor() = default;

std::string RsaEncryptor::encrypt_base64(std::string_view plaintext) const {
    std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> ctx{
        EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr)};
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
        throw std::runtime_error("RSA encryption setup failed");
    }
    const auto* in = reinterpret_cast<const unsigned char*>(plaintext.data());  // NOLINT
    std::size_t length = 0;
    if (EVP_PKEY_encrypt(ctx.get(), nullptr, &length, in, plaintext.size()) != 1) {
        throw std::runtime_error("RSA encryption failed");
    }
    std::vector<unsigned char> out(length);
    if (EVP_PKEY_encrypt(ctx.get(), out.data(), &length, in, plaintext.size()) != 1) {
        throw std::runtime_error("RSA encryption failed (is the text too long for the key?)");
    }
    return base64(std::string_view{reinterpret_cast<const char*>(out.data()), length});  // NOLINT
}

std::string base64(std::string_view bytes) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t n =
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U) |
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U) |
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        out.push_back(kAlphabet[(n >> 18U) & 63U]);
        out.push_back(kAlphabet[(n >> 12U) & 63U]);
        out.push_back(kAlphabet[(n >> 6U) & 63U]);
        out.push_back(kAlphabet[n & 63U]);
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U;
        if (rest == 2) {
            n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U;
        }
        out.push_back(kAlphabet[(n >> 18U) & 63U]);
        out.push_back(kAlphabet[(n >> 12U) & 63U]);
        out.push_back(rest == 2 ? kAlphabet[(n >> 6U) & 63U] : '=');
        out.push_back('=');
    }
    return out;
}

std::string random_hex_id() {
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    std::string out;
    for (const unsigned char byte : bytes) {
        out.push_back(kHex[byte >> 4U]);
        out.push_back(kHex[byte & 0x0fU]);
    }
    return out;
}

}  // namespace chelete::mobile_money::crypto
