#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace chelete::simulators {

/// An HTTP request as a simulator sees it, independent of Pistache so handlers are pure functions
/// tested without sockets.
struct SimRequest {
    std::string method;                          // "GET", "POST", ...
    std::string path;                            // as sent, percent-escapes intact
    std::map<std::string, std::string> query;    // names and values percent-decoded
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;

    /// nullptr when absent; `name` in lower case.
    [[nodiscard]] const std::string* header(const std::string& name) const;
};

struct SimResponse {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    /// Answer only after this long: injected latency, or a "timeout" fault that holds the answer
    /// past any sensible client timeout. The server holds it off the reactor threads.
    std::chrono::milliseconds delay{0};
};

using SimHandler = std::function<SimResponse(const SimRequest&)>;

[[nodiscard]] SimResponse json_response(int status, const nlohmann::json& body);
/// {"error": code} plus "detail" when given: the simulators' error body.
[[nodiscard]] SimResponse error_response(
    int status, std::string_view code, std::string_view detail = {}
);

/// Runs the handler; an exception becomes a generic 500 JSON body (the message goes to the log,
/// never to the client: Pistache would otherwise answer with e.what(), STYLE.md §3.1).
[[nodiscard]] SimResponse respond_safely(
    const SimHandler& handler, const SimRequest& request
) noexcept;

/// Decodes %XX escapes (and '+' as a space, as in query strings when `plus_is_space`); nullopt for
/// a broken escape.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

/// Compares in time independent of where the first difference is (API keys).
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace chelete::simulators
