#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <chelete/mobile_money/circuit_breaker.hpp>
#include <chelete/mobile_money/partner.hpp>
#include <chelete/platform/clock.hpp>

namespace chelete::mobile_money {

/// Configuration of the EcoCash disbursement client (docs/partners.md lists the environment
/// variables the payout service reads into it).
struct EcocashClientConfig {
    /// Scheme, host and port (and any path prefix) before "/oauth/token" and "/v1/...".
    std::string base_url;
    /// OAuth client credentials (HTTP Basic on /oauth/token only).
    std::string client_id;
    std::string client_secret;
    /// Where EcoCash posts the result callback (the payout service's callback route).
    std::string notify_url;
    /// Whole-request and connect limits for one attempt, as for M-Pesa.
    std::chrono::milliseconds timeout{10000};
    std::chrono::milliseconds connect_timeout{2000};
    /// A token is fetched again this long before its expires_in runs out.
    std::chrono::seconds token_renew_margin{60};
    int max_attempts = 3;
    std::chrono::milliseconds retry_backoff{200};
    std::chrono::milliseconds max_retry_wait{2000};
    CircuitBreakerOptions breaker;
    std::size_t max_response_bytes = std::size_t{8} * 1024 * 1024;
};

/// The production adapter for EcoCash disbursements (DOMAIN.md §2.3; wire contract in
/// docs/partners.md). Thread-safe, never throws for anything the partner does. Tokens
/// (client-credentials) are cached, fetched again `token_renew_margin` before they expire, and on
/// a 401 invalid_token answer (renew and resend once: certainly not processed). Retry and
/// breaker rules as MpesaClient: a 409 duplicate_correlator, 500, 504 or timeout is kUnknown
/// and never resent.
class EcocashClient final : public PayoutPartner {
public:
    /// Throws std::invalid_argument for an unusable configuration (non-http base or notify URL,
    /// empty client id or secret, max_attempts < 1, non-positive timeouts).
    explicit EcocashClient(
        EcocashClientConfig config, std::shared_ptr<const platform::Clock> clock = nullptr
    );
    ~EcocashClient() override;
    EcocashClient(const EcocashClient&) = delete;
    EcocashClient& operator=(const EcocashClient&) = delete;
    EcocashClient(EcocashClient&&) = delete;
    EcocashClient& operator=(EcocashClient&&) = delete;

    [[nodiscard]] PartnerId id() const override { return PartnerId::kEcocash; }
    [[nodiscard]] SubmitResult submit(const PayoutOrder& order) override;
    [[nodiscard]] StatusResult query(std::string_view reference) override;
    [[nodiscard]] platform::Result<std::vector<StatementLine>, std::string> statement(
        std::string_view date
    ) override;

    [[nodiscard]] CircuitBreaker::State breaker_state() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chelete::mobile_money
