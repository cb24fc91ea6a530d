#pragma once

#include <cstdint>
#include <string_view>

#include <chelete/mobile_money/partner.hpp>

// What a partner's answer means for the money (DOMAIN.md §2.1 table and the EcoCash equivalents
// in docs/partners.md). Pure: the adapters parse the wire, these functions decide.
namespace chelete::mobile_money::domain {

enum class ReplyClass : std::uint8_t {
    kSuccess,      // accepted (a payout) or answered (a query)
    kUnknown,      // may or may not have been processed: settle by status query, never resend
    kFailed,       // definitely not processed as a payment (see FailureKind)
    kRefused,      // refused by the front end before any processing: safe to resend as is
    kAuthExpired,  // session or token unknown/expired: certainly not processed; renew, resend once
    kAuthRefused,  // our credentials were refused: nothing processed; operations must fix them
};

struct ReplyVerdict {
    ReplyClass reply = ReplyClass::kUnknown;
    FailureKind failure = FailureKind::kNone;

    friend bool operator==(const ReplyVerdict&, const ReplyVerdict&) = default;
};

[[nodiscard]] std::string_view to_string(ReplyClass reply);

/// The DOMAIN.md §2.1 table for one M-Pesa code, without the HTTP status: INS-0 success;
/// INS-1/9/10/16/23 unknown; INS-989 session expired; the listed definite failures with their
/// kind; anything else kFailed/kUnrecognised.
[[nodiscard]] ReplyVerdict classify_mpesa_code(std::string_view code);

/// One M-Pesa answer: the HTTP status and output_ResponseCode (empty when the body had none),
/// plus the `error` member for the front end's plain refusal. A success or definite failure is
/// believed only with a status that agrees (2xx, 4xx): a 5xx never proves anything, so it is
/// unknown whatever the code says. No code at all is unknown, except the documented front-end
/// 503 {"error":"service_unavailable"}, which is kRefused.
[[nodiscard]] ReplyVerdict classify_mpesa_reply(
    long http_status, std::string_view code, std::string_view error
);

/// One EcoCash answer to a disbursement (or token) call: HTTP status and the `error` member
/// (empty when absent). 2xx success; 409 duplicate_correlator, 500, 504 and every other 5xx
/// unknown; 503 service_unavailable refused; 401 invalid_token expired; 401 invalid_client
/// refused credentials; 422 insufficient_funds float; 400 invalid_msisdn recipient;
/// 400 invalid_request our request; any other 4xx kFailed/kUnrecognised; anything else unknown.
[[nodiscard]] ReplyVerdict classify_ecocash_reply(long http_status, std::string_view error);

/// The payment state a final M-Pesa result code stands for (callbacks, status queries):
/// INS-0 paid; an unknown-class code (INS-9 on a stale callback) pending, never final; a definite
/// failure failed with its kind; an unrecognised code failed/kUnrecognised.
struct PaymentVerdict {
    PaymentStatus status = PaymentStatus::kUnknown;
    FailureKind failure = FailureKind::kNone;

    friend bool operator==(const PaymentVerdict&, const PaymentVerdict&) = default;
};
[[nodiscard]] PaymentVerdict mpesa_result_code_status(std::string_view result_code);

/// output_ResponseTransactionStatus of a status query with its output_ResultCode. Completed must
/// carry INS-0 and Failed a code that is not success or unknown class, else the answer
/// contradicts itself and is kUnknown (ask again).
[[nodiscard]] PaymentVerdict mpesa_query_status(
    std::string_view transaction_status, std::string_view result_code
);

/// The FailureKind of an EcoCash failure `reason` (the error vocabulary of its API):
/// insufficient_funds float, invalid_msisdn recipient, invalid_request our request, anything
/// else (free text) kUnrecognised.
[[nodiscard]] FailureKind ecocash_reason_failure(std::string_view reason);

/// transactionOperationStatus (callbacks, queries): COMPLETED paid, FAILED failed (kind from the
/// reason), PENDING pending; anything else kUnknown.
[[nodiscard]] PaymentVerdict ecocash_operation_status(
    std::string_view operation_status, std::string_view reason
);

}  // namespace chelete::mobile_money::domain
