#include "wire/partner_wire.hpp"

#include <algorithm>
#include <array>
#include <set>

#include <chelete/platform/clock.hpp>

#include "wire/strict_json.hpp"

namespace chelete::mobile_money::wire {
namespace {

using domain::ReplyClass;
using platform::err;

/// What a partner said, cut to a length fit for a log line.
std::string excerpt(std::string_view body) {
    constexpr std::size_t kMax = 200;
    std::string out{body.substr(0, kMax)};
    for (char& c : out) {
        if (c < ' ' || c == 0x7f) {
            c = ' ';
        }
    }
    return body.size() > kMax ? out + "..." : out;
}

std::string http_code(long status) {
    return "http_" + std::to_string(status);
}

SubmitResult submit_result(SubmitVerdict verdict, FailureKind failure, std::string code) {
    SubmitResult out;
    out.verdict = verdict;
    out.failure = failure;
    out.partner_code = std::move(code);
    return out;
}

SubmitVerdict submit_verdict(ReplyClass reply) {
    switch (reply) {
        case ReplyClass::kSuccess:
            return SubmitVerdict::kAccepted;
        case ReplyClass::kFailed:
            return SubmitVerdict::kFailed;
        case ReplyClass::kRefused:
        case ReplyClass::kAuthExpired:
        case ReplyClass::kAuthRefused:
            // Certainly not processed; the client retries or reports kNotSent.
            return SubmitVerdict::kNotSent;
        case ReplyClass::kUnknown:
            break;
    }
    return SubmitVerdict::kUnknown;
}

bool printable(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) >= ' ' && c != 0x7f;
    });
}

}  // namespace

platform::Result<std::vector<StatementLine>, std::string> parse_statement(
    std::string_view body, std::string_view expected_date
) {
    auto parsed = parse_object(body);
    if (!parsed.ok()) {
        return err(parsed.error());
    }
    const Json& doc = parsed.value();
    if (auto members = check_members(doc, {"date", "entries"}); !members.ok()) {
        return err(members.error());
    }
    const auto date = string_member(doc, "date");
    if (!date.ok()) {
        return err(date.error());
    }
    if (date.value() != expected_date) {
        return err("statement is for " + excerpt(date.value()) + ", not the day asked for");
    }
    const Json& entries = doc.at("entries");
    if (!entries.is_array()) {
        return err(std::string{"entries is not an array"});
    }
    std::vector<StatementLine> lines;
    lines.reserve(entries.size());
    std::set<std::string> seen;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const Json& entry = entries[i];
        const std::string where = "entries[" + std::to_string(i) + "]: ";
        if (!entry.is_object()) {
            return err(where + "not an object");
        }
        if (auto members = check_members(
                entry,
                {"reference", "transaction_id", "msisdn", "amount", "currency", "completed_at"}
            );
            !members.ok()) {
            return err(where + members.error());
        }
        std::array<std::string, 6> values;
        constexpr std::array<std::string_view, 6> kNames{
            "reference", "transaction_id", "msisdn", "amount", "currency", "completed_at"};
        for (std::size_t f = 0; f < kNames.size(); ++f) {
            auto value = string_member(entry, kNames[f]);
            if (!value.ok()) {
                return err(where + value.error());
            }
            values[f] = std::move(value).value();
        }
        auto& [reference, transaction_id, msisdn, amount, currency, completed_at] = values;
        if (!is_ecocash_reference(reference)) {
            return err(where + "reference is not a partner reference");
        }
        if (!seen.insert(reference).second) {
            return err(where + "reference " + reference + " appears twice");
        }
        if (!is_partner_token(transaction_id)) {
            return err(where + "transaction_id is empty or not an id");
        }
        if (!is_lesotho_msisdn(msisdn)) {
            return err(where + "msisdn is not 266 + 8 digits");
        }
        const auto minor = parse_wire_amount(amount);
        if (!minor || *minor <= 0) {
            return err(where + "amount is not a positive amount with two decimals");
        }
        if (currency != "LSL") {
            return err(where + "currency is not LSL");
        }
        const auto at = platform::parse_rfc3339(completed_at);
        if (!at || platform::Date::of(*at).to_string() != expected_date) {
            return err(where + "completed_at is not an RFC 3339 time on the statement's date");
        }
        lines.push_back(StatementLine{
            std::move(reference),
            std::move(transaction_id),
            std::move(msisdn),
            *minor,
            std::move(completed_at)});
    }
    return lines;
}

// ---- M-Pesa -------------------------------------------------------------------------------

SessionReply interpret_mpesa_session(long http_status, std::string_view body) {
    SessionReply out;
    auto parsed = parse_object(body);
    const std::string code = parsed.ok() ? text_member(parsed.value(), "output_ResponseCode") : "";
    const std::string error = parsed.ok() ? text_member(parsed.value(), "error") : "";
    out.detail = "getSession answered " + std::to_string(http_status) + ": " + excerpt(body);
    if (code == "INS-2" && http_status == 401) {
        out.reply = ReplyClass::kAuthRefused;
        return out;
    }
    const auto verdict = domain::classify_mpesa_reply(http_status, code, error);
    if (verdict.reply != ReplyClass::kSuccess) {
        // A failed getSession moved no money, whatever it says: at worst it is "not sent".
        out.reply = verdict.reply == ReplyClass::kFailed ? ReplyClass::kAuthRefused : verdict.reply;
        return out;
    }
    const std::string session =
        parsed.ok() ? text_member(parsed.value(), "output_SessionID") : std::string{};
    if (!is_partner_token(session)) {
        out.reply = ReplyClass::kUnknown;
        out.detail = "getSession answered INS-0 without a usable output_SessionID";
        return out;
    }
    out.reply = ReplyClass::kSuccess;
    out.session_id = session;
    return out;
}

SubmitReply interpret_mpesa_payment(
    long http_status, std::string_view body, std::string_view reference
) {
    SubmitReply out;
    auto parsed = parse_object(body);
    if (!parsed.ok()) {
        const auto verdict = domain::classify_mpesa_reply(http_status, "", "");
        out.reply = verdict.reply;
        out.result =
            submit_result(submit_verdict(verdict.reply), verdict.failure, http_code(http_status));
        out.result.detail = "b2cPayment answered " + std::to_string(http_status) + " with " +
                            parsed.error() + ": " + excerpt(body);
        return out;
    }
    const Json& doc = parsed.value();
    const std::string code = text_member(doc, "output_ResponseCode");
    const auto verdict = domain::classify_mpesa_reply(http_status, code, text_member(doc, "error"));
    out.reply = verdict.reply;
    out.result = submit_result(
        submit_verdict(verdict.reply),
        verdict.failure,
        code.empty() ? http_code(http_status) : code.substr(0, 64)
    );
    out.result.detail = "b2cPayment answered " + std::to_string(http_status) + " " +
                        out.result.partner_code + ": " +
                        excerpt(text_member(doc, code.empty() ? "error" : "output_ResponseDesc"));
    out.result.conversation_id = text_member(doc, "output_ConversationID").substr(0, 64);
    out.result.transaction_id = text_member(doc, "output_TransactionID").substr(0, 64);
    const std::string echoed = text_member(doc, "output_ThirdPartyConversationID");
    if (verdict.reply == ReplyClass::kSuccess && echoed != reference) {
        // An acceptance for another reference (a proxy mix-up, a partner bug) proves nothing
        // about ours.
        out.reply = ReplyClass::kUnknown;
        out.result.verdict = SubmitVerdict::kUnknown;
        out.result.detail = "b2cPayment accepted, but for reference " + excerpt(echoed);
    }
    return out;
}

QueryReply interpret_mpesa_query(long http_status, std::string_view body) {
    QueryReply out;
    out.result.status = PaymentStatus::kUnknown;
    auto parsed = parse_object(body);
    if (!parsed.ok()) {
        out.reply = domain::classify_mpesa_reply(http_status, "", "").reply;
        out.result.partner_code = http_code(http_status);
        out.result.detail = "queryTransactionStatus answered " + std::to_string(http_status) +
                            " with " + parsed.error() + ": " + excerpt(body);
        return out;
    }
    const Json& doc = parsed.value();
    const std::string code = text_member(doc, "output_ResponseCode");
    const auto verdict = domain::classify_mpesa_reply(http_status, code, text_member(doc, "error"));
    out.reply = verdict.reply;
    out.result.partner_code = code.empty() ? http_code(http_status) : code.substr(0, 64);
    if (verdict.reply != ReplyClass::kSuccess) {
        out.result.detail = "queryTransactionStatus answered " + std::to_string(http_status) + " " +
                            out.result.partner_code + ": " + excerpt(body);
        if (verdict.reply == ReplyClass::kFailed) {
            // Our query was refused; the payment's fate is as unknown as before.
            out.reply = ReplyClass::kUnknown;
        }
        return out;
    }
    const auto status = string_member(doc, "output_ResponseTransactionStatus");
    const std::string result_code = text_member(doc, "output_ResultCode");
    if (!status.ok()) {
        out.reply = ReplyClass::kUnknown;
        out.result.detail = "queryTransactionStatus: " + status.error();
        return out;
    }
    const auto payment = domain::mpesa_query_status(status.value(), result_code);
    out.result.status = payment.status;
    out.result.failure = payment.failure;
    out.result.transaction_id = text_member(doc, "output_TransactionID").substr(0, 64);
    if (!result_code.empty()) {
        out.result.partner_code = result_code.substr(0, 64);
    }
    out.result.detail = "transaction status " + excerpt(status.value()) +
                        (result_code.empty() ? "" : " result " + excerpt(result_code));
    if (payment.status == PaymentStatus::kUnknown) {
        out.reply = ReplyClass::kUnknown;
        out.result.detail += " (not a consistent answer)";
    }
    return out;
}

std::string mpesa_payment_body(const PayoutOrder& order, std::string_view service_provider_code) {
    nlohmann::ordered_json doc;
    doc["input_Amount"] = format_wire_amount(order.amount_minor);
    doc["input_Country"] = "LES";
    doc["input_Currency"] = "LSL";
    doc["input_CustomerMSISDN"] = order.msisdn;
    doc["input_ServiceProviderCode"] = std::string{service_provider_code};
    doc["input_ThirdPartyConversationID"] = order.reference;
    doc["input_TransactionReference"] = order.transaction_reference;
    doc["input_PaymentItemsDesc"] = order.description;
    return doc.dump();
}

// ---- EcoCash ------------------------------------------------------------------------------

TokenReply interpret_ecocash_token(long http_status, std::string_view body) {
    TokenReply out;
    auto parsed = parse_object(body);
    const std::string error = parsed.ok() ? text_member(parsed.value(), "error") : "";
    out.detail = "oauth/token answered " + std::to_string(http_status) + ": " + excerpt(body);
    const auto verdict = domain::classify_ecocash_reply(http_status, error);
    if (verdict.reply != ReplyClass::kSuccess) {
        out.reply =
            verdict.reply == ReplyClass::kFailed || verdict.reply == ReplyClass::kAuthExpired
                ? ReplyClass::kAuthRefused
                : verdict.reply;
        return out;
    }
    if (!parsed.ok()) {
        out.reply = ReplyClass::kUnknown;
        out.detail = "oauth/token answered 2xx with " + parsed.error();
        return out;
    }
    const Json& doc = parsed.value();
    const std::string token = text_member(doc, "access_token");
    const std::string type = text_member(doc, "token_type");
    const auto expires = doc.find("expires_in");
    if (token.empty() || token.size() > 512 || !is_partner_token(token.substr(0, 64)) ||
        !printable(token) || type != "Bearer" || expires == doc.end() ||
        !expires->is_number_integer() || expires->get<std::int64_t>() <= 0) {
        out.reply = ReplyClass::kUnknown;
        out.detail = "oauth/token answered 2xx without a usable Bearer token and expires_in";
        return out;
    }
    out.reply = ReplyClass::kSuccess;
    out.access_token = token;
    out.expires_in_s = expires->get<std::int64_t>();
    return out;
}

SubmitReply interpret_ecocash_disbursement(
    long http_status, std::string_view body, std::string_view reference
) {
    SubmitReply out;
    auto parsed = parse_object(body);
    const std::string error = parsed.ok() ? text_member(parsed.value(), "error") : "";
    const auto verdict = domain::classify_ecocash_reply(http_status, error);
    out.reply = verdict.reply;
    out.result = submit_result(
        submit_verdict(verdict.reply),
        verdict.failure,
        error.empty() ? http_code(http_status) : error.substr(0, 64)
    );
    out.result.detail =
        "disbursement answered " + std::to_string(http_status) + ": " + excerpt(body);
    if (!parsed.ok()) {
        if (verdict.reply == ReplyClass::kSuccess) {
            out.reply = ReplyClass::kUnknown;
            out.result.verdict = SubmitVerdict::kUnknown;
        }
        return out;
    }
    const Json& doc = parsed.value();
    out.result.transaction_id = text_member(doc, "transactionId").substr(0, 64);
    if (verdict.reply == ReplyClass::kSuccess) {
        const std::string status = text_member(doc, "transactionOperationStatus");
        if (http_status != 202 || text_member(doc, "clientCorrelator") != reference ||
            status != "PENDING") {
            // Only the documented acceptance is an acceptance; anything else proves nothing.
            out.reply = ReplyClass::kUnknown;
            out.result.verdict = SubmitVerdict::kUnknown;
            out.result.detail = "disbursement answered an unexpected success: " + excerpt(body);
        } else {
            out.result.partner_code = status;
        }
    }
    return out;
}

QueryReply interpret_ecocash_query(
    long http_status, std::string_view body, std::string_view reference
) {
    QueryReply out;
    out.result.status = PaymentStatus::kUnknown;
    auto parsed = parse_object(body);
    const std::string error = parsed.ok() ? text_member(parsed.value(), "error") : "";
    out.result.partner_code = error.empty() ? http_code(http_status) : error.substr(0, 64);
    out.result.detail =
        "disbursement query answered " + std::to_string(http_status) + ": " + excerpt(body);
    if (http_status == 404 && error == "not_found") {
        out.reply = ReplyClass::kSuccess;
        out.result.status = PaymentStatus::kNotFound;
        return out;
    }
    const auto verdict = domain::classify_ecocash_reply(http_status, error);
    if (verdict.reply != ReplyClass::kSuccess || !parsed.ok() || http_status != 200) {
        out.reply =
            verdict.reply == ReplyClass::kRefused || verdict.reply == ReplyClass::kAuthExpired
                ? verdict.reply
                : ReplyClass::kUnknown;
        return out;
    }
    const Json& doc = parsed.value();
    const std::string status = text_member(doc, "transactionOperationStatus");
    const std::string reason = text_member(doc, "reason");
    if (text_member(doc, "clientCorrelator") != reference) {
        out.reply = ReplyClass::kUnknown;
        out.result.detail = "disbursement query answered about another clientCorrelator";
        return out;
    }
    const auto payment = domain::ecocash_operation_status(status, reason);
    out.reply =
        payment.status == PaymentStatus::kUnknown ? ReplyClass::kUnknown : ReplyClass::kSuccess;
    out.result.status = payment.status;
    out.result.failure = payment.failure;
    out.result.partner_code = payment.status == PaymentStatus::kFailed && !reason.empty()
                                  ? reason.substr(0, 64)
                                  : status.substr(0, 64);
    out.result.transaction_id = text_member(doc, "transactionId").substr(0, 64);
    out.result.detail = "transactionOperationStatus " + excerpt(status) +
                        (reason.empty() ? "" : " reason " + excerpt(reason));
    return out;
}

std::string ecocash_disbursement_body(const PayoutOrder& order, std::string_view notify_url) {
    nlohmann::ordered_json doc;
    doc["clientCorrelator"] = order.reference;
    doc["endUserId"] = order.msisdn;
    doc["amount"] = format_wire_amount(order.amount_minor);
    doc["currencyCode"] = "LSL";
    doc["countryCode"] = "LS";
    doc["referenceCode"] = order.transaction_reference;
    doc["remarks"] = order.description;
    doc["notifyUrl"] = std::string{notify_url};
    return doc.dump();
}

std::optional<SubmitResult> check_order(const PayoutOrder& order) {
    const auto refuse = [](FailureKind kind, std::string detail) {
        SubmitResult out = submit_result(SubmitVerdict::kFailed, kind, "invalid_order");
        out.detail = std::move(detail);
        return out;
    };
    if (!is_mpesa_reference(order.reference)) {
        return refuse(FailureKind::kOurRequest, "reference is not [A-Za-z0-9]{1,40}");
    }
    if (order.transaction_reference.empty() || order.transaction_reference.size() > 20 ||
        !printable(order.transaction_reference)) {
        return refuse(FailureKind::kOurRequest, "transaction_reference is not 1-20 characters");
    }
    if (!is_lesotho_msisdn(order.msisdn)) {
        return refuse(FailureKind::kRecipient, "msisdn is not 266 + 8 digits");
    }
    if (order.amount_minor <= 0) {
        return refuse(FailureKind::kOurRequest, "amount is not positive");
    }
    if (order.description.size() > 100 || !printable(order.description)) {
        return refuse(
            FailureKind::kOurRequest, "description is over 100 characters or has controls"
        );
    }
    return std::nullopt;
}

}  // namespace chelete::mobile_money::wire
