#include "domain/reports.hpp"

#include <gtest/gtest.h>

namespace chelete::compliance {
namespace {

std::vector<ReportFlag> cross_border(std::int64_t minor) {
    ReportableAmounts amounts;
    amounts.cross_border_electronic_minor = minor;
    return threshold_reports(amounts);
}

std::vector<ReportFlag> cash(std::int64_t minor) {
    ReportableAmounts amounts;
    amounts.cash_received_minor = minor;
    return threshold_reports(amounts);
}

TEST(ThresholdReportsTest, IftrFromR20000ExactlyDomain14) {
    EXPECT_TRUE(cross_border(1'999'999).empty()) << "R19,999.99 is not above R19,999.99";
    EXPECT_EQ(
        cross_border(2'000'000),
        (std::vector<ReportFlag>{{ReportKind::kIftr, 2'000'000, 2'000'000}})
    );
    EXPECT_EQ(cross_border(2'000'001).size(), 1U);
    EXPECT_TRUE(cross_border(0).empty());
}

TEST(ThresholdReportsTest, CtrFromR50000ExactlyDomain14) {
    EXPECT_TRUE(cash(4'999'999).empty()) << "R49,999.99 is not above R49,999.99";
    EXPECT_EQ(cash(5'000'000), (std::vector<ReportFlag>{{ReportKind::kCtr, 5'000'000, 5'000'000}}));
    EXPECT_TRUE(cash(2'000'000).empty()) << "cash has its own threshold";
}

TEST(ThresholdReportsTest, BothWhenBothApplyAndThresholdsAreConfiguration) {
    ReportableAmounts amounts;
    amounts.cross_border_electronic_minor = 5'000'000;
    amounts.cash_received_minor = 5'010'000;
    const auto both = threshold_reports(amounts);
    ASSERT_EQ(both.size(), 2U);
    EXPECT_EQ(both[0].kind, ReportKind::kIftr);
    EXPECT_EQ(both[1].kind, ReportKind::kCtr);
    EXPECT_EQ(both[1].amount_minor, 5'010'000);

    ReportThresholds custom;
    custom.iftr_minor = 100;
    custom.ctr_minor = 1'000'000'000;
    const auto only_iftr = threshold_reports(amounts, custom);
    ASSERT_EQ(only_iftr.size(), 1U);
    EXPECT_EQ(only_iftr[0].threshold_minor, 100);
}

TEST(ThresholdReportsTest, DescribedForFinance) {
    EXPECT_EQ(
        describe(ReportFlag{ReportKind::kIftr, 2'000'000, 2'000'000}),
        "IFTR (FIC Act s31, within 3 days): cross-border electronic transfer of R20,000.00, at "
        "or above R20,000.00"
    );
    EXPECT_EQ(
        describe(ReportFlag{ReportKind::kCtr, 5'500'000, 5'000'000}),
        "CTR (FIC Act s28, within 3 business days): cash of R55,000.00, at or above R50,000.00"
    );
    EXPECT_EQ(to_string(ReportKind::kIftr), "iftr");
    EXPECT_EQ(to_string(ReportKind::kCtr), "ctr");
}

}  // namespace
}  // namespace chelete::compliance
