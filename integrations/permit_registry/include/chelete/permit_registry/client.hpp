#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <chelete/permit_registry/lookup.hpp>

namespace chelete::permit_registry {

struct PermitRegistryClientOptions {
    /// e.g. "http://127.0.0.1:28001" (no trailing path); http or https only.
    std::string base_url;
    /// Sent as X-Api-Key. Empty sends no key: only for a registry that authenticates otherwise.
    std::string api_key;
    /// Whole-request limit for one attempt (connect, send, wait, read).
    std::chrono::milliseconds timeout{2000};
    /// Connect limit, capped by `timeout`.
    std::chrono::milliseconds connect_timeout{500};
    /// Attempts for answers that are certainly not processed (503, connection refused); >= 1.
    int max_attempts = 3;
    /// Pause before the second attempt, doubled before each further one.
    std::chrono::milliseconds retry_backoff{100};
    /// A larger body is treated as malformed (a permit record is a few hundred bytes).
    std::size_t max_response_bytes = std::size_t{64} * 1024;
};

/// The production adapter for the permit registry (integrations/simulators/README.md documents
/// the API; the simulator stands in for a future official channel). Thread-safe: each lookup
/// borrows an idle libcurl handle, so keep-alive connections are reused across lookups.
///
/// Retries: only 503 and connection refused, which are certain not to have been processed, up to
/// `max_attempts` with a short doubling backoff. A timeout is not retried: the read would be safe
/// to repeat, but a registry that did not answer within the budget is most likely overloaded, a
/// retry doubles the caller's worst-case wait and adds load, and the registry service asks again
/// later anyway. Worst case for one lookup: max_attempts * timeout + the backoffs.
class PermitRegistryClient final : public PermitRegistry {
public:
    /// Throws std::invalid_argument for an unusable configuration (empty or non-http base URL,
    /// max_attempts < 1, non-positive timeout).
    explicit PermitRegistryClient(PermitRegistryClientOptions options);
    ~PermitRegistryClient() override;
    PermitRegistryClient(const PermitRegistryClient&) = delete;
    PermitRegistryClient& operator=(const PermitRegistryClient&) = delete;
    PermitRegistryClient(PermitRegistryClient&&) = delete;
    PermitRegistryClient& operator=(PermitRegistryClient&&) = delete;

    [[nodiscard]] LookupResult lookup(std::string_view number, std::string_view surname) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chelete::permit_registry
