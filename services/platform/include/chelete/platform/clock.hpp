#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chelete::platform {

using TimePoint = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

/// The only way domain code learns the time, so tests can move it.
class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual TimePoint now() const = 0;

protected:
    // Copied and moved only as part of an implementation, never sliced through the interface.
    Clock() = default;
    Clock(const Clock&) = default;
    Clock(Clock&&) = default;
    Clock& operator=(const Clock&) = default;
    Clock& operator=(Clock&&) = default;
};

class SystemClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const override { return std::chrono::system_clock::now(); }
};

/// A clock tests set and advance; thread-safe.
class ManualClock final : public Clock {
public:
    explicit ManualClock(TimePoint start = TimePoint{std::chrono::hours{24 * 20000}})
        : now_ns_(to_ns(start)) {}
    [[nodiscard]] TimePoint now() const override {
        return TimePoint{std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds{
            now_ns_.load()})};
    }
    void set(TimePoint t) { now_ns_ = to_ns(t); }
    void advance(std::chrono::nanoseconds d) { now_ns_ += d.count(); }

private:
    static std::int64_t to_ns(TimePoint t) {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    }
    std::atomic<std::int64_t> now_ns_;
};

[[nodiscard]] std::int64_t to_unix_ms(TimePoint t);
[[nodiscard]] TimePoint from_unix_ms(std::int64_t ms);

/// RFC 3339 in UTC with milliseconds: 2026-11-23T09:15:00.000Z
[[nodiscard]] std::string format_rfc3339(TimePoint t);
/// Accepts RFC 3339 date-times with 'Z' or a numeric offset and up to 9 fractional digits.
[[nodiscard]] std::optional<TimePoint> parse_rfc3339(std::string_view text);

/// A calendar date (no time zone), as in date_of_birth or a permit's expiry.
struct Date {
    int year = 1970;
    unsigned month = 1;
    unsigned day = 1;

    friend auto operator<=>(const Date&, const Date&) = default;
    [[nodiscard]] std::string to_string() const;
    /// Days since 1970-01-01.
    [[nodiscard]] std::int64_t days_since_epoch() const;
    [[nodiscard]] static Date from_days_since_epoch(std::int64_t days);
    /// The UTC calendar date of a time point.
    [[nodiscard]] static Date of(TimePoint t);
};

/// Strict YYYY-MM-DD with a real calendar day (no 2026-02-30), years 1900..2200.
[[nodiscard]] std::optional<Date> parse_date(std::string_view text);

}  // namespace chelete::platform
