#include <spdlog/spdlog.h>

#include <chelete/gateway/executor.hpp>

namespace chelete::gateway {

Executor::Executor(std::size_t threads, std::size_t queue_capacity) : capacity_(queue_capacity) {
    for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) {
        threads_.emplace_back([this] { work(); });
    }
}

Executor::~Executor() {
    shutdown();
}

bool Executor::try_submit(std::function<void()> task) {
    {
        std::lock_guard lock{mutex_};
        if (stopping_ || queue_.size() >= capacity_) {
            return false;
        }
        queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
}

void Executor::submit(std::function<void()> task) {
    {
        std::lock_guard lock{mutex_};
        queue_.push_back(std::move(task));
    }
    cv_.notify_one();
}

void Executor::shutdown() {
    {
        std::lock_guard lock{mutex_};
        if (stopping_ && threads_.empty()) {
            return;
        }
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    threads_.clear();
}

std::size_t Executor::queued() const {
    std::lock_guard lock{mutex_};
    return queue_.size();
}

void Executor::work() {
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock{mutex_};
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;
            }
            task = std::move(queue_.front());
            queue_.pop_front();
        }
        try {
            task();
        } catch (const std::exception& e) {
            spdlog::error("executor task failed: {}", e.what());
        }
    }
}

}  // namespace chelete::gateway
