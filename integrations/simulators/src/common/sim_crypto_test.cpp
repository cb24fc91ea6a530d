#include "common/sim_crypto.hpp"

#include <memory>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "testing/test_keys.hpp"

namespace chelete::simulators {
namespace {

TEST(HmacSha256Hex, MatchesRfc4231TestCase2) {
    EXPECT_EQ(
        hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

TEST(Base64, EncodesAndDecodesRfc4648Vectors) {
    const std::vector<std::pair<std::string, std::string>> vectors{
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64_encode(plain), encoded);
        EXPECT_EQ(base64_decode(encoded), plain);
    }
    const std::string bytes{"\x00\xff\xfe\x80", 4};
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
}

TEST(Base64, RefusesWhatIsNotStrictBase64) {
    for (const char* bad : {"Zg=", "Zg", "Z===", "Zm9v\n", "Zm9-", "Zg==Zg==", "=Zg=", "Zm=v"}) {
        EXPECT_EQ(base64_decode(bad), std::nullopt) << bad;
    }
}

TEST(RandomHex, HasTheAskedLengthAndDiffersEachTime) {
    const auto a = random_hex(16);
    EXPECT_EQ(a.size(), 32U);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(a, random_hex(16));
}

TEST(RsaKey, DecryptsWhatAClientEncryptsWithThePublishedPem) {
    const RsaKey& key = testing::test_rsa_key();
    const std::string pem = key.public_pem();
    ASSERT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----", 0), 0U) << pem;
    // Encrypt as a client would, from the PEM alone, with OpenSSL directly.
    const std::string bearer = testing::encrypt_bearer_with_pem(pem, "my-api-key");
    EXPECT_EQ(key.decrypt_bearer(bearer), "my-api-key");
    EXPECT_EQ(key.decrypt(key.encrypt("x")), "x");
}

TEST(RsaKey, RefusesGarbage) {
    const RsaKey& key = testing::test_rsa_key();
    EXPECT_EQ(key.decrypt_bearer("not base64!"), std::nullopt);
    EXPECT_EQ(key.decrypt_bearer(base64_encode("short")), std::nullopt);
    EXPECT_EQ(key.decrypt(std::string(256, 'x')), std::nullopt);
    EXPECT_EQ(RsaKey::from_private_pem("-----BEGIN PRIVATE KEY-----\nxx\n"), std::nullopt);
    EXPECT_EQ(RsaKey::from_private_pem(key.public_pem()), std::nullopt);
}

TEST(RsaKey, ReloadsFromItsPrivatePem) {
    const RsaKey& key = testing::test_rsa_key();
    const auto reloaded = RsaKey::from_private_pem(key.private_pem());
    ASSERT_TRUE(reloaded.has_value());
    EXPECT_EQ(reloaded->public_pem(), key.public_pem());
    EXPECT_EQ(reloaded->decrypt(key.encrypt("session")), "session");
}

}  // namespace
}  // namespace chelete::simulators
