#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/faults.hpp>
#include <chelete/platform/logging.hpp>
#include <chelete/platform/metrics.hpp>

namespace chelete::platform::bus {
namespace {

metrics::Family<metrics::Counter>& published_counter() {
    // NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): function-local cache
    static auto& f = metrics::default_registry().counter(
        "chelete_outbox_published_total", "Outbox rows written to their stream", {"schema"}
    );
    return f;
}

metrics::Family<metrics::Counter>& republished_counter() {
    // NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): function-local cache
    static auto& f = metrics::default_registry().counter(
        "chelete_outbox_republished_total",
        "Outbox rows published again because Redis lost their entry",
        {"schema"}
    );
    return f;
}

/// '{1,2,3}' for a bigint[] parameter; numbers only, so nothing needs quoting.
std::string int_array(const std::vector<std::int64_t>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        out += std::to_string(values[i]);
    }
    out += '}';
    return out;
}

struct Watermark {
    std::int64_t ms = 0;
    std::int64_t seq = 0;
};

/// The largest entry id below `id` ("strictly before").
std::optional<Watermark> just_before(std::pair<std::int64_t, std::int64_t> id) {
    if (id.second > 0) {
        return Watermark{id.first, id.second - 1};
    }
    if (id.first > 0) {
        return Watermark{id.first - 1, std::numeric_limits<std::int64_t>::max()};
    }
    return std::nullopt;
}

}  // namespace

Outbox::Outbox(std::string schema) : schema_(std::move(schema)) {
    if (!is_safe_identifier(schema_)) {
        throw std::invalid_argument("Outbox: schema '" + schema_ + "' is not a plain identifier");
    }
    insert_sql_ =
        "INSERT INTO " + schema_ +
        ".outbox (stream, type, correlation_id, reply_to, payload) VALUES ($1, $2, $3, $4, $5)";
    // ROWS FROM ... WITH ORDINALITY keeps the caller's order (a column definition list alone
    // cannot be combined with WITH ORDINALITY).
    insert_many_sql_ =
        "INSERT INTO " + schema_ +
        ".outbox (stream, type, correlation_id, reply_to, payload) "
        "SELECT x.stream, x.type, x.correlation_id, x.reply_to, x.payload FROM ROWS FROM "
        "(json_to_recordset($1::json) AS (stream text, type text, correlation_id text, reply_to "
        "text, "
        "payload text)) WITH ORDINALITY AS x(stream, type, correlation_id, reply_to, payload, n) "
        "ORDER BY x.n";
}

void Outbox::enqueue(pqxx::transaction_base& tx, const OutgoingMessage& message) const {
    const std::string& cid =
        message.correlation_id.empty() ? current_correlation_id() : message.correlation_id;
    tx.exec_params0(
        insert_sql_, message.stream, message.type, cid, message.reply_to, message.payload
    );
    enqueued_.fetch_add(1, std::memory_order_relaxed);
}

void Outbox::enqueue_many(pqxx::transaction_base& tx, const std::vector<OutgoingMessage>& messages)
    const {
    if (messages.empty()) {
        return;
    }
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& m : messages) {
        rows.push_back(
            {{"stream", m.stream},
             {"type", m.type},
             {"correlation_id",
              m.correlation_id.empty() ? current_correlation_id() : m.correlation_id},
             {"reply_to", m.reply_to},
             {"payload", m.payload}}
        );
    }
    tx.exec_params0(
        insert_many_sql_, rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
    );
    enqueued_.fetch_add(1, std::memory_order_relaxed);
}

void Outbox::wake() {
    {
        std::lock_guard lock{mutex_};
        signalled_ = true;
    }
    cv_.notify_all();
}

bool Outbox::wait_for_work(std::chrono::milliseconds timeout) {
    std::unique_lock lock{mutex_};
    const bool woken = cv_.wait_for(lock, timeout, [this] { return signalled_; });
    signalled_ = false;
    return woken;
}

OutboxRelay::OutboxRelay(PgPoolOptions pg, Outbox& outbox, BusOptions bus, RelayOptions options)
    : pg_(std::move(pg)),
      outbox_(outbox),
      bus_(std::move(bus)),
      options_(options),
      redis_(bus_.redis) {
    pg_.schema = outbox_.schema();
}

OutboxRelay::~OutboxRelay() {
    stop();
}

void OutboxRelay::start() {
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void OutboxRelay::stop() {
    stopping_ = true;
    outbox_.wake();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void OutboxRelay::ensure_connection() {
    if (conn_ && conn_->is_open()) {
        return;
    }
    leader_ = false;
    PgPool factory{pg_};
    conn_ = factory.connect_dedicated();
    // The relay reads through partial indexes (outbox_unpublished, outbox_undelivered) that keep
    // an entry for every row that has left the index's predicate until VACUUM removes it: every
    // published message. A bitmap scan, which the planner picks from stale statistics, visits the
    // heap page of each such entry on every poll and never marks it, so a poll cost grew with
    // every message published since the last vacuum. A plain index scan in id order marks the
    // entries of dead rows as it passes (kill_prior_tuple) and later polls skip them. This
    // connection runs only the relay's statements.
    pqxx::nontransaction setup{*conn_};
    setup.exec0("SET enable_bitmapscan = off");
    setup.commit();
}

bool OutboxRelay::try_become_leader() {
    ensure_connection();
    if (leader_) {
        return true;
    }
    pqxx::nontransaction tx{*conn_};
    const auto row = tx.exec_params1(
        "SELECT pg_try_advisory_lock(hashtext('chelete.relay.' || $1))", outbox_.schema()
    );
    leader_ = row[0].as<bool>();
    if (leader_) {
        spdlog::info("outbox relay for schema {} is active", outbox_.schema());
    }
    return leader_;
}

std::size_t OutboxRelay::publish_once() {
    ensure_connection();
    if (!leader_) {
        return 0;  // another relay holds the schema: publishing too would break the order
    }
    const std::string& schema = outbox_.schema();
    pqxx::work tx{*conn_};
    const auto rows = tx.exec_params(
        "SELECT id, stream, type, correlation_id, reply_to, payload FROM " + schema +
            ".outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        static_cast<std::int64_t>(options_.batch)
    );
    if (rows.empty()) {
        return 0;
    }
    for (const auto& row : rows) {
        Message m;
        m.id = schema + ":" + row[0].as<std::string>();
        m.type = row[2].as<std::string>();
        m.correlation_id = row[3].as<std::string>();
        m.reply_to = row[4].as<std::string>();
        m.payload = row[5].as<std::string>();
        std::vector<std::string> args{
            "XADD",
            row[1].as<std::string>(),
            "MAXLEN",
            "~",
            std::to_string(bus_.stream_maxlen),
            "*"};
        for (auto& f : entry_fields(m)) {
            args.push_back(std::move(f));
        }
        redis_.append(args);
    }
    std::vector<std::int64_t> ids;
    std::vector<std::int64_t> entry_ms;
    std::vector<std::int64_t> entry_seq;
    std::string first_error;
    for (const auto& row : rows) {
        const auto reply = redis_.read_reply();
        const auto parsed = reply.is_error() ? std::nullopt : parse_entry_id(reply.str());
        if (!parsed) {
            if (first_error.empty()) {
                first_error = "XADD to " + row[1].as<std::string>() + " answered '" +
                              std::string{reply.str()} + "'";
            }
            continue;
        }
        ids.push_back(row[0].as<std::int64_t>());
        entry_ms.push_back(parsed->first);
        entry_seq.push_back(parsed->second);
    }
    faults::hit("relay.after_xadd");
    if (!ids.empty()) {
        tx.exec_params0(
            "UPDATE " + schema +
                ".outbox o SET published_at = now(), entry_ms = u.ms, entry_seq = u.seq, "
                "publish_count = o.publish_count + 1 "
                "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(id, ms, seq) WHERE "
                "o.id = u.id",
            int_array(ids),
            int_array(entry_ms),
            int_array(entry_seq)
        );
    }
    tx.commit();
    faults::hit("relay.after_mark");
    published_counter().with({schema}).inc(ids.size());
    if (!first_error.empty()) {
        spdlog::error("outbox relay {}: {} (rows stay queued)", schema, first_error);
    }
    return ids.size();
}

SweepReport OutboxRelay::sweep_once() {
    ensure_connection();
    if (!leader_) {
        return {};  // the active relay sweeps; republishing from here could reorder a stream
    }
    const std::string& schema = outbox_.schema();
    SweepReport report;
    std::vector<std::string> streams;
    {
        pqxx::read_transaction tx{*conn_};
        for (const auto& row : tx.exec(
                 "SELECT DISTINCT stream FROM " + schema +
                 ".outbox WHERE published_at IS NOT NULL AND delivered_at IS NULL"
             )) {
            streams.push_back(row[0].as<std::string>());
        }
    }
    for (const auto& stream : streams) {
        // 1. How far has every consumer group acknowledged?
        const auto groups = redis_.command({"XINFO", "GROUPS", stream});
        if (groups.is_error()) {
            // "ERR no such key": the stream is gone (flush, restart without persistence).
            pqxx::work tx{*conn_};
            const auto r = tx.exec_params0(
                "UPDATE " + schema +
                    ".outbox SET published_at = NULL WHERE stream = $1 AND published_at IS "
                    "NOT NULL AND delivered_at IS NULL",
                stream
            );
            tx.commit();
            report.republished += r.affected_rows();
            republished_counter().with({schema}).inc(r.affected_rows());
            spdlog::warn(
                "outbox relay {}: stream {} is missing in Redis; {} undelivered messages queued "
                "again",
                schema,
                stream,
                r.affected_rows()
            );
            continue;
        }
        std::optional<Watermark> watermark;
        bool any_group = false;
        for (std::size_t g = 0; g < groups.value().size(); ++g) {
            const auto info = groups.value()[g];
            std::string name;
            std::int64_t pending = 0;
            std::string last_delivered;
            for (std::size_t i = 0; i + 1 < info.size(); i += 2) {
                const auto key = info[i].str();
                if (key == "name") {
                    name = std::string{info[i + 1].str()};
                } else if (key == "pending") {
                    pending = info[i + 1].integer();
                } else if (key == "last-delivered-id") {
                    last_delivered = std::string{info[i + 1].str()};
                }
            }
            const auto delivered_id = parse_entry_id(last_delivered);
            if (!delivered_id) {
                watermark.reset();
                any_group = false;
                break;
            }
            std::optional<Watermark> group_mark =
                Watermark{delivered_id->first, delivered_id->second};
            if (pending > 0) {
                const auto summary = redis_.command({"XPENDING", stream, name});
                if (summary.is_error() || summary.value().size() < 2) {
                    group_mark.reset();
                } else {
                    const auto first_pending = parse_entry_id(summary.value()[1].str());
                    group_mark = first_pending ? just_before(*first_pending) : std::nullopt;
                    if (group_mark && (group_mark->ms > delivered_id->first ||
                                       (group_mark->ms == delivered_id->first &&
                                        group_mark->seq > delivered_id->second))) {
                        group_mark = Watermark{delivered_id->first, delivered_id->second};
                    }
                }
            }
            if (!group_mark) {
                watermark.reset();
                any_group = false;
                break;
            }
            if (!any_group || group_mark->ms < watermark->ms ||
                (group_mark->ms == watermark->ms && group_mark->seq < watermark->seq)) {
                watermark = group_mark;
            }
            any_group = true;
        }
        if (any_group && watermark) {
            // Passed by every group counts only if the entry is still in the stream: after Redis
            // lost it (restart without persistence, flush), the groups are created again at 0
            // and their last-delivered-id runs past the old ids without having read them.
            std::vector<std::pair<std::int64_t, std::string>> passed;
            {
                pqxx::read_transaction tx{*conn_};
                for (const auto& row : tx.exec_params(
                         "SELECT id, entry_ms, entry_seq FROM " + schema +
                             ".outbox WHERE stream = $1 AND published_at IS NOT NULL AND "
                             "delivered_at IS NULL AND (entry_ms, entry_seq) <= ($2, $3) "
                             "ORDER BY entry_ms, entry_seq LIMIT 5000",
                         stream,
                         watermark->ms,
                         watermark->seq
                     )) {
                    passed.emplace_back(
                        row[0].as<std::int64_t>(),
                        row[1].as<std::string>() + "-" + row[2].as<std::string>()
                    );
                }
            }
            const auto lost = missing_entries(stream, passed);
            std::vector<std::int64_t> delivered;
            for (const auto& [id, entry] : passed) {
                if (!std::binary_search(lost.begin(), lost.end(), id)) {
                    delivered.push_back(id);
                }
            }
            pqxx::work tx{*conn_};
            tx.exec_params0(
                "UPDATE " + schema +
                    ".outbox SET delivered_at = now() WHERE id = ANY($1::bigint[]) AND "
                    "delivered_at IS NULL",
                int_array(delivered)
            );
            if (!lost.empty()) {
                tx.exec_params0(
                    "UPDATE " + schema +
                        ".outbox SET published_at = NULL WHERE id = ANY($1::bigint[]) AND "
                        "delivered_at IS NULL",
                    int_array(lost)
                );
            }
            tx.commit();
            report.delivered += delivered.size();
            if (!lost.empty()) {
                report.republished += lost.size();
                republished_counter().with({schema}).inc(lost.size());
                spdlog::warn(
                    "outbox relay {}: {} entries of {} were passed by every group but are gone "
                    "from Redis (the stream was rebuilt); queued again",
                    schema,
                    lost.size(),
                    stream
                );
            }
        }
        // 2. Are the entries still unacknowledged after a while still in Redis?
        std::vector<std::pair<std::int64_t, std::string>> suspects;
        {
            pqxx::read_transaction tx{*conn_};
            for (const auto& row : tx.exec_params(
                     "SELECT id, entry_ms, entry_seq FROM " + schema +
                         ".outbox WHERE stream = $1 AND published_at IS NOT NULL AND delivered_at "
                         "IS NULL AND "
                         "published_at < now() - make_interval(secs => $2) ORDER BY entry_ms, "
                         "entry_seq LIMIT 1000",
                     stream,
                     static_cast<double>(options_.loss_check_age.count()) / 1000.0
                 )) {
                suspects.emplace_back(
                    row[0].as<std::int64_t>(),
                    row[1].as<std::string>() + "-" + row[2].as<std::string>()
                );
            }
        }
        if (suspects.empty()) {
            continue;
        }
        const auto lost = missing_entries(stream, suspects);
        if (!lost.empty()) {
            pqxx::work tx{*conn_};
            tx.exec_params0(
                "UPDATE " + schema +
                    ".outbox SET published_at = NULL WHERE id = ANY($1::bigint[]) AND delivered_at "
                    "IS NULL",
                int_array(lost)
            );
            tx.commit();
            report.republished += lost.size();
            republished_counter().with({schema}).inc(lost.size());
            spdlog::warn(
                "outbox relay {}: {} entries of {} are missing in Redis; queued again",
                schema,
                lost.size(),
                stream
            );
        }
    }
    return report;
}

std::vector<std::int64_t> OutboxRelay::missing_entries(
    const std::string& stream, const std::vector<std::pair<std::int64_t, std::string>>& rows
) {
    for (const auto& row : rows) {
        redis_.append({"XRANGE", stream, row.second, row.second, "COUNT", "1"});
    }
    std::vector<std::int64_t> lost;
    for (const auto& row : rows) {
        const auto r = redis_.read_reply();
        if (!r.is_error() && r.value().is_array() && r.value().size() == 0) {
            lost.push_back(row.first);
        }
    }
    std::sort(lost.begin(), lost.end());
    return lost;
}

std::size_t OutboxRelay::prune_once() {
    ensure_connection();
    const std::string& schema = outbox_.schema();
    pqxx::work tx{*conn_};
    const auto outbox_rows = tx.exec_params0(
        "DELETE FROM " + schema + ".outbox WHERE id IN (SELECT id FROM " + schema +
            ".outbox WHERE delivered_at < now() - make_interval(secs => $1) LIMIT 10000)",
        static_cast<double>(options_.retention.count()) / 1000.0
    );
    const auto inbox_rows = tx.exec_params0(
        "DELETE FROM " + schema + ".inbox WHERE ctid IN (SELECT ctid FROM " + schema +
            ".inbox WHERE processed_at < now() - make_interval(secs => $1) LIMIT 10000)",
        static_cast<double>(options_.inbox_retention.count()) / 1000.0
    );
    tx.commit();
    return outbox_rows.affected_rows() + inbox_rows.affected_rows();
}

void OutboxRelay::run() {
    CorrelationScope scope{"relay-" + outbox_.schema()};
    auto next_sweep = std::chrono::steady_clock::now();
    auto next_prune = std::chrono::steady_clock::now() + std::chrono::minutes{1};
    int failures = 0;
    while (!stopping_) {
        try {
            if (!try_become_leader()) {
                outbox_.wait_for_work(std::chrono::seconds{1});
                continue;
            }
            std::size_t published = 0;
            do {
                published = publish_once();
            } while (published == options_.batch && !stopping_);
            const auto now = std::chrono::steady_clock::now();
            if (now >= next_sweep) {
                sweep_once();
                next_sweep = now + options_.sweep_interval;
            }
            if (now >= next_prune) {
                prune_once();
                next_prune = now + std::chrono::hours{1};
            }
            failures = 0;
            outbox_.wait_for_work(options_.poll_interval);
        } catch (const std::exception& e) {
            ++failures;
            spdlog::warn("outbox relay {}: {} (retrying)", outbox_.schema(), e.what());
            conn_.reset();
            leader_ = false;
            redis_.disconnect();
            detail::backoff_sleep(std::min(failures + 4, 11));
        }
    }
    conn_.reset();
}

}  // namespace chelete::platform::bus
