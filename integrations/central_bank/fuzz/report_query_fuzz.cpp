// libFuzzer target for the report query parameters (date, format, report) and the
// CHELETE_CBANK_RETURN_AT setting: arbitrary bytes split at the first two NULs.
// Properties: nothing crashes or throws; an accepted date is a real day that has ended at +02:00
// and prints back to the text given; an accepted time of day prints back as given.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <chelete/central_bank/report.hpp>

namespace {

using namespace chelete::central_bank;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);  // NOLINT
    const auto first = input.find('\0');
    const std::string_view date = input.substr(0, first);
    std::string_view format;
    std::string_view report;
    if (first != std::string_view::npos) {
        const std::string_view rest = input.substr(first + 1);
        const auto second = rest.find('\0');
        format = rest.substr(0, second);
        report = second == std::string_view::npos ? std::string_view{} : rest.substr(second + 1);
    }
    // A fixed "now" keeps runs reproducible: 2026-03-03T08:00:00Z.
    const TimePoint now = *chelete::platform::parse_rfc3339("2026-03-03T08:00:00Z");
    const auto q = parse_report_query(date, format, report, now);
    if (q) {
        if (q.value().date.to_string() != date || !(q.value().date < business_date_of(now))) {
            __builtin_trap();
        }
        const auto w = business_day_window(q.value().date);
        if (business_date_of(w.from) != q.value().date || w.to - w.from != std::chrono::hours{24}) {
            __builtin_trap();
        }
    }
    if (const auto t = parse_time_of_day(date)) {
        char text[8];
        std::snprintf(text, sizeof text, "%02d:%02d", t->hour, t->minute);
        if (std::string_view{text} != date) {
            __builtin_trap();
        }
    }
    return 0;
}
