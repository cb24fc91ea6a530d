#pragma once

// Quotes (docs/remittance.md "Quotes"): a priced send, valid for a while, used by at most one
// remittance. issued → used, or issued → expired when its time runs out. Pure: the caller passes
// the time (from platform::Clock) and the ids (from platform::IdGenerator).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/id.hpp>
#include <chelete/platform/result.hpp>

#include "domain/pricing.hpp"

namespace chelete::remittance {

enum class QuoteState : std::uint8_t { kIssued, kUsed, kExpired };
/// "issued", "used", "expired"
[[nodiscard]] std::string_view to_string(QuoteState state);
[[nodiscard]] std::optional<QuoteState> quote_state_from(std::string_view name);

/// Which amount the sender fixed: `{send_amount}` or `{receive_amount}` (API.md).
enum class QuoteBasis : std::uint8_t { kSend, kReceive };
[[nodiscard]] std::string_view to_string(QuoteBasis basis);

struct QuoteRequest {
    QuoteBasis basis = QuoteBasis::kSend;
    std::int64_t amount_minor = 0;  // ZAR for kSend, LSL for kReceive
    PayoutMethod method = PayoutMethod::kMpesa;
};

struct Quote {
    platform::Id128 id;
    platform::Id128 worker_id;
    QuoteBasis basis = QuoteBasis::kSend;
    std::int64_t requested_minor = 0;
    Price price;
    platform::TimePoint issued_at;
    platform::TimePoint expires_at;  // the first instant at which the quote is expired
    QuoteState state = QuoteState::kIssued;
    std::optional<platform::Id128> used_by;  // the remittance, once used

    friend bool operator==(const Quote&, const Quote&) = default;
};

/// Prices the request and stamps it: issued at `now`, expires at now + the configured validity.
[[nodiscard]] platform::Result<Quote, PriceError> issue_quote(
    const PricingConfig& config,
    const QuoteRequest& request,
    platform::Id128 id,
    platform::Id128 worker_id,
    platform::TimePoint now
);

/// The state at `now`: a used quote stays used; an issued one is expired from expires_at on.
[[nodiscard]] QuoteState quote_state_at(const Quote& quote, platform::TimePoint now);

enum class QuoteRefusal : std::uint8_t {
    kNotYours,        // another worker's quote: answered like an unknown quote (422 on quote_id)
    kAlreadyUsed,     // used by another remittance (409)
    kExpired,         // past expires_at (409)
    kMethodMismatch,  // priced for another payout method than the beneficiary's (422)
};
/// "quote_not_found", "quote_used", "quote_expired", "quote_method_mismatch"
[[nodiscard]] std::string_view to_string(QuoteRefusal refusal);

struct QuoteUseError {
    QuoteRefusal reason = QuoteRefusal::kExpired;
    std::string message;  // safe to show to the sender
};

/// Marks the quote used by `remittance_id` at `now`. Checks, in this order: the quote is the
/// worker's; it is not used by another remittance (used by this same remittance answers the
/// quote unchanged, so a retried request is harmless); it has not expired; the beneficiary is
/// paid by the method it was priced for. The caller stores the result only if the stored quote
/// is still `issued` (a compare-and-set), so two remittances can never use one quote.
[[nodiscard]] platform::Result<Quote, QuoteUseError> use_quote(
    const Quote& quote,
    platform::Id128 worker_id,
    platform::Id128 remittance_id,
    PayoutMethod beneficiary_method,
    platform::TimePoint now
);

}  // namespace chelete::remittance
