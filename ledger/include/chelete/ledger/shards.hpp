#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chelete::ledger {

/// Account shards (docs/scaling.md "The ledger: account shards, one writer each").
///
/// With CHELETE_LEDGER_SHARDS=N, shard k (0 <= k < N) is a ledger process of its own, the single
/// writer of its schema, listening on its own command stream. Shard 0 keeps the configured names,
/// so one shard is exactly the ledger as it was; shard k > 0 appends its number: schema
/// `ledger_1`, streams `ledger.cmd.1` and `ledger.events.1`.
///
/// A worker's wallet, and every transfer that touches it, lives in the worker's shard; each
/// system account (in transit, fee revenue, agent and partner floats, liquidity, suspense,
/// settlement bank) has one sub-account per shard, so every transfer has both accounts in one
/// shard.

/// FNV-1a (64 bit) over the key's bytes with ASCII letters lower-cased, so `ABC` and `abc` (two
/// spellings of one UUID) agree. Fixed by its definition, unlike std::hash: the same in every
/// process, build and version, which a shard function must be (a worker's wallet never moves).
[[nodiscard]] std::uint64_t shard_hash(std::string_view key);

/// The shard of a key (a worker id) among `count` shards: shard_hash(key) mod count; 0 when
/// count is 0 or 1.
[[nodiscard]] std::size_t shard_of(std::string_view key, std::size_t count);

/// Shard k's schema: the base for shard 0, `<base>_<k>` beyond.
[[nodiscard]] std::string shard_schema(std::string_view base, std::size_t shard);

/// Shard k's stream: the base for shard 0, `<base>.<k>` beyond.
[[nodiscard]] std::string shard_stream(std::string_view base, std::size_t shard);

/// The name of a system account's sub-account in shard k (owner names in the services' own
/// tables, and the names ledger account ids are derived from): the name itself for shard 0, so
/// one shard keeps every id it always had, `<name>@shard<k>` beyond.
[[nodiscard]] std::string sub_account_name(std::string_view name, std::size_t shard);

/// The shard a sub-account name (from sub_account_name) belongs to: 0 without the suffix;
/// nullopt for a malformed suffix.
[[nodiscard]] std::optional<std::size_t> shard_of_sub_account_name(std::string_view name);

}  // namespace chelete::ledger
