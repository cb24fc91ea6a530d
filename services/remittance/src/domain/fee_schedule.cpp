#include "domain/fee_schedule.hpp"

#include <algorithm>

#include <chelete/platform/money.hpp>

namespace chelete::remittance {
namespace {

constexpr std::int64_t kBasisPointsPerUnit = 10'000;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/// Reads a schedule token by token and keeps the column for messages.
class Cursor {
public:
    explicit Cursor(std::string_view text) : text_(text) {}

    void skip_space() {
        while (pos_ < text_.size() && is_space(text_[pos_])) {
            ++pos_;
        }
    }
    [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
    [[nodiscard]] std::size_t column() const { return pos_ + 1; }

    bool eat(std::string_view token) {
        if (text_.substr(pos_).starts_with(token)) {
            pos_ += token.size();
            return true;
        }
        return false;
    }

    /// Digits without a sign or leading zeros, at most `max`; std::nullopt with `problem` set.
    std::optional<std::int64_t> number(std::int64_t max, std::string& problem) {
        const std::size_t start = pos_;
        std::int64_t value = 0;
        bool too_large = false;
        while (pos_ < text_.size() && is_digit(text_[pos_])) {
            if (!too_large) {
                value = value * 10 + (text_[pos_] - '0');
                too_large = value > max;
            }
            ++pos_;
        }
        if (pos_ == start) {
            problem = "expected digits";
            return std::nullopt;
        }
        if (pos_ - start > 1 && text_[start] == '0') {
            pos_ = start;
            problem = "a number must not have leading zeros";
            return std::nullopt;
        }
        if (too_large) {
            pos_ = start;
            problem = "the number is above " + std::to_string(max);
            return std::nullopt;
        }
        return value;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

FeeScheduleError band_error(std::size_t band, const std::string& message) {
    return FeeScheduleError{band, "band " + std::to_string(band) + ": " + message};
}

FeeScheduleError syntax_error(std::size_t band, const Cursor& cursor, const std::string& message) {
    return FeeScheduleError{
        band,
        "band " + std::to_string(band) + " (column " + std::to_string(cursor.column()) +
            "): " + message +
            "; a band is written <from>-<to>:<flat>+<bp>bp in cents and basis points, "
            "as in 5000-49999:300+100bp"};
}

std::string amount(std::int64_t minor) {
    return std::to_string(minor) + " (R" + platform::format_minor_units(minor) + ")";
}

/// One band's text; on failure the error, with the cursor left where the problem is.
platform::Result<FeeBand, FeeScheduleError> parse_band(Cursor& cursor, std::size_t index) {
    FeeBand band;
    std::string problem;
    const auto read = [&](std::int64_t max, const char* what) -> std::optional<std::int64_t> {
        cursor.skip_space();
        auto value = cursor.number(max, problem);
        if (!value) {
            problem = std::string(what) + ": " + problem;
        }
        return value;
    };
    const auto expect = [&](std::string_view token, const char* after) {
        cursor.skip_space();
        if (cursor.eat(token)) {
            return true;
        }
        problem = "expected \"" + std::string(token) + "\" after " + after;
        return false;
    };

    const auto from = read(kMaxAmountMinor, "the lower bound (from)");
    if (!from) {
        return platform::err(syntax_error(index, cursor, problem));
    }
    if (!expect("-", "the lower bound")) {
        return platform::err(syntax_error(index, cursor, problem));
    }
    const auto to = read(kMaxAmountMinor, "the upper bound (to)");
    if (!to) {
        return platform::err(syntax_error(index, cursor, problem));
    }
    if (!expect(":", "the upper bound")) {
        return platform::err(syntax_error(index, cursor, problem));
    }
    const auto flat = read(kMaxAmountMinor, "the flat fee");
    if (!flat) {
        return platform::err(syntax_error(index, cursor, problem));
    }
    if (!expect("+", "the flat fee")) {
        return platform::err(syntax_error(index, cursor, problem));
    }
    const auto bp = read(kMaxBasisPoints, "the basis points");
    if (!bp) {
        return platform::err(syntax_error(index, cursor, problem));
    }
    if (!expect("bp", "the basis points")) {
        return platform::err(syntax_error(index, cursor, problem));
    }
    band.from = *from;
    band.to = *to;
    band.flat = *flat;
    band.basis_points = static_cast<std::int32_t>(*bp);
    if (band.to < band.from) {
        return platform::err(band_error(
            index,
            "ends at " + std::to_string(band.to) + " before it starts at " +
                std::to_string(band.from)
        ));
    }
    return band;
}

}  // namespace

std::optional<std::string> check_send_limits(const SendLimits& limits) {
    if (limits.min_send < 1) {
        return "the minimum send must be at least 1 cent";
    }
    if (limits.max_send < limits.min_send) {
        return "the maximum send " + amount(limits.max_send) + " is below the minimum send " +
               amount(limits.min_send);
    }
    if (limits.max_send > kMaxAmountMinor) {
        return "the maximum send is above " + amount(kMaxAmountMinor);
    }
    return std::nullopt;
}

std::int64_t percentage_fee(std::int64_t send, std::int32_t basis_points) {
    // send <= kMaxAmountMinor and bp <= 10 000 keep the 128-bit product and the result in range.
    return platform::mul_div_round(send, basis_points, kBasisPointsPerUnit).value_or(0);
}

platform::Result<FeeSchedule, FeeScheduleError> parse_fee_schedule(
    std::string_view text, const SendLimits& limits
) {
    if (auto problem = check_send_limits(limits)) {
        return platform::err(FeeScheduleError{0, "send limits: " + *problem});
    }
    Cursor cursor(text);
    cursor.skip_space();
    if (cursor.at_end()) {
        return platform::err(FeeScheduleError{0, "the fee schedule is empty"});
    }
    std::vector<FeeBand> bands;
    while (true) {
        const std::size_t index = bands.size() + 1;
        if (index > kMaxBands) {
            return platform::err(
                band_error(index, "a schedule has at most " + std::to_string(kMaxBands) + " bands")
            );
        }
        auto band = parse_band(cursor, index);
        if (!band) {
            return platform::err(band.error());
        }
        bands.push_back(band.value());
        cursor.skip_space();
        if (cursor.at_end()) {
            break;
        }
        if (!cursor.eat(",")) {
            return platform::err(
                syntax_error(index, cursor, "expected \",\" or the end after a band")
            );
        }
    }

    for (std::size_t i = 1; i < bands.size(); ++i) {
        const FeeBand& previous = bands[i - 1];
        const FeeBand& band = bands[i];
        const std::size_t index = i + 1;
        if (band.from <= previous.to) {
            return platform::err(band_error(
                index,
                "starts at " + std::to_string(band.from) + ", overlapping band " +
                    std::to_string(i) + " which ends at " + std::to_string(previous.to) +
                    "; bands are listed in increasing order and must start at " +
                    std::to_string(previous.to + 1)
            ));
        }
        if (band.from != previous.to + 1) {
            return platform::err(band_error(
                index,
                "starts at " + std::to_string(band.from) + " but band " + std::to_string(i) +
                    " ends at " + std::to_string(previous.to) + ": send amounts " +
                    std::to_string(previous.to + 1) + " to " + std::to_string(band.from - 1) +
                    " have no fee (a gap)"
            ));
        }
    }
    if (bands.front().from > limits.min_send) {
        return platform::err(band_error(
            1,
            "starts at " + amount(bands.front().from) + ", above the minimum send " +
                amount(limits.min_send) + ": the schedule must cover every allowed send amount"
        ));
    }
    if (bands.back().to < limits.max_send) {
        return platform::err(band_error(
            bands.size(),
            "ends at " + amount(bands.back().to) + ", below the maximum send " +
                amount(limits.max_send) + ": the schedule must cover every allowed send amount"
        ));
    }
    // Within a band the receive amount never falls as the send amount grows (bp <= 10 000), so
    // the smallest allowed send of each band is where the fee weighs most.
    for (std::size_t i = 0; i < bands.size(); ++i) {
        const FeeBand& band = bands[i];
        if (band.to < limits.min_send || band.from > limits.max_send) {
            continue;
        }
        const std::int64_t smallest = std::max(band.from, limits.min_send);
        const std::int64_t fee = band.flat + percentage_fee(smallest, band.basis_points);
        if (fee >= smallest) {
            return platform::err(band_error(
                i + 1,
                "the fee on " + amount(smallest) + " would be " + amount(fee) +
                    ", leaving nothing to pay out"
            ));
        }
    }
    return FeeSchedule(std::move(bands), limits);
}

const FeeBand* FeeSchedule::band_for(std::int64_t send) const {
    if (send < limits_.min_send || send > limits_.max_send) {
        return nullptr;
    }
    // The first band whose upper bound reaches `send`; coverage guarantees it holds `send`.
    const auto it = std::lower_bound(
        bands_.begin(),
        bands_.end(),
        send,
        [](const FeeBand& band, std::int64_t value) { return band.to < value; }
    );
    if (it == bands_.end() || it->from > send) {
        return nullptr;
    }
    return &*it;
}

std::optional<FeeParts> FeeSchedule::fee_for(std::int64_t send) const {
    const FeeBand* band = band_for(send);
    if (band == nullptr) {
        return std::nullopt;
    }
    return FeeParts{band->flat, percentage_fee(send, band->basis_points)};
}

std::string FeeSchedule::to_string() const {
    std::string out;
    for (const FeeBand& band : bands_) {
        if (!out.empty()) {
            out += ',';
        }
        out += std::to_string(band.from) + '-' + std::to_string(band.to) + ':' +
               std::to_string(band.flat) + '+' + std::to_string(band.basis_points) + "bp";
    }
    return out;
}

}  // namespace chelete::remittance
