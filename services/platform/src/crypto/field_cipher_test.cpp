#include <cctype>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/field_cipher.hpp>

namespace chelete::platform::crypto {
namespace {

constexpr std::string_view kAad = "workers.national_id:wrk_01";
const std::string kHexOld = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kHexNew = "f0e0d0c0b0a090807060504030201000ffeeddccbbaa99887766554433221100";

FieldKey key(const std::string& id, const std::string& hex) {
    return FieldKey{id, from_hex(hex).value()};
}

// Flips one bit of the decoded body at `offset` and re-encodes the envelope.
std::string flip_body_bit(const std::string& envelope, std::size_t offset) {
    const auto dot = envelope.rfind('.');
    std::string body = base64url_decode(envelope.substr(dot + 1)).value();
    body.at(offset) = static_cast<char>(body.at(offset) ^ 0x01);
    return envelope.substr(0, dot + 1) + base64url_encode(body);
}

TEST(FieldCipherTest, RoundTripsAndNamesItsKey) {
    const FieldCipher cipher({key("k1", kHexOld)});
    const std::string envelope = cipher.encrypt("AB123456", kAad);
    EXPECT_EQ(envelope.rfind("v1.k1.", 0), 0U) << envelope;
    EXPECT_EQ(envelope.find("AB123456"), std::string::npos);
    EXPECT_EQ(cipher.decrypt(envelope, kAad), "AB123456");
    EXPECT_EQ(FieldCipher::key_id_of(envelope), "k1");
    EXPECT_EQ(cipher.current_key_id(), "k1");
}

TEST(FieldCipherTest, RoundTripsEmptyAndBinaryValues) {
    const FieldCipher cipher({key("k1", kHexOld)});
    EXPECT_EQ(cipher.decrypt(cipher.encrypt("", kAad), kAad), "");
    const std::string binary("\x00\xff\x10\x00", 4);
    EXPECT_EQ(cipher.decrypt(cipher.encrypt(binary, ""), ""), binary);
    const std::string large(100'000, 'x');
    EXPECT_EQ(cipher.decrypt(cipher.encrypt(large, kAad), kAad), large);
}

TEST(FieldCipherTest, UsesAFreshNonceEachTime) {
    const FieldCipher cipher({key("k1", kHexOld)});
    const std::string first = cipher.encrypt("AB123456", kAad);
    const std::string second = cipher.encrypt("AB123456", kAad);
    EXPECT_NE(first, second);
    const auto nonce = [](const std::string& envelope) {
        return base64url_decode(envelope.substr(envelope.rfind('.') + 1))
            .value()
            .substr(0, FieldCipher::kNonceBytes);
    };
    EXPECT_NE(nonce(first), nonce(second));
    EXPECT_EQ(cipher.decrypt(first, kAad), cipher.decrypt(second, kAad));
}

TEST(FieldCipherTest, RefusesWrongAssociatedData) {
    const FieldCipher cipher({key("k1", kHexOld)});
    const std::string envelope = cipher.encrypt("AB123456", kAad);
    EXPECT_FALSE(cipher.decrypt(envelope, "workers.national_id:wrk_02").has_value());
    EXPECT_FALSE(cipher.decrypt(envelope, "").has_value());
    const std::string without_aad = cipher.encrypt("AB123456", "");
    EXPECT_FALSE(cipher.decrypt(without_aad, kAad).has_value());
}

TEST(FieldCipherTest, RefusesAFlippedBitInNonceCiphertextOrTag) {
    const FieldCipher cipher({key("k1", kHexOld)});
    const std::string envelope = cipher.encrypt("AB123456", kAad);
    const std::size_t sealed_size = FieldCipher::kNonceBytes + 8 + FieldCipher::kTagBytes;
    for (std::size_t offset = 0; offset < sealed_size; ++offset) {
        EXPECT_FALSE(cipher.decrypt(flip_body_bit(envelope, offset), kAad).has_value())
            << "offset " << offset;
    }
    // The untouched envelope still opens, so the refusals above are the flips' doing.
    EXPECT_EQ(cipher.decrypt(envelope, kAad), "AB123456");
}

TEST(FieldCipherTest, RefusesTruncatedAndMalformedEnvelopes) {
    const FieldCipher cipher({key("k1", kHexOld)});
    const std::string envelope = cipher.encrypt("AB123456", kAad);
    for (std::size_t length = 0; length < envelope.size(); ++length) {
        EXPECT_FALSE(cipher.decrypt(envelope.substr(0, length), kAad).has_value())
            << "length " << length;
    }
    const std::string body = envelope.substr(envelope.rfind('.') + 1);
    for (const std::string& bad : std::vector<std::string>{
             "",
             "v1",
             "v1.",
             "v1.k1.",
             "v1.k1",
             "v2.k1." + body,
             "V1.k1." + body,
             "v1..k1." + body,
             "v1.K1." + body,
             "v1.k1." + body + "=",
             "v1.k1." + body + ".",
             "v1.k1. " + body,
             "v1.k1.AAAA",
             "v1.k1." + base64url_encode(std::string(27, 'a')),
         }) {
        EXPECT_FALSE(cipher.decrypt(bad, kAad).has_value()) << bad;
    }
}

TEST(FieldCipherTest, RefusesUnknownKeyId) {
    const FieldCipher sealer({key("k9", kHexOld)});
    const FieldCipher opener({key("k1", kHexOld)});
    // Same key bytes, other id: the id is authenticated, and it is not in the ring anyway.
    EXPECT_FALSE(opener.decrypt(sealer.encrypt("AB123456", kAad), kAad).has_value());
    // The id rewritten to one the ring knows: the authenticated header no longer matches.
    std::string relabelled = sealer.encrypt("AB123456", kAad);
    relabelled.replace(0, 6, "v1.k1.");
    EXPECT_FALSE(opener.decrypt(relabelled, kAad).has_value());
}

TEST(FieldCipherTest, RotationKeepsOldValuesReadableAndReencryptsUnderTheNewKey) {
    const FieldCipher before({key("k1", kHexOld)});
    const std::string old_envelope = before.encrypt("AB123456", kAad);

    const FieldCipher after({key("k2", kHexNew), key("k1", kHexOld)});
    EXPECT_EQ(after.current_key_id(), "k2");
    ASSERT_EQ(after.decrypt(old_envelope, kAad), "AB123456");
    EXPECT_NE(FieldCipher::key_id_of(old_envelope), after.current_key_id());  // to be rotated

    const std::string rotated = after.encrypt(after.decrypt(old_envelope, kAad).value(), kAad);
    EXPECT_EQ(FieldCipher::key_id_of(rotated), "k2");
    EXPECT_EQ(after.decrypt(rotated, kAad), "AB123456");
    // Once k1 is dropped, only the rotated value opens.
    const FieldCipher retired({key("k2", kHexNew)});
    EXPECT_EQ(retired.decrypt(rotated, kAad), "AB123456");
    EXPECT_FALSE(retired.decrypt(old_envelope, kAad).has_value());
    // The old ring cannot read what the new key sealed.
    EXPECT_FALSE(before.decrypt(rotated, kAad).has_value());
}

TEST(FieldCipherTest, KeyIdOfRefusesMalformedEnvelopes) {
    EXPECT_EQ(FieldCipher::key_id_of("v1.k_2-x.AAAA"), "k_2-x");
    EXPECT_FALSE(FieldCipher::key_id_of("v1.k1.").has_value());
    EXPECT_FALSE(FieldCipher::key_id_of("v1.k1").has_value());
    EXPECT_FALSE(FieldCipher::key_id_of("v2.k1.AAAA").has_value());
    EXPECT_FALSE(FieldCipher::key_id_of("v1.ABC.AAAA").has_value());
    EXPECT_FALSE(FieldCipher::key_id_of("v1.abcdefghijklmnopq.AAAA").has_value());
    EXPECT_FALSE(FieldCipher::key_id_of("plain text").has_value());
}

TEST(FieldCipherTest, ParseKeysAcceptsGoodSpecsInOrder) {
    const auto one = FieldCipher::parse_keys("k1:" + kHexOld);
    ASSERT_TRUE(one.ok()) << one.error();
    ASSERT_EQ(one.value().size(), 1U);
    EXPECT_EQ(one.value()[0].id, "k1");
    EXPECT_EQ(one.value()[0].bytes, from_hex(kHexOld).value());

    const auto two = FieldCipher::parse_keys(" k2:" + kHexNew + " , k1:" + kHexOld + "\n");
    ASSERT_TRUE(two.ok()) << two.error();
    ASSERT_EQ(two.value().size(), 2U);
    EXPECT_EQ(two.value()[0].id, "k2");
    EXPECT_EQ(two.value()[1].id, "k1");
    const FieldCipher cipher(two.value());
    EXPECT_EQ(cipher.current_key_id(), "k2");

    std::string upper_hex = kHexNew;
    for (char& c : upper_hex) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    const auto upper = FieldCipher::parse_keys("2024-q1_a:" + upper_hex);
    ASSERT_TRUE(upper.ok()) << upper.error();
    EXPECT_EQ(upper.value()[0].bytes, from_hex(kHexNew).value());
}

TEST(FieldCipherTest, ParseKeysRejectsBadSpecsAndSaysWhy) {
    const auto rejects = [](const std::string& spec, const std::string& reason) {
        const auto parsed = FieldCipher::parse_keys(spec);
        ASSERT_FALSE(parsed.ok()) << spec;
        EXPECT_NE(parsed.error().find(reason), std::string::npos) << parsed.error();
        // Key material never appears in a message that may end up in a log.
        EXPECT_EQ(parsed.error().find("0a0b0c"), std::string::npos) << parsed.error();
        EXPECT_EQ(parsed.error().find("0A0B0C"), std::string::npos) << parsed.error();
    };
    rejects("", "empty");
    rejects("   ", "empty");
    rejects("k1:" + kHexOld.substr(0, 62), "64 hex characters");
    rejects("k1:" + kHexOld + "00", "64 hex characters");
    rejects("k1:" + kHexOld.substr(0, 62) + "zz", "not hexadecimal");
    rejects("k1:" + kHexNew + ",k1:" + kHexOld, "duplicate key id 'k1'");
    rejects("k1:" + kHexOld + ",", "entry 2 is empty");
    rejects("k1:" + kHexOld + ",,k2:" + kHexNew, "entry 2 is empty");
    rejects(kHexOld, "expected <id>:<64 hex chars>");
    rejects(":" + kHexOld, "key id must match");
    rejects("K1:" + kHexOld, "key id must match");
    rejects("k.1:" + kHexOld, "key id must match");
    rejects("abcdefghijklmnopq:" + kHexOld, "key id must match");
    rejects("k1:" + std::string(64, '0'), "all zeros");
    rejects("k1:" + kHexOld.substr(0, 32) + ":" + kHexOld.substr(33), "not hexadecimal");
}

TEST(FieldCipherTest, ConstructorRefusesBadRings) {
    EXPECT_THROW(FieldCipher(std::vector<FieldKey>{}), std::invalid_argument);
    EXPECT_THROW(FieldCipher({FieldKey{"k1", std::string(31, 'k')}}), std::invalid_argument);
    EXPECT_THROW(FieldCipher({FieldKey{"k 1", std::string(32, 'k')}}), std::invalid_argument);
    EXPECT_THROW(
        FieldCipher({FieldKey{"k1", std::string(32, 'k')}, FieldKey{"k1", std::string(32, 'j')}}),
        std::invalid_argument
    );
}

TEST(FieldCipherTest, EncryptRefusesOversizedPlaintext) {
    const FieldCipher cipher({key("k1", kHexOld)});
    EXPECT_THROW(
        (void)cipher.encrypt(std::string(FieldCipher::kMaxPlaintextBytes + 1, 'x'), kAad),
        std::length_error
    );
}

}  // namespace
}  // namespace chelete::platform::crypto
