#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <chelete/ledger/engine.hpp>
#include <chelete/platform/pg.hpp>

namespace chelete::ledger {

struct VerifyCounts {
    std::uint64_t batches = 0;
    std::uint64_t accounts = 0;
    std::uint64_t transfers = 0;
    std::uint64_t entries = 0;
    std::uint64_t snapshots = 0;
    std::uint64_t expiries = 0;
    std::uint64_t failed = 0;
};

/// One link of the hash chain: a batch's number and digest. Every `ledger.batch_committed` event
/// carries its batch's; recorded outside the database, one is an anchor that the history up to it
/// is still what was committed (docs/ledger.md "Verify").
struct BatchHead {
    std::uint64_t seq = 0;
    Digest digest{};

    friend bool operator==(const BatchHead&, const BatchHead&) = default;
};

/// 64 lower-case hex digits.
[[nodiscard]] std::string digest_hex(const Digest& digest);
/// 64 hex digits (either case); nothing else.
[[nodiscard]] std::optional<Digest> parse_digest_hex(std::string_view text);
/// "<seq>:<64 hex digits>", seq >= 1, as `chelete ledger verify --expect-head` takes it.
[[nodiscard]] std::optional<BatchHead> parse_batch_head(std::string_view text);

struct VerifyReport {
    bool ok = true;
    VerifyCounts checked;
    std::vector<std::string> problems;  // at most `max_problems`, each naming what is wrong
    std::optional<BatchHead> head;      // the last stored batch, as stored (none: no batch)

    void problem(std::string text);
};

struct VerifyOptions {
    std::size_t max_problems = 100;
    /// A head recorded outside the database: batch `seq` must be stored with that digest.
    std::optional<BatchHead> expect_head;
};

/// The report as `chelete ledger verify` prints it and `POST /v1/ledger/verify` answers it (the
/// spec's LedgerVerifyReport): ok, checked, problems, and head when a batch is stored.
[[nodiscard]] nlohmann::json to_json(const VerifyReport& report);

/// Re-checks every invariant from what PostgreSQL holds (docs/ledger.md "Verify"):
///  1. the SHA-256 chain over every batch's rows is intact (no row edited, added, removed or
///  moved);
///  2. per currency, posted debits equal posted credits, and pending debits equal pending credits;
///  3. every posted transfer has exactly one debit and one credit entry of its amount;
///  4. every account's running balances add up entry by entry;
///  5. replaying every stored event, in timestamp order, through the state machine gives back the
///     same transfers, entries, balance snapshots and expiries (so no flag limit was crossed, no
///     pending transfer resolved twice, nothing moved that should not have);
///  6. when a live engine is given, the stored chain ends at the batch it last committed (a
///     shorter chain means batches were deleted from the end, which the chain itself cannot show)
///     and its committed balances equal the replayed ones;
///  7. when an expected head is given, that batch is stored with that digest.
VerifyReport verify_ledger(
    const platform::PgPoolOptions& options,
    const Engine* live = nullptr,
    const VerifyOptions& verify_options = {}
);

}  // namespace chelete::ledger
