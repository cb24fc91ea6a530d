// The external anchor's text form: `chelete ledger verify --expect-head <seq>:<digest>` takes a
// batch number and the 64 hex digits `ledger.batch_committed` publishes.
#include <cctype>
#include <string>

#include <gtest/gtest.h>

#include <chelete/ledger/verify.hpp>

namespace chelete::ledger {
namespace {

const std::string kHex = "00ff10a0b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c";

TEST(BatchHeadTest, DigestHexRoundTrips) {
    const auto digest = parse_digest_hex(kHex);
    ASSERT_TRUE(digest.has_value());
    EXPECT_EQ((*digest)[0], 0x00);
    EXPECT_EQ((*digest)[1], 0xff);
    EXPECT_EQ((*digest)[31], 0x6c);
    EXPECT_EQ(digest_hex(*digest), kHex);
    std::string upper = kHex;
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    EXPECT_EQ(parse_digest_hex(upper), digest) << "either case is read";
}

TEST(BatchHeadTest, ParsesSeqColonDigestAndNothingElse) {
    const auto head = parse_batch_head("42:" + kHex);
    ASSERT_TRUE(head.has_value());
    EXPECT_EQ(head->seq, 42U);
    EXPECT_EQ(digest_hex(head->digest), kHex);
    EXPECT_EQ(parse_batch_head("9223372036854775807:" + kHex)->seq, 9223372036854775807ULL)
        << "the largest bigint";
    for (const std::string& bad :
         {std::string{""},
          ":" + kHex,
          "0:" + kHex,
          "-1:" + kHex,
          "+1:" + kHex,
          "1x:" + kHex,
          " 1:" + kHex,
          "9223372036854775808:" + kHex,
          "18446744073709551616:" + kHex,
          "1:" + kHex.substr(1),
          "1:" + kHex + "0",
          "1:" + kHex.substr(0, 63) + "g",
          "1 " + kHex,
          "1:" + kHex + ":2",
          kHex}) {
        EXPECT_FALSE(parse_batch_head(bad).has_value()) << "'" << bad << "'";
    }
}

}  // namespace
}  // namespace chelete::ledger
