#include <spdlog/spdlog.h>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/faults.hpp>
#include <chelete/platform/logging.hpp>
#include <chelete/platform/metrics.hpp>

namespace chelete::platform::bus {
namespace {

struct ConsumerMetrics {
    metrics::Family<metrics::Counter>& outcomes = metrics::default_registry().counter(
        "chelete_bus_messages_total",
        "Stream messages handled, by outcome",
        {"stream", "group", "outcome"}
    );
    metrics::Family<metrics::Histogram>& latency = metrics::default_registry().histogram(
        "chelete_bus_batch_seconds",
        "Time to apply and commit one batch of messages",
        {"stream", "group"}
    );
};

ConsumerMetrics& consumer_metrics() {
    static ConsumerMetrics m;
    return m;
}

enum class Outcome { kApplied, kDuplicate, kFailed };

/// Aborts the transaction of a message that was alone in it and failed (its ItemResult says why).
class LoneMessageFailed final : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ItemResult {
    Outcome outcome = Outcome::kFailed;
    std::optional<std::string> reply;
    std::string error;
};

}  // namespace

Consumer::Consumer(
    PgPool& pool, Outbox* outbox, BusOptions bus, ConsumerOptions options, Handler handler
)
    : pool_(pool),
      outbox_(outbox),
      bus_(std::move(bus)),
      options_(std::move(options)),
      handler_(std::move(handler)),
      redis_(bus_.redis) {
    if (options_.consumer.empty()) {
        options_.consumer = default_consumer_name(options_.group);
    }
    if (options_.max_batch == 0) {
        options_.max_batch = 1;
    }
    // The longest blocking read must end before the socket timeout (STYLE.md §3.3).
    if (bus_.redis.command_timeout <= bus_.block + std::chrono::milliseconds{1000}) {
        bus_.redis.command_timeout = bus_.block + std::chrono::milliseconds{2000};
    }
    errors_key_ = "chelete:bus:errors:" + options_.stream + ":" + options_.group;
}

Consumer::~Consumer() {
    stop();
}

void Consumer::start() {
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void Consumer::stop() {
    stopping_ = true;
    if (thread_.joinable()) {
        thread_.join();
    }
}

void Consumer::ensure_group() {
    // From id 0, never "$": after a Redis flush the relay republishes into a new stream and every
    // entry in it must reach the group.
    const auto r =
        redis_.command({"XGROUP", "CREATE", options_.stream, options_.group, "0", "MKSTREAM"});
    if (r.is_error() && !r.str().starts_with("BUSYGROUP")) {
        throw std::runtime_error(
            "XGROUP CREATE " + options_.stream + " " + options_.group + ": " + std::string{r.str()}
        );
    }
}

std::vector<Message> Consumer::read(const std::string& from_id, std::chrono::milliseconds block) {
    std::vector<std::string> args{
        "XREADGROUP",
        "GROUP",
        options_.group,
        options_.consumer,
        "COUNT",
        std::to_string(bus_.read_count)};
    if (from_id == ">" && block.count() > 0) {
        args.emplace_back("BLOCK");
        args.push_back(std::to_string(block.count()));
    }
    args.emplace_back("STREAMS");
    args.push_back(options_.stream);
    args.push_back(from_id);
    auto reply = redis_.command(args);
    if (reply.is_error()) {
        if (reply.str().starts_with("NOGROUP")) {
            // Redis lost the group (flush or restart): recreate it and read again next round.
            spdlog::warn(
                "consumer group {} on {} is missing; recreating it", options_.group, options_.stream
            );
            ensure_group();
            return {};
        }
        throw std::runtime_error("XREADGROUP " + options_.stream + ": " + std::string{reply.str()});
    }
    std::vector<Message> out;
    const auto v = reply.value();
    if (v.is_nil() || v.size() == 0) {
        return out;
    }
    const auto entries = v[0][1];
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto m = parse_entry(options_.stream, entries[i]);
        if (m) {
            out.push_back(std::move(*m));
        } else {
            spdlog::error("malformed entry on {} ignored", options_.stream);
        }
    }
    return out;
}

std::int64_t Consumer::delivery_count(const std::string& entry_id) {
    const auto r =
        redis_.command({"XPENDING", options_.stream, options_.group, entry_id, entry_id, "1"});
    if (r.is_error() || r.value().size() == 0) {
        return 0;
    }
    return r.value()[0][3].integer();
}

void Consumer::dead_letter(
    const Message& message, const std::string& error, std::int64_t deliveries
) {
    std::vector<std::string> args{
        "XADD",
        options_.stream + ".dead",
        "MAXLEN",
        "~",
        "100000",
        "*",
        "original_entry",
        message.entry_id,
        "group",
        options_.group,
        "error",
        error,
        "deliveries",
        std::to_string(deliveries)};
    for (auto& f : entry_fields(message)) {
        args.push_back(std::move(f));
    }
    redis_.append({"MULTI"});
    redis_.append(args);
    redis_.append({"XACK", options_.stream, options_.group, message.entry_id});
    redis_.append({"HDEL", errors_key_, message.entry_id});
    redis_.append({"EXEC"});
    for (int i = 0; i < 5; ++i) {
        const auto r = redis_.read_reply();
        if (r.is_error()) {
            throw std::runtime_error(
                "dead-lettering " + message.entry_id + " failed: " + std::string{r.str()}
            );
        }
    }
    consumer_metrics().outcomes.with({options_.stream, options_.group, "dead_lettered"}).inc();
    spdlog::error(
        "message {} ({}) on {} moved to {}.dead after {} deliveries: {}",
        message.id,
        message.type,
        options_.stream,
        options_.stream,
        deliveries,
        error
    );
}

void Consumer::after_failure(const Message& message, const std::string& error, PollReport& report) {
    ++report.failed;
    consumer_metrics().outcomes.with({options_.stream, options_.group, "failed"}).inc();
    const std::int64_t deliveries = delivery_count(message.entry_id);
    if (deliveries >= bus_.max_deliveries) {
        dead_letter(message, error, deliveries);
        ++report.dead_lettered;
        return;
    }
    // Left pending: reclaimed after claim_idle and tried again. The error waits for the reaper.
    redis_.append({"HSET", errors_key_, message.entry_id, error});
    redis_.append({"EXPIRE", errors_key_, "604800"});
    (void)redis_.read_reply();
    (void)redis_.read_reply();
    spdlog::warn(
        "message {} ({}) on {} failed (delivery {} of {}): {}",
        message.id,
        message.type,
        options_.stream,
        deliveries,
        bus_.max_deliveries,
        error
    );
}

PollReport Consumer::process(std::vector<Message> batch) {
    PollReport report;
    // Entries trimmed while pending come back without fields: nothing to apply, acknowledge them.
    std::vector<std::string> gone;
    std::erase_if(batch, [&](const Message& m) {
        if (m.deleted) {
            gone.push_back(m.entry_id);
        }
        return m.deleted;
    });
    if (!gone.empty()) {
        std::vector<std::string> args{"XACK", options_.stream, options_.group};
        args.insert(args.end(), gone.begin(), gone.end());
        (void)redis_.command(args);
    }
    // One message in the batch's transaction: its inbox row, then its handler, within a
    // savepoint unless it is alone in the transaction.
    const auto apply_one = [this](
                               pqxx::work& tx, bool alone, const Message& m, ItemResult& result
                           ) {
        CorrelationScope scope{m.correlation_id};
        std::optional<Savepoint> savepoint;
        if (!alone) {
            savepoint.emplace(tx, "msg");
        }
        pqxx::transaction_base& sub =
            savepoint ? static_cast<pqxx::transaction_base&>(*savepoint) : tx;
        try {
            const auto inserted = sub.exec_params0(
                "INSERT INTO inbox (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                options_.group,
                m.id
            );
            if (inserted.affected_rows() == 0) {
                result.outcome = Outcome::kDuplicate;
                if (!m.reply_to.empty()) {
                    const auto row = sub.exec_params1(
                        "SELECT reply FROM inbox WHERE consumer = $1 AND message_id = $2",
                        options_.group,
                        m.id
                    );
                    if (!row[0].is_null()) {
                        result.reply = row[0].as<std::string>();
                    }
                }
                if (savepoint) {
                    savepoint->commit();
                }
                return;
            }
            auto handled = handler_(sub, m);
            if (handled.reply && !m.reply_to.empty()) {
                sub.exec_params0(
                    "UPDATE inbox SET reply = $3 WHERE consumer = $1 AND message_id = $2",
                    options_.group,
                    m.id,
                    *handled.reply
                );
            }
            if (savepoint) {
                savepoint->commit();
            }
            result.outcome = Outcome::kApplied;
            result.reply = std::move(handled.reply);
        } catch (const pqxx::transaction_rollback&) {
            throw;  // serialization failure or deadlock: retry the whole batch
        } catch (const pqxx::broken_connection&) {
            throw;
        } catch (const std::exception& e) {
            result.outcome = Outcome::kFailed;
            result.error = e.what();
            if (alone) {
                throw LoneMessageFailed{result.error};
            }
        }
    };
    const auto started = std::chrono::steady_clock::now();
    for (std::size_t start = 0; start < batch.size(); start += options_.max_batch) {
        const std::size_t end = std::min(batch.size(), start + options_.max_batch);
        std::vector<ItemResult> results;
        const std::uint64_t enqueued_before = outbox_ != nullptr ? outbox_->enqueued() : 0;
        // A message alone in its transaction needs no savepoint: when its handler fails, rolling
        // back the whole transaction undoes exactly what rolling back to the savepoint would (its
        // inbox row and its writes), and there is nothing else to commit. That saves SAVEPOINT and
        // RELEASE, two round trips per message, for most batches below saturation.
        const bool alone = end - start == 1;
        try {
            with_transaction(pool_, [&](pqxx::work& tx) {
                results.assign(end - start, ItemResult{});
                for (std::size_t i = start; i < end; ++i) {
                    apply_one(tx, alone, batch[i], results[i - start]);
                }
            });
        } catch (const LoneMessageFailed&) {
            // Rolled back; results[0] says why, and the failure is handled below as any other.
        }
        faults::hit("consumer.after_commit");
        // Only a batch that wrote to the outbox wakes the relay. Waking it after every commit
        // (a query answered by reply, an SMS stored) made it poll and find nothing: BEGIN,
        // SELECT, ROLLBACK for most batches of the notifier and the registry.
        if (outbox_ != nullptr && outbox_->enqueued() != enqueued_before) {
            outbox_->wake();
        }
        std::vector<std::string> ack{"XACK", options_.stream, options_.group};
        for (std::size_t i = start; i < end; ++i) {
            const Message& m = batch[i];
            const ItemResult& result = results[i - start];
            if (result.outcome == Outcome::kFailed) {
                continue;
            }
            if (!m.reply_to.empty() && result.reply) {
                try {
                    send_reply(redis_, bus_, m, *result.reply);
                } catch (const std::runtime_error& e) {
                    // The requester times out and retries; its retry is answered from the inbox.
                    spdlog::warn("reply to {} lost: {}", m.reply_to, e.what());
                }
            }
            ack.push_back(m.entry_id);
            if (result.outcome == Outcome::kApplied) {
                ++report.applied;
                consumer_metrics()
                    .outcomes.with({options_.stream, options_.group, "applied"})
                    .inc();
            } else {
                ++report.duplicates;
                consumer_metrics()
                    .outcomes.with({options_.stream, options_.group, "duplicate"})
                    .inc();
            }
        }
        if (ack.size() > 3) {
            (void)redis_.command(ack);
        }
        faults::hit("consumer.after_ack");
        for (std::size_t i = start; i < end; ++i) {
            if (results[i - start].outcome == Outcome::kFailed) {
                after_failure(batch[i], results[i - start].error, report);
            }
        }
    }
    consumer_metrics()
        .latency.with({options_.stream, options_.group})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return report;
}

PollReport Consumer::recover_pending() {
    ensure_group();
    PollReport total;
    std::string from = "0";
    for (;;) {
        auto batch = read(from, std::chrono::milliseconds{0});
        if (batch.empty()) {
            break;
        }
        from = batch.back().entry_id;
        const auto r = process(std::move(batch));
        total.applied += r.applied;
        total.duplicates += r.duplicates;
        total.failed += r.failed;
        total.dead_lettered += r.dead_lettered;
        if (total.failed > 0) {
            break;  // failed entries stay in our PEL; the reaper takes them after claim_idle
        }
    }
    return total;
}

PollReport Consumer::poll_once(std::chrono::milliseconds block) {
    return process(read(">", block));
}

PollReport Consumer::reclaim_once() {
    PollReport total;
    std::string cursor = "0-0";
    for (int round = 0; round < 16; ++round) {
        auto reply = redis_.command(
            {"XAUTOCLAIM",
             options_.stream,
             options_.group,
             options_.consumer,
             std::to_string(bus_.claim_idle.count()),
             cursor,
             "COUNT",
             std::to_string(bus_.read_count)}
        );
        if (reply.is_error()) {
            if (reply.str().starts_with("NOGROUP")) {
                ensure_group();
                return total;
            }
            throw std::runtime_error(
                "XAUTOCLAIM " + options_.stream + ": " + std::string{reply.str()}
            );
        }
        const auto v = reply.value();
        if (v.size() < 2) {
            break;
        }
        cursor = std::string{v[0].str()};
        std::vector<Message> claimed;
        for (std::size_t i = 0; i < v[1].size(); ++i) {
            auto m = parse_entry(options_.stream, v[1][i]);
            if (m) {
                claimed.push_back(std::move(*m));
            }
        }
        std::vector<Message> to_process;
        for (auto& m : claimed) {
            m.deliveries = delivery_count(m.entry_id);
            if (m.deliveries > bus_.max_deliveries) {
                const auto last = redis_.command({"HGET", errors_key_, m.entry_id});
                const std::string error = last.value().is_string()
                                              ? std::string{last.str()}
                                              : std::string{"a consumer stopped while applying it"};
                dead_letter(m, error, m.deliveries);
                ++total.dead_lettered;
            } else {
                to_process.push_back(std::move(m));
            }
        }
        if (!to_process.empty()) {
            spdlog::info("reclaimed {} idle messages on {}", to_process.size(), options_.stream);
            const auto r = process(std::move(to_process));
            total.applied += r.applied;
            total.duplicates += r.duplicates;
            total.failed += r.failed;
            total.dead_lettered += r.dead_lettered;
        }
        if (cursor == "0-0") {
            break;
        }
    }
    return total;
}

void Consumer::run() {
    CorrelationScope scope{options_.consumer};
    bool recovered = false;
    auto next_claim = std::chrono::steady_clock::now() + bus_.claim_interval;
    int failures = 0;
    while (!stopping_) {
        try {
            if (!recovered) {
                recover_pending();
                recovered = true;
            }
            // Short blocks so stop() is prompt; an idle read costs one round trip.
            poll_once(std::min(bus_.block, std::chrono::milliseconds{500}));
            if (std::chrono::steady_clock::now() >= next_claim) {
                reclaim_once();
                next_claim = std::chrono::steady_clock::now() + bus_.claim_interval;
            }
            failures = 0;
        } catch (const std::exception& e) {
            ++failures;
            spdlog::warn(
                "consumer {} on {}: {} (retrying)", options_.consumer, options_.stream, e.what()
            );
            redis_.disconnect();
            recovered = false;
            detail::backoff_sleep(std::min(failures + 4, 10));
        }
    }
}

}  // namespace chelete::platform::bus
