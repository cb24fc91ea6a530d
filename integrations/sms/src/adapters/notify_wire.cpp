#include "adapters/notify_wire.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/msisdn.hpp"

namespace chelete::sms::wire {
namespace {

using nlohmann::json;
using Error = platform::Err<std::string>;

bool printable_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

}  // namespace

platform::Result<SmsRequest, std::string> parse_sms_request(std::string_view payload) {
    if (payload.size() > kMaxPayload) {
        return Error{"payload larger than " + std::to_string(kMaxPayload) + " bytes"};
    }
    const json j = json::parse(payload, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return Error{"payload is not a JSON object"};
    }
    for (const auto& item : j.items()) {
        const std::string& key = item.key();
        if (key != "to" && key != "template" && key != "params" && key != "subject_id" &&
            key != "dedupe_key" && key != "language") {
            return Error{"unknown member '" + fold_to_gsm7_basic(first_code_points(key, 32)) + "'"};
        }
    }
    const auto text = [&](const char* key) -> std::optional<std::string> {
        const auto it = j.find(key);
        if (it == j.end() || !it->is_string()) {
            return std::nullopt;
        }
        return it->get<std::string>();
    };
    SmsRequest r;
    const auto to = text("to");
    if (!to) {
        return Error{"'to' must be a string"};
    }
    auto number = normalize_msisdn(*to);
    if (!number) {
        return Error{"'to' is not +27 and 9 digits or +266 and 8 digits"};
    }
    r.to = std::move(*number);
    const auto name = text("template");
    if (!name || name->empty() || name->size() > 64 || !printable_ascii(*name)) {
        return Error{"'template' must be a template name"};
    }
    r.template_name = *name;
    const auto key = text("dedupe_key");
    if (!key || key->empty() || key->size() > kMaxDedupeKey || !printable_ascii(*key)) {
        return Error{
            "'dedupe_key' must be 1-" + std::to_string(kMaxDedupeKey) +
            " printable ASCII characters"};
    }
    r.dedupe_key = *key;
    if (j.contains("subject_id")) {
        const auto subject = text("subject_id");
        if (!subject || subject->size() > kMaxSubjectId ||
            (!subject->empty() && !printable_ascii(*subject))) {
            return Error{"'subject_id' must be a string of at most 64 printable characters"};
        }
        r.subject_id = *subject;
    }
    if (j.contains("language")) {
        const auto code = text("language");
        const auto language = code ? language_from(*code) : std::nullopt;
        if (!language) {
            return Error{"'language' must be \"en\" or \"st\""};
        }
        r.language = language;
    }
    const auto params = j.find("params");
    if (params == j.end() || !params->is_object()) {
        return Error{"'params' must be an object"};
    }
    if (params->size() > kMaxParams) {
        return Error{"'params' has more than " + std::to_string(kMaxParams) + " members"};
    }
    for (const auto& item : params->items()) {
        const std::string shown = fold_to_gsm7_basic(first_code_points(item.key(), 32));
        if (!item.value().is_string()) {
            return Error{"parameter '" + shown + "' must be a string"};
        }
        const auto& value = item.value().get_ref<const std::string&>();
        if (value.size() > kMaxParamValue) {
            return Error{"parameter '" + shown + "' is longer than 256 bytes"};
        }
        r.params.emplace(item.key(), value);
    }
    return r;
}

std::string to_json(const SmsRequest& r) {
    json params = json::object();
    for (const auto& [k, v] : r.params) {
        params[k] = v;
    }
    json out{
        {"to", r.to},
        {"template", r.template_name},
        {"params", params},
        {"subject_id", r.subject_id},
        {"dedupe_key", r.dedupe_key}};
    if (r.language) {
        out["language"] = std::string{to_string(*r.language)};
    }
    return out.dump();
}

}  // namespace chelete::sms::wire
