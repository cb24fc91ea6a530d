#include <limits>
#include <stdexcept>

#include <gtest/gtest.h>

#include <chelete/mobile_money/partner.hpp>

namespace chelete::mobile_money {
namespace {

TEST(WireAmount, ParsesTwoDecimalsToMinorUnits) {
    EXPECT_EQ(parse_wire_amount("10.00"), 1000);
    EXPECT_EQ(parse_wire_amount("0.01"), 1);
    EXPECT_EQ(parse_wire_amount("0.00"), 0);
    EXPECT_EQ(parse_wire_amount("1234567.89"), 123456789);
    EXPECT_EQ(parse_wire_amount("92233720368547758.07"), std::numeric_limits<std::int64_t>::max());
}

TEST(WireAmount, RefusesEveryOtherShape) {
    for (const char* bad :
         {"",
          "10",
          "10.0",
          "10.000",
          ".50",
          "10.",
          "-10.00",
          "+10.00",
          " 10.00",
          "10.00 ",
          "010.00",
          "1e3",
          "1e3.00",
          "10,00",
          "10.0a",
          "1.5e1",
          "NaN",
          "92233720368547758.08",
          "99999999999999999999.00"}) {
        EXPECT_EQ(parse_wire_amount(bad), std::nullopt) << bad;
    }
}

TEST(WireAmount, FormatsMinorUnitsAndRoundTrips) {
    EXPECT_EQ(format_wire_amount(1000), "10.00");
    EXPECT_EQ(format_wire_amount(5), "0.05");
    EXPECT_EQ(format_wire_amount(0), "0.00");
    for (const std::int64_t minor :
         {std::int64_t{1},
          std::int64_t{99},
          std::int64_t{100},
          std::int64_t{123456789},
          std::numeric_limits<std::int64_t>::max()}) {
        EXPECT_EQ(parse_wire_amount(format_wire_amount(minor)), minor);
    }
    EXPECT_THROW((void)format_wire_amount(-1), std::invalid_argument);
}

TEST(PartnerNames, RoundTripAndRefuseUnknown) {
    for (const auto partner : {PartnerId::kMpesa, PartnerId::kEcocash}) {
        EXPECT_EQ(partner_from_string(to_string(partner)), partner);
    }
    EXPECT_EQ(partner_from_string("MPESA"), std::nullopt);
    EXPECT_EQ(partner_from_string(""), std::nullopt);
    EXPECT_EQ(to_string(SignatureCheck::kStale), "stale");
    EXPECT_EQ(to_string(SignatureCheck::kOk), "ok");
}

}  // namespace
}  // namespace chelete::mobile_money
