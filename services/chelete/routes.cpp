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

#include "ledger_fan_out.hpp"

namespace chelete::app {
namespace {

/// The ledger's operations, as a gateway forwards them to one ledger, and how it makes one
/// answer of several shards' (ledger_fan_out.hpp).
struct LedgerRoute {
    std::string_view operation_id;
    std::string_view type;
    gateway::HttpResponse (*combine)(const ShardReplies&);
};

// One line per forwarded operation: keep in step with api-spec/openapi.yaml.
constexpr std::array<LedgerRoute, 4> kLedgerRoutes{{
    {"getLedgerAccount", ledger::messages::kGetAccount, &answer_of_holder},
    {"listLedgerEntries", ledger::messages::kListEntries, &answer_of_holder},
    {"getTrialBalance", ledger::messages::kTrialBalance, &summed_trial_balance},
    {"verifyLedger", ledger::messages::kVerify, &merged_verify_report},
}};

}  // namespace

void register_service_routes(gateway::Gateway& gateway, const ServiceStreams& streams) {
    if (streams.ledger.empty()) {
        throw std::logic_error("no ledger command stream");
    }
    const std::size_t shards = streams.ledger.size();
    for (const auto& r : kLedgerRoutes) {
        if (shards == 1) {
            // One ledger: its answer as it is.
            gateway.route(
                std::string{r.operation_id},
                gateway.forward(streams.ledger.front(), std::string{r.type})
            );
            continue;
        }
        gateway::Gateway::FanOutShape shape;
        if (r.type == ledger::messages::kVerify) {
            shape = [shards](nlohmann::json& envelope, std::size_t index) {
                shape_verify_request(envelope, index, shards);
            };
        }
        gateway.route(
            std::string{r.operation_id},
            gateway.fan_out(streams.ledger, std::string{r.type}, shape, r.combine)
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
