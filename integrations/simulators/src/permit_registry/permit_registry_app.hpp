#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "common/fault_schedule.hpp"
#include "common/sim_http.hpp"
#include "permit_registry/permit_store.hpp"

namespace chelete::simulators::permit_registry {

struct PermitRegistryOptions {
    /// Every request except GET /healthz must carry it in X-Api-Key.
    std::string api_key;
    FaultRates faults;
    std::uint64_t seed = 1;
    /// Added to every answer of the partner API (/permits/...).
    std::chrono::milliseconds latency{0};
    /// How long a "timeout" fault holds its answer back: longer than any client's timeout.
    std::chrono::milliseconds timeout_hold{30'000};
};

/// What the partner API (/permits/...) has served, for tests that count calls.
struct RequestCounts {
    std::uint64_t total = 0;
    std::uint64_t found = 0;
    std::uint64_t not_found = 0;
    std::uint64_t unauthorized = 0;
    std::uint64_t bad_request = 0;
    std::uint64_t unavailable = 0;  // 503 faults
    std::uint64_t timeout = 0;      // answers held past the client's timeout
    std::uint64_t malformed = 0;    // answers that break the contract on purpose
};

/// The permit-registry simulator as a pure request -> response function (README.md documents the
/// API). Thread-safe; time enters only as SimResponse::delay, which the server honours.
class PermitRegistryApp {
public:
    PermitRegistryApp(PermitRegistryOptions options, const std::vector<SimPermit>& preload);

    [[nodiscard]] SimResponse handle(const SimRequest& request);
    [[nodiscard]] RequestCounts counts() const;

private:
    SimResponse handle_lookup(const SimRequest& request, const std::string& encoded_number);
    SimResponse handle_admin(const SimRequest& request);
    SimResponse malformed_answer(
        const std::string& number, const std::string& surname, std::uint64_t variant
    );
    [[nodiscard]] bool authorised(const SimRequest& request) const;
    void count(std::uint64_t RequestCounts::*outcome);

    PermitRegistryOptions options_;
    PermitStore store_;
    mutable std::mutex mutex_;  // guards schedule_ and counts_
    FaultSchedule schedule_;
    RequestCounts counts_;
};

}  // namespace chelete::simulators::permit_registry
