#pragma once

// The fee schedule (docs/remittance.md "Fees"): bands of send amounts, each with a flat fee and a
// percentage in basis points, read from one line of configuration. Pure: no I/O.
//
//   schedule := band { "," band }            whitespace (space, tab, CR, LF) allowed between tokens
//   band     := from "-" to ":" flat "+" bp "bp"
//   from, to, flat := minor units (cents), digits only, no leading zeros, at most kMaxAmountMinor
//   bp       := basis points of the send amount, 0..10000 (1 bp = 0.01 %)
//
// A band covers the send amounts from..to inclusive. Bands are listed in increasing order, each
// starting one cent after the previous one ends (contiguous, no overlap), the first at or below
// the minimum send and the last at or above the maximum send.
//
// Rounding: fee(send) = flat + round_half_up(send × bp / 10 000), computed exactly in 128-bit
// integers; only the percentage part is rounded, to the cent, halves upwards.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <chelete/platform/result.hpp>

namespace chelete::remittance {

/// The largest amount the schedule accepts anywhere (R10 000 000 000.00), far beyond any limit,
/// so that every product below stays well inside 128-bit arithmetic and sums inside int64.
inline constexpr std::int64_t kMaxAmountMinor = 1'000'000'000'000;
inline constexpr std::int32_t kMaxBasisPoints = 10'000;
inline constexpr std::size_t kMaxBands = 32;

/// The default: R50.00 to R25 000.00 in four bands (docs/remittance.md explains the numbers).
inline constexpr std::string_view kDefaultFeeSchedule =
    "5000-49999:300+100bp,50000-100000:200+100bp,100001-500000:300+90bp,500001-2500000:800+80bp";
inline constexpr std::int64_t kDefaultMinSendMinor = 5'000;      // R50.00
inline constexpr std::int64_t kDefaultMaxSendMinor = 2'500'000;  // R25 000.00

/// The smallest and largest send amount a quote accepts, in minor units, inclusive.
struct SendLimits {
    std::int64_t min_send = kDefaultMinSendMinor;
    std::int64_t max_send = kDefaultMaxSendMinor;

    friend bool operator==(const SendLimits&, const SendLimits&) = default;
};

/// nullopt when 1 <= min_send <= max_send <= kMaxAmountMinor, else what is wrong.
[[nodiscard]] std::optional<std::string> check_send_limits(const SendLimits& limits);

struct FeeBand {
    std::int64_t from = 0;  // minor units, inclusive
    std::int64_t to = 0;    // minor units, inclusive
    std::int64_t flat = 0;  // minor units
    std::int32_t basis_points = 0;

    friend bool operator==(const FeeBand&, const FeeBand&) = default;
};

/// The fee of one send amount, split into its parts (fee = flat + percentage).
struct FeeParts {
    std::int64_t flat = 0;
    std::int64_t percentage = 0;  // round_half_up(send × bp / 10 000)

    [[nodiscard]] std::int64_t total() const { return flat + percentage; }
    friend bool operator==(const FeeParts&, const FeeParts&) = default;
};

/// Why a schedule was refused: which band (1-based; 0 for the schedule as a whole) and what is
/// wrong, in words an operator can act on. Safe to log; never shown to a customer.
struct FeeScheduleError {
    std::size_t band = 0;
    std::string message;
};

/// A validated schedule. Only parse_fee_schedule() makes one, so every instance obeys the rules
/// above for its limits.
class FeeSchedule {
public:
    [[nodiscard]] const std::vector<FeeBand>& bands() const { return bands_; }
    [[nodiscard]] const SendLimits& limits() const { return limits_; }

    /// The band holding `send`, or nullptr outside min_send..max_send.
    [[nodiscard]] const FeeBand* band_for(std::int64_t send) const;
    /// The fee of `send`; nullopt outside min_send..max_send.
    [[nodiscard]] std::optional<FeeParts> fee_for(std::int64_t send) const;
    /// The canonical text ("5000-49999:300+100bp,..."), which parses back to the same schedule.
    [[nodiscard]] std::string to_string() const;

    friend bool operator==(const FeeSchedule&, const FeeSchedule&) = default;

private:
    friend platform::Result<FeeSchedule, FeeScheduleError> parse_fee_schedule(
        std::string_view text, const SendLimits& limits
    );
    FeeSchedule(std::vector<FeeBand> bands, SendLimits limits)
        : bands_(std::move(bands)), limits_(limits) {}

    std::vector<FeeBand> bands_;
    SendLimits limits_;
};

/// Parses and validates a schedule against the send limits. Refuses, with the first problem
/// found: bad syntax; an amount or basis points out of range; a band ending before it starts;
/// more than kMaxBands bands; a gap or an overlap between neighbours; a first band starting
/// above min_send or a last band ending below max_send; a band whose fee would take the whole of
/// its smallest allowed send amount.
[[nodiscard]] platform::Result<FeeSchedule, FeeScheduleError> parse_fee_schedule(
    std::string_view text, const SendLimits& limits
);

/// The percentage part alone: round_half_up(send × bp / 10 000) for send >= 0, 0 <= bp.
[[nodiscard]] std::int64_t percentage_fee(std::int64_t send, std::int32_t basis_points);

}  // namespace chelete::remittance
