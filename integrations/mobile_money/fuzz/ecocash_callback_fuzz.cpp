// libFuzzer target for the EcoCash result callback parser: arbitrary bytes as a callback body.
// Properties: nothing crashes or throws; whatever parses is consistent (a valid reference, a
// positive amount, a paid result with a transaction id and an RFC 3339 time) and the result
// survives a round trip through the contract's field layout.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include <chelete/mobile_money/partner.hpp>

#include "wire/strict_json.hpp"

using namespace chelete::mobile_money;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);  // NOLINT
    const auto parsed = parse_ecocash_callback(body);
    if (!parsed.ok()) {
        if (parsed.error().empty()) {
            __builtin_trap();  // every refusal says why
        }
        return 0;
    }
    const CallbackResult& r = parsed.value();
    if (!wire::is_ecocash_reference(r.reference) || !r.amount_minor || *r.amount_minor <= 0) {
        __builtin_trap();
    }
    if (r.status == PaymentStatus::kPaid &&
        (r.transaction_id.empty() || !wire::is_rfc3339(r.completed_at) ||
         r.failure != FailureKind::kNone)) {
        __builtin_trap();
    }
    if (r.status != PaymentStatus::kPaid && r.status != PaymentStatus::kFailed &&
        r.status != PaymentStatus::kPending) {
        __builtin_trap();
    }
    // Round trip: the same facts laid out again parse to the same result.
    const auto doc = nlohmann::json::parse(body);
    nlohmann::json again = doc;
    again["amount"] = format_wire_amount(*r.amount_minor);
    const auto reparsed = parse_ecocash_callback(again.dump());
    if (!reparsed.ok() || reparsed.value().reference != r.reference ||
        reparsed.value().status != r.status || reparsed.value().failure != r.failure ||
        reparsed.value().amount_minor != r.amount_minor) {
        __builtin_trap();
    }
    return 0;
}
