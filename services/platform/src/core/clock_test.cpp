#include <gtest/gtest.h>

#include <chelete/platform/clock.hpp>

namespace chelete::platform {
namespace {

TEST(ClockTest, FormatsRfc3339WithMilliseconds) {
    EXPECT_EQ(format_rfc3339(from_unix_ms(0)), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_rfc3339(from_unix_ms(1'795'425'296'789)), "2026-11-23T09:14:56.789Z");
    EXPECT_EQ(format_rfc3339(from_unix_ms(-1)), "1969-12-31T23:59:59.999Z");
}

TEST(ClockTest, ParsesRfc3339WithOffsets) {
    EXPECT_EQ(parse_rfc3339("2026-11-23T09:14:56.789Z"), from_unix_ms(1'795'425'296'789));
    EXPECT_EQ(parse_rfc3339("2026-11-23T11:14:56.789+02:00"), from_unix_ms(1'795'425'296'789));
    EXPECT_EQ(parse_rfc3339("2026-11-23T09:14:56Z"), from_unix_ms(1'795'425'296'000));
    for (const char* bad :
         {"2026-11-23",
          "2026-11-23T25:00:00Z",
          "2026-02-30T00:00:00Z",
          "2026-11-23T09:14:56",
          "2026-11-23T09:14:56.Z",
          "2026-11-23T09:14:56+0200",
          "2026-11-23 09:14:56Z"}) {
        EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
    }
}

TEST(ClockTest, DatesAreStrictCalendarDays) {
    EXPECT_EQ(parse_date("2024-02-29")->to_string(), "2024-02-29");
    EXPECT_FALSE(parse_date("2023-02-29").has_value());
    EXPECT_FALSE(parse_date("2023-13-01").has_value());
    EXPECT_FALSE(parse_date("1899-12-31").has_value());
    EXPECT_FALSE(parse_date("2023-1-01").has_value());
    const Date d{2027, 5, 28};
    EXPECT_EQ(Date::from_days_since_epoch(d.days_since_epoch()), d);
    EXPECT_EQ(Date::of(from_unix_ms(1'795'425'296'789)).to_string(), "2026-11-23");
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
    ManualClock clock{from_unix_ms(1000)};
    EXPECT_EQ(clock.now(), from_unix_ms(1000));
    clock.advance(std::chrono::milliseconds{500});
    EXPECT_EQ(clock.now(), from_unix_ms(1500));
}

}  // namespace
}  // namespace chelete::platform
