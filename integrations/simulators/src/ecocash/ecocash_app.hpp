#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include <chelete/platform/clock.hpp>

#include "common/callbacks.hpp"
#include "common/fault_schedule.hpp"
#include "common/payment_book.hpp"
#include "common/sim_http.hpp"

namespace chelete::simulators::ecocash {

struct EcocashOptions {
    std::string client_id;
    std::string client_secret;
    std::chrono::seconds token_ttl{3600};
    std::set<std::string> invalid_msisdns;
    std::int64_t float_minor = 1'000'000'000;  // "10000000.00"
    /// unavailable_ppm = --error-rate, timeout_ppm = --timeout-rate, unknown_ppm = --unknown-rate.
    FaultRates faults;
    CallbackFaultRates callback_faults;
    std::uint64_t seed = 1;
    std::chrono::milliseconds latency{0};
    std::chrono::milliseconds timeout_hold{30'000};
    std::chrono::milliseconds late_callback{50};
};

/// The EcoCash (Pay-Online-like, disbursement variant) simulator as a pure request -> response
/// function (README.md documents the API). Same shape as MpesaApp: injected clock, callbacks into
/// an outbox, one mutex over tokens, book and schedule.
class EcocashApp {
public:
    EcocashApp(EcocashOptions options, const platform::Clock& clock, CallbackOutbox& outbox);

    [[nodiscard]] SimResponse handle(const SimRequest& request);

private:
    SimResponse token(const SimRequest& request);
    SimResponse disburse(const SimRequest& request, const RequestFaults& faults);
    SimResponse status(const std::string& correlator);
    SimResponse statement(const SimRequest& request);
    /// True when the request carries a live bearer token; caller holds mutex_.
    [[nodiscard]] bool authorised(const SimRequest& request, platform::TimePoint now) const;

    EcocashOptions options_;
    const platform::Clock& clock_;
    CallbackOutbox& outbox_;
    std::mutex mutex_;  // guards everything below
    FaultSchedule schedule_;
    std::map<std::string, platform::TimePoint> tokens_;  // token -> issued
    PaymentBook book_;
};

}  // namespace chelete::simulators::ecocash
