#include "domain/form.hpp"

#include <algorithm>
#include <optional>

namespace chelete::ussd {
namespace {

using platform::err;

std::optional<int> hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return std::nullopt;
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte. A malformed escape is refused
// rather than passed through, so what the menu sees is what the phone sent.
std::optional<std::string> decode(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%') {
            if (i + 2 >= raw.size()) {
                return std::nullopt;
            }
            const auto hi = hex_value(raw[i + 1]);
            const auto lo = hex_value(raw[i + 2]);
            if (!hi || !lo) {
                return std::nullopt;
            }
            out.push_back(static_cast<char>(*hi * 16 + *lo));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

bool printable_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

bool all_of_chars(std::string_view s, std::string_view allowed) {
    return std::all_of(s.begin(), s.end(), [&](char c) {
        return (c >= '0' && c <= '9') || allowed.find(c) != std::string_view::npos;
    });
}

bool session_id_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_' || c == '.' || c == ':';
}

}  // namespace

platform::Result<UssdRequest, FormError> parse_ussd_form(std::string_view body) {
    if (body.size() > kMaxFormBytes) {
        return err(FormError{"body", "is longer than " + std::to_string(kMaxFormBytes) + " bytes"});
    }
    std::optional<std::string> session_id;
    std::optional<std::string> service_code;
    std::optional<std::string> phone_number;
    std::optional<std::string> network_code;
    std::optional<std::string> text;
    std::size_t start = 0;
    while (start <= body.size()) {
        const std::size_t end = std::min(body.find('&', start), body.size());
        const std::string_view pair = body.substr(start, end - start);
        start = end + 1;
        if (pair.empty()) {
            continue;
        }
        const std::size_t eq = pair.find('=');
        const auto name = decode(pair.substr(0, eq));
        if (!name) {
            return err(FormError{"body", "has a malformed percent escape in a field name"});
        }
        std::optional<std::string>* slot = nullptr;
        if (*name == "sessionId") {
            slot = &session_id;
        } else if (*name == "serviceCode") {
            slot = &service_code;
        } else if (*name == "phoneNumber") {
            slot = &phone_number;
        } else if (*name == "networkCode") {
            slot = &network_code;
        } else if (*name == "text") {
            slot = &text;
        } else {
            continue;  // a field of the gateway's own
        }
        if (slot->has_value()) {
            return err(FormError{*name, "is given more than once"});
        }
        auto value =
            decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!value) {
            return err(FormError{*name, "has a malformed percent escape"});
        }
        *slot = std::move(*value);
    }

    UssdRequest r;
    if (!session_id || session_id->empty()) {
        return err(FormError{"sessionId", "is required"});
    }
    if (session_id->size() > 128 ||
        !std::all_of(session_id->begin(), session_id->end(), session_id_char)) {
        return err(FormError{"sessionId", "must be 1-128 letters, digits or -_.:"});
    }
    r.session_id = std::move(*session_id);
    if (!service_code || service_code->empty()) {
        return err(FormError{"serviceCode", "is required"});
    }
    if (service_code->size() > 32 || !all_of_chars(*service_code, "*#")) {
        return err(FormError{"serviceCode", "must be up to 32 digits, '*' and '#'"});
    }
    r.service_code = std::move(*service_code);
    if (!phone_number || phone_number->empty()) {
        return err(FormError{"phoneNumber", "is required"});
    }
    // Gateways send E.164 with or without the '+'; the registry keeps it with.
    std::string phone = *phone_number;
    if (phone.front() == '+') {
        phone.erase(0, 1);
    }
    if (phone.size() < 8 || phone.size() > 15 || !all_of_chars(phone, "") || phone.front() == '0') {
        return err(FormError{"phoneNumber", "must be an E.164 number: country code and 7-14 digits"}
        );
    }
    r.phone_number = "+" + phone;
    if (network_code) {
        if (network_code->size() > 16 || !all_of_chars(*network_code, "")) {
            return err(FormError{"networkCode", "must be up to 16 digits"});
        }
        r.network_code = std::move(*network_code);
    }
    if (text) {
        if (text->size() > kMaxTextBytes) {
            return err(FormError{
                "text", "is longer than " + std::to_string(kMaxTextBytes) + " bytes"});
        }
        if (!printable_ascii(*text)) {
            return err(FormError{"text", "must be printable characters only"});
        }
        r.text = std::move(*text);
    }
    return r;
}

std::vector<std::string> split_inputs(std::string_view text) {
    std::vector<std::string> inputs;
    if (text.empty()) {
        return inputs;
    }
    std::size_t start = 0;
    while (true) {
        const std::size_t star = text.find('*', start);
        if (star == std::string_view::npos) {
            inputs.emplace_back(text.substr(start));
            return inputs;
        }
        inputs.emplace_back(text.substr(start, star - start));
        start = star + 1;
    }
}

}  // namespace chelete::ussd
