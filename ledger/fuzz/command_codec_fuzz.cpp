// libFuzzer target for the ledger's command parser: arbitrary bytes as a ledger.cmd payload.
// Property: whatever parses re-serialises and parses again to the same transfers.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include <chelete/ledger/codec.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);  // NOLINT
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        return 0;
    }
    const auto transfers = chelete::ledger::codec::parse_transfers(doc);
    if (transfers.ok()) {
        nlohmann::json again = nlohmann::json::array();
        for (const auto& t : transfers.value()) {
            auto j = chelete::ledger::codec::to_json(t);
            j.erase("timestamp");
            again.push_back(j);
        }
        const auto reparsed =
            chelete::ledger::codec::parse_transfers(nlohmann::json{{"transfers", again}});
        if (!reparsed.ok() || reparsed.value().size() != transfers.value().size()) {
            __builtin_trap();
        }
        for (std::size_t i = 0; i < transfers.value().size(); ++i) {
            if (!reparsed.value()[i].same_definition(transfers.value()[i])) {
                __builtin_trap();
            }
        }
    }
    (void)chelete::ledger::codec::parse_accounts(doc);
    return 0;
}
