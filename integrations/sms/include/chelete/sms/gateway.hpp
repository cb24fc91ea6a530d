#pragma once

// The SMS gateway port and its libcurl adapter (the wire contract: docs/notifier.md "Gateway";
// integrations/simulators' `chelete-simulator sms` implements the same contract).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace chelete::sms {

struct OutgoingSms {
    std::string to;    // E.164 with '+'; the adapter sends the digits
    std::string from;  // the sender id shown on the phone ("Chelete")
    std::string text;
    /// Our message id: the gateway keeps one message per reference, so sending again with the
    /// same reference (a retry after a timeout) never texts the person twice.
    std::string reference;
};

enum class SendOutcome {
    kAccepted,   // the gateway has the message (new or, for a known reference, the first one)
    kRetryable,  // not known to be taken: connection refused, timeout, 5xx, 408, 429
    kRejected,   // a definite no (4xx): sending the same again cannot succeed
};
[[nodiscard]] std::string_view to_string(SendOutcome outcome);

struct SendResult {
    SendOutcome outcome = SendOutcome::kRetryable;
    std::string message_id;  // kAccepted
    int segments = 0;        // kAccepted
    long http_status = 0;    // 0 when no answer arrived
    /// Why, for logs and the stored error: the status and the gateway's error code, or the
    /// transport error. May quote the gateway's reply: never log it for a secret message.
    std::string detail;
};

/// Sends one SMS. Implementations are thread-safe.
class SmsGateway {
public:
    virtual ~SmsGateway() = default;
    [[nodiscard]] virtual SendResult send(const OutgoingSms& sms) = 0;

protected:
    SmsGateway() = default;
    SmsGateway(const SmsGateway&) = default;
    SmsGateway(SmsGateway&&) = default;
    SmsGateway& operator=(const SmsGateway&) = default;
    SmsGateway& operator=(SmsGateway&&) = default;
};

struct CurlSmsGatewayOptions {
    std::string base_url;  // "http://127.0.0.1:28003", no trailing path
    std::string api_key;   // X-Api-Key
    /// Whole-request limit for one attempt.
    std::chrono::milliseconds timeout{5000};
    std::chrono::milliseconds connect_timeout{1000};
    /// Attempts within one send() for retryable outcomes; >= 1.
    int max_attempts = 3;
    /// Pause before the second attempt, doubled before each further one.
    std::chrono::milliseconds retry_backoff{200};
    std::size_t max_response_bytes = std::size_t{16} * 1024;
};

/// POST {base_url}/v1/messages with X-Api-Key and {"to", "from", "text", "reference"}.
///
/// Retries inside one send(): connection refused, timeouts, 5xx, 408 and 429, up to
/// `max_attempts` with a doubling backoff. Every retry is safe, including after a timeout
/// (when the gateway may have taken the message), because the reference makes the gateway
/// answer a repeat with the first message instead of sending a second one. 4xx other than
/// 408/429 is a definite failure and is not retried.
class CurlSmsGateway final : public SmsGateway {
public:
    /// Throws std::invalid_argument for an unusable configuration.
    explicit CurlSmsGateway(CurlSmsGatewayOptions options);
    ~CurlSmsGateway() override;
    CurlSmsGateway(const CurlSmsGateway&) = delete;
    CurlSmsGateway& operator=(const CurlSmsGateway&) = delete;
    CurlSmsGateway(CurlSmsGateway&&) = delete;
    CurlSmsGateway& operator=(CurlSmsGateway&&) = delete;

    [[nodiscard]] SendResult send(const OutgoingSms& sms) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chelete::sms
