#pragma once
// What a USSD session keeps between turns (docs/ussd.md "Sessions"), and its text form in Redis:
//
//   v1|<phone>|<st|en>|<position>:<c|w|l>,<position>:<c|w|l>,...
//
// The phone is E.164 (no '|'), positions are input positions in ascending order, c/w/l the PIN
// check's answer (correct, wrong, locked). Pure: the service stores the text with a TTL.

#include <optional>
#include <string>
#include <string_view>

#include "domain/menu.hpp"

namespace chelete::ussd {

struct Session {
    std::string phone;
    Language language = Language::kSesotho;
    PinAnswers pins;

    friend bool operator==(const Session&, const Session&) = default;
};

[[nodiscard]] std::string encode_session(const Session& session);
/// nullopt for anything encode_session did not write (then the session is treated as gone).
[[nodiscard]] std::optional<Session> decode_session(std::string_view text);

}  // namespace chelete::ussd
