// libFuzzer target for the statement parser (both partners share the shape): arbitrary bytes as
// a body. Properties: nothing crashes or throws; every line that parses has a positive amount
// that formats back to a wire amount parsing to the same value, and a unique reference.
#include <cstdint>
#include <set>
#include <string>

#include "wire/partner_wire.hpp"

using namespace chelete::mobile_money;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);  // NOLINT
    const auto lines = wire::parse_statement(body, "2026-11-23");
    if (!lines.ok()) {
        if (lines.error().empty()) {
            __builtin_trap();
        }
        return 0;
    }
    std::set<std::string> seen;
    for (const auto& line : lines.value()) {
        if (line.amount_minor <= 0 ||
            parse_wire_amount(format_wire_amount(line.amount_minor)) != line.amount_minor ||
            !seen.insert(line.reference).second) {
            __builtin_trap();
        }
    }
    return 0;
}
