#include "domain/msisdn.hpp"

#include <algorithm>

namespace chelete::sms {

std::optional<std::string> normalize_msisdn(std::string_view number) {
    if (number.starts_with('+')) {
        number.remove_prefix(1);
    }
    if (!std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    const bool south_africa = number.starts_with("27") && number.size() == 11;
    const bool lesotho = number.starts_with("266") && number.size() == 11;
    if (!south_africa && !lesotho) {
        return std::nullopt;
    }
    return "+" + std::string{number};
}

std::string gateway_msisdn(std::string_view e164) {
    return std::string{e164.starts_with('+') ? e164.substr(1) : e164};
}

std::string masked_msisdn(std::string_view e164) {
    std::string out{e164};
    const std::size_t keep = std::min<std::size_t>(out.size(), 8);
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(), '*');
    return out;
}

}  // namespace chelete::sms
