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
#include "common/sim_crypto.hpp"
#include "common/sim_http.hpp"

namespace chelete::simulators::mpesa {

inline constexpr std::string_view kBasePath = "/openapi/ipg/v2/vodacomLES";

struct MpesaOptions {
    std::string api_key;
    std::string service_provider_code = "000000";
    std::chrono::seconds session_ttl{3600};
    std::string callback_url;
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

/// The M-Pesa (Vodacom Lesotho OpenAPI-like) simulator as a pure request -> response function
/// (README.md documents the API). Time comes from `clock`; callbacks go to `outbox`, which a
/// CallbackSender drains. Thread-safe: one mutex guards the sessions, the book and the schedule.
class MpesaApp {
public:
    MpesaApp(
        MpesaOptions options,
        const RsaKey& key,
        const platform::Clock& clock,
        CallbackOutbox& outbox
    );

    [[nodiscard]] SimResponse handle(const SimRequest& request);

private:
    SimResponse get_session(const SimRequest& request);
    SimResponse b2c_payment(const SimRequest& request, const RequestFaults& faults);
    SimResponse query_status(const SimRequest& request);
    SimResponse statement(const SimRequest& request);
    SimResponse admin(const SimRequest& request);
    /// The decrypted bearer of `request`, or nullopt when it is missing or does not decrypt.
    [[nodiscard]] std::optional<std::string> bearer_plaintext(const SimRequest& request) const;
    /// True for a live session; caller holds mutex_.
    [[nodiscard]] bool session_alive(const std::string& session_id, platform::TimePoint now) const;

    MpesaOptions options_;
    const RsaKey& key_;
    const platform::Clock& clock_;
    CallbackOutbox& outbox_;
    std::mutex mutex_;  // guards everything below
    FaultSchedule schedule_;
    std::map<std::string, platform::TimePoint> sessions_;  // id -> created
    PaymentBook book_;
};

}  // namespace chelete::simulators::mpesa
