#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <chelete/ledger/engine.hpp>
#include <chelete/platform/api.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/config.hpp>
#include <chelete/platform/settings.hpp>

namespace chelete::ledger {

/// Where the ledger listens and publishes; the gateway and the services that move money read
/// them too, to address the ledger. With several shards (CHELETE_LEDGER_SHARDS) these are shard
/// 0's names and shard k's derive from them (shards.hpp).
struct LedgerStreams {
    std::string command_stream = "ledger.cmd";
    std::string event_stream = "ledger.events";
    std::size_t shards = 1;

    [[nodiscard]] std::string command_stream_of(std::size_t shard) const;
    [[nodiscard]] std::string event_stream_of(std::size_t shard) const;
    /// Every shard's command stream, in shard order.
    [[nodiscard]] std::vector<std::string> command_streams() const;

    static LedgerStreams load(platform::ConfigReader& reader);
};

/// One ledger process: the shard it serves (CHELETE_LEDGER_SHARD) and that shard's names.
struct LedgerSettings {
    std::string schema = "ledger";  // this shard's schema
    LedgerStreams streams;          // this shard's streams (command_stream, event_stream)
    std::size_t shard = 0;
    std::string base_schema = "ledger";  // CHELETE_LEDGER_SCHEMA: shard 0's schema
    LedgerStreams layout;                // every shard: shard 0's stream names and the count
    EngineOptions engine;
    std::size_t query_threads = 2;

    /// The same settings for shard k of the layout (`chelete all` runs every shard).
    [[nodiscard]] LedgerSettings for_shard(std::size_t k) const;

    static LedgerSettings load(platform::ConfigReader& reader);
};

/// Streams and message types of the ledger service (docs/ledger.md "Commands and queries").
namespace messages {
constexpr std::string_view kCreateAccounts = "ledger.create_accounts";
constexpr std::string_view kCreateTransfers = "ledger.create_transfers";
constexpr std::string_view kGetAccount = "ledger.get_account";
constexpr std::string_view kGetAccounts = "ledger.get_accounts";
constexpr std::string_view kListEntries = "ledger.list_entries";
constexpr std::string_view kTrialBalance = "ledger.trial_balance";
constexpr std::string_view kVerify = "ledger.verify";
constexpr std::string_view kGetTransfer = "ledger.get_transfer";
constexpr std::string_view kBatchCommitted = "ledger.batch_committed";
}  // namespace messages

/// The ledger process: the engine, its outbox relay, the `ledger.cmd` consumer and the read side.
///
/// Commands (create accounts / transfers) go to the engine; each command's inbox row and its reply
/// are written in the batch's own transaction, so a redelivered command is recognised and never
/// answered twice, and a reply is never lost. Replies travel through the outbox to the command's
/// reply_to stream; every committed batch also becomes one `ledger.batch_committed` event.
/// Queries are answered directly from committed state and PostgreSQL.
class LedgerService {
public:
    LedgerService(const platform::PlatformSettings& platform, LedgerSettings settings);
    ~LedgerService();
    LedgerService(const LedgerService&) = delete;
    LedgerService& operator=(const LedgerService&) = delete;
    LedgerService(LedgerService&&) = delete;
    LedgerService& operator=(LedgerService&&) = delete;

    /// Migrates the schema, loads the engine (waiting while another instance holds the writer
    /// lock), starts the relay, the consumer and the query workers.
    void start();
    void stop();

    [[nodiscard]] Engine& engine() { return *engine_; }
    /// Answers one query (also what the consumer calls); exposed for tests.
    [[nodiscard]] platform::api::Reply query(const std::string& type, const std::string& payload);

private:
    struct InFlight {
        platform::bus::Message message;
        std::string reply;                // filled in the batch hook
        std::vector<std::string> copies;  // entry ids of the same command delivered again meanwhile
    };

    void consume_loop();
    void handle(std::vector<platform::bus::Message> batch);
    void submit(const platform::bus::Message& message);
    void batch_hook(pqxx::dbtransaction& tx, const Batch& batch);
    void flush_acks();
    void query_loop();

    const platform::PlatformSettings& platform_;
    LedgerSettings settings_;
    std::unique_ptr<platform::PgPool> pool_;
    std::unique_ptr<platform::bus::Outbox> outbox_;
    std::unique_ptr<platform::bus::OutboxRelay> relay_;
    std::unique_ptr<Engine> engine_;
    platform::SystemClock clock_;

    std::mutex inflight_mutex_;
    std::map<std::string, InFlight> inflight_;   // by message id
    std::vector<std::string> acks_;              // entry ids committed, to XACK
    std::vector<platform::bus::Message> retry_;  // commands whose batch failed to commit

    std::mutex queries_mutex_;
    std::condition_variable queries_cv_;
    std::deque<platform::bus::Message> queries_;
    std::vector<std::thread> query_threads_;

    std::atomic<bool> stopping_{false};
    std::thread consumer_;
};

}  // namespace chelete::ledger
