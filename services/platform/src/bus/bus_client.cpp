#include <future>

#include <spdlog/spdlog.h>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/logging.hpp>
#include <chelete/platform/metrics.hpp>
#include <chelete/platform/random_ids.hpp>

namespace chelete::platform::bus {
namespace {

metrics::Family<metrics::Counter>& request_outcomes() {
    // NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): function-local cache
    static auto& f = metrics::default_registry().counter(
        "chelete_bus_requests_total", "Requests sent over the bus, by outcome", {"outcome"}
    );
    return f;
}

}  // namespace

BusClient::BusClient(BusOptions bus, std::string reply_stream)
    : bus_(std::move(bus)), reply_stream_(std::move(reply_stream)), publisher_(bus_.redis) {}

BusClient::~BusClient() {
    stop();
}

void BusClient::start() {
    stopping_ = false;
    reader_ = std::thread([this] { read_replies(); });
    timer_ = std::thread([this] { expire_waiters(); });
}

void BusClient::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    waiters_cv_.notify_all();
    if (reader_.joinable()) {
        reader_.join();
    }
    if (timer_.joinable()) {
        timer_.join();
    }
    // Whoever still waits gets a timeout now rather than never.
    std::map<std::string, Waiter> rest;
    {
        std::lock_guard lock{waiters_mutex_};
        rest.swap(waiters_);
    }
    for (auto& [cid, waiter] : rest) {
        waiter.callback(std::nullopt);
    }
    {
        std::lock_guard lock{reply_start_mutex_};
        reply_start_.clear();  // a next start() reads after what this life left behind
    }
    try {
        std::lock_guard lock{publish_mutex_};
        (void)publisher_.command({"DEL", reply_stream_});
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): best effort at shutdown
    }
}

std::string BusClient::publish(const OutgoingMessage& message) {
    Message m;
    m.id = new_uuid();
    m.type = message.type;
    m.correlation_id =
        message.correlation_id.empty() ? current_correlation_id() : message.correlation_id;
    m.reply_to = message.reply_to;
    m.payload = message.payload;
    std::vector<std::string> args{
        "XADD", message.stream, "MAXLEN", "~", std::to_string(bus_.stream_maxlen), "*"};
    for (auto& f : entry_fields(m)) {
        args.push_back(std::move(f));
    }
    std::lock_guard lock{publish_mutex_};
    const auto r = publisher_.command(args);
    if (r.is_error()) {
        throw std::runtime_error("XADD " + message.stream + ": " + std::string{r.str()});
    }
    return std::string{r.str()};
}

std::string BusClient::request(
    OutgoingMessage message, std::chrono::milliseconds timeout, ReplyCallback callback
) {
    if (message.correlation_id.empty()) {
        message.correlation_id = new_uuid();
    }
    message.reply_to = reply_stream_;
    std::string cid = message.correlation_id;
    {
        std::lock_guard lock{waiters_mutex_};
        waiters_[cid] = Waiter{std::move(callback), std::chrono::steady_clock::now() + timeout};
    }
    waiters_cv_.notify_all();
    try {
        // The reader must start before this request's reply can arrive: fixed here, not by the
        // reader thread whenever it first runs, which may be after the reply came.
        (void)reply_start();
        publish(message);
    } catch (...) {
        take_waiter(cid);
        throw;
    }
    return cid;
}

std::optional<Message> BusClient::request_sync(
    OutgoingMessage message, std::chrono::milliseconds timeout
) {
    auto promise = std::make_shared<std::promise<std::optional<Message>>>();
    auto future = promise->get_future();
    request(std::move(message), timeout, [promise](std::optional<Message> reply) {
        promise->set_value(std::move(reply));
    });
    return future.get();
}

std::size_t BusClient::waiting() const {
    std::lock_guard lock{waiters_mutex_};
    return waiters_.size();
}

std::optional<BusClient::ReplyCallback> BusClient::take_waiter(const std::string& correlation_id) {
    std::lock_guard lock{waiters_mutex_};
    auto it = waiters_.find(correlation_id);
    if (it == waiters_.end()) {
        return std::nullopt;
    }
    auto cb = std::move(it->second.callback);
    waiters_.erase(it);
    return cb;
}

void BusClient::read_replies() {
    auto options = bus_.redis;
    const std::chrono::milliseconds block{500};
    options.command_timeout = block + std::chrono::milliseconds{2000};
    RedisClient reader{options};
    std::string last_id = "$";
    int failures = 0;
    while (!stopping_) {
        try {
            if (last_id == "$") {
                last_id = reply_start();
            }
            const auto reply = reader.command(
                {"XREAD",
                 "COUNT",
                 "256",
                 "BLOCK",
                 std::to_string(block.count()),
                 "STREAMS",
                 reply_stream_,
                 last_id}
            );
            failures = 0;
            if (reply.is_error() || reply.value().is_nil() || reply.value().size() == 0) {
                continue;
            }
            const auto entries = reply.value()[0][1];
            for (std::size_t i = 0; i < entries.size(); ++i) {
                auto m = parse_entry(reply_stream_, entries[i]);
                if (!m) {
                    continue;
                }
                last_id = m->entry_id;
                if (auto cb = take_waiter(m->correlation_id)) {
                    request_outcomes().with({"answered"}).inc();
                    CorrelationScope scope{m->correlation_id};
                    try {
                        (*cb)(std::move(*m));
                    } catch (const std::exception& e) {
                        spdlog::error("reply callback failed: {}", e.what());
                    }
                }
            }
        } catch (const std::exception& e) {
            ++failures;
            spdlog::warn("reply reader on {}: {}", reply_stream_, e.what());
            detail::backoff_sleep(std::min(failures + 4, 10));
        }
    }
}

std::string BusClient::reply_start() {
    std::lock_guard lock{reply_start_mutex_};
    if (!reply_start_.empty()) {
        return reply_start_;
    }
    // After whatever the stream holds now; a stream that does not exist yet starts at 0-0.
    std::string start = "0-0";
    RedisReply info = [&] {
        std::lock_guard publish_lock{publish_mutex_};
        return publisher_.command({"XINFO", "STREAM", reply_stream_});
    }();
    if (!info.is_error()) {
        for (std::size_t i = 0; i + 1 < info.value().size(); i += 2) {
            if (info.value()[i].str() == "last-generated-id") {
                start = std::string{info.value()[i + 1].str()};
            }
        }
    }
    reply_start_ = start;
    return reply_start_;
}

void BusClient::expire_waiters() {
    std::unique_lock lock{waiters_mutex_};
    while (!stopping_) {
        auto earliest = std::chrono::steady_clock::now() + std::chrono::milliseconds{200};
        std::vector<ReplyCallback> expired;
        const auto now = std::chrono::steady_clock::now();
        for (auto it = waiters_.begin(); it != waiters_.end();) {
            if (it->second.deadline <= now) {
                expired.push_back(std::move(it->second.callback));
                it = waiters_.erase(it);
            } else {
                earliest = std::min(earliest, it->second.deadline);
                ++it;
            }
        }
        if (!expired.empty()) {
            lock.unlock();
            for (auto& cb : expired) {
                request_outcomes().with({"timed_out"}).inc();
                try {
                    cb(std::nullopt);
                } catch (const std::exception& e) {
                    spdlog::error("timeout callback failed: {}", e.what());
                }
            }
            lock.lock();
            continue;
        }
        waiters_cv_.wait_until(lock, earliest);
    }
}

}  // namespace chelete::platform::bus
