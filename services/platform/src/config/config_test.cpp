#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chelete/platform/config.hpp>
#include <chelete/platform/settings.hpp>

namespace chelete::platform {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(ConfigTest, DefaultsApplyWhenUnset) {
    MapEnvironment env;
    ConfigReader r{env};
    EXPECT_EQ(r.integer("X_INT", 7, 0, 10, "an int"), 7);
    EXPECT_EQ(r.port("X_PORT", 8080, "a port"), 8080);
    EXPECT_EQ(r.duration("X_DUR", 5s, 0ms, 1h, "a duration"), 5s);
    EXPECT_TRUE(r.boolean("X_BOOL", true, "a flag"));
    EXPECT_NO_THROW(r.finish());
    EXPECT_EQ(r.variables().size(), 4U);
}

TEST(ConfigTest, CollectsEveryProblemBeforeFailing) {
    MapEnvironment env{
        {"X_INT", "12abc"},
        {"X_PORT", "70000"},
        {"X_DUR", "5 minutes"},
        {"X_CHOICE", "loud"},
        {"X_URL", "ftp://x"}};
    ConfigReader r{env};
    (void)r.integer("X_INT", 1, 0, 100, "");
    (void)r.port("X_PORT", 1, "");
    (void)r.duration("X_DUR", 1s, 0ms, 1h, "");
    (void)r.choice("X_CHOICE", "info", {"info", "warn"}, "");
    (void)r.url("X_URL", "http://a", "");
    (void)r.required_secret("X_SECRET", 16, "a secret");
    try {
        r.finish();
        FAIL() << "finish() should throw";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.problems().size(), 6U);
        EXPECT_THAT(e.what(), HasSubstr("X_INT='12abc' is not an integer"));
        EXPECT_THAT(e.what(), HasSubstr("X_PORT=70000 is out of range"));
        EXPECT_THAT(e.what(), HasSubstr("X_DUR='5 minutes' is not a duration"));
        EXPECT_THAT(e.what(), HasSubstr("must be one of: info, warn"));
        EXPECT_THAT(e.what(), HasSubstr("X_URL='ftp://x' is not an http(s) URL"));
        EXPECT_THAT(e.what(), HasSubstr("X_SECRET is required"));
    }
}

TEST(ConfigTest, SecretsNeverEchoTheirValue) {
    MapEnvironment env{{"X_SECRET", "short"}};
    ConfigReader r{env};
    (void)r.required_secret("X_SECRET", 16, "");
    try {
        r.finish();
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("at least 16 characters"));
        EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("short")));
    }
}

TEST(ConfigTest, ParsesDurations) {
    EXPECT_EQ(parse_duration("250ms"), 250ms);
    EXPECT_EQ(parse_duration("5s"), 5s);
    EXPECT_EQ(parse_duration("2m"), 2min);
    EXPECT_EQ(parse_duration("1h"), 1h);
    EXPECT_EQ(parse_duration("3d"), 72h);
    EXPECT_EQ(parse_duration("1500"), 1500ms);
    EXPECT_FALSE(parse_duration("-5s").has_value());
    EXPECT_FALSE(parse_duration("s").has_value());
    EXPECT_FALSE(parse_duration("5x").has_value());
    EXPECT_FALSE(parse_duration("99999999999999999999d").has_value());
}

TEST(ConfigTest, PlatformSettingsValidateTogether) {
    MapEnvironment env{{"CHELETE_OUTBOX_RETENTION", "10d"}, {"CHELETE_INBOX_RETENTION", "2d"}};
    ConfigReader r{env};
    (void)PlatformSettings::load(r);
    EXPECT_THROW(r.finish(), ConfigError);
    ASSERT_EQ(r.problems().size(), 1U);
    EXPECT_THAT(r.problems()[0], HasSubstr("CHELETE_INBOX_RETENTION"));
}

TEST(ConfigTest, PlatformSettingsDefaultsAreValid) {
    MapEnvironment env;
    ConfigReader r{env};
    const auto s = PlatformSettings::load(r);
    EXPECT_NO_THROW(r.finish());
    EXPECT_EQ(s.bus.redis.port, 16379);
    EXPECT_EQ(s.bus.max_deliveries, 5);
    EXPECT_TRUE(s.embedded_relay);
}

TEST(ConfigTest, NoEmbeddedRelayWhenASeparateRelayProcessRunsThem) {
    MapEnvironment env{{"CHELETE_RELAY_EMBEDDED", "false"}};
    ConfigReader r{env};
    const auto s = PlatformSettings::load(r);
    r.finish();
    EXPECT_FALSE(s.embedded_relay);
    bus::Outbox outbox{"some_schema"};
    EXPECT_EQ(s.start_embedded_relay("some_schema", outbox), nullptr);
}

}  // namespace
}  // namespace chelete::platform
