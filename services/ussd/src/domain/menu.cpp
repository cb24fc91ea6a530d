#include "domain/menu.hpp"

#include <algorithm>
#include <array>

#include <chelete/platform/money.hpp>

#include "domain/form.hpp"
#include "domain/incoming.hpp"

namespace chelete::ussd {
namespace {

// Every text in both languages, side by side, so a missing translation cannot compile.
struct Words {
    std::string_view sesotho;
    std::string_view english;
    [[nodiscard]] std::string_view in(Language l) const {
        return l == Language::kSesotho ? sesotho : english;
    }
};

constexpr Words kMainMenu{
    "Chelete\n1. Chelete e u romelletsoeng\n2. Romela voucher hape\n3. Khetha hore u e amohele "
    "joang\n4. Fetola PIN\n9. English",
    "Chelete\n1. Money sent to you\n2. Send my voucher again\n3. Choose how to receive\n4. Change "
    "PIN\n9. Sesotho"};
constexpr Words kBack{"0. Morao", "0. Back"};
constexpr Words kViewHeader{"Chelete e u romelletsoeng:", "Money sent to you:"};
constexpr Words kResendHeader{"Voucher ea efe?", "Voucher for which?"};
constexpr Words kMethodHeader{"Khetha chelete:", "Choose the money:"};
constexpr Words kMethodsHeader{"E amohele ka:", "Receive it by:"};
constexpr Words kEnterPin{"Kenya PIN ea hau (linomoro tse 5):", "Enter your PIN (5 digits):"};
constexpr Words kNewPin{"Kenya PIN e ncha (linomoro tse 5):", "Enter a new PIN (5 digits):"};
constexpr Words kRepeatPin{"Kenya PIN e ncha hape:", "Enter the new PIN again:"};
constexpr Words kInvalid{"Khetho e fosahetse.", "Invalid choice."};
constexpr Words kWrongPin{"PIN e fosahetse.", "Wrong PIN."};
constexpr Words kPinFormat{"PIN ke linomoro tse 5.", "The PIN is 5 digits."};
constexpr Words kWeakPin{"PIN eo e bonolo haholo.", "That PIN is too easy to guess."};
constexpr Words kPinsDiffer{"Li-PIN ha li tsamaisane.", "The PINs did not match."};
constexpr Words kNothingSent{
    "Ha ho chelete e u romelletsoeng hajoale.", "No money has been sent to you yet."};
constexpr Words kNoVoucher{"Ha ho voucher e ka romeloang hape.", "No voucher can be sent again."};
constexpr Words kNothingToChange{
    "Ha ho chelete eo u ka fetolang hore u e amohele joang.",
    "There is no money whose payout you can change."};
constexpr Words kPinLocked{
    "PIN e notletsoe ka lebaka la liteko tse fosahetseng. Leka hape hamorao.",
    "Your PIN is locked after wrong tries. Please try again later."};
constexpr Words kChanged{
    "Chelete eo e fetohile. Khetha hape.", "That money has changed. Choose again."};
constexpr Words kNoLongerPossible{
    "Chelete eo e fetohile: ha ho letho le entsoeng. Letsetsa hape.",
    "That money has changed: nothing was done. Please dial again."};
constexpr Words kPinChanged{"PIN ea hau e fetohile.", "Your PIN has been changed."};
constexpr Words kNotRegistered{
    "Nomoro ena ha e ngolisoe ho Chelete.", "This number is not registered with Chelete."};
constexpr Words kExpired{
    "Nako e felile. Letsetsa hape.", "The session timed out. Please dial again."};
constexpr Words kUnavailable{
    "Chelete ha e fumanehe hajoale. Leka hape hamorao.",
    "Chelete is unavailable right now. Please try again later."};

std::string_view stage_word(Stage s, Language l) {
    switch (s) {
        case Stage::kOnItsWay:
            return Words{"e tseleng", "on its way"}.in(l);
        case Stage::kReadyToCollect:
            return Words{"e emetse uena", "to collect"}.in(l);
        case Stage::kPaid:
            return Words{"e lefiloe", "paid"}.in(l);
        case Stage::kReturned:
            return Words{"e khutlile", "returned"}.in(l);
    }
    return "";
}

std::string_view method_name(PayoutMethod m, Language l) {
    switch (m) {
        case PayoutMethod::kMpesa:
            return "M-Pesa";
        case PayoutMethod::kEcocash:
            return "EcoCash";
        case PayoutMethod::kCashPickup:
            return Words{"chelete ho agent", "cash at an agent"}.in(l);
    }
    return "";
}

std::string amount(std::int64_t minor) {
    return "M" + platform::format_minor_units(minor < 0 ? 0 : minor);
}

std::string reference(const IncomingRemittance& r) {
    return plain(r.reference, 16);
}

std::string detail(const IncomingRemittance& r, Language l) {
    const std::string head = "Ref " + reference(r) + ": " + amount(r.amount_minor) +
                             (l == Language::kSesotho ? " ho tsoa ho " : " from ") +
                             plain(r.sender_name, 20) + ". ";
    std::string tail;
    const std::string method{method_name(r.method, l)};
    switch (r.stage) {
        case Stage::kOnItsWay:
            tail = l == Language::kSesotho ? "E tseleng, e tla lefshoa ka " + method + "."
                                           : "On its way, to be paid by " + method + ".";
            break;
        case Stage::kReadyToCollect:
            tail = l == Language::kSesotho ? "E emetse uena ho agent: tlisa voucher le ID ea hau."
                                           : "Ready at an agent: bring the voucher and your ID.";
            break;
        case Stage::kPaid:
            tail = l == Language::kSesotho ? "E lefiloe ka " + method + "."
                                           : "Paid by " + method + ".";
            break;
        case Stage::kReturned:
            tail = l == Language::kSesotho ? "E khutliselitsoe ho moromelli."
                                           : "Returned to the sender.";
            break;
    }
    return head + tail;
}

enum class Page { kMain, kPick, kMethod, kPin, kNewPinPage, kRepeatPinPage };
enum class Flow { kView, kResend, kMethod, kChangePin };

struct Walk {
    explicit Walk(Language l) : language(l) {}
    Language language;
    Page page = Page::kMain;
    Flow flow = Flow::kView;
    std::vector<std::size_t> listed;  // positions in caller.remittances, as numbered on screen
    std::size_t name_width = 10;      // how much of each sender's name the list shows
    std::size_t chosen = 0;           // a position in caller.remittances
    PayoutMethod method = PayoutMethod::kMpesa;
    std::string new_pin;
    std::optional<Words> notice;
    Offers pinned;  // list screens an input was read against as drawn now (no offer remembered)
};

std::string list_line(
    std::size_t n, const IncomingRemittance& r, std::size_t name_width, Language l
) {
    std::string line = std::to_string(n) + ". " + amount(r.amount_minor);
    const std::string name = plain(r.sender_name, name_width);
    if (!name.empty()) {
        line += " " + name;
    }
    line += " - ";
    line += stage_word(r.stage, l);
    return line;
}

std::string_view pick_header(Flow f, Language l) {
    switch (f) {
        case Flow::kResend:
            return kResendHeader.in(l);
        case Flow::kMethod:
            return kMethodHeader.in(l);
        default:
            return kViewHeader.in(l);
    }
}

std::string pick_screen(const Walk& w, const Caller& c, std::size_t name_width, std::size_t count) {
    std::string s{pick_header(w.flow, w.language)};
    for (std::size_t i = 0; i < count; ++i) {
        s += "\n" + list_line(i + 1, c.remittances[w.listed[i]], name_width, w.language);
    }
    s += "\n";
    s += kBack.in(w.language);
    return s;
}

// The longest notice is put above a screen; the list is fitted with room for it.
constexpr std::size_t kNoticeRoom = 56;

// Chooses how many remittances to list and how much of each name to show so the screen fits
// with a notice above it: fewer characters of the name first, then fewer remittances.
void fit_list(Walk& w, const Caller& c, std::vector<std::size_t> candidates) {
    if (candidates.size() > kMaxListed) {
        candidates.resize(kMaxListed);
    }
    w.listed = candidates;
    for (std::size_t count = candidates.size(); count >= 1; --count) {
        for (const std::size_t width : {std::size_t{10}, std::size_t{6}, std::size_t{0}}) {
            if (pick_screen(w, c, width, count).size() + kNoticeRoom <= kMaxScreenChars) {
                w.listed.resize(count);
                w.name_width = width;
                return;
            }
        }
    }
    w.listed.resize(1);
    w.name_width = 0;
}

bool is_pin_shaped(std::string_view s) {
    return s.size() == 5 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "1".."n" as a choice among n; nothing else (no leading zeros, signs or spaces).
std::optional<std::size_t> choice(std::string_view s, std::size_t n) {
    if (s.size() != 1 || s[0] < '1' || s[0] > '9') {
        return std::nullopt;
    }
    const auto k = static_cast<std::size_t>(s[0] - '0');
    if (k > n) {
        return std::nullopt;
    }
    return k;
}

Reply end(std::string text, std::optional<Action> action = std::nullopt) {
    Reply r;
    r.kind = Reply::Kind::kEnd;
    r.text = std::move(text);
    r.action = std::move(action);
    return r;
}

std::string with_notice(const Walk& w, std::string screen) {
    if (!w.notice) {
        return screen;
    }
    return std::string{w.notice->in(w.language)} + "\n" + screen;
}

std::string render(const Walk& w, const Caller& c) {
    const Language l = w.language;
    switch (w.page) {
        case Page::kMain:
            return std::string{kMainMenu.in(l)};
        case Page::kPick:
            return pick_screen(w, c, w.name_width, w.listed.size());
        case Page::kMethod: {
            const auto& r = c.remittances[w.chosen];
            std::string s = reference(r) + " " + amount(r.amount_minor) + "\n";
            s += kMethodsHeader.in(l);
            for (std::size_t i = 0; i < r.methods_allowed.size(); ++i) {
                s += "\n" + std::to_string(i + 1) + ". ";
                s += method_name(r.methods_allowed[i], l);
            }
            s += "\n";
            s += kBack.in(l);
            return s;
        }
        case Page::kPin: {
            std::string s;
            if (w.flow == Flow::kResend) {
                s = (l == Language::kSesotho ? "Romela voucher ea " : "Send the voucher for ") +
                    reference(c.remittances[w.chosen]) + ".\n";
            } else if (w.flow == Flow::kMethod) {
                s = reference(c.remittances[w.chosen]) +
                    (l == Language::kSesotho ? " ka " : " by ") +
                    std::string{method_name(w.method, l)} + ".\n";
            }
            s += kEnterPin.in(l);
            s += "\n";
            s += kBack.in(l);
            return s;
        }
        case Page::kNewPinPage:
            return std::string{kNewPin.in(l)} + "\n" + std::string{kBack.in(l)};
        case Page::kRepeatPinPage:
            return std::string{kRepeatPin.in(l)} + "\n" + std::string{kBack.in(l)};
    }
    return "";
}

template <typename Keep>
std::vector<std::size_t> positions(const Caller& c, Keep keep) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < c.remittances.size(); ++i) {
        if (keep(c.remittances[i])) {
            out.push_back(i);
        }
    }
    return out;
}

// Whether a remittance can still be chosen in a flow (what the flow's list is made of).
bool eligible(Flow f, const IncomingRemittance& r) {
    switch (f) {
        case Flow::kResend:
            return r.voucher_resendable;
        case Flow::kMethod:
            return !r.methods_allowed.empty();
        default:
            return true;
    }
}

// The list a flow starts from: every remittance it can act on, newest first.
std::vector<std::size_t> candidates(Flow f, const Caller& c) {
    return positions(c, [f](const IncomingRemittance& r) { return eligible(f, r); });
}

std::optional<std::size_t> position_of(const Caller& c, std::string_view reference) {
    for (std::size_t i = 0; i < c.remittances.size(); ++i) {
        if (c.remittances[i].reference == reference) {
            return i;
        }
    }
    return std::nullopt;
}

// What the screen the walk stopped on numbered, for the caller to remember.
std::optional<Offer> offer_of(const Walk& w, const Caller& c) {
    if (w.page == Page::kPick) {
        Offer o{Offer::Kind::kRemittances, {}};
        for (const auto i : w.listed) {
            o.items.push_back(c.remittances[i].reference);
        }
        return o;
    }
    if (w.page == Page::kMethod) {
        Offer o{Offer::Kind::kMethods, {}};
        for (const auto m : c.remittances[w.chosen].methods_allowed) {
            o.items.emplace_back(to_string(m));
        }
        return o;
    }
    return std::nullopt;
}

// How the input at `position` reads as an answer to a list screen: against the remembered offer,
// else the screen as the walk draws it now (several inputs sent in one turn, or a session from
// before offers were kept). kOtherList when the caller answered another kind of list than the
// walk is on: what they typed no longer means what they meant.
struct ListAnswer {
    enum class Read { kChosen, kNotAChoice, kOtherList };
    Read read = Read::kNotAChoice;
    std::string item;  // with kChosen: the reference or method shown under the number typed
};
// A choice read against the screen as drawn now is pinned in the walk (Reply::pinned), so later
// turns read that input against the same screen, whatever arrives meanwhile.
ListAnswer read_answer(
    Walk& w, const Offers& offers, std::size_t position, const Offer& now, std::string_view input
) {
    const auto remembered = offers.find(position);
    const bool known = remembered != offers.end();
    if (known && remembered->second.kind != now.kind) {
        return {ListAnswer::Read::kOtherList, {}};
    }
    const auto& shown = known ? remembered->second.items : now.items;
    const auto k = choice(input, shown.size());
    if (!k) {
        return {ListAnswer::Read::kNotAChoice, {}};
    }
    if (!known) {
        w.pinned.emplace(position, now);
    }
    return {ListAnswer::Read::kChosen, shown[*k - 1]};
}

}  // namespace

bool is_reference_shaped(std::string_view reference) {
    return !reference.empty() && reference.size() <= 32 &&
           std::all_of(reference.begin(), reference.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      c == '-' || c == '_';
           });
}

std::string Reply::body() const {
    return (kind == Kind::kContinue ? "CON " : "END ") + text;
}

std::string plain(std::string_view text, std::size_t max) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte >= 0x20 && byte <= 0x7e) {
            out.push_back(static_cast<char>(byte));
        } else if (byte >= 0xc0) {
            out.push_back('?');  // the first byte of a multi-byte character
        } else if (byte < 0x80) {
            out.push_back(' ');  // a control character
        }
        // 0x80-0xBF continue a character already shown as '?'
    }
    if (out.size() > max) {
        out.resize(max);
        if (max > 0) {
            out.back() = '.';
        }
    }
    return out;
}

std::string_view to_string(PayoutMethod method) {
    switch (method) {
        case PayoutMethod::kMpesa:
            return "mpesa";
        case PayoutMethod::kEcocash:
            return "ecocash";
        case PayoutMethod::kCashPickup:
            return "cash_pickup";
    }
    return "";
}

Reply not_registered(Language language) {
    return end(std::string{kNotRegistered.in(language)});
}

Reply session_expired(Language language) {
    return end(std::string{kExpired.in(language)});
}

Reply service_unavailable(Language language) {
    return end(std::string{kUnavailable.in(language)});
}

namespace {

Reply walk(
    Walk& w,
    const std::vector<std::string>& inputs,
    const Caller& caller,
    const PinAnswers& pins,
    const Offers& offers,
    const PinRule& pin_rule
) {
    if (inputs.size() > kMaxInputs) {
        return session_expired(w.language);
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const std::string& in = inputs[i];
        w.notice.reset();
        switch (w.page) {
            case Page::kMain:
                if (in == "1" || in == "2" || in == "3") {
                    w.flow = in == "1" ? Flow::kView : in == "2" ? Flow::kResend : Flow::kMethod;
                    const auto listed = candidates(w.flow, caller);
                    const auto shown_then = offers.find(i + 1);
                    if (listed.empty() && i + 1 < inputs.size() && shown_then != offers.end() &&
                        shown_then->second.kind == Offer::Kind::kRemittances) {
                        // Empty now, but an earlier turn showed this list and the caller answered
                        // it: the walk goes on through that screen (its answer is read against
                        // the remembered offer below), so a branch the caller left does not end
                        // the one they are in.
                        w.listed.clear();
                        w.page = Page::kPick;
                        break;
                    }
                    if (listed.empty()) {
                        const Words& none = w.flow == Flow::kView     ? kNothingSent
                                            : w.flow == Flow::kResend ? kNoVoucher
                                                                      : kNothingToChange;
                        return end(std::string{none.in(w.language)});
                    }
                    fit_list(w, caller, listed);
                    w.page = Page::kPick;
                } else if (in == "4") {
                    w.flow = Flow::kChangePin;
                    w.page = Page::kPin;
                } else if (in == "9") {
                    w.language =
                        w.language == Language::kSesotho ? Language::kEnglish : Language::kSesotho;
                } else {
                    w.notice = kInvalid;
                }
                break;
            case Page::kPick:
                if (in == "0") {
                    w.page = Page::kMain;
                    break;
                }
                {
                    const auto a = read_answer(w, offers, i, *offer_of(w, caller), in);
                    if (a.read == ListAnswer::Read::kOtherList) {
                        return end(std::string{kNoLongerPossible.in(w.language)});
                    }
                    if (a.read == ListAnswer::Read::kNotAChoice) {
                        if (w.listed.empty()) {
                            // A list remembered but empty now: nothing to draw again.
                            return end(std::string{kNoLongerPossible.in(w.language)});
                        }
                        w.notice = kInvalid;
                        break;
                    }
                    const auto at = position_of(caller, a.item);
                    if (!at || !eligible(w.flow, caller.remittances[*at])) {
                        // Shown, but gone or no longer open to this: the list as it is now.
                        const auto listed = candidates(w.flow, caller);
                        if (listed.empty()) {
                            return end(std::string{kNoLongerPossible.in(w.language)});
                        }
                        fit_list(w, caller, listed);
                        w.notice = kChanged;
                        break;
                    }
                    w.chosen = *at;
                }
                if (w.flow == Flow::kView) {
                    return end(detail(caller.remittances[w.chosen], w.language));
                }
                w.page = w.flow == Flow::kResend ? Page::kPin : Page::kMethod;
                break;
            case Page::kMethod: {
                if (in == "0") {
                    w.page = Page::kPick;
                    break;
                }
                const auto& allowed = caller.remittances[w.chosen].methods_allowed;
                const auto a = read_answer(w, offers, i, *offer_of(w, caller), in);
                if (a.read == ListAnswer::Read::kOtherList) {
                    return end(std::string{kNoLongerPossible.in(w.language)});
                }
                if (a.read == ListAnswer::Read::kNotAChoice) {
                    w.notice = kInvalid;
                    break;
                }
                const auto method = payout_method_from(a.item);
                if (!method ||
                    std::find(allowed.begin(), allowed.end(), *method) == allowed.end()) {
                    if (allowed.empty()) {
                        return end(std::string{kNoLongerPossible.in(w.language)});
                    }
                    w.notice = kChanged;  // the methods as they are now
                    break;
                }
                w.method = *method;
                w.page = Page::kPin;
                break;
            }
            case Page::kPin: {
                if (in == "0") {
                    w.page = w.flow == Flow::kChangePin ? Page::kMain
                             : w.flow == Flow::kMethod  ? Page::kMethod
                                                        : Page::kPick;
                    break;
                }
                if (!is_pin_shaped(in)) {
                    w.notice = kPinFormat;  // not a try: nothing was checked
                    break;
                }
                const auto checked = pins.find(i);
                if (checked == pins.end()) {
                    Reply ask;
                    ask.kind = Reply::Kind::kCheckPin;
                    ask.pin_input = i;
                    ask.pin = in;
                    return ask;
                }
                if (checked->second == PinCheck::kLocked) {
                    return end(std::string{kPinLocked.in(w.language)});
                }
                if (checked->second == PinCheck::kWrong) {
                    w.notice = kWrongPin;
                    break;
                }
                const auto& r = caller.remittances.empty() ? IncomingRemittance{}
                                                           : caller.remittances[w.chosen];
                const Language l = w.language;
                // The choice was made on an earlier turn; what it chose may have moved on since.
                const auto& allowed = r.methods_allowed;
                if ((w.flow == Flow::kResend && !r.voucher_resendable) ||
                    (w.flow == Flow::kMethod &&
                     std::find(allowed.begin(), allowed.end(), w.method) == allowed.end())) {
                    return end(std::string{kNoLongerPossible.in(l)});
                }
                switch (w.flow) {
                    case Flow::kResend:
                        return end(
                            (l == Language::kSesotho
                                 ? "Voucher ea " + reference(r) + " e tla tla ka SMS haufinyane."
                                 : "The voucher for " + reference(r) + " will come by SMS shortly."
                            ),
                            ResendVoucher{r.reference}
                        );
                    case Flow::kMethod:
                        return end(
                            (l == Language::kSesotho
                                 ? "Ho lokile: " + reference(r) + " e tla lefshoa ka " +
                                       std::string{method_name(w.method, l)} +
                                       ". SMS e tla netefatsa."
                                 : "Done: " + reference(r) + " will be paid by " +
                                       std::string{method_name(w.method, l)} +
                                       ". An SMS will confirm."),
                            ChooseMethod{r.reference, w.method}
                        );
                    case Flow::kChangePin:
                        w.page = Page::kNewPinPage;
                        break;
                    case Flow::kView:
                        break;  // viewing needs no PIN
                }
                break;
            }
            case Page::kNewPinPage:
                if (in == "0") {
                    w.page = Page::kMain;
                } else if (!is_pin_shaped(in)) {
                    w.notice = kPinFormat;
                } else if (pin_rule && pin_rule(in)) {
                    w.notice = kWeakPin;
                } else {
                    w.new_pin = in;
                    w.page = Page::kRepeatPinPage;
                }
                break;
            case Page::kRepeatPinPage:
                if (in == "0") {
                    w.page = Page::kMain;
                } else if (in == w.new_pin) {
                    return end(std::string{kPinChanged.in(w.language)}, ChangePin{w.new_pin});
                } else {
                    w.notice = kPinsDiffer;
                    w.page = Page::kNewPinPage;
                }
                break;
        }
    }
    Reply r;
    r.kind = Reply::Kind::kContinue;
    r.text = with_notice(w, render(w, caller));
    r.offer = offer_of(w, caller);
    return r;
}

}  // namespace

Reply answer(
    const std::vector<std::string>& inputs,
    const Caller& caller,
    const PinAnswers& pins,
    const Offers& offers,
    const PinRule& pin_rule
) {
    Walk w{caller.language};
    Reply r = walk(w, inputs, caller, pins, offers, pin_rule);
    r.pinned = std::move(w.pinned);
    return r;
}

}  // namespace chelete::ussd
