#include "adapters/sms_wire.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/msisdn.hpp"

namespace chelete::sms {

std::string_view to_string(SendOutcome outcome) {
    switch (outcome) {
        case SendOutcome::kAccepted:
            return "accepted";
        case SendOutcome::kRetryable:
            return "retryable";
        case SendOutcome::kRejected:
            return "rejected";
    }
    return "retryable";
}

namespace wire {
namespace {

using nlohmann::json;

/// A short, printable excerpt of the gateway's error code for logs.
std::string error_code_of(const json& body) {
    if (!body.is_object()) {
        return "";
    }
    const auto it = body.find("error");
    if (it == body.end() || !it->is_string()) {
        return "";
    }
    std::string code = it->get<std::string>().substr(0, 64);
    std::replace_if(
        code.begin(), code.end(), [](char c) { return c < 0x20 || c > 0x7E; }, '?'
    );
    return code;
}

}  // namespace

std::string message_body(const OutgoingSms& sms) {
    return json{
        {"to", gateway_msisdn(sms.to)},
        {"from", sms.from},
        {"text", sms.text},
        {"reference", sms.reference}}
        .dump();
}

bool is_valid_reference(std::string_view reference) {
    return !reference.empty() && reference.size() <= 64 &&
           std::all_of(reference.begin(), reference.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == ':' || c == '-';
           });
}

SendResult interpret_reply(long status, std::string_view body) {
    SendResult r;
    r.http_status = status;
    const json j = json::parse(body, nullptr, false);
    const std::string code = error_code_of(j);
    const std::string prefix =
        "gateway answered " + std::to_string(status) + (code.empty() ? "" : " " + code);
    if (status >= 200 && status <= 299) {
        const bool shaped = j.is_object() && j.contains("message_id") &&
                            j["message_id"].is_string() && j.contains("segments") &&
                            j["segments"].is_number_unsigned();
        const std::string id = shaped ? j["message_id"].get<std::string>() : std::string{};
        const auto segments = shaped ? j["segments"].get<std::uint64_t>() : 0;
        if (!shaped || id.empty() || id.size() > 128 || segments < 1 || segments > 255) {
            r.outcome = SendOutcome::kRetryable;
            r.detail = prefix + " with a body that is not {message_id, segments}";
            return r;
        }
        r.outcome = SendOutcome::kAccepted;
        r.message_id = id;
        r.segments = static_cast<int>(segments);
        r.detail = prefix;
        return r;
    }
    if (status == 408 || status == 429 || (status >= 500 && status <= 599)) {
        r.outcome = SendOutcome::kRetryable;
    } else {
        // 4xx, and what a gateway has no business answering (1xx, 3xx: redirects are not followed).
        r.outcome = SendOutcome::kRejected;
    }
    r.detail = prefix;
    return r;
}

}  // namespace wire
}  // namespace chelete::sms
