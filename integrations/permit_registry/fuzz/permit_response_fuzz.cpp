// libFuzzer target for the permit registry's wire format: arbitrary bytes as a response body,
// the first byte choosing the HTTP status.
// Properties: nothing crashes or throws; whatever parses is consistent and round-trips
// (parse -> serialise -> parse -> serialise, equal); NotFound comes only from a 404 and Found only
// from a 200 whose body parses.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "adapters/permit_wire.hpp"

namespace {

using namespace chelete::permit_registry;

constexpr std::array<long, 8> kStatuses{200, 404, 401, 403, 500, 503, 301, 429};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const long status = kStatuses.at(data[0] % kStatuses.size());
    const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);  // NOLINT

    const auto parsed = wire::parse_permit_record(body);
    if (parsed.ok()) {
        if (find_inconsistency(parsed.value())) {
            __builtin_trap();  // the parser let an inconsistent record through
        }
        const std::string once = wire::to_json(parsed.value());
        const auto again = wire::parse_permit_record(once);
        if (!again.ok() || !(again.value() == parsed.value()) ||
            wire::to_json(again.value()) != once) {
            __builtin_trap();  // the round trip changed the record
        }
        const auto found =
            wire::interpret_reply(200, body, parsed.value().number, parsed.value().holder_surname);
        if (!std::holds_alternative<Found>(found) ||
            !(std::get<Found>(found).record == parsed.value())) {
            __builtin_trap();
        }
    }

    const auto result = wire::interpret_reply(status, body, "LEP-2020-004512", "Mokoena");
    if (std::holds_alternative<NotFound>(result) && status != 404) {
        __builtin_trap();  // only the registry's own 404 may say "not found"
    }
    if (std::holds_alternative<Found>(result) && (status != 200 || !parsed.ok())) {
        __builtin_trap();
    }
    if (const auto* unavailable = std::get_if<Unavailable>(&result);
        unavailable && unavailable->detail.empty()) {
        __builtin_trap();  // every failure says why, for the logs
    }
    return 0;
}
