#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <chelete/platform/id.hpp>
#include <chelete/platform/money.hpp>

namespace chelete::ledger {

using platform::Currency;
using platform::Id128;

/// Nanoseconds since the Unix epoch, assigned by the ledger: strictly increasing across every
/// event it records, so it also orders them.
using Timestamp = std::uint64_t;

/// Account flags (TigerBeetle's meaning).
enum AccountFlag : std::uint16_t {
    kAccountLinked = 1U << 0U,
    kDebitsMustNotExceedCredits = 1U << 1U,
    kCreditsMustNotExceedDebits = 1U << 2U,
    /// Keep a balance snapshot after every transfer that touches the account (account_balances),
    /// so its balance at any past moment, pending amounts included, can be read back.
    kHistory = 1U << 3U,
};
constexpr std::uint16_t kAccountFlagsKnown =
    kAccountLinked | kDebitsMustNotExceedCredits | kCreditsMustNotExceedDebits | kHistory;

enum TransferFlag : std::uint16_t {
    kTransferLinked = 1U << 0U,
    kPending = 1U << 1U,
    kPostPendingTransfer = 1U << 2U,
    kVoidPendingTransfer = 1U << 3U,
};
constexpr std::uint16_t kTransferFlagsKnown =
    kTransferLinked | kPending | kPostPendingTransfer | kVoidPendingTransfer;

struct Balances {
    std::int64_t debits_pending = 0;
    std::int64_t debits_posted = 0;
    std::int64_t credits_pending = 0;
    std::int64_t credits_posted = 0;

    friend bool operator==(const Balances&, const Balances&) = default;
};

struct Account {
    Id128 id;
    Currency currency = Currency::kZar;
    std::uint32_t code = 0;  // chart-of-accounts code (docs/ledger.md)
    std::uint16_t flags = 0;
    Id128 user_data_128;
    std::uint64_t user_data_64 = 0;
    std::uint32_t user_data_32 = 0;
    Timestamp timestamp = 0;  // set by the ledger
    Balances balances;        // kept by the ledger; must be zero on creation

    /// The fields a client chooses (for `exists` comparisons).
    [[nodiscard]] bool same_definition(const Account& other) const;
};

struct Transfer {
    Id128 id;
    Id128 debit_account_id;
    Id128 credit_account_id;
    std::int64_t amount = 0;  // minor units; for post: 0 means the full pending amount
    Id128 pending_id;         // for post and void
    Currency currency = Currency::kZar;
    std::uint32_t code = 0;
    std::uint16_t flags = 0;
    std::uint32_t timeout = 0;  // seconds, pending transfers only; 0 = never expires
    Id128 user_data_128;
    std::uint64_t user_data_64 = 0;
    std::uint32_t user_data_32 = 0;
    Timestamp timestamp = 0;  // set by the ledger

    [[nodiscard]] bool is_post() const { return (flags & kPostPendingTransfer) != 0; }
    [[nodiscard]] bool is_void() const { return (flags & kVoidPendingTransfer) != 0; }
    [[nodiscard]] bool is_pending() const { return (flags & kPending) != 0; }
    [[nodiscard]] bool is_linked() const { return (flags & kTransferLinked) != 0; }
    [[nodiscard]] bool same_definition(const Transfer& other) const;
};

enum class CreateAccountResult : std::uint8_t {
    kOk,
    kLinkedEventFailed,
    kLinkedEventChainOpen,
    kReservedFlag,
    kIdMustNotBeZero,
    kFlagsAreMutuallyExclusive,
    kCodeMustNotBeZero,
    kTimestampMustBeZero,
    kBalancesMustBeZero,
    kExists,
    kExistsWithDifferentFields,
};

/// What happened to one transfer; the order of checks follows TigerBeetle's.
enum class CreateTransferResult : std::uint8_t {
    kOk,
    kLinkedEventFailed,
    kLinkedEventChainOpen,
    kTimestampMustBeZero,
    kReservedFlag,
    kIdMustNotBeZero,
    kFlagsAreMutuallyExclusive,
    kDebitAccountIdMustNotBeZero,
    kCreditAccountIdMustNotBeZero,
    kAccountsMustBeDifferent,
    kPendingIdMustBeZero,
    kPendingIdMustNotBeZero,
    kPendingIdMustBeDifferent,
    kTimeoutReservedForPendingTransfer,
    kAmountMustNotBeNegative,
    kAmountMustNotBeZero,
    kCodeMustNotBeZero,
    kExistsWithDifferentFields,
    kExists,
    kIdAlreadyFailed,
    kDebitAccountNotFound,
    kCreditAccountNotFound,
    kCurrenciesDiffer,         // debit and credit accounts hold different currencies
    kTransferCurrencyDiffers,  // the transfer's currency is not its accounts'
    kPendingTransferNotFound,
    kPendingTransferNotPending,
    kPendingTransferHasDifferentDebitAccountId,
    kPendingTransferHasDifferentCreditAccountId,
    kPendingTransferHasDifferentCurrency,
    kPendingTransferHasDifferentCode,
    kExceedsPendingTransferAmount,
    kPendingTransferHasDifferentAmount,
    kPendingTransferAlreadyPosted,
    kPendingTransferAlreadyVoided,
    kPendingTransferExpired,
    kOverflowsDebitsPending,
    kOverflowsCreditsPending,
    kOverflowsDebitsPosted,
    kOverflowsCreditsPosted,
    kOverflowsDebits,
    kOverflowsCredits,
    kOverflowsTimeout,
    kExceedsCredits,
    kExceedsDebits,
};

[[nodiscard]] std::string_view to_string(CreateAccountResult r);
[[nodiscard]] std::string_view to_string(CreateTransferResult r);
[[nodiscard]] std::optional<CreateTransferResult> parse_transfer_result(std::string_view text);

/// A failure that depends on the ledger's state rather than on the transfer itself: the id is
/// then spent, and a retry answers kIdAlreadyFailed (a transfer that failed cannot succeed later
/// under the same id, so a client never sees two different fates for one request).
[[nodiscard]] bool is_transient(CreateTransferResult r);

/// The lifecycle of a pending transfer.
enum class PendingState : std::uint8_t { kPending, kPosted, kVoided, kExpired };

}  // namespace chelete::ledger
