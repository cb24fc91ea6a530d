#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include <chelete/gateway/http.hpp>

namespace chelete::app {

/// The ledger's reads over several shards (docs/scaling.md "The ledger: account shards"): the
/// gateway asks every shard and makes one answer of their replies, given in shard order
/// (nullopt: the shard did not answer in time). A 504 answer means "a shard did not answer".
using ShardReplies = std::vector<std::optional<gateway::HttpResponse>>;

/// getLedgerAccount, listLedgerEntries: exactly one shard holds an account, so its 200 is the
/// answer; else a refusal other than 404 (a malformed id: every shard says so); else 404 when
/// every shard said so, and 504 when one did not answer (it might hold the account).
[[nodiscard]] gateway::HttpResponse answer_of_holder(const ShardReplies& replies);

/// getTrialBalance: the lines of every shard summed per currency and code, the totals and
/// `balanced` recomputed, and each shard's own balance under `shards`.
[[nodiscard]] gateway::HttpResponse summed_trial_balance(const ShardReplies& replies);

/// verifyLedger: ok when every shard is; counts summed; each problem prefixed with its shard;
/// each shard's report under `shards` (a shard's head belongs to its own chain, so there is no
/// top-level head).
[[nodiscard]] gateway::HttpResponse merged_verify_report(const ShardReplies& replies);

/// verifyLedger's request to shard `index` of `count`: `expect_head` names a batch of one
/// shard's chain (the body's `shard`, 0 by default), so only that shard gets it (and `shard`,
/// which it checks is its own); the others verify without. A `shard` beyond the last goes
/// unchanged to shard 0, which refuses it.
void shape_verify_request(nlohmann::json& envelope, std::size_t index, std::size_t count);

}  // namespace chelete::app
