#include "domain/voucher.hpp"

#include <set>

#include <gtest/gtest.h>

namespace chelete::payout {
namespace {

TEST(VoucherTest, CodesAreTenDigitsWithAValidCheckDigit) {
    for (std::uint64_t r : {0ULL, 1ULL, 123456789ULL, 999999999ULL, 18446744073709551615ULL}) {
        const auto code = voucher_code_from(r);
        EXPECT_EQ(code.size(), 10U) << code;
        EXPECT_TRUE(is_voucher_code(code)) << code;
    }
    EXPECT_EQ(voucher_code_from(7992739871ULL).substr(0, 9), "992739871");  // mod 10^9
}

TEST(VoucherTest, TheCheckDigitIsLuhns) {
    // The textbook example: 7992739871 takes the check digit 3 (so 0799273987 and a check
    // digit is a different number; 012345674 takes 1).
    EXPECT_EQ(voucher_code_from(12345674ULL), "0123456741");
    EXPECT_TRUE(is_voucher_code("0123456741"));
    EXPECT_FALSE(is_voucher_code("0123456749"));
}

TEST(VoucherTest, EverySingleDigitSlipIsCaught) {
    const std::string code = voucher_code_from(987654321ULL);
    for (std::size_t i = 0; i < code.size(); ++i) {
        for (char d = '0'; d <= '9'; ++d) {
            if (d == code[i]) {
                continue;
            }
            std::string slip = code;
            slip[i] = d;
            EXPECT_FALSE(is_voucher_code(slip)) << slip;
        }
    }
}

TEST(VoucherTest, MalformedCodesAreRefused) {
    for (const char* bad :
         {"", "012345674", "01234567410", "01234567a1", " 012345674", "+123456749"}) {
        EXPECT_FALSE(is_voucher_code(bad)) << bad;
    }
}

TEST(VoucherTest, PinsAreSixDigitsKeepingLeadingZeros) {
    EXPECT_EQ(voucher_pin_from(42), "000042");
    EXPECT_EQ(voucher_pin_from(1'999'999), "999999");
    std::set<std::string> seen;
    for (std::uint64_t r = 0; r < 1000; ++r) {
        const auto pin = voucher_pin_from(r * 7919);
        EXPECT_TRUE(is_voucher_pin(pin)) << pin;
        seen.insert(pin);
    }
    EXPECT_EQ(seen.size(), 1000U);
    for (const char* bad : {"", "12345", "1234567", "12a456", "-12345"}) {
        EXPECT_FALSE(is_voucher_pin(bad)) << bad;
    }
}

}  // namespace
}  // namespace chelete::payout
