// libFuzzer target for the shard names (shards.hpp): arbitrary bytes as an account's name.
// Properties: a sub-account name of shard k > 0 always parses back to k, whatever the name holds
// (an `@shard` inside it included); the shard function is always below the count.
#include <cstdint>
#include <string>

#include <chelete/ledger/shards.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string name(reinterpret_cast<const char*>(data), size);  // NOLINT
    for (std::size_t shard = 1; shard <= 3; ++shard) {
        if (chelete::ledger::shard_of_sub_account_name(
                chelete::ledger::sub_account_name(name, shard)
            ) != shard) {
            __builtin_trap();
        }
        if (chelete::ledger::shard_of(name, shard) >= shard) {
            __builtin_trap();
        }
    }
    (void)chelete::ledger::shard_of_sub_account_name(name);
    return 0;
}
