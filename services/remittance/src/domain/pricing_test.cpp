#include "domain/pricing.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace chelete::remittance {
namespace {

using platform::Currency;

PricingConfig config_of(const PricingSettings& settings) {
    auto config = make_pricing_config(settings);
    EXPECT_TRUE(config.ok()
    ) << (config.ok() ? "" : config.error().setting + ": " + config.error().message);
    return std::move(config).value();
}

const PricingConfig& defaults() {
    static const PricingConfig kConfig = config_of(PricingSettings{});
    return kConfig;
}

Price send(const PricingConfig& config, PayoutMethod method, std::int64_t amount) {
    auto price = price_for_send(config, method, amount);
    EXPECT_TRUE(price.ok()) << amount << ": " << (price.ok() ? "" : price.error().message);
    return price.ok() ? price.value() : Price{};
}

Price receive(const PricingConfig& config, PayoutMethod method, std::int64_t target) {
    auto price = price_for_receive(config, method, target);
    EXPECT_TRUE(price.ok()) << target << ": " << (price.ok() ? "" : price.error().message);
    return price.ok() ? price.value() : Price{};
}

PriceRefusal send_refusal(const PricingConfig& config, std::int64_t amount) {
    auto price = price_for_send(config, PayoutMethod::kMpesa, amount);
    EXPECT_FALSE(price.ok()) << amount << " should be refused";
    return price.ok() ? PriceRefusal{} : price.error().reason;
}

PriceRefusal receive_refusal(const PricingConfig& config, std::int64_t target) {
    auto price = price_for_receive(config, PayoutMethod::kMpesa, target);
    EXPECT_FALSE(price.ok()) << target << " should be refused";
    return price.ok() ? PriceRefusal{} : price.error().reason;
}

ConfigError config_error(const PricingSettings& settings) {
    auto config = make_pricing_config(settings);
    EXPECT_FALSE(config.ok()) << "settings should be refused";
    return config.ok() ? ConfigError{} : config.error();
}

/// The oracle for receive-amount quotes: for every target up to the best receive amount of any
/// send in [limits.min_send, upto], the smallest send that delivers at least it, by walking every
/// send amount once.
std::map<std::int64_t, std::int64_t> smallest_sends(
    const PricingConfig& config, PayoutMethod method, std::int64_t upto
) {
    std::map<std::int64_t, std::int64_t> out;
    std::int64_t best = 0;
    for (std::int64_t s = config.limits().min_send; s <= upto; ++s) {
        const std::int64_t r = send(config, method, s).receive.minor;
        for (std::int64_t t = best + 1; t <= r; ++t) {
            out.emplace(t, s);
        }
        best = std::max(best, r);
    }
    return out;
}

TEST(PricingTest, DefaultsAreAtParForFifteenMinutes) {
    const PricingConfig& config = defaults();
    EXPECT_EQ(config.rate(), (Rate{1, 1}));
    EXPECT_EQ(config.rate().to_string(), "1/1");
    EXPECT_EQ(config.quote_validity(), std::chrono::minutes(15));
    EXPECT_EQ(config.limits(), (SendLimits{5000, 2500000}));
    EXPECT_EQ(config.payout_fees().of(PayoutMethod::kMpesa), 0);
    EXPECT_EQ(config.payout_fees().of(PayoutMethod::kEcocash), 0);
    EXPECT_EQ(config.payout_fees().of(PayoutMethod::kCashPickup), 300);
}

TEST(PricingTest, TheFeeIsInsideTheSendAmount) {
    const Price price = send(defaults(), PayoutMethod::kMpesa, 50000);
    EXPECT_EQ(price.send, (platform::Money{50000, Currency::kZar}));
    EXPECT_EQ(price.fee, (platform::Money{700, Currency::kZar}));
    EXPECT_EQ(price.receive, (platform::Money{49300, Currency::kLsl})) << "R500 sent, M493 arrive";
    EXPECT_EQ(price.breakdown, (FeeBreakdown{200, 500, 0}));
    EXPECT_EQ(price.method, PayoutMethod::kMpesa);
    EXPECT_EQ(price.rate, (Rate{1, 1}));
}

TEST(PricingTest, CashPickupAddsItsPayoutFee) {
    const Price price = send(defaults(), PayoutMethod::kCashPickup, 50000);
    EXPECT_EQ(price.fee.minor, 1000);
    EXPECT_EQ(price.receive.minor, 49000);
    EXPECT_EQ(price.breakdown, (FeeBreakdown{200, 500, 300}));
    EXPECT_EQ(send(defaults(), PayoutMethod::kEcocash, 50000).fee.minor, 700);
}

TEST(PricingTest, DefaultKeepsR500ToR1000AtOrBelowThreePercentAllIn) {
    // DOMAIN.md 1.2: ≤ 3 % all-in for R500–R1 000; beat 1.5–2 % at the median ticket R550–R900.
    for (const PayoutMethod method : kAllPayoutMethods) {
        for (std::int64_t amount = 50000; amount <= 100000; ++amount) {
            const Price price = send(defaults(), method, amount);
            ASSERT_LE(price.fee.minor * 100, amount * 3) << to_string(method) << " " << amount;
            ASSERT_EQ(price.fee.minor + price.receive.minor, amount) << "nothing lost at par";
            if (amount >= 55000 && amount <= 90000) {
                const std::int64_t ceiling_bp = method == PayoutMethod::kCashPickup ? 200 : 150;
                ASSERT_LE(price.fee.minor * 10000, amount * ceiling_bp)
                    << to_string(method) << " " << amount;
            }
        }
    }
}

TEST(PricingTest, SendLimitsAreEnforced) {
    EXPECT_EQ(send_refusal(defaults(), 0), PriceRefusal::kNotPositive);
    EXPECT_EQ(send_refusal(defaults(), -50000), PriceRefusal::kNotPositive);
    EXPECT_EQ(send_refusal(defaults(), 4999), PriceRefusal::kBelowMinimum);
    EXPECT_EQ(send_refusal(defaults(), 2500001), PriceRefusal::kAboveMaximum);
    EXPECT_EQ(send(defaults(), PayoutMethod::kMpesa, 5000).receive.minor, 4650);
    EXPECT_EQ(send(defaults(), PayoutMethod::kMpesa, 2500000).receive.minor, 2479200);
    auto refused = price_for_send(defaults(), PayoutMethod::kMpesa, 4999);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message, "the smallest send amount is R50.00");
    EXPECT_EQ(to_string(refused.error().reason), "below_minimum");
}

TEST(PricingTest, ReceiveAmountInsideABandIsExact) {
    Price price = receive(defaults(), PayoutMethod::kMpesa, 49300);
    EXPECT_EQ(price.send.minor, 50000);
    EXPECT_EQ(price.receive.minor, 49300);
    price = receive(defaults(), PayoutMethod::kMpesa, 49301);
    EXPECT_EQ(price.send.minor, 50001) << "R500.01: fee R7.00 (R5.0001 rounds down)";
    EXPECT_EQ(price.receive.minor, 49301);
    price = receive(defaults(), PayoutMethod::kMpesa, 49302);
    EXPECT_EQ(price.send.minor, 50002);
    // Where the percentage rounds up, one more cent of send buys no more receive: the smaller
    // send wins.
    price = receive(defaults(), PayoutMethod::kMpesa, 49350);
    EXPECT_EQ(price.receive.minor, 49350);
    EXPECT_LT(send(defaults(), PayoutMethod::kMpesa, price.send.minor - 1).receive.minor, 49350);
}

TEST(PricingTest, ReceiveAmountInTheGapWhereTheFeeStepsDown) {
    // R499.99 pays R8.00 (M491.99 arrive); R500.00 pays R7.00 (M493.00 arrive): no send delivers
    // M492.00 to M492.99, so those targets get R500.00 and M493.00.
    EXPECT_EQ(send(defaults(), PayoutMethod::kMpesa, 49999).receive.minor, 49199);
    Price price = receive(defaults(), PayoutMethod::kMpesa, 49199);
    EXPECT_EQ(price.send.minor, 49999);
    EXPECT_EQ(price.receive.minor, 49199);
    for (const std::int64_t target : {49200, 49250, 49299, 49300}) {
        price = receive(defaults(), PayoutMethod::kMpesa, target);
        EXPECT_EQ(price.send.minor, 50000) << target;
        EXPECT_EQ(price.receive.minor, 49300) << target;
    }
}

TEST(PricingTest, ReceiveAmountAcrossContinuousBandEdges) {
    // R1 000.00 and R1 000.01 both pay R12.00; R5 000.00 and R5 000.01 both pay R48.00.
    Price price = receive(defaults(), PayoutMethod::kMpesa, 98800);
    EXPECT_EQ(price.send.minor, 100000);
    price = receive(defaults(), PayoutMethod::kMpesa, 98801);
    EXPECT_EQ(price.send.minor, 100001);
    EXPECT_EQ(price.receive.minor, 98801);
    price = receive(defaults(), PayoutMethod::kMpesa, 495200);
    EXPECT_EQ(price.send.minor, 500000);
    price = receive(defaults(), PayoutMethod::kMpesa, 495201);
    EXPECT_EQ(price.send.minor, 500001);
}

TEST(PricingTest, ReceiveAmountMatchesAnExhaustiveSearchOverTheLowBands) {
    // Every target reachable by R50.00..R1 100.00 (three band edges), against the oracle.
    for (const PayoutMethod method : {PayoutMethod::kMpesa, PayoutMethod::kCashPickup}) {
        const auto oracle = smallest_sends(defaults(), method, 110000);
        const std::int64_t first = send(defaults(), method, 5000).receive.minor;
        std::size_t checked = 0;
        for (const auto& [target, smallest] : oracle) {
            if (target < first) {
                continue;
            }
            const Price price = receive(defaults(), method, target);
            ASSERT_EQ(price.send.minor, smallest) << to_string(method) << " target " << target;
            ASSERT_GE(price.receive.minor, target);
            ++checked;
        }
        EXPECT_GT(checked, 100000U);
    }
}

TEST(PricingTest, ReceiveSearchTakesTheFirstBandThatReaches) {
    // The fee steps UP at R10.00: R9.99 delivers 999, R10.00 only 500.
    const PricingConfig config = config_of(PricingSettings{
        "100-999:0+0bp,1000-100000:500+0bp",
        SendLimits{100, 100000},
        "",
        "ZAR:LSL=1/1",
        kDefaultQuoteValidity});
    EXPECT_EQ(receive(config, PayoutMethod::kMpesa, 600).send.minor, 600) << "not 1100";
    EXPECT_EQ(receive(config, PayoutMethod::kMpesa, 999).send.minor, 999);
    const Price price = receive(config, PayoutMethod::kMpesa, 1000);
    EXPECT_EQ(price.send.minor, 1500) << "band 1 cannot reach 1000";
    EXPECT_EQ(price.receive.minor, 1000);
    EXPECT_EQ(receive(config, PayoutMethod::kMpesa, 99500).send.minor, 100000);
    EXPECT_EQ(receive_refusal(config, 99501), PriceRefusal::kAboveMaximum);
}

TEST(PricingTest, ReceiveAmountLimits) {
    EXPECT_EQ(receive_refusal(defaults(), 0), PriceRefusal::kNotPositive);
    EXPECT_EQ(receive_refusal(defaults(), -1), PriceRefusal::kNotPositive);
    EXPECT_EQ(receive_refusal(defaults(), 4649), PriceRefusal::kBelowMinimum)
        << "R50.00 already delivers M46.50";
    EXPECT_EQ(receive(defaults(), PayoutMethod::kMpesa, 4650).send.minor, 5000);
    EXPECT_EQ(receive(defaults(), PayoutMethod::kMpesa, 2479200).send.minor, 2500000);
    EXPECT_EQ(receive_refusal(defaults(), 2479201), PriceRefusal::kAboveMaximum);
    auto refused = price_for_receive(defaults(), PayoutMethod::kMpesa, 4649);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message, "the smallest send amount, R50.00, already delivers M46.50");
}

TEST(PricingTest, ARateOtherThanParConvertsDownExactly) {
    PricingSettings settings;
    settings.rates = "ZAR:LSL=1/2, LSL:ZAR=2/1";
    const PricingConfig config = config_of(settings);
    EXPECT_EQ(config.rate(), (Rate{1, 2}));
    const Price price = send(config, PayoutMethod::kMpesa, 50001);
    EXPECT_EQ(price.fee.minor, 700);
    EXPECT_EQ(price.receive.minor, 24650) << "49301 / 2 = 24650.5, rounded down";
    const Price back = receive(config, PayoutMethod::kMpesa, 24651);
    EXPECT_EQ(back.send.minor, 50002) << "49302 / 2 = 24651";
    EXPECT_EQ(receive(config, PayoutMethod::kMpesa, 24650).send.minor, 50000);

    EXPECT_EQ(convert_down(10, Rate{1, 3}), 3);
    EXPECT_EQ(convert_down(10, Rate{2, 3}), 6) << "6.67 rounds down";
    EXPECT_EQ(
        convert_down(kMaxAmountMinor, Rate{kMaxRateValue, 1}), kMaxAmountMinor * kMaxRateValue
    );
    EXPECT_EQ(convert_down(kMaxAmountMinor, Rate{kMaxRateTerm, kMaxRateTerm}), kMaxAmountMinor);
}

TEST(PricingTest, PayoutFeesParseAndRefuse) {
    auto fees = parse_payout_fees(" cash_pickup : 300 ,mpesa:25");
    ASSERT_TRUE(fees.ok());
    EXPECT_EQ(fees->of(PayoutMethod::kCashPickup), 300);
    EXPECT_EQ(fees->of(PayoutMethod::kMpesa), 25);
    EXPECT_EQ(fees->of(PayoutMethod::kEcocash), 0) << "unnamed adds nothing";
    EXPECT_EQ(fees->largest(), 300);
    EXPECT_EQ(fees->to_string(), "mpesa:25,ecocash:0,cash_pickup:300");
    ASSERT_TRUE(parse_payout_fees("").ok());
    EXPECT_EQ(parse_payout_fees("").value().largest(), 0);

    for (const std::string_view bad :
         {"mpesa:1,mpesa:2",
          "paypal:1",
          "cash_pickup:-1",
          "cash_pickup:3.00",
          "cash_pickup",
          "cash_pickup:",
          "mpesa:01",
          "mpesa:1,",
          "MPESA:1"}) {
        EXPECT_FALSE(parse_payout_fees(bad).ok()) << bad;
    }
    EXPECT_NE(parse_payout_fees("mpesa:1,mpesa:2").error().find("listed twice"), std::string::npos);
    EXPECT_NE(parse_payout_fees("paypal:1").error().find("not a payout method"), std::string::npos);
}

TEST(PricingTest, RateTablesParseAndRefuse) {
    auto table = parse_rate_table("ZAR:LSL=1/1,LSL:ZAR=1/1");
    ASSERT_TRUE(table.ok());
    EXPECT_EQ(table->entries().size(), 2U);
    EXPECT_EQ(table->find(Currency::kZar, Currency::kLsl), (Rate{1, 1}));
    EXPECT_FALSE(table->find(Currency::kLsl, Currency::kLsl).has_value());

    const std::vector<std::pair<std::string_view, std::string_view>> bad{
        {"", "empty"},
        {"ZAR:LSL=1.0", "never a decimal"},
        {"ZAR:LSL=0/1", "whole numbers from 1"},
        {"ZAR:LSL=1/0", "whole numbers from 1"},
        {"ZAR:LSL=-1/1", "whole numbers"},
        {"ZAR:LSL=1001/1", "above 1000/1"},
        {"ZAR:LSL=1/1000000001", "whole numbers"},
        {"USD:LSL=1/1", "currencies are ZAR and LSL"},
        {"ZAR-LSL=1/1", "expected <FROM>:<TO>"},
        {"ZAR:LSL=1/1,ZAR:LSL=2/2", "listed twice"},
    };
    for (const auto& [text, expected] : bad) {
        auto refused = parse_rate_table(text);
        ASSERT_FALSE(refused.ok()) << text;
        EXPECT_NE(refused.error().find(expected), std::string::npos)
            << text << " -> " << refused.error();
    }
}

TEST(PricingTest, EverySettingIsValidatedAndNamed) {
    PricingSettings settings;
    settings.send_limits = SendLimits{0, 100};
    EXPECT_EQ(config_error(settings).setting, "send_limits");

    settings = PricingSettings{};
    settings.fee_schedule = "5000-49999:300+100bp";
    EXPECT_EQ(config_error(settings).setting, "fee_schedule");

    settings = PricingSettings{};
    settings.payout_fees = "paypal:1";
    EXPECT_EQ(config_error(settings).setting, "payout_fees");

    settings = PricingSettings{};
    settings.rates = "LSL:ZAR=1/1";
    ConfigError error = config_error(settings);
    EXPECT_EQ(error.setting, "rates");
    EXPECT_NE(error.message.find("no rate from ZAR to LSL"), std::string::npos);

    settings = PricingSettings{};
    settings.quote_validity = std::chrono::seconds(29);
    EXPECT_EQ(config_error(settings).setting, "quote_validity");
    settings.quote_validity = std::chrono::hours(24) + std::chrono::seconds(1);
    EXPECT_EQ(config_error(settings).setting, "quote_validity");
    settings.quote_validity = std::chrono::minutes(5);
    EXPECT_EQ(config_of(settings).quote_validity(), std::chrono::minutes(5));
}

TEST(PricingTest, TheDearestPayoutFeeMustLeaveSomethingToPayOut) {
    // R50.00 costs R3.50 before the payout fee: a R46.50 payout fee takes everything.
    PricingSettings settings;
    settings.payout_fees = "cash_pickup:4650";
    const ConfigError error = config_error(settings);
    EXPECT_EQ(error.setting, "payout_fees");
    EXPECT_NE(error.message.find("leaving nothing to pay out"), std::string::npos) << error.message;
    settings.payout_fees = "cash_pickup:4649";
    EXPECT_EQ(send(config_of(settings), PayoutMethod::kCashPickup, 5000).receive.minor, 1);

    settings = PricingSettings{};
    settings.fee_schedule = "5000-2500000:4000+0bp";
    settings.rates = "ZAR:LSL=1/1001";
    EXPECT_EQ(config_error(settings).setting, "rates") << "1000 cents at 1/1001 is nothing";
}

TEST(PricingTest, NamesOfMethodsAndRefusals) {
    for (const PayoutMethod method : kAllPayoutMethods) {
        EXPECT_EQ(payout_method_from(to_string(method)), method);
    }
    EXPECT_EQ(to_string(PayoutMethod::kCashPickup), "cash_pickup");
    EXPECT_FALSE(payout_method_from("m-pesa").has_value());
    EXPECT_FALSE(payout_method_from("").has_value());
    EXPECT_EQ(to_string(PriceRefusal::kNotPositive), "amount_not_positive");
    EXPECT_EQ(to_string(PriceRefusal::kAboveMaximum), "above_maximum");
    EXPECT_EQ(to_string(PriceRefusal::kNothingToPayOut), "nothing_to_pay_out");
}

}  // namespace
}  // namespace chelete::remittance
