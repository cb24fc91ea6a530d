#include <algorithm>
#include <array>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include <chelete/gateway/jwt.hpp>
#include <chelete/platform/crypto.hpp>
#include <chelete/platform/random_ids.hpp>

namespace chelete::gateway {
namespace {

using nlohmann::json;
using platform::err;

std::optional<json> parse_object(std::string_view text) {
    auto parsed = json::parse(text.begin(), text.end(), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        return std::nullopt;
    }
    return parsed;
}

std::string sign(std::string_view secret, std::string_view signing_input) {
    const auto mac = platform::crypto::hmac_sha256(secret, signing_input);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the digest's bytes as chars
    const std::string_view bytes{reinterpret_cast<const char*>(mac.data()), mac.size()};
    return platform::crypto::base64url_encode(bytes);
}

/// A NumericDate claim: an integer number of seconds (fractions are refused).
std::optional<std::int64_t> numeric_date(const json& claims, const char* name) {
    const auto it = claims.find(name);
    if (it == claims.end() || !it->is_number_integer()) {
        return std::nullopt;
    }
    return it->get<std::int64_t>();
}

}  // namespace

bool is_known_role(std::string_view role) {
    constexpr std::array<std::string_view, 8> kRoles{
        "worker",
        "beneficiary",
        "agent",
        "ministry_officer",
        "compliance_officer",
        "finance",
        "admin",
        "partner"};
    return std::ranges::find(kRoles, role) != kRoles.end();
}

std::string_view to_string(TokenError e) {
    switch (e) {
        case TokenError::kMalformed:
            return "the token is malformed";
        case TokenError::kUnsupportedAlgorithm:
            return "the token's algorithm is not accepted";
        case TokenError::kUnknownKey:
            return "the token's key is unknown";
        case TokenError::kBadSignature:
            return "the token's signature is invalid";
        case TokenError::kExpired:
            return "the token has expired";
        case TokenError::kNotYetValid:
            return "the token is not valid yet";
        case TokenError::kWrongIssuer:
            return "the token was not issued by this service";
        case TokenError::kWrongAudience:
            return "the token is not meant for this service";
        case TokenError::kBadClaims:
            return "the token's claims are incomplete";
    }
    return "the token is invalid";
}

TokenService::TokenService(
    std::vector<TokenKey> keys, TokenSettings settings, const platform::Clock& clock
)
    : keys_(std::move(keys)), settings_(std::move(settings)), clock_(clock) {
    if (keys_.empty()) {
        throw std::invalid_argument("TokenService needs at least one key");
    }
    for (const auto& k : keys_) {
        if (k.secret.size() < 32 || k.id.empty()) {
            throw std::invalid_argument(
                "token key '" + k.id + "' must have an id and a secret of at least 32 bytes"
            );
        }
    }
}

std::string TokenService::issue(const Principal& principal) const {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    const json header{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", keys_.front().id}};
    const json claims{
        {"iss", settings_.issuer},
        {"aud", settings_.audience},
        {"sub", principal.subject},
        {"role", principal.role},
        {"ver", principal.token_version},
        {"jti", principal.token_id.empty() ? platform::new_uuid() : principal.token_id},
        {"iat", now},
        {"nbf", now},
        {"exp", now + settings_.lifetime.count()}};
    const std::string input = platform::crypto::base64url_encode(header.dump()) + "." +
                              platform::crypto::base64url_encode(claims.dump());
    return input + "." + sign(keys_.front().secret, input);
}

platform::Result<Principal, TokenError> TokenService::verify(std::string_view token) const {
    if (token.empty() || token.size() > settings_.max_token_bytes) {
        return err(TokenError::kMalformed);
    }
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
        return err(TokenError::kMalformed);
    }
    const auto header_text = platform::crypto::base64url_decode(token.substr(0, first));
    if (!header_text) {
        return err(TokenError::kMalformed);
    }
    const auto header = parse_object(*header_text);
    if (!header) {
        return err(TokenError::kMalformed);
    }
    const auto alg = header->find("alg");
    if (alg == header->end() || !alg->is_string() || alg->get<std::string>() != "HS256") {
        return err(TokenError::kUnsupportedAlgorithm);
    }
    const auto typ = header->find("typ");
    if (typ != header->end() && (!typ->is_string() || typ->get<std::string>() != "JWT")) {
        return err(TokenError::kMalformed);
    }
    for (const char* forbidden : {"jku", "x5u", "jwk", "x5c", "crit"}) {
        if (header->contains(forbidden)) {
            return err(TokenError::kMalformed);
        }
    }
    const TokenKey* key = &keys_.front();
    if (const auto kid = header->find("kid"); kid != header->end()) {
        if (!kid->is_string()) {
            return err(TokenError::kMalformed);
        }
        key = nullptr;
        for (const auto& k : keys_) {
            if (k.id == kid->get<std::string>()) {
                key = &k;
            }
        }
        if (key == nullptr) {
            return err(TokenError::kUnknownKey);
        }
    }
    const auto signing_input = token.substr(0, second);
    const auto given = token.substr(second + 1);
    if (!platform::crypto::constant_time_equal(sign(key->secret, signing_input), given)) {
        return err(TokenError::kBadSignature);
    }
    const auto payload_text =
        platform::crypto::base64url_decode(token.substr(first + 1, second - first - 1));
    if (!payload_text) {
        return err(TokenError::kMalformed);
    }
    const auto claims = parse_object(*payload_text);
    if (!claims) {
        return err(TokenError::kMalformed);
    }
    const auto iss = claims->find("iss");
    if (iss == claims->end() || !iss->is_string() || iss->get<std::string>() != settings_.issuer) {
        return err(TokenError::kWrongIssuer);
    }
    const auto aud = claims->find("aud");
    bool audience_ok = false;
    if (aud != claims->end() && aud->is_string()) {
        audience_ok = aud->get<std::string>() == settings_.audience;
    } else if (aud != claims->end() && aud->is_array()) {
        for (const auto& a : *aud) {
            audience_ok =
                audience_ok || (a.is_string() && a.get<std::string>() == settings_.audience);
        }
    }
    if (!audience_ok) {
        return err(TokenError::kWrongAudience);
    }
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    const auto leeway = settings_.leeway.count();
    const auto exp = numeric_date(*claims, "exp");
    if (!exp) {
        return err(TokenError::kBadClaims);
    }
    if (now > *exp + leeway) {
        return err(TokenError::kExpired);
    }
    if (claims->contains("nbf")) {
        const auto nbf = numeric_date(*claims, "nbf");
        if (!nbf) {
            return err(TokenError::kBadClaims);
        }
        if (*nbf > now + leeway) {
            return err(TokenError::kNotYetValid);
        }
    }
    if (claims->contains("iat")) {
        const auto iat = numeric_date(*claims, "iat");
        if (!iat || *iat > now + leeway) {
            return err(TokenError::kBadClaims);
        }
    }
    const auto sub = claims->find("sub");
    const auto role = claims->find("role");
    if (sub == claims->end() || !sub->is_string() || sub->get<std::string>().empty() ||
        sub->get<std::string>().size() > 128 || role == claims->end() || !role->is_string() ||
        !is_known_role(role->get<std::string>())) {
        return err(TokenError::kBadClaims);
    }
    Principal p;
    p.subject = sub->get<std::string>();
    p.role = role->get<std::string>();
    if (const auto ver = claims->find("ver"); ver != claims->end()) {
        if (!ver->is_number_integer()) {
            return err(TokenError::kBadClaims);
        }
        p.token_version = ver->get<std::int64_t>();
    }
    if (const auto jti = claims->find("jti"); jti != claims->end() && jti->is_string()) {
        p.token_id = jti->get<std::string>();
    }
    return p;
}

}  // namespace chelete::gateway
