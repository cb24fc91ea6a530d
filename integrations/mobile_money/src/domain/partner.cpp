#include <stdexcept>

#include <chelete/mobile_money/partner.hpp>
#include <chelete/platform/money.hpp>

namespace chelete::mobile_money {

std::string_view to_string(PartnerId partner) {
    switch (partner) {
        case PartnerId::kMpesa:
            return "mpesa";
        case PartnerId::kEcocash:
            return "ecocash";
    }
    return "unknown";
}

std::optional<PartnerId> partner_from_string(std::string_view text) {
    if (text == "mpesa") {
        return PartnerId::kMpesa;
    }
    if (text == "ecocash") {
        return PartnerId::kEcocash;
    }
    return std::nullopt;
}

std::string_view to_string(SignatureCheck check) {
    switch (check) {
        case SignatureCheck::kOk:
            return "ok";
        case SignatureCheck::kMissing:
            return "missing";
        case SignatureCheck::kMalformed:
            return "malformed";
        case SignatureCheck::kStale:
            return "stale";
        case SignatureCheck::kMismatch:
            return "mismatch";
    }
    return "unknown";
}

std::optional<std::int64_t> parse_wire_amount(std::string_view text) {
    // The API's own decimal rule is the partners' too: digits without a leading zero, '.', two
    // decimals, no sign, no exponent, no spaces, within int64 minor units.
    auto parsed = platform::parse_minor_units(text, /*allow_negative=*/false);
    if (!parsed.ok()) {
        return std::nullopt;
    }
    return parsed.value();
}

std::string format_wire_amount(std::int64_t minor) {
    if (minor < 0) {
        // Partners take no negative amounts; asking for one is a bug on our side.
        throw std::invalid_argument("a wire amount cannot be negative");
    }
    return platform::format_minor_units(minor);
}

}  // namespace chelete::mobile_money
