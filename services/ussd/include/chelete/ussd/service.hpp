#pragma once
// The USSD service (docs/ussd.md): answers the turns of a beneficiary's USSD session that the
// gateway forwards on ussd.cmd, keeps the sessions in Redis with a TTL, asks the registry and the
// remittance service what it needs over the bus, and sends a finished session's action through
// its outbox after answering (no turn waits on a payout partner).

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/config.hpp>
#include <chelete/platform/pg.hpp>
#include <chelete/platform/redis.hpp>
#include <chelete/platform/settings.hpp>

namespace chelete::ussd {

/// Where the USSD service listens; the gateway reads it too.
struct UssdStreams {
    std::string command_stream = "ussd.cmd";

    static UssdStreams load(platform::ConfigReader& reader);
};

struct UssdSettings {
    std::string schema = "ussd";
    UssdStreams streams;
    /// The command streams of the services it asks and tells, copied by the caller as their
    /// owners read them.
    std::string registry_command = "registry.cmd";
    std::string remit_command = "remit.cmd";
    std::string payout_command = "payout.cmd";
    std::size_t consumers = 2;
    /// A session not continued for this long is forgotten: the next turn of it is told so.
    std::chrono::milliseconds session_ttl{std::chrono::seconds{180}};
    std::string session_prefix = "chelete:ussd:session:";
    /// How long one question to the registry or the remittance service may take.
    std::chrono::milliseconds query_timeout{std::chrono::seconds{3}};

    static UssdSettings load(platform::ConfigReader& reader);
};

namespace messages {
/// The gateway's envelope of POST /v1/ussd (the raw form in `raw_body`).
constexpr std::string_view kHttpRequest = "ussd.http";
}  // namespace messages

[[nodiscard]] std::vector<platform::Migration> ussd_migrations();

class UssdService {
public:
    UssdService(const platform::PlatformSettings& platform, UssdSettings settings);
    ~UssdService();
    UssdService(const UssdService&) = delete;
    UssdService& operator=(const UssdService&) = delete;
    UssdService(UssdService&&) = delete;
    UssdService& operator=(UssdService&&) = delete;

    void migrate();
    /// Migrates, starts the relay, the bus client and the consumers of ussd.cmd.
    void start();
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chelete::ussd
