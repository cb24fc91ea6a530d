// libFuzzer target for the payout service's pure rules: voucher codes and PINs as an agent types
// them, and reconciliation of a statement against our records. Properties: nothing crashes;
// a code accepted by is_voucher_code() is the one voucher_code_from() makes of its first nine
// digits; every statement line of the day is matched, in flight or a break, every payment we
// recorded is matched or missing there, and each break's float effect is ours less theirs.
#include <cstdint>
#include <set>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "domain/reconciliation.hpp"
#include "domain/voucher.hpp"

using namespace chelete::payout;
namespace mm = chelete::mobile_money;

namespace {

void check_voucher_rules(const std::string& text) {
    if (is_voucher_code(text) && voucher_code_from(std::stoull(text.substr(0, 9))) != text) {
        __builtin_trap();
    }
    if (is_voucher_pin(text) && (text.size() != 6 || voucher_pin_from(std::stoull(text)) != text)) {
        __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in{data, size};
    check_voucher_rules(in.ConsumeRandomLengthString(16));

    // A few references shared by both sides, so lines and records meet.
    ReconInput input;
    std::set<std::string> day_references;
    const auto reference = [&] { return "R" + std::to_string(in.ConsumeIntegralInRange(0, 12)); };
    const int lines = in.ConsumeIntegralInRange(0, 16);
    for (int i = 0; i < lines; ++i) {
        mm::StatementLine line;
        line.reference = reference();
        line.amount_minor = in.ConsumeIntegralInRange<std::int64_t>(1, 1'000'000);
        if (in.ConsumeBool()) {
            day_references.insert(line.reference);
            input.day_lines.push_back(line);
        } else {
            input.earlier_lines.push_back(line);
        }
    }
    const int records = in.ConsumeIntegralInRange(0, 16);
    for (int i = 0; i < records; ++i) {
        OurPayment ours;
        ours.reference = reference();
        ours.remittance_id = "rid-" + ours.reference;
        ours.amount_minor = in.ConsumeIntegralInRange<std::int64_t>(1, 1'000'000);
        ours.outcome = static_cast<OurOutcome>(in.ConsumeIntegralInRange(0, 2));
        if (!input.ours_by_reference.emplace(ours.reference, ours).second) {
            continue;  // one record per reference, as the attempts table keeps them
        }
        if (ours.outcome == OurOutcome::kPaid && in.ConsumeBool()) {
            input.ours_paid_on_day.push_back(ours);
        }
    }
    const ReconReport report = reconcile(input);
    std::size_t ours_elsewhere = 0;
    for (const auto& ours : input.ours_paid_on_day) {
        ours_elsewhere += day_references.contains(ours.reference) ? 0 : 1;
    }
    const auto judged =
        static_cast<std::size_t>(report.matched + report.in_flight) + report.breaks.size();
    if (report.statement_lines != static_cast<int>(input.day_lines.size()) ||
        judged != input.day_lines.size() + ours_elsewhere) {
        __builtin_trap();
    }
    for (const auto& b : report.breaks) {
        if (b.float_effect() != b.our_amount - b.their_amount ||
            (b.kind == BreakKind::kMissingThere && b.their_amount != 0) ||
            (b.kind == BreakKind::kMissingHere && b.our_amount != 0)) {
            __builtin_trap();
        }
    }
    return 0;
}
