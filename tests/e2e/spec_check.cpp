#include "spec_check.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chelete/gateway/gateway.hpp>
#include <chelete/gateway/openapi.hpp>

namespace chelete::testing {
namespace {

std::string lower(std::string text) {
    for (auto& c : text) {
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return text;
}

}  // namespace

bool check_against_spec(const std::string& method, const std::string& path, const HttpResult& r) {
    static const auto spec = gateway::OpenApiSpec::load(gateway::embedded_openapi_yaml());
    const auto match = spec.match(method, path.substr(0, path.find('?')));
    EXPECT_TRUE(match.has_value()) << method << " " << path;
    if (!match) {
        return false;
    }
    if (r.status == 429 || r.status == 503 || r.status == 504) {
        return false;  // the gateway's own answers, documented globally
    }
    const auto& responses = match->operation->responses;
    const std::string status = std::to_string(r.status);
    const auto it = responses.find(status);
    // `responses` holds the statuses with a JSON schema; one documented with a text body only
    // (text/plain, text/csv) is in the document alone.
    const auto& op = match->operation;
    const auto& documented =
        spec.document()["paths"][op->path_template][lower(op->method)]["responses"];
    const bool listed =
        it != responses.end() || (documented.is_object() && documented.contains(status));
    EXPECT_TRUE(listed) << op->operation_id << " answered an undocumented " << r.status << ": "
                        << r.body;
    if (it == responses.end() || !it->second) {
        return false;
    }
    // A text answer (text/csv) has no JSON schema to check: a documented status is enough.
    if (const auto type = r.headers.find("content-type");
        type != r.headers.end() && type->second.starts_with("text/")) {
        return false;
    }
    const auto parsed = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << r.body;
    const auto errors = gateway::validate(*it->second, parsed);
    EXPECT_TRUE(errors.empty()
    ) << match->operation->operation_id
      << " " << r.status << " does not match the spec: "
      << (errors.empty() ? "" : errors.front().field + " " + errors.front().message) << "\n"
      << r.body;
    return true;
}

}  // namespace chelete::testing
