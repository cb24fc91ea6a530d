// libFuzzer target for the events the central-bank integration consumes: arbitrary bytes as a
// remit.completed payload (and as a remit.deposit_received one).
// Properties: nothing crashes or throws; a parsed record round-trips (parse -> serialise ->
// parse -> serialise, equal); its amounts respect the parser's rules; the report builders
// accept whatever parsed (the CSV has exactly one line per flow plus the header).
#include <cstdint>
#include <string>
#include <string_view>

#include <chelete/central_bank/records.hpp>

namespace {

using namespace chelete::central_bank;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view payload(reinterpret_cast<const char*>(data), size);  // NOLINT
    const auto parsed = parse_completed_event(payload);
    if (parsed) {
        const CompletedRemittance& r = parsed.value();
        if (r.send_minor <= 0 || r.fee_minor < 0 || r.fee_minor >= r.send_minor ||
            r.receive_minor < 0) {
            __builtin_trap();  // the parser let inconsistent amounts through
        }
        const std::string once = completed_event_json(r).dump();
        const auto again = parse_completed_event(once);
        if (!again || !(again.value() == r) || completed_event_json(again.value()).dump() != once) {
            __builtin_trap();  // the round trip changed the record
        }
        const Date day = business_date_of(r.completed_at);
        const std::string csv = cross_border_csv({r}, day);
        if (!csv.starts_with(cross_border_csv_header()) || !csv.ends_with("\r\n")) {
            __builtin_trap();
        }
        (void)cross_border_json({r}, day).dump();
    }
    const auto deposit = parse_deposit_event(payload);
    if (deposit && deposit.value().amount_minor <= 0) {
        __builtin_trap();
    }
    return 0;
}
