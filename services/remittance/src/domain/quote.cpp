#include "domain/quote.hpp"

namespace chelete::remittance {

std::string_view to_string(QuoteState state) {
    switch (state) {
        case QuoteState::kIssued:
            return "issued";
        case QuoteState::kUsed:
            return "used";
        case QuoteState::kExpired:
            return "expired";
    }
    return "unknown";
}

std::optional<QuoteState> quote_state_from(std::string_view name) {
    for (const QuoteState state : {QuoteState::kIssued, QuoteState::kUsed, QuoteState::kExpired}) {
        if (to_string(state) == name) {
            return state;
        }
    }
    return std::nullopt;
}

std::string_view to_string(QuoteBasis basis) {
    switch (basis) {
        case QuoteBasis::kSend:
            return "send_amount";
        case QuoteBasis::kReceive:
            return "receive_amount";
    }
    return "unknown";
}

std::string_view to_string(QuoteRefusal refusal) {
    switch (refusal) {
        case QuoteRefusal::kNotYours:
            return "quote_not_found";
        case QuoteRefusal::kAlreadyUsed:
            return "quote_used";
        case QuoteRefusal::kExpired:
            return "quote_expired";
        case QuoteRefusal::kMethodMismatch:
            return "quote_method_mismatch";
    }
    return "unknown";
}

platform::Result<Quote, PriceError> issue_quote(
    const PricingConfig& config,
    const QuoteRequest& request,
    platform::Id128 id,
    platform::Id128 worker_id,
    platform::TimePoint now
) {
    auto price = request.basis == QuoteBasis::kSend
                     ? price_for_send(config, request.method, request.amount_minor)
                     : price_for_receive(config, request.method, request.amount_minor);
    if (!price) {
        return platform::err(price.error());
    }
    Quote quote;
    quote.id = id;
    quote.worker_id = worker_id;
    quote.basis = request.basis;
    quote.requested_minor = request.amount_minor;
    quote.price = std::move(price).value();
    quote.issued_at = now;
    quote.expires_at = now + config.quote_validity();
    quote.state = QuoteState::kIssued;
    return quote;
}

QuoteState quote_state_at(const Quote& quote, platform::TimePoint now) {
    if (quote.state == QuoteState::kIssued && now >= quote.expires_at) {
        return QuoteState::kExpired;
    }
    return quote.state;
}

platform::Result<Quote, QuoteUseError> use_quote(
    const Quote& quote,
    platform::Id128 worker_id,
    platform::Id128 remittance_id,
    PayoutMethod beneficiary_method,
    platform::TimePoint now
) {
    if (quote.worker_id != worker_id) {
        return platform::err(QuoteUseError{QuoteRefusal::kNotYours, "no such quote"});
    }
    const QuoteState state = quote_state_at(quote, now);
    if (state == QuoteState::kUsed) {
        if (quote.used_by == remittance_id) {
            return quote;
        }
        return platform::err(QuoteUseError{
            QuoteRefusal::kAlreadyUsed, "this quote was already used for another remittance"});
    }
    if (state == QuoteState::kExpired) {
        return platform::err(QuoteUseError{
            QuoteRefusal::kExpired,
            "this quote expired at " + platform::format_rfc3339(quote.expires_at) +
                "; ask for a new quote"});
    }
    if (quote.price.method != beneficiary_method) {
        return platform::err(QuoteUseError{
            QuoteRefusal::kMethodMismatch,
            "this quote is for " + std::string(to_string(quote.price.method)) +
                " but the beneficiary is paid by " + std::string(to_string(beneficiary_method))});
    }
    Quote used = quote;
    used.state = QuoteState::kUsed;
    used.used_by = remittance_id;
    return used;
}

}  // namespace chelete::remittance
