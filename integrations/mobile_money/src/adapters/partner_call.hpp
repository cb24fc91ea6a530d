#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/result.hpp>

#include "adapters/http_transport.hpp"
#include "domain/reply_class.hpp"

// What both partner clients share: a cached credential (M-Pesa session, EcoCash token) renewed
// by one thread at a time, and one call with the only retries allowed: where the request was
// certainly not processed.
namespace chelete::mobile_money::call {

struct RetryPolicy {
    int max_attempts = 3;
    std::chrono::milliseconds backoff{200};
    std::chrono::milliseconds max_wait{2000};
};

/// The pause before attempt `attempt` + 1: backoff doubled per attempt, lengthened to the
/// partner's Retry-After, capped by max_wait.
[[nodiscard]] std::chrono::milliseconds retry_wait(
    const RetryPolicy& policy, int attempt, std::optional<std::chrono::seconds> retry_after
);

struct CredentialFailure {
    /// The partner refused our credentials (bad API key, invalid_client): operations must act.
    bool refused = false;
    std::string code;  // "INS-2", "invalid_client", "connect_failed", "http_503", "timeout", ...
    std::string detail;
};

struct Credential {
    std::string value;
    std::uint64_t generation = 0;
};

struct Fetched {
    std::string value;
    std::chrono::seconds lifetime{0};
};

/// A credential fetched on demand, shared by all threads, fetched again `renew_margin` before its
/// lifetime ends or when a caller reports it stale (by generation, so a burst of 401s renews
/// once). Fetching happens under its own mutex: one fetch at a time, others wait and reuse it.
class CredentialCache {
public:
    using Fetch = std::function<platform::Result<Fetched, CredentialFailure>()>;

    CredentialCache(Fetch fetch, const platform::Clock& clock, std::chrono::seconds renew_margin);

    [[nodiscard]] platform::Result<Credential, CredentialFailure> get(
        std::optional<std::uint64_t> stale_generation = std::nullopt
    );

private:
    [[nodiscard]] std::optional<Credential> usable(std::optional<std::uint64_t> stale) const;

    Fetch fetch_;
    const platform::Clock& clock_;
    std::chrono::seconds renew_margin_;
    mutable std::mutex mutex_;  // guards the fields below
    std::string value_;
    platform::TimePoint renew_at_{};
    std::uint64_t generation_ = 0;
    std::mutex fetch_mutex_;
};

enum class Ending : std::uint8_t {
    kAnswered,      // the partner answered; the caller interprets `response`
    kNotConnected,  // every attempt failed to connect: nothing reached the partner
    kRefused,       // every attempt was refused before processing (plain 503)
    kAuthExpired,   // the credential was refused as expired even after one renewal
    kNoCredential,  // no credential could be had (`credential` says why)
    kTimeout,       // the budget ran out: the request may have been processed
    kTransport,     // reset, broken or oversized answer: the request may have been processed
};

struct Outcome {
    Ending ending = Ending::kTransport;
    http::Response response;
    CredentialFailure credential;
    int attempts = 0;
};

/// One partner call: builds the request with the current credential, sends it, and resends only
/// when it certainly was not processed (not connected, kRefused: up to max_attempts in all;
/// kAuthExpired: renew and resend once). `classify` reads an HTTP answer.
[[nodiscard]] Outcome perform(
    http::Transport& transport,
    CredentialCache& credentials,
    const RetryPolicy& policy,
    const std::function<http::Request(const std::string& credential)>& build,
    const std::function<domain::ReplyClass(const http::Response&)>& classify
);

/// A short text for logs: what happened and after how many attempts.
[[nodiscard]] std::string describe(const Outcome& outcome);

}  // namespace chelete::mobile_money::call
