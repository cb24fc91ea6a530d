#include "permit_registry/permit_registry_app.hpp"

#include <array>
#include <string_view>

namespace chelete::simulators::permit_registry {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kPermitsPrefix = "/permits/";

SimResponse method_not_allowed(std::string_view allow) {
    auto response = error_response(405, "method_not_allowed");
    response.headers.emplace_back("Allow", std::string{allow});
    return response;
}

}  // namespace

PermitRegistryApp::PermitRegistryApp(
    PermitRegistryOptions options, const std::vector<SimPermit>& preload
)
    : options_(std::move(options)), schedule_(options_.faults, options_.seed) {
    for (const auto& permit : preload) {
        store_.put(permit);
    }
}

RequestCounts PermitRegistryApp::counts() const {
    const std::lock_guard lock{mutex_};
    return counts_;
}

void PermitRegistryApp::count(std::uint64_t RequestCounts::*outcome) {
    const std::lock_guard lock{mutex_};
    ++(counts_.*outcome);
}

bool PermitRegistryApp::authorised(const SimRequest& request) const {
    const std::string* key = request.header("x-api-key");
    return key != nullptr && constant_time_equal(*key, options_.api_key);
}

SimResponse PermitRegistryApp::handle(const SimRequest& request) {
    const std::string_view path = request.path;
    if (path == "/healthz") {
        if (request.method != "GET") {
            return method_not_allowed("GET");
        }
        return json_response(200, Json{{"status", "ok"}, {"permits", store_.size()}});
    }
    if (path.rfind(kPermitsPrefix, 0) == 0) {
        return handle_lookup(request, std::string{path.substr(kPermitsPrefix.size())});
    }
    if (path.rfind("/admin/", 0) == 0) {
        if (!authorised(request)) {
            return error_response(401, "unauthorized", "X-Api-Key is missing or wrong");
        }
        return handle_admin(request);
    }
    // Deliberately not "permit_not_found": a client must be able to tell a wrong URL from a
    // verdict.
    return error_response(404, "no_such_route");
}

SimResponse PermitRegistryApp::handle_lookup(
    const SimRequest& request, const std::string& encoded_number
) {
    Fault fault = Fault::kNone;
    std::uint64_t variant = 0;
    {
        const std::lock_guard lock{mutex_};
        ++counts_.total;
        // One draw per request in arrival order, so a seed replays the same schedule.
        fault = schedule_.next();
        if (fault == Fault::kMalformed) {
            variant = schedule_.pick(3);
        }
    }
    SimResponse response;
    if (fault == Fault::kUnavailable) {
        count(&RequestCounts::unavailable);
        response = error_response(503, "service_unavailable");
        response.headers.emplace_back("Retry-After", "1");
        response.delay = options_.latency;
        return response;
    }
    const auto number = percent_decode(encoded_number, false);
    const auto surname = request.query.find("surname");
    std::uint64_t RequestCounts::*outcome = &RequestCounts::bad_request;
    if (!authorised(request)) {
        outcome = &RequestCounts::unauthorized;
        response = error_response(401, "unauthorized", "X-Api-Key is missing or wrong");
    } else if (request.method != "GET") {
        response = method_not_allowed("GET");
    } else if (!number || !is_permit_number(*number)) {
        response = error_response(400, "invalid_permit_number", "1-32 characters of [A-Za-z0-9-]");
    } else if (surname == request.query.end() || surname->second.empty()) {
        response = error_response(400, "surname_required", "?surname= is required");
    } else if (fault == Fault::kMalformed) {
        outcome = &RequestCounts::malformed;
        response = malformed_answer(*number, surname->second, variant);
    } else if (const auto permit = store_.find(*number, surname->second)) {
        outcome = &RequestCounts::found;
        response = json_response(200, to_json(*permit));
    } else {
        outcome = &RequestCounts::not_found;
        // Unknown number and wrong surname look the same: the number's existence does not leak.
        response = error_response(404, "permit_not_found");
    }
    // A held answer is counted as a timeout whatever it says: its client never reads it.
    count(fault == Fault::kTimeout ? &RequestCounts::timeout : outcome);
    response.delay = options_.latency;
    if (fault == Fault::kTimeout) {
        response.delay += options_.timeout_hold;
    }
    return response;
}

SimResponse PermitRegistryApp::malformed_answer(
    const std::string& number, const std::string& surname, std::uint64_t variant
) {
    SimPermit shape{
        number,
        "LEP",
        surname,
        "valid",
        "2020-01-01",
        "2023-12-31",
        "2027-05-28",
        "Immigration Directive No. 21 of 2025"};
    if (const auto permit = store_.find(number, surname)) {
        shape = *permit;
    }
    SimResponse response;
    switch (variant) {
        case 0: {
            // Cut off mid-body, as a crashed upstream or a truncated proxy buffer would.
            const std::string whole = to_json(shape).dump();
            response.body = whole.substr(0, whole.size() / 2);
            break;
        }
        case 1:
            // An HTML error page served with 200 by a misconfigured front end.
            response.content_type = "text/html";
            response.body =
                "<html><head><title>Service Temporarily Unavailable</title></head>"
                "<body><h1>Please try again later</h1></body></html>";
            break;
        default: {
            // Well-formed JSON breaking the contract: a date as a number, as after a schema change.
            Json doc = to_json(shape);
            doc["legal_expiry"] = 20270528;
            response.body = doc.dump();
            break;
        }
    }
    return response;
}

SimResponse PermitRegistryApp::handle_admin(const SimRequest& request) {
    if (request.path == "/admin/permits") {
        if (request.method != "POST") {
            return method_not_allowed("POST");
        }
        const Json doc = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
        if (doc.is_discarded()) {
            return error_response(400, "invalid_json");
        }
        auto permit = permit_from_json(doc);
        if (!permit.ok()) {
            return error_response(400, "invalid_permit", permit.error());
        }
        const std::string number = permit.value().number;
        const bool replaced = store_.put(std::move(permit).value());
        return json_response(
            replaced ? 200 : 201, Json{{"number", number}, {"replaced", replaced}}
        );
    }
    if (request.path == "/admin/requests") {
        if (request.method != "GET") {
            return method_not_allowed("GET");
        }
        const auto c = counts();
        return json_response(
            200,
            Json{
                {"total", c.total},
                {"by_outcome",
                 {{"found", c.found},
                  {"not_found", c.not_found},
                  {"unauthorized", c.unauthorized},
                  {"bad_request", c.bad_request},
                  {"unavailable", c.unavailable},
                  {"timeout", c.timeout},
                  {"malformed", c.malformed}}},
            }
        );
    }
    return error_response(404, "no_such_route");
}

}  // namespace chelete::simulators::permit_registry
