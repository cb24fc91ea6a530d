#pragma once

// Reconciliation of one partner's day (docs/payout.md "Reconciliation"): our payout records
// against the partner's statement. Pure C++: the caller fetches the statement and reads the
// records.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/mobile_money/partner.hpp>

namespace chelete::payout {

/// What our records say about one attempt reference.
enum class OurOutcome : std::uint8_t {
    kPaid,      // the payout is paid under this reference
    kNotPaid,   // the payout failed, or was paid under another of its references
    kInFlight,  // the payout is not final yet: a status query or callback will settle it
};

struct OurPayment {
    std::string reference;
    std::string remittance_id;
    std::int64_t amount_minor = 0;
    OurOutcome outcome = OurOutcome::kInFlight;
};

enum class BreakKind : std::uint8_t {
    kMissingHere,     // the partner paid; we have no paid payout under that reference
    kMissingThere,    // we recorded a payment the partner's statement does not show
    kAmountMismatch,  // both paid, different amounts
};
[[nodiscard]] std::string_view to_string(BreakKind kind);

struct Break {
    BreakKind kind = BreakKind::kMissingHere;
    std::string reference;
    std::string remittance_id;      // empty when the reference is not ours
    std::int64_t our_amount = 0;    // 0 when missing here
    std::int64_t their_amount = 0;  // 0 when missing there
    std::string transaction_id;     // the partner's, when it has one
    /// What the break does to our float at the partner, in minor units (debits less credits):
    /// the partner paid more than we recorded → negative.
    [[nodiscard]] std::int64_t float_effect() const { return our_amount - their_amount; }
};

struct ReconInput {
    /// The statement of the day being reconciled.
    std::vector<mobile_money::StatementLine> day_lines;
    /// Earlier statements: the day before (a payment completed just before midnight whose
    /// answer reached us after it is on that statement, not this one) and the lines earlier
    /// runs kept of the references we learned were paid only days later.
    std::vector<mobile_money::StatementLine> earlier_lines;
    /// Our record of every reference on either statement that is ours, by reference.
    std::map<std::string, OurPayment> ours_by_reference;
    /// Our payments recorded as paid on the day (by when we learned it).
    std::vector<OurPayment> ours_paid_on_day;
};

struct ReconReport {
    int statement_lines = 0;
    int matched = 0;
    int in_flight = 0;  // on the statement, still open here: settled by query, not a break yet
    std::vector<Break> breaks;
    [[nodiscard]] int count(BreakKind kind) const;
};

/// Compares the two sides. Every line of the day's statement is matched, in flight or a break;
/// every payment we recorded as paid on the day is found on the day's or an earlier statement
/// (for its amount, else an amount mismatch) or is missing there. A reference appearing twice on a
/// statement is a break for its second line (the partner paid twice).
[[nodiscard]] ReconReport reconcile(const ReconInput& input);

}  // namespace chelete::payout
