#include "ecocash/ecocash_app.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string_view>

#include <chelete/platform/money.hpp>

#include "common/sim_crypto.hpp"

namespace chelete::simulators::ecocash {
namespace {

using Json = nlohmann::json;

constexpr std::uint64_t kUnknownVariants = 2;
constexpr std::string_view kDisbursements = "/v1/disbursements";
constexpr std::string_view kInvalidMsisdn = "invalid_msisdn";
constexpr std::string_view kInsufficientFunds = "insufficient_funds";
constexpr std::string_view kTransactionFailed = "transaction_failed";

bool is_correlator(std::string_view text) {
    constexpr std::size_t kMax = 40;
    return !text.empty() && text.size() <= kMax &&
           std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '-';
           });
}

const std::string* text_of(const Json& doc, const char* key) {
    const auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

const char* status_name(PaymentStatus status) {
    switch (status) {
        case PaymentStatus::kCompleted:
            return "COMPLETED";
        case PaymentStatus::kFailed:
            return "FAILED";
        case PaymentStatus::kPending:
            break;
    }
    return "PENDING";
}

/// The disbursement as GET /v1/disbursements/{id} and the callbacks show it in `status`.
Json disbursement_json(const Payment& payment, PaymentStatus status, std::string_view reason) {
    Json body{
        {"clientCorrelator", payment.reference},
        {"transactionId", payment.transaction_id},
        {"transactionOperationStatus", status_name(status)},
        {"amount", platform::format_minor_units(payment.amount_minor)},
        {"endUserId", payment.msisdn}};
    if (status == PaymentStatus::kFailed) {
        body["reason"] = reason;
    }
    if (status != PaymentStatus::kPending) {
        body["completedAt"] = format_utc_seconds(payment.result_at);
    }
    return body;
}

/// application/x-www-form-urlencoded: the value of `name`, nullopt when absent or broken.
std::optional<std::string> form_value(std::string_view body, std::string_view name) {
    std::size_t start = 0;
    while (start <= body.size()) {
        const auto amp = body.find('&', start);
        const auto end = amp == std::string_view::npos ? body.size() : amp;
        const auto pair = body.substr(start, end - start);
        const auto equals = pair.find('=');
        if (equals != std::string_view::npos) {
            const auto key = percent_decode(pair.substr(0, equals), true);
            if (key && *key == name) {
                return percent_decode(pair.substr(equals + 1), true);
            }
        }
        start = end + 1;
    }
    return std::nullopt;
}

}  // namespace

EcocashApp::EcocashApp(EcocashOptions options, const platform::Clock& clock, CallbackOutbox& outbox)
    : options_(std::move(options)),
      clock_(clock),
      outbox_(outbox),
      schedule_(options_.faults, options_.seed),
      book_(options_.float_minor) {}

SimResponse EcocashApp::handle(const SimRequest& request) {
    const std::string_view path = request.path;
    if (path == "/healthz") {
        return health(request);
    }
    if (path.rfind("/admin/", 0) == 0) {
        const auto now = clock_.now();
        const std::lock_guard lock{mutex_};
        if (auto response = handle_payment_admin(request, book_, outbox_, now)) {
            return *std::move(response);
        }
        return error_response(404, "no_such_route");
    }
    enum class Route { kToken, kDisburse, kStatus, kStatement };
    Route route{};
    const char* method = "GET";
    std::string correlator;
    if (path == "/oauth/token") {
        route = Route::kToken;
        method = "POST";
    } else if (path == kDisbursements) {
        route = Route::kDisburse;
        method = "POST";
    } else if (path.rfind(std::string{kDisbursements} + "/", 0) == 0) {
        route = Route::kStatus;
        correlator = std::string{path.substr(kDisbursements.size() + 1)};
    } else if (path == "/v1/statement") {
        route = Route::kStatement;
    } else {
        return error_response(404, "no_such_route");
    }
    RequestFaults faults;
    {
        const std::lock_guard lock{mutex_};
        // Every partner request draws in arrival order, whatever it turns out to be.
        faults = draw_request_faults(schedule_, options_.callback_faults, kUnknownVariants);
    }
    SimResponse response;
    if (faults.fault == Fault::kUnavailable) {
        response = service_unavailable();
    } else if (request.method != method) {
        response = method_not_allowed(method);
    } else if (route == Route::kToken) {
        response = token(request);
    } else {
        bool allowed = false;
        {
            const std::lock_guard lock{mutex_};
            allowed = authorised(request, clock_.now());
        }
        if (!allowed) {
            response = error_response(401, "invalid_token");
        } else if (route == Route::kDisburse) {
            response = disburse(request, faults);
        } else if (route == Route::kStatus) {
            response = status(correlator);
        } else {
            response = statement(request);
        }
    }
    response.delay = options_.latency;
    if (faults.fault == Fault::kTimeout && route == Route::kDisburse) {
        response.delay += options_.timeout_hold;
    }
    return response;
}

bool EcocashApp::authorised(const SimRequest& request, platform::TimePoint now) const {
    const std::string* authorization = request.header("authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization == nullptr || authorization->rfind(kBearer, 0) != 0) {
        return false;
    }
    const auto it = tokens_.find(authorization->substr(kBearer.size()));
    return it != tokens_.end() && now - it->second <= options_.token_ttl;
}

SimResponse EcocashApp::token(const SimRequest& request) {
    const std::string* authorization = request.header("authorization");
    constexpr std::string_view kBasic = "Basic ";
    std::optional<std::string> credentials;
    if (authorization != nullptr && authorization->rfind(kBasic, 0) == 0) {
        credentials = base64_decode(std::string_view{*authorization}.substr(kBasic.size()));
    }
    const auto colon = credentials ? credentials->find(':') : std::string::npos;
    if (colon == std::string::npos ||
        !constant_time_equal(credentials->substr(0, colon), options_.client_id) ||
        !constant_time_equal(credentials->substr(colon + 1), options_.client_secret)) {
        return error_response(401, "invalid_client");
    }
    const auto grant = form_value(request.body, "grant_type");
    if (!grant || *grant != "client_credentials") {
        return error_response(400, "unsupported_grant_type");
    }
    const auto now = clock_.now();
    const std::string token = random_hex(32);
    {
        const std::lock_guard lock{mutex_};
        std::erase_if(tokens_, [&](const auto& entry) {
            return now - entry.second > options_.token_ttl;
        });
        tokens_.emplace(token, now);
    }
    return json_response(
        200,
        Json{
            {"access_token", token},
            {"token_type", "Bearer"},
            {"expires_in", options_.token_ttl.count()}}
    );
}

SimResponse EcocashApp::disburse(const SimRequest& request, const RequestFaults& faults) {
    const Json doc = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) {
        return error_response(400, "invalid_request", "the body must be a JSON object");
    }
    const std::string* correlator = text_of(doc, "clientCorrelator");
    const std::string* end_user = text_of(doc, "endUserId");
    const std::string* amount = text_of(doc, "amount");
    const std::string* currency = text_of(doc, "currencyCode");
    const std::string* country = text_of(doc, "countryCode");
    const std::string* reference = text_of(doc, "referenceCode");
    const std::string* notify_url = text_of(doc, "notifyUrl");
    const auto remarks = doc.find("remarks");
    const auto amount_minor = amount != nullptr ? parse_positive_amount(*amount) : std::nullopt;
    constexpr std::size_t kMaxReference = 20;
    std::string problem;
    if (correlator == nullptr || !is_correlator(*correlator)) {
        problem = "clientCorrelator must be 1-40 characters of [A-Za-z0-9-]";
    } else if (end_user == nullptr) {
        problem = "endUserId is required";
    } else if (!amount_minor) {
        problem = "amount must be a positive string with two decimals, like \"10.00\"";
    } else if (currency == nullptr || *currency != "LSL") {
        problem = "currencyCode must be LSL";
    } else if (country == nullptr || *country != "LS") {
        problem = "countryCode must be LS";
    } else if (reference == nullptr || reference->empty() || reference->size() > kMaxReference) {
        problem = "referenceCode must be 1-20 characters";
    } else if (remarks != doc.end() && !remarks->is_string()) {
        problem = "remarks must be a string";
    } else if (notify_url == nullptr || notify_url->rfind("http://127.0.0.1:", 0) != 0) {
        problem = "notifyUrl must be an http://127.0.0.1:<port>/... URL";
    }
    if (!problem.empty()) {
        return error_response(400, "invalid_request", problem);
    }
    const auto now = clock_.now();
    Payment payment;
    payment.reference = *correlator;
    payment.conversation_id = payment.reference;
    payment.transaction_id = "ECO" + random_hex(6);
    payment.msisdn = *end_user;
    payment.amount_minor = *amount_minor;
    payment.result_at = now + options_.late_callback;
    payment.notify_url = *notify_url;
    const bool msisdn_ok =
        is_lesotho_mobile(*end_user) && !options_.invalid_msisdns.contains(*end_user);
    const bool unknown = faults.fault == Fault::kUnknown;
    Payment p;
    {
        const std::lock_guard lock{mutex_};
        if (const Payment* existing = book_.find(payment.reference)) {
            return json_response(
                409,
                Json{
                    {"error", "duplicate_correlator"},
                    {"transactionOperationStatus", status_name(status_at(*existing, now))}}
            );
        }
        if (!msisdn_ok) {
            payment.failure_code = kInvalidMsisdn;
        } else if (payment.amount_minor > book_.float_minor()) {
            payment.failure_code = kInsufficientFunds;
        } else if (unknown && !faults.unknown_paid) {
            payment.failure_code = kTransactionFailed;
        } else {
            payment.paid = true;
        }
        if (!payment.paid && !unknown) {
            payment.result_at = now;  // refused synchronously: final at once, no callback
        }
        const Payment* recorded = book_.add(std::move(payment));
        if (recorded == nullptr) {
            throw std::logic_error("payment refused by the book after the checks");
        }
        p = *recorded;  // a copy: the book's entry is only read under the lock
    }
    if (!unknown && !p.paid) {
        // A synchronous refusal is final and needs no callback.
        return p.failure_code == kInvalidMsisdn ? error_response(400, kInvalidMsisdn)
                                                : error_response(422, kInsufficientFunds);
    }
    const auto final_status = p.paid ? PaymentStatus::kCompleted : PaymentStatus::kFailed;
    const auto opposite = p.paid ? PaymentStatus::kFailed : PaymentStatus::kCompleted;
    CallbackBodies bodies;
    bodies.final_body = disbursement_json(p, final_status, p.failure_code).dump();
    bodies.forged_body = disbursement_json(p, opposite, kTransactionFailed).dump();
    bodies.stale_body = disbursement_json(p, PaymentStatus::kPending, "").dump();
    enqueue_callbacks(outbox_, p.notify_url, p.reference, bodies, p.result_at, faults);
    if (unknown) {
        return faults.unknown_variant == 0 ? error_response(500, "internal_error")
                                           : error_response(504, "gateway_timeout");
    }
    return json_response(
        202,
        Json{
            {"clientCorrelator", p.reference},
            {"transactionId", p.transaction_id},
            {"transactionOperationStatus", "PENDING"}}
    );
}

SimResponse EcocashApp::status(const std::string& correlator) {
    const auto now = clock_.now();
    const std::lock_guard lock{mutex_};
    const auto decoded = percent_decode(correlator, false);
    const Payment* payment = decoded ? book_.find(*decoded) : nullptr;
    if (payment == nullptr) {
        return error_response(404, "not_found");
    }
    return json_response(
        200, disbursement_json(*payment, status_at(*payment, now), payment->failure_code)
    );
}

SimResponse EcocashApp::statement(const SimRequest& request) {
    const auto now = clock_.now();
    const auto it = request.query.find("date");
    const std::string date = it == request.query.end() ? std::string{} : it->second;
    if (!is_calendar_date(date)) {
        return error_response(400, "invalid_request", "date must be YYYY-MM-DD");
    }
    const std::lock_guard lock{mutex_};
    return statement_response(date, book_.statement(date, now));
}

}  // namespace chelete::simulators::ecocash
