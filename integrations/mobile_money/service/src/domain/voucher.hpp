#pragma once

// Cash-pickup vouchers (docs/payout.md "Cash pickup"): the code a recipient reads out to an
// agent and the PIN that proves the SMS reached them. Pure C++.

#include <cstdint>
#include <string>
#include <string_view>

namespace chelete::payout {

/// Wrong PINs (or a right PIN with the wrong national id) before a voucher locks.
inline constexpr int kVoucherMaxFailures = 5;

/// A 10-digit voucher code from a random number: 9 digits and a Luhn check digit, so an agent's
/// typing slip is refused as malformed before it can count against the voucher's PIN.
[[nodiscard]] std::string voucher_code_from(std::uint64_t random);
/// 10 digits whose Luhn check holds.
[[nodiscard]] bool is_voucher_code(std::string_view text);

/// A 6-digit PIN from a random number (leading zeros kept).
[[nodiscard]] std::string voucher_pin_from(std::uint64_t random);
[[nodiscard]] bool is_voucher_pin(std::string_view text);

}  // namespace chelete::payout
