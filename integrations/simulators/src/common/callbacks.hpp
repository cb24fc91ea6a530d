#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <chelete/platform/clock.hpp>

namespace chelete::simulators {

/// A callback the simulator owes a client: what to POST where and when. The apps only enqueue
/// these (so tests inspect them without a network); CallbackSender signs and delivers them.
struct OutgoingCallback {
    std::string url;
    std::string body;       // raw JSON, signed as sent
    std::string reference;  // the client's idempotency key, for /admin/callbacks
    bool forged = false;    // signed with a wrong secret (and carrying the opposite outcome)
    bool stale = false;     // an earlier, non-final result sent after the final one
    platform::TimePoint due{};
    int attempts = 0;  // attempts made so far
};

/// One delivery attempt, as GET /admin/callbacks lists it. `status` is the receiver's HTTP
/// status, 0 when it could not be reached.
struct CallbackAttempt {
    std::string reference;
    bool forged = false;
    bool stale = false;
    bool delivered = false;
    long status = 0;
};

/// The two signature headers of the partner contract.
struct CallbackSignature {
    std::string timestamp;  // X-Chelete-Timestamp: unix seconds, decimal
    std::string signature;  // X-Chelete-Signature: "v1=" + hex HMAC-SHA256(secret, ts + "." + body)
};

[[nodiscard]] CallbackSignature sign_callback(
    std::string_view secret, std::int64_t unix_seconds, std::string_view body
);

/// Callbacks waiting for their time, and the log of attempts. Thread-safe: apps enqueue from
/// Pistache threads, the sender takes from its own thread.
class CallbackOutbox {
public:
    /// Ignored once closed (the process is stopping: pending callbacks are dropped).
    void enqueue(OutgoingCallback callback);
    /// Every callback not yet attempted (or waiting for a retry), earliest first; equal due times
    /// keep the order they were enqueued in.
    [[nodiscard]] std::vector<OutgoingCallback> pending() const;
    [[nodiscard]] std::vector<CallbackAttempt> attempts() const;

    /// For the sender: the earliest callback due at `now`, removed from the queue.
    [[nodiscard]] std::optional<OutgoingCallback> take_due(platform::TimePoint now);
    void record(CallbackAttempt attempt);
    /// Waits until something may be due: woken by enqueue/close, or after at most `longest`.
    void wait(const platform::Clock& clock, std::chrono::milliseconds longest);
    /// Drops every pending callback and refuses new ones; wakes a waiting sender.
    void close();
    [[nodiscard]] bool closed() const;

private:
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::multimap<platform::TimePoint, OutgoingCallback> queue_;
    std::vector<CallbackAttempt> attempts_;
    bool closed_ = false;
    bool woken_ = false;
};

using CallbackHeaders = std::vector<std::pair<std::string, std::string>>;
/// POSTs `body` with `headers` to `url`; returns the HTTP status, 0 when unreachable. Must give
/// up promptly once `cancel` is set.
using CallbackTransport = std::function<long(
    const std::string& url,
    const CallbackHeaders& headers,
    const std::string& body,
    const std::atomic<bool>& cancel
)>;

/// libcurl transport: 500 ms to connect, 2 s in all, aborted as soon as `cancel` is set.
[[nodiscard]] CallbackTransport curl_transport();

struct CallbackSenderOptions {
    std::string secret;
    /// Further attempts after a non-2xx or unreachable receiver (partner contract: 3, 1 s apart).
    int retries = 3;
    std::chrono::milliseconds retry_interval{1000};
};

/// Delivers due callbacks from the outbox, signed at send time (each attempt carries its own
/// timestamp, so a retry is not a replay). deliver_due() is the whole logic and runs in tests
/// with a fake transport and a manual clock; start() runs it on a thread of its own, never on a
/// reactor thread.
class CallbackSender {
public:
    CallbackSender(
        CallbackOutbox& outbox,
        const platform::Clock& clock,
        CallbackSenderOptions options,
        CallbackTransport transport
    );
    ~CallbackSender();
    CallbackSender(const CallbackSender&) = delete;
    CallbackSender& operator=(const CallbackSender&) = delete;
    CallbackSender(CallbackSender&&) = delete;
    CallbackSender& operator=(CallbackSender&&) = delete;

    /// Attempts every callback due now; returns how many attempts it made.
    std::size_t deliver_due();
    void start();
    /// Drops what is pending, cancels an attempt in flight and joins the thread. Idempotent.
    void stop();

private:
    void run();

    CallbackOutbox& outbox_;
    const platform::Clock& clock_;
    CallbackSenderOptions options_;
    CallbackTransport transport_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace chelete::simulators
