// libFuzzer target for the gateway's fan-out over ledger shards (ledger_fan_out.hpp): arbitrary
// bytes as two shards' reply bodies (split at the first NUL). Properties: nothing crashes; a
// summed trial balance summed again with an empty shard has the same currencies (the sum is
// canonical: one line per currency and code).
#include "ledger_fan_out.hpp"

#include <cstdint>
#include <string>

namespace {

chelete::gateway::HttpResponse ok(std::string body) {
    chelete::gateway::HttpResponse r;
    r.status = 200;
    r.body = std::move(body);
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);  // NOLINT
    const auto cut = input.find('\0');
    const std::string first = input.substr(0, cut);
    const std::string second = cut == std::string::npos ? "" : input.substr(cut + 1);
    const chelete::app::ShardReplies replies{ok(first), ok(second)};
    (void)chelete::app::answer_of_holder(replies);
    (void)chelete::app::merged_verify_report(replies);
    const auto summed = chelete::app::summed_trial_balance(replies);
    if (summed.status == 200) {
        const auto again =
            chelete::app::summed_trial_balance({summed, ok(R"({"as_of": "", "currencies": []})")});
        if (again.status != 200 || nlohmann::json::parse(again.body)["currencies"] !=
                                       nlohmann::json::parse(summed.body)["currencies"]) {
            __builtin_trap();
        }
    }
    nlohmann::json envelope = nlohmann::json::parse(first, nullptr, false);
    if (!envelope.is_discarded()) {
        chelete::app::shape_verify_request(envelope, 1, 2);
    }
    return 0;
}
