// libFuzzer target for the USSD gateway's form and the menu behind it (docs/ussd.md). Arbitrary
// bytes as a request body. Properties: nothing crashes; a refused form names a field; an
// accepted one walks the menu (PIN checks answered as the registry would) to a screen that fits
// 182 plain characters, starts the reply with "CON " or "END ", and carries an action only when
// it ends.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/form.hpp"
#include "domain/menu.hpp"

namespace {

using namespace chelete::ussd;

Caller fixed_caller(bool english) {
    Caller c;
    c.language = english ? Language::kEnglish : Language::kSesotho;
    const std::vector<PayoutMethod> all{
        PayoutMethod::kMpesa, PayoutMethod::kEcocash, PayoutMethod::kCashPickup};
    for (int i = 0; i < 6; ++i) {
        c.remittances.push_back(IncomingRemittance{
            "REF" + std::to_string(i),
            1'000'000'000LL * (i + 1),
            "Sender \xC3\xA9 " + std::to_string(i),
            static_cast<Stage>(i % 4),
            all[static_cast<std::size_t>(i) % 3],
            i % 2 == 0,
            i % 3 == 0 ? std::vector<PayoutMethod>{} : all});
    }
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body{reinterpret_cast<const char*>(data), size};
    const auto form = parse_ussd_form(body);
    if (!form.ok()) {
        if (form.error().field.empty() || form.error().detail.empty()) {
            __builtin_trap();
        }
        return 0;
    }
    const auto inputs = split_inputs(form->text);
    const Caller caller = fixed_caller(!form->session_id.empty() && form->session_id[0] == 'e');
    PinAnswers pins;
    const auto rule = [](std::string_view pin) -> std::optional<std::string> {
        return pin == "11111" ? std::optional<std::string>{"too easy"} : std::nullopt;
    };
    for (std::size_t round = 0; round <= inputs.size() + 1; ++round) {
        const Reply r = answer(inputs, caller, pins, rule);
        if (r.kind == Reply::Kind::kCheckPin) {
            if (r.pin_input >= inputs.size() || inputs[r.pin_input] != r.pin ||
                pins.count(r.pin_input)) {
                __builtin_trap();
            }
            pins[r.pin_input] = r.pin == "24680" ? PinCheck::kCorrect : PinCheck::kWrong;
            continue;
        }
        const std::string reply = r.body();
        const bool plain = std::all_of(r.text.begin(), r.text.end(), [](char c) {
            return c == '\n' || (c >= 0x20 && c <= 0x7e);
        });
        if (r.text.empty() || r.text.size() > kMaxScreenChars || !plain ||
            (reply.rfind("CON ", 0) != 0 && reply.rfind("END ", 0) != 0) ||
            (r.action.has_value() && r.kind != Reply::Kind::kEnd)) {
            __builtin_trap();
        }
        return 0;
    }
    __builtin_trap();  // more PIN checks than inputs: the walk does not settle
}
