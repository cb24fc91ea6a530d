#pragma once
// What a USSD session keeps between turns (docs/ussd.md "Sessions"), and its text form in Redis:
//
//   v1|<phone>|<st|en>|<pins>                 (no offer remembered)
//   v2|<phone>|<st|en>|<pins>|<offers>        (at least one)
//   pins:   <position>:<c|w|l>,<position>:<c|w|l>,...
//   offers: <position>:<r|m>:<item>.<item>...;<position>:<r|m>:<item>...
//
// The phone is E.164 (no '|'), positions are input positions in ascending order, c/w/l the PIN
// check's answer (correct, wrong, locked), r/m an offer of remittance references or of payout
// methods, each item reference-shaped (menu.hpp). One text per session: decode accepts only what
// encode writes. Pure: the service stores the text with a TTL.

#include <optional>
#include <string>
#include <string_view>

#include "domain/menu.hpp"

namespace chelete::ussd {

struct Session {
    std::string phone;
    Language language = Language::kSesotho;
    PinAnswers pins;
    Offers offers;  // what each list screen numbered, by the input that answers it

    friend bool operator==(const Session&, const Session&) = default;
};

[[nodiscard]] std::string encode_session(const Session& session);
/// nullopt for anything encode_session did not write (then the session is treated as gone).
[[nodiscard]] std::optional<Session> decode_session(std::string_view text);

}  // namespace chelete::ussd
