#include <stdexcept>
#include <thread>

#include <chelete/mobile_money/mpesa_client.hpp>

#include "adapters/http_transport.hpp"
#include "adapters/partner_call.hpp"
#include "adapters/rsa_encryptor.hpp"
#include "wire/partner_wire.hpp"
#include "wire/strict_json.hpp"

namespace chelete::mobile_money {
namespace {

using domain::ReplyClass;

std::shared_ptr<const platform::Clock> or_system(std::shared_ptr<const platform::Clock> clock) {
    return clock ? std::move(clock) : std::make_shared<platform::SystemClock>();
}

MpesaClientConfig validated(MpesaClientConfig config) {
    if (!http::Transport::is_http_url(config.base_url)) {
        throw std::invalid_argument("M-Pesa base URL must start with http:// or https://");
    }
    while (config.base_url.back() == '/') {
        config.base_url.pop_back();
    }
    if (config.market_path.empty() || config.market_path.find('/') != std::string::npos) {
        throw std::invalid_argument("M-Pesa market path must be one path segment");
    }
    if (config.api_key.empty() || config.service_provider_code.empty()) {
        throw std::invalid_argument("M-Pesa API key and service provider code are required");
    }
    if (config.max_attempts < 1) {
        throw std::invalid_argument("M-Pesa max_attempts must be at least 1");
    }
    if (config.timeout.count() <= 0 || config.connect_timeout.count() <= 0 ||
        config.retry_backoff.count() < 0 || config.max_retry_wait.count() < 0 ||
        config.max_response_bytes == 0) {
        throw std::invalid_argument("M-Pesa timeouts, backoff and response limit must be sensible");
    }
    if (config.session_lifetime.count() <= 0 || config.session_renew_margin.count() < 0 ||
        config.session_renew_margin >= config.session_lifetime) {
        throw std::invalid_argument("M-Pesa session renew margin must be below its lifetime");
    }
    return config;
}

/// What a statement answer means: it carries no output_ResponseCode when it succeeds.
ReplyClass classify_plain(const http::Response& response) {
    if (response.status == 200) {
        return ReplyClass::kSuccess;
    }
    auto parsed = wire::parse_object(response.body);
    const std::string code =
        parsed.ok() ? wire::text_member(parsed.value(), "output_ResponseCode") : "";
    const std::string error = parsed.ok() ? wire::text_member(parsed.value(), "error") : "";
    return domain::classify_mpesa_reply(response.status, code, error).reply;
}

}  // namespace

struct MpesaClient::Impl {
    Impl(MpesaClientConfig c, std::shared_ptr<const platform::Clock> clk)
        : config(validated(std::move(c))),
          clock(or_system(std::move(clk))),
          rsa(config.public_key_pem),
          transport(http::TransportOptions{
              config.timeout, config.connect_timeout, config.max_response_bytes}),
          breaker(config.breaker, *clock),
          api_base(config.base_url + "/ipg/v2/" + config.market_path + "/"),
          policy{config.max_attempts, config.retry_backoff, config.max_retry_wait},
          sessions([this] { return fetch_session(); }, *clock, config.session_renew_margin) {}

    MpesaClientConfig config;
    std::shared_ptr<const platform::Clock> clock;
    crypto::RsaEncryptor rsa;
    http::Transport transport;
    CircuitBreaker breaker;
    std::string api_base;
    call::RetryPolicy policy;
    call::CredentialCache sessions;

    [[nodiscard]] std::vector<std::string> headers(const std::string& bearer, bool json) const {
        std::vector<std::string> out{
            "Authorization: Bearer " + bearer,
            "Origin: " + config.origin,
            "Accept: application/json"};
        if (json) {
            out.emplace_back("Content-Type: application/json");
        }
        return out;
    }

    /// getSession with the encrypted API key; resent only where certainly not processed (it
    /// moves no money, but a partner in trouble should not be pressed harder).
    platform::Result<call::Fetched, call::CredentialFailure> fetch_session() {
        call::CredentialFailure failure;
        for (int attempt = 1;; ++attempt) {
            http::Request request;
            request.url = api_base + "getSession/";
            try {
                request.headers = headers(rsa.encrypt_base64(config.api_key), false);
            } catch (const std::exception& e) {
                failure.refused = true;
                failure.code = "encryption_failed";
                failure.detail = std::string{"cannot encrypt the API key: "} + e.what();
                return platform::err(failure);
            }
            const http::Response response = transport.perform(request);
            bool certain = false;
            if (response.failure == http::Failure::kNone) {
                const auto session = wire::interpret_mpesa_session(response.status, response.body);
                if (session.reply == ReplyClass::kSuccess) {
                    return call::Fetched{session.session_id, config.session_lifetime};
                }
                failure.detail = session.detail;
                failure.refused = session.reply == ReplyClass::kAuthRefused;
                failure.code = "getSession_" + std::to_string(response.status);
                certain = session.reply == ReplyClass::kRefused;
            } else {
                failure.detail = "getSession: " + response.error;
                failure.code =
                    response.failure == http::Failure::kTimeout ? "timeout" : "transport_error";
                certain = response.failure == http::Failure::kNotConnected;
                if (certain) {
                    failure.code = "connect_failed";
                }
            }
            if (!certain || attempt >= policy.max_attempts) {
                return platform::err(failure);
            }
            std::this_thread::sleep_for(call::retry_wait(policy, attempt, response.retry_after));
        }
    }

    call::Outcome perform(
        const std::function<http::Request()>& build,
        const std::function<ReplyClass(const http::Response&)>& classify,
        bool json
    ) {
        return call::perform(
            transport,
            sessions,
            policy,
            [&](const std::string& session) {
                http::Request request = build();
                request.headers = headers(rsa.encrypt_base64(session), json);
                return request;
            },
            classify
        );
    }
};

MpesaClient::MpesaClient(MpesaClientConfig config, std::shared_ptr<const platform::Clock> clock)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(clock))) {}

MpesaClient::~MpesaClient() = default;

CircuitBreaker::State MpesaClient::breaker_state() const {
    return impl_->breaker.state();
}

SubmitResult MpesaClient::submit(const PayoutOrder& order) {
    if (auto refused = wire::check_order(order)) {
        return *refused;
    }
    auto& breaker = impl_->breaker;
    if (!breaker.allow()) {
        SubmitResult out;
        out.verdict = SubmitVerdict::kNotSent;
        out.partner_code = "circuit_open";
        out.detail = "M-Pesa circuit breaker is open after repeated unknown outcomes";
        return out;
    }
    SubmitResult out;
    try {
        const std::string body =
            wire::mpesa_payment_body(order, impl_->config.service_provider_code);
        wire::SubmitReply last;
        const auto outcome = impl_->perform(
            [&] {
                http::Request request;
                request.method = "POST";
                request.url = impl_->api_base + "b2cPayment/";
                request.body = body;
                request.fresh_connection = true;
                return request;
            },
            [&](const http::Response& response) {
                last =
                    wire::interpret_mpesa_payment(response.status, response.body, order.reference);
                return last.reply;
            },
            true
        );
        bool partner_trouble = true;
        switch (outcome.ending) {
            case call::Ending::kAnswered:
                out = last.result;
                // A business answer (accepted, definite failure, duplicate) comes from a partner
                // that works; only unknown outcomes count against it.
                partner_trouble =
                    out.verdict == SubmitVerdict::kUnknown && out.partner_code != "INS-10";
                break;
            case call::Ending::kNoCredential:
                out.verdict = SubmitVerdict::kNotSent;
                out.partner_code = outcome.credential.code;
                if (outcome.credential.refused) {
                    // The API key or public key is wrong: operations must fix the configuration.
                    out.failure = FailureKind::kOurRequest;
                    partner_trouble = false;
                }
                break;
            case call::Ending::kNotConnected:
                out.verdict = SubmitVerdict::kNotSent;
                out.partner_code = "connect_failed";
                break;
            case call::Ending::kRefused:
                out.verdict = SubmitVerdict::kNotSent;
                out.partner_code = "http_503";
                break;
            case call::Ending::kAuthExpired:
                out.verdict = SubmitVerdict::kNotSent;
                out.partner_code = "INS-989";
                break;
            case call::Ending::kTimeout:
                out.verdict = SubmitVerdict::kUnknown;
                out.partner_code = "timeout";
                break;
            case call::Ending::kTransport:
                out.verdict = SubmitVerdict::kUnknown;
                out.partner_code = "transport_error";
                break;
        }
        out.detail = "b2cPayment " + call::describe(outcome) +
                     (out.detail.empty() ? std::string{} : ": " + out.detail);
        if (partner_trouble) {
            breaker.record_failure();
        } else {
            breaker.record_success();
        }
    } catch (const std::exception& e) {
        // Only our side can throw here (allocation, OpenSSL); whether the request left is unknown.
        breaker.record_failure();
        out = SubmitResult{};
        out.verdict = SubmitVerdict::kUnknown;
        out.partner_code = "client_error";
        out.detail = std::string{"M-Pesa client error: "} + e.what();
    }
    return out;
}

StatusResult MpesaClient::query(std::string_view reference) {
    StatusResult out;
    out.status = PaymentStatus::kUnknown;
    if (!wire::is_mpesa_reference(reference)) {
        out.partner_code = "invalid_reference";
        out.detail = "reference is not [A-Za-z0-9]{1,40}";
        return out;
    }
    try {
        const std::string ref{reference};
        wire::QueryReply last;
        const auto outcome = impl_->perform(
            [&] {
                http::Request request;
                // Each query is a request of its own at the partner, with its own unique id.
                request.url = impl_->api_base + "queryTransactionStatus/?input_QueryReference=" +
                              http::Transport::escape(ref) + "&input_ServiceProviderCode=" +
                              http::Transport::escape(impl_->config.service_provider_code) +
                              "&input_ThirdPartyConversationID=q" + crypto::random_hex_id() +
                              "&input_Country=LES";
                return request;
            },
            [&](const http::Response& response) {
                last = wire::interpret_mpesa_query(response.status, response.body);
                return last.reply;
            },
            false
        );
        if (outcome.ending == call::Ending::kAnswered) {
            out = last.result;
        } else {
            out.partner_code = outcome.ending == call::Ending::kNoCredential
                                   ? outcome.credential.code
                                   : "no_answer";
        }
        out.detail = "queryTransactionStatus " + call::describe(outcome) +
                     (out.detail.empty() ? std::string{} : ": " + out.detail);
    } catch (const std::exception& e) {
        out = StatusResult{};
        out.status = PaymentStatus::kUnknown;
        out.partner_code = "client_error";
        out.detail = std::string{"M-Pesa client error: "} + e.what();
    }
    return out;
}

platform::Result<std::vector<StatementLine>, std::string> MpesaClient::statement(
    std::string_view date
) {
    if (!platform::parse_date(date)) {
        return platform::err(std::string{"statement date is not YYYY-MM-DD"});
    }
    try {
        const std::string day{date};
        const auto outcome = impl_->perform(
            [&] {
                http::Request request;
                request.url = impl_->api_base + "statement/?input_Date=" + day;
                return request;
            },
            classify_plain,
            false
        );
        if (outcome.ending != call::Ending::kAnswered || outcome.response.status != 200) {
            return platform::err("M-Pesa statement " + call::describe(outcome));
        }
        auto lines = wire::parse_statement(outcome.response.body, day);
        if (!lines.ok()) {
            return platform::err("M-Pesa statement unreadable: " + lines.error());
        }
        return std::move(lines).value();
    } catch (const std::exception& e) {
        return platform::err(std::string{"M-Pesa client error: "} + e.what());
    }
}

}  // namespace chelete::mobile_money
