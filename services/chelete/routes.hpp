#pragma once

#include <string>
#include <vector>

#include <chelete/gateway/gateway.hpp>

namespace chelete::app {

/// The command streams of the services the gateway forwards to (from their configuration).
struct ServiceStreams {
    std::vector<std::string> ledger;  // one command stream per ledger shard, in shard order
    std::string registry;
    std::string remittance;
    std::string compliance;
    std::string payout;
    std::string cbank;
    std::string ussd;
};

/// Binds every operation of the spec that a service (not the gateway itself) answers to the
/// stream and message type of that service. The gateway refuses to start if one is missing.
void register_service_routes(gateway::Gateway& gateway, const ServiceStreams& streams);

}  // namespace chelete::app
