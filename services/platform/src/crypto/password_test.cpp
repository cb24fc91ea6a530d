#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <chelete/platform/password.hpp>

namespace chelete::platform::crypto {
namespace {

// Small enough to keep the suite fast; production uses the PasswordCost defaults.
constexpr PasswordCost kTestCost{64, 1, 1};

// Made by libargon2's own encoder (argon2id_hash_encoded, t=1, m=64, p=1, salt
// "0123456789abcdef", 32-byte digest), so our parser and verifier read the reference format.
constexpr std::string_view kReferenceHash =
    "$argon2id$v=19$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$aq42HBL+IPAitHspChw/8mx5JRX2jFDkTmlsBskwH/"
    "0";
constexpr std::string_view kReferenceSecret = "correct horse battery staple";

TEST(PasswordHasherTest, DefaultsAreTheOwaspMinimum) {
    const PasswordHasher hasher;
    EXPECT_EQ(hasher.cost().memory_kib, 19456U);
    EXPECT_EQ(hasher.cost().iterations, 2U);
    EXPECT_EQ(hasher.cost().parallelism, 1U);
    const std::string stored = hasher.hash("2580");
    EXPECT_EQ(stored.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0U) << stored;
    EXPECT_TRUE(hasher.verify("2580", stored));
    EXPECT_FALSE(hasher.needs_rehash(stored));
}

TEST(PasswordHasherTest, VerifiesTheRightSecretAndRefusesOthers) {
    const PasswordHasher hasher(kTestCost);
    const std::string stored = hasher.hash("2580");
    EXPECT_TRUE(hasher.verify("2580", stored));
    EXPECT_FALSE(hasher.verify("2581", stored));
    EXPECT_FALSE(hasher.verify("258", stored));
    EXPECT_FALSE(hasher.verify("25800", stored));
    EXPECT_FALSE(hasher.verify("", stored));
    EXPECT_FALSE(hasher.verify(std::string("2580\0", 5), stored));
}

TEST(PasswordHasherTest, ReadsTheReferenceEncoding) {
    const PasswordHasher hasher(kTestCost);
    EXPECT_TRUE(hasher.verify(kReferenceSecret, kReferenceHash));
    EXPECT_FALSE(hasher.verify("correct horse battery stapler", kReferenceHash));
    const auto record = parse_password_hash(kReferenceHash);
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->cost, kTestCost);
    EXPECT_EQ(record->salt, "0123456789abcdef");
    EXPECT_EQ(record->digest.size(), 32U);
    EXPECT_EQ(format_password_hash(*record), kReferenceHash);
}

TEST(PasswordHasherTest, UsesAFreshSaltEachTime) {
    const PasswordHasher hasher(kTestCost);
    const std::string first = hasher.hash("2580");
    const std::string second = hasher.hash("2580");
    EXPECT_NE(first, second);
    const auto first_record = parse_password_hash(first);
    const auto second_record = parse_password_hash(second);
    ASSERT_TRUE(first_record && second_record);
    EXPECT_EQ(first_record->salt.size(), PasswordHasher::kSaltBytes);
    EXPECT_EQ(first_record->digest.size(), PasswordHasher::kDigestBytes);
    EXPECT_NE(first_record->salt, second_record->salt);
    EXPECT_TRUE(hasher.verify("2580", first));
    EXPECT_TRUE(hasher.verify("2580", second));
}

TEST(PasswordHasherTest, RefusesMalformedStoredStrings) {
    const PasswordHasher hasher(kTestCost);
    const std::string good(kReferenceHash);
    const std::string salt = "MDEyMzQ1Njc4OWFiY2RlZg";
    const std::string digest = "aq42HBL+IPAitHspChw/8mx5JRX2jFDkTmlsBskwH/0";
    const auto with = [&](const std::string& params, const std::string& s, const std::string& d) {
        return "$argon2id$v=19$" + params + "$" + s + "$" + d;
    };
    ASSERT_EQ(with("m=64,t=1,p=1", salt, digest), good);
    for (const std::string& bad : std::vector<std::string>{
             "",
             "$",
             "2580",
             "$argon2id$",
             good.substr(0, good.size() - 1),
             good + "!",
             good + "$",
             good + "=",
             "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + digest,
             "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + digest,
             "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + digest,
             "$argon2id$m=64,t=1,p=1$" + salt + "$" + digest,
             with("t=1,m=64,p=1", salt, digest),   // order
             with("m=064,t=1,p=1", salt, digest),  // leading zero
             with("m=+64,t=1,p=1", salt, digest),
             with("m=64,t=0,p=1", salt, digest),
             with("m=64,t=1,p=0", salt, digest),
             with("m=7,t=1,p=1", salt, digest),        // below Argon2's minimum
             with("m=64,t=1,p=9", salt, digest),       // below 8 KiB per lane
             with("m=1048577,t=1,p=1", salt, digest),  // above 1 GiB
             with("m=4294967296,t=1,p=1", salt, digest),
             with("m=64,t=65,p=1", salt, digest),
             with("m=64,t=1,p=1,x=1", salt, digest),
             with("m=64, t=1,p=1", salt, digest),
             with("m=64,t=1,p=1", salt + "==", digest),  // padding
             with("m=64,t=1,p=1", salt, digest + "="),
             with("m=64,t=1,p=1", "MDEyMzQ1Njd", digest),  // 8 bytes, but a non-canonical tail
             with("m=64,t=1,p=1", "MDEyMzQ1Ng", digest),   // salt of 7 bytes
             with("m=64,t=1,p=1", salt, "aq42HBL+IPAitHspChw/8h"),    // 16 bytes, non-canonical
             with("m=64,t=1,p=1", salt, "aq42HBL+IPAitHsp"),          // digest of 12 bytes
             with("m=64,t=1,p=1", "MDEyMzQ1Njc4OWFi-2RlZg", digest),  // base64url alphabet
             with("m=64,t=1,p=1", "", digest),
             with("m=64,t=1,p=1", salt, ""),
         }) {
        EXPECT_FALSE(parse_password_hash(bad).has_value()) << bad;
        EXPECT_FALSE(hasher.verify(kReferenceSecret, bad)) << bad;
        EXPECT_TRUE(hasher.needs_rehash(bad)) << bad;
    }
}

TEST(PasswordHasherTest, NeedsRehashWhenTheCostChanges) {
    const PasswordHasher old_hasher(kTestCost);
    const std::string stored = old_hasher.hash("2580");
    EXPECT_FALSE(old_hasher.needs_rehash(stored));

    for (const PasswordCost& cost :
         std::vector<PasswordCost>{{128, 1, 1}, {64, 2, 1}, {64, 1, 2}}) {
        const PasswordHasher new_hasher(cost);
        EXPECT_TRUE(new_hasher.needs_rehash(stored));
        // The old hash still verifies under the new settings: the stored cost is used.
        EXPECT_TRUE(new_hasher.verify("2580", stored));
        const std::string rehashed = new_hasher.hash("2580");
        EXPECT_FALSE(new_hasher.needs_rehash(rehashed));
        EXPECT_TRUE(old_hasher.needs_rehash(rehashed));
        EXPECT_TRUE(old_hasher.verify("2580", rehashed));
    }
    // Same cost, but the reference hash's 16-byte salt is ours too: nothing to do.
    EXPECT_FALSE(old_hasher.needs_rehash(kReferenceHash));
}

TEST(PasswordHasherTest, RefusesOutOfBoundsCostAndOversizedSecrets) {
    EXPECT_THROW(PasswordHasher(PasswordCost{7, 1, 1}), std::invalid_argument);
    EXPECT_THROW(PasswordHasher(PasswordCost{64, 0, 1}), std::invalid_argument);
    EXPECT_THROW(PasswordHasher(PasswordCost{64, 1, 0}), std::invalid_argument);
    EXPECT_THROW(PasswordHasher(PasswordCost{64, 1, 17}), std::invalid_argument);
    EXPECT_THROW(
        PasswordHasher(PasswordCost{kMaxPasswordMemoryKib + 1, 1, 1}), std::invalid_argument
    );

    const PasswordHasher hasher(kTestCost);
    const std::string longest(PasswordHasher::kMaxSecretBytes, 's');
    const std::string stored = hasher.hash(longest);
    EXPECT_TRUE(hasher.verify(longest, stored));
    EXPECT_FALSE(hasher.verify(longest + "s", stored));
    EXPECT_THROW((void)hasher.hash(longest + "s"), std::invalid_argument);
}

}  // namespace
}  // namespace chelete::platform::crypto
