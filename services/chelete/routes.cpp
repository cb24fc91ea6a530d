#include "routes.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include <chelete/central_bank/service.hpp>
#include <chelete/compliance/service.hpp>
#include <chelete/ledger/service.hpp>
#include <chelete/payout/service.hpp>
#include <chelete/registry/service.hpp>
#include <chelete/remittance/service.hpp>
#include <chelete/ussd/service.hpp>

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
        gateway.route(
            std::string{r.operation_id},
            gateway.forward(stream_of(r.service, streams), std::string{r.type})
        );
    }
    // The registry answers all its operations from one message type (the envelope names the
    // operation); login goes through the token exchange so the gateway signs the token.
    const std::string registry_type{registry::messages::kHttpRequest};
    for (const auto& operation : registry::registry_operations()) {
        gateway.route(
            operation,
            operation == "issueToken" ? gateway.token_exchange(streams.registry, registry_type)
                                      : gateway.forward(streams.registry, registry_type)
        );
    }
    const std::string remit_type{remittance::messages::kHttpRequest};
    for (const auto& operation : remittance::remittance_operations()) {
        gateway.route(operation, gateway.forward(streams.remittance, remit_type));
    }
    const std::string compliance_type{compliance::messages::kHttpRequest};
    for (const auto& operation : compliance::compliance_operations()) {
        gateway.route(operation, gateway.forward(streams.compliance, compliance_type));
    }
    const std::string payout_type{payout::messages::kHttpRequest};
    for (const auto& operation : payout::payout_operations()) {
        gateway.route(
            operation,
            gateway.forward(
                payout::is_counter_operation(operation) ? payout::counter_stream(streams.payout)
                                                        : streams.payout,
                payout_type
            )
        );
    }
    // The USSD aggregator's turns (the gateway checks its credential; the form goes raw).
    gateway.route(
        "ussdTurn", gateway.forward(streams.ussd, std::string{ussd::messages::kHttpRequest})
    );
    const std::string cbank_type{central_bank::messages::kHttpRequest};
    for (const auto& operation : central_bank::cbank_operations()) {
        gateway.route(operation, gateway.forward(streams.cbank, cbank_type));
    }
}

}  // namespace chelete::app
