// Strict parsers of the partners' result callbacks (the partner contract, docs/partners.md).
// They run after the signature check, on bytes that decide whether a remittance is paid: every
// member must be the documented one, of the documented type, and mean something.
#include <chelete/mobile_money/partner.hpp>

#include "domain/reply_class.hpp"
#include "wire/strict_json.hpp"

namespace chelete::mobile_money {
namespace {

using platform::err;
using CallbackParse = platform::Result<CallbackResult, std::string>;

/// The first error among several member reads, or nullptr.
const std::string* first_problem(
    std::initializer_list<const platform::Result<std::string, std::string>*> fields
) {
    for (const auto* field : fields) {
        if (!field->ok()) {
            return &field->error();
        }
    }
    return nullptr;
}

}  // namespace

CallbackParse parse_mpesa_callback(std::string_view body) {
    auto parsed = wire::parse_object(body);
    if (!parsed.ok()) {
        return err(parsed.error());
    }
    const wire::Json& doc = parsed.value();
    if (auto members = wire::check_members(
            doc,
            {"input_OriginalConversationID",
             "input_ThirdPartyConversationID",
             "input_TransactionID",
             "input_ResultCode",
             "input_ResultDesc",
             "input_Amount",
             "input_CustomerMSISDN",
             "input_TransactionCompletedDateTime"}
        );
        !members.ok()) {
        return err(members.error());
    }
    const auto conversation = wire::string_member(doc, "input_OriginalConversationID");
    const auto reference = wire::string_member(doc, "input_ThirdPartyConversationID");
    const auto transaction = wire::string_member(doc, "input_TransactionID");
    const auto code = wire::string_member(doc, "input_ResultCode");
    const auto desc = wire::string_member(doc, "input_ResultDesc");
    const auto amount = wire::string_member(doc, "input_Amount");
    const auto msisdn = wire::string_member(doc, "input_CustomerMSISDN");
    const auto completed = wire::string_member(doc, "input_TransactionCompletedDateTime");
    if (const auto* problem = first_problem(
            {&conversation, &reference, &transaction, &code, &desc, &amount, &msisdn, &completed}
        )) {
        return err(*problem);
    }
    if (!wire::is_mpesa_reference(reference.value())) {
        return err(std::string{"input_ThirdPartyConversationID is not [A-Za-z0-9]{1,40}"});
    }
    if (!wire::is_partner_token(code.value())) {
        return err(std::string{"input_ResultCode is empty or not a code"});
    }
    const auto minor = parse_wire_amount(amount.value());
    if (!minor || *minor <= 0) {
        return err(std::string{"input_Amount is not a positive amount with two decimals"});
    }
    const auto verdict = domain::mpesa_result_code_status(code.value());
    if (verdict.status == PaymentStatus::kPaid) {
        if (!wire::is_partner_token(transaction.value())) {
            return err(std::string{"a paid result has no input_TransactionID"});
        }
        if (!wire::is_rfc3339(completed.value())) {
            return err(std::string{"a paid result has no RFC 3339 completion time"});
        }
    } else if (!completed.value().empty() && !wire::is_rfc3339(completed.value())) {
        return err(std::string{"input_TransactionCompletedDateTime is not RFC 3339"});
    }
    CallbackResult out;
    out.reference = reference.value();
    out.status = verdict.status;
    out.failure = verdict.failure;
    out.partner_code = code.value();
    out.transaction_id = transaction.value();
    out.amount_minor = *minor;
    out.completed_at = completed.value();
    return out;
}

CallbackParse parse_ecocash_callback(std::string_view body) {
    auto parsed = wire::parse_object(body);
    if (!parsed.ok()) {
        return err(parsed.error());
    }
    const wire::Json& doc = parsed.value();
    if (auto members = wire::check_members(
            doc,
            {"clientCorrelator",
             "transactionId",
             "transactionOperationStatus",
             "amount",
             "endUserId"},
            {"reason", "completedAt"}
        );
        !members.ok()) {
        return err(members.error());
    }
    const auto reference = wire::string_member(doc, "clientCorrelator");
    const auto transaction = wire::string_member(doc, "transactionId");
    const auto status = wire::string_member(doc, "transactionOperationStatus");
    const auto amount = wire::string_member(doc, "amount");
    const auto msisdn = wire::string_member(doc, "endUserId");
    const platform::Result<std::string, std::string> reason =
        doc.contains("reason") ? wire::string_member(doc, "reason") : std::string{};
    const platform::Result<std::string, std::string> completed =
        doc.contains("completedAt") ? wire::string_member(doc, "completedAt") : std::string{};
    if (const auto* problem =
            first_problem({&reference, &transaction, &status, &amount, &msisdn, &reason, &completed}
            )) {
        return err(*problem);
    }
    if (!wire::is_ecocash_reference(reference.value())) {
        return err(std::string{"clientCorrelator is not [A-Za-z0-9-]{1,40}"});
    }
    const auto minor = parse_wire_amount(amount.value());
    if (!minor || *minor <= 0) {
        return err(std::string{"amount is not a positive amount with two decimals"});
    }
    const auto verdict = domain::ecocash_operation_status(status.value(), reason.value());
    if (verdict.status == PaymentStatus::kUnknown) {
        return err(std::string{"transactionOperationStatus is not COMPLETED, FAILED or PENDING"});
    }
    if (verdict.status == PaymentStatus::kPaid) {
        if (!wire::is_partner_token(transaction.value())) {
            return err(std::string{"a completed result has no transactionId"});
        }
        if (!wire::is_rfc3339(completed.value())) {
            return err(std::string{"a completed result has no RFC 3339 completedAt"});
        }
    } else if (!completed.value().empty() && !wire::is_rfc3339(completed.value())) {
        return err(std::string{"completedAt is not RFC 3339"});
    }
    CallbackResult out;
    out.reference = reference.value();
    out.status = verdict.status;
    out.failure = verdict.failure;
    out.partner_code = verdict.status == PaymentStatus::kFailed && !reason.value().empty()
                           ? reason.value()
                           : status.value();
    out.transaction_id = transaction.value();
    out.amount_minor = *minor;
    out.completed_at = completed.value();
    return out;
}

}  // namespace chelete::mobile_money
