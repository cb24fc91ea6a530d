#pragma once

// The SMS templates, in English and Sesotho (Lesotho orthography), and their rendering
// (docs/notifier.md "Templates"). Pure: no I/O.
//
// The guarantee: every template, rendered in either language with every parameter at its
// longest allowed value, fits one GSM-7 SMS (160 septets). It holds because each parameter has
// a maximum length, free text (names) is folded into the GSM-7 basic alphabet (one septet per
// character) and truncated to its maximum, other kinds are validated (digits, codes, dates),
// and the template texts are GSM-7 basic only. catalogue_test checks it for every template and
// language.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/platform/result.hpp>

#include "domain/gsm.hpp"

namespace chelete::sms {

enum class Language { kEnglish, kSesotho };
/// "en", "st"
[[nodiscard]] std::string_view to_string(Language language);
[[nodiscard]] std::optional<Language> language_from(std::string_view code);

enum class ParamKind {
    kName,    // free text, folded to GSM-7 basic, cut to the maximum at a word boundary
    kAmount,  // "<1-9 digits>.<2 digits>", the currency is in the template (R for ZAR, M for LSL)
    kDate,    // YYYY-MM-DD
    kCode,    // [A-Za-z0-9-], 1 to the maximum (references, voucher codes)
    kPin,     // 4 to the maximum digits
    kWord,    // [A-Za-z0-9_], 1 to the maximum; '_' is shown as a space ("work_visa")
};
[[nodiscard]] std::string_view to_string(ParamKind kind);

struct ParamSpec {
    std::string_view name;
    ParamKind kind = ParamKind::kName;
    std::size_t max_length = 0;  // code points after folding
};

struct Template {
    std::string_view name;
    /// Carries a secret (a PIN): the notifier stores no text and logs no parameters.
    bool secret = false;
    std::vector<ParamSpec> params;
    std::string_view english;  // "{param}" placeholders
    std::string_view sesotho;

    [[nodiscard]] std::string_view text(Language language) const {
        return language == Language::kEnglish ? english : sesotho;
    }
};

/// Every template, in a stable order.
[[nodiscard]] const std::vector<Template>& catalogue();
/// nullptr when there is no such template.
[[nodiscard]] const Template* find_template(std::string_view name);

using Params = std::map<std::string, std::string, std::less<>>;

enum class RenderErrorCode { kUnknownTemplate, kMissingParam, kUnknownParam, kBadParam };
[[nodiscard]] std::string_view to_string(RenderErrorCode code);

struct RenderError {
    RenderErrorCode code = RenderErrorCode::kUnknownTemplate;
    std::string message;  // names the template and parameter, never a value
};

struct Rendered {
    std::string text;
    SmsLength length;
    bool secret = false;
};

/// The template in `language` with its parameters checked and substituted. Every declared
/// parameter must be present and no other; values are checked against their kind (a bad one is
/// refused, a long name is truncated). Error messages never carry a parameter's value (a PIN).
[[nodiscard]] platform::Result<Rendered, RenderError> render(
    std::string_view template_name, Language language, const Params& params
);

/// The value `spec` puts into the text for `value`, or nullopt when `value` is refused.
[[nodiscard]] std::optional<std::string> format_param(
    const ParamSpec& spec, std::string_view value
);

/// The longest value of each parameter (every character one septet): what the one-SMS
/// guarantee is checked with.
[[nodiscard]] Params worst_case_params(const Template& t);

}  // namespace chelete::sms
