#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <chelete/platform/logging.hpp>

namespace chelete::platform {
namespace {

std::vector<nlohmann::json> lines_of(const std::string& text) {
    std::vector<nlohmann::json> out;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        out.push_back(nlohmann::json::parse(line));
    }
    return out;
}

TEST(LoggingTest, JsonLinesCarryTheCorrelationIdOfTheirScope) {
    std::ostringstream out;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    spdlog::logger logger{"test", sink};
    logger.set_formatter(make_log_formatter(LogOptions{"gateway", "info", "json"}));
    logger.info("before");
    {
        CorrelationScope request{"req-42"};
        logger.info("inside \"quoted\"\nand a newline");
        {
            CorrelationScope message{"msg-7"};
            logger.warn("nested");
        }
        logger.info("back");
    }
    logger.info("after");
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 5U);
    EXPECT_FALSE(lines[0].contains("cid"));
    EXPECT_EQ(lines[1]["cid"], "req-42");
    EXPECT_EQ(lines[1]["msg"], "inside \"quoted\"\nand a newline");
    EXPECT_EQ(lines[1]["service"], "gateway");
    EXPECT_EQ(lines[1]["level"], "info");
    EXPECT_EQ(lines[2]["cid"], "msg-7");
    EXPECT_EQ(lines[2]["level"], "warning");
    EXPECT_EQ(lines[3]["cid"], "req-42");
    EXPECT_FALSE(lines[4].contains("cid"));
    EXPECT_EQ(lines[4]["ts"].get<std::string>().size(), 24U);
}

TEST(LoggingTest, ControlCharactersAreEscaped) {
    std::string out;
    append_json_escaped(out, std::string{"a\x01\tb", 4});
    EXPECT_EQ(out, "a\\u0001\\tb");
}

}  // namespace
}  // namespace chelete::platform
