#include <charconv>
#include <set>

#include <spdlog/spdlog.h>

#include <chelete/ledger/codec.hpp>
#include <chelete/ledger/pg_store.hpp>
#include <chelete/ledger/service.hpp>
#include <chelete/ledger/shards.hpp>
#include <chelete/ledger/verify.hpp>
#include <chelete/platform/logging.hpp>

namespace chelete::ledger {
namespace {

using nlohmann::json;
namespace api = platform::api;
namespace bus = platform::bus;
using namespace std::chrono_literals;

constexpr std::string_view kConsumerGroup = "ledger";
constexpr std::string_view kConsumerName = "ledger-writer";  // one writer per shard: a stable name

std::optional<std::int64_t> parse_i64(std::string_view text) {
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size()) {
        return std::nullopt;
    }
    return v;
}

Timestamp ns_of(platform::TimePoint t) {
    return static_cast<Timestamp>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count()
    );
}

json balances_json(const Balances& b, Currency c) {
    return json{
        {"debits_pending", codec::money(b.debits_pending, c)},
        {"debits_posted", codec::money(b.debits_posted, c)},
        {"credits_pending", codec::money(b.credits_pending, c)},
        {"credits_posted", codec::money(b.credits_posted, c)}};
}

bool is_command(std::string_view type) {
    return type == messages::kCreateAccounts || type == messages::kCreateTransfers;
}

}  // namespace

LedgerStreams LedgerStreams::load(platform::ConfigReader& r) {
    LedgerStreams s;
    s.command_stream = r.string(
        "CHELETE_LEDGER_COMMAND_STREAM", "ledger.cmd", "Stream the ledger takes commands from"
    );
    s.event_stream = r.string(
        "CHELETE_LEDGER_EVENT_STREAM", "ledger.events", "Stream the ledger publishes batches to"
    );
    s.shards = static_cast<std::size_t>(r.integer(
        "CHELETE_LEDGER_SHARDS",
        1,
        1,
        64,
        "Ledger account shards (docs/scaling.md); shard k > 0 appends _k to the schema and .k to "
        "the streams"
    ));
    return s;
}

std::string LedgerStreams::command_stream_of(std::size_t shard) const {
    return shard_stream(command_stream, shard);
}

std::string LedgerStreams::event_stream_of(std::size_t shard) const {
    return shard_stream(event_stream, shard);
}

std::vector<std::string> LedgerStreams::command_streams() const {
    std::vector<std::string> out;
    for (std::size_t k = 0; k < shards; ++k) {
        out.push_back(command_stream_of(k));
    }
    return out;
}

LedgerSettings LedgerSettings::for_shard(std::size_t k) const {
    LedgerSettings s = *this;
    s.shard = k;
    s.schema = shard_schema(base_schema, k);
    s.streams.command_stream = layout.command_stream_of(k);
    s.streams.event_stream = layout.event_stream_of(k);
    s.streams.shards = 1;
    return s;
}

LedgerSettings LedgerSettings::load(platform::ConfigReader& r) {
    LedgerSettings s;
    s.schema =
        r.string("CHELETE_LEDGER_SCHEMA", "ledger", "PostgreSQL schema of this ledger shard");
    if (!platform::is_safe_identifier(s.schema)) {
        r.problem("CHELETE_LEDGER_SCHEMA='" + s.schema + "' is not a plain lower-case identifier");
        s.schema = "ledger";
    }
    s.base_schema = s.schema;
    s.layout = LedgerStreams::load(r);
    const auto shard = r.integer(
        "CHELETE_LEDGER_SHARD",
        0,
        0,
        63,
        "The shard a `chelete ledger` process serves (0 to CHELETE_LEDGER_SHARDS - 1)"
    );
    if (static_cast<std::size_t>(shard) >= s.layout.shards) {
        r.problem(
            "CHELETE_LEDGER_SHARD=" + std::to_string(shard) +
            " is not below CHELETE_LEDGER_SHARDS=" + std::to_string(s.layout.shards)
        );
    }
    s = s.for_shard(
        static_cast<std::size_t>(shard) < s.layout.shards ? static_cast<std::size_t>(shard) : 0
    );
    s.engine.max_batch_events = static_cast<std::size_t>(r.integer(
        "CHELETE_LEDGER_MAX_BATCH",
        8190,
        1,
        100'000,
        "Most events (accounts + transfers) in one ledger batch"
    ));
    s.engine.max_batch_wait = std::chrono::duration_cast<std::chrono::microseconds>(r.duration(
        "CHELETE_LEDGER_BATCH_WAIT",
        0ms,
        0ms,
        100ms,
        "How long a lone ledger request waits for company before its batch is applied"
    ));
    s.engine.max_uncommitted_batches = static_cast<std::size_t>(r.integer(
        "CHELETE_LEDGER_PIPELINE",
        2,
        1,
        8,
        "Ledger batches applied in memory ahead of the one committing"
    ));
    s.query_threads = static_cast<std::size_t>(
        r.integer("CHELETE_LEDGER_QUERY_THREADS", 2, 1, 32, "Threads answering ledger reads")
    );
    return s;
}

LedgerService::LedgerService(const platform::PlatformSettings& platform, LedgerSettings settings)
    : platform_(platform), settings_(std::move(settings)) {
    pool_ = std::make_unique<platform::PgPool>(
        platform_.pool_options(settings_.schema, settings_.query_threads + 2)
    );
    outbox_ = std::make_unique<bus::Outbox>(settings_.schema);
}

LedgerService::~LedgerService() {
    stop();
}

namespace {

// The schema remembers the layout it was first started in (migration V002); another one is
// refused before a command is taken. A worker's wallet is in shard_of(worker id, N): with another
// N about half the workers would be routed to a shard without their wallet, their balance
// stranded where no process looks. Resharding is not built (docs/scaling.md).
void check_shard_layout(
    pqxx::connection& conn, const std::string& schema, std::size_t shard, std::size_t shards
) {
    pqxx::work tx{conn};
    tx.exec_params(
        "INSERT INTO " + schema +
            ".shard_layout (shard, shards) VALUES ($1, $2) ON CONFLICT (singleton) DO NOTHING",
        static_cast<int>(shard),
        static_cast<int>(shards)
    );
    const auto row = tx.exec1("SELECT shard, shards FROM " + schema + ".shard_layout");
    tx.commit();
    const auto recorded_shard = row[0].as<std::size_t>();
    const auto recorded_shards = row[1].as<std::size_t>();
    if (recorded_shard != shard || recorded_shards != shards) {
        throw std::runtime_error(
            "ledger schema " + schema + " is shard " + std::to_string(recorded_shard) + " of " +
            std::to_string(recorded_shards) + ", but this process is configured as shard " +
            std::to_string(shard) + " of " + std::to_string(shards) +
            " (CHELETE_LEDGER_SHARD, CHELETE_LEDGER_SHARDS): wallets would be looked for in "
            "shards that do not hold them, and resharding is not built (docs/scaling.md)"
        );
    }
}

}  // namespace

void LedgerService::start() {
    {
        auto conn = pool_->connect_dedicated();
        (void)platform::apply_migrations(*conn, settings_.schema, platform::bus_migrations());
        (void)platform::apply_migrations(*conn, settings_.schema, ledger_migrations());
        check_shard_layout(*conn, settings_.schema, settings_.shard, settings_.layout.shards);
    }
    engine_ = std::make_unique<Engine>(
        std::make_unique<PgLedgerStore>(platform_.pool_options(settings_.schema, 1)),
        clock_,
        settings_.engine,
        [this](pqxx::dbtransaction& tx, const Batch& b) { batch_hook(tx, b); }
    );
    engine_->start();
    relay_ = platform_.start_embedded_relay(settings_.schema, *outbox_);
    stopping_ = false;
    for (std::size_t i = 0; i < settings_.query_threads; ++i) {
        query_threads_.emplace_back([this] { query_loop(); });
    }
    consumer_ = std::thread([this] { consume_loop(); });
    spdlog::info(
        "ledger service up (schema {}, stream {})",
        settings_.schema,
        settings_.streams.command_stream
    );
}

void LedgerService::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    queries_cv_.notify_all();
    if (consumer_.joinable()) {
        consumer_.join();
    }
    for (auto& t : query_threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    query_threads_.clear();
    if (engine_) {
        engine_->stop();
    }
    if (relay_) {
        relay_->stop();
    }
}

// ---- the write path
// ------------------------------------------------------------------------------

void LedgerService::batch_hook(pqxx::dbtransaction& tx, const Batch& batch) {
    json inbox_rows = json::array();
    std::vector<bus::OutgoingMessage> out;
    {
        std::lock_guard lock{inflight_mutex_};
        for (const auto& request : batch.requests) {
            const auto it = inflight_.find(request->tag);
            if (it == inflight_.end()) {
                continue;  // submitted directly to the engine, not through the bus
            }
            json results = json::array();
            if (request->kind == Request::Kind::kTransfers) {
                for (std::size_t i = 0; i < request->transfer_results.size(); ++i) {
                    results.push_back(
                        {{"index", i},
                         {"id", request->transfers[i].id.to_string()},
                         {"result", std::string{to_string(request->transfer_results[i])}}}
                    );
                }
            } else {
                for (std::size_t i = 0; i < request->account_results.size(); ++i) {
                    results.push_back(
                        {{"index", i},
                         {"id", request->accounts[i].id.to_string()},
                         {"result", std::string{to_string(request->account_results[i])}}}
                    );
                }
            }
            it->second.reply = api::json(200, json{{"results", results}}).to_payload();
            inbox_rows.push_back({{"message_id", request->tag}, {"reply", it->second.reply}});
            const auto& m = it->second.message;
            if (!m.reply_to.empty()) {
                out.push_back(bus::OutgoingMessage{
                    m.reply_to, m.type + ".reply", it->second.reply, m.correlation_id, ""});
            }
        }
    }
    {
        // Every batch, also one that only answered `exists`: its seq and digest are the chain's
        // head once it commits, and a run of these events has no gaps in seq.
        json transfers = json::array();
        for (const auto& t : batch.delta.transfers) {
            transfers.push_back(codec::to_json(t));
        }
        json expired = json::array();
        for (const auto& e : batch.delta.expiries) {
            expired.push_back(e.pending_id.to_string());
        }
        json accounts = json::array();
        for (const auto& a : batch.delta.accounts) {
            accounts.push_back(a.id.to_string());
        }
        out.push_back(bus::OutgoingMessage{
            settings_.streams.event_stream,
            std::string{messages::kBatchCommitted},
            json{
                {"seq", batch.seq},
                {"digest", digest_hex(batch.digest)},
                {"first_timestamp", batch.first_timestamp},
                {"last_timestamp", batch.last_timestamp},
                {"accounts", accounts},
                {"transfers", transfers},
                {"expired", expired}}
                .dump(),
            "ledger",
            ""});
    }
    if (!inbox_rows.empty()) {
        // A copy of a command can be submitted again after the first copy's batch committed:
        // handle() read the inbox before that commit and found the first copy no longer in
        // flight after it. The engine answers the copy `exists`; its inbox row must not fail
        // the whole batch (which would be retried with the same row for ever).
        tx.exec_params0(
            "INSERT INTO " + settings_.schema +
                ".inbox (consumer, message_id, reply) SELECT $1, x.message_id, x.reply "
                "FROM json_to_recordset($2::json) AS x(message_id text, reply text) "
                "ON CONFLICT DO NOTHING",
            std::string{kConsumerGroup},
            inbox_rows.dump()
        );
    }
    outbox_->enqueue_many(tx, out);
}

void LedgerService::submit(const bus::Message& m) {
    const auto payload = json::parse(m.payload, nullptr, false);
    const auto refuse = [&](const codec::CodecError& e) {
        // Deterministic: the same command always fails the same way, so a direct reply (with a
        // stable id for dedupe) is enough; nothing is stored.
        const auto reply = api::problem(
            422,
            "validation-failed",
            "The ledger command is invalid",
            "",
            {api::FieldError{e.field, e.message}}
        );
        if (!m.reply_to.empty()) {
            platform::RedisClient redis{platform_.bus.redis};
            bus::send_reply(redis, platform_.bus, m, reply.to_payload());
        }
        std::lock_guard lock{inflight_mutex_};
        acks_.push_back(m.entry_id);
    };
    if (payload.is_discarded()) {
        refuse(codec::CodecError{"", "the payload is not JSON"});
        return;
    }
    auto callback = [this, id = m.id](RequestOutcome outcome) {
        std::lock_guard lock{inflight_mutex_};
        const auto it = inflight_.find(id);
        if (it == inflight_.end()) {
            return;
        }
        acks_.insert(acks_.end(), it->second.copies.begin(), it->second.copies.end());
        if (outcome.ok) {
            acks_.push_back(it->second.message.entry_id);
        } else {
            retry_.push_back(it->second.message);
        }
        inflight_.erase(it);
    };
    if (m.type == messages::kCreateTransfers) {
        auto parsed = codec::parse_transfers(payload);
        if (!parsed.ok()) {
            refuse(parsed.error());
            return;
        }
        {
            std::lock_guard lock{inflight_mutex_};
            inflight_[m.id] = InFlight{m, "", {}};
        }
        engine_->submit_transfers(std::move(parsed).value(), m.id, std::move(callback));
    } else {
        auto parsed = codec::parse_accounts(payload);
        if (!parsed.ok()) {
            refuse(parsed.error());
            return;
        }
        {
            std::lock_guard lock{inflight_mutex_};
            inflight_[m.id] = InFlight{m, "", {}};
        }
        engine_->submit_accounts(std::move(parsed).value(), m.id, std::move(callback));
    }
}

void LedgerService::handle(std::vector<bus::Message> batch) {
    std::vector<bus::Message> commands;
    for (auto& m : batch) {
        if (m.deleted) {
            std::lock_guard lock{inflight_mutex_};
            acks_.push_back(m.entry_id);
        } else if (is_command(m.type)) {
            commands.push_back(std::move(m));
        } else {
            std::lock_guard lock{queries_mutex_};
            queries_.push_back(std::move(m));
            queries_cv_.notify_one();
        }
    }
    if (commands.empty()) {
        return;
    }
    // Commands already applied (a redelivery after a crash): their reply went out with their batch.
    // `= ANY(ARRAY(...))` probes the inbox's primary key once per id; `IN (SELECT ...)` was
    // planned as a hash semi-join over every inbox row of the group, a cost that grew with the
    // inbox (7 days of commands) on every batch.
    json ids = json::array();
    for (const auto& m : commands) {
        ids.push_back(m.id);
    }
    std::set<std::string> done;
    platform::with_transaction(*pool_, [&](pqxx::work& tx) {
        for (const auto& r : tx.exec_params(
                 "SELECT message_id FROM inbox WHERE consumer = $1 AND message_id = "
                 "ANY(ARRAY(SELECT json_array_elements_text($2::json)))",
                 std::string{kConsumerGroup},
                 ids.dump()
             )) {
            done.insert(r[0].as<std::string>());
        }
    });
    std::vector<const bus::Message*> to_submit;
    {
        std::lock_guard lock{inflight_mutex_};
        for (const auto& m : commands) {
            if (done.count(m.id) != 0) {
                acks_.push_back(m.entry_id);
            } else if (const auto it = inflight_.find(m.id); it != inflight_.end()) {
                // The same command twice in the stream: the first copy's commit answers both.
                it->second.copies.push_back(m.entry_id);
            } else {
                to_submit.push_back(&m);
            }
        }
    }
    for (const auto* m : to_submit) {
        submit(*m);
    }
}

void LedgerService::flush_acks() {
    std::vector<std::string> acks;
    std::vector<bus::Message> retries;
    {
        std::lock_guard lock{inflight_mutex_};
        acks.swap(acks_);
        retries.swap(retry_);
    }
    if (!acks.empty()) {
        platform::RedisClient redis{platform_.bus.redis};
        std::vector<std::string> args{
            "XACK", settings_.streams.command_stream, std::string{kConsumerGroup}};
        args.insert(args.end(), acks.begin(), acks.end());
        (void)redis.command(args);
    }
    for (const auto& m : retries) {
        submit(m);  // same id: idempotent in the engine and in the inbox
    }
}

void LedgerService::consume_loop() {
    platform::CorrelationScope scope{"ledger-consumer"};
    auto options = platform_.bus.redis;
    options.command_timeout = std::max(options.command_timeout, std::chrono::milliseconds{3000});
    std::unique_ptr<platform::RedisClient> redis;
    // After a (re)start, our own pending list first: we are the shard's only consumer, so what
    // is pending under our name is exactly what a crash may have left unanswered.
    bool reading_pending = true;
    std::string pending_cursor = "0";
    int failures = 0;
    while (!stopping_) {
        try {
            if (!redis) {
                redis = std::make_unique<platform::RedisClient>(options);
                const auto r = redis->command(
                    {"XGROUP",
                     "CREATE",
                     settings_.streams.command_stream,
                     std::string{kConsumerGroup},
                     "0",
                     "MKSTREAM"}
                );
                if (r.is_error() && !r.str().starts_with("BUSYGROUP")) {
                    throw std::runtime_error("XGROUP CREATE: " + std::string{r.str()});
                }
            }
            flush_acks();
            std::vector<std::string> args{
                "XREADGROUP",
                "GROUP",
                std::string{kConsumerGroup},
                std::string{kConsumerName},
                "COUNT",
                "512"};
            if (!reading_pending) {
                args.insert(args.end(), {"BLOCK", "100"});
            }
            args.insert(
                args.end(),
                {"STREAMS",
                 settings_.streams.command_stream,
                 reading_pending ? pending_cursor : ">"}
            );
            const auto reply = redis->command(args);
            if (reply.is_error()) {
                if (reply.str().starts_with("NOGROUP")) {
                    redis.reset();  // Redis lost the group: recreate it
                    continue;
                }
                throw std::runtime_error("XREADGROUP: " + std::string{reply.str()});
            }
            std::vector<bus::Message> batch;
            if (!reply.value().is_nil() && reply.value().size() > 0) {
                const auto entries = reply.value()[0][1];
                for (std::size_t i = 0; i < entries.size(); ++i) {
                    if (auto m = bus::parse_entry(settings_.streams.command_stream, entries[i])) {
                        batch.push_back(std::move(*m));
                    }
                }
            }
            if (reading_pending) {
                if (batch.empty()) {
                    reading_pending = false;
                    continue;
                }
                pending_cursor = batch.back().entry_id;
            }
            handle(std::move(batch));
            failures = 0;
        } catch (const std::exception& e) {
            ++failures;
            spdlog::warn("ledger consumer: {} (retrying)", e.what());
            redis.reset();
            reading_pending = true;
            pending_cursor = "0";
            std::this_thread::sleep_for(std::chrono::milliseconds{std::min(100 * failures, 2000)});
        }
    }
    try {
        flush_acks();
    } catch (const std::exception& e) {
        spdlog::warn("ledger consumer: final acknowledgements failed: {}", e.what());
    }
}

// ---- the read path
// -------------------------------------------------------------------------------

void LedgerService::query_loop() {
    platform::RedisClient redis{platform_.bus.redis};
    while (!stopping_) {
        bus::Message m;
        {
            std::unique_lock lock{queries_mutex_};
            queries_cv_.wait_for(lock, 200ms, [&] { return stopping_ || !queries_.empty(); });
            if (queries_.empty()) {
                continue;
            }
            m = std::move(queries_.front());
            queries_.pop_front();
        }
        platform::CorrelationScope scope{m.correlation_id};
        api::Reply reply;
        try {
            reply = query(m.type, m.payload);
        } catch (const std::exception& e) {
            spdlog::error("ledger query {} failed: {}", m.type, e.what());
            reply = api::problem(
                500, "internal-error", "Internal error", "the ledger could not answer"
            );
        }
        try {
            if (!m.reply_to.empty()) {
                bus::send_reply(redis, platform_.bus, m, reply.to_payload());
            }
            (void)redis.command(
                {"XACK", settings_.streams.command_stream, std::string{kConsumerGroup}, m.entry_id}
            );
        } catch (const std::exception& e) {
            spdlog::warn("ledger query reply lost ({}); the caller retries", e.what());
            redis.disconnect();
        }
    }
}

api::Reply LedgerService::query(const std::string& type, const std::string& payload) {
    const auto request = api::Request::parse(payload);
    const auto plain = json::parse(payload, nullptr, false);
    if (type == messages::kGetAccount) {
        if (!request) {
            return api::problem(400, "bad-request", "Malformed query");
        }
        const auto id = Id128::parse(request->path_param("id"));
        const auto account = id ? engine_->account(*id) : std::nullopt;
        if (!account) {
            return api::not_found("ledger account");
        }
        json body = codec::to_json(*account);
        body["balances"] = balances_json(account->balances, account->currency);
        if (request->query.contains("at")) {
            const auto at = platform::parse_rfc3339(request->query["at"].get<std::string>());
            if (!at) {
                return api::problem(
                    400,
                    "invalid-parameters",
                    "Invalid parameters",
                    "",
                    {api::FieldError{"at", "must be an RFC 3339 date-time"}}
                );
            }
            const auto t = static_cast<std::int64_t>(ns_of(*at));
            body["as_of"] = platform::format_rfc3339(*at);
            platform::with_transaction(*pool_, [&](pqxx::work& tx) {
                if ((account->flags & kHistory) != 0) {
                    const auto r = tx.exec_params(
                        "SELECT debits_pending, debits_posted, credits_pending, credits_posted "
                        "FROM account_balances "
                        "WHERE account_id = $1 AND timestamp <= $2 ORDER BY timestamp DESC LIMIT 1",
                        id->to_string(),
                        t
                    );
                    const Balances b = r.empty() ? Balances{}
                                                 : Balances{
                                                       r[0][0].as<std::int64_t>(),
                                                       r[0][1].as<std::int64_t>(),
                                                       r[0][2].as<std::int64_t>(),
                                                       r[0][3].as<std::int64_t>()};
                    body["balances"] = balances_json(b, account->currency);
                } else {
                    // Without history only posted balances can be rebuilt (from the entries).
                    const auto r = tx.exec_params(
                        "SELECT debits_posted, credits_posted FROM entries WHERE account_id = $1 "
                        "AND timestamp <= $2 "
                        "ORDER BY timestamp DESC LIMIT 1",
                        id->to_string(),
                        t
                    );
                    Balances b;
                    if (!r.empty()) {
                        b.debits_posted = r[0][0].as<std::int64_t>();
                        b.credits_posted = r[0][1].as<std::int64_t>();
                    }
                    body["balances"] = json{
                        {"debits_posted", codec::money(b.debits_posted, account->currency)},
                        {"credits_posted", codec::money(b.credits_posted, account->currency)}};
                }
            });
        }
        return api::json(200, body);
    }
    if (type == messages::kGetAccounts) {
        if (plain.is_discarded() || !plain.contains("ids") || !plain["ids"].is_array() ||
            plain["ids"].size() > 1000) {
            return api::problem(400, "bad-request", "Malformed query");
        }
        json items = json::array();
        for (const auto& raw : plain["ids"]) {
            const auto id = raw.is_string() ? Id128::parse(raw.get<std::string>()) : std::nullopt;
            const auto account = id ? engine_->account(*id) : std::nullopt;
            if (account) {
                json a = codec::to_json(*account);
                a["balances"] = balances_json(account->balances, account->currency);
                a["balances_minor"] = {
                    {"debits_pending", account->balances.debits_pending},
                    {"debits_posted", account->balances.debits_posted},
                    {"credits_pending", account->balances.credits_pending},
                    {"credits_posted", account->balances.credits_posted}};
                items.push_back(a);
            }
        }
        return api::json(200, json{{"items", items}});
    }
    if (type == messages::kListEntries) {
        if (!request) {
            return api::problem(400, "bad-request", "Malformed query");
        }
        const auto id = Id128::parse(request->path_param("id"));
        const auto account = id ? engine_->account(*id) : std::nullopt;
        if (!account) {
            return api::not_found("ledger account");
        }
        const std::int64_t limit = request->query.value("limit", 50);
        std::int64_t after = -1;
        if (request->query.contains("cursor")) {
            const auto c = parse_i64(request->query["cursor"].get<std::string>());
            if (!c) {
                return api::problem(
                    400,
                    "invalid-parameters",
                    "Invalid parameters",
                    "",
                    {api::FieldError{"cursor", "is not a cursor this API issued"}}
                );
            }
            after = *c;
        }
        std::int64_t from = 0;
        std::int64_t to = INT64_MAX;
        for (const char* bound : {"from", "to"}) {
            if (request->query.contains(bound)) {
                const auto t = platform::parse_rfc3339(request->query[bound].get<std::string>());
                if (!t) {
                    return api::problem(
                        400,
                        "invalid-parameters",
                        "Invalid parameters",
                        "",
                        {api::FieldError{bound, "must be an RFC 3339 date-time"}}
                    );
                }
                (std::string{bound} == "from" ? from : to) = static_cast<std::int64_t>(ns_of(*t));
            }
        }
        json items = json::array();
        std::optional<std::int64_t> next;
        platform::with_transaction(*pool_, [&](pqxx::work& tx) {
            const auto rows = tx.exec_params(
                "SELECT e.timestamp, e.transfer_id, e.amount, e.debit, e.debits_posted, "
                "e.credits_posted, t.code, "
                "t.flags, t.user_data_128, CASE WHEN e.debit THEN t.credit_account_id ELSE "
                "t.debit_account_id END "
                "FROM entries e JOIN transfers t ON t.id = e.transfer_id "
                "WHERE e.account_id = $1 AND e.timestamp > $2 AND e.timestamp >= $3 AND "
                "e.timestamp < $4 "
                "ORDER BY e.timestamp LIMIT $5",
                id->to_string(),
                after,
                from,
                to,
                limit + 1
            );
            for (std::size_t i = 0; i < rows.size() && static_cast<std::int64_t>(i) < limit; ++i) {
                const auto& r = rows[i];
                const auto debits = r[4].as<std::int64_t>();
                const auto credits = r[5].as<std::int64_t>();
                items.push_back(
                    {{"timestamp", codec::rfc3339(static_cast<Timestamp>(r[0].as<std::int64_t>()))},
                     {"transfer_id", r[1].as<std::string>()},
                     {"amount", codec::money(r[2].as<std::int64_t>(), account->currency)},
                     {"side", r[3].as<bool>() ? "debit" : "credit"},
                     {"counterparty_account_id", r[9].as<std::string>()},
                     {"code", r[6].as<std::int64_t>()},
                     {"transfer_flags",
                      codec::transfer_flags(static_cast<std::uint16_t>(r[7].as<int>()))},
                     {"user_data_128", r[8].as<std::string>()},
                     {"debits_posted_after", codec::money(debits, account->currency)},
                     {"credits_posted_after", codec::money(credits, account->currency)},
                     {"balance_after", codec::money(credits - debits, account->currency)}}
                );
            }
            if (static_cast<std::int64_t>(rows.size()) > limit) {
                next = rows[static_cast<std::size_t>(limit - 1)][0].as<std::int64_t>();
            }
        });
        return api::json(
            200,
            json{
                {"items", items},
                {"next_cursor", next ? json(std::to_string(*next)) : json(nullptr)},
                {"balance_convention", "balance_after = credits_posted - debits_posted"}}
        );
    }
    if (type == messages::kTrialBalance) {
        struct Line {
            std::int64_t count = 0;
            Balances totals;
        };
        std::map<std::pair<int, std::uint32_t>, Line> lines;
        std::map<int, Balances> per_currency;
        for (const auto& a : engine_->accounts()) {
            auto& l = lines[{static_cast<int>(a.currency), a.code}];
            ++l.count;
            l.totals.debits_pending += a.balances.debits_pending;
            l.totals.debits_posted += a.balances.debits_posted;
            l.totals.credits_pending += a.balances.credits_pending;
            l.totals.credits_posted += a.balances.credits_posted;
            auto& c = per_currency[static_cast<int>(a.currency)];
            c.debits_posted += a.balances.debits_posted;
            c.credits_posted += a.balances.credits_posted;
            c.debits_pending += a.balances.debits_pending;
            c.credits_pending += a.balances.credits_pending;
        }
        json currencies = json::array();
        for (const auto& [currency_code, total] : per_currency) {
            const auto currency = static_cast<Currency>(currency_code);
            json rows = json::array();
            for (const auto& [key, line] : lines) {
                if (key.first != currency_code) {
                    continue;
                }
                const std::int64_t net = line.totals.debits_posted - line.totals.credits_posted;
                rows.push_back(
                    {{"code", key.second},
                     {"accounts", line.count},
                     {"debits_posted", codec::money(line.totals.debits_posted, currency)},
                     {"credits_posted", codec::money(line.totals.credits_posted, currency)},
                     {"debit_balance", codec::money(net > 0 ? net : 0, currency)},
                     {"credit_balance", codec::money(net < 0 ? -net : 0, currency)},
                     {"debits_pending", codec::money(line.totals.debits_pending, currency)},
                     {"credits_pending", codec::money(line.totals.credits_pending, currency)}}
                );
            }
            currencies.push_back(
                {{"currency", std::string{platform::to_string(currency)}},
                 {"lines", rows},
                 {"total_debits_posted", codec::money(total.debits_posted, currency)},
                 {"total_credits_posted", codec::money(total.credits_posted, currency)},
                 {"balanced",
                  total.debits_posted == total.credits_posted &&
                      total.debits_pending == total.credits_pending}}
            );
        }
        return api::json(
            200, json{{"as_of", platform::format_rfc3339(clock_.now())}, {"currencies", currencies}}
        );
    }
    if (type == messages::kVerify) {
        VerifyOptions options;
        // Optional body {"expect_head": {"seq", "digest"}} (the gateway checked it against the
        // spec; other callers on the bus are checked here).
        const json body = request && request->body.is_object() ? request->body : json::object();
        // `shard` names the chain expect_head belongs to; the gateway sends it to that shard.
        if (body.contains("shard") &&
            (!body["shard"].is_number_integer() || body["shard"].get<std::int64_t>() < 0 ||
             static_cast<std::size_t>(body["shard"].get<std::int64_t>()) != settings_.shard)) {
            return api::problem(
                422,
                "validation-failed",
                "The request breaks the rules of this operation",
                "",
                {api::FieldError{"shard", "no such ledger shard"}}
            );
        }
        if (body.contains("expect_head")) {
            const json& h = body["expect_head"];
            const auto digest = h.is_object() && h.contains("digest") && h["digest"].is_string()
                                    ? parse_digest_hex(h["digest"].get<std::string>())
                                    : std::nullopt;
            const bool seq_ok = h.is_object() && h.contains("seq") &&
                                h["seq"].is_number_integer() && h["seq"].get<std::int64_t>() >= 1;
            if (!digest || !seq_ok) {
                return api::problem(
                    422,
                    "validation-failed",
                    "The request breaks the rules of this operation",
                    "",
                    {api::FieldError{"expect_head", "needs seq >= 1 and digest of 64 hex digits"}}
                );
            }
            options.expect_head =
                BatchHead{static_cast<std::uint64_t>(h["seq"].get<std::int64_t>()), *digest};
        }
        const auto started = std::chrono::steady_clock::now();
        const auto report =
            verify_ledger(platform_.pool_options(settings_.schema, 1), engine_.get(), options);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (!report.ok) {
            spdlog::error(
                "ledger verify found {} problems; first: {}",
                report.problems.size(),
                report.problems.empty() ? "" : report.problems.front()
            );
        }
        json answer = to_json(report);
        answer["seconds"] = seconds;
        return api::json(200, answer);
    }
    if (type == messages::kGetTransfer) {
        const auto raw = plain.is_object() && plain.contains("id") && plain["id"].is_string()
                             ? Id128::parse(plain["id"].get<std::string>())
                             : std::nullopt;
        if (!raw) {
            return api::problem(400, "bad-request", "Malformed query");
        }
        std::optional<json> found;
        platform::with_transaction(*pool_, [&](pqxx::work& tx) {
            const auto r = tx.exec_params(
                "SELECT t.debit_account_id, t.credit_account_id, t.amount, t.flags, t.timestamp, "
                "(SELECT p.flags FROM transfers p WHERE p.pending_id = t.id AND p.flags & 12 <> 0 "
                "LIMIT 1), "
                "EXISTS (SELECT 1 FROM expiries x WHERE x.pending_id = t.id) FROM transfers t "
                "WHERE t.id = $1",
                raw->to_string()
            );
            if (r.empty()) {
                return;
            }
            json t{
                {"id", raw->to_string()},
                {"debit_account_id", r[0][0].as<std::string>()},
                {"credit_account_id", r[0][1].as<std::string>()},
                {"amount", r[0][2].as<std::int64_t>()},
                {"flags", codec::transfer_flags(static_cast<std::uint16_t>(r[0][3].as<int>()))},
                {"timestamp", r[0][4].as<std::int64_t>()}};
            if ((r[0][3].as<int>() & kPending) != 0) {
                std::string state = "pending";
                if (!r[0][5].is_null()) {
                    state = (r[0][5].as<int>() & kPostPendingTransfer) != 0 ? "posted" : "voided";
                } else if (r[0][6].as<bool>()) {
                    state = "expired";
                }
                t["pending_state"] = state;
            }
            found = t;
        });
        if (!found) {
            return api::not_found("transfer");
        }
        return api::json(200, *found);
    }
    return api::problem(400, "unknown-message", "Unknown ledger message type", type);
}

}  // namespace chelete::ledger
