#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace chelete::gateway {

/// A fixed pool of worker threads with a bounded queue, so blocking work (PostgreSQL, Redis)
/// never runs on Pistache's reactor threads and overload turns into 503s instead of latency.
class Executor {
public:
    Executor(std::size_t threads, std::size_t queue_capacity);
    ~Executor();
    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;
    Executor(Executor&&) = delete;
    Executor& operator=(Executor&&) = delete;

    /// Queues new work; false when the queue is full (the caller answers 503).
    [[nodiscard]] bool try_submit(std::function<void()> task);
    /// Queues a continuation of admitted work (finishing a response); never refused.
    void submit(std::function<void()> task);
    /// Stops accepting, runs what is queued, joins.
    void shutdown();
    [[nodiscard]] std::size_t queued() const;

private:
    void work();

    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace chelete::gateway
