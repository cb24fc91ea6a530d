// libFuzzer target for the USSD gateway's form and the menu behind it (docs/ussd.md). Arbitrary
// bytes as a request body. Properties: nothing crashes; a refused form names a field; an
// accepted one walks the menu (PIN checks answered as the registry would) to a screen that fits
// 182 plain characters, starts the reply with "CON " or "END ", and carries an action only when
// it ends. Walked again turn by turn with the offers remembered: the same answers while the
// remittances stay as they are, and, while they move on between turns, an action only ever on a
// remittance open to it now.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

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

// The same remittances moved on: one gone, the rest in another order, a voucher used, the
// methods offered in reverse (what a later turn may read).
Caller moved_on(Caller c) {
    c.remittances.erase(c.remittances.begin());
    std::rotate(c.remittances.begin(), c.remittances.begin() + 1, c.remittances.end());
    c.remittances[0].voucher_resendable = false;
    for (auto& r : c.remittances) {
        std::reverse(r.methods_allowed.begin(), r.methods_allowed.end());
    }
    return c;
}

const auto kRule = [](std::string_view pin) -> std::optional<std::string> {
    return pin == "11111" ? std::optional<std::string>{"too easy"} : std::nullopt;
};

// One turn as the adapter takes it: PIN checks answered as the registry would, each once.
Reply take_turn(
    const std::vector<std::string>& inputs,
    const Caller& caller,
    PinAnswers& pins,
    const Offers& offers
) {
    for (std::size_t round = 0; round <= inputs.size() + 1; ++round) {
        Reply r = answer(inputs, caller, pins, offers, kRule);
        if (r.kind != Reply::Kind::kCheckPin) {
            return r;
        }
        if (r.pin_input >= inputs.size() || inputs[r.pin_input] != r.pin ||
            pins.count(r.pin_input)) {
            __builtin_trap();
        }
        pins[r.pin_input] = r.pin == "24680" ? PinCheck::kCorrect : PinCheck::kWrong;
    }
    __builtin_trap();  // more PIN checks than inputs: the walk does not settle
}

// The references a list screen showed (or an input was read against).
void remember(const Offers& offers, std::set<std::string>& seen) {
    for (const auto& [position, offer] : offers) {
        if (offer.kind == Offer::Kind::kRemittances) {
            seen.insert(offer.items.begin(), offer.items.end());
        }
    }
}

void check_screen(const Reply& r) {
    const std::string reply = r.body();
    const bool plain = std::all_of(r.text.begin(), r.text.end(), [](char c) {
        return c == '\n' || (c >= 0x20 && c <= 0x7e);
    });
    if (r.text.empty() || r.text.size() > kMaxScreenChars || !plain ||
        (reply.rfind("CON ", 0) != 0 && reply.rfind("END ", 0) != 0) ||
        (r.action.has_value() && r.kind != Reply::Kind::kEnd) ||
        (r.offer.has_value() && (r.kind != Reply::Kind::kContinue || r.offer->items.empty()))) {
        __builtin_trap();
    }
}

// An action is only ever on a remittance the caller was shown (or an input was read against),
// one the caller has now, and one open to it now.
void check_action(const Reply& r, const Caller& now, const std::set<std::string>& seen) {
    if (!r.action) {
        return;
    }
    if (const auto* resend = std::get_if<ResendVoucher>(&*r.action)) {
        if (!seen.contains(resend->reference)) {
            __builtin_trap();
        }
    } else if (const auto* choose = std::get_if<ChooseMethod>(&*r.action)) {
        if (!seen.contains(choose->reference)) {
            __builtin_trap();
        }
    }
    const auto find = [&](const std::string& reference) -> const IncomingRemittance* {
        for (const auto& x : now.remittances) {
            if (x.reference == reference) {
                return &x;
            }
        }
        return nullptr;
    };
    if (const auto* resend = std::get_if<ResendVoucher>(&*r.action)) {
        const auto* x = find(resend->reference);
        if (x == nullptr || !x->voucher_resendable) {
            __builtin_trap();
        }
    } else if (const auto* choose = std::get_if<ChooseMethod>(&*r.action)) {
        const auto* x = find(choose->reference);
        if (x == nullptr ||
            std::find(x->methods_allowed.begin(), x->methods_allowed.end(), choose->method) ==
                x->methods_allowed.end()) {
            __builtin_trap();
        }
    }
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
    // All inputs in one turn.
    PinAnswers pins;
    const Reply whole = take_turn(inputs, caller, pins, {});
    check_screen(whole);
    std::set<std::string> seen_whole;
    remember(whole.pinned, seen_whole);
    check_action(whole, caller, seen_whole);
    // Turn by turn, remembering offers as the adapter does: with the remittances unchanged, the
    // answer is the same as in one turn; with them moving on between turns (chosen by the
    // session id's bytes), every screen still fits and an action is only ever one open now.
    // (Up to 12 inputs, a long real session: the walk of every prefix costs the square of the
    // inputs, which would slow the fuzzer down for nothing new.)
    if (inputs.size() > 12) {
        return 0;
    }
    const Caller later = moved_on(caller);
    for (const bool changing : {false, true}) {
        PinAnswers turn_pins;
        Offers offers;
        std::set<std::string> seen;
        for (std::size_t n = 0; n <= inputs.size(); ++n) {
            const std::vector<std::string> typed(inputs.begin(), inputs.begin() + n);
            const bool moved =
                changing && !form->session_id.empty() &&
                (static_cast<unsigned char>(form->session_id[n % form->session_id.size()]) & 1U) !=
                    0;
            const Caller& now = moved ? later : caller;
            const Reply r = take_turn(typed, now, turn_pins, offers);
            check_screen(r);
            // As the adapter does: the screens read as drawn now, never replacing one kept.
            for (const auto& [position, offer] : r.pinned) {
                offers.emplace(position, offer);
            }
            remember(r.pinned, seen);
            check_action(r, now, seen);
            // Remembering what was shown must not change what a turn means. (A session that
            // ends early ends in one turn too, though its words may differ: "nothing to send"
            // when the choice was the last input, "nothing was done" when more followed it.)
            if (!changing && n == inputs.size() &&
                (r.text != whole.text || r.kind != whole.kind ||
                 r.action.has_value() != whole.action.has_value())) {
                __builtin_trap();
            }
            if (!changing && r.kind == Reply::Kind::kEnd &&
                (whole.kind != Reply::Kind::kEnd || r.action.has_value() != whole.action.has_value()
                )) {
                __builtin_trap();
            }
            if (r.kind == Reply::Kind::kEnd) {
                break;  // the session is over: the gateway sends no further turn
            }
            if (r.offer) {
                offers.emplace(n, *r.offer);
                remember(Offers{{n, *r.offer}}, seen);
            }
        }
    }
    return 0;
}
