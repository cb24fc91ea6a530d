#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/result.hpp>

namespace chelete::gateway {

/// Who is calling: the token's subject and role.
struct Principal {
    std::string subject;  // the user's id (worker, beneficiary, staff)
    std::string role;  // worker, beneficiary, agent, ministry_officer, compliance_officer, finance,
                       // admin, partner
    std::int64_t token_version = 0;  // bumped on logout or PIN change to revoke older tokens
    std::string token_id;            // jti

    friend bool operator==(const Principal&, const Principal&) = default;
};

/// The roles of ARCHITECTURE.md; anything else in a token is refused.
[[nodiscard]] bool is_known_role(std::string_view role);

struct TokenKey {
    std::string id;      // kid
    std::string secret;  // at least 32 bytes
};

struct TokenSettings {
    std::string issuer = "chelete";
    std::string audience = "chelete-api";
    std::chrono::seconds lifetime{900};
    std::chrono::seconds leeway{60};  // clock skew tolerated for exp/nbf/iat
    std::size_t max_token_bytes = 4096;
};

enum class TokenError {
    kMalformed,             // not three base64url parts, bad JSON, oversized
    kUnsupportedAlgorithm,  // alg none, RS256, anything but HS256
    kUnknownKey,            // kid not in the local key ring
    kBadSignature,
    kExpired,
    kNotYetValid,
    kWrongIssuer,
    kWrongAudience,
    kBadClaims,  // missing/ill-typed sub, role, exp; unknown role
};

[[nodiscard]] std::string_view to_string(TokenError e);

/// HS256 JSON Web Tokens (RFC 7519) with a local key ring. The algorithm is fixed by the
/// server: the header's `alg` must be exactly HS256, `typ` JWT; `jku`, `x5u`, `jwk`, `crit` are
/// refused; `kid` only selects from the ring. The signature is checked (constant time) before
/// the payload is parsed.
class TokenService {
public:
    /// `keys.front()` signs; every key verifies (rotation: add the new key first, keep the old one
    /// until its tokens have expired).
    TokenService(std::vector<TokenKey> keys, TokenSettings settings, const platform::Clock& clock);

    [[nodiscard]] std::string issue(const Principal& principal) const;
    [[nodiscard]] platform::Result<Principal, TokenError> verify(std::string_view token) const;
    [[nodiscard]] const TokenSettings& settings() const { return settings_; }

private:
    std::vector<TokenKey> keys_;
    TokenSettings settings_;
    const platform::Clock& clock_;
};

}  // namespace chelete::gateway
