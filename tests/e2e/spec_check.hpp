#pragma once

#include <string>

#include <chelete/testing/http_client.hpp>

namespace chelete::testing {

/// Checks an answer against api-spec/openapi.yaml: the status is documented for the operation
/// and the body matches the schema documented for it (429/503/504 are the gateway's own,
/// documented globally). Reports failures through GoogleTest; returns whether it checked a body.
bool check_against_spec(const std::string& method, const std::string& path, const HttpResult& r);

}  // namespace chelete::testing
