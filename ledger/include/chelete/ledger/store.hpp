#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <chelete/ledger/state.hpp>

namespace pqxx {
class dbtransaction;
}

namespace chelete::ledger {

using Digest = std::array<std::uint8_t, 32>;

/// One client request as the engine carries it through a batch.
struct Request {
    enum class Kind : std::uint8_t { kAccounts, kTransfers };
    Kind kind = Kind::kTransfers;
    std::vector<Account> accounts;
    std::vector<Transfer> transfers;
    std::string tag;  // the caller's reference (the service puts the bus message id here)
    std::vector<CreateAccountResult> account_results;
    std::vector<CreateTransferResult> transfer_results;
};

/// A batch: every request applied together, what they changed, committed as one transaction.
struct Batch {
    std::uint64_t seq = 0;  // set by the store when it writes the batch (0 again if that fails)
    Timestamp first_timestamp = 0;
    Timestamp last_timestamp = 0;
    BatchDelta delta;
    std::vector<std::shared_ptr<Request>> requests;
    Digest digest{};
};

/// Written inside the batch's transaction, after the ledger's rows (the batch's seq and digest are
/// set): the ledger service adds its outbox events and inbox rows here, so they commit (or not)
/// with the batch.
using BatchHook = std::function<void(pqxx::dbtransaction& tx, const Batch& batch)>;

/// What the store holds, for the engine to start from.
struct LoadedLedger {
    std::vector<Account> accounts;  // with balances
    std::vector<TransferRecord> transfers;
    std::vector<std::pair<Id128, CreateTransferResult>> failed;
    Timestamp last_timestamp = 0;
    std::uint64_t last_seq = 0;
    Digest last_digest{};
};

/// Another engine holds the shard's writer lock: wait (this instance is a standby) and retry.
class WriterLockBusy : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The port the engine writes through. Implementations: PgLedgerStore, and a fake in tests.
class LedgerStore {
public:
    virtual ~LedgerStore() = default;
    [[nodiscard]] virtual LoadedLedger load() = 0;
    /// Commits the batch (and the hook's writes) atomically, or throws: then nothing of it is
    /// stored, or (after an unknown commit outcome) the engine reloads to learn what is.
    virtual void persist(Batch& batch, const BatchHook& hook) = 0;
};

/// Builds LedgerState from what the store loaded.
void restore(LedgerState& state, const LoadedLedger& loaded);

}  // namespace chelete::ledger
