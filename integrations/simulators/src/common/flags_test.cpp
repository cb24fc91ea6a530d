#include "common/flags.hpp"

#include <gtest/gtest.h>

namespace chelete::simulators {
namespace {

const std::set<std::string> kKnown{"port", "error-rate", "seed"};

TEST(Flags, ReadsSpaceAndEqualsForms) {
    const auto flags = Flags::parse({"--port", "28001", "--error-rate=0.25"}, kKnown);
    ASSERT_TRUE(flags.ok()) << flags.error();
    EXPECT_EQ(flags.value().get("port"), "28001");
    EXPECT_EQ(flags.value().get_int("port", 0, 1, 65535).value(), 28001);
    EXPECT_EQ(flags.value().get_rate_ppm("error-rate").value(), 250'000U);
    EXPECT_EQ(flags.value().get("seed"), std::nullopt);
    EXPECT_EQ(flags.value().get_int("seed", 7, 0, 100).value(), 7);
    EXPECT_EQ(flags.value().get_rate_ppm("absent-rate").value(), 0U);
}

TEST(Flags, RefusesUnknownRepeatedValuelessAndStrayArguments) {
    EXPECT_FALSE(Flags::parse({"--prot", "1"}, kKnown).ok());
    EXPECT_FALSE(Flags::parse({"--port", "1", "--port=2"}, kKnown).ok());
    EXPECT_FALSE(Flags::parse({"--port"}, kKnown).ok());
    EXPECT_FALSE(Flags::parse({"28001"}, kKnown).ok());
    EXPECT_FALSE(Flags::parse({"--"}, kKnown).ok());
    const auto unknown = Flags::parse({"--verbose", "1"}, kKnown);
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().find("--verbose"), std::string::npos);
}

TEST(Flags, RepeatableFlagsCollectEveryCommaSeparatedValue) {
    const std::set<std::string> known{"port", "invalid-msisdn"};
    const auto flags = Flags::parse(
        {"--invalid-msisdn",
         "26650000001,26650000002",
         "--port=1",
         "--invalid-msisdn=,26660000003"},
        known,
        {"invalid-msisdn"}
    );
    ASSERT_TRUE(flags.ok()) << flags.error();
    EXPECT_EQ(
        flags.value().get_list("invalid-msisdn"),
        (std::vector<std::string>{"26650000001", "26650000002", "26660000003"})
    );
    EXPECT_TRUE(flags.value().get_list("port").empty());
    // Only the flags named repeatable may be repeated.
    EXPECT_FALSE(Flags::parse({"--port=1", "--port=2"}, known, {"invalid-msisdn"}).ok());
}

TEST(Flags, IntegersMustBeWholeAndInRange) {
    for (const char* bad : {"12abc", "abc", "", "1.5", "-1", "70000", " 5"}) {
        const auto flags = Flags::parse({std::string{"--port="} + bad}, kKnown);
        ASSERT_TRUE(flags.ok());
        EXPECT_FALSE(flags.value().get_int("port", 0, 1, 65535).ok()) << bad;
    }
}

TEST(Flags, RatesAreFractionsBetweenZeroAndOne) {
    const std::vector<std::pair<const char*, std::uint32_t>> good{
        {"0", 0}, {"1", 1'000'000}, {"0.5", 500'000}, {"0.000001", 1}, {"1.0", 1'000'000}};
    for (const auto& [text, ppm] : good) {
        const auto flags = Flags::parse({std::string{"--error-rate="} + text}, kKnown);
        ASSERT_TRUE(flags.ok());
        const auto rate = flags.value().get_rate_ppm("error-rate");
        ASSERT_TRUE(rate.ok()) << text << ": " << rate.error();
        EXPECT_EQ(rate.value(), ppm) << text;
    }
    for (const char* bad : {"1.01", "-0.1", "nan", "inf", "half", "", "0.5x", "1e-3", "50%"}) {
        const auto flags = Flags::parse({std::string{"--error-rate="} + bad}, kKnown);
        ASSERT_TRUE(flags.ok());
        EXPECT_FALSE(flags.value().get_rate_ppm("error-rate").ok()) << bad;
    }
}

}  // namespace
}  // namespace chelete::simulators
