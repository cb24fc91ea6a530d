#include "domain/quote.hpp"

#include <gtest/gtest.h>

namespace chelete::remittance {
namespace {

using namespace std::chrono_literals;
using platform::Id128;
using platform::TimePoint;

const Id128 kQuoteId{0x0190'0000'0000'7000ULL, 0x8000'0000'0000'0001ULL};
const Id128 kWorker{1, 1};
const Id128 kOtherWorker{1, 2};
const Id128 kRemittance{2, 1};
const Id128 kOtherRemittance{2, 2};
constexpr TimePoint kNow{std::chrono::milliseconds{1'795'000'000'000}};

const PricingConfig& defaults() {
    static const PricingConfig kConfig = make_pricing_config(PricingSettings{}).value();
    return kConfig;
}

Quote issue(
    QuoteBasis basis,
    std::int64_t amount,
    PayoutMethod method = PayoutMethod::kMpesa,
    const PricingConfig& config = defaults()
) {
    auto quote = issue_quote(config, QuoteRequest{basis, amount, method}, kQuoteId, kWorker, kNow);
    EXPECT_TRUE(quote.ok()) << (quote.ok() ? "" : quote.error().message);
    return std::move(quote).value();
}

QuoteRefusal refusal(const platform::Result<Quote, QuoteUseError>& result) {
    EXPECT_FALSE(result.ok()) << "the quote should be refused";
    return result.ok() ? QuoteRefusal{} : result.error().reason;
}

TEST(QuoteTest, ASendQuoteIsIssuedForFifteenMinutes) {
    const Quote quote = issue(QuoteBasis::kSend, 50000);
    EXPECT_EQ(quote.id, kQuoteId);
    EXPECT_EQ(quote.worker_id, kWorker);
    EXPECT_EQ(quote.basis, QuoteBasis::kSend);
    EXPECT_EQ(quote.requested_minor, 50000);
    EXPECT_EQ(quote.price.send.minor, 50000);
    EXPECT_EQ(quote.price.fee.minor, 700);
    EXPECT_EQ(quote.price.receive.minor, 49300);
    EXPECT_EQ(quote.issued_at, kNow);
    EXPECT_EQ(quote.expires_at - quote.issued_at, 15min);
    EXPECT_EQ(quote.state, QuoteState::kIssued);
    EXPECT_FALSE(quote.used_by.has_value());
}

TEST(QuoteTest, AReceiveQuoteFixesWhatArrives) {
    const Quote quote = issue(QuoteBasis::kReceive, 49250, PayoutMethod::kEcocash);
    EXPECT_EQ(quote.basis, QuoteBasis::kReceive);
    EXPECT_EQ(quote.requested_minor, 49250);
    EXPECT_EQ(quote.price.method, PayoutMethod::kEcocash);
    EXPECT_EQ(quote.price.send.minor, 50000) << "M492.50 falls in the gap below R500.00";
    EXPECT_EQ(quote.price.receive.minor, 49300);
}

TEST(QuoteTest, ValidityComesFromConfiguration) {
    PricingSettings settings;
    settings.quote_validity = 5min;
    const PricingConfig config = make_pricing_config(settings).value();
    const Quote quote = issue(QuoteBasis::kSend, 50000, PayoutMethod::kMpesa, config);
    EXPECT_EQ(quote.expires_at, kNow + 5min);
}

TEST(QuoteTest, AnAmountThatCannotBePricedIsNotQuoted) {
    auto quote = issue_quote(
        defaults(),
        QuoteRequest{QuoteBasis::kSend, 4999, PayoutMethod::kMpesa},
        kQuoteId,
        kWorker,
        kNow
    );
    ASSERT_FALSE(quote.ok());
    EXPECT_EQ(quote.error().reason, PriceRefusal::kBelowMinimum);
    quote = issue_quote(
        defaults(),
        QuoteRequest{QuoteBasis::kReceive, 2479201, PayoutMethod::kMpesa},
        kQuoteId,
        kWorker,
        kNow
    );
    ASSERT_FALSE(quote.ok());
    EXPECT_EQ(quote.error().reason, PriceRefusal::kAboveMaximum);
}

TEST(QuoteTest, ExpiresExactlyAtExpiresAt) {
    const Quote quote = issue(QuoteBasis::kSend, 50000);
    EXPECT_EQ(quote_state_at(quote, kNow), QuoteState::kIssued);
    EXPECT_EQ(quote_state_at(quote, quote.expires_at - 1ms), QuoteState::kIssued);
    EXPECT_EQ(quote_state_at(quote, quote.expires_at), QuoteState::kExpired);
    EXPECT_EQ(quote_state_at(quote, quote.expires_at + 24h), QuoteState::kExpired);

    EXPECT_TRUE(
        use_quote(quote, kWorker, kRemittance, PayoutMethod::kMpesa, quote.expires_at - 1ms).ok()
    );
    const auto late =
        use_quote(quote, kWorker, kRemittance, PayoutMethod::kMpesa, quote.expires_at);
    EXPECT_EQ(refusal(late), QuoteRefusal::kExpired);
    EXPECT_EQ(to_string(late.error().reason), "quote_expired");
    EXPECT_NE(late.error().message.find("expired at"), std::string::npos);
}

TEST(QuoteTest, UsingAQuoteRecordsTheRemittance) {
    const Quote quote = issue(QuoteBasis::kSend, 50000);
    const auto used = use_quote(quote, kWorker, kRemittance, PayoutMethod::kMpesa, kNow + 1min);
    ASSERT_TRUE(used.ok());
    EXPECT_EQ(used->state, QuoteState::kUsed);
    EXPECT_EQ(used->used_by, kRemittance);
    EXPECT_EQ(used->price, quote.price) << "the price does not change";
    EXPECT_EQ(quote_state_at(used.value(), kNow + 1h), QuoteState::kUsed) << "used stays used";
}

TEST(QuoteTest, AUsedQuoteIsRefusedToAnotherRemittanceEvenAfterExpiry) {
    const Quote quote = issue(QuoteBasis::kSend, 50000);
    const Quote used = use_quote(quote, kWorker, kRemittance, PayoutMethod::kMpesa, kNow).value();
    const auto again =
        use_quote(used, kWorker, kOtherRemittance, PayoutMethod::kMpesa, kNow + 1min);
    EXPECT_EQ(refusal(again), QuoteRefusal::kAlreadyUsed);
    EXPECT_EQ(to_string(again.error().reason), "quote_used");
    EXPECT_EQ(
        refusal(use_quote(used, kWorker, kOtherRemittance, PayoutMethod::kMpesa, kNow + 1h)),
        QuoteRefusal::kAlreadyUsed
    ) << "used wins over expired: a distinct reason";
}

TEST(QuoteTest, TheSameRemittanceRetryingIsHarmless) {
    const Quote quote = issue(QuoteBasis::kSend, 50000);
    const Quote used = use_quote(quote, kWorker, kRemittance, PayoutMethod::kMpesa, kNow).value();
    const auto retry = use_quote(used, kWorker, kRemittance, PayoutMethod::kMpesa, kNow + 1h);
    ASSERT_TRUE(retry.ok());
    EXPECT_EQ(retry.value(), used);
}

TEST(QuoteTest, AnotherWorkersQuoteIsNotFound) {
    const Quote quote = issue(QuoteBasis::kSend, 50000);
    const auto result = use_quote(quote, kOtherWorker, kRemittance, PayoutMethod::kMpesa, kNow);
    EXPECT_EQ(refusal(result), QuoteRefusal::kNotYours);
    EXPECT_EQ(to_string(result.error().reason), "quote_not_found");
}

TEST(QuoteTest, TheBeneficiaryMustBePaidByTheQuotedMethod) {
    const Quote quote = issue(QuoteBasis::kSend, 50000, PayoutMethod::kMpesa);
    const auto result = use_quote(quote, kWorker, kRemittance, PayoutMethod::kCashPickup, kNow);
    EXPECT_EQ(refusal(result), QuoteRefusal::kMethodMismatch);
    EXPECT_EQ(
        result.error().message, "this quote is for mpesa but the beneficiary is paid by cash_pickup"
    );
}

TEST(QuoteTest, AQuoteStoredAsExpiredIsRefusedAsExpired) {
    Quote quote = issue(QuoteBasis::kSend, 50000);
    quote.state = QuoteState::kExpired;  // as a sweeper would store it
    EXPECT_EQ(quote_state_at(quote, kNow), QuoteState::kExpired);
    EXPECT_EQ(
        refusal(use_quote(quote, kWorker, kRemittance, PayoutMethod::kMpesa, kNow)),
        QuoteRefusal::kExpired
    );
}

TEST(QuoteTest, StateNamesRoundTrip) {
    for (const QuoteState state : {QuoteState::kIssued, QuoteState::kUsed, QuoteState::kExpired}) {
        EXPECT_EQ(quote_state_from(to_string(state)), state);
    }
    EXPECT_EQ(to_string(QuoteState::kExpired), "expired");
    EXPECT_FALSE(quote_state_from("Issued").has_value());
    EXPECT_EQ(to_string(QuoteBasis::kReceive), "receive_amount");
}

}  // namespace
}  // namespace chelete::remittance
