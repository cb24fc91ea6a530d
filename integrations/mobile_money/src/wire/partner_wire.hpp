#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/mobile_money/partner.hpp>
#include <chelete/platform/result.hpp>

#include "domain/reply_class.hpp"

// The partners' wire formats (the partner contract, docs/partners.md), kept apart from the HTTP
// transport so they are tested and fuzzed without sockets. Each interpret_* function turns one
// HTTP answer (status + body) into what it means; the clients decide on retries from `reply`.
namespace chelete::mobile_money::wire {

/// Statement bodies of both partners: {"date","entries":[{"reference","transaction_id","msisdn",
/// "amount","currency","completed_at"}]}, strictly: exactly those members, all strings,
/// `date` equal to `expected_date`, currency LSL, amounts positive with two decimals,
/// completed_at RFC 3339 on that date, references unique.
[[nodiscard]] platform::Result<std::vector<StatementLine>, std::string> parse_statement(
    std::string_view body, std::string_view expected_date
);

/// One submit answer: how to act on it (`reply`) and what to report (`result`, meaningful for
/// kSuccess, kUnknown and kFailed; the client fills in kNotSent itself).
struct SubmitReply {
    domain::ReplyClass reply = domain::ReplyClass::kUnknown;
    SubmitResult result;
};

/// One status-query answer.
struct QueryReply {
    domain::ReplyClass reply = domain::ReplyClass::kUnknown;
    StatusResult result;
};

// ---- M-Pesa -------------------------------------------------------------------------------

/// GET getSession/: 200 INS-0 with a session id (1-64 printable characters) is kSuccess with
/// the id in `session_id`; 401 INS-2 kAuthRefused; the front-end 503 kRefused; else kUnknown.
struct SessionReply {
    domain::ReplyClass reply = domain::ReplyClass::kUnknown;
    std::string session_id;
    std::string detail;
};
[[nodiscard]] SessionReply interpret_mpesa_session(long http_status, std::string_view body);

/// POST b2cPayment/. An accepted answer must echo our reference in
/// output_ThirdPartyConversationID, else it is somebody else's answer and kUnknown.
[[nodiscard]] SubmitReply interpret_mpesa_payment(
    long http_status, std::string_view body, std::string_view reference
);

/// GET queryTransactionStatus/.
[[nodiscard]] QueryReply interpret_mpesa_query(long http_status, std::string_view body);

/// The b2cPayment/ request body.
[[nodiscard]] std::string mpesa_payment_body(
    const PayoutOrder& order, std::string_view service_provider_code
);

// ---- EcoCash ------------------------------------------------------------------------------

/// POST /oauth/token: 200 with access_token (1-512 printable characters), token_type Bearer and
/// a positive integer expires_in is kSuccess.
struct TokenReply {
    domain::ReplyClass reply = domain::ReplyClass::kUnknown;
    std::string access_token;
    std::int64_t expires_in_s = 0;
    std::string detail;
};
[[nodiscard]] TokenReply interpret_ecocash_token(long http_status, std::string_view body);

/// POST /v1/disbursements. A 202 must echo our clientCorrelator and say PENDING.
[[nodiscard]] SubmitReply interpret_ecocash_disbursement(
    long http_status, std::string_view body, std::string_view reference
);

/// GET /v1/disbursements/{clientCorrelator}; the answer must be about `reference`.
[[nodiscard]] QueryReply interpret_ecocash_query(
    long http_status, std::string_view body, std::string_view reference
);

/// The /v1/disbursements request body.
[[nodiscard]] std::string ecocash_disbursement_body(
    const PayoutOrder& order, std::string_view notify_url
);

/// A PayoutOrder the partners can take: reference [A-Za-z0-9]{1,40} (EcoCash also allows '-',
/// we keep one rule for both), transaction_reference 1-20 printable characters, msisdn 266 + 8
/// digits, amount > 0, description at most 100 characters without control characters. Nullopt
/// when it is fine; else the verdict to report without calling the partner (kFailed, kRecipient
/// for the MSISDN, kOurRequest for the rest).
[[nodiscard]] std::optional<SubmitResult> check_order(const PayoutOrder& order);

}  // namespace chelete::mobile_money::wire
