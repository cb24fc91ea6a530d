// libFuzzer target for the fee-schedule parser: arbitrary bytes as a schedule, checked against the
// default send limits (R50.00..R25 000.00) and a small pair (1..100 000 cents). Properties: nothing
// crashes; a refusal names a band no further than one past the last; an accepted schedule prints
// back to text that parses to the same schedule, covers every send amount between the limits,
// and never charges a fee that takes the whole send; pricing by send and by receive amount agree
// at the limits and at every band edge: the receive quote for what a send delivers is that send
// or a smaller one, and one cent less never delivers the target.
#include "domain/fee_schedule.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "domain/pricing.hpp"

namespace {

using namespace chelete::remittance;

void check_pricing(const FeeSchedule& schedule, const std::string& text) {
    PricingSettings settings;
    settings.fee_schedule = text;
    settings.send_limits = schedule.limits();
    settings.payout_fees = "";
    auto config = make_pricing_config(settings);
    if (!config) {
        __builtin_trap(
        );  // the parser accepted it; with no payout fee and par nothing else can fail
    }
    const SendLimits& limits = schedule.limits();
    std::vector<std::int64_t> probes{limits.min_send, limits.max_send};
    for (const FeeBand& band : schedule.bands()) {
        for (const std::int64_t edge : {band.from - 1, band.from, band.to, band.to + 1}) {
            if (edge >= limits.min_send && edge <= limits.max_send) {
                probes.push_back(edge);
            }
        }
    }
    for (const std::int64_t send : probes) {
        const auto fee = schedule.fee_for(send);
        if (!fee || fee->flat < 0 || fee->percentage < 0 || fee->percentage > send ||
            fee->total() >= send) {
            __builtin_trap();
        }
        const auto price = price_for_send(config.value(), PayoutMethod::kMpesa, send);
        if (!price || price->receive.minor != send - fee->total()) {
            __builtin_trap();
        }
        const auto back =
            price_for_receive(config.value(), PayoutMethod::kMpesa, price->receive.minor);
        if (!back) {
            // Only a target below what the minimum send delivers may be refused.
            if (back.error().reason != PriceRefusal::kBelowMinimum) {
                __builtin_trap();
            }
            continue;
        }
        if (back->send.minor > send || back->receive.minor < price->receive.minor) {
            __builtin_trap();
        }
        const std::int64_t one_less = back->send.minor - 1;
        if (one_less >= limits.min_send) {
            const auto below = price_for_send(config.value(), PayoutMethod::kMpesa, one_less);
            if (below && below->receive.minor >= price->receive.minor) {
                __builtin_trap();  // a smaller send would have done
            }
        }
    }
}

void check(const std::string& text, const SendLimits& limits) {
    auto parsed = parse_fee_schedule(text, limits);
    if (!parsed) {
        if (parsed.error().message.empty() || parsed.error().band > kMaxBands + 1) {
            __builtin_trap();
        }
        return;
    }
    const FeeSchedule& schedule = parsed.value();
    const auto& bands = schedule.bands();
    if (bands.empty() || bands.size() > kMaxBands || bands.front().from > limits.min_send ||
        bands.back().to < limits.max_send) {
        __builtin_trap();
    }
    for (std::size_t i = 1; i < bands.size(); ++i) {
        if (bands[i].from != bands[i - 1].to + 1) {
            __builtin_trap();
        }
    }
    const auto again = parse_fee_schedule(schedule.to_string(), limits);
    if (!again || !(again.value() == schedule)) {
        __builtin_trap();
    }
    check_pricing(schedule, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(
        reinterpret_cast<const char*>(data), size
    );  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    check(text, SendLimits{});
    check(text, SendLimits{1, 100'000});
    return 0;
}
