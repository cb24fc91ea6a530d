#include "common/sim_crypto.hpp"

#include <array>
#include <memory>
#include <stdexcept>
#include <vector>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

namespace chelete::simulators {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string to_hex(const unsigned char* data, std::size_t size) {
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out +=
            kHexDigits[data[i] >> 4U];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
        out +=
            kHexDigits[data[i] & 0xFU];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    }
    return out;
}

int base64_value(char c) {
    const auto pos = kBase64Alphabet.find(c);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

struct CtxDeleter {
    void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;

struct BioDeleter {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long size =
        BIO_get_mem_data(bio, &data);  // NOLINT(cppcoreguidelines-pro-type-cstyle-cast)
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string{};
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): OpenSSL takes bytes
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
    const unsigned char* ok = HMAC(
        EVP_sha256(),
        key.data(),
        static_cast<int>(key.size()),
        bytes,
        data.size(),
        digest.data(),
        &length
    );
    if (ok == nullptr) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return to_hex(digest.data(), length);
}

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto n =
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U) |
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U) |
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        out += kBase64Alphabet[(n >> 18U) & 63U];
        out += kBase64Alphabet[(n >> 12U) & 63U];
        out += kBase64Alphabet[(n >> 6U) & 63U];
        out += kBase64Alphabet[n & 63U];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U;
        if (rest == 2) {
            n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U;
        }
        out += kBase64Alphabet[(n >> 18U) & 63U];
        out += kBase64Alphabet[(n >> 12U) & 63U];
        out += rest == 2 ? kBase64Alphabet[(n >> 6U) & 63U] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        std::array<int, 4> v{};
        int padding = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const char c = text[i + j];
            if (c == '=' && last && j >= 2) {
                v.at(j) = 0;
                ++padding;
                continue;
            }
            if (padding > 0) {
                return std::nullopt;  // data after '='
            }
            v.at(j) = base64_value(c);
            if (v.at(j) < 0) {
                return std::nullopt;
            }
        }
        const auto n = (static_cast<std::uint32_t>(v[0]) << 18U) |
                       (static_cast<std::uint32_t>(v[1]) << 12U) |
                       (static_cast<std::uint32_t>(v[2]) << 6U) | static_cast<std::uint32_t>(v[3]);
        out += static_cast<char>((n >> 16U) & 0xFFU);
        if (padding < 2) {
            out += static_cast<char>((n >> 8U) & 0xFFU);
        }
        if (padding < 1) {
            out += static_cast<char>(n & 0xFFU);
        }
    }
    return out;
}

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> buffer(bytes);
    if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return to_hex(buffer.data(), buffer.size());
}

void RsaKey::KeyDeleter::operator()(evp_pkey_st* key) const {
    EVP_PKEY_free(key);
}

RsaKey RsaKey::generate(int bits) {
    EVP_PKEY* key = EVP_RSA_gen(static_cast<unsigned int>(bits));
    if (key == nullptr) {
        throw std::runtime_error("RSA key generation failed");
    }
    return RsaKey{key};
}

std::optional<RsaKey> RsaKey::from_private_pem(std::string_view pem) {
    const BioPtr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
    if (!bio) {
        return std::nullopt;
    }
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (key == nullptr) {
        return std::nullopt;
    }
    RsaKey out{key};
    if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
        return std::nullopt;
    }
    return out;
}

std::string RsaKey::public_pem() const {
    const BioPtr bio{BIO_new(BIO_s_mem())};
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
        throw std::runtime_error("cannot write the public key");
    }
    return bio_text(bio.get());
}

std::string RsaKey::private_pem() const {
    const BioPtr bio{BIO_new(BIO_s_mem())};
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
            1) {
        throw std::runtime_error("cannot write the private key");
    }
    return bio_text(bio.get());
}

std::optional<std::string> RsaKey::decrypt(std::string_view ciphertext) const {
    const CtxPtr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr)};
    if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
        return std::nullopt;
    }
    const auto* in = reinterpret_cast<const unsigned char*>(ciphertext.data()  // NOLINT
    );
    std::size_t size = 0;
    if (EVP_PKEY_decrypt(ctx.get(), nullptr, &size, in, ciphertext.size()) != 1) {
        return std::nullopt;
    }
    std::vector<unsigned char> out(size);
    if (EVP_PKEY_decrypt(ctx.get(), out.data(), &size, in, ciphertext.size()) != 1) {
        return std::nullopt;
    }
    return std::string(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
}

std::string RsaKey::encrypt(std::string_view plaintext) const {
    const CtxPtr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr)};
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
        throw std::runtime_error("RSA encryption setup failed");
    }
    const auto* in = reinterpret_cast<const unsigned char*>(plaintext.data()  // NOLINT
    );
    std::size_t size = 0;
    if (EVP_PKEY_encrypt(ctx.get(), nullptr, &size, in, plaintext.size()) != 1) {
        throw std::runtime_error("RSA encryption failed");
    }
    std::vector<unsigned char> out(size);
    if (EVP_PKEY_encrypt(ctx.get(), out.data(), &size, in, plaintext.size()) != 1) {
        throw std::runtime_error("RSA encryption failed");
    }
    return std::string(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
}

std::optional<std::string> RsaKey::decrypt_bearer(std::string_view bearer) const {
    const auto ciphertext = base64_decode(bearer);
    if (!ciphertext) {
        return std::nullopt;
    }
    return decrypt(*ciphertext);
}

}  // namespace chelete::simulators
