// libFuzzer target for the notify.sms payload parser and the template renderer, and the SMS
// gateway's answer: arbitrary bytes, the first choosing which.
// Properties: nothing crashes or throws; a parsed request round-trips (parse -> serialise ->
// parse -> serialise, equal); whatever renders is GSM-7 in one segment (the catalogue's
// guarantee holds for every value the checks let through); a refusal never quotes a parameter
// value; a gateway answer always says why.
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/notify_wire.hpp"
#include "adapters/sms_wire.hpp"
#include "domain/catalogue.hpp"

namespace {

using namespace chelete::sms;

void check_request(std::string_view payload) {
    const auto parsed = wire::parse_sms_request(payload);
    if (!parsed.ok()) {
        return;
    }
    const std::string once = wire::to_json(parsed.value());
    const auto again = wire::parse_sms_request(once);
    if (!again.ok() || !(again.value() == parsed.value()) || wire::to_json(again.value()) != once) {
        __builtin_trap();  // the round trip changed the request
    }
    for (const Language language : {Language::kEnglish, Language::kSesotho}) {
        const auto rendered = render(parsed->template_name, language, parsed->params);
        if (rendered.ok()) {
            if (rendered->length.encoding != Encoding::kGsm7 || rendered->length.segments != 1) {
                __builtin_trap();  // a template left one SMS
            }
            continue;
        }
        // Names are quoted on purpose; a value that also occurs in a name proves nothing.
        std::string names = parsed->template_name;
        for (const auto& param : parsed->params) {
            names += "\n" + fold_to_gsm7_basic(param.first);
        }
        for (const auto& param : parsed->params) {
            const std::string& value = param.second;
            // A PIN-like value (digits): the messages' fixed text has none, so a hit is a leak.
            const bool pin_like =
                value.size() >= 4 && value.find_first_not_of("0123456789") == std::string::npos;
            if (pin_like && names.find(value) == std::string::npos &&
                rendered.error().message.find(value) != std::string::npos) {
                __builtin_trap();  // a refusal quoted a value (it may be a PIN)
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);  // NOLINT
    if (data[0] % 4 != 3) {
        check_request(rest);
        return 0;
    }
    constexpr long kStatuses[] = {200, 202, 400, 401, 429, 500, 503, 302};  // NOLINT
    const long status = kStatuses[rest.empty() ? 0 : static_cast<std::uint8_t>(rest[0]) % 8];
    const auto result = wire::interpret_reply(status, rest);
    if (result.detail.empty()) {
        __builtin_trap();
    }
    if (result.outcome == SendOutcome::kAccepted &&
        (result.message_id.empty() || result.segments < 1 || status < 200 || status > 299)) {
        __builtin_trap();
    }
    return 0;
}
