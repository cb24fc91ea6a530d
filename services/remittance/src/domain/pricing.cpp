#include "domain/pricing.hpp"

#include <algorithm>

namespace chelete::remittance {
namespace {

constexpr std::array<std::pair<PayoutMethod, std::string_view>, kPayoutMethodCount> kMethodNames{{
    {PayoutMethod::kMpesa, "mpesa"},
    {PayoutMethod::kEcocash, "ecocash"},
    {PayoutMethod::kCashPickup, "cash_pickup"},
}};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

/// Splits on `separator`; every piece trimmed.
std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> out;
    while (true) {
        const std::size_t at = text.find(separator);
        out.push_back(trim(text.substr(0, at)));
        if (at == std::string_view::npos) {
            return out;
        }
        text.remove_prefix(at + 1);
    }
}

/// Digits only, no leading zeros, 0..max.
std::optional<std::int64_t> parse_count(std::string_view text, std::int64_t max) {
    if (text.empty() || (text.size() > 1 && text[0] == '0')) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
        if (value > max) {
            return std::nullopt;
        }
    }
    return value;
}

std::string rands(std::int64_t minor) {
    return "R" + platform::format_minor_units(minor);
}

std::string maloti(std::int64_t minor) {
    return "M" + platform::format_minor_units(minor);
}

/// The price of a send amount already known to lie within the limits.
Price price_within_limits(const PricingConfig& config, PayoutMethod method, std::int64_t send) {
    const FeeParts parts = config.schedule().fee_for(send).value();
    const std::int64_t payout_fee = config.payout_fees().of(method);
    const std::int64_t fee = parts.total() + payout_fee;
    Price price;
    price.method = method;
    price.send = platform::Money{send, kSendCurrency};
    price.fee = platform::Money{fee, kSendCurrency};
    price.receive = platform::Money{convert_down(send - fee, config.rate()), kPayoutCurrency};
    price.rate = config.rate();
    price.breakdown = FeeBreakdown{parts.flat, parts.percentage, payout_fee};
    return price;
}

std::int64_t receive_within_limits(
    const PricingConfig& config, PayoutMethod method, std::int64_t send
) {
    return price_within_limits(config, method, send).receive.minor;
}

}  // namespace

std::string_view to_string(PayoutMethod method) {
    for (const auto& [value, name] : kMethodNames) {
        if (value == method) {
            return name;
        }
    }
    return "unknown";
}

std::optional<PayoutMethod> payout_method_from(std::string_view name) {
    for (const auto& [value, text] : kMethodNames) {
        if (text == name) {
            return value;
        }
    }
    return std::nullopt;
}

std::int64_t PayoutFees::largest() const {
    return *std::max_element(flat.begin(), flat.end());
}

std::string PayoutFees::to_string() const {
    std::string out;
    for (const PayoutMethod method : kAllPayoutMethods) {
        if (!out.empty()) {
            out += ',';
        }
        out += std::string(remittance::to_string(method)) + ':' + std::to_string(of(method));
    }
    return out;
}

platform::Result<PayoutFees, std::string> parse_payout_fees(std::string_view text) {
    PayoutFees fees;
    if (trim(text).empty()) {
        return fees;
    }
    std::array<bool, kPayoutMethodCount> seen{};
    for (const std::string_view entry : split(text, ',')) {
        const std::size_t colon = entry.find(':');
        if (colon == std::string_view::npos) {
            return platform::err(
                "\"" + std::string(entry) + "\": expected <method>:<cents>, as in cash_pickup:300"
            );
        }
        const std::string_view name = trim(entry.substr(0, colon));
        const auto method = payout_method_from(name);
        if (!method) {
            return platform::err(
                "\"" + std::string(name) + "\" is not a payout method (mpesa, ecocash, cash_pickup)"
            );
        }
        const auto index = static_cast<std::size_t>(*method);
        if (seen.at(index)) {
            return platform::err(std::string(name) + " is listed twice");
        }
        seen.at(index) = true;
        const auto cents = parse_count(trim(entry.substr(colon + 1)), kMaxAmountMinor);
        if (!cents) {
            return platform::err(
                std::string(name) + ": the fee must be whole cents, 0 to " +
                std::to_string(kMaxAmountMinor) + ", without leading zeros"
            );
        }
        fees.flat.at(index) = *cents;
    }
    return fees;
}

std::string Rate::to_string() const {
    return std::to_string(numerator) + "/" + std::to_string(denominator);
}

std::int64_t convert_down(std::int64_t amount, const Rate& rate) {
    __extension__ using Int128 = __int128;
    const Int128 product = static_cast<Int128>(amount) * rate.numerator;
    return static_cast<std::int64_t>(product / rate.denominator);
}

std::optional<Rate> RateTable::find(platform::Currency from, platform::Currency to) const {
    for (const RateEntry& entry : entries_) {
        if (entry.from == from && entry.to == to) {
            return entry.rate;
        }
    }
    return std::nullopt;
}

platform::Result<RateTable, std::string> parse_rate_table(std::string_view text) {
    if (trim(text).empty()) {
        return platform::err(std::string("the rate table is empty; the default is ZAR:LSL=1/1"));
    }
    std::vector<RateEntry> entries;
    for (const std::string_view entry : split(text, ',')) {
        const std::string shown = "\"" + std::string(entry) + "\"";
        const std::size_t colon = entry.find(':');
        const std::size_t equals = entry.find('=');
        if (colon == std::string_view::npos || equals == std::string_view::npos || equals < colon) {
            return platform::err(
                shown + ": expected <FROM>:<TO>=<numerator>/<denominator>, as in ZAR:LSL=1/1"
            );
        }
        const auto from = platform::parse_currency(trim(entry.substr(0, colon)));
        const auto to = platform::parse_currency(trim(entry.substr(colon + 1, equals - colon - 1)));
        if (!from || !to) {
            return platform::err(shown + ": the currencies are ZAR and LSL");
        }
        const std::string_view fraction = trim(entry.substr(equals + 1));
        const std::size_t slash = fraction.find('/');
        if (slash == std::string_view::npos) {
            return platform::err(
                shown + ": a rate is a fraction <numerator>/<denominator>, never a decimal"
            );
        }
        const auto numerator = parse_count(trim(fraction.substr(0, slash)), kMaxRateTerm);
        const auto denominator = parse_count(trim(fraction.substr(slash + 1)), kMaxRateTerm);
        if (!numerator || !denominator || *numerator == 0 || *denominator == 0) {
            return platform::err(
                shown + ": numerator and denominator are whole numbers from 1 to " +
                std::to_string(kMaxRateTerm)
            );
        }
        if (*numerator > kMaxRateValue * *denominator) {
            return platform::err(
                shown + ": a rate above " + std::to_string(kMaxRateValue) + "/1 is refused"
            );
        }
        const bool duplicate = std::any_of(entries.begin(), entries.end(), [&](const RateEntry& e) {
            return e.from == *from && e.to == *to;
        });
        if (duplicate) {
            return platform::err(shown + ": that pair is listed twice");
        }
        entries.push_back(RateEntry{*from, *to, Rate{*numerator, *denominator}});
    }
    return RateTable(std::move(entries));
}

platform::Result<PricingConfig, ConfigError> make_pricing_config(const PricingSettings& settings) {
    if (auto problem = check_send_limits(settings.send_limits)) {
        return platform::err(ConfigError{"send_limits", *problem});
    }
    auto schedule = parse_fee_schedule(settings.fee_schedule, settings.send_limits);
    if (!schedule) {
        return platform::err(ConfigError{"fee_schedule", schedule.error().message});
    }
    auto fees = parse_payout_fees(settings.payout_fees);
    if (!fees) {
        return platform::err(ConfigError{"payout_fees", fees.error()});
    }
    auto rates = parse_rate_table(settings.rates);
    if (!rates) {
        return platform::err(ConfigError{"rates", rates.error()});
    }
    const auto rate = rates->find(kSendCurrency, kPayoutCurrency);
    if (!rate) {
        return platform::err(ConfigError{"rates", "no rate from ZAR to LSL (ZAR:LSL=1/1 at par)"});
    }
    if (settings.quote_validity < kMinQuoteValidity ||
        settings.quote_validity > kMaxQuoteValidity) {
        return platform::err(ConfigError{
            "quote_validity",
            "must be between " + std::to_string(kMinQuoteValidity.count()) + " s and " +
                std::to_string(kMaxQuoteValidity.count()) + " s"});
    }
    // The receive amount never falls within a band, so each band's smallest allowed send is
    // where the dearest payout method weighs most.
    const SendLimits& limits = settings.send_limits;
    for (const FeeBand& band : schedule->bands()) {
        if (band.to < limits.min_send || band.from > limits.max_send) {
            continue;
        }
        const std::int64_t smallest = std::max(band.from, limits.min_send);
        const std::int64_t fee =
            band.flat + percentage_fee(smallest, band.basis_points) + fees->largest();
        if (fee >= smallest) {
            return platform::err(ConfigError{
                "payout_fees",
                "with the largest payout fee (" + rands(fees->largest()) + ") the fee on " +
                    rands(smallest) + " would be " + rands(fee) + ", leaving nothing to pay out"});
        }
        if (convert_down(smallest - fee, *rate) < 1) {
            return platform::err(ConfigError{
                "rates",
                "at " + rate->to_string() + " a send of " + rands(smallest) +
                    " would pay out nothing"});
        }
    }
    return PricingConfig(std::move(schedule).value(), fees.value(), *rate, settings.quote_validity);
}

std::string_view to_string(PriceRefusal refusal) {
    switch (refusal) {
        case PriceRefusal::kNotPositive:
            return "amount_not_positive";
        case PriceRefusal::kBelowMinimum:
            return "below_minimum";
        case PriceRefusal::kAboveMaximum:
            return "above_maximum";
        case PriceRefusal::kNothingToPayOut:
            return "nothing_to_pay_out";
    }
    return "unknown";
}

platform::Result<Price, PriceError> price_for_send(
    const PricingConfig& config, PayoutMethod method, std::int64_t send_minor
) {
    const SendLimits& limits = config.limits();
    if (send_minor <= 0) {
        return platform::err(PriceError{
            PriceRefusal::kNotPositive, "the send amount must be above zero"});
    }
    if (send_minor < limits.min_send) {
        return platform::err(PriceError{
            PriceRefusal::kBelowMinimum, "the smallest send amount is " + rands(limits.min_send)});
    }
    if (send_minor > limits.max_send) {
        return platform::err(PriceError{
            PriceRefusal::kAboveMaximum, "the largest send amount is " + rands(limits.max_send)});
    }
    Price price = price_within_limits(config, method, send_minor);
    if (price.receive.minor < 1) {
        // make_pricing_config() rules this out; kept so a broken invariant cannot pay out zero.
        return platform::err(PriceError{
            PriceRefusal::kNothingToPayOut, "the fee leaves nothing to pay out"});
    }
    return price;
}

platform::Result<Price, PriceError> price_for_receive(
    const PricingConfig& config, PayoutMethod method, std::int64_t receive_minor
) {
    const SendLimits& limits = config.limits();
    if (receive_minor <= 0) {
        return platform::err(PriceError{
            PriceRefusal::kNotPositive, "the receive amount must be above zero"});
    }
    const std::int64_t at_minimum = receive_within_limits(config, method, limits.min_send);
    if (receive_minor < at_minimum) {
        return platform::err(PriceError{
            PriceRefusal::kBelowMinimum,
            "the smallest send amount, " + rands(limits.min_send) + ", already delivers " +
                maloti(at_minimum)});
    }
    // Bands in increasing order: the first band that can reach the target holds the smallest
    // send amount that does. Within a band the receive amount never falls as the send amount
    // grows, so a binary search finds the smallest one there.
    for (const FeeBand& band : config.schedule().bands()) {
        if (band.to < limits.min_send || band.from > limits.max_send) {
            continue;
        }
        std::int64_t low = std::max(band.from, limits.min_send);
        std::int64_t high = std::min(band.to, limits.max_send);
        if (receive_within_limits(config, method, high) < receive_minor) {
            continue;
        }
        while (low < high) {
            const std::int64_t middle = low + (high - low) / 2;
            if (receive_within_limits(config, method, middle) >= receive_minor) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        return price_within_limits(config, method, low);
    }
    return platform::err(PriceError{
        PriceRefusal::kAboveMaximum,
        "no send amount up to the largest, " + rands(limits.max_send) + ", delivers " +
            maloti(receive_minor)});
}

}  // namespace chelete::remittance
