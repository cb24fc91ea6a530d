#include <array>
#include <charconv>
#include <string>
#include <string_view>

#include <chelete/platform/clock.hpp>

namespace chelete::platform {
namespace {

bool parse_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
    if (pos + count > text.size()) {
        return false;
    }
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    out = value;
    return true;
}

/// Appends `value` zero-padded to `width` characters, sign included, as printf's "%0*d" does.
void append_padded(std::string& out, std::int64_t value, std::size_t width) {
    std::array<char, 24> buf{};
    const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    std::string_view digits{buf.data(), static_cast<std::size_t>(result.ptr - buf.data())};
    if (digits.starts_with('-')) {
        out += '-';
        digits.remove_prefix(1);
        width = width > 0 ? width - 1 : 0;
    }
    if (digits.size() < width) {
        out.append(width - digits.size(), '0');
    }
    out += digits;
}

bool valid_calendar_day(int year, unsigned month, unsigned day) {
    if (month < 1 || month > 12 || day < 1) {
        return false;
    }
    const std::chrono::year_month_day ymd{
        std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
    return ymd.ok();
}

}  // namespace

std::int64_t to_unix_ms(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_unix_ms(std::int64_t ms) {
    return TimePoint{
        std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds{ms})};
}

std::string format_rfc3339(TimePoint t) {
    const std::int64_t ms = to_unix_ms(t);
    std::int64_t days = ms / 86'400'000;
    std::int64_t rem = ms % 86'400'000;
    if (rem < 0) {
        rem += 86'400'000;
        days -= 1;
    }
    const Date d = Date::from_days_since_epoch(days);
    const auto hours = static_cast<int>(rem / 3'600'000);
    const auto minutes = static_cast<int>((rem / 60'000) % 60);
    const auto seconds = static_cast<int>((rem / 1000) % 60);
    const auto millis = static_cast<int>(rem % 1000);
    // 2026-11-23T09:15:00.000Z
    std::string out;
    out.reserve(24);
    append_padded(out, d.year, 4);
    out += '-';
    append_padded(out, d.month, 2);
    out += '-';
    append_padded(out, d.day, 2);
    out += 'T';
    append_padded(out, hours, 2);
    out += ':';
    append_padded(out, minutes, 2);
    out += ':';
    append_padded(out, seconds, 2);
    out += '.';
    append_padded(out, millis, 3);
    out += 'Z';
    return out;
}

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
    if (text.size() < 20 || text.size() > 40) {
        return std::nullopt;
    }
    const auto date = parse_date(text.substr(0, 10));
    if (!date || (text[10] != 'T' && text[10] != 't')) {
        return std::nullopt;
    }
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!parse_digits(text, 11, 2, hour) || text[13] != ':' || !parse_digits(text, 14, 2, minute) ||
        text[16] != ':' || !parse_digits(text, 17, 2, second)) {
        return std::nullopt;
    }
    if (hour > 23 || minute > 59 || second > 59) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    std::int64_t nanos = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            if (digits < 9) {
                nanos = nanos * 10 + (text[pos] - '0');
            }
            ++digits;
            ++pos;
        }
        if (digits == 0 || digits > 9) {
            return std::nullopt;
        }
        for (int i = digits; i < 9; ++i) {
            nanos *= 10;
        }
    }
    if (pos >= text.size()) {
        return std::nullopt;
    }
    int offset_minutes = 0;
    if (text[pos] == 'Z' || text[pos] == 'z') {
        ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
        const int sign = text[pos] == '-' ? -1 : 1;
        int oh = 0;
        int om = 0;
        if (!parse_digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
            !parse_digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_minutes = sign * (oh * 60 + om);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) {
        return std::nullopt;
    }
    const std::int64_t secs = date->days_since_epoch() * 86400 + std::int64_t{hour} * 3600 +
                              std::int64_t{minute} * 60 + second -
                              static_cast<std::int64_t>(offset_minutes) * 60;
    return TimePoint{std::chrono::duration_cast<TimePoint::duration>(
        std::chrono::seconds{secs} + std::chrono::nanoseconds{nanos}
    )};
}

std::string Date::to_string() const {
    std::string out;
    out.reserve(10);
    append_padded(out, year, 4);
    out += '-';
    append_padded(out, month, 2);
    out += '-';
    append_padded(out, day, 2);
    return out;
}

std::int64_t Date::days_since_epoch() const {
    const std::chrono::year_month_day ymd{
        std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
    return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

Date Date::from_days_since_epoch(std::int64_t days) {
    const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
    return Date{
        static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()),
        static_cast<unsigned>(ymd.day())};
}

Date Date::of(TimePoint t) {
    const std::int64_t ms = to_unix_ms(t);
    std::int64_t days = ms / 86'400'000;
    if (ms % 86'400'000 < 0) {
        days -= 1;
    }
    return from_days_since_epoch(days);
}

std::optional<Date> parse_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return std::nullopt;
    }
    int y = 0;
    int m = 0;
    int d = 0;
    if (!parse_digits(text, 0, 4, y) || !parse_digits(text, 5, 2, m) ||
        !parse_digits(text, 8, 2, d)) {
        return std::nullopt;
    }
    if (y < 1900 || y > 2200 ||
        !valid_calendar_day(y, static_cast<unsigned>(m), static_cast<unsigned>(d))) {
        return std::nullopt;
    }
    return Date{y, static_cast<unsigned>(m), static_cast<unsigned>(d)};
}

}  // namespace chelete::platform
