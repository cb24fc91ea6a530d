// Callback authentication (the partner contract): HMAC-SHA256(secret, "<timestamp>." + raw body)
// in X-Chelete-Signature as "v1=<64 lower-case hex>", with X-Chelete-Timestamp in unix seconds.
#include <array>
#include <charconv>
#include <cstdint>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chelete/mobile_money/partner.hpp>

namespace chelete::mobile_money {
namespace {

constexpr std::string_view kVersionPrefix = "v1=";
constexpr std::size_t kDigestBytes = 32;
// Unix seconds fit in 12 digits until the year 33658; longer is not a timestamp.
constexpr std::size_t kMaxTimestampDigits = 12;

using Digest = std::array<unsigned char, kDigestBytes>;

Digest hmac(std::string_view secret, std::string_view timestamp, std::string_view body) {
    std::string message;
    message.reserve(timestamp.size() + 1 + body.size());
    message.append(timestamp).append(".").append(body);
    Digest digest{};
    unsigned int length = 0;
    const unsigned char* ok = HMAC(
        EVP_sha256(),
        secret.data(),
        static_cast<int>(secret.size()),
        reinterpret_cast<const unsigned char*>(message.data()),  // NOLINT
        message.size(),
        digest.data(),
        &length
    );
    if (ok == nullptr || length != kDigestBytes) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return digest;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;  // upper case is not the documented form
}

}  // namespace

std::string sign_callback(
    std::string_view secret, std::string_view timestamp, std::string_view raw_body
) {
    static constexpr std::string_view kHex = "0123456789abcdef";
    const Digest digest = hmac(secret, timestamp, raw_body);
    std::string out{kVersionPrefix};
    for (const unsigned char byte : digest) {
        out.push_back(kHex[byte >> 4U]);
        out.push_back(kHex[byte & 0x0fU]);
    }
    return out;
}

SignatureCheck verify_callback_signature(
    std::string_view secret,
    std::string_view timestamp_header,
    std::string_view signature_header,
    std::string_view raw_body,
    std::chrono::system_clock::time_point now,
    std::chrono::seconds window
) {
    if (timestamp_header.empty() || signature_header.empty()) {
        return SignatureCheck::kMissing;
    }
    std::int64_t timestamp = 0;
    const auto* end = timestamp_header.data() + timestamp_header.size();
    const auto [stop, ec] = std::from_chars(timestamp_header.data(), end, timestamp);
    if (ec != std::errc{} || stop != end || timestamp_header.size() > kMaxTimestampDigits ||
        timestamp_header.front() < '0' || timestamp_header.front() > '9') {
        return SignatureCheck::kMalformed;
    }
    if (signature_header.size() != kVersionPrefix.size() + 2 * kDigestBytes ||
        signature_header.substr(0, kVersionPrefix.size()) != kVersionPrefix) {
        return SignatureCheck::kMalformed;
    }
    Digest given{};
    const std::string_view hex = signature_header.substr(kVersionPrefix.size());
    for (std::size_t i = 0; i < kDigestBytes; ++i) {
        const int high = hex_value(hex[2 * i]);
        const int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) {
            return SignatureCheck::kMalformed;
        }
        given[i] = static_cast<unsigned char>(high * 16 + low);
    }
    // Both directions: a timestamp from the future is as suspect as an old one.
    const std::int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::int64_t skew = now_s > timestamp ? now_s - timestamp : timestamp - now_s;
    if (skew > window.count()) {
        return SignatureCheck::kStale;
    }
    if (secret.empty()) {
        // No configured secret must never mean "anything goes".
        return SignatureCheck::kMismatch;
    }
    const Digest expected = hmac(secret, timestamp_header, raw_body);
    if (CRYPTO_memcmp(expected.data(), given.data(), kDigestBytes) != 0) {
        return SignatureCheck::kMismatch;
    }
    return SignatureCheck::kOk;
}

}  // namespace chelete::mobile_money
