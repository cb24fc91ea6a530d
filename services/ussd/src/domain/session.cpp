#include "domain/session.hpp"

#include <algorithm>
#include <charconv>

#include "domain/form.hpp"

namespace chelete::ussd {
namespace {

constexpr std::string_view kVersion = "v1|";
constexpr std::size_t kMaxPhone = 16;

char letter(PinCheck c) {
    switch (c) {
        case PinCheck::kCorrect:
            return 'c';
        case PinCheck::kWrong:
            return 'w';
        case PinCheck::kLocked:
            return 'l';
    }
    return 'w';
}

std::optional<PinCheck> check_of(char c) {
    switch (c) {
        case 'c':
            return PinCheck::kCorrect;
        case 'w':
            return PinCheck::kWrong;
        case 'l':
            return PinCheck::kLocked;
        default:
            return std::nullopt;
    }
}

bool phone_shaped(std::string_view phone) {
    return phone.size() >= 2 && phone.size() <= kMaxPhone && phone[0] == '+' &&
           std::all_of(phone.begin() + 1, phone.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string encode_session(const Session& session) {
    std::string out{kVersion};
    out += session.phone;
    out += session.language == Language::kEnglish ? "|en|" : "|st|";
    bool first = true;
    for (const auto& [position, check] : session.pins) {
        if (!first) {
            out += ',';
        }
        first = false;
        out += std::to_string(position);
        out += ':';
        out += letter(check);
    }
    return out;
}

std::optional<Session> decode_session(std::string_view text) {
    if (!text.starts_with(kVersion)) {
        return std::nullopt;
    }
    text.remove_prefix(kVersion.size());
    const auto bar = text.find('|');
    if (bar == std::string_view::npos) {
        return std::nullopt;
    }
    Session s;
    s.phone = std::string{text.substr(0, bar)};
    if (!phone_shaped(s.phone)) {
        return std::nullopt;
    }
    text.remove_prefix(bar + 1);
    if (text.starts_with("st|")) {
        s.language = Language::kSesotho;
    } else if (text.starts_with("en|")) {
        s.language = Language::kEnglish;
    } else {
        return std::nullopt;
    }
    text.remove_prefix(3);
    std::optional<std::size_t> previous;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (comma != std::string_view::npos && text.empty()) {
            return std::nullopt;  // a trailing comma
        }
        const auto colon = item.find(':');
        if (colon == std::string_view::npos || colon == 0 || colon + 2 != item.size() ||
            (item[0] == '0' && colon > 1)) {
            return std::nullopt;
        }
        std::size_t position = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + colon, position);
        const auto check = check_of(item[colon + 1]);
        if (ec != std::errc{} || end != item.data() + colon || !check || position >= kMaxInputs ||
            (previous && position <= *previous)) {
            return std::nullopt;
        }
        previous = position;
        s.pins[position] = *check;
    }
    return s;
}

}  // namespace chelete::ussd
