// The chelete binary as an operator meets it: configuration errors, the documented variables.
#include <array>
#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chelete/testing/env.hpp>

namespace chelete {
namespace {

using ::testing::HasSubstr;

struct Output {
    int exit_code = -1;
    std::string text;
};

Output run(const std::string& command) {
    Output out;
    // NOLINTNEXTLINE(cert-env33-c): the tests run fixed command lines through the shell
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        return out;
    }
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) {
        out.text += buf.data();
    }
    const int status = pclose(pipe);
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
}

std::string chelete() {
    return testing::built_program("chelete");
}

TEST(CheleteCliITest, ABadConfigurationStopsTheStartWithEveryProblem) {
    const auto out =
        run("env -i CHELETE_HTTP_PORT=abc CHELETE_BUS_MAX_DELIVERIES=0 CHELETE_LOG_LEVEL=loud " +
            chelete() + " gateway");
    EXPECT_EQ(out.exit_code, 2);
    EXPECT_THAT(out.text, HasSubstr("CHELETE_HTTP_PORT='abc' is not an integer"));
    EXPECT_THAT(out.text, HasSubstr("CHELETE_BUS_MAX_DELIVERIES=0 is out of range"));
    EXPECT_THAT(out.text, HasSubstr("CHELETE_LOG_LEVEL='loud' must be one of"));
    EXPECT_THAT(out.text, HasSubstr("CHELETE_TOKEN_SECRET is required"));
}

TEST(CheleteCliITest, UnknownCommandsAreRefused) {
    EXPECT_EQ(run(chelete() + " launch-rockets").exit_code, 2);
    EXPECT_EQ(run(chelete()).exit_code, 2);
}

TEST(CheleteCliITest, TheReadmeListsEveryConfigurationVariable) {
    const auto config = run(chelete() + " config");
    ASSERT_EQ(config.exit_code, 0);
    std::set<std::string> variables;
    const std::regex name{R"(^(CHELETE_[A-Z0-9_]+)=)"};
    std::istringstream lines{config.text};
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_search(line, m, name)) {
            variables.insert(m[1]);
        }
    }
    ASSERT_GT(variables.size(), 20U);
    std::ifstream readme{std::string{CHELETE_SOURCE_DIR} + "/README.md"};
    std::stringstream text;
    text << readme.rdbuf();
    for (const auto& v : variables) {
        EXPECT_THAT(text.str(), HasSubstr("`" + v + "`"))
            << v << " is read by the code but not in README.md";
    }
}

}  // namespace
}  // namespace chelete
