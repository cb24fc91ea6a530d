#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <chelete/platform/crypto.hpp>

namespace chelete::platform::crypto {
namespace {

TEST(CryptoTest, Sha256KnownAnswer) {
    EXPECT_EQ(
        sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, HmacSha256Rfc4231Case2) {
    EXPECT_EQ(
        to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

TEST(CryptoTest, Base64UrlRoundTripsAndIsStrict) {
    for (const std::string& s : std::vector<std::string>{
             "", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\xff\xfe\x00\x01", 4)}) {
        EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
    }
    EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
    EXPECT_FALSE(base64url_decode("Zm9v=").has_value());  // padding
    EXPECT_FALSE(base64url_decode("Zm9v+").has_value());  // standard alphabet
    EXPECT_FALSE(base64url_decode("Zg=").has_value());
    EXPECT_FALSE(base64url_decode("Zh").has_value());  // non-canonical tail bits
    EXPECT_FALSE(base64url_decode("Z").has_value());
}

TEST(CryptoTest, Base64StandardWithPadding) {
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_decode("Zm8="), "fo");
    EXPECT_FALSE(base64_decode("Zm8").has_value());
}

TEST(CryptoTest, HexRoundTrip) {
    EXPECT_EQ(from_hex("00ff10"), std::string("\x00\xff\x10", 3));
    EXPECT_FALSE(from_hex("0").has_value());
    EXPECT_FALSE(from_hex("zz").has_value());
}

TEST(CryptoTest, ConstantTimeEqual) {
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "abcd"));
    EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(CryptoTest, NormalizeIdentityNumber) {
    EXPECT_EQ(normalize_identity_number("ab 12-345"), "AB12345");
    EXPECT_EQ(normalize_identity_number(" -Ab-12 34z- "), "AB1234Z");
    EXPECT_EQ(normalize_identity_number("AB12345"), "AB12345");
    EXPECT_EQ(normalize_identity_number(""), "");
    EXPECT_EQ(normalize_identity_number(" - -"), "");
    // Only spaces and dashes go; other punctuation and non-ASCII bytes stay, so they still differ.
    EXPECT_EQ(normalize_identity_number("ab/12.3"), "AB/12.3");
    const std::string e_acute = "\xc3\xa9";
    EXPECT_EQ(normalize_identity_number(e_acute + "a"), e_acute + "A");
}

TEST(CryptoTest, LookupHashIsKeyedHexHmac) {
    const std::string key(32, 'k');
    EXPECT_EQ(
        lookup_hash(key, "AB123456"),
        "1a82bb194f4aebbdb88edf96b06a8f3148f0d9db751e3c4b8a73c2a5e2a9ce15"
    );
    EXPECT_EQ(lookup_hash(key, "AB123456"), to_hex(hmac_sha256(key, "AB123456")));
    // Equal after normalization means equal hashes; another key gives another hash.
    EXPECT_EQ(
        lookup_hash(key, normalize_identity_number("ab 123-456")),
        lookup_hash(key, normalize_identity_number("AB123456"))
    );
    EXPECT_NE(lookup_hash(key, "AB123456"), lookup_hash(std::string(32, 'j'), "AB123456"));
    EXPECT_NE(lookup_hash(key, "AB123456"), sha256_hex("AB123456"));
    EXPECT_THROW((void)lookup_hash(std::string(31, 'k'), "AB123456"), std::invalid_argument);
}

TEST(CryptoTest, RandomBytesDiffer) {
    EXPECT_EQ(random_bytes(32).size(), 32U);
    EXPECT_NE(random_bytes(16), random_bytes(16));
}

}  // namespace
}  // namespace chelete::platform::crypto
