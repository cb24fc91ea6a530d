#include "adapters/rsa_encryptor.hpp"

#include <memory>
#include <set>
#include <stdexcept>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace chelete::mobile_money::crypto {
namespace {

struct Key {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey{nullptr, EVP_PKEY_free};
    std::string public_pem;
};

Key make_key() {
    Key key;
    key.pkey.reset(EVP_RSA_gen(2048));
    std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new(BIO_s_mem()), BIO_free};
    PEM_write_bio_PUBKEY(bio.get(), key.pkey.get());
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    key.public_pem.assign(data, static_cast<std::size_t>(length));
    return key;
}

std::string decode_base64(const std::string& text) {
    std::string out(text.size(), '\0');
    const int n = EVP_DecodeBlock(
        reinterpret_cast<unsigned char*>(out.data()),         // NOLINT
        reinterpret_cast<const unsigned char*>(text.data()),  // NOLINT
        static_cast<int>(text.size())
    );
    out.resize(
        static_cast<std::size_t>(n) - (text.size() >= 2 && text.ends_with("==") ? 2
                                       : text.ends_with("=")                    ? 1
                                                                                : 0)
    );
    return out;
}

std::string decrypt(EVP_PKEY* key, const std::string& ciphertext) {
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx{
        EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr), EVP_PKEY_CTX_free};
    EVP_PKEY_decrypt_init(ctx.get());
    EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING);
    std::size_t length = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(ciphertext.data());  // NOLINT
    EVP_PKEY_decrypt(ctx.get(), nullptr, &length, in, ciphertext.size());
    std::string out(length, '\0');
    if (EVP_PKEY_decrypt(
            ctx.get(),
            reinterpret_cast<unsigned char*>(out.data()),
            &length,
            in,
            ciphertext.size()  // NOLINT
        ) != 1) {
        return "<decryption failed>";
    }
    out.resize(length);
    return out;
}

TEST(RsaEncryptor, EncryptsWithPkcs1V15ForTheHolderOfThePrivateKey) {
    const Key key = make_key();
    const RsaEncryptor encryptor{key.public_pem};
    const std::string first = encryptor.encrypt_base64("api-key-123");
    const std::string second = encryptor.encrypt_base64("api-key-123");
    EXPECT_NE(first, second) << "PKCS#1 v1.5 padding is random: ciphertexts must differ";
    EXPECT_EQ(first.size(), 344U) << "2048-bit ciphertext, base64";
    EXPECT_EQ(decrypt(key.pkey.get(), decode_base64(first)), "api-key-123");
    EXPECT_EQ(decrypt(key.pkey.get(), decode_base64(second)), "api-key-123");
}

TEST(RsaEncryptor, AcceptsTheBareBase64KeyThePortalShows) {
    const Key key = make_key();
    std::string bare;
    std::string line;
    for (std::size_t i = 0; i < key.public_pem.size(); ++i) {
        const char c = key.public_pem[i];
        if (c == '\n') {
            if (line.rfind("-----", 0) != 0) {
                bare += line;
            }
            line.clear();
        } else {
            line.push_back(c);
        }
    }
    const RsaEncryptor encryptor{bare};
    EXPECT_EQ(decrypt(key.pkey.get(), decode_base64(encryptor.encrypt_base64("s"))), "s");
}

TEST(RsaEncryptor, RefusesWhatIsNotAnRsaPublicKey) {
    EXPECT_THROW(RsaEncryptor{""}, std::invalid_argument);
    EXPECT_THROW(RsaEncryptor{"not a key"}, std::invalid_argument);
    EXPECT_THROW(
        RsaEncryptor{"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
        std::invalid_argument
    );
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ec{
        EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free};
    std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new(BIO_s_mem()), BIO_free};
    PEM_write_bio_PUBKEY(bio.get(), ec.get());
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    EXPECT_THROW(
        RsaEncryptor{std::string(data, static_cast<std::size_t>(length))}, std::invalid_argument
    );
}

TEST(Base64, StandardAlphabetWithPadding) {
    EXPECT_EQ(base64(""), "");
    EXPECT_EQ(base64("f"), "Zg==");
    EXPECT_EQ(base64("fo"), "Zm8=");
    EXPECT_EQ(base64("foo"), "Zm9v");
    EXPECT_EQ(base64("chelete:s3cret"), "Y2hlbGV0ZTpzM2NyZXQ=");
    EXPECT_EQ(base64(std::string("\xfb\xff", 2)), "+/8=");
}

TEST(RandomHexId, IsThirtyTwoLowerHexAndUnique) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const std::string id = random_hex_id();
        EXPECT_EQ(id.size(), 32U);
        EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 100U);
}

}  // namespace
}  // namespace chelete::mobile_money::crypto
