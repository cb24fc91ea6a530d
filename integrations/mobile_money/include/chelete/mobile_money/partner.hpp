#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/platform/result.hpp>

namespace chelete::mobile_money {

/// The mobile-money partners a payout can go through (DOMAIN.md §2).
enum class PartnerId : std::uint8_t { kMpesa, kEcocash };
[[nodiscard]] std::string_view to_string(PartnerId partner);
[[nodiscard]] std::optional<PartnerId> partner_from_string(std::string_view text);

/// One payout attempt as a partner sees it. `reference` is the attempt's idempotency key at the
/// partner (M-Pesa input_ThirdPartyConversationID, EcoCash clientCorrelator): the remittance's
/// payout reference plus an attempt number, never reused for another attempt.
struct PayoutOrder {
    std::string reference;              // [A-Za-z0-9]{1,40}
    std::string transaction_reference;  // 1-20 characters, shown to the recipient
    std::string msisdn;                 // 266 + 8 digits
    std::int64_t amount_minor = 0;      // LSL cents, > 0
    std::string description;
};

/// What a failure says about the money (DOMAIN.md §2.1 classes).
enum class FailureKind : std::uint8_t {
    kNone,
    kRecipient,          // the number or customer cannot receive: refund, tell the sender
    kInsufficientFloat,  // our float is short: alarm, retry after a top-up within the SLA
    kOurRequest,         // our request or credentials are wrong: alert operations, never resend
    kUnrecognised,       // a code we do not know: terminal, but confirmed before any refund
};

enum class SubmitVerdict : std::uint8_t {
    kAccepted,  // the partner took the order; the result follows by callback or status query
    kFailed,    // definitely not paid (see FailureKind)
    kUnknown,   // may or may not have been paid: settle by status query, never pay again
    kNotSent,   // certainly never reached the partner (circuit open, refused before processing
               // after the allowed retries, no session): safe to send later with the SAME reference
};

struct SubmitResult {
    SubmitVerdict verdict = SubmitVerdict::kUnknown;
    FailureKind failure = FailureKind::kNone;
    std::string partner_code;     // "INS-0", "INS-2051", "duplicate_correlator", "http_503", ...
    std::string detail;           // for the attempt log, never shown to customers
    std::string conversation_id;  // partner's ids when it gave them
    std::string transaction_id;
};

enum class PaymentStatus : std::uint8_t {
    kPaid,
    kFailed,
    kPending,   // the partner has it and has not finished
    kNotFound,  // the partner never processed this reference
    kUnknown,   // the query itself failed (timeout, 5xx, unreadable): ask again later
};

struct StatusResult {
    PaymentStatus status = PaymentStatus::kUnknown;
    FailureKind failure = FailureKind::kNone;  // when kFailed
    std::string partner_code;
    std::string transaction_id;
    std::string detail;
};

/// A completed payment on the partner's statement.
struct StatementLine {
    std::string reference;
    std::string transaction_id;
    std::string msisdn;
    std::int64_t amount_minor = 0;
    std::string completed_at;  // RFC 3339 UTC
};

/// A payout partner's API (production adapters: M-Pesa OpenAPI and EcoCash clients). Thread-safe;
/// never throws for anything the partner does.
class PayoutPartner {
public:
    virtual ~PayoutPartner() = default;
    PayoutPartner() = default;
    PayoutPartner(const PayoutPartner&) = delete;
    PayoutPartner& operator=(const PayoutPartner&) = delete;
    PayoutPartner(PayoutPartner&&) = delete;
    PayoutPartner& operator=(PayoutPartner&&) = delete;

    [[nodiscard]] virtual PartnerId id() const = 0;
    [[nodiscard]] virtual SubmitResult submit(const PayoutOrder& order) = 0;
    [[nodiscard]] virtual StatusResult query(std::string_view reference) = 0;
    /// Completed payments of one UTC day (YYYY-MM-DD); an error text when it cannot be read.
    [[nodiscard]] virtual platform::Result<std::vector<StatementLine>, std::string> statement(
        std::string_view date
    ) = 0;
};

/// A partner's result callback, parsed from the raw body (after its signature was checked).
struct CallbackResult {
    std::string reference;                           // our attempt reference
    PaymentStatus status = PaymentStatus::kPending;  // kPaid, kFailed or kPending (never final)
    FailureKind failure = FailureKind::kNone;
    std::string partner_code;
    std::string transaction_id;
    std::optional<std::int64_t> amount_minor;
    std::string completed_at;
};

/// Strict parsers of the partners' callback bodies: an error text for anything malformed.
[[nodiscard]] platform::Result<CallbackResult, std::string> parse_mpesa_callback(
    std::string_view body
);
[[nodiscard]] platform::Result<CallbackResult, std::string> parse_ecocash_callback(
    std::string_view body
);

/// Callback authentication: HMAC-SHA256 over "<timestamp>.<raw body>" (the partner contract in
/// docs/partners.md). Replays are the caller's to refuse (it stores what it has seen).
enum class SignatureCheck : std::uint8_t { kOk, kMissing, kMalformed, kStale, kMismatch };
[[nodiscard]] std::string_view to_string(SignatureCheck check);
[[nodiscard]] SignatureCheck verify_callback_signature(
    std::string_view secret,
    std::string_view timestamp_header,
    std::string_view signature_header,
    std::string_view raw_body,
    std::chrono::system_clock::time_point now,
    std::chrono::seconds window
);
/// The X-Chelete-Signature value for a body (the simulators and tests sign with it).
[[nodiscard]] std::string sign_callback(
    std::string_view secret, std::string_view timestamp, std::string_view raw_body
);

/// Amounts on partner wires: "10.00" <-> 1000. Exactly two decimals, no sign, no exponent.
[[nodiscard]] std::optional<std::int64_t> parse_wire_amount(std::string_view text);
[[nodiscard]] std::string format_wire_amount(std::int64_t minor);

}  // namespace chelete::mobile_money
