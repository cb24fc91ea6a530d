#include <gtest/gtest.h>

#include <chelete/mobile_money/partner.hpp>

namespace chelete::mobile_money {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

constexpr std::string_view kSecret = "callback-secret";
constexpr std::string_view kBody =
    R"({"clientCorrelator":"R1","transactionOperationStatus":"COMPLETED"})";
const TimePoint kNow{std::chrono::seconds{1795000000}};

SignatureCheck check(
    std::string_view timestamp,
    std::string_view signature,
    std::string_view body = kBody,
    TimePoint now = kNow,
    std::string_view secret = kSecret
) {
    return verify_callback_signature(secret, timestamp, signature, body, now, 300s);
}

TEST(CallbackSignature, MatchesTheContractsConstruction) {
    // HMAC-SHA256("key", "1.x"), computed independently: printf 1.x | openssl dgst -sha256 -hmac
    // key
    EXPECT_EQ(
        sign_callback("key", "1", "x"),
        "v1=fc4913c41a7bf793267e2a384f3261c9436ec2cd097bd745e7b0d99113f510ec"
    );
    const std::string signature = sign_callback(kSecret, "1795000000", kBody);
    EXPECT_EQ(signature.size(), 3U + 64U);
    EXPECT_EQ(signature.substr(0, 3), "v1=");
    EXPECT_EQ(signature.find_first_not_of("0123456789abcdef", 3), std::string::npos);
}

TEST(CallbackSignature, AGoodSignatureWithinTheWindowIsOk) {
    const std::string signature = sign_callback(kSecret, "1795000000", kBody);
    EXPECT_EQ(check("1795000000", signature), SignatureCheck::kOk);
    EXPECT_EQ(check("1795000000", signature, kBody, kNow + 300s), SignatureCheck::kOk);
    EXPECT_EQ(check("1795000000", signature, kBody, kNow - 300s), SignatureCheck::kOk);
}

TEST(CallbackSignature, AnOldTimestampIsStale) {
    const std::string signature = sign_callback(kSecret, "1795000000", kBody);
    EXPECT_EQ(check("1795000000", signature, kBody, kNow + 301s), SignatureCheck::kStale);
    EXPECT_EQ(check("1795000000", signature, kBody, kNow + 24h), SignatureCheck::kStale);
}

TEST(CallbackSignature, AFutureTimestampIsStaleToo) {
    const std::string signature = sign_callback(kSecret, "1795000000", kBody);
    EXPECT_EQ(check("1795000000", signature, kBody, kNow - 301s), SignatureCheck::kStale);
}

TEST(CallbackSignature, AnyChangeIsAMismatch) {
    const std::string signature = sign_callback(kSecret, "1795000000", kBody);
    std::string body{kBody};
    body.replace(body.find("COMPLETED"), 9, "FAILED___");
    EXPECT_EQ(check("1795000000", signature, body), SignatureCheck::kMismatch);
    EXPECT_EQ(
        check("1795000000", signature, kBody, kNow, "another-secret"), SignatureCheck::kMismatch
    );
    // The timestamp is signed: moving it into the window breaks the signature.
    EXPECT_EQ(check("1795000001", signature), SignatureCheck::kMismatch);
    std::string flipped = signature;
    flipped.back() = flipped.back() == '0' ? '1' : '0';
    EXPECT_EQ(check("1795000000", flipped), SignatureCheck::kMismatch);
    EXPECT_EQ(check("1795000000", signature, std::string{kBody} + " "), SignatureCheck::kMismatch);
}

TEST(CallbackSignature, AnEmptySecretNeverVerifies) {
    const std::string signature = sign_callback("", "1795000000", kBody);
    EXPECT_EQ(check("1795000000", signature, kBody, kNow, ""), SignatureCheck::kMismatch);
}

TEST(CallbackSignature, MissingHeaders) {
    const std::string signature = sign_callback(kSecret, "1795000000", kBody);
    EXPECT_EQ(check("", signature), SignatureCheck::kMissing);
    EXPECT_EQ(check("1795000000", ""), SignatureCheck::kMissing);
    EXPECT_EQ(check("", ""), SignatureCheck::kMissing);
}

TEST(CallbackSignature, MalformedHeaders) {
    const std::string signature = sign_callback(kSecret, "1795000000", kBody);
    const std::string hex = signature.substr(3);
    for (const char* timestamp :
         {"-1795000000",
          "+1795000000",
          "1795000000.5",
          "17950000x0",
          " 1795000000",
          "1795000000 ",
          "0x6afc",
          "1795000000000000"}) {
        EXPECT_EQ(check(timestamp, signature), SignatureCheck::kMalformed) << timestamp;
    }
    std::string upper = hex;
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    for (const std::string& bad :
         {hex,
          "v2=" + hex,
          "v1=" + hex.substr(2),
          "v1=" + hex + "00",
          "V1=" + hex,
          "v1=" + upper,
          "v1=" + hex.substr(0, 62) + "zz",
          "v1= " + hex.substr(1),
          "v1=" + hex + ",v1=" + hex}) {
        EXPECT_EQ(check("1795000000", bad), SignatureCheck::kMalformed) << bad;
    }
}

}  // namespace
}  // namespace chelete::mobile_money
