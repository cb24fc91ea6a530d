#include <future>

#include <pqxx/except>
#include <spdlog/spdlog.h>

#include <chelete/ledger/engine.hpp>
#include <chelete/platform/logging.hpp>
#include <chelete/platform/metrics.hpp>

namespace chelete::ledger {
namespace {

namespace metrics = platform::metrics;

struct EngineMetrics {
    metrics::Family<metrics::Counter>& batches = metrics::default_registry().counter(
        "chelete_ledger_batches_total", "Ledger batches committed"
    );
    metrics::Family<metrics::Counter>& transfers = metrics::default_registry().counter(
        "chelete_ledger_transfers_total", "Transfers answered, by result", {"result"}
    );
    metrics::Family<metrics::Histogram>& batch_events = metrics::default_registry().histogram(
        "chelete_ledger_batch_events",
        "Events per committed batch",
        {},
        {1, 4, 16, 64, 256, 1024, 4096, 8192}
    );
    metrics::Family<metrics::Histogram>& commit_seconds = metrics::default_registry().histogram(
        "chelete_ledger_commit_seconds", "Time to write and commit one batch"
    );
    metrics::Family<metrics::Counter>& reloads = metrics::default_registry().counter(
        "chelete_ledger_reloads_total", "State reloads after a failed or uncertain commit"
    );
};

EngineMetrics& engine_metrics() {
    static EngineMetrics m;
    return m;
}

std::size_t events_of(const Request& r) {
    return r.kind == Request::Kind::kAccounts ? r.accounts.size() : r.transfers.size();
}

}  // namespace

Engine::Engine(
    std::unique_ptr<LedgerStore> store,
    const platform::Clock& clock,
    EngineOptions options,
    BatchHook hook
)
    : store_(std::move(store)), clock_(clock), options_(options), hook_(std::move(hook)) {
    if (options_.max_uncommitted_batches == 0) {
        options_.max_uncommitted_batches = 1;
    }
}

Engine::~Engine() {
    stop();
}

Timestamp Engine::now_ns() const {
    return static_cast<Timestamp>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch())
            .count()
    );
}

void Engine::start() {
    reload(true);
    {
        std::lock_guard lock{queue_mutex_};
        accepting_ = true;
    }
    stopping_ = false;
    writer_done_ = false;
    writer_ = std::thread([this] { write_loop(); });
    persister_ = std::thread([this] { persist_loop(); });
}

void Engine::stop() {
    {
        std::lock_guard lock{queue_mutex_};
        if (!accepting_ && !writer_.joinable()) {
            return;
        }
        accepting_ = false;
    }
    stopping_ = true;
    queue_cv_.notify_all();
    jobs_cv_.notify_all();
    if (writer_.joinable()) {
        writer_.join();
    }
    if (persister_.joinable()) {
        persister_.join();
    }
}

void Engine::reload(bool at_start) {
    int attempt = 0;
    for (;;) {
        try {
            auto loaded = store_->load();
            LedgerState fresh;
            restore(fresh, loaded);
            state_ = std::move(fresh);
            std::unique_lock lock{committed_mutex_};
            committed_accounts_.clear();
            for (const auto& a : loaded.accounts) {
                committed_accounts_.emplace(a.id, a);
            }
            stats_.last_seq = loaded.last_seq;
            stats_.commit_unconfirmed = false;
            spdlog::info(
                "ledger loaded: {} accounts, {} transfers, {} pending, batch {}",
                loaded.accounts.size(),
                loaded.transfers.size(),
                state_.pending_count(),
                loaded.last_seq
            );
            failed_ = false;
            return;
        } catch (const std::exception& e) {
            ++attempt;
            const bool transient = dynamic_cast<const WriterLockBusy*>(&e) != nullptr ||
                                   dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr;
            if (stopping_ || (at_start && !transient)) {
                throw;
            }
            if (attempt == 1 || attempt % 30 == 0) {
                spdlog::warn("ledger: loading the committed state failed ({}); retrying", e.what());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{std::min(100 * attempt, 2000)});
        }
    }
}

void Engine::submit(std::shared_ptr<Request> request, RequestCallback callback) {
    {
        std::lock_guard lock{queue_mutex_};
        if (accepting_) {
            queued_events_ += events_of(*request);
            queue_.push_back(Pending{std::move(request), std::move(callback)});
            queue_cv_.notify_one();
            return;
        }
    }
    callback(RequestOutcome{false, "the ledger is not running", {}, {}});
}

void Engine::submit_accounts(
    std::vector<Account> accounts, std::string tag, RequestCallback callback
) {
    auto r = std::make_shared<Request>();
    r->kind = Request::Kind::kAccounts;
    r->accounts = std::move(accounts);
    r->tag = std::move(tag);
    submit(std::move(r), std::move(callback));
}

void Engine::submit_transfers(
    std::vector<Transfer> transfers, std::string tag, RequestCallback callback
) {
    auto r = std::make_shared<Request>();
    r->kind = Request::Kind::kTransfers;
    r->transfers = std::move(transfers);
    r->tag = std::move(tag);
    submit(std::move(r), std::move(callback));
}

RequestOutcome Engine::create_accounts(std::vector<Account> accounts) {
    auto p = std::make_shared<std::promise<RequestOutcome>>();
    auto f = p->get_future();
    submit_accounts(std::move(accounts), "", [p](RequestOutcome o) { p->set_value(std::move(o)); });
    return f.get();
}

RequestOutcome Engine::create_transfers(std::vector<Transfer> transfers) {
    auto p = std::make_shared<std::promise<RequestOutcome>>();
    auto f = p->get_future();
    submit_transfers(std::move(transfers), "", [p](RequestOutcome o) {
        p->set_value(std::move(o));
    });
    return f.get();
}

void Engine::write_loop() {
    platform::CorrelationScope scope{"ledger-writer"};
    for (;;) {
        std::vector<Pending> taken;
        {
            std::unique_lock lock{queue_mutex_};
            for (;;) {
                if (!queue_.empty() || stopping_) {
                    break;
                }
                const auto next = state_.next_expiry();
                // The ledger's clock (as expire_due reads it): a wall clock that stepped back
                // does not postpone a deadline the ledger's time has passed.
                const Timestamp now = std::max(now_ns(), state_.last_timestamp());
                if (next && *next <= now) {
                    break;  // a pending transfer is due: expire it even without requests
                }
                const auto wait = next ? std::chrono::nanoseconds{std::min<Timestamp>(
                                             *next - now, 1'000'000'000ULL
                                         )}
                                       : std::chrono::nanoseconds{std::chrono::seconds{1}};
                queue_cv_.wait_for(lock, wait);
            }
            if (stopping_ && queue_.empty()) {
                break;
            }
            // Requests trickling in wait up to max_batch_wait for company, and no longer than it
            // takes for a full batch of events to be queued.
            if (!queue_.empty() && options_.max_batch_wait.count() > 0 &&
                queued_events_ < options_.max_batch_events) {
                queue_cv_.wait_for(lock, options_.max_batch_wait, [&] {
                    return stopping_.load() || queued_events_ >= options_.max_batch_events;
                });
            }
            // At most max_batch_events, except that a request is never split: one larger than
            // that is a batch of its own.
            std::size_t events = 0;
            while (!queue_.empty()) {
                const std::size_t n = events_of(*queue_.front().request);
                if (!taken.empty() && events + n > options_.max_batch_events) {
                    break;
                }
                events += n;
                queued_events_ -= n;
                taken.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        if (failed_) {
            // An earlier batch did not commit (or may not have): wait until the persister has
            // failed everything built on it, then start again from what the store holds.
            {
                std::unique_lock lock{jobs_mutex_};
                jobs_cv_.wait(lock, [&] { return jobs_in_flight_ == 0; });
            }
            try {
                reload(false);
                std::lock_guard lock{committed_mutex_};
                ++stats_.reloads;
                engine_metrics().reloads.with({}).inc();
            } catch (const std::exception& e) {
                for (auto& p : taken) {
                    p.callback(RequestOutcome{
                        false, std::string{"the ledger is unavailable: "} + e.what(), {}, {}});
                }
                continue;
            }
        }
        auto job = std::make_unique<Job>();
        Batch& batch = job->batch;
        const Timestamp now = now_ns();
        const Timestamp before = state_.last_timestamp();
        state_.expire_due(now, batch.delta);
        for (auto& p : taken) {
            Request& r = *p.request;
            if (r.kind == Request::Kind::kAccounts) {
                r.account_results = state_.create_accounts(r.accounts, now, batch.delta);
            } else {
                r.transfer_results = state_.create_transfers(r.transfers, now, batch.delta);
            }
            batch.requests.push_back(p.request);
            job->callbacks.push_back(std::move(p.callback));
        }
        if (batch.requests.empty() && batch.delta.empty()) {
            continue;
        }
        batch.first_timestamp = std::min(before + 1, state_.last_timestamp());
        batch.last_timestamp = state_.last_timestamp();
        job->touched.reserve(batch.delta.touched.size());
        for (const auto& id : batch.delta.touched) {
            job->touched.push_back(*state_.find_account(id));
        }
        for (const auto& a : batch.delta.accounts) {
            if (batch.delta.touched.count(a.id) == 0) {
                job->touched.push_back(*state_.find_account(a.id));
            }
        }
        std::unique_lock lock{jobs_mutex_};
        jobs_cv_.wait(lock, [&] { return jobs_in_flight_ < options_.max_uncommitted_batches; });
        ++jobs_in_flight_;
        jobs_.push_back(std::move(job));
        jobs_cv_.notify_all();
    }
    std::lock_guard lock{jobs_mutex_};
    writer_done_ = true;
    jobs_cv_.notify_all();
}

void Engine::fail_job(Job& job, const std::string& error) {
    for (auto& cb : job.callbacks) {
        cb(RequestOutcome{false, error, {}, {}});
    }
}

void Engine::persist_loop() {
    platform::CorrelationScope scope{"ledger-persister"};
    for (;;) {
        std::unique_ptr<Job> job;
        {
            std::unique_lock lock{jobs_mutex_};
            jobs_cv_.wait(lock, [&] { return !jobs_.empty() || writer_done_; });
            if (jobs_.empty()) {
                return;
            }
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        Batch& batch = job->batch;
        bool committed = false;
        if (failed_) {
            fail_job(
                *job, "the ledger is recovering from a failed commit; retry with the same ids"
            );
        } else if (batch.delta.empty() && !hook_) {
            committed = true;  // nothing to store: only the order of answers matters
        } else {
            {
                // Until the commit is confirmed (below) or the engine has reloaded, the store may
                // hold this batch while last_seq does not name it yet (verify allows for it).
                std::unique_lock lock{committed_mutex_};
                stats_.commit_unconfirmed = true;
            }
            const auto started = std::chrono::steady_clock::now();
            try {
                store_->persist(batch, hook_);
                committed = true;
                engine_metrics().commit_seconds.with({}).observe(
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                        .count()
                );
            } catch (const std::exception& e) {
                spdlog::error(
                    "ledger: batch commit failed ({}); failing {} requests and reloading",
                    e.what(),
                    batch.requests.size()
                );
                failed_ = true;
                fail_job(*job, "the ledger could not commit; retry with the same ids");
            }
        }
        if (committed) {
            std::size_t events = 0;
            std::uint64_t ok = 0;
            {
                std::unique_lock lock{committed_mutex_};
                for (const auto& a : job->touched) {
                    committed_accounts_[a.id] = a;
                }
                ++stats_.batches;
                stats_.requests += batch.requests.size();
                if (batch.seq != 0) {
                    stats_.last_seq = batch.seq;
                }
                stats_.commit_unconfirmed = false;
            }
            for (std::size_t i = 0; i < batch.requests.size(); ++i) {
                Request& r = *batch.requests[i];
                events += events_of(r);
                for (const auto result : r.transfer_results) {
                    ok += result == CreateTransferResult::kOk ? 1 : 0;
                    engine_metrics().transfers.with({std::string{to_string(result)}}).inc();
                }
                job->callbacks[i](RequestOutcome{
                    true, "", std::move(r.account_results), std::move(r.transfer_results)});
            }
            {
                std::unique_lock lock{committed_mutex_};
                stats_.transfers_ok += ok;
            }
            engine_metrics().batches.with({}).inc();
            engine_metrics().batch_events.with({}).observe(static_cast<double>(events));
        }
        std::lock_guard lock{jobs_mutex_};
        --jobs_in_flight_;
        jobs_cv_.notify_all();
    }
}

std::optional<Account> Engine::account(const Id128& id) const {
    std::shared_lock lock{committed_mutex_};
    const auto it = committed_accounts_.find(id);
    if (it == committed_accounts_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::vector<Account> Engine::accounts() const {
    std::shared_lock lock{committed_mutex_};
    std::vector<Account> out;
    out.reserve(committed_accounts_.size());
    for (const auto& [id, a] : committed_accounts_) {
        out.push_back(a);
    }
    return out;
}

EngineStats Engine::stats() const {
    std::shared_lock lock{committed_mutex_};
    return stats_;
}

}  // namespace chelete::ledger
