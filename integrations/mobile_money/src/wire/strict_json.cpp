#include "wire/strict_json.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include <chelete/platform/clock.hpp>

namespace chelete::mobile_money::wire {
namespace {

using platform::err;

bool all_of(std::string_view text, bool (*allowed)(char)) {
    return std::all_of(text.begin(), text.end(), allowed);
}

bool is_alnum(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

platform::Result<Json, std::string> parse_object(std::string_view body) {
    std::vector<std::set<std::string>> open_objects;
    bool duplicate_key = false;
    const Json::parser_callback_t watch_keys =
        [&open_objects, &duplicate_key](int /*depth*/, Json::parse_event_t event, Json& parsed) {
            if (event == Json::parse_event_t::object_start) {
                open_objects.emplace_back();
            } else if (event == Json::parse_event_t::object_end) {
                if (!open_objects.empty()) {
                    open_objects.pop_back();
                }
            } else if (event == Json::parse_event_t::key && !open_objects.empty()) {
                if (!open_objects.back().insert(parsed.get<std::string>()).second) {
                    duplicate_key = true;
                }
            }
            return true;
        };
    Json value = Json::parse(body.begin(), body.end(), watch_keys, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        return err(std::string{"body is not JSON"});
    }
    if (duplicate_key) {
        return err(std::string{"body repeats a key"});
    }
    if (!value.is_object()) {
        return err(std::string{"body is not a JSON object"});
    }
    return value;
}

platform::Status<std::string> check_members(
    const Json& object,
    std::initializer_list<std::string_view> required,
    std::initializer_list<std::string_view> optional
) {
    for (const auto name : required) {
        if (!object.contains(name)) {
            return err("member " + std::string{name} + " is missing");
        }
    }
    for (const auto& item : object.items()) {
        const std::string& key = item.key();
        const auto known = [&key](std::string_view name) { return name == key; };
        if (std::none_of(required.begin(), required.end(), known) &&
            std::none_of(optional.begin(), optional.end(), known)) {
            // A member we do not know means the contract moved: someone must read it first.
            return err("unexpected member " + key.substr(0, 64));
        }
    }
    return {};
}

platform::Result<std::string, std::string> string_member(
    const Json& object, std::string_view name
) {
    const auto found = object.find(name);
    if (found == object.end()) {
        return err("member " + std::string{name} + " is missing");
    }
    if (!found->is_string()) {
        return err("member " + std::string{name} + " is not a string");
    }
    return found->get<std::string>();
}

std::string text_member(const Json& object, std::string_view name) {
    const auto found = object.find(name);
    if (found == object.end() || !found->is_string()) {
        return {};
    }
    return found->get<std::string>();
}

bool is_mpesa_reference(std::string_view text) {
    return !text.empty() && text.size() <= 40 && all_of(text, is_alnum);
}

bool is_ecocash_reference(std::string_view text) {
    return !text.empty() && text.size() <= 40 &&
           all_of(text, [](char c) { return is_alnum(c) || c == '-'; });
}

bool is_partner_token(std::string_view text) {
    return !text.empty() && text.size() <= 64 &&
           all_of(text, [](char c) { return c > ' ' && c < 0x7f; });
}

bool is_lesotho_msisdn(std::string_view text) {
    return text.size() == 11 && text.substr(0, 3) == "266" &&
           all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

bool is_rfc3339(std::string_view text) {
    return platform::parse_rfc3339(text).has_value();
}

}  // namespace chelete::mobile_money::wire
