#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chelete/gateway/jwt.hpp>
#include <chelete/platform/crypto.hpp>

namespace chelete::gateway {
namespace {

using nlohmann::json;
using platform::crypto::base64url_encode;

constexpr std::string_view kSecret = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk";  // 40 bytes
constexpr std::string_view kOtherSecret = "oooooooooooooooooooooooooooooooooooooooo";

class JwtTest : public ::testing::Test {
protected:
    platform::ManualClock clock_{platform::from_unix_ms(1'795'000'000'000)};
    TokenService service_{{{"k1", std::string{kSecret}}}, TokenSettings{}, clock_};

    [[nodiscard]] static std::int64_t now() { return 1'795'000'000; }

    [[nodiscard]] static json good_claims() {
        return json{
            {"iss", "chelete"},
            {"aud", "chelete-api"},
            {"sub", "w-1"},
            {"role", "worker"},
            {"iat", now()},
            {"nbf", now()},
            {"exp", now() + 900}};
    }

    static std::string forge(const json& header, const json& claims, std::string_view secret) {
        const std::string input =
            base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
        const auto mac = platform::crypto::hmac_sha256(secret, input);
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the digest's bytes as chars
        const std::string_view bytes{reinterpret_cast<const char*>(mac.data()), mac.size()};
        return input + "." + base64url_encode(bytes);
    }

    static json hs256() { return json{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "k1"}}; }

    [[nodiscard]] TokenError error_of(const std::string& token) const {
        const auto r = service_.verify(token);
        EXPECT_FALSE(r.ok()) << token;
        return r.ok() ? TokenError::kMalformed : r.error();
    }
};

TEST_F(JwtTest, IssuedTokensVerify) {
    const auto token = service_.issue(Principal{"w-1", "worker", 3, ""});
    const auto p = service_.verify(token);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->subject, "w-1");
    EXPECT_EQ(p->role, "worker");
    EXPECT_EQ(p->token_version, 3);
    EXPECT_FALSE(p->token_id.empty());
}

TEST_F(JwtTest, ForgedButCorrectlySignedClaimsVerify) {
    EXPECT_TRUE(service_.verify(forge(hs256(), good_claims(), kSecret)).ok());
}

TEST_F(JwtTest, RefusesAlgNone) {
    const std::string unsigned_token = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                                       base64url_encode(good_claims().dump()) + ".";
    EXPECT_EQ(error_of(unsigned_token), TokenError::kUnsupportedAlgorithm);
    EXPECT_EQ(
        error_of(forge(json{{"alg", "none"}}, good_claims(), kSecret)),
        TokenError::kUnsupportedAlgorithm
    );
    EXPECT_EQ(
        error_of(forge(json{{"alg", "None"}}, good_claims(), kSecret)),
        TokenError::kUnsupportedAlgorithm
    );
}

TEST_F(JwtTest, RefusesOtherAlgorithms) {
    for (const char* alg : {"HS512", "HS384", "RS256", "ES256", "hs256"}) {
        EXPECT_EQ(
            error_of(forge(json{{"alg", alg}, {"typ", "JWT"}}, good_claims(), kSecret)),
            TokenError::kUnsupportedAlgorithm
        ) << alg;
    }
    EXPECT_EQ(
        error_of(forge(json{{"typ", "JWT"}}, good_claims(), kSecret)),
        TokenError::kUnsupportedAlgorithm
    );
}

TEST_F(JwtTest, RefusesABadSignature) {
    EXPECT_EQ(error_of(forge(hs256(), good_claims(), kOtherSecret)), TokenError::kBadSignature);
    auto token = service_.issue(Principal{"w-1", "worker", 0, ""});
    token.back() = token.back() == 'A' ? 'B' : 'A';
    EXPECT_NE(error_of(token), TokenError::kUnsupportedAlgorithm);
}

TEST_F(JwtTest, RefusesATamperedPayload) {
    const auto token = service_.issue(Principal{"w-1", "worker", 0, ""});
    const auto dot1 = token.find('.');
    const auto dot2 = token.find('.', dot1 + 1);
    auto claims = good_claims();
    claims["role"] = "admin";
    const std::string tampered =
        token.substr(0, dot1 + 1) + base64url_encode(claims.dump()) + token.substr(dot2);
    EXPECT_EQ(error_of(tampered), TokenError::kBadSignature);
}

TEST_F(JwtTest, RefusesExpiredAndFutureTokens) {
    auto claims = good_claims();
    claims["exp"] = now() - 61;
    EXPECT_EQ(error_of(forge(hs256(), claims, kSecret)), TokenError::kExpired);
    claims["exp"] = now() - 30;  // within the leeway
    EXPECT_TRUE(service_.verify(forge(hs256(), claims, kSecret)).ok());
    claims = good_claims();
    claims["nbf"] = now() + 120;
    EXPECT_EQ(error_of(forge(hs256(), claims, kSecret)), TokenError::kNotYetValid);
    const auto token = service_.issue(Principal{"w-1", "worker", 0, ""});
    clock_.advance(std::chrono::seconds{900 + 61});
    EXPECT_EQ(error_of(token), TokenError::kExpired);
}

TEST_F(JwtTest, RefusesWrongIssuerAndAudience) {
    auto claims = good_claims();
    claims["iss"] = "someone-else";
    EXPECT_EQ(error_of(forge(hs256(), claims, kSecret)), TokenError::kWrongIssuer);
    claims = good_claims();
    claims.erase("iss");
    EXPECT_EQ(error_of(forge(hs256(), claims, kSecret)), TokenError::kWrongIssuer);
    claims = good_claims();
    claims["aud"] = "other-api";
    EXPECT_EQ(error_of(forge(hs256(), claims, kSecret)), TokenError::kWrongAudience);
    claims["aud"] = json::array({"other-api", "chelete-api"});
    EXPECT_TRUE(service_.verify(forge(hs256(), claims, kSecret)).ok());
}

TEST_F(JwtTest, RefusesMissingOrIllTypedClaims) {
    for (const char* drop : {"sub", "role", "exp"}) {
        auto claims = good_claims();
        claims.erase(drop);
        EXPECT_EQ(error_of(forge(hs256(), claims, kSecret)), TokenError::kBadClaims) << drop;
    }
    auto claims = good_claims();
    claims["role"] = "superuser";
    EXPECT_EQ(error_of(forge(hs256(), claims, kSecret)), TokenError::kBadClaims);
    claims = good_claims();
    claims["exp"] = static_cast<double>(now()) + 0.5;
    EXPECT_EQ(error_of(forge(hs256(), claims, kSecret)), TokenError::kBadClaims);
    claims = good_claims();
    claims["exp"] = std::to_string(now() + 900);
    EXPECT_EQ(error_of(forge(hs256(), claims, kSecret)), TokenError::kBadClaims);
}

TEST_F(JwtTest, KeyIdOnlySelectsFromTheLocalRing) {
    auto header = hs256();
    header["kid"] = "k9";
    EXPECT_EQ(error_of(forge(header, good_claims(), kSecret)), TokenError::kUnknownKey);
    header = hs256();
    header["jku"] = "https://evil.example/keys";
    EXPECT_EQ(error_of(forge(header, good_claims(), kSecret)), TokenError::kMalformed);
    header = hs256();
    header["crit"] = json::array({"exp"});
    EXPECT_EQ(error_of(forge(header, good_claims(), kSecret)), TokenError::kMalformed);
}

TEST_F(JwtTest, RotationKeepsOldTokensValid) {
    const auto old_token = service_.issue(Principal{"w-1", "worker", 0, ""});
    TokenService rotated{
        {{"k2", std::string{kOtherSecret}}, {"k1", std::string{kSecret}}}, TokenSettings{}, clock_};
    EXPECT_TRUE(rotated.verify(old_token).ok());
    const auto new_token = rotated.issue(Principal{"w-1", "worker", 0, ""});
    EXPECT_TRUE(rotated.verify(new_token).ok());
    EXPECT_EQ(error_of(new_token), TokenError::kUnknownKey) << "the old service does not know k2";
}

TEST_F(JwtTest, RefusesMalformedTokens) {
    for (const std::string& bad : std::vector<std::string>{
             "", "a", "a.b", "a.b.c.d", "..", "!!.!!.!!", std::string(5000, 'a')}) {
        EXPECT_EQ(error_of(bad), TokenError::kMalformed) << bad.substr(0, 20);
    }
    // "{}" as the header: well formed, but without the one algorithm we accept.
    EXPECT_EQ(error_of("e30.e30.x"), TokenError::kUnsupportedAlgorithm);
    // Valid base64url, but the header is an array, not an object.
    EXPECT_EQ(
        error_of(base64url_encode("[]") + "." + base64url_encode("{}") + ".x"),
        TokenError::kMalformed
    );
}

TEST_F(JwtTest, ShortSecretsAreRefused) {
    EXPECT_THROW((TokenService{{{"k1", "short"}}, TokenSettings{}, clock_}), std::invalid_argument);
    EXPECT_THROW((TokenService{{}, TokenSettings{}, clock_}), std::invalid_argument);
}

}  // namespace
}  // namespace chelete::gateway
