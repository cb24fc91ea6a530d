#pragma once

#include <memory>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/config.hpp>
#include <chelete/platform/logging.hpp>
#include <chelete/platform/pg.hpp>

namespace chelete::platform {

/// What every service process needs: where PostgreSQL and Redis are, how to log, bus tuning.
struct PlatformSettings {
    std::string instance_id;
    std::string pg_dsn;
    std::size_t pg_pool_size = 8;
    bus::BusOptions bus;
    bus::RelayOptions relay;
    /// Each service runs its own schema's outbox relay; false leaves every relay to a separate
    /// `chelete relay` process (it polls, since no in-process wake-up reaches it).
    bool embedded_relay = true;
    LogOptions log;
    std::string faults;

    static PlatformSettings load(ConfigReader& reader);

    /// Pool options for a service schema.
    [[nodiscard]] PgPoolOptions pool_options(const std::string& schema, std::size_t size = 0) const;

    /// The schema's outbox relay, started, when relays run in the service's process
    /// (embedded_relay); nullptr when a separate `chelete relay` runs them.
    [[nodiscard]] std::unique_ptr<bus::OutboxRelay> start_embedded_relay(
        const std::string& schema, bus::Outbox& outbox
    ) const;
};

}  // namespace chelete::platform
