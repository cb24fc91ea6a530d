#include <array>

#include <unistd.h>

#include <chelete/platform/settings.hpp>

namespace chelete::platform {

PlatformSettings PlatformSettings::load(ConfigReader& reader) {
    using std::chrono::milliseconds;
    using namespace std::chrono_literals;
    PlatformSettings s;
    std::array<char, 128> host{};
    (void)gethostname(host.data(), host.size() - 1);
    s.instance_id = reader.string(
        "CHELETE_INSTANCE_ID",
        "",
        "Name of this process in reply streams (default <hostname>-<pid>)"
    );
    if (s.instance_id.empty()) {
        s.instance_id = std::string{host.data()} + "-" + std::to_string(getpid());
    }
    s.pg_dsn = reader.string(
        "CHELETE_PG_DSN",
        "host=127.0.0.1 port=15432 dbname=chelete user=chelete",
        "libpq connection string of the PostgreSQL 15 database"
    );
    s.pg_pool_size = static_cast<std::size_t>(
        reader.integer("CHELETE_PG_POOL_SIZE", 8, 1, 256, "PostgreSQL connections per service pool")
    );
    s.bus.redis.host = reader.string("CHELETE_REDIS_HOST", "127.0.0.1", "Redis 7 host");
    s.bus.redis.port = reader.port("CHELETE_REDIS_PORT", 16379, "Redis 7 port");
    s.bus.redis.password = reader.optional_secret(
        "CHELETE_REDIS_PASSWORD", 8, "Redis AUTH password, if Redis requires one"
    );
    s.bus.block =
        reader.duration("CHELETE_BUS_BLOCK", 2000ms, 10ms, 30000ms, "XREADGROUP BLOCK time");
    s.bus.claim_idle = reader.duration(
        "CHELETE_BUS_CLAIM_IDLE",
        30000ms,
        50ms,
        milliseconds{24h},
        "A pending stream entry idle this long is reclaimed by another consumer"
    );
    s.bus.claim_interval = reader.duration(
        "CHELETE_BUS_CLAIM_INTERVAL",
        5000ms,
        10ms,
        milliseconds{1h},
        "How often each consumer looks for idle entries to reclaim"
    );
    s.bus.max_deliveries = static_cast<int>(reader.integer(
        "CHELETE_BUS_MAX_DELIVERIES",
        5,
        1,
        1000,
        "Deliveries of a failing message before it goes to <stream>.dead"
    ));
    s.bus.stream_maxlen = static_cast<std::size_t>(reader.integer(
        "CHELETE_BUS_STREAM_MAXLEN",
        1'000'000,
        1000,
        1'000'000'000,
        "Approximate cap on each stream's length (MAXLEN ~)"
    ));
    s.relay.poll_interval = reader.duration(
        "CHELETE_RELAY_POLL_INTERVAL",
        200ms,
        1ms,
        60000ms,
        "Outbox poll interval when no in-process wake-up arrives"
    );
    s.embedded_relay = reader.boolean(
        "CHELETE_RELAY_EMBEDDED",
        true,
        "Each service relays its own outbox; false leaves it to a `chelete relay` process"
    );
    s.relay.sweep_interval = reader.duration(
        "CHELETE_RELAY_SWEEP_INTERVAL",
        2000ms,
        10ms,
        milliseconds{1h},
        "How often the relay checks delivery and lost entries"
    );
    s.relay.loss_check_age = reader.duration(
        "CHELETE_RELAY_LOSS_CHECK_AGE",
        3000ms,
        0ms,
        milliseconds{1h},
        "Unacknowledged entries older than this are checked for loss"
    );
    s.relay.retention = reader.duration(
        "CHELETE_OUTBOX_RETENTION",
        milliseconds{72h},
        milliseconds{1h},
        milliseconds{24h * 90},
        "How long delivered outbox rows are kept"
    );
    s.relay.inbox_retention = reader.duration(
        "CHELETE_INBOX_RETENTION",
        milliseconds{24h * 7},
        milliseconds{24h},
        milliseconds{24h * 365},
        "How long inbox (dedupe) rows are kept"
    );
    if (s.relay.inbox_retention < s.relay.retention) {
        reader.problem(
            "CHELETE_INBOX_RETENTION must be at least CHELETE_OUTBOX_RETENTION, or a republished "
            "message "
            "could be applied twice"
        );
    }
    s.log.level = reader.choice(
        "CHELETE_LOG_LEVEL",
        "info",
        {"trace", "debug", "info", "warn", "error", "critical", "off"},
        "Log level"
    );
    s.log.format = reader.choice("CHELETE_LOG_FORMAT", "json", {"json", "text"}, "Log line format");
    s.faults = reader.string(
        "CHELETE_FAULTS", "", "Fault points for crash tests (never set in production)"
    );
    return s;
}

std::unique_ptr<bus::OutboxRelay> PlatformSettings::start_embedded_relay(
    const std::string& schema, bus::Outbox& outbox
) const {
    if (!embedded_relay) {
        return nullptr;
    }
    auto started = std::make_unique<bus::OutboxRelay>(pool_options(schema, 1), outbox, bus, relay);
    started->start();
    return started;
}

PgPoolOptions PlatformSettings::pool_options(const std::string& schema, std::size_t size) const {
    PgPoolOptions o;
    o.dsn = pg_dsn;
    o.schema = schema;
    o.size = size == 0 ? pg_pool_size : size;
    o.application_name = "chelete-" + schema + "-" + instance_id;
    return o;
}

}  // namespace chelete::platform
