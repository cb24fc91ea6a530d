#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <chelete/ledger/state.hpp>
#include <chelete/ledger/store.hpp>
#include <chelete/platform/clock.hpp>

namespace chelete::ledger {

struct EngineOptions {
    /// A batch takes at most this many events (accounts + transfers); a request is never split,
    /// so one request larger than this is a batch of its own ...
    std::size_t max_batch_events = 8190;
    /// ... and, when requests trickle in, waits at most this long for more before applying (less
    /// once max_batch_events are queued).
    std::chrono::microseconds max_batch_wait{0};
    /// Batches applied in memory but not yet committed. 2 lets the next batch be applied while
    /// one commits; results are still released only after each batch's own commit.
    std::size_t max_uncommitted_batches = 2;
};

/// Delivered once per request, after its batch committed (`ok`) or failed to (`!ok`: nothing of
/// the request is known to be stored; retrying with the same ids is safe).
struct RequestOutcome {
    bool ok = false;
    std::string error;
    std::vector<CreateAccountResult> account_results;
    std::vector<CreateTransferResult> transfer_results;
};
using RequestCallback = std::function<void(RequestOutcome)>;

struct EngineStats {
    std::uint64_t batches = 0;
    std::uint64_t transfers_ok = 0;
    std::uint64_t requests = 0;
    std::uint64_t reloads = 0;
    /// The last batch the engine knows committed (0: none yet).
    std::uint64_t last_seq = 0;
    /// A batch after last_seq may be stored already: one is being committed, or its commit failed
    /// with an outcome the engine learns only when it reloads. At most one: commits are serial.
    bool commit_unconfirmed = false;
};

/// The single writer of a ledger shard (ARCHITECTURE.md "The ledger"): balances in memory,
/// requests gathered into batches, each batch one transaction and one commit, each request
/// answered after its batch commits, never before. Pending transfers expire by the engine's
/// clock, also when no request arrives.
class Engine {
public:
    Engine(
        std::unique_ptr<LedgerStore> store,
        const platform::Clock& clock,
        EngineOptions options = {},
        BatchHook hook = {}
    );
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;
    Engine(Engine&&) = delete;
    Engine& operator=(Engine&&) = delete;

    /// Loads the committed state and starts the writer and the persister.
    void start();
    /// Stops taking requests, lets what is queued commit, stops.
    void stop();

    void submit_accounts(std::vector<Account> accounts, std::string tag, RequestCallback callback);
    void submit_transfers(
        std::vector<Transfer> transfers, std::string tag, RequestCallback callback
    );
    /// Blocking forms, for tools and tests.
    RequestOutcome create_accounts(std::vector<Account> accounts);
    RequestOutcome create_transfers(std::vector<Transfer> transfers);

    /// Committed balances (what has been acknowledged), never an uncommitted batch's.
    [[nodiscard]] std::optional<Account> account(const Id128& id) const;
    [[nodiscard]] std::vector<Account> accounts() const;
    [[nodiscard]] EngineStats stats() const;
    [[nodiscard]] bool healthy() const { return !failed_.load(); }

private:
    struct Pending {
        std::shared_ptr<Request> request;
        RequestCallback callback;
    };
    struct Job {
        Batch batch;
        std::vector<RequestCallback> callbacks;
        std::vector<Account> touched;  // the touched accounts as this batch leaves them
    };

    void submit(std::shared_ptr<Request> request, RequestCallback callback);
    void write_loop();
    void persist_loop();
    /// At start only a busy writer lock or a lost connection is worth waiting for; during recovery
    /// every failure is retried (PostgreSQL may be down for a while).
    void reload(bool at_start);
    void fail_job(Job& job, const std::string& error);
    Timestamp now_ns() const;

    std::unique_ptr<LedgerStore> store_;
    const platform::Clock& clock_;
    EngineOptions options_;
    BatchHook hook_;
    LedgerState state_;  // writer thread only

    std::mutex queue_mutex_;
    std::condition_variable queue_cv_;
    std::deque<Pending> queue_;
    std::size_t queued_events_ = 0;  // accounts + transfers of the requests in queue_
    bool accepting_ = false;

    std::mutex jobs_mutex_;
    std::condition_variable jobs_cv_;
    std::deque<std::unique_ptr<Job>> jobs_;
    std::size_t jobs_in_flight_ = 0;

    mutable std::shared_mutex committed_mutex_;
    std::unordered_map<Id128, Account, platform::Id128Hash> committed_accounts_;
    EngineStats stats_;

    std::atomic<bool> failed_{false};
    std::atomic<bool> stopping_{false};
    bool writer_done_ = false;  // under jobs_mutex_
    std::thread writer_;
    std::thread persister_;
};

}  // namespace chelete::ledger
