#pragma once

// How a service answers one forwarded HTTP operation inside its consumer's transaction.

#include <functional>
#include <string_view>

#include <pqxx/pqxx>

#include <chelete/platform/api.hpp>

namespace chelete::platform {

/// Runs `handler` in a savepoint of its own. An answer below 400 (or with `kept_status`, e.g. a
/// failed login whose counter must stay) is kept; any other refusal rolls back everything the
/// handler wrote, so nothing half-written remains. A unique key raced by a concurrent request
/// becomes a 409, and a value PostgreSQL refuses (SQLSTATE class 22) a 400: the request's fault,
/// not a message to retry and dead-letter. `service` names the log line.
[[nodiscard]] api::Reply answer_in_savepoint(
    pqxx::dbtransaction& tx,
    std::string_view service,
    const api::Request& request,
    const std::function<api::Reply(pqxx::dbtransaction&)>& handler,
    int kept_status = 0
);

}  // namespace chelete::platform
