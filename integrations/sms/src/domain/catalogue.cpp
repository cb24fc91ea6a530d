#include "domain/catalogue.hpp"

#include <algorithm>

namespace chelete::sms {
namespace {

constexpr std::size_t kNameMax = 20;
constexpr std::size_t kAmountMax = 12;  // 999999999.99
constexpr std::size_t kDateLength = 10;
constexpr std::size_t kRefMax = 12;
constexpr std::size_t kVoucherMax = 16;
constexpr std::size_t kPinMax = 6;
constexpr std::size_t kPinMin = 4;
constexpr std::size_t kWordMax = 12;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_alnum(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool all_of(std::string_view s, bool (*predicate)(char)) {
    return std::all_of(s.begin(), s.end(), predicate);
}

std::optional<std::string> format_amount(std::string_view v) {
    const auto dot = v.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 9 || v.size() != dot + 3) {
        return std::nullopt;
    }
    if (!all_of(v.substr(0, dot), is_digit) || !all_of(v.substr(dot + 1), is_digit)) {
        return std::nullopt;
    }
    if (dot > 1 && v[0] == '0') {
        return std::nullopt;  // "007.00" is not how an amount is written
    }
    return std::string{v};
}

std::optional<std::string> format_date(std::string_view v) {
    if (v.size() != kDateLength || v[4] != '-' || v[7] != '-') {
        return std::nullopt;
    }
    if (!all_of(v.substr(0, 4), is_digit) || !all_of(v.substr(5, 2), is_digit) ||
        !all_of(v.substr(8, 2), is_digit)) {
        return std::nullopt;
    }
    const int month = (v[5] - '0') * 10 + (v[6] - '0');
    const int day = (v[8] - '0') * 10 + (v[9] - '0');
    if (month < 1 || month > 12 || day < 1 || day > 31) {
        return std::nullopt;
    }
    return std::string{v};
}

std::optional<std::string> format_name(std::string_view v, std::size_t max) {
    std::string folded = fold_to_gsm7_basic(v);
    if (folded.empty()) {
        return std::nullopt;
    }
    if (code_points(folded) > max) {
        // Deliberately cut so that the message stays one SMS: after the last whole word that
        // fits when that keeps at least half, else mid-word. Folded text is one byte per
        // character except a few Latin-1 letters, so the space search is on bytes of the cut.
        folded = first_code_points(folded, max);
        const auto space = folded.rfind(' ');
        if (space != std::string::npos && code_points(folded.substr(0, space)) >= max / 2) {
            folded.erase(space);
        }
    }
    return folded;
}

}  // namespace

std::string_view to_string(Language language) {
    return language == Language::kEnglish ? "en" : "st";
}

std::optional<Language> language_from(std::string_view code) {
    if (code == "en") {
        return Language::kEnglish;
    }
    if (code == "st") {
        return Language::kSesotho;
    }
    return std::nullopt;
}

std::string_view to_string(ParamKind kind) {
    switch (kind) {
        case ParamKind::kName:
            return "name";
        case ParamKind::kAmount:
            return "amount";
        case ParamKind::kDate:
            return "date";
        case ParamKind::kCode:
            return "code";
        case ParamKind::kPin:
            return "pin";
        case ParamKind::kWord:
            return "word";
    }
    return "name";
}

std::string_view to_string(RenderErrorCode code) {
    switch (code) {
        case RenderErrorCode::kUnknownTemplate:
            return "unknown_template";
        case RenderErrorCode::kMissingParam:
            return "missing_param";
        case RenderErrorCode::kUnknownParam:
            return "unknown_param";
        case RenderErrorCode::kBadParam:
            return "bad_param";
    }
    return "unknown_template";
}

const std::vector<Template>& catalogue() {
    using K = ParamKind;
    const ParamSpec amount{"amount", K::kAmount, kAmountMax};
    const ParamSpec ref{"ref", K::kCode, kRefMax};
    const ParamSpec recipient{"recipient_name", K::kName, kNameMax};
    const ParamSpec sender{"sender_name", K::kName, kNameMax};
    // Sesotho as written in Lesotho (oa/ea, u, li). The texts avoid letters outside GSM-7
    // (š, ê): one of them would switch the whole message to UCS-2 and its limit to 70.
    static const std::vector<Template> kCatalogue{
        {"beneficiary_welcome",
         true,
         {{"name", K::kName, kNameMax}, {"pin", K::kPin, kPinMax}},
         "Chelete: Welcome {name}. Your PIN is {pin}. Sign in with this phone number and PIN. "
         "Never share your PIN with anyone.",
         "Chelete: Rea u amohela {name}. PIN ea hao ke {pin}. Kena ka nomoro ena ea mohala le "
         "PIN. U se ke ua bolella motho PIN ea hao."},
        {"permit_expiry",
         false,
         {{"permit_type", K::kWord, kWordMax}, {"legal_expiry", K::kDate, kDateLength}},
         "Chelete: Your {permit_type} permit expires on {legal_expiry}. Renew it in time to keep "
         "working and sending money legally.",
         "Chelete: Tumello ea hao ea {permit_type} e fela ka {legal_expiry}. E nchafatse ka nako "
         "hore u tsoele pele ho sebetsa ka molao."},
        {"remittance_created",
         false,
         {amount, {"receive_amount", K::kAmount, kAmountMax}, recipient, ref},
         "Chelete: Your transfer of R{amount} to {recipient_name} (M{receive_amount}) is being "
         "processed. Ref {ref}. We will SMS you when it is paid.",
         "Chelete: Romelo ea hao ea R{amount} ho {recipient_name} (M{receive_amount}) ea "
         "sebetsoa. Ref {ref}. Re tla u tsebisa ha e lefuoe."},
        {"remittance_incoming",
         false,
         {amount, sender, ref},
         "Chelete: {sender_name} is sending you M{amount}. Ref {ref}. We will SMS you when it is "
         "paid out to you.",
         "Chelete: U romeletsoe M{amount} ke {sender_name}. Ref {ref}. Re tla u tsebisa ha "
         "chelete e fihla ho uena."},
        {"remittance_paid",
         false,
         {amount, recipient, ref},
         "Chelete: M{amount} has been paid to {recipient_name}. Ref {ref}. Thank you for using "
         "Chelete.",
         "Chelete: M{amount} e lefuoe ho {recipient_name}. Ref {ref}. Re a leboha ha u sebelisa "
         "Chelete."},
        {"remittance_received",
         false,
         {amount, sender, ref},
         "Chelete: You have received M{amount} from {sender_name}. Ref {ref}.",
         "Chelete: U amohetse M{amount} ho tsoa ho {sender_name}. Ref {ref}."},
        {"remittance_failed",
         false,
         {amount, recipient, ref},
         "Chelete: We could not pay M{amount} to {recipient_name}. Ref {ref}. Your money is being "
         "returned to your wallet. Please check the number.",
         "Chelete: Ha rea khona ho lefa M{amount} ho {recipient_name}. Ref {ref}. Chelete ea hao "
         "e khutlisetsoa akhaonteng ea hao. Hlahloba nomoro."},
        {"remittance_refunded",
         false,
         {amount, ref},
         "Chelete: R{amount} has been returned to your Chelete wallet. Ref {ref}.",
         "Chelete: R{amount} e khutlisetsoe akhaonteng ea hao ea Chelete. Ref {ref}."},
        {"remittance_rejected",
         false,
         {amount, recipient, ref},
         "Chelete: Your transfer of R{amount} to {recipient_name} was not approved. No money was "
         "taken from your wallet. Ref {ref}.",
         "Chelete: Romelo ea hao ea R{amount} ho {recipient_name} ha ea amoheloa. Ha ho chelete "
         "e nkiloeng akhaonteng ea hao. Ref {ref}."},
        {"payout_method_changed",
         false,
         {amount, ref, {"method", K::kWord, kWordMax}},
         "Chelete: M{amount} (Ref {ref}) will be paid to you by {method}, as you chose.",
         "Chelete: M{amount} (Ref {ref}) e tla lefshoa ho uena ka {method}, kamoo u khethileng."},
        {"voucher_issued",
         true,
         {{"voucher_code", K::kCode, kVoucherMax}, {"pin", K::kPin, kPinMax}, amount, sender},
         "Chelete: {sender_name} sent you M{amount}. Collect it at a Chelete agent with voucher "
         "{voucher_code}, PIN {pin} and your ID. Never share the PIN.",
         "Chelete: {sender_name} o u romeletse M{amount}. E lata ho moemeli oa Chelete ka "
         "voucher {voucher_code}, PIN {pin} le ID. Se bolelle motho PIN."},
    };
    return kCatalogue;
}

const Template* find_template(std::string_view name) {
    const auto& all = catalogue();
    const auto it =
        std::find_if(all.begin(), all.end(), [&](const Template& t) { return t.name == name; });
    return it == all.end() ? nullptr : &*it;
}

std::optional<std::string> format_param(const ParamSpec& spec, std::string_view value) {
    switch (spec.kind) {
        case ParamKind::kName:
            return format_name(value, spec.max_length);
        case ParamKind::kAmount:
            return format_amount(value);
        case ParamKind::kDate:
            return format_date(value);
        case ParamKind::kCode:
            if (value.empty() || value.size() > spec.max_length ||
                !std::all_of(value.begin(), value.end(), [](char c) {
                    return is_alnum(c) || c == '-';
                })) {
                return std::nullopt;
            }
            return std::string{value};
        case ParamKind::kPin:
            if (value.size() < kPinMin || value.size() > spec.max_length ||
                !all_of(value, is_digit)) {
                return std::nullopt;
            }
            return std::string{value};
        case ParamKind::kWord: {
            if (value.empty() || value.size() > spec.max_length ||
                !std::all_of(value.begin(), value.end(), [](char c) {
                    return is_alnum(c) || c == '_';
                })) {
                return std::nullopt;
            }
            std::string shown{value};
            std::replace(shown.begin(), shown.end(), '_', ' ');
            return shown;
        }
    }
    return std::nullopt;
}

platform::Result<Rendered, RenderError> render(
    std::string_view template_name, Language language, const Params& params
) {
    const Template* t = find_template(template_name);
    if (t == nullptr) {
        return platform::err(RenderError{
            RenderErrorCode::kUnknownTemplate,
            "unknown template '" + fold_to_gsm7_basic(first_code_points(template_name, 64)) + "'"});
    }
    const std::string where = "template " + std::string{t->name} + ": ";
    for (const auto& param : params) {
        const std::string& name = param.first;
        const bool declared = std::any_of(t->params.begin(), t->params.end(), [&](const auto& p) {
            return p.name == name;
        });
        if (!declared) {
            return platform::err(RenderError{
                RenderErrorCode::kUnknownParam,
                where + "unknown parameter '" + fold_to_gsm7_basic(first_code_points(name, 64)) +
                    "'"});
        }
    }
    std::map<std::string_view, std::string> values;
    for (const ParamSpec& spec : t->params) {
        const auto it = params.find(spec.name);
        if (it == params.end()) {
            return platform::err(RenderError{
                RenderErrorCode::kMissingParam,
                where + "missing parameter '" + std::string{spec.name} + "'"});
        }
        auto formatted = format_param(spec, it->second);
        if (!formatted) {
            return platform::err(RenderError{
                RenderErrorCode::kBadParam,
                where + "parameter '" + std::string{spec.name} + "' is not a valid " +
                    std::string{to_string(spec.kind)}});
        }
        values.emplace(spec.name, std::move(*formatted));
    }
    const std::string_view text = t->text(language);
    Rendered out;
    out.secret = t->secret;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto open = text.find('{', i);
        if (open == std::string_view::npos) {
            out.text.append(text.substr(i));
            break;
        }
        const auto close = text.find('}', open);
        out.text.append(text.substr(i, open - i));
        // The catalogue's placeholders are checked by catalogue_test: each names a parameter.
        out.text += values.at(text.substr(open + 1, close - open - 1));
        i = close + 1;
    }
    const auto length = measure(out.text);
    if (!length) {
        throw std::logic_error("a rendered SMS is not valid UTF-8");  // folding makes it valid
    }
    out.length = *length;
    return out;
}

Params worst_case_params(const Template& t) {
    Params out;
    for (const ParamSpec& p : t.params) {
        switch (p.kind) {
            case ParamKind::kName:
            case ParamKind::kCode:
            case ParamKind::kWord:
                out[std::string{p.name}] = std::string(p.max_length, 'W');
                break;
            case ParamKind::kAmount:
                out[std::string{p.name}] = "999999999.99";
                break;
            case ParamKind::kDate:
                out[std::string{p.name}] = "2099-12-31";
                break;
            case ParamKind::kPin:
                out[std::string{p.name}] = std::string(p.max_length, '9');
                break;
        }
    }
    return out;
}

}  // namespace chelete::sms
