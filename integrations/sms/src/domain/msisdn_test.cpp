#include "domain/msisdn.hpp"

#include <gtest/gtest.h>

namespace chelete::sms {
namespace {

TEST(MsisdnTest, AcceptsCorridorNumbersWithOrWithoutPlus) {
    EXPECT_EQ(normalize_msisdn("+26658123456"), "+26658123456");
    EXPECT_EQ(normalize_msisdn("26658123456"), "+26658123456");
    EXPECT_EQ(normalize_msisdn("+27821234567"), "+27821234567");
    EXPECT_EQ(gateway_msisdn("+27821234567"), "27821234567");
    EXPECT_EQ(masked_msisdn("+27821234567"), "+2782123****");
}

TEST(MsisdnTest, RefusesEverythingElse) {
    for (const char* bad :
         {"",
          "+",
          "0821234567",
          "+2782123456",
          "+278212345678",
          "+2665812345",
          "+27 821234567",
          "+4478212345",
          "++27821234567",
          "+27821234a67"}) {
        EXPECT_FALSE(normalize_msisdn(bad).has_value()) << bad;
    }
}

}  // namespace
}  // namespace chelete::sms
