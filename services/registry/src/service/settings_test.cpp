// The registry's configuration: what it refuses before anything starts.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <chelete/registry/service.hpp>

namespace chelete::registry {
namespace {

/// Everything required, plus `extra`.
platform::MapEnvironment environment(const std::map<std::string, std::string>& extra) {
    platform::MapEnvironment env{
        {"CHELETE_ADMIN_PASSWORD", "settings-test-admin-password"},
        {"CHELETE_FIELD_KEYS", "k1:" + std::string(64, '1')},
        {"CHELETE_LOOKUP_KEY", std::string(64, 'b')},
        {"CHELETE_LETTER_SIGNING_KEY", std::string(64, 'c')}};
    for (const auto& [name, value] : extra) {
        env.set(name, value);
    }
    return env;
}

std::vector<std::string> problems_with(const std::map<std::string, std::string>& extra) {
    const auto env = environment(extra);
    platform::ConfigReader reader{env};
    (void)RegistrySettings::load(reader);
    return reader.problems();
}

TEST(RegistrySettingsTest, PasswordHashCostDefaultsToTheOwaspMinimum) {
    const auto env = environment({});
    platform::ConfigReader reader{env};
    const auto settings = RegistrySettings::load(reader);
    EXPECT_TRUE(reader.problems().empty());
    EXPECT_EQ(settings.password_cost.memory_kib, 19456U);
    EXPECT_EQ(settings.password_cost.iterations, 2U);
    EXPECT_EQ(settings.password_cost.parallelism, 1U);
}

TEST(RegistrySettingsTest, PasswordHashCostBelowTheOwaspMinimumIsRefused) {
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"CHELETE_PASSWORD_MEMORY_KIB", "19455"},
             {"CHELETE_PASSWORD_MEMORY_KIB", "64"},
             {"CHELETE_PASSWORD_ITERATIONS", "1"}}) {
        const auto problems = problems_with({{name, value}});
        ASSERT_EQ(problems.size(), 1U) << name << "=" << value;
        EXPECT_NE(problems[0].find(name), std::string::npos) << problems[0];
    }
    // More is fine.
    EXPECT_TRUE(problems_with(
                    {{"CHELETE_PASSWORD_MEMORY_KIB", "65536"}, {"CHELETE_PASSWORD_ITERATIONS", "3"}}
    ).empty());
}

}  // namespace
}  // namespace chelete::registry
