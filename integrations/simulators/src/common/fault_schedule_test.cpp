#include "common/fault_schedule.hpp"

#include <map>
#include <vector>

#include <gtest/gtest.h>

namespace chelete::simulators {
namespace {

std::vector<Fault> draw(FaultRates rates, std::uint64_t seed, int n) {
    FaultSchedule schedule{rates, seed};
    std::vector<Fault> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(schedule.next());
    }
    return out;
}

TEST(FaultSchedule, NoRatesNoFaults) {
    for (const auto fault : draw(FaultRates{}, 42, 10'000)) {
        ASSERT_EQ(fault, Fault::kNone);
    }
}

TEST(FaultSchedule, ARateOfOneFaultsEveryRequest) {
    for (const auto fault : draw(FaultRates{kMillion, 0, 0}, 1, 1000)) {
        ASSERT_EQ(fault, Fault::kUnavailable);
    }
    for (const auto fault : draw(FaultRates{0, kMillion, 0}, 1, 1000)) {
        ASSERT_EQ(fault, Fault::kTimeout);
    }
    for (const auto fault : draw(FaultRates{0, 0, kMillion}, 1, 1000)) {
        ASSERT_EQ(fault, Fault::kMalformed);
    }
}

TEST(FaultSchedule, TheSameSeedReplaysTheSameScheduleAndAnotherSeedDoesNot) {
    const FaultRates rates{200'000, 100'000, 100'000};
    EXPECT_EQ(draw(rates, 7, 500), draw(rates, 7, 500));
    EXPECT_NE(draw(rates, 7, 500), draw(rates, 8, 500));
}

TEST(FaultSchedule, FrequenciesFollowTheRates) {
    const FaultRates rates{200'000, 100'000, 50'000};
    std::map<Fault, int> seen;
    constexpr int kDraws = 100'000;
    for (const auto fault : draw(rates, 3, kDraws)) {
        ++seen[fault];
    }
    // Binomial standard deviations are ~126, ~95 and ~69: 5 of them is far from flaky.
    EXPECT_NEAR(seen[Fault::kUnavailable], 20'000, 650);
    EXPECT_NEAR(seen[Fault::kTimeout], 10'000, 500);
    EXPECT_NEAR(seen[Fault::kMalformed], 5'000, 350);
    EXPECT_NEAR(seen[Fault::kNone], 65'000, 800);
}

TEST(FaultSchedule, UnknownIsAFourthExclusiveOutcome) {
    for (const auto fault : draw(FaultRates{0, 0, 0, kMillion}, 1, 1000)) {
        ASSERT_EQ(fault, Fault::kUnknown);
    }
    std::map<Fault, int> seen;
    for (const auto fault : draw(FaultRates{250'000, 250'000, 0, 250'000}, 5, 40'000)) {
        ++seen[fault];
    }
    // Each expected 10'000 with a standard deviation of ~87.
    EXPECT_NEAR(seen[Fault::kUnavailable], 10'000, 450);
    EXPECT_NEAR(seen[Fault::kTimeout], 10'000, 450);
    EXPECT_NEAR(seen[Fault::kUnknown], 10'000, 450);
    EXPECT_EQ(seen[Fault::kMalformed], 0);
}

TEST(FaultSchedule, ChanceFollowsItsRateAndAlwaysTakesOneDraw) {
    FaultSchedule never{FaultRates{}, 9};
    FaultSchedule always{FaultRates{}, 9};
    int hits = 0;
    for (int i = 0; i < 1000; ++i) {
        ASSERT_FALSE(never.chance(0));
        ASSERT_TRUE(always.chance(kMillion));
    }
    // Both took the same number of draws, so they are in step.
    EXPECT_EQ(never.pick(1'000'000'007), always.pick(1'000'000'007));
    FaultSchedule third{FaultRates{}, 11};
    for (int i = 0; i < 10'000; ++i) {
        hits += third.chance(300'000) ? 1 : 0;
    }
    EXPECT_NEAR(hits, 3'000, 250);
}

TEST(FaultRates, CannotAddUpToMoreThanOne) {
    EXPECT_FALSE((FaultRates{500'000, 250'000, 0, 250'001}.valid()));
    EXPECT_TRUE((FaultRates{500'000, 250'000, 0, 250'000}.valid()));
    EXPECT_TRUE((FaultRates{500'000, 250'000, 250'000}.valid()));
    EXPECT_FALSE((FaultRates{500'000, 250'000, 250'001}.valid()));
    EXPECT_FALSE((FaultRates{kMillion, kMillion, kMillion}.valid()));
}

}  // namespace
}  // namespace chelete::simulators
