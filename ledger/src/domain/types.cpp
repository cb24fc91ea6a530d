#include <array>
#include <utility>

#include <chelete/ledger/types.hpp>

namespace chelete::ledger {
namespace {

constexpr std::array<std::pair<CreateTransferResult, std::string_view>, 44> kTransferResultNames{{
    {CreateTransferResult::kOk, "ok"},
    {CreateTransferResult::kLinkedEventFailed, "linked_event_failed"},
    {CreateTransferResult::kLinkedEventChainOpen, "linked_event_chain_open"},
    {CreateTransferResult::kTimestampMustBeZero, "timestamp_must_be_zero"},
    {CreateTransferResult::kReservedFlag, "reserved_flag"},
    {CreateTransferResult::kIdMustNotBeZero, "id_must_not_be_zero"},
    {CreateTransferResult::kFlagsAreMutuallyExclusive, "flags_are_mutually_exclusive"},
    {CreateTransferResult::kDebitAccountIdMustNotBeZero, "debit_account_id_must_not_be_zero"},
    {CreateTransferResult::kCreditAccountIdMustNotBeZero, "credit_account_id_must_not_be_zero"},
    {CreateTransferResult::kAccountsMustBeDifferent, "accounts_must_be_different"},
    {CreateTransferResult::kPendingIdMustBeZero, "pending_id_must_be_zero"},
    {CreateTransferResult::kPendingIdMustNotBeZero, "pending_id_must_not_be_zero"},
    {CreateTransferResult::kPendingIdMustBeDifferent, "pending_id_must_be_different"},
    {CreateTransferResult::kTimeoutReservedForPendingTransfer,
     "timeout_reserved_for_pending_transfer"},
    {CreateTransferResult::kAmountMustNotBeNegative, "amount_must_not_be_negative"},
    {CreateTransferResult::kAmountMustNotBeZero, "amount_must_not_be_zero"},
    {CreateTransferResult::kCodeMustNotBeZero, "code_must_not_be_zero"},
    {CreateTransferResult::kExistsWithDifferentFields, "exists_with_different_fields"},
    {CreateTransferResult::kExists, "exists"},
    {CreateTransferResult::kIdAlreadyFailed, "id_already_failed"},
    {CreateTransferResult::kDebitAccountNotFound, "debit_account_not_found"},
    {CreateTransferResult::kCreditAccountNotFound, "credit_account_not_found"},
    {CreateTransferResult::kCurrenciesDiffer, "currencies_differ"},
    {CreateTransferResult::kTransferCurrencyDiffers, "transfer_currency_differs"},
    {CreateTransferResult::kPendingTransferNotFound, "pending_transfer_not_found"},
    {CreateTransferResult::kPendingTransferNotPending, "pending_transfer_not_pending"},
    {CreateTransferResult::kPendingTransferHasDifferentDebitAccountId,
     "pending_transfer_has_different_debit_account_id"},
    {CreateTransferResult::kPendingTransferHasDifferentCreditAccountId,
     "pending_transfer_has_different_credit_account_id"},
    {CreateTransferResult::kPendingTransferHasDifferentCurrency,
     "pending_transfer_has_different_currency"},
    {CreateTransferResult::kPendingTransferHasDifferentCode, "pending_transfer_has_different_code"},
    {CreateTransferResult::kExceedsPendingTransferAmount, "exceeds_pending_transfer_amount"},
    {CreateTransferResult::kPendingTransferHasDifferentAmount,
     "pending_transfer_has_different_amount"},
    {CreateTransferResult::kPendingTransferAlreadyPosted, "pending_transfer_already_posted"},
    {CreateTransferResult::kPendingTransferAlreadyVoided, "pending_transfer_already_voided"},
    {CreateTransferResult::kPendingTransferExpired, "pending_transfer_expired"},
    {CreateTransferResult::kOverflowsDebitsPending, "overflows_debits_pending"},
    {CreateTransferResult::kOverflowsCreditsPending, "overflows_credits_pending"},
    {CreateTransferResult::kOverflowsDebitsPosted, "overflows_debits_posted"},
    {CreateTransferResult::kOverflowsCreditsPosted, "overflows_credits_posted"},
    {CreateTransferResult::kOverflowsDebits, "overflows_debits"},
    {CreateTransferResult::kOverflowsCredits, "overflows_credits"},
    {CreateTransferResult::kOverflowsTimeout, "overflows_timeout"},
    {CreateTransferResult::kExceedsCredits, "exceeds_credits"},
    {CreateTransferResult::kExceedsDebits, "exceeds_debits"},
}};

}  // namespace

bool Account::same_definition(const Account& other) const {
    return id == other.id && currency == other.currency && code == other.code &&
           (flags & ~kAccountLinked) == (other.flags & ~kAccountLinked) &&
           user_data_128 == other.user_data_128 && user_data_64 == other.user_data_64 &&
           user_data_32 == other.user_data_32;
}

bool Transfer::same_definition(const Transfer& other) const {
    return id == other.id && debit_account_id == other.debit_account_id &&
           credit_account_id == other.credit_account_id && amount == other.amount &&
           pending_id == other.pending_id && currency == other.currency && code == other.code &&
           flags == other.flags && timeout == other.timeout &&
           user_data_128 == other.user_data_128 && user_data_64 == other.user_data_64 &&
           user_data_32 == other.user_data_32;
}

std::string_view to_string(CreateAccountResult r) {
    switch (r) {
        case CreateAccountResult::kOk:
            return "ok";
        case CreateAccountResult::kLinkedEventFailed:
            return "linked_event_failed";
        case CreateAccountResult::kLinkedEventChainOpen:
            return "linked_event_chain_open";
        case CreateAccountResult::kReservedFlag:
            return "reserved_flag";
        case CreateAccountResult::kIdMustNotBeZero:
            return "id_must_not_be_zero";
        case CreateAccountResult::kFlagsAreMutuallyExclusive:
            return "flags_are_mutually_exclusive";
        case CreateAccountResult::kCodeMustNotBeZero:
            return "code_must_not_be_zero";
        case CreateAccountResult::kTimestampMustBeZero:
            return "timestamp_must_be_zero";
        case CreateAccountResult::kBalancesMustBeZero:
            return "balances_must_be_zero";
        case CreateAccountResult::kExists:
            return "exists";
        case CreateAccountResult::kExistsWithDifferentFields:
            return "exists_with_different_fields";
    }
    return "unknown";
}

std::string_view to_string(CreateTransferResult r) {
    for (const auto& [value, name] : kTransferResultNames) {
        if (value == r) {
            return name;
        }
    }
    return "unknown";
}

std::optional<CreateTransferResult> parse_transfer_result(std::string_view text) {
    for (const auto& [value, name] : kTransferResultNames) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

bool is_transient(CreateTransferResult r) {
    switch (r) {
        case CreateTransferResult::kDebitAccountNotFound:
        case CreateTransferResult::kCreditAccountNotFound:
        case CreateTransferResult::kPendingTransferNotFound:
        case CreateTransferResult::kPendingTransferExpired:
        case CreateTransferResult::kExceedsCredits:
        case CreateTransferResult::kExceedsDebits:
        case CreateTransferResult::kOverflowsDebitsPending:
        case CreateTransferResult::kOverflowsCreditsPending:
        case CreateTransferResult::kOverflowsDebitsPosted:
        case CreateTransferResult::kOverflowsCreditsPosted:
        case CreateTransferResult::kOverflowsDebits:
        case CreateTransferResult::kOverflowsCredits:
            return true;
        default:
            return false;
    }
}

}  // namespace chelete::ledger
