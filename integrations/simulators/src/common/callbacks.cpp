#include "common/callbacks.hpp"

#include <algorithm>

#include "common/sim_crypto.hpp"

namespace chelete::simulators {

CallbackSignature sign_callback(
    std::string_view secret, std::int64_t unix_seconds, std::string_view body
) {
    CallbackSignature out;
    out.timestamp = std::to_string(unix_seconds);
    std::string signed_text = out.timestamp;
    signed_text += '.';
    signed_text += body;
    out.signature = "v1=" + hmac_sha256_hex(secret, signed_text);
    return out;
}

void CallbackOutbox::enqueue(OutgoingCallback callback) {
    {
        const std::lock_guard lock{mutex_};
        if (closed_) {
            return;
        }
        const auto due = callback.due;
        queue_.emplace(due, std::move(callback));
        woken_ = true;
    }
    wake_.notify_all();
}

std::vector<OutgoingCallback> CallbackOutbox::pending() const {
    const std::lock_guard lock{mutex_};
    std::vector<OutgoingCallback> out;
    out.reserve(queue_.size());
    for (const auto& entry : queue_) {
        out.push_back(entry.second);
    }
    return out;
}

std::vector<CallbackAttempt> CallbackOutbox::attempts() const {
    const std::lock_guard lock{mutex_};
    return attempts_;
}

std::optional<OutgoingCallback> CallbackOutbox::take_due(platform::TimePoint now) {
    const std::lock_guard lock{mutex_};
    if (queue_.empty() || queue_.begin()->first > now) {
        return std::nullopt;
    }
    // Moved out and erased, not extract()ed: g++ -O3 reads the node handle's optional storage as
    // a possible null dereference (-Wnull-dereference) and the Release build refuses it.
    const auto first = queue_.begin();
    OutgoingCallback due = std::move(first->second);
    queue_.erase(first);
    return due;
}

void CallbackOutbox::record(CallbackAttempt attempt) {
    const std::lock_guard lock{mutex_};
    attempts_.push_back(std::move(attempt));
}

void CallbackOutbox::wait(const platform::Clock& clock, std::chrono::milliseconds longest) {
    std::unique_lock lock{mutex_};
    if (closed_) {
        return;
    }
    auto timeout = longest;
    if (!queue_.empty()) {
        const auto until_due = std::chrono::duration_cast<std::chrono::milliseconds>(
            queue_.begin()->first - clock.now()
        );
        timeout = std::clamp(until_due, std::chrono::milliseconds{0}, longest);
    }
    if (timeout.count() > 0 && !woken_) {
        wake_.wait_for(lock, timeout, [this] { return woken_ || closed_; });
    }
    woken_ = false;
}

void CallbackOutbox::close() {
    {
        const std::lock_guard lock{mutex_};
        closed_ = true;
        queue_.clear();
    }
    wake_.notify_all();
}

bool CallbackOutbox::closed() const {
    const std::lock_guard lock{mutex_};
    return closed_;
}

CallbackSender::CallbackSender(
    CallbackOutbox& outbox,
    const platform::Clock& clock,
    CallbackSenderOptions options,
    CallbackTransport transport
)
    : outbox_(outbox),
      clock_(clock),
      options_(std::move(options)),
      transport_(std::move(transport)) {}

CallbackSender::~CallbackSender() {
    stop();
}

std::size_t CallbackSender::deliver_due() {
    std::size_t made = 0;
    while (!stopping_) {
        auto callback = outbox_.take_due(clock_.now());
        if (!callback) {
            break;
        }
        const auto seconds =
            std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch())
                .count();
        // A forged copy is signed with a key that is not the shared secret: well-formed, wrong.
        const auto signature = sign_callback(
            callback->forged ? options_.secret + "-forged" : options_.secret,
            seconds,
            callback->body
        );
        const CallbackHeaders headers{
            {"Content-Type", "application/json"},
            {"X-Chelete-Timestamp", signature.timestamp},
            {"X-Chelete-Signature", signature.signature}};
        const long status = transport_(callback->url, headers, callback->body, stopping_);
        ++made;
        ++callback->attempts;
        const bool delivered = status >= 200 && status < 300;
        outbox_.record(CallbackAttempt{
            callback->reference, callback->forged, callback->stale, delivered, status});
        if (!delivered && callback->attempts <= options_.retries && !stopping_) {
            callback->due = clock_.now() + options_.retry_interval;
            outbox_.enqueue(std::move(*callback));
        }
    }
    return made;
}

void CallbackSender::start() {
    thread_ = std::thread([this] { run(); });
}

void CallbackSender::run() {
    constexpr std::chrono::milliseconds kLongestWait{200};
    while (!stopping_) {
        deliver_due();
        outbox_.wait(clock_, kLongestWait);
    }
}

void CallbackSender::stop() {
    stopping_ = true;
    outbox_.close();
    if (thread_.joinable()) {
        thread_.join();
    }
}

}  // namespace chelete::simulators
