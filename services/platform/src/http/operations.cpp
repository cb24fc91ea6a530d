#include <spdlog/spdlog.h>

#include <chelete/platform/operations.hpp>
#include <chelete/platform/pg.hpp>

namespace chelete::platform {

api::Reply answer_in_savepoint(
    pqxx::dbtransaction& tx,
    std::string_view service,
    const api::Request& request,
    const std::function<api::Reply(pqxx::dbtransaction&)>& handler,
    int kept_status
) {
    Savepoint sp{tx, "op"};
    try {
        auto reply = handler(sp);
        if (reply.status >= 400 && reply.status != kept_status) {
            sp.abort();
        } else {
            sp.commit();
        }
        return reply;
    } catch (const pqxx::unique_violation&) {
        sp.abort();
        return api::problem(
            409,
            "conflict",
            "Conflict",
            "the record already exists (a concurrent request created it)"
        );
    } catch (const pqxx::data_exception& e) {
        sp.abort();
        spdlog::warn(
            "{} {}: value refused by PostgreSQL: {}", service, request.operation, e.what()
        );
        return api::problem(
            400, "bad-request", "A value is not acceptable", "check the request's fields"
        );
    }
}

}  // namespace chelete::platform
