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

/// Configuration of the M-Pesa OpenAPI client (docs/partners.md lists the environment variables
/// the payout service reads into it). Nothing here has a production default: URLs, keys and
/// codes come from configuration per environment.
struct MpesaClientConfig {
    /// Scheme, host and port, plus the platform prefix: "https://openapi.m-pesa.com/openapi" in
    /// production, "http://127.0.0.1:<port>/openapi" against the simulator. The client appends
    /// "/ipg/v2/<market_path>/<endpoint>/". http or https only.
    std::string base_url;
    /// The market path segment: Vodacom Lesotho.
    std::string market_path = "vodacomLES";
    /// The API key from the M-Pesa portal (sent only RSA-encrypted).
    std::string api_key;
    /// The portal's RSA public key: PEM ("-----BEGIN PUBLIC KEY-----", SubjectPublicKeyInfo, or
    /// "-----BEGIN RSA PUBLIC KEY-----") or the bare base64 DER the portal shows.
    std::string public_key_pem;
    /// Our B2C shortcode (input_ServiceProviderCode).
    std::string service_provider_code;
    /// The Origin header every call carries.
    std::string origin = "*";
    /// Whole-request limit for one attempt (connect, send, wait, read). A payment that has not
    /// answered by then is reported kUnknown.
    std::chrono::milliseconds timeout{10000};
    /// Connect limit, capped by `timeout`.
    std::chrono::milliseconds connect_timeout{2000};
    /// How long a session lives at the partner (the portal's setting; the simulator's
    /// --session-ttl-s), and how long before that the client fetches a new one. A session the
    /// partner expires earlier is still renewed on its INS-989 answer.
    std::chrono::seconds session_lifetime{3600};
    std::chrono::seconds session_renew_margin{60};
    /// Attempts for answers that are certainly not processed (connection refused, the front
    /// end's plain 503); >= 1. Never applied to a timeout or an unknown-class code.
    int max_attempts = 3;
    /// Pause before the second attempt, doubled before each further one; a Retry-After from the
    /// partner lengthens it, `max_retry_wait` caps it.
    std::chrono::milliseconds retry_backoff{200};
    std::chrono::milliseconds max_retry_wait{2000};
    /// Opens after consecutive unknown outcomes on submit (docs/partners.md).
    CircuitBreakerOptions breaker;
    /// A larger answer is unreadable (partner answers are a few hundred bytes; statements more).
    std::size_t max_response_bytes = std::size_t{8} * 1024 * 1024;
};

/// The production adapter for Vodacom M-Pesa Lesotho's OpenAPI (DOMAIN.md §2.1; the wire
/// contract is in docs/partners.md). Thread-safe: the service calls it from several threads;
/// each call borrows an idle libcurl handle; one session is shared and renewed by one thread at
/// a time. Never throws for anything the partner does (or fails to do).
///
/// Sessions: getSession with the RSA-encrypted API key; the session is cached and fetched again
/// `session_renew_margin` before `session_lifetime` ends, or when a call answers 401 INS-989 (the
/// call was certainly not processed: renew and resend it once). Every call encrypts the session
/// id afresh.
///
/// submit(): the circuit breaker first (open -> kNotSent, no call). Resent only where the
/// request was certainly not processed (connection refused, the plain 503 refusal, INS-989).
/// A timeout, a 5xx, an unknown-class code or INS-10 (duplicate) is kUnknown and never resent:
/// the caller settles it by query() with the same reference.
class MpesaClient final : public PayoutPartner {
public:
    /// Throws std::invalid_argument for an unusable configuration (non-http base URL, empty API
    /// key or service provider code, a public key that is not an RSA key, max_attempts < 1,
    /// non-positive timeouts, a margin not below the lifetime). `clock` (session expiry, the
    /// breaker) defaults to the system clock.
    explicit MpesaClient(
        MpesaClientConfig config, std::shared_ptr<const platform::Clock> clock = nullptr
    );
    ~MpesaClient() override;
    MpesaClient(const MpesaClient&) = delete;
    MpesaClient& operator=(const MpesaClient&) = delete;
    MpesaClient(MpesaClient&&) = delete;
    MpesaClient& operator=(MpesaClient&&) = delete;

    [[nodiscard]] PartnerId id() const override { return PartnerId::kMpesa; }
    /// An order that cannot be valid (PayoutOrder's field rules) is kFailed without a call:
    /// kRecipient for the MSISDN, kOurRequest for the rest.
    [[nodiscard]] SubmitResult submit(const PayoutOrder& order) override;
    /// queryTransactionStatus with a fresh unique ThirdPartyConversationID per query.
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
