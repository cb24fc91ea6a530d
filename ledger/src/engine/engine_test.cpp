// The engine's promise to its callers, against a store the test holds in its hand: a request is
// answered only after its own batch has committed, never before; a commit that fails, or whose
// outcome is unknown, answers every request in flight not ok (the pipelined batch behind it too)
// and makes the engine reload, so a retry with the same ids applies exactly once.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include <gtest/gtest.h>

#include <chelete/ledger/engine.hpp>

namespace chelete::ledger {

// Failures name results and balances instead of printing bytes.
void PrintTo(CreateTransferResult r, std::ostream* os) {
    *os << to_string(r);
}
void PrintTo(const Balances& b, std::ostream* os) {
    *os << "{debits_pending " << b.debits_pending << ", debits_posted " << b.debits_posted
        << ", credits_pending " << b.credits_pending << ", credits_posted " << b.credits_posted
        << "}";
}

namespace {

using R = CreateTransferResult;
using namespace std::chrono_literals;

// Only a broken engine makes a test wait this long.
constexpr auto kPatience = 10s;
constexpr Timestamp kNanosPerSecond = 1'000'000'000ULL;

Id128 id(std::uint64_t n) {
    return Id128{0, n};
}

Account account(std::uint64_t n) {
    Account a;
    a.id = id(n);
    a.code = 100;
    return a;
}

Transfer transfer(std::uint64_t n, std::int64_t amount) {
    Transfer t;
    t.id = id(n);
    t.debit_account_id = id(1);
    t.credit_account_id = id(2);
    t.amount = amount;
    t.code = 1;
    return t;
}

/// The engine's clock, counting how often it is read. The writer reads it once for every batch it
/// applies (the batch's timestamps) and once each time it goes idle afterwards; that is how a test
/// knows the writer has applied a batch that cannot commit yet. Always the same moment: the engine
/// makes its timestamps increase by itself.
class CountingClock final : public platform::Clock {
public:
    [[nodiscard]] platform::TimePoint now() const override {
        {
            std::lock_guard lock{mutex_};
            ++reads_;
        }
        cv_.notify_all();
        return platform::TimePoint{std::chrono::hours{24 * 20000}};
    }
    [[nodiscard]] std::uint64_t reads() const {
        std::lock_guard lock{mutex_};
        return reads_;
    }
    bool wait_for_reads(std::uint64_t n) const {
        std::unique_lock lock{mutex_};
        return cv_.wait_for(lock, kPatience, [&] { return reads_ >= n; });
    }

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    mutable std::uint64_t reads_ = 0;
};

/// How a held persist call ends when the test lets it go.
enum class Commit : std::uint8_t {
    kSucceeds,
    kFailsBeforeCommit,  // nothing stored (a refused COPY, a lost connection before COMMIT)
    kOutcomeUnknown,     // stored, but the engine hears an error (the connection died in COMMIT)
};

/// A LedgerStore that keeps what it commits in memory and gives it back on load(), as
/// PostgreSQL would. Once closed, every persist call waits until the test releases it.
class GatedStore final : public LedgerStore {
public:
    LoadedLedger load() override {
        std::lock_guard lock{mutex_};
        ++loads_;
        LoadedLedger out;
        std::unordered_map<Id128, std::size_t, platform::Id128Hash> index;
        for (const auto& a : accounts_) {
            index.emplace(a.id, out.accounts.size());
            out.accounts.push_back(a);
            out.last_timestamp = std::max(out.last_timestamp, a.timestamp);
        }
        for (const auto& e : entries_) {  // in commit order: the latest entry's balances win
            auto& b = out.accounts.at(index.at(e.account_id)).balances;
            b.debits_posted = e.debits_posted_after;
            b.credits_posted = e.credits_posted_after;
        }
        std::unordered_map<Id128, PendingState, platform::Id128Hash> resolved;
        for (const auto& t : transfers_) {
            if (t.is_post() || t.is_void()) {
                resolved[t.pending_id] =
                    t.is_post() ? PendingState::kPosted : PendingState::kVoided;
            }
        }
        for (const auto& x : expiries_) {
            resolved[x.pending_id] = PendingState::kExpired;
            out.last_timestamp = std::max(out.last_timestamp, x.timestamp);
        }
        for (const auto& t : transfers_) {
            TransferRecord record{t, PendingState::kPending, 0};
            if (t.is_pending()) {
                const auto it = resolved.find(t.id);
                record.state = it == resolved.end() ? PendingState::kPending : it->second;
                record.expires_at =
                    t.timeout == 0 ? 0 : t.timestamp + Timestamp{t.timeout} * kNanosPerSecond;
                if (record.state == PendingState::kPending) {
                    out.accounts.at(index.at(t.debit_account_id)).balances.debits_pending +=
                        t.amount;
                    out.accounts.at(index.at(t.credit_account_id)).balances.credits_pending +=
                        t.amount;
                }
            }
            out.transfers.push_back(record);
            out.last_timestamp = std::max(out.last_timestamp, t.timestamp);
        }
        for (const auto& f : failed_) {
            out.failed.emplace_back(f.id, f.result);
            out.last_timestamp = std::max(out.last_timestamp, f.timestamp);
        }
        out.last_timestamp = std::max(out.last_timestamp, head_timestamp_);
        out.last_seq = last_seq_;
        return out;
    }

    void persist(Batch& batch, const BatchHook& /*hook*/) override {
        std::unique_lock lock{mutex_};
        ++entered_;
        std::size_t events = 0;
        for (const auto& request : batch.requests) {
            events += request->accounts.size() + request->transfers.size();
        }
        shapes_.push_back(BatchShape{batch.requests.size(), events});
        cv_.notify_all();
        Commit commit = Commit::kSucceeds;
        if (closed_) {
            if (!cv_.wait_for(lock, kPatience, [&] { return !releases_.empty() || !closed_; })) {
                throw std::runtime_error("test store: the test never released this commit");
            }
            if (!releases_.empty()) {
                commit = releases_.front();
                releases_.pop_front();
            }
        }
        if (commit == Commit::kFailsBeforeCommit) {
            throw std::runtime_error("test store: the commit failed");
        }
        const BatchDelta& d = batch.delta;
        accounts_.insert(accounts_.end(), d.accounts.begin(), d.accounts.end());
        transfers_.insert(transfers_.end(), d.transfers.begin(), d.transfers.end());
        entries_.insert(entries_.end(), d.entries.begin(), d.entries.end());
        expiries_.insert(expiries_.end(), d.expiries.begin(), d.expiries.end());
        failed_.insert(failed_.end(), d.failed.begin(), d.failed.end());
        for (const auto& request : batch.requests) {
            committed_tags_.insert(request->tag);
        }
        batch.seq = ++last_seq_;
        head_timestamp_ = std::max(head_timestamp_, batch.last_timestamp);
        cv_.notify_all();
        if (commit == Commit::kOutcomeUnknown) {
            throw std::runtime_error("test store: the connection was lost during COMMIT");
        }
    }

    /// Rows committed before the engine starts, and the timestamp the last stored batch ended at
    /// (as a batch row records it).
    void preload(std::vector<Account> accounts, std::vector<Transfer> transfers, Timestamp head) {
        std::lock_guard lock{mutex_};
        accounts_ = std::move(accounts);
        transfers_ = std::move(transfers);
        head_timestamp_ = head;
        last_seq_ = 1;
    }

    /// From now on every persist call waits for a release().
    void close() {
        std::lock_guard lock{mutex_};
        closed_ = true;
    }
    /// Lets everything through (the test is over).
    void open() {
        {
            std::lock_guard lock{mutex_};
            closed_ = false;
        }
        cv_.notify_all();
    }
    /// Lets the oldest held (or the next) persist call end as `commit` says.
    void release(Commit commit) {
        {
            std::lock_guard lock{mutex_};
            releases_.push_back(commit);
        }
        cv_.notify_all();
    }
    /// Waits until `n` persist calls have begun since the store was made.
    bool wait_entered(std::size_t n, std::chrono::milliseconds patience = kPatience) {
        std::unique_lock lock{mutex_};
        return cv_.wait_for(lock, patience, [&] { return entered_ >= n; });
    }
    /// Waits until `n` expiries are stored.
    bool wait_expiries(std::size_t n) {
        std::unique_lock lock{mutex_};
        return cv_.wait_for(lock, kPatience, [&] { return expiries_.size() >= n; });
    }
    [[nodiscard]] std::vector<Expiry> expiries() {
        std::lock_guard lock{mutex_};
        return expiries_;
    }
    /// Requests and events of every batch the engine wrote, in order.
    struct BatchShape {
        std::size_t requests = 0;
        std::size_t events = 0;
    };
    [[nodiscard]] std::vector<BatchShape> shapes() {
        std::lock_guard lock{mutex_};
        return shapes_;
    }
    [[nodiscard]] std::size_t entered() {
        std::lock_guard lock{mutex_};
        return entered_;
    }
    [[nodiscard]] bool committed(const std::string& tag) {
        std::lock_guard lock{mutex_};
        return committed_tags_.count(tag) != 0;
    }
    [[nodiscard]] std::size_t loads() {
        std::lock_guard lock{mutex_};
        return loads_;
    }
    /// How many stored transfers carry this id (exactly once is the only right answer).
    [[nodiscard]] std::size_t stored(const Id128& transfer_id) {
        std::lock_guard lock{mutex_};
        return static_cast<std::size_t>(std::count_if(
            transfers_.begin(),
            transfers_.end(),
            [&](const Transfer& t) { return t.id == transfer_id; }
        ));
    }
    /// The posted balances the stored entries add up to.
    [[nodiscard]] Balances stored_balances(const Id128& account_id) {
        Balances b;
        std::lock_guard lock{mutex_};
        for (const auto& e : entries_) {
            if (e.account_id == account_id) {
                (e.debit ? b.debits_posted : b.credits_posted) += e.amount;
            }
        }
        return b;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool closed_ = false;
    std::deque<Commit> releases_;
    std::size_t entered_ = 0;
    std::size_t loads_ = 0;
    std::uint64_t last_seq_ = 0;
    Timestamp head_timestamp_ = 0;
    std::vector<BatchShape> shapes_;
    std::vector<Account> accounts_;
    std::vector<Transfer> transfers_;
    std::vector<Entry> entries_;
    std::vector<Expiry> expiries_;
    std::vector<FailedTransfer> failed_;
    std::multiset<std::string> committed_tags_;
};

/// Every answer, with whether the store had committed the request's batch when it arrived.
struct Answer {
    RequestOutcome outcome;
    bool batch_was_committed = false;
};

class EngineTest : public ::testing::Test {
protected:
    void start(EngineOptions options = {}) {
        start_with(options, clock_, [](GatedStore&) {});
        ASSERT_TRUE(engine_->create_accounts({account(1), account(2)}).ok);
    }

    /// An engine on `clock` over a store `prepare` fills first, with no accounts of its own.
    void start_with(
        EngineOptions options,
        const platform::Clock& clock,
        const std::function<void(GatedStore&)>& prepare
    ) {
        auto store = std::make_unique<GatedStore>();
        store_ = store.get();
        prepare(*store);
        engine_ = std::make_unique<Engine>(std::move(store), clock, options);
        engine_->start();
    }

    void TearDown() override {
        if (store_ != nullptr) {
            store_->open();
        }
        engine_.reset();
    }

    void submit(const std::string& tag, std::vector<Transfer> transfers) {
        engine_->submit_transfers(std::move(transfers), tag, [this, tag](RequestOutcome o) {
            // Read before anything else: the store must already hold the batch.
            const bool committed = store_->committed(tag);
            {
                std::lock_guard lock{mutex_};
                answers_[tag] = Answer{std::move(o), committed};
            }
            cv_.notify_all();
        });
    }

    /// Submits a request while the batch before it is held in persist, and returns once the
    /// writer has applied it in memory, as a batch of its own behind the held one. With the
    /// request queued the writer cannot go idle before applying it, so the second clock read from
    /// here on comes after it has started that batch (its first read of the clock).
    void submit_pipelined(const std::string& tag, std::vector<Transfer> transfers) {
        const auto reads = clock_.reads();
        submit(tag, std::move(transfers));
        ASSERT_TRUE(clock_.wait_for_reads(reads + 2))
            << "the writer did not apply the next batch while one was committing";
    }

    Answer wait_answer(const std::string& tag) {
        std::unique_lock lock{mutex_};
        const bool arrived =
            cv_.wait_for(lock, kPatience, [&] { return answers_.count(tag) != 0; });
        EXPECT_TRUE(arrived) << tag << " was never answered";
        return arrived ? answers_.at(tag) : Answer{};
    }

    std::size_t answered() {
        std::lock_guard lock{mutex_};
        return answers_.size();
    }

    std::vector<std::string> answered_before_their_commit() {
        std::lock_guard lock{mutex_};
        std::vector<std::string> early;
        for (const auto& [tag, answer] : answers_) {
            if (answer.outcome.ok && !answer.batch_was_committed) {
                early.push_back(tag);
            }
        }
        return early;
    }

    Balances committed_balances(std::uint64_t n) { return engine_->account(id(n))->balances; }

    CountingClock clock_;
    platform::ManualClock manual_clock_;  // for tests that move the time (outlives the engine)
    GatedStore* store_ = nullptr;         // owned by the engine
    std::unique_ptr<Engine> engine_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::map<std::string, Answer> answers_;
};

TEST_F(EngineTest, NoAnswerArrivesWhileItsBatchIsStillCommitting) {
    ASSERT_NO_FATAL_FAILURE(start());
    store_->close();
    submit("first", {transfer(10, 100)});
    ASSERT_TRUE(store_->wait_entered(2)) << "the first batch reached the store";
    ASSERT_NO_FATAL_FAILURE(submit_pipelined("second", {transfer(11, 50)}));

    EXPECT_EQ(answered(), 0U) << "answered while the commit was still held";
    EXPECT_EQ(committed_balances(1).debits_posted, 0)
        << "the engine shows balances of a batch that has not committed";
    EXPECT_EQ(store_->entered(), 2U) << "one commit at a time";

    store_->release(Commit::kSucceeds);
    const auto first = wait_answer("first");
    EXPECT_TRUE(first.outcome.ok);
    EXPECT_TRUE(first.batch_was_committed) << "answered before its batch committed";
    EXPECT_EQ(first.outcome.transfer_results, std::vector<R>{R::kOk});
    ASSERT_TRUE(store_->wait_entered(3)) << "the pipelined batch is committed next";
    EXPECT_EQ(answered(), 1U) << "the pipelined batch was answered before its own commit";
    EXPECT_EQ(committed_balances(1).debits_posted, 100);

    store_->release(Commit::kSucceeds);
    const auto second = wait_answer("second");
    EXPECT_TRUE(second.outcome.ok);
    EXPECT_TRUE(second.batch_was_committed) << "answered before its batch committed";
    EXPECT_EQ(second.outcome.transfer_results, std::vector<R>{R::kOk});
    EXPECT_EQ(committed_balances(1).debits_posted, 150);
    EXPECT_TRUE(answered_before_their_commit().empty());
}

// A commit that fails leaves nothing stored: the requests in it and in the batch applied behind it
// are answered not ok, and the retry with the same ids applies them, once.
TEST_F(EngineTest, AFailedCommitFailsEveryRequestInFlightAndTheRetryAppliesOnce) {
    ASSERT_NO_FATAL_FAILURE(start());
    store_->close();
    submit("first", {transfer(10, 100)});
    ASSERT_TRUE(store_->wait_entered(2));
    ASSERT_NO_FATAL_FAILURE(submit_pipelined("second", {transfer(11, 50), transfer(12, 25)}));

    store_->release(Commit::kFailsBeforeCommit);
    for (const std::string tag : {"first", "second"}) {
        const auto answer = wait_answer(tag);
        EXPECT_FALSE(answer.outcome.ok) << tag << " was answered ok, yet nothing was stored";
        EXPECT_FALSE(answer.outcome.error.empty()) << tag;
    }
    EXPECT_EQ(store_->entered(), 2U) << "the pipelined batch was built on the failed one";
    EXPECT_EQ(committed_balances(1).debits_posted, 0);

    // The retry: the engine must reload before it writes again, or it would answer `exists` for
    // transfers that are nowhere stored.
    store_->open();
    submit("first again", {transfer(10, 100)});
    submit("second again", {transfer(11, 50), transfer(12, 25)});
    const auto first = wait_answer("first again");
    ASSERT_TRUE(first.outcome.ok) << first.outcome.error;
    EXPECT_EQ(first.outcome.transfer_results, std::vector<R>{R::kOk});
    const auto second = wait_answer("second again");
    ASSERT_TRUE(second.outcome.ok) << second.outcome.error;
    EXPECT_EQ(second.outcome.transfer_results, (std::vector<R>{R::kOk, R::kOk}));
    EXPECT_EQ(store_->loads(), 2U) << "loaded at start and once after the failure";
    EXPECT_EQ(engine_->stats().reloads, 1U);
    for (const std::uint64_t n : {10, 11, 12}) {
        EXPECT_EQ(store_->stored(id(n)), 1U) << "transfer " << n;
    }
    EXPECT_EQ(committed_balances(1), (Balances{0, 175, 0, 0}));
    EXPECT_EQ(store_->stored_balances(id(1)), (Balances{0, 175, 0, 0}));
    EXPECT_TRUE(answered_before_their_commit().empty());
}

// The connection dies during COMMIT: the batch is stored but the engine cannot know. It answers not
// ok (the caller retries), reloads, and the retry finds what was stored (`exists`) and applies
// only what was not.
TEST_F(EngineTest, ACommitWithAnUnknownOutcomeIsReloadedAndTheRetryAppliesOnce) {
    ASSERT_NO_FATAL_FAILURE(start());
    store_->close();
    submit("first", {transfer(10, 100)});
    ASSERT_TRUE(store_->wait_entered(2));
    ASSERT_NO_FATAL_FAILURE(submit_pipelined("second", {transfer(11, 50)}));

    store_->release(Commit::kOutcomeUnknown);
    for (const std::string tag : {"first", "second"}) {
        EXPECT_FALSE(wait_answer(tag).outcome.ok) << tag;
    }

    store_->open();
    submit("first again", {transfer(10, 100)});
    submit("second again", {transfer(11, 50)});
    const auto first = wait_answer("first again");
    ASSERT_TRUE(first.outcome.ok) << first.outcome.error;
    EXPECT_EQ(first.outcome.transfer_results, std::vector<R>{R::kExists})
        << "it was stored: the reloaded engine knows it";
    const auto second = wait_answer("second again");
    ASSERT_TRUE(second.outcome.ok) << second.outcome.error;
    EXPECT_EQ(second.outcome.transfer_results, std::vector<R>{R::kOk})
        << "the pipelined batch never reached the store";
    EXPECT_EQ(store_->stored(id(10)), 1U);
    EXPECT_EQ(store_->stored(id(11)), 1U);
    EXPECT_EQ(committed_balances(1), (Balances{0, 150, 0, 0}));
    EXPECT_EQ(store_->stored_balances(id(1)), (Balances{0, 150, 0, 0}));
    EXPECT_EQ(engine_->stats().reloads, 1U);
}

/// `count` transfers of 1 from account 1 to account 2, ids from `first` on.
std::vector<Transfer> transfers(std::uint64_t first, std::size_t count) {
    std::vector<Transfer> out;
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(transfer(first + i, 1));
    }
    return out;
}

// "Up to N events": requests queued behind a held commit are gathered into batches of at most
// max_batch_events, as many whole requests as fit; a request is never split, so one larger than N
// is a batch of its own.
TEST_F(EngineTest, ABatchHoldsAtMostMaxBatchEventsOfWholeRequests) {
    EngineOptions options;
    options.max_batch_events = 4;
    ASSERT_NO_FATAL_FAILURE(start(options));
    store_->close();
    const std::vector<std::size_t> sizes{1, 1, 1, 1, 1, 3, 1, 2, 1, 1, 6, 1, 3, 1, 1};
    std::uint64_t next_id = 100;
    std::size_t total = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        submit("r" + std::to_string(i), transfers(next_id, sizes[i]));
        next_id += sizes[i];
        total += sizes[i];
    }
    store_->open();
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        const auto answer = wait_answer("r" + std::to_string(i));
        ASSERT_TRUE(answer.outcome.ok) << answer.outcome.error;
        EXPECT_EQ(answer.outcome.transfer_results, std::vector<R>(sizes[i], R::kOk));
    }
    const auto shapes = store_->shapes();
    ASSERT_GE(shapes.size(), 2U);
    std::size_t stored = 0;
    std::size_t largest_shared = 0;
    for (std::size_t b = 1; b < shapes.size(); ++b) {  // batch 0 created the accounts
        stored += shapes[b].events;
        if (shapes[b].requests > 1) {
            EXPECT_LE(shapes[b].events, options.max_batch_events)
                << "batch " << b << " holds " << shapes[b].requests << " requests";
            largest_shared = std::max(largest_shared, shapes[b].events);
        } else {
            EXPECT_TRUE(shapes[b].events <= options.max_batch_events || shapes[b].events == 6)
                << "batch " << b << ": only the request of 6 may exceed the limit, alone";
        }
    }
    EXPECT_EQ(stored, total);
    EXPECT_EQ(largest_shared, options.max_batch_events)
        << "the queued requests were not gathered up to the limit";
    EXPECT_EQ(committed_balances(1).debits_posted, static_cast<std::int64_t>(total));
}

// verify compares the stored chain's end with the engine's last_seq; while a batch is being
// committed, or after a commit whose outcome the engine does not know, the store may already hold
// one batch more, and the engine says so until a confirmed commit or a reload settles it.
TEST_F(EngineTest, StatsSayWhileABatchMayBeStoredBeyondLastSeq) {
    ASSERT_NO_FATAL_FAILURE(start());
    EXPECT_EQ(engine_->stats().last_seq, 1U);
    EXPECT_FALSE(engine_->stats().commit_unconfirmed);
    store_->close();
    submit("held", {transfer(10, 100)});
    ASSERT_TRUE(store_->wait_entered(2));
    EXPECT_EQ(engine_->stats().last_seq, 1U);
    EXPECT_TRUE(engine_->stats().commit_unconfirmed) << "a commit is under way";

    store_->release(Commit::kOutcomeUnknown);  // stored, but the engine hears an error
    EXPECT_FALSE(wait_answer("held").outcome.ok);
    EXPECT_EQ(store_->stored(id(10)), 1U);
    EXPECT_EQ(engine_->stats().last_seq, 1U);
    EXPECT_TRUE(engine_->stats().commit_unconfirmed) << "batch 2 may be stored: not yet reloaded";

    store_->open();
    submit("next", {transfer(11, 50)});
    ASSERT_TRUE(wait_answer("next").outcome.ok);
    EXPECT_EQ(engine_->stats().last_seq, 3U) << "reloaded (batch 2 found), then committed 3";
    EXPECT_FALSE(engine_->stats().commit_unconfirmed);
}

// With a batch wait, requests that trickle in one after another share one batch: the first waits
// for company (here it gets it before the wait is over).
TEST_F(EngineTest, WithABatchWaitTricklingRequestsShareOneBatch) {
    EngineOptions options;
    options.max_batch_wait = 2s;
    std::vector<Account> accounts{account(1), account(2)};
    ASSERT_NO_FATAL_FAILURE(start_with(options, clock_, [&](GatedStore& store) {
        store.preload(accounts, {}, 0);
    }));
    const std::size_t before = store_->entered();
    submit("a", {transfer(10, 1)});
    EXPECT_FALSE(store_->wait_entered(before + 1, 200ms)) << "a lone request did not wait";
    submit("b", {transfer(11, 1)});
    EXPECT_FALSE(store_->wait_entered(before + 1, 200ms)) << "the wait ended early";
    submit("c", {transfer(12, 1)});
    for (const std::string tag : {"a", "b", "c"}) {
        EXPECT_TRUE(wait_answer(tag).outcome.ok) << tag;
    }
    const auto shapes = store_->shapes();
    ASSERT_EQ(shapes.size(), before + 1) << "the trickled requests were written apart";
    EXPECT_EQ(shapes.back().requests, 3U);
    EXPECT_EQ(shapes.back().events, 3U);
}

// Without a batch wait (the default) a request is applied as soon as the writer is free: the same
// trickle is three batches.
TEST_F(EngineTest, WithoutABatchWaitEachTrickledRequestIsABatchOfItsOwn) {
    ASSERT_NO_FATAL_FAILURE(start());
    const std::size_t before = store_->entered();
    for (std::uint64_t i = 0; i < 3; ++i) {
        const std::string tag = "t" + std::to_string(i);
        submit(tag, {transfer(10 + i, 1)});
        ASSERT_TRUE(store_->wait_entered(before + i + 1)) << tag << " was not written on its own";
        EXPECT_TRUE(wait_answer(tag).outcome.ok) << tag;
    }
    const auto shapes = store_->shapes();
    ASSERT_EQ(shapes.size(), before + 3);
    for (std::size_t b = before; b < shapes.size(); ++b) {
        EXPECT_EQ(shapes[b].requests, 1U) << "batch " << b;
    }
}

// The wait ends as soon as a full batch of events is queued, counted in events (a command holds up
// to 8190), not in requests: two requests making max_batch_events go at once, long before the wait
// is over.
TEST_F(EngineTest, TheBatchWaitEndsOnceMaxBatchEventsAreQueued) {
    EngineOptions options;
    options.max_batch_events = 4;
    options.max_batch_wait = 10min;  // far beyond the test's patience
    // The accounts are stored already: creating them here would wait too.
    std::vector<Account> accounts{account(1), account(2)};
    ASSERT_NO_FATAL_FAILURE(start_with(options, clock_, [&](GatedStore& store) {
        store.preload(accounts, {}, 0);
    }));
    const std::size_t before = store_->entered();
    submit("one", {transfer(10, 1)});
    EXPECT_FALSE(store_->wait_entered(before + 1, 200ms)) << "a lone request did not wait";
    submit("three", transfers(11, 3));
    ASSERT_TRUE(store_->wait_entered(before + 1)) << "a full batch waited for the batch wait";
    EXPECT_TRUE(wait_answer("one").outcome.ok);
    EXPECT_TRUE(wait_answer("three").outcome.ok);
    const auto shapes = store_->shapes();
    ASSERT_EQ(shapes.size(), before + 1);
    EXPECT_EQ(shapes.back().requests, 2U);
    EXPECT_EQ(shapes.back().events, 4U);
}

// The wall clock steps back behind the ledger's time (a standby whose clock is behind, an NTP
// step): the ledger's clock, max(wall clock, last timestamp), never goes back. A hold whose
// deadline the ledger's time has already passed expires at once, without any request, stamped after
// everything stored; a hold whose deadline is still ahead does not expire before it.
TEST_F(EngineTest, ExpiryFollowsTheLedgersClockWhenTheWallClockStepsBack) {
    constexpr Timestamp kT0 = 1'795'000'000'000'000'000ULL;
    const auto at = [](Timestamp ns) {
        return platform::TimePoint{
            std::chrono::duration_cast<platform::TimePoint::duration>(std::chrono::nanoseconds{ns}
            )};
    };
    // Stored: two accounts and a hold of 700 with a deadline of T0 + 11 s; the last stored batch
    // ended at T0 + 20 s, past that deadline, with the hold still open (as an engine comparing
    // deadlines with the raw wall clock could leave it). This engine's clock reads T0 + 5 s.
    platform::ManualClock& clock = manual_clock_;
    clock.set(at(kT0 + 5 * kNanosPerSecond));
    std::vector<Account> accounts{account(1), account(2)};
    for (auto& a : accounts) {
        a.timestamp = kT0;
    }
    Transfer hold = transfer(30, 700);
    hold.flags = kPending;
    hold.timeout = 10;
    hold.timestamp = kT0 + kNanosPerSecond;
    const Timestamp head = kT0 + 20 * kNanosPerSecond;
    ASSERT_NO_FATAL_FAILURE(start_with({}, clock, [&](GatedStore& store) {
        store.preload(accounts, {hold}, head);
    }));
    ASSERT_TRUE(store_->wait_expiries(1)) << "a deadline the ledger's time has passed was missed";
    auto expiries = store_->expiries();
    ASSERT_EQ(expiries.size(), 1U);
    EXPECT_EQ(expiries[0].pending_id, id(30));
    EXPECT_GT(expiries[0].timestamp, head) << "stamped before the ledger's last timestamp";
    // An expiry has no caller to answer: a request behind it is answered after it committed.
    const auto settle = [&] { ASSERT_TRUE(engine_->create_accounts({account(1)}).ok); };
    ASSERT_NO_FATAL_FAILURE(settle());
    EXPECT_EQ(committed_balances(1).debits_pending, 0);

    // A new hold is stamped after T0 + 20 s by the ledger's clock: its deadline is T0 + 30 s on.
    Transfer later = transfer(31, 500);
    later.flags = kPending;
    later.timeout = 10;
    ASSERT_EQ(engine_->create_transfers({later}).transfer_results, std::vector<R>{R::kOk});
    clock.set(at(kT0 + 25 * kNanosPerSecond));
    ASSERT_EQ(engine_->create_transfers({transfer(32, 1)}).transfer_results, std::vector<R>{R::kOk})
        << "a batch at T0 + 25 s";
    EXPECT_EQ(store_->expiries().size(), 1U) << "the later hold expired before its deadline";
    EXPECT_EQ(committed_balances(1).debits_pending, 500);
    clock.set(at(kT0 + 31 * kNanosPerSecond));
    ASSERT_TRUE(store_->wait_expiries(2)) << "the later hold never expired";
    expiries = store_->expiries();
    EXPECT_EQ(expiries[1].pending_id, id(31));
    EXPECT_GE(expiries[1].timestamp, head + 10 * kNanosPerSecond);
    EXPECT_GT(expiries[1].timestamp, expiries[0].timestamp);
    ASSERT_NO_FATAL_FAILURE(settle());
    EXPECT_EQ(committed_balances(1).debits_pending, 0);
}

}  // namespace
}  // namespace chelete::ledger
