// An officer checks a recorded permit against the permit registry (DOMAIN.md 6: Chelete keeps its
// own verified records: evidence, officer, date, method). The registry is a partner we cannot
// trust to answer: "unavailable" is never read as "not found", and changes nothing here.
#include <spdlog/spdlog.h>

#include "service/context.hpp"

namespace chelete::registry::detail {
namespace {

std::string date_text(const std::optional<platform::Date>& d) {
    return d ? d->to_string() : std::string{};
}

json registry_view(const permit_registry::PermitRecord& rec) {
    return json{
        {"type", std::string{permit_registry::to_string(rec.type)}},
        {"status", std::string{permit_registry::to_string(rec.status)}},
        {"printed_expiry",
         rec.printed_expiry ? json(date_text(rec.printed_expiry)) : json(nullptr)},
        {"legal_expiry", rec.legal_expiry ? json(date_text(rec.legal_expiry)) : json(nullptr)},
        {"directive_ref", rec.directive_ref ? json(*rec.directive_ref) : json(nullptr)}};
}

}  // namespace

api::Reply verify_permit(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string id = r.path_param("id");
    if (!is_uuid(id)) {
        return api::not_found("permit");
    }
    const auto rows = tx.exec_params(
        "SELECT p.type, p.number, p.status, p.printed_expiry::text, p.worker_id::text, "
        "w.family_name, p.status_source FROM permits p JOIN "
        "workers w ON w.id = p.worker_id WHERE p.id = $1",
        id
    );
    if (rows.empty()) {
        return api::not_found("permit");
    }
    if (rows[0][1].is_null()) {
        return unprocessable(
            {{"number", "an application has no permit number to look up until it is issued"}}
        );
    }
    const std::string type = rows[0][0].as<std::string>();
    const std::string number = rows[0][1].as<std::string>();
    const std::string surname = rows[0][5].as<std::string>();
    const std::string worker_id = rows[0][4].as<std::string>();
    if (!permit_registry::parse_permit_type(type)) {
        return unprocessable(
            {{"type", "only LSP, LEP and work visa records are held by the permit registry"}}
        );
    }
    if (!permit_registry::is_valid_permit_number(number) ||
        !permit_registry::is_valid_surname(surname)) {
        return unprocessable(
            {{"number", "this number or surname cannot be looked up in the permit registry"}}
        );
    }
    if (ctx.permit_registry == nullptr) {
        return api::problem(
            503,
            "permit-registry-unavailable",
            "The permit registry is not configured",
            "set CHELETE_PERMIT_REGISTRY_URL"
        );
    }
    // The lookup runs while this transaction is open but holds no row lock (plain SELECT above),
    // bounded by the client's timeout and retries.
    const auto result = ctx.permit_registry->lookup(number, surname);
    if (const auto* down = std::get_if<permit_registry::Unavailable>(&result)) {
        spdlog::warn(
            "permit registry unavailable for permit {}: {} ({})",
            id,
            permit_registry::to_string(down->reason),
            down->detail
        );
        auto reply = api::problem(
            503,
            "permit-registry-unavailable",
            "The permit registry did not answer",
            "nothing was changed; try again later"
        );
        reply.headers["Retry-After"] = "30";
        return reply;
    }
    std::string outcome;
    json registry = nullptr;
    json verification{
        {"checked_at", platform::format_rfc3339(ctx.clock.now())}, {"officer", r.caller->subject}};
    if (std::holds_alternative<permit_registry::NotFound>(result)) {
        outcome = "not_found";
    } else {
        const auto& rec = std::get<permit_registry::Found>(result).record;
        registry = registry_view(rec);
        const bool same_type = permit_registry::to_string(rec.type) == type;
        const bool same_printed =
            !rec.printed_expiry || date_text(rec.printed_expiry) == rows[0][3].as<std::string>();
        outcome = same_type && same_printed ? "verified" : "mismatch";
    }
    verification["outcome"] = outcome;
    verification["registry"] = registry;
    if (outcome == "verified") {
        const auto& rec = std::get<permit_registry::Found>(result).record;
        // The registry's word on revocation and supersession stands; otherwise the standing
        // follows the printed date and the directives recorded here, by the same steps as the
        // daily job (calendar_steps: allowed transitions only, an officer's decision kept).
        const auto recorded =
            permit_status_from(rows[0][2].as<std::string>()).value_or(PermitStatus::kValid);
        auto source = permit_status_source_from(rows[0][6].as<std::string>())
                          .value_or(PermitStatusSource::kOfficer);
        std::vector<PermitStatus> steps;
        if (rec.status == permit_registry::PermitStatus::kRevoked ||
            rec.status == permit_registry::PermitStatus::kSuperseded) {
            const PermitStatus said = rec.status == permit_registry::PermitStatus::kRevoked
                                          ? PermitStatus::kRevoked
                                          : PermitStatus::kSuperseded;
            if (said != recorded) {
                steps.push_back(said);
                source = PermitStatusSource::kRegistry;
            }
        } else {
            const auto standing = permit_standing(
                recorded,
                type,
                parse_date(rows[0][3].as<std::string>()),
                directives_for(tx, type),
                ctx.today()
            );
            steps = calendar_steps(recorded, source, standing.status);
            if (!steps.empty()) {
                source = PermitStatusSource::kCalendar;
            }
        }
        const PermitStatus status = steps.empty() ? recorded : steps.back();
        tx.exec_params0(
            "UPDATE permits SET verified_at = now(), verified_by = $2, verification = $3::jsonb, "
            "status = $4, status_source = $5 WHERE id = $1",
            id,
            r.caller->subject,
            verification.dump(),
            std::string{to_string(status)},
            std::string{to_string(source)}
        );
        record_permit_steps(tx, id, recorded, steps, "permit registry check", r.caller->subject);
        if (status != recorded) {
            ctx.publish(
                tx,
                messages::kPermitStatusChanged,
                json{{"permit_id", id}, {"worker_id", worker_id}, {"status", to_string(status)}}
            );
        }
    } else {
        // Kept as evidence of the attempt; the permit stays unverified.
        tx.exec_params0(
            "UPDATE permits SET verification = $2::jsonb WHERE id = $1", id, verification.dump()
        );
    }
    log_access(
        tx, r, worker_id, "update", "permit_verification", "number,surname", "permit_tracking"
    );
    return api::json(
        200, json{{"outcome", outcome}, {"registry", registry}, {"permit", permit_view(tx, id)}}
    );
}

}  // namespace chelete::registry::detail
