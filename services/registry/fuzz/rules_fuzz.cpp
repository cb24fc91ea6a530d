// libFuzzer target for the registry's field rules: arbitrary bytes as a date, a phone, a PIN, a
// name, an identity number and the names of statuses and actions. Properties: nothing crashes;
// a date that parses formats back to the same text; a mask keeps the length and shows at most
// the last four characters; a status name that parses prints back the same.
#include "domain/rules.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace chelete::registry;
    const std::string text(
        reinterpret_cast<const char*>(data), size
    );  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    if (const auto day = parse_date(text)) {
        if (format_date(*day) != text) {
            __builtin_trap();
        }
        (void)check_birth_date(*day, *day + 365 * 20);
    }
    (void)check_phone(text);
    (void)phone_country(text);
    (void)check_pin(text);
    (void)check_password(text);
    (void)check_name(text);
    if (!check_identity_number(text)) {
        const std::string masked = mask_identity_number(text);
        if (masked.size() != text.size() ||
            masked.find_first_not_of('*') < (text.size() > 4 ? text.size() - 4 : 0)) {
            __builtin_trap();
        }
    }
    if (const auto s = agency_status_from(text); s && to_string(*s) != text) {
        __builtin_trap();
    }
    if (const auto a = agency_action_from(text); a && to_string(*a) != text) {
        __builtin_trap();
    }
    if (const auto p = permit_status_from(text); p && to_string(*p) != text) {
        __builtin_trap();
    }
    (void)complaint_action_from(text);
    (void)is_complaint_category(text);
    (void)is_permit_type(text);
    return 0;
}
