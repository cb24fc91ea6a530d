#include <stdexcept>
#include <thread>

#include <chelete/mobile_money/ecocash_client.hpp>

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

EcocashClientConfig validated(EcocashClientConfig config) {
    if (!http::Transport::is_http_url(config.base_url)) {
        throw std::invalid_argument("EcoCash base URL must start with http:// or https://");
    }
    while (config.base_url.back() == '/') {
        config.base_url.pop_back();
    }
    if (!http::Transport::is_http_url(config.notify_url)) {
        throw std::invalid_argument("EcoCash notify URL must start with http:// or https://");
    }
    if (config.client_id.empty() || config.client_secret.empty()) {
        throw std::invalid_argument("EcoCash client id and secret are required");
    }
    if (config.max_attempts < 1) {
        throw std::invalid_argument("EcoCash max_attempts must be at least 1");
    }
    if (config.timeout.count() <= 0 || config.connect_timeout.count() <= 0 ||
        config.retry_backoff.count() < 0 || config.max_retry_wait.count() < 0 ||
        config.token_renew_margin.count() < 0 || config.max_response_bytes == 0) {
        throw std::invalid_argument("EcoCash timeouts, backoff and limits must be sensible");
    }
    return config;
}

ReplyClass classify_plain(const http::Response& response) {
    auto parsed = wire::parse_object(response.body);
    const std::string error = parsed.ok() ? wire::text_member(parsed.value(), "error") : "";
    return domain::classify_ecocash_reply(response.status, error).reply;
}

}  // namespace

struct EcocashClient::Impl {
    Impl(EcocashClientConfig c, std::shared_ptr<const platform::Clock> clk)
        : config(validated(std::move(c))),
          clock(or_system(std::move(clk))),
          transport(http::TransportOptions{
              config.timeout, config.connect_timeout, config.max_response_bytes}),
          breaker(config.breaker, *clock),
          basic(crypto::base64(config.client_id + ":" + config.client_secret)),
          policy{config.max_attempts, config.retry_backoff, config.max_retry_wait},
          tokens([this] { return fetch_token(); }, *clock, config.token_renew_margin) {}

    EcocashClientConfig config;
    std::shared_ptr<const platform::Clock> clock;
    http::Transport transport;
    CircuitBreaker breaker;
    std::string basic;
    call::RetryPolicy policy;
    call::CredentialCache tokens;

    /// POST /oauth/token (client credentials); resent only where certainly not processed.
    platform::Result<call::Fetched, call::CredentialFailure> fetch_token() {
        call::CredentialFailure failure;
        for (int attempt = 1;; ++attempt) {
            http::Request request;
            request.method = "POST";
            request.url = config.base_url + "/oauth/token";
            request.headers = {
                "Authorization: Basic " + basic,
                "Content-Type: application/x-www-form-urlencoded",
                "Accept: application/json"};
            request.body = "grant_type=client_credentials";
            const http::Response response = transport.perform(request);
            bool certain = false;
            if (response.failure == http::Failure::kNone) {
                const auto token = wire::interpret_ecocash_token(response.status, response.body);
                if (token.reply == ReplyClass::kSuccess) {
                    return call::Fetched{
                        token.access_token, std::chrono::seconds{token.expires_in_s}};
                }
                failure.detail = token.detail;
                failure.refused = token.reply == ReplyClass::kAuthRefused;
                failure.code =
                    failure.refused ? "invalid_client" : "token_" + std::to_string(response.status);
                certain = token.reply == ReplyClass::kRefused;
            } else {
                failure.detail = "oauth/token: " + response.error;
                certain = response.failure == http::Failure::kNotConnected;
                failure.code = certain                                       ? "connect_failed"
                               : response.failure == http::Failure::kTimeout ? "timeout"
                                                                             : "transport_error";
            }
            if (!certain || attempt >= policy.max_attempts) {
                return platform::err(failure);
            }
            std::this_thread::sleep_for(call::retry_wait(policy, attempt, response.retry_after));
        }
    }

    call::Outcome perform(
        const std::function<http::Request()>& build,
        const std::function<ReplyClass(const http::Response&)>& classify
    ) {
        return call::perform(
            transport,
            tokens,
            policy,
            [&](const std::string& token) {
                http::Request request = build();
                request.headers.push_back("Authorization: Bearer " + token);
                request.headers.emplace_back("Accept: application/json");
                return request;
            },
            classify
        );
    }
};

EcocashClient::EcocashClient(
    EcocashClientConfig config, std::shared_ptr<const platform::Clock> clock
)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(clock))) {}

EcocashClient::~EcocashClient() = default;

CircuitBreaker::State EcocashClient::breaker_state() const {
    return impl_->breaker.state();
}

SubmitResult EcocashClient::submit(const PayoutOrder& order) {
    if (auto refused = wire::check_order(order)) {
        return *refused;
    }
    auto& breaker = impl_->breaker;
    if (!breaker.allow()) {
        SubmitResult out;
        out.verdict = SubmitVerdict::kNotSent;
        out.partner_code = "circuit_open";
        out.detail = "EcoCash circuit breaker is open after repeated unknown outcomes";
        return out;
    }
    SubmitResult out;
    try {
        const std::string body = wire::ecocash_disbursement_body(order, impl_->config.notify_url);
        wire::SubmitReply last;
        const auto outcome = impl_->perform(
            [&] {
                http::Request request;
                request.method = "POST";
                request.url = impl_->config.base_url + "/v1/disbursements";
                request.body = body;
                request.headers.emplace_back("Content-Type: application/json");
                request.fresh_connection = true;
                return request;
            },
            [&](const http::Response& response) {
                last = wire::interpret_ecocash_disbursement(
                    response.status, response.body, order.reference
                );
                return last.reply;
            }
        );
        bool partner_trouble = true;
        switch (outcome.ending) {
            case call::Ending::kAnswered:
                out = last.result;
                partner_trouble = out.verdict == SubmitVerdict::kUnknown &&
                                  out.partner_code != "duplicate_correlator";
                break;
            case call::Ending::kNoCredential:
                out.verdict = SubmitVerdict::kNotSent;
                out.partner_code = outcome.credential.code;
                if (outcome.credential.refused) {
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
                out.partner_code = "service_unavailable";
                break;
            case call::Ending::kAuthExpired:
                out.verdict = SubmitVerdict::kNotSent;
                out.partner_code = "invalid_token";
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
        out.detail = "disbursement " + call::describe(outcome) +
                     (out.detail.empty() ? std::string{} : ": " + out.detail);
        if (partner_trouble) {
            breaker.record_failure();
        } else {
            breaker.record_success();
        }
    } catch (const std::exception& e) {
        breaker.record_failure();
        out = SubmitResult{};
        out.verdict = SubmitVerdict::kUnknown;
        out.partner_code = "client_error";
        out.detail = std::string{"EcoCash client error: "} + e.what();
    }
    return out;
}

StatusResult EcocashClient::query(std::string_view reference) {
    StatusResult out;
    out.status = PaymentStatus::kUnknown;
    if (!wire::is_ecocash_reference(reference)) {
        out.partner_code = "invalid_reference";
        out.detail = "reference is not [A-Za-z0-9-]{1,40}";
        return out;
    }
    try {
        const std::string ref{reference};
        wire::QueryReply last;
        const auto outcome = impl_->perform(
            [&] {
                http::Request request;
                request.url =
                    impl_->config.base_url + "/v1/disbursements/" + http::Transport::escape(ref);
                return request;
            },
            [&](const http::Response& response) {
                last = wire::interpret_ecocash_query(response.status, response.body, ref);
                return last.reply;
            }
        );
        if (outcome.ending == call::Ending::kAnswered) {
            out = last.result;
        } else {
            out.partner_code = outcome.ending == call::Ending::kNoCredential
                                   ? outcome.credential.code
                                   : "no_answer";
        }
        out.detail = "disbursement query " + call::describe(outcome) +
                     (out.detail.empty() ? std::string{} : ": " + out.detail);
    } catch (const std::exception& e) {
        out = StatusResult{};
        out.status = PaymentStatus::kUnknown;
        out.partner_code = "client_error";
        out.detail = std::string{"EcoCash client error: "} + e.what();
    }
    return out;
}

platform::Result<std::vector<StatementLine>, std::string> EcocashClient::statement(
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
                request.url = impl_->config.base_url + "/v1/statement?date=" + day;
                return request;
            },
            classify_plain
        );
        if (outcome.ending != call::Ending::kAnswered || outcome.response.status != 200) {
            return platform::err("EcoCash statement " + call::describe(outcome));
        }
        auto lines = wire::parse_statement(outcome.response.body, day);
        if (!lines.ok()) {
            return platform::err("EcoCash statement unreadable: " + lines.error());
        }
        return std::move(lines).value();
    } catch (const std::exception& e) {
        return platform::err(std::string{"EcoCash client error: "} + e.what());
    }
}

}  // namespace chelete::mobile_money
