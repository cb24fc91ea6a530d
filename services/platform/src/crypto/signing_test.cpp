#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/signing.hpp>

namespace chelete::platform::crypto {
namespace {

// RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte, 0x72).
constexpr std::string_view kSeed1 =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kPublic1 =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kSignature1 =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
    "6bd25bf5f0595bbe24655141438e7a100b";
constexpr std::string_view kSeed2 =
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
constexpr std::string_view kPublic2 =
    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
constexpr std::string_view kSignature2 =
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d"
    "8c387b2eaeb4302aeeb00d291612bb0c00";

constexpr std::string_view kLetter =
    R"({"doc":"permit_status_letter","v":1,"worker":"wrk_01","permit":"valid","until":"2026-06-30"})";

Ed25519Signer signer_from(std::string_view seed_hex) {
    auto signer = Ed25519Signer::from_seed_hex(seed_hex);
    if (!signer.ok()) {
        throw std::runtime_error(signer.error());
    }
    return std::move(signer).value();
}

std::string b64url_of_hex(std::string_view hex) {
    return base64url_encode(from_hex(hex).value());
}

TEST(SigningTest, MatchesRfc8032Vectors) {
    const Ed25519Signer first = signer_from(kSeed1);
    EXPECT_EQ(first.public_key_hex(), kPublic1);
    EXPECT_EQ(first.sign(""), b64url_of_hex(kSignature1));
    EXPECT_TRUE(verify_ed25519(kPublic1, "", b64url_of_hex(kSignature1)));

    const Ed25519Signer second = signer_from(kSeed2);
    EXPECT_EQ(second.public_key_hex(), kPublic2);
    EXPECT_EQ(second.sign("\x72"), b64url_of_hex(kSignature2));
    EXPECT_TRUE(verify_ed25519(kPublic2, "\x72", b64url_of_hex(kSignature2)));
}

TEST(SigningTest, SignsAndVerifiesADocument) {
    const Ed25519Signer signer(random_bytes(Ed25519Signer::kSeedBytes));
    const std::string signature = signer.sign(kLetter);
    EXPECT_EQ(signature.size(), 86U);
    EXPECT_TRUE(verify_ed25519(signer.public_key_hex(), kLetter, signature));
    // Ed25519 is deterministic: the same message signs the same.
    EXPECT_EQ(signer.sign(kLetter), signature);
}

TEST(SigningTest, RefusesTamperedMessageOrSignature) {
    const Ed25519Signer signer = signer_from(kSeed1);
    const std::string signature = signer.sign(kLetter);
    std::string message(kLetter);
    message.replace(message.find("valid"), 5, "VALID");
    EXPECT_FALSE(verify_ed25519(signer.public_key_hex(), message, signature));
    EXPECT_FALSE(verify_ed25519(signer.public_key_hex(), std::string(kLetter) + " ", signature));
    EXPECT_FALSE(verify_ed25519(signer.public_key_hex(), "", signature));

    const std::string raw = base64url_decode(signature).value();
    for (std::size_t offset = 0; offset < raw.size(); ++offset) {
        std::string flipped = raw;
        flipped.at(offset) = static_cast<char>(flipped.at(offset) ^ 0x01);
        EXPECT_FALSE(verify_ed25519(signer.public_key_hex(), kLetter, base64url_encode(flipped)))
            << "offset " << offset;
    }
    EXPECT_TRUE(verify_ed25519(signer.public_key_hex(), kLetter, signature));
}

TEST(SigningTest, RefusesTheWrongKey) {
    const Ed25519Signer signer = signer_from(kSeed1);
    const Ed25519Signer other = signer_from(kSeed2);
    const std::string signature = signer.sign(kLetter);
    EXPECT_FALSE(verify_ed25519(other.public_key_hex(), kLetter, signature));
    EXPECT_FALSE(verify_ed25519(std::string(64, '0'), kLetter, signature));
}

TEST(SigningTest, RefusesBadEncodingsWithoutThrowing) {
    const Ed25519Signer signer = signer_from(kSeed1);
    const std::string key = signer.public_key_hex();
    const std::string signature = signer.sign(kLetter);
    const std::string raw = base64url_decode(signature).value();
    for (const auto& [bad_key, bad_signature] : std::vector<std::pair<std::string, std::string>>{
             {"", signature},
             {key.substr(0, 62), signature},
             {key + "00", signature},
             {"zz" + key.substr(2), signature},
             {key, ""},
             {key, signature.substr(0, 85)},
             {key, signature + "A"},
             {key, signature + "="},
             {key, base64_encode(raw)},  // standard alphabet, padded
             {key, base64url_encode(raw.substr(0, 63))},
             {key, base64url_encode(raw + "x")},
             {key, std::string(86, '*')},
         }) {
        EXPECT_FALSE(verify_ed25519(bad_key, kLetter, bad_signature))
            << bad_key << " " << bad_signature;
    }
}

TEST(SigningTest, SeedFromConfigurationIsChecked) {
    const auto short_seed = Ed25519Signer::from_seed_hex(kSeed1.substr(0, 62));
    ASSERT_FALSE(short_seed.ok());
    EXPECT_NE(short_seed.error().find("64 hex characters"), std::string::npos);
    EXPECT_EQ(short_seed.error().find(kSeed1.substr(0, 8)), std::string::npos);

    const auto not_hex = Ed25519Signer::from_seed_hex("x" + std::string(kSeed1.substr(1)));
    ASSERT_FALSE(not_hex.ok());
    EXPECT_NE(not_hex.error().find("not hexadecimal"), std::string::npos);

    EXPECT_THROW(Ed25519Signer(std::string(31, 's')), std::invalid_argument);
    EXPECT_THROW(Ed25519Signer(std::string(33, 's')), std::invalid_argument);
}

}  // namespace
}  // namespace chelete::platform::crypto
