// Recruitment agencies under ministry control, and workers' complaints about them.
#include <chelete/platform/crypto.hpp>
#include <chelete/platform/random_ids.hpp>

#include "service/context.hpp"

namespace chelete::registry::detail {
namespace {

constexpr std::string_view kAgencyColumns =
    "id::text, name, registration_no, licence_no, status, valid_until::text, to_char(created_at AT "
    "TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

AgencyStatus status_today(const Context& ctx, const pqxx::row& a) {
    const auto stored = agency_status_from(a[4].as<std::string>()).value_or(AgencyStatus::kApplied);
    const auto until = a[5].is_null() ? std::nullopt : parse_date(a[5].as<std::string>());
    return agency_status_on(stored, until, ctx.today(), ctx.settings.renewal_window_days);
}

/// The public view: licence, status, validity, sanctions and complaint counts; no personal data
/// (directors, contact phone and address stay with the ministry).
json public_agency(
    const Context& ctx, pqxx::transaction_base& tx, const pqxx::row& a, bool with_detail
) {
    json out{
        {"id", a[0].as<std::string>()},
        {"name", a[1].as<std::string>()},
        {"registration_no", a[2].as<std::string>()},
        {"licence_no", nullable(a[3])},
        {"status", std::string{to_string(status_today(ctx, a))}},
        {"valid_until", nullable(a[5])}};
    if (!with_detail) {
        return out;
    }
    json sanctions = json::array();
    for (const auto& d : tx.exec_params(
             "SELECT action, to_status, to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM "
             "agency_decisions WHERE "
             "agency_id = $1 AND action IN ('suspend', 'reinstate', 'revoke', 'ban') ORDER BY id",
             a[0].as<std::string>()
         )) {
        sanctions.push_back(
            {{"action", d[0].as<std::string>()},
             {"status", d[1].as<std::string>()},
             {"on", d[2].as<std::string>()}}
        );
    }
    json counts = json::object();
    for (const auto& c : tx.exec_params(
             "SELECT category, count(*) FROM complaints WHERE agency_id = $1 GROUP BY category",
             a[0].as<std::string>()
         )) {
        counts[c[0].as<std::string>()] = c[1].as<std::int64_t>();
    }
    out["sanctions"] = sanctions;
    out["complaints_by_category"] = counts;
    return out;
}

std::optional<pqxx::row> find_agency(
    pqxx::transaction_base& tx, const std::string& id, bool for_update = false
) {
    if (!is_uuid(id)) {
        return std::nullopt;
    }
    const auto rows = tx.exec_params(
        "SELECT " + std::string{kAgencyColumns} + " FROM agencies WHERE id = $1" +
            (for_update ? " FOR UPDATE" : ""),
        id
    );
    if (rows.empty()) {
        return std::nullopt;
    }
    return rows[0];
}

json complaint_json(const pqxx::row& c) {
    return json{
        {"id", c[0].as<std::string>()},
        {"tracking_no", c[1].as<std::string>()},
        {"agency_id", c[2].as<std::string>()},
        {"worker_id", c[3].as<std::string>()},
        {"category", c[4].as<std::string>()},
        {"description", c[5].as<std::string>()},
        {"status", c[6].as<std::string>()},
        {"created_at", c[7].as<std::string>()}};
}

constexpr std::string_view kComplaintColumns =
    "id::text, tracking_no, agency_id::text, worker_id::text, category, description, status, "
    "to_char(created_at AT TIME "
    "ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

/// A director's identity number as typed, in clear: only in a request, or in a row written
/// before numbers were sealed (V004).
constexpr const char* kClearNationalId = "national_id";
constexpr const char* kSealedNationalId = "national_id_enc";
constexpr const char* kMaskedNationalId = "national_id_masked";

/// Seals one director's clear number in place: the envelope and a masked copy replace it.
void seal_director(
    const platform::crypto::FieldCipher& cipher, json& director, const std::string& place
) {
    const json& typed = director[kClearNationalId];
    const std::string normal = platform::crypto::normalize_identity_number(
        typed.is_string() ? typed.get<std::string>() : typed.dump()
    );
    director[kSealedNationalId] = cipher.encrypt(normal, place);
    director[kMaskedNationalId] = mask_identity_number(normal);
    director.erase(kClearNationalId);
}

}  // namespace

std::string director_national_id_place(const std::string& agency_id, std::size_t index) {
    return "agencies.directors.national_id:" + agency_id + ":" + std::to_string(index);
}

json director_view(const json& stored) {
    json out = json::object();
    out["full_name"] = text_of(stored, "full_name");
    out["national_id"] = stored.contains(kMaskedNationalId) ? stored[kMaskedNationalId] : json();
    if (stored.contains("police_clearance")) {
        out["police_clearance"] = stored["police_clearance"];
    }
    return out;
}

DirectorSealing seal_directors(
    const platform::crypto::FieldCipher& cipher,
    const std::string& agency_id,
    json& directors,
    bool reseal_old_keys
) {
    DirectorSealing out;
    if (!directors.is_array()) {
        return out;
    }
    for (std::size_t i = 0; i < directors.size(); ++i) {
        json& d = directors[i];
        if (!d.is_object()) {
            continue;
        }
        const std::string place = director_national_id_place(agency_id, i);
        if (d.contains(kClearNationalId)) {
            seal_director(cipher, d, place);
            ++out.rewritten;
            continue;
        }
        if (!reseal_old_keys || !d.contains(kSealedNationalId) ||
            !d[kSealedNationalId].is_string()) {
            continue;
        }
        const std::string envelope = d[kSealedNationalId].get<std::string>();
        if (platform::crypto::FieldCipher::key_id_of(envelope) == cipher.current_key_id()) {
            continue;
        }
        const auto plain = cipher.decrypt(envelope, place);
        if (!plain) {
            ++out.unreadable;  // left as it is, reported
            continue;
        }
        d[kSealedNationalId] = cipher.encrypt(*plain, place);
        ++out.rewritten;
    }
    return out;
}

api::Reply create_agency(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    // The contact phone may be an office line (the spec checks E.164); directors' names follow
    // the name rules, their identity numbers those of every identity number.
    std::vector<api::FieldError> errors;
    json directors = r.body.value("directors", json::array());
    for (std::size_t i = 0; i < directors.size(); ++i) {
        const std::string at = "directors[" + std::to_string(i) + "]";
        if (const auto e = check_name(text_of(directors[i], "full_name"))) {
            errors.push_back({at + ".full_name", *e});
        }
        if (directors[i].contains(kClearNationalId)) {
            if (const auto e = check_identity_number(text_of(directors[i], kClearNationalId))) {
                errors.push_back({at + "." + kClearNationalId, *e});
            }
        }
    }
    if (!errors.empty()) {
        return unprocessable(errors);
    }
    const std::string id = platform::new_uuid();
    // Identity numbers are stored sealed (the agency and the director's place as associated
    // data) with a masked copy; answers, and so the gateway's idempotency record, show the mask.
    (void)seal_directors(ctx.cipher, id, directors, false);
    json directors_view = json::array();
    for (const auto& d : directors) {
        directors_view.push_back(director_view(d));
    }
    const auto inserted = tx.exec_params(
        "INSERT INTO agencies (id, name, registration_no, address, contact_phone, directors, bond, "
        "status) VALUES ($1, $2, "
        "$3, $4, $5, $6::jsonb, $7::jsonb, 'applied') ON CONFLICT (registration_no) DO NOTHING "
        "RETURNING id",
        id,
        body_string(r, "name"),
        body_string(r, "registration_no"),
        body_string(r, "address"),
        body_string(r, "contact_phone"),
        directors.dump(),
        r.body.contains("bond") ? std::optional{r.body["bond"].dump()} : std::nullopt
    );
    if (inserted.empty()) {
        auto reply = conflict("an agency with this company registration number exists");
        reply.body["errors"] =
            json::array({{{"field", "registration_no"}, {"message", "already registered"}}});
        return reply;
    }
    tx.exec_params0(
        "INSERT INTO agency_decisions (agency_id, action, from_status, to_status, reason, "
        "officer_id) VALUES ($1, 'apply', "
        "'none', 'applied', 'application recorded', $2)",
        id,
        r.caller->subject
    );
    return api::json(
        201,
        json{
            {"id", id},
            {"name", body_string(r, "name")},
            {"registration_no", body_string(r, "registration_no")},
            {"licence_no", nullptr},
            {"status", "applied"},
            {"valid_until", nullptr},
            {"address", body_string(r, "address")},
            {"contact_phone", body_string(r, "contact_phone")},
            {"directors", directors_view}}
    );
}

api::Reply list_agencies(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    api::Reply error;
    const auto page = page_of(r, CursorKey::kUuid, error);
    if (!page) {
        return error;
    }
    const std::string status = text_of(r.query, "status");
    const std::string q = text_of(r.query, "q");
    // The status filter applies to the status as of today (licences fall due by the clock), so
    // filter after computing it; pages are keyed by id and may come back short, never wrong.
    const auto rows = tx.exec_params(
        "SELECT " + std::string{kAgencyColumns} +
            " FROM agencies WHERE ($1 = '' OR id > $1::uuid) AND ($2 = '' OR name ILIKE '%' || $2 "
            "|| '%' OR licence_no = $2 "
            "OR registration_no = $2) ORDER BY id LIMIT $3",
        page->after,
        q,
        page->limit + 1
    );
    json items = json::array();
    std::string last;
    for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < page->limit; ++i) {
        last = rows[i][0].as<std::string>();
        auto a = public_agency(ctx, tx, rows[i], false);
        if (status.empty() || a["status"] == status) {
            items.push_back(std::move(a));
        }
    }
    const bool more = static_cast<int>(rows.size()) > page->limit;
    return api::json(
        200, json{{"items", items}, {"next_cursor", more ? json(cursor_for(last)) : json(nullptr)}}
    );
}

api::Reply get_agency(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    const auto a = find_agency(tx, r.path_param("id"));
    if (!a) {
        return api::not_found("agency");
    }
    return api::json(200, public_agency(ctx, tx, *a, true));
}

api::Reply verify_agency_licence(
    const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r
) {
    const auto rows = tx.exec_params(
        "SELECT " + std::string{kAgencyColumns} + " FROM agencies WHERE licence_no = $1",
        r.path_param("licence_no")
    );
    if (rows.empty()) {
        return api::not_found("licence");
    }
    return api::json(
        200,
        json{
            {"licence_no", rows[0][3].as<std::string>()},
            {"name", rows[0][1].as<std::string>()},
            {"status", std::string{to_string(status_today(ctx, rows[0]))}},
            {"valid_until", nullable(rows[0][5])}}
    );
}

api::Reply decide_agency(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string id = r.path_param("id");
    const auto a = find_agency(tx, id, true);
    if (!a) {
        return api::not_found("agency");
    }
    const auto action = agency_action_from(body_string(r, "action"));
    const AgencyStatus from = status_today(ctx, *a);
    const auto to = action ? next_agency_status(from, *action) : std::nullopt;
    if (!to) {
        return conflict(
            "'" + body_string(r, "action") + "' is not allowed for an agency that is " +
            std::string{to_string(from)}
        );
    }
    std::optional<std::string> valid_until =
        a->at(5).is_null() ? std::nullopt : std::optional{a->at(5).as<std::string>()};
    std::optional<std::string> licence_no =
        a->at(3).is_null() ? std::nullopt : std::optional{a->at(3).as<std::string>()};
    if (*action == AgencyAction::kApprove || *action == AgencyAction::kRenew) {
        // A new term from today (approve) or from the end of the current one (renew).
        const Day start = *action == AgencyAction::kRenew && valid_until
                              ? std::max(ctx.today(), *parse_date(*valid_until))
                              : ctx.today();
        std::string end = format_date(start);
        end.replace(0, 4, std::to_string(std::stoi(end.substr(0, 4)) + ctx.settings.licence_years));
        if (!parse_date(end)) {
            end.replace(8, 2, "28");  // 29 February into a common year
        }
        valid_until = end;
    }
    if (*action == AgencyAction::kApprove && !licence_no) {
        const auto n = tx.exec1("SELECT nextval('licence_numbers')")[0].as<std::int64_t>();
        const std::string year = format_date(ctx.today()).substr(0, 4);
        std::string digits = std::to_string(n);
        licence_no = "LS-RA-" + year + "-" +
                     std::string(digits.size() < 6 ? 6 - digits.size() : 0, '0') + digits;
    }
    tx.exec_params0(
        "UPDATE agencies SET status = $2, valid_until = $3::date, licence_no = $4, updated_at = "
        "now() WHERE id = $1",
        id,
        std::string{to_string(*to)},
        valid_until,
        licence_no
    );
    tx.exec_params0(
        "INSERT INTO agency_decisions (agency_id, action, from_status, to_status, reason, "
        "officer_id) VALUES ($1, $2, $3, $4, "
        "$5, $6)",
        id,
        std::string{to_string(*action)},
        std::string{to_string(from)},
        std::string{to_string(*to)},
        body_string(r, "reason"),
        r.caller->subject
    );
    ctx.publish(
        tx,
        messages::kAgencyStatusChanged,
        json{{"agency_id", id}, {"status", to_string(*to)}, {"action", to_string(*action)}}
    );
    const auto updated = find_agency(tx, id);
    auto out = public_agency(ctx, tx, *updated, true);
    return api::json(200, out);
}

api::Reply agency_history(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    api::Reply error;
    const auto page = page_of(r, CursorKey::kSequence, error);
    if (!page) {
        return error;
    }
    const std::string id = r.path_param("id");
    if (!find_agency(tx, id)) {
        return api::not_found("agency");
    }
    // Oldest first, by the decision's sequence number (the cursor), a page at a time: an agency
    // sanctioned and reinstated for years has a long history.
    const auto rows = tx.exec_params(
        "SELECT action, from_status, to_status, reason, officer_id, to_char(decided_at AT TIME "
        "ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), id::text AS seq FROM agency_decisions "
        "WHERE agency_id = $1 AND ($2 = '' OR id > $2::bigint) ORDER BY agency_decisions.id "
        "LIMIT $3",
        id,
        page->after,
        page->limit + 1
    );
    json items = json::array();
    std::string last;
    for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < page->limit; ++i) {
        const auto& d = rows[i];
        items.push_back(
            {{"action", d[0].as<std::string>()},
             {"from_status", d[1].as<std::string>()},
             {"to_status", d[2].as<std::string>()},
             {"reason", d[3].as<std::string>()},
             {"officer_id", d[4].as<std::string>()},
             {"decided_at", d[5].as<std::string>()}}
        );
        last = d[6].as<std::string>();
    }
    const bool more = static_cast<int>(rows.size()) > page->limit;
    return api::json(
        200, json{{"items", items}, {"next_cursor", more ? json(cursor_for(last)) : json(nullptr)}}
    );
}

api::Reply file_complaint(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string agency_id = r.path_param("id");
    if (!find_agency(tx, agency_id)) {
        return api::not_found("agency");
    }
    const std::string worker_id = r.caller->subject;
    if (!is_uuid(worker_id) ||
        tx.exec_params("SELECT 1 FROM workers WHERE id = $1", worker_id).empty()) {
        return api::forbidden("only a registered worker may file a complaint");
    }
    const std::string category = body_string(r, "category");
    const std::string id = platform::new_uuid();
    const auto n = tx.exec1("SELECT nextval('complaint_numbers')")[0].as<std::int64_t>();
    const std::string digits = std::to_string(n);
    const std::string tracking = "CMP-" + format_date(ctx.today()).substr(0, 4) + "-" +
                                 std::string(digits.size() < 6 ? 6 - digits.size() : 0, '0') +
                                 digits;
    tx.exec_params0(
        "INSERT INTO complaints (id, tracking_no, agency_id, worker_id, category, description, "
        "status) VALUES ($1, $2, $3, "
        "$4, $5, $6, 'open')",
        id,
        tracking,
        agency_id,
        worker_id,
        category,
        body_string(r, "description")
    );
    log_access(
        tx, r, worker_id, "create", "complaint", "category,description", "agency_verification"
    );
    if (category == "trafficking_indicator") {
        // Compliance hears of it at once (registry.events → compliance alert queue).
        ctx.publish(
            tx,
            messages::kTraffickingAlert,
            json{
                {"complaint_id", id},
                {"tracking_no", tracking},
                {"agency_id", agency_id},
                {"worker_id", worker_id}}
        );
    }
    const auto row = tx.exec_params1(
        "SELECT " + std::string{kComplaintColumns} + " FROM complaints WHERE id = $1", id
    );
    return api::json(201, complaint_json(row));
}

api::Reply list_complaints(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    api::Reply error;
    const auto page = page_of(r, CursorKey::kUuid, error);
    if (!page) {
        return error;
    }
    const std::string agency = text_of(r.query, "agency_id");
    if (!agency.empty() && !is_uuid(agency)) {
        return api::problem(
            400, "bad-request", "Invalid query", "", {{"agency_id", "must be an agency id"}}
        );
    }
    const auto rows = tx.exec_params(
        "SELECT " + std::string{kComplaintColumns} +
            " FROM complaints WHERE ($1 = '' OR id > $1::uuid) AND ($2 = '' OR agency_id = "
            "$2::uuid) AND ($3 = '' OR status "
            "= $3) ORDER BY id LIMIT $4",
        page->after,
        agency,
        text_of(r.query, "status"),
        page->limit + 1
    );
    json items = json::array();
    for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < page->limit; ++i) {
        items.push_back(complaint_json(rows[i]));
        log_access(tx, r, rows[i][3].as<std::string>(), "read", "complaint", "all", purpose_of(r));
    }
    const bool more = static_cast<int>(rows.size()) > page->limit;
    return api::json(
        200,
        json{
            {"items", items},
            {"next_cursor", more ? json(cursor_for(items.back()["id"])) : json(nullptr)}}
    );
}

api::Reply decide_complaint(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string id = r.path_param("id");
    if (!is_uuid(id)) {
        return api::not_found("complaint");
    }
    const auto rows = tx.exec_params(
        "SELECT status, worker_id::text FROM complaints WHERE id = $1 FOR UPDATE", id
    );
    if (rows.empty()) {
        return api::not_found("complaint");
    }
    const auto from = complaint_status_from(rows[0][0].as<std::string>());
    const auto action = complaint_action_from(body_string(r, "action"));
    const auto to = from && action ? next_complaint_status(*from, *action) : std::nullopt;
    if (!to) {
        return conflict(
            "'" + body_string(r, "action") + "' is not allowed for a complaint that is " +
            rows[0][0].as<std::string>()
        );
    }
    tx.exec_params0(
        "UPDATE complaints SET status = $2, updated_at = now() WHERE id = $1",
        id,
        std::string{to_string(*to)}
    );
    tx.exec_params0(
        "INSERT INTO complaint_decisions (complaint_id, action, from_status, to_status, note, "
        "officer_id) VALUES ($1, $2, $3, "
        "$4, $5, $6)",
        id,
        body_string(r, "action"),
        rows[0][0].as<std::string>(),
        std::string{to_string(*to)},
        body_string(r, "note"),
        r.caller->subject
    );
    log_access(tx, r, rows[0][1].as<std::string>(), "update", "complaint", "status", purpose_of(r));
    const auto row = tx.exec_params1(
        "SELECT " + std::string{kComplaintColumns} + " FROM complaints WHERE id = $1", id
    );
    return api::json(200, complaint_json(row));
}

}  // namespace chelete::registry::detail
