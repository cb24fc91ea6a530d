#include "domain/session.hpp"

#include <algorithm>
#include <charconv>

#include "domain/form.hpp"

namespace chelete::ussd {
namespace {

constexpr std::string_view kVersion = "v1|";
constexpr std::string_view kVersionWithOffers = "v2|";
constexpr std::size_t kMaxPhone = 16;
/// More than a screen can number with one digit is nothing encode wrote.
constexpr std::size_t kMaxOfferItems = 9;

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

// "<position>" as encode writes it: no sign, no leading zero, below kMaxInputs, above `previous`.
std::optional<std::size_t> position_from(
    std::string_view text, const std::optional<std::size_t>& previous
) {
    if (text.empty() || (text[0] == '0' && text.size() > 1)) {
        return std::nullopt;
    }
    std::size_t position = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), position);
    if (ec != std::errc{} || end != text.data() + text.size() || position >= kMaxInputs ||
        (previous && position <= *previous)) {
        return std::nullopt;
    }
    return position;
}

// Splits off the text up to `separator` (all of it when there is none); false for an empty
// last item after a separator.
std::string_view next_item(std::string_view& text, char separator, bool& trailing) {
    const auto at = text.find(separator);
    const std::string_view item = text.substr(0, at);
    text = at == std::string_view::npos ? std::string_view{} : text.substr(at + 1);
    trailing = at != std::string_view::npos && text.empty();
    return item;
}

bool decode_pins(std::string_view text, PinAnswers& pins) {
    std::optional<std::size_t> previous;
    while (!text.empty()) {
        bool trailing = false;
        const std::string_view item = next_item(text, ',', trailing);
        const auto colon = item.find(':');
        if (trailing || colon == std::string_view::npos || colon + 2 != item.size()) {
            return false;
        }
        const auto position = position_from(item.substr(0, colon), previous);
        const auto check = check_of(item[colon + 1]);
        if (!position || !check) {
            return false;
        }
        previous = position;
        pins[*position] = *check;
    }
    return true;
}

bool decode_offers(std::string_view text, Offers& offers) {
    std::optional<std::size_t> previous;
    while (!text.empty()) {
        bool trailing = false;
        std::string_view item = next_item(text, ';', trailing);
        const auto colon = item.find(':');
        if (trailing || colon == std::string_view::npos || item.size() < colon + 4 ||
            item[colon + 2] != ':') {
            return false;
        }
        const auto position = position_from(item.substr(0, colon), previous);
        if (!position || (item[colon + 1] != 'r' && item[colon + 1] != 'm')) {
            return false;
        }
        Offer offer;
        offer.kind = item[colon + 1] == 'r' ? Offer::Kind::kRemittances : Offer::Kind::kMethods;
        item.remove_prefix(colon + 3);
        while (!item.empty()) {
            bool trailing_dot = false;
            const std::string_view entry = next_item(item, '.', trailing_dot);
            if (trailing_dot || !is_reference_shaped(entry) ||
                offer.items.size() == kMaxOfferItems) {
                return false;
            }
            offer.items.emplace_back(entry);
        }
        previous = position;
        offers[*position] = std::move(offer);
    }
    return true;
}

}  // namespace

std::string encode_session(const Session& session) {
    std::string out{session.offers.empty() ? kVersion : kVersionWithOffers};
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
    if (!session.offers.empty()) {
        out += '|';
        first = true;
        for (const auto& [position, offer] : session.offers) {
            if (!first) {
                out += ';';
            }
            first = false;
            out += std::to_string(position);
            out += offer.kind == Offer::Kind::kRemittances ? ":r:" : ":m:";
            for (std::size_t i = 0; i < offer.items.size(); ++i) {
                if (i > 0) {
                    out += '.';
                }
                out += offer.items[i];
            }
        }
    }
    return out;
}

std::optional<Session> decode_session(std::string_view text) {
    const bool with_offers = text.starts_with(kVersionWithOffers);
    if (!with_offers && !text.starts_with(kVersion)) {
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
    const auto offers_bar = text.find('|');
    if (with_offers != (offers_bar != std::string_view::npos)) {
        return std::nullopt;
    }
    if (!decode_pins(text.substr(0, offers_bar), s.pins)) {
        return std::nullopt;
    }
    // An offer has one item at least (decode_offers); v2 has one offer at least.
    if (with_offers &&
        (!decode_offers(text.substr(offers_bar + 1), s.offers) || s.offers.empty())) {
        return std::nullopt;
    }
    return s;
}

}  // namespace chelete::ussd
