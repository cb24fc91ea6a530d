#include "domain/voucher.hpp"

#include <algorithm>

namespace chelete::payout {
namespace {

bool all_digits(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// The Luhn check digit of `digits` (the digit that, appended, makes the whole number valid).
char luhn_check_digit(std::string_view digits) {
    int sum = 0;
    bool twice = true;  // the rightmost payload digit is doubled once the check digit follows
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        int d = *it - '0';
        if (twice) {
            d *= 2;
            if (d > 9) {
                d -= 9;
            }
        }
        sum += d;
        twice = !twice;
    }
    return static_cast<char>('0' + (10 - sum % 10) % 10);
}

std::string digits_of(std::uint64_t value, std::size_t width) {
    std::string out(width, '0');
    for (std::size_t i = width; i > 0; --i) {
        out[i - 1] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return out;
}

}  // namespace

std::string voucher_code_from(std::uint64_t random) {
    std::string payload = digits_of(random % 1'000'000'000ULL, 9);
    payload.push_back(luhn_check_digit(payload));
    return payload;
}

bool is_voucher_code(std::string_view text) {
    return text.size() == 10 && all_digits(text) &&
           luhn_check_digit(text.substr(0, 9)) == text.back();
}

std::string voucher_pin_from(std::uint64_t random) {
    return digits_of(random % 1'000'000ULL, 6);
}

bool is_voucher_pin(std::string_view text) {
    return text.size() == 6 && all_digits(text);
}

}  // namespace chelete::payout
