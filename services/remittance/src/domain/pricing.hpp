#pragma once

// Pricing (docs/remittance.md "Fees" and "Quotes"): the fee schedule, a flat adjustment per payout
// method and the rate from the send currency (ZAR) to the payout currency (LSL, at par). The fee
// is inside the send amount: the sender's wallet pays `send`, the recipient gets
// `receive = floor((send − fee) × rate)`. A sender who wants a given amount to arrive ("fee on
// top") asks by receive amount and gets the smallest send amount that delivers at least it.
// Pure: no I/O.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <chelete/platform/money.hpp>
#include <chelete/platform/result.hpp>

#include "domain/fee_schedule.hpp"

namespace chelete::remittance {

enum class PayoutMethod : std::uint8_t { kMpesa, kEcocash, kCashPickup };
inline constexpr std::size_t kPayoutMethodCount = 3;
inline constexpr std::array<PayoutMethod, kPayoutMethodCount> kAllPayoutMethods{
    PayoutMethod::kMpesa, PayoutMethod::kEcocash, PayoutMethod::kCashPickup};

/// "mpesa", "ecocash", "cash_pickup" (API.md).
[[nodiscard]] std::string_view to_string(PayoutMethod method);
[[nodiscard]] std::optional<PayoutMethod> payout_method_from(std::string_view name);

/// A flat amount (minor units, >= 0) added to the fee per payout method.
///   text := "" | entry { "," entry }     entry := method ":" cents     (whitespace allowed)
/// A method not named adds 0; a method named twice or an unknown name is refused.
inline constexpr std::string_view kDefaultPayoutFees = "mpesa:0,ecocash:0,cash_pickup:300";

struct PayoutFees {
    std::array<std::int64_t, kPayoutMethodCount> flat{};

    [[nodiscard]] std::int64_t of(PayoutMethod method) const {
        return flat.at(static_cast<std::size_t>(method));
    }
    [[nodiscard]] std::int64_t largest() const;
    [[nodiscard]] std::string to_string() const;
    friend bool operator==(const PayoutFees&, const PayoutFees&) = default;
};

[[nodiscard]] platform::Result<PayoutFees, std::string> parse_payout_fees(std::string_view text);

/// An exchange rate as an exact fraction: `to` minor units per `from` minor unit is
/// numerator / denominator, both 1..kMaxRateTerm, the value at most kMaxRateValue (so a converted
/// amount stays far inside int64). ZAR→LSL is 1/1 (the CMA peg).
inline constexpr std::int64_t kMaxRateTerm = 1'000'000'000;
inline constexpr std::int64_t kMaxRateValue = 1'000;

struct Rate {
    std::int64_t numerator = 1;
    std::int64_t denominator = 1;

    /// "1/1"
    [[nodiscard]] std::string to_string() const;
    friend bool operator==(const Rate&, const Rate&) = default;
};

/// floor(amount × rate) for amount >= 0, exactly (128-bit).
[[nodiscard]] std::int64_t convert_down(std::int64_t amount, const Rate& rate);

/// Rates between currency pairs.
///   text := entry { "," entry }     entry := FROM ":" TO "=" numerator "/" denominator
inline constexpr std::string_view kDefaultRates = "ZAR:LSL=1/1";

struct RateEntry {
    platform::Currency from = platform::Currency::kZar;
    platform::Currency to = platform::Currency::kLsl;
    Rate rate;

    friend bool operator==(const RateEntry&, const RateEntry&) = default;
};

class RateTable {
public:
    [[nodiscard]] std::optional<Rate> find(platform::Currency from, platform::Currency to) const;
    [[nodiscard]] const std::vector<RateEntry>& entries() const { return entries_; }

private:
    friend platform::Result<RateTable, std::string> parse_rate_table(std::string_view text);
    explicit RateTable(std::vector<RateEntry> entries) : entries_(std::move(entries)) {}
    std::vector<RateEntry> entries_;
};

/// Refuses unknown currencies, terms outside 1..kMaxRateTerm and a pair listed twice.
[[nodiscard]] platform::Result<RateTable, std::string> parse_rate_table(std::string_view text);

inline constexpr platform::Currency kSendCurrency = platform::Currency::kZar;
inline constexpr platform::Currency kPayoutCurrency = platform::Currency::kLsl;
inline constexpr std::chrono::seconds kDefaultQuoteValidity{15 * 60};
inline constexpr std::chrono::seconds kMinQuoteValidity{30};
inline constexpr std::chrono::seconds kMaxQuoteValidity{24 * 60 * 60};

/// What configuration supplies (docs/remittance.md "Configuration"), before validation.
struct PricingSettings {
    std::string fee_schedule{kDefaultFeeSchedule};
    SendLimits send_limits;
    std::string payout_fees{kDefaultPayoutFees};
    std::string rates{kDefaultRates};
    std::chrono::seconds quote_validity = kDefaultQuoteValidity;
};

/// A refused setting: its name (the PricingSettings field) and what is wrong.
struct ConfigError {
    std::string setting;
    std::string message;
};

/// Validated pricing: only make_pricing_config() builds one.
class PricingConfig {
public:
    [[nodiscard]] const FeeSchedule& schedule() const { return schedule_; }
    [[nodiscard]] const SendLimits& limits() const { return schedule_.limits(); }
    [[nodiscard]] const PayoutFees& payout_fees() const { return payout_fees_; }
    /// The ZAR→LSL rate.
    [[nodiscard]] const Rate& rate() const { return rate_; }
    [[nodiscard]] std::chrono::seconds quote_validity() const { return quote_validity_; }

private:
    friend platform::Result<PricingConfig, ConfigError> make_pricing_config(
        const PricingSettings& settings
    );
    PricingConfig(FeeSchedule schedule, PayoutFees fees, Rate rate, std::chrono::seconds validity)
        : schedule_(std::move(schedule)),
          payout_fees_(fees),
          rate_(rate),
          quote_validity_(validity) {}

    FeeSchedule schedule_;
    PayoutFees payout_fees_;
    Rate rate_;
    std::chrono::seconds quote_validity_;
};

/// Validates every setting and their combination: with the largest payout-method fee added,
/// every allowed send amount must still pay out at least one minor unit.
[[nodiscard]] platform::Result<PricingConfig, ConfigError> make_pricing_config(
    const PricingSettings& settings
);

struct FeeBreakdown {
    std::int64_t flat = 0;        // the band's flat fee
    std::int64_t percentage = 0;  // round_half_up(send × bp / 10 000)
    std::int64_t payout_fee = 0;  // the payout method's adjustment

    friend bool operator==(const FeeBreakdown&, const FeeBreakdown&) = default;
};

/// One priced send: `send` (ZAR) is what the wallet pays in total, `fee` (ZAR) is inside it,
/// `receive` (LSL) is what the beneficiary gets.
struct Price {
    PayoutMethod method = PayoutMethod::kMpesa;
    platform::Money send;
    platform::Money fee;
    platform::Money receive;
    Rate rate;
    FeeBreakdown breakdown;

    friend bool operator==(const Price&, const Price&) = default;
};

enum class PriceRefusal : std::uint8_t {
    kNotPositive,      // the amount is zero or negative
    kBelowMinimum,     // below the minimum send (or a receive amount the minimum send exceeds)
    kAboveMaximum,     // above the maximum send (or a receive amount it cannot reach)
    kNothingToPayOut,  // the rate leaves nothing to pay out
};
/// "amount_not_positive", "below_minimum", "above_maximum", "nothing_to_pay_out"
[[nodiscard]] std::string_view to_string(PriceRefusal refusal);

/// Why an amount cannot be priced; the message is safe to show to the sender.
struct PriceError {
    PriceRefusal reason = PriceRefusal::kNotPositive;
    std::string message;
};

/// Prices a send amount (minor units of the send currency).
[[nodiscard]] platform::Result<Price, PriceError> price_for_send(
    const PricingConfig& config, PayoutMethod method, std::int64_t send_minor
);

/// The smallest allowed send amount whose receive amount is at least `receive_minor` (minor
/// units of the payout currency). The receive amount equals the target unless the target falls
/// where the fee steps down at a band edge, when it is the next amount the schedule can deliver.
/// A target below what the minimum send delivers is refused (kBelowMinimum), as is one that even
/// the maximum send cannot reach (kAboveMaximum).
[[nodiscard]] platform::Result<Price, PriceError> price_for_receive(
    const PricingConfig& config, PayoutMethod method, std::int64_t receive_minor
);

}  // namespace chelete::remittance
