#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <chelete/platform/pg.hpp>
#include <chelete/platform/redis.hpp>

namespace chelete::platform::bus {

/// Settings shared by every bus participant (docs/bus.md explains each).
struct BusOptions {
    RedisOptions redis;
    std::chrono::milliseconds block{2000};        // XREADGROUP BLOCK
    std::size_t read_count = 32;                  // entries per read
    std::chrono::milliseconds claim_idle{30000};  // a pending entry idle this long is reclaimed
    std::chrono::milliseconds claim_interval{5000};
    int max_deliveries = 5;                 // then <stream>.dead
    std::size_t stream_maxlen = 1'000'000;  // MAXLEN ~ on every XADD
    std::size_t reply_maxlen = 10'000;
};

/// A message as it travels on a stream. `id` is stable across republishing (`<schema>:<outbox
/// id>` for outbox messages) and is what consumers dedupe on; `entry_id` is Redis's position.
struct Message {
    std::string stream;
    std::string entry_id;
    std::string id;
    std::string type;
    std::string correlation_id;
    std::string reply_to;
    std::string payload;
    std::int64_t deliveries = 0;  // known for reclaimed entries; 0 = not looked up
    bool deleted = false;         // the entry was trimmed or deleted while pending
};

/// Builds a Message from an XREAD/XREADGROUP/XAUTOCLAIM entry `[id, [field, value, ...]]`.
/// Returns nullopt for a malformed entry (not an array of two, odd field list).
[[nodiscard]] std::optional<Message> parse_entry(
    const std::string& stream, const RedisValue& entry
);
/// The XADD argument list for a message (without the command, key and id).
[[nodiscard]] std::vector<std::string> entry_fields(const Message& message);

struct OutgoingMessage {
    std::string stream;
    std::string type;
    std::string payload;
    std::string correlation_id;  // empty: the thread's current correlation id
    std::string reply_to;
};

/// The transactional outbox of one schema: messages are rows written in the same transaction as
/// the state change that caused them; the relay moves them to Redis after commit.
class Outbox {
public:
    explicit Outbox(std::string schema);
    void enqueue(pqxx::transaction_base& tx, const OutgoingMessage& message) const;
    /// Many messages in one statement, kept in the given order (a batch's replies and events).
    void enqueue_many(pqxx::transaction_base& tx, const std::vector<OutgoingMessage>& messages)
        const;
    /// Wakes the in-process relay; call after committing a transaction that enqueued.
    void wake();
    /// How often enqueue() and enqueue_many() have run in this process, in any transaction. A
    /// caller compares it before and after its transaction to wake the relay only when it wrote
    /// to the outbox (another thread's enqueue in between only makes the wake-up early).
    [[nodiscard]] std::uint64_t enqueued() const {
        return enqueued_.load(std::memory_order_relaxed);
    }
    /// Relay side: waits until woken or the timeout passes; true if woken.
    bool wait_for_work(std::chrono::milliseconds timeout);
    [[nodiscard]] const std::string& schema() const { return schema_; }

private:
    std::string schema_;
    std::string insert_sql_;
    std::string insert_many_sql_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool signalled_ = false;
    mutable std::atomic<std::uint64_t> enqueued_{0};
};

struct RelayOptions {
    std::size_t batch = 500;
    std::chrono::milliseconds poll_interval{200};
    std::chrono::milliseconds sweep_interval{2000};
    /// Entries published longer ago than this and still unacknowledged are checked for existence.
    std::chrono::milliseconds loss_check_age{3000};
    std::chrono::milliseconds retention{std::chrono::hours{72}};
    std::chrono::milliseconds inbox_retention{std::chrono::hours{24 * 7}};
};

struct SweepReport {
    std::size_t delivered = 0;    // rows newly known to be acknowledged by every group
    std::size_t republished = 0;  // rows whose entries Redis lost, queued again
};

/// Moves one schema's outbox rows to their streams. One relay per schema is active at a time
/// (a session advisory lock), so the events of one aggregate keep their order. Besides
/// publishing, it tracks delivery: a row is "delivered" once every consumer group of its stream
/// has acknowledged its entry; a published row whose entry Redis no longer has (flush, restart,
/// trimming) is published again. Consumers dedupe, so republishing is always safe.
class OutboxRelay {
public:
    OutboxRelay(PgPoolOptions pg, Outbox& outbox, BusOptions bus, RelayOptions options = {});
    ~OutboxRelay();
    OutboxRelay(const OutboxRelay&) = delete;
    OutboxRelay& operator=(const OutboxRelay&) = delete;
    OutboxRelay(OutboxRelay&&) = delete;
    OutboxRelay& operator=(OutboxRelay&&) = delete;

    void start();
    void stop();

    // Single steps, for tests and tools (not thread-safe against a started relay). Publishing
    // and sweeping do nothing (0, empty) unless try_become_leader() holds the schema's lock.
    bool try_become_leader();
    std::size_t publish_once();
    SweepReport sweep_once();
    std::size_t prune_once();

private:
    void run();
    void ensure_connection();
    /// Of (row id, entry id) pairs, the row ids whose entries Redis no longer has, sorted.
    std::vector<std::int64_t> missing_entries(
        const std::string& stream, const std::vector<std::pair<std::int64_t, std::string>>& rows
    );

    PgPoolOptions pg_;
    Outbox& outbox_;
    BusOptions bus_;
    RelayOptions options_;
    std::unique_ptr<pqxx::connection> conn_;
    RedisClient redis_;
    bool leader_ = false;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

struct HandlerResult {
    std::optional<std::string> reply;  // sent to the message's reply_to after commit
};

/// Applies one message inside the consumer's transaction. Throwing means "not applied": the
/// transaction part for this message is rolled back and the message is retried later, and
/// dead-lettered after `max_deliveries`.
using Handler = std::function<HandlerResult(pqxx::transaction_base& tx, const Message& message)>;

struct ConsumerOptions {
    std::string stream;
    std::string group;           // also the consumer name in the inbox table
    std::string consumer;        // unique per process and thread; default <group>-<host>-<pid>-<n>
    std::size_t max_batch = 16;  // messages applied per PostgreSQL transaction
};

struct PollReport {
    std::size_t applied = 0;
    std::size_t duplicates = 0;
    std::size_t failed = 0;
    std::size_t dead_lettered = 0;
};

/// One member of a consumer group. Each message's effect and its inbox row commit together; the
/// entry is acknowledged after that commit. At start the consumer re-reads its own pending
/// entries; periodically it claims entries other members left idle (XAUTOCLAIM).
class Consumer {
public:
    Consumer(
        PgPool& pool, Outbox* outbox, BusOptions bus, ConsumerOptions options, Handler handler
    );
    ~Consumer();
    Consumer(const Consumer&) = delete;
    Consumer& operator=(const Consumer&) = delete;
    Consumer(Consumer&&) = delete;
    Consumer& operator=(Consumer&&) = delete;

    void start();
    void stop();

    // Single steps, for tests (not thread-safe against a started consumer).
    PollReport recover_pending();
    PollReport poll_once(std::chrono::milliseconds block);
    PollReport reclaim_once();

    [[nodiscard]] const ConsumerOptions& options() const { return options_; }

private:
    void run();
    void ensure_group();
    std::vector<Message> read(const std::string& from_id, std::chrono::milliseconds block);
    PollReport process(std::vector<Message> batch);
    void after_failure(const Message& message, const std::string& error, PollReport& report);
    void dead_letter(const Message& message, const std::string& error, std::int64_t deliveries);
    std::int64_t delivery_count(const std::string& entry_id);

    PgPool& pool_;
    Outbox* outbox_;
    BusOptions bus_;
    ConsumerOptions options_;
    Handler handler_;
    RedisClient redis_;
    std::string errors_key_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

/// Direct publishing and request/reply for processes without an outbox of their own (the
/// gateway). A request carries a correlation id and this client's reply stream; the owning
/// service answers there after its transaction commits. A request nobody answers in time
/// completes with std::nullopt.
class BusClient {
public:
    BusClient(BusOptions bus, std::string reply_stream);
    ~BusClient();
    BusClient(const BusClient&) = delete;
    BusClient& operator=(const BusClient&) = delete;
    BusClient(BusClient&&) = delete;
    BusClient& operator=(BusClient&&) = delete;

    void start();
    void stop();

    /// XADD now; returns the entry id. Throws RedisIoError when Redis is unreachable.
    std::string publish(const OutgoingMessage& message);

    using ReplyCallback = std::function<void(std::optional<Message> reply)>;
    /// Sends a request; `callback` runs exactly once, on a client thread, with the reply or
    /// std::nullopt after `timeout`. Returns the correlation id.
    std::string request(
        OutgoingMessage message, std::chrono::milliseconds timeout, ReplyCallback callback
    );
    /// Blocking convenience for tools and tests.
    std::optional<Message> request_sync(OutgoingMessage message, std::chrono::milliseconds timeout);

    [[nodiscard]] std::size_t waiting() const;
    [[nodiscard]] const std::string& reply_stream() const { return reply_stream_; }

private:
    struct Waiter {
        ReplyCallback callback;
        std::chrono::steady_clock::time_point deadline;
    };
    void read_replies();
    void expire_waiters();
    std::optional<ReplyCallback> take_waiter(const std::string& correlation_id);
    /// Where the reply reader starts: the reply stream's last id when first asked (after a
    /// start()). Fixed before the first request is sent, so no reply can precede it.
    std::string reply_start();

    BusOptions bus_;
    std::string reply_stream_;
    std::mutex publish_mutex_;
    RedisClient publisher_;
    mutable std::mutex waiters_mutex_;
    std::condition_variable waiters_cv_;
    std::map<std::string, Waiter> waiters_;
    std::mutex reply_start_mutex_;
    std::string reply_start_;  // "" until known
    std::atomic<bool> stopping_{false};
    std::thread reader_;
    std::thread timer_;
};

/// Sends `reply` for `request` to its reply stream (used by consumers after commit).
void send_reply(
    RedisClient& redis, const BusOptions& bus, const Message& request, const std::string& reply
);

/// "<group>-<hostname>-<pid>-<n>": stable for the process, unique across processes.
[[nodiscard]] std::string default_consumer_name(const std::string& group);

/// Parses "1700000000000-3" into (ms, seq).
[[nodiscard]] std::optional<std::pair<std::int64_t, std::int64_t>> parse_entry_id(
    std::string_view id
);

}  // namespace chelete::platform::bus
