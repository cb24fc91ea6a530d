#include "domain/reply_class.hpp"

#include <algorithm>
#include <array>

namespace chelete::mobile_money::domain {
namespace {

// DOMAIN.md §2.1. INS-10 (duplicate) is unknown: the ID was used before and what became of that
// first request is exactly what we do not know.
constexpr std::array<std::string_view, 5> kUnknownCodes{
    "INS-1", "INS-9", "INS-10", "INS-16", "INS-23"};
constexpr std::array<std::string_view, 19> kOurRequestCodes{
    "INS-2",
    "INS-4",
    "INS-13",
    "INS-14",
    "INS-15",
    "INS-17",
    "INS-18",
    "INS-19",
    "INS-20",
    "INS-21",
    "INS-24",
    "INS-25",
    "INS-26",
    "INS-993",
    "INS-994",
    "INS-997",
    "INS-998",
    "INS-2001",
    "INS-2057"};
constexpr std::array<std::string_view, 6> kRecipientCodes{
    "INS-5", "INS-6", "INS-995", "INS-996", "INS-2002", "INS-2051"};
constexpr std::string_view kFloatCode = "INS-2006";
constexpr std::string_view kSessionExpiredCode = "INS-989";

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& codes, std::string_view code) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
}

bool is_2xx(long status) {
    return status >= 200 && status <= 299;
}
bool is_4xx(long status) {
    return status >= 400 && status <= 499;
}

}  // namespace

std::string_view to_string(ReplyClass reply) {
    switch (reply) {
        case ReplyClass::kSuccess:
            return "success";
        case ReplyClass::kUnknown:
            return "unknown";
        case ReplyClass::kFailed:
            return "failed";
        case ReplyClass::kRefused:
            return "refused";
        case ReplyClass::kAuthExpired:
            return "auth_expired";
        case ReplyClass::kAuthRefused:
            return "auth_refused";
    }
    return "unknown";
}

ReplyVerdict classify_mpesa_code(std::string_view code) {
    if (code == "INS-0") {
        return {ReplyClass::kSuccess, FailureKind::kNone};
    }
    if (listed(kUnknownCodes, code)) {
        return {ReplyClass::kUnknown, FailureKind::kNone};
    }
    if (code == kSessionExpiredCode) {
        return {ReplyClass::kAuthExpired, FailureKind::kNone};
    }
    if (listed(kOurRequestCodes, code)) {
        return {ReplyClass::kFailed, FailureKind::kOurRequest};
    }
    if (listed(kRecipientCodes, code)) {
        return {ReplyClass::kFailed, FailureKind::kRecipient};
    }
    if (code == kFloatCode) {
        return {ReplyClass::kFailed, FailureKind::kInsufficientFloat};
    }
    // Never auto-retried; terminal, but the caller confirms by query before any refund.
    return {ReplyClass::kFailed, FailureKind::kUnrecognised};
}

ReplyVerdict classify_mpesa_reply(long http_status, std::string_view code, std::string_view error) {
    if (code.empty()) {
        if (http_status == 503 && error == "service_unavailable") {
            return {ReplyClass::kRefused, FailureKind::kNone};
        }
        // A proxy's error page, an empty body: the request may have been processed behind it.
        return {ReplyClass::kUnknown, FailureKind::kNone};
    }
    const ReplyVerdict verdict = classify_mpesa_code(code);
    switch (verdict.reply) {
        case ReplyClass::kSuccess:
            return is_2xx(http_status) ? verdict : ReplyVerdict{};
        case ReplyClass::kFailed:
            return is_4xx(http_status) ? verdict : ReplyVerdict{};
        case ReplyClass::kAuthExpired:
            return http_status == 401 ? verdict : ReplyVerdict{};
        case ReplyClass::kUnknown:
        case ReplyClass::kRefused:
        case ReplyClass::kAuthRefused:
            break;
    }
    return ReplyVerdict{};
}

ReplyVerdict classify_ecocash_reply(long http_status, std::string_view error) {
    if (is_2xx(http_status)) {
        return {ReplyClass::kSuccess, FailureKind::kNone};
    }
    if (http_status == 503 && error == "service_unavailable") {
        return {ReplyClass::kRefused, FailureKind::kNone};
    }
    if (http_status == 401 && error == "invalid_token") {
        return {ReplyClass::kAuthExpired, FailureKind::kNone};
    }
    if (http_status == 401 && error == "invalid_client") {
        return {ReplyClass::kAuthRefused, FailureKind::kOurRequest};
    }
    if (http_status == 409 && error == "duplicate_correlator") {
        return {ReplyClass::kUnknown, FailureKind::kNone};
    }
    if (http_status == 422 && error == "insufficient_funds") {
        return {ReplyClass::kFailed, FailureKind::kInsufficientFloat};
    }
    if (http_status == 400 && error == "invalid_msisdn") {
        return {ReplyClass::kFailed, FailureKind::kRecipient};
    }
    if (http_status == 400 && error == "invalid_request") {
        return {ReplyClass::kFailed, FailureKind::kOurRequest};
    }
    if (is_4xx(http_status) && !error.empty()) {
        // The partner's own error body on a 4xx: refused, for a reason we do not know.
        return {ReplyClass::kFailed, FailureKind::kUnrecognised};
    }
    // 5xx, 3xx, a 4xx without the partner's error body (a proxy): may have been processed.
    return {ReplyClass::kUnknown, FailureKind::kNone};
}

PaymentVerdict mpesa_result_code_status(std::string_view result_code) {
    const ReplyVerdict verdict = classify_mpesa_code(result_code);
    switch (verdict.reply) {
        case ReplyClass::kSuccess:
            return {PaymentStatus::kPaid, FailureKind::kNone};
        case ReplyClass::kFailed:
            return {PaymentStatus::kFailed, verdict.failure};
        case ReplyClass::kUnknown:
        case ReplyClass::kRefused:
        case ReplyClass::kAuthExpired:
        case ReplyClass::kAuthRefused:
            break;
    }
    // Unknown-class results (a stale INS-9) say "not finished", never "failed".
    return {PaymentStatus::kPending, FailureKind::kNone};
}

PaymentVerdict mpesa_query_status(
    std::string_view transaction_status, std::string_view result_code
) {
    if (transaction_status == "Completed") {
        if (result_code == "INS-0") {
            return {PaymentStatus::kPaid, FailureKind::kNone};
        }
        return {PaymentStatus::kUnknown, FailureKind::kNone};
    }
    if (transaction_status == "Failed") {
        const PaymentVerdict verdict = mpesa_result_code_status(result_code);
        if (verdict.status == PaymentStatus::kFailed) {
            return verdict;
        }
        return {PaymentStatus::kUnknown, FailureKind::kNone};
    }
    if (transaction_status == "Pending") {
        return {PaymentStatus::kPending, FailureKind::kNone};
    }
    if (transaction_status == "NotFound") {
        return {PaymentStatus::kNotFound, FailureKind::kNone};
    }
    return {PaymentStatus::kUnknown, FailureKind::kNone};
}

FailureKind ecocash_reason_failure(std::string_view reason) {
    if (reason == "insufficient_funds") {
        return FailureKind::kInsufficientFloat;
    }
    if (reason == "invalid_msisdn") {
        return FailureKind::kRecipient;
    }
    if (reason == "invalid_request") {
        return FailureKind::kOurRequest;
    }
    return FailureKind::kUnrecognised;
}

PaymentVerdict ecocash_operation_status(
    std::string_view operation_status, std::string_view reason
) {
    if (operation_status == "COMPLETED") {
        return {PaymentStatus::kPaid, FailureKind::kNone};
    }
    if (operation_status == "FAILED") {
        return {PaymentStatus::kFailed, ecocash_reason_failure(reason)};
    }
    if (operation_status == "PENDING") {
        return {PaymentStatus::kPending, FailureKind::kNone};
    }
    return {PaymentStatus::kUnknown, FailureKind::kNone};
}

}  // namespace chelete::mobile_money::domain
