#include "mpesa/mpesa_app.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string_view>

#include <chelete/platform/money.hpp>

namespace chelete::simulators::mpesa {
namespace {

using Json = nlohmann::json;

constexpr std::uint64_t kUnknownVariants = 4;

struct Code {
    int status;
    const char* code;
    const char* desc;
};

constexpr Code kAccepted{201, "INS-0", "Request processed successfully"};
constexpr Code kInternalError{500, "INS-1", "Internal Error"};
constexpr Code kTimedOut{408, "INS-9", "Request timeout"};
constexpr Code kDuplicate{409, "INS-10", "Duplicate Transaction"};
constexpr Code kBadShortcode{400, "INS-13", "Invalid Shortcode Used"};
constexpr Code kBadAmount{400, "INS-15", "Invalid Amount Used"};
constexpr Code kOverloaded{
    503, "INS-16", "Unable to handle the request due to a temporary overloading"};
constexpr Code kBadReference{
    400, "INS-17", "Invalid Transaction Reference. Length Should Be Between 1 and 20."};
constexpr Code kMissingParameters{400, "INS-20", "Not All Parameters Provided. Please try again."};
constexpr Code kUnknownStatus{200, "INS-23", "Unknown Status. Contact M-Pesa Support"};
constexpr Code kInsufficientBalance{422, "INS-2006", "Insufficient balance"};
constexpr Code kInvalidMsisdn{400, "INS-2051", "MSISDN invalid."};
constexpr std::array<Code, kUnknownVariants> kUnknownCodes{
    kInternalError, kTimedOut, kOverloaded, kUnknownStatus};

constexpr const char* kFailedDesc = "Transaction Failed";

const char* desc_of(std::string_view code) {
    if (code == "INS-0") {
        return kAccepted.desc;
    }
    if (code == "INS-2006") {
        return kInsufficientBalance.desc;
    }
    if (code == "INS-2051") {
        return kInvalidMsisdn.desc;
    }
    return kFailedDesc;
}

SimResponse answer(const Code& code, const std::string& third_party_id) {
    return json_response(
        code.status,
        Json{
            {"output_ResponseCode", code.code},
            {"output_ResponseDesc", code.desc},
            {"output_ThirdPartyConversationID", third_party_id}}
    );
}

SimResponse invalid_api_key() {
    return json_response(
        401, Json{{"output_ResponseCode", "INS-2"}, {"output_ResponseDesc", "Invalid API Key"}}
    );
}

SimResponse session_expired() {
    return json_response(
        401, Json{{"output_ResponseCode", "INS-989"}, {"output_ResponseDesc", "Session expired"}}
    );
}

bool is_conversation_id(std::string_view text) {
    constexpr std::size_t kMax = 40;
    return !text.empty() && text.size() <= kMax &&
           std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
           });
}

const std::string* text_of(const Json& doc, const char* key) {
    const auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

std::string query_param(const SimRequest& request, const std::string& name) {
    const auto it = request.query.find(name);
    return it == request.query.end() ? std::string{} : it->second;
}

Json callback_body(
    const Payment& payment, const std::string& code, const char* desc, platform::TimePoint at
) {
    return Json{
        {"input_OriginalConversationID", payment.conversation_id},
        {"input_ThirdPartyConversationID", payment.reference},
        {"input_TransactionID", payment.transaction_id},
        {"input_ResultCode", code},
        {"input_ResultDesc", desc},
        {"input_Amount", platform::format_minor_units(payment.amount_minor)},
        {"input_CustomerMSISDN", payment.msisdn},
        {"input_TransactionCompletedDateTime", format_utc_seconds(at)}};
}

}  // namespace

MpesaApp::MpesaApp(
    MpesaOptions options, const RsaKey& key, const platform::Clock& clock, CallbackOutbox& outbox
)
    : options_(std::move(options)),
      key_(key),
      clock_(clock),
      outbox_(outbox),
      schedule_(options_.faults, options_.seed),
      book_(options_.float_minor) {}

SimResponse MpesaApp::handle(const SimRequest& request) {
    const std::string_view path = request.path;
    if (path == "/healthz") {
        return health(request);
    }
    if (path.rfind("/admin/", 0) == 0) {
        return admin(request);
    }
    if (path.rfind(kBasePath, 0) != 0) {
        return error_response(404, "no_such_route");
    }
    const std::string_view route = path.substr(kBasePath.size());
    const std::array<std::pair<std::string_view, const char*>, 4> routes{
        {{"/getSession/", "GET"},
         {"/b2cPayment/", "POST"},
         {"/queryTransactionStatus/", "GET"},
         {"/statement/", "GET"}}};
    const auto* const known =
        std::find_if(routes.begin(), routes.end(), [&](const auto& r) { return r.first == route; });
    if (known == routes.end()) {
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
        // A front-end refusal before any processing: the only answer a client may just resend.
        response = service_unavailable();
    } else if (request.method != known->second) {
        response = method_not_allowed(known->second);
    } else if (const auto* origin = request.header("origin"); origin == nullptr || *origin != "*") {
        response = answer(kMissingParameters, "");
    } else if (route == "/getSession/") {
        response = get_session(request);
    } else if (route == "/b2cPayment/") {
        response = b2c_payment(request, faults);
    } else if (route == "/queryTransactionStatus/") {
        response = query_status(request);
    } else {
        response = statement(request);
    }
    response.delay = options_.latency;
    // Only a payment is held: it is processed, then its answer comes too late for the client.
    if (faults.fault == Fault::kTimeout && route == "/b2cPayment/") {
        response.delay += options_.timeout_hold;
    }
    return response;
}

std::optional<std::string> MpesaApp::bearer_plaintext(const SimRequest& request) const {
    const std::string* authorization = request.header("authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization == nullptr || authorization->rfind(kBearer, 0) != 0) {
        return std::nullopt;
    }
    return key_.decrypt_bearer(std::string_view{*authorization}.substr(kBearer.size()));
}

bool MpesaApp::session_alive(const std::string& session_id, platform::TimePoint now) const {
    const auto it = sessions_.find(session_id);
    return it != sessions_.end() && now - it->second <= options_.session_ttl;
}

SimResponse MpesaApp::get_session(const SimRequest& request) {
    const auto api_key = bearer_plaintext(request);
    if (!api_key || !constant_time_equal(*api_key, options_.api_key)) {
        return invalid_api_key();
    }
    const auto now = clock_.now();
    const std::string session_id = random_hex(16);
    {
        const std::lock_guard lock{mutex_};
        // Forget expired sessions here, so a long run does not grow without bound.
        std::erase_if(sessions_, [&](const auto& entry) {
            return now - entry.second > options_.session_ttl;
        });
        sessions_.emplace(session_id, now);
    }
    return json_response(
        200,
        Json{
            {"output_ResponseCode", "INS-0"},
            {"output_ResponseDesc", "Request processed successfully"},
            {"output_SessionID", session_id}}
    );
}

SimResponse MpesaApp::b2c_payment(const SimRequest& request, const RequestFaults& faults) {
    const auto session = bearer_plaintext(request);
    const Json doc = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    const std::string* third_party =
        doc.is_object() ? text_of(doc, "input_ThirdPartyConversationID") : nullptr;
    const std::string echo_id = third_party != nullptr ? *third_party : std::string{};
    const auto now = clock_.now();
    {
        const std::lock_guard lock{mutex_};
        if (!session || !session_alive(*session, now)) {
            return session_expired();
        }
    }
    if (!doc.is_object()) {
        return answer(kMissingParameters, echo_id);
    }
    const std::string* amount = text_of(doc, "input_Amount");
    const std::string* country = text_of(doc, "input_Country");
    const std::string* currency = text_of(doc, "input_Currency");
    const std::string* msisdn = text_of(doc, "input_CustomerMSISDN");
    const std::string* shortcode = text_of(doc, "input_ServiceProviderCode");
    const std::string* reference = text_of(doc, "input_TransactionReference");
    const auto desc = doc.find("input_PaymentItemsDesc");
    if (amount == nullptr || country == nullptr || currency == nullptr || msisdn == nullptr ||
        shortcode == nullptr || reference == nullptr || third_party == nullptr ||
        !is_conversation_id(*third_party) || *country != "LES" || *currency != "LSL" ||
        (desc != doc.end() && !desc->is_string())) {
        return answer(kMissingParameters, echo_id);
    }
    if (*shortcode != options_.service_provider_code) {
        return answer(kBadShortcode, echo_id);
    }
    const auto amount_minor = parse_positive_amount(*amount);
    if (!amount_minor) {
        return answer(kBadAmount, echo_id);
    }
    constexpr std::size_t kMaxReference = 20;
    if (reference->empty() || reference->size() > kMaxReference) {
        return answer(kBadReference, echo_id);
    }

    Payment payment;
    payment.reference = *third_party;
    payment.conversation_id = random_hex(16);
    payment.transaction_id = random_hex(5);
    std::transform(
        payment.transaction_id.begin(),
        payment.transaction_id.end(),
        payment.transaction_id.begin(),
        [](unsigned char c) { return static_cast<char>(std::toupper(c)); }
    );
    payment.msisdn = *msisdn;
    payment.amount_minor = *amount_minor;
    payment.result_at = now + options_.late_callback;
    payment.notify_url = options_.callback_url;
    const bool msisdn_ok =
        is_lesotho_mobile(*msisdn) && !options_.invalid_msisdns.contains(*msisdn);
    const bool unknown = faults.fault == Fault::kUnknown;
    Payment p;
    {
        const std::lock_guard lock{mutex_};
        if (book_.find(payment.reference) != nullptr) {
            return answer(kDuplicate, echo_id);
        }
        if (!msisdn_ok) {
            payment.failure_code = kInvalidMsisdn.code;
        } else if (payment.amount_minor > book_.float_minor()) {
            payment.failure_code = kInsufficientBalance.code;
        } else if (unknown && !faults.unknown_paid) {
            payment.failure_code = "INS-6";
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
        return answer(
            p.failure_code == kInvalidMsisdn.code ? kInvalidMsisdn : kInsufficientBalance, echo_id
        );
    }
    const std::string result_code = p.paid ? "INS-0" : p.failure_code;
    CallbackBodies bodies;
    bodies.final_body = callback_body(p, result_code, desc_of(result_code), p.result_at).dump();
    bodies.forged_body = (p.paid ? callback_body(p, "INS-6", kFailedDesc, p.result_at)
                                 : callback_body(p, "INS-0", kAccepted.desc, p.result_at))
                             .dump();
    bodies.stale_body = callback_body(p, kTimedOut.code, kTimedOut.desc, now).dump();
    enqueue_callbacks(outbox_, p.notify_url, p.reference, bodies, p.result_at, faults);
    if (unknown) {
        return answer(kUnknownCodes.at(faults.unknown_variant), echo_id);
    }
    auto response = answer(kAccepted, echo_id);
    Json body = Json::parse(response.body);
    body["output_ConversationID"] = p.conversation_id;
    body["output_TransactionID"] = p.transaction_id;
    response.body = body.dump();
    return response;
}

SimResponse MpesaApp::query_status(const SimRequest& request) {
    const auto session = bearer_plaintext(request);
    const auto now = clock_.now();
    const std::string reference = query_param(request, "input_QueryReference");
    const std::string shortcode = query_param(request, "input_ServiceProviderCode");
    const std::string third_party = query_param(request, "input_ThirdPartyConversationID");
    const std::string country = query_param(request, "input_Country");
    const std::lock_guard lock{mutex_};
    if (!session || !session_alive(*session, now)) {
        return session_expired();
    }
    if (reference.empty() || shortcode.empty() || !is_conversation_id(third_party) ||
        country != "LES") {
        // Echo only a well-formed id: anything else may not even be UTF-8.
        return answer(kMissingParameters, is_conversation_id(third_party) ? third_party : "");
    }
    if (shortcode != options_.service_provider_code) {
        return answer(kBadShortcode, third_party);
    }
    Json body{
        {"output_ResponseCode", "INS-0"},
        {"output_ResponseTransactionStatus", "NotFound"},
        {"output_TransactionID", ""},
        {"output_ResultCode", ""},
        {"output_ConversationID", ""}};
    if (const Payment* payment = book_.find(reference)) {
        const auto status = status_at(*payment, now);
        body["output_TransactionID"] = payment->transaction_id;
        body["output_ConversationID"] = payment->conversation_id;
        if (status == PaymentStatus::kCompleted) {
            body["output_ResponseTransactionStatus"] = "Completed";
            body["output_ResultCode"] = "INS-0";
        } else if (status == PaymentStatus::kFailed) {
            body["output_ResponseTransactionStatus"] = "Failed";
            body["output_ResultCode"] = payment->failure_code;
        } else {
            body["output_ResponseTransactionStatus"] = "Pending";
        }
    }
    return json_response(200, body);
}

SimResponse MpesaApp::statement(const SimRequest& request) {
    const auto session = bearer_plaintext(request);
    const auto now = clock_.now();
    const std::string date = query_param(request, "input_Date");
    const std::lock_guard lock{mutex_};
    if (!session || !session_alive(*session, now)) {
        return session_expired();
    }
    if (!is_calendar_date(date)) {
        return answer(kMissingParameters, "");
    }
    return statement_response(date, book_.statement(date, now));
}

SimResponse MpesaApp::admin(const SimRequest& request) {
    if (request.path == "/admin/public-key") {
        if (request.method != "GET") {
            return method_not_allowed("GET");
        }
        SimResponse response;
        response.content_type = "text/plain";
        response.body = key_.public_pem();
        return response;
    }
    const auto now = clock_.now();
    const std::lock_guard lock{mutex_};
    if (auto response = handle_payment_admin(request, book_, outbox_, now)) {
        return *std::move(response);
    }
    return error_response(404, "no_such_route");
}

}  // namespace chelete::simulators::mpesa
