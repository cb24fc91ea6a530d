#include <gtest/gtest.h>

#include <chelete/platform/faults.hpp>

namespace chelete::platform::faults {
namespace {

TEST(FaultsTest, UnconfiguredPointsDoNothing) {
    clear();
    EXPECT_NO_THROW(hit("anything"));
    EXPECT_EQ(hits("anything"), 0);
}

TEST(FaultsTest, ThrowFiresOnTheNthHitOnly) {
    configure("a=throw@3");
    EXPECT_NO_THROW(hit("a"));
    EXPECT_NO_THROW(hit("a"));
    EXPECT_THROW(hit("a"), std::runtime_error);
    EXPECT_NO_THROW(hit("a"));
    EXPECT_EQ(hits("a"), 4);
    clear();
}

TEST(FaultsTest, ThrowWithoutCountFiresEveryTime) {
    configure("b=throw");
    EXPECT_THROW(hit("b"), std::runtime_error);
    EXPECT_THROW(hit("b"), std::runtime_error);
    clear();
}

TEST(FaultsTest, RefusesBadSpecs) {
    EXPECT_THROW(configure("nothing"), std::invalid_argument);
    EXPECT_THROW(configure("a=explode"), std::invalid_argument);
    clear();
}

TEST(FaultsTest, KillTerminatesTheProcess) {
    EXPECT_EXIT(
        {
            configure("k=kill");
            hit("k");
        },
        ::testing::KilledBySignal(SIGKILL),
        ""
    );
}

}  // namespace
}  // namespace chelete::platform::faults
