#include "routes.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include <chelete/ledger/service.hpp>

namespace chelete::app {
namespace {

enum class Service : std::uint8_t { kLedger };

struct Route {
    std::string_view operation_id;
    Service service;
    std::string_view type;
};

// One line per forwarded operation: keep in step with api-spec/openapi.yaml.
constexpr std::array<Route, 4> kRoutes{{
    {"getLedgerAccount", Service::kLedger, ledger::messages::kGetAccount},
    {"listLedgerEntries", Service::kLedger, ledger::messages::kListEntries},
    {"getTrialBalance", Service::kLedger, ledger::messages::kTrialBalance},
    {"verifyLedger", Service::kLedger, ledger::messages::kVerify},
}};

const std::string& stream_of(Service service, const ServiceStreams& streams) {
    switch (service) {
        case Service::kLedger:
            return streams.ledger;
    }
    throw std::logic_error("unknown service");
}

}  // namespace

void register_service_routes(gateway::Gateway& gateway, const ServiceStreams& streams) {
    for (const auto& r : kRoutes) {
        gateway.route(std::string{r.operation_id}, gateway.forward(stream_of(r.service, streams), std::string{r.type}));
    }
}

}  // namespace chelete::app
