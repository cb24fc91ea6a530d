#include "sms/sms_app.hpp"

#include <algorithm>
#include <string_view>

#include "common/payment_book.hpp"
#include "common/sim_crypto.hpp"
#include "sms/segments.hpp"

namespace chelete::simulators::sms {
namespace {

using Json = nlohmann::json;

bool digits(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// 266 + 8 digits (Lesotho) or 27 + 9 digits (South Africa), international form without '+'.
bool is_sms_number(std::string_view to) {
    constexpr std::size_t kLesotho = 11;
    constexpr std::size_t kSouthAfrica = 11;
    if (!digits(to)) {
        return false;
    }
    return (to.size() == kLesotho && to.substr(0, 3) == "266") ||
           (to.size() == kSouthAfrica && to.substr(0, 2) == "27");
}

bool is_reference(std::string_view text) {
    constexpr std::size_t kMax = 64;
    return !text.empty() && text.size() <= kMax &&
           std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '.' || c == '_' || c == ':' || c == '-';
           });
}

/// An alphanumeric sender id: 1-11 letters, digits or spaces (what networks accept).
bool is_sender(std::string_view text) {
    constexpr std::size_t kMax = 11;
    return !text.empty() && text.size() <= kMax &&
           std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == ' ';
           });
}

const std::string* text_of(const Json& doc, const char* key) {
    const auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

Json accepted(const SmsMessage& message) {
    return Json{
        {"message_id", message.message_id}, {"status", "queued"}, {"segments", message.segments}};
}

}  // namespace

SmsApp::SmsApp(SmsOptions options, const platform::Clock& clock)
    : options_(std::move(options)), clock_(clock), schedule_(options_.faults, options_.seed) {}

std::vector<SmsMessage> SmsApp::messages() const {
    const std::lock_guard lock{mutex_};
    return messages_;
}

SimResponse SmsApp::handle(const SimRequest& request) {
    if (request.path == "/healthz") {
        return health(request);
    }
    if (request.path == "/admin/messages") {
        if (request.method != "GET") {
            return method_not_allowed("GET");
        }
        const auto to = request.query.find("to");
        Json list = Json::array();
        for (const auto& m : messages()) {
            if (to != request.query.end() && m.to != to->second) {
                continue;
            }
            list.push_back(Json{
                {"message_id", m.message_id},
                {"to", m.to},
                {"from", m.from},
                {"text", m.text},
                {"reference", m.reference},
                {"segments", m.segments},
                {"received_at", format_utc_seconds(m.received_at)}});
        }
        return json_response(200, Json{{"messages", std::move(list)}});
    }
    if (request.path != "/v1/messages") {
        return error_response(404, "no_such_route");
    }
    Fault fault = Fault::kNone;
    {
        const std::lock_guard lock{mutex_};
        fault = schedule_.next();  // one draw per request, in arrival order
    }
    SimResponse response;
    if (fault == Fault::kUnavailable) {
        response = service_unavailable();
    } else if (request.method != "POST") {
        response = method_not_allowed("POST");
    } else {
        response = send(request);
    }
    response.delay = options_.latency;
    if (fault == Fault::kTimeout) {
        response.delay += options_.timeout_hold;  // processed; the answer comes too late
    }
    return response;
}

SimResponse SmsApp::send(const SimRequest& request) {
    const std::string* key = request.header("x-api-key");
    if (key == nullptr || !constant_time_equal(*key, options_.api_key)) {
        return error_response(401, "unauthorized", "X-Api-Key is missing or wrong");
    }
    const Json doc = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) {
        return error_response(400, "invalid_request", "the body must be a JSON object");
    }
    const std::string* to = text_of(doc, "to");
    const std::string* from = text_of(doc, "from");
    const std::string* text = text_of(doc, "text");
    const std::string* reference = text_of(doc, "reference");
    const auto count = text != nullptr ? count_segments(*text) : std::nullopt;
    std::string problem;
    if (to == nullptr || !is_sms_number(*to)) {
        problem = "to must be 266 + 8 digits or 27 + 9 digits";
    } else if (from == nullptr || !is_sender(*from)) {
        problem = "from must be 1-11 letters, digits or spaces";
    } else if (text == nullptr || text->empty()) {
        problem = "text must be a non-empty string";
    } else if (!count) {
        problem = "text must be valid UTF-8";
    } else if (reference == nullptr || !is_reference(*reference)) {
        problem = "reference must be 1-64 characters of [A-Za-z0-9._:-]";
    }
    if (!problem.empty()) {
        return error_response(400, "invalid_request", problem);
    }
    const std::lock_guard lock{mutex_};
    if (const auto it = by_reference_.find(*reference); it != by_reference_.end()) {
        return json_response(200, accepted(messages_.at(it->second)));
    }
    SmsMessage message{
        "msg_" + random_hex(8), *to, *from, *text, *reference, count->segments, clock_.now()};
    by_reference_.emplace(message.reference, messages_.size());
    messages_.push_back(std::move(message));
    return json_response(202, accepted(messages_.back()));
}

}  // namespace chelete::simulators::sms
