// The HTTP operations: compliance cases (list, read, decide) and the threshold reports.

#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "domain/str_export.hpp"
#include "service/context.hpp"

namespace chelete::compliance::detail {
namespace {

constexpr std::size_t kMaxNoteCodePoints = 2000;

api::Reply only_officers(const api::Request& r) {
    return api::forbidden(
        r.caller ? "compliance cases are for compliance officers" : "authentication required"
    );
}

std::string case_columns() {
    return "c.seq, c.id::text, c.kind, c.status, c.remittance_id::text, c.sender_id::text, "
           "c.amount_minor, c.reasons::text, c.alert::text, " +
           epoch_ms_sql("c.opened_at") + ", " + epoch_ms_sql("c.decided_at") +
           ", c.decided_by, c.note, COALESCE((SELECT json_agg(json_build_object('action', "
           "d.action, 'note', d.note, 'officer_id', d.officer_id, 'at', " +
           epoch_ms_sql("d.decided_at") +
           ") ORDER BY d.id) FROM case_decisions d WHERE d.case_id = c.id), '[]')::text";
}

/// A case as the API shows it, from a row of case_columns().
json case_view(const pqxx::row& row) {
    json decisions = json::parse(row[13].as<std::string>());
    for (auto& d : decisions) {
        d["at"] = platform::format_rfc3339(platform::from_unix_ms(d["at"].get<std::int64_t>()));
    }
    return json{
        {"id", row[1].as<std::string>()},
        {"kind", row[2].as<std::string>()},
        {"status", row[3].as<std::string>()},
        {"remittance_id", nullable(row[4])},
        {"sender_id", nullable(row[5])},
        {"amount", row[6].is_null() ? json(nullptr) : money_json(row[6].as<std::int64_t>())},
        {"reasons", json::parse(row[7].as<std::string>())},
        {"alert", row[8].is_null() ? json(nullptr) : json::parse(row[8].as<std::string>())},
        {"opened_at", timestamp_of(row[9])},
        {"decided_at", timestamp_of(row[10])},
        {"decided_by", nullable(row[11])},
        {"note", nullable(row[12])},
        {"decisions", decisions},
    };
}

/// Whose personal data a case shows: the sender, or the worker who filed the complaint.
std::optional<std::string> subject_of(const json& view) {
    if (view["sender_id"].is_string()) {
        return view["sender_id"].get<std::string>();
    }
    if (view["alert"].is_object()) {
        return text_of(view["alert"], "worker_id");
    }
    return std::nullopt;
}

std::optional<json> load_case(pqxx::transaction_base& tx, const std::string& id) {
    const auto rows =
        tx.exec_params("SELECT " + case_columns() + " FROM cases c WHERE c.id = $1", id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return case_view(rows[0]);
}

/// An optional query parameter that must be one of `allowed`; "" when absent.
std::optional<std::string> query_choice(
    const api::Request& r,
    const char* name,
    std::initializer_list<std::string_view> allowed,
    api::Reply& error
) {
    if (!r.query.contains(name)) {
        return std::string{};
    }
    const std::string value = text_of(r.query, name);
    for (const auto a : allowed) {
        if (value == a) {
            return value;
        }
    }
    std::string list;
    for (const auto a : allowed) {
        list += list.empty() ? "" : ", ";
        list += a;
    }
    error = bad_query(name, "must be one of " + list);
    return std::nullopt;
}

/// An optional RFC 3339 query parameter, formatted for PostgreSQL; `fallback` when absent.
std::optional<std::string> query_time(
    const api::Request& r, const char* name, const std::string& fallback, api::Reply& error
) {
    if (!r.query.contains(name)) {
        return fallback;
    }
    const auto at = platform::parse_rfc3339(text_of(r.query, name));
    if (!at) {
        error = bad_query(name, "must be an RFC 3339 date-time");
        return std::nullopt;
    }
    return platform::format_rfc3339(*at);
}

}  // namespace

api::Reply list_cases(const Context& /*ctx*/, pqxx::dbtransaction& tx, const api::Request& r) {
    if (!r.has_role("compliance_officer")) {
        return only_officers(r);
    }
    api::Reply error;
    const auto status =
        query_choice(r, "status", {"open", "approved", "rejected", "closed"}, error);
    if (!status) {
        return error;
    }
    const auto kind = query_choice(
        r, "kind", {"held_remittance", "attempted_remittance", "trafficking_alert"}, error
    );
    if (!kind) {
        return error;
    }
    const auto page = page_of(r, error);
    if (!page) {
        return error;
    }
    // Oldest first: the order officers work a queue in.
    const auto rows = tx.exec_params(
        "SELECT " + case_columns() +
            " FROM cases c WHERE ($1 = '' OR c.status = $1) AND ($2 = '' OR c.kind = $2) AND "
            "c.seq > $3 ORDER BY c.seq LIMIT $4",
        *status,
        *kind,
        page->after.empty() ? std::int64_t{0} : std::stoll(page->after),
        page->limit + 1
    );
    json items = json::array();
    std::string last;
    for (const auto& row : rows) {
        if (static_cast<int>(items.size()) == page->limit) {
            break;
        }
        json view = case_view(row);
        log_access(tx, r, "list", "case", view["id"].get<std::string>(), subject_of(view), "case");
        items.push_back(std::move(view));
        last = row[0].as<std::string>();
    }
    const bool more = static_cast<int>(rows.size()) > page->limit;
    return api::json(
        200, {{"items", items}, {"next_cursor", more ? json(cursor_for(last)) : json(nullptr)}}
    );
}

api::Reply get_case(const Context& /*ctx*/, pqxx::dbtransaction& tx, const api::Request& r) {
    if (!r.has_role("compliance_officer")) {
        return only_officers(r);
    }
    const auto id = canonical_uuid(r.path_param("id"));
    if (!id) {
        return api::not_found("case");
    }
    const auto view = load_case(tx, *id);
    if (!view) {
        return api::not_found("case");
    }
    log_access(tx, r, "read", "case", *id, subject_of(*view), "case");
    return api::json(200, *view);
}

api::Reply decide_case(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    if (!r.has_role("compliance_officer")) {
        return only_officers(r);
    }
    // The body first: a malformed decision is a 422 whatever the case.
    std::vector<api::FieldError> errors;
    if (!r.body.is_object()) {
        return unprocessable({{"body", "must be an object with action and note"}});
    }
    const std::string action = text_of(r.body, "action");
    if (action != "approve" && action != "reject" && action != "close") {
        errors.push_back({"action", "must be approve, reject or close"});
    }
    const std::string note = text_of(r.body, "note");
    if (note.empty() || trim(note).empty()) {
        errors.push_back({"note", "is required: 1 to 2000 characters, not only spaces"});
    } else if (code_points(note) > kMaxNoteCodePoints) {
        errors.push_back({"note", "must be at most 2000 characters"});
    }
    for (const auto& item : r.body.items()) {
        if (item.key() != "action" && item.key() != "note") {
            errors.push_back({item.key(), "is not a field of a decision"});
        }
    }
    if (!errors.empty()) {
        return unprocessable(errors);
    }
    const auto id = canonical_uuid(r.path_param("id"));
    if (!id) {
        return api::not_found("case");
    }
    const auto current = tx.exec_params(
        "SELECT kind, status, remittance_id::text FROM cases WHERE id = $1 FOR UPDATE", *id
    );
    if (current.empty()) {
        return api::not_found("case");
    }
    const auto kind = current[0][0].as<std::string>();
    const auto status = current[0][1].as<std::string>();
    if (status != "open") {
        return conflict("the case was already decided (" + status + ")");
    }
    const bool alert = kind == "trafficking_alert";
    if (alert && action != "close") {
        return unprocessable({{"action", "a trafficking alert is closed: use close"}});
    }
    if (!alert && action == "close") {
        return unprocessable({{"action", "a remittance case is decided with approve or reject"}});
    }
    const std::string to = action == "approve"  ? "approved"
                           : action == "reject" ? "rejected"
                                                : "closed";
    const std::string officer = r.caller->subject;
    const std::string now = platform::format_rfc3339(ctx.clock.now());
    tx.exec_params0(
        "UPDATE cases SET status = $2, decided_at = $3::timestamptz, decided_by = $4, note = $5 "
        "WHERE id = $1",
        *id,
        to,
        now,
        officer,
        note
    );
    tx.exec_params0(
        "INSERT INTO case_decisions (case_id, action, note, officer_id, decided_at) VALUES ($1, "
        "$2, $3, $4, $5::timestamptz)",
        *id,
        action,
        note,
        officer,
        now
    );
    if (kind == "held_remittance") {
        // The remittance waits on this decision: its screening now counts as approved (or stops
        // counting), and the remittance service hears of it.
        const auto remittance_id = current[0][2].as<std::string>();
        const auto changed = tx.exec_params(
            "UPDATE screenings SET state = $2, state_at = $3::timestamptz WHERE remittance_id = "
            "$1 AND counts RETURNING 1",
            remittance_id,
            to,
            now
        );
        if (!changed.empty()) {
            tx.exec_params0(
                "INSERT INTO screening_states (remittance_id, state, source, at) VALUES ($1, $2, "
                "'case_decision', $3::timestamptz)",
                remittance_id,
                to,
                now
            );
        }
        ctx.publish(
            tx,
            messages::kCaseDecided,
            json{
                {"remittance_id", remittance_id},
                {"case_id", *id},
                {"outcome", to},
                {"note", note},
                {"officer_id", officer}}
        );
    }
    // An attempted remittance was rejected for a limit already: the decision records the
    // officer's finding (for a report) and changes no remittance, so nothing is published.
    const auto view = load_case(tx, *id);
    log_access(tx, r, "decide", "case", *id, subject_of(*view), "status,note");
    spdlog::info("compliance: case {} {} by {}", *id, to, officer);
    return api::json(200, *view);
}

api::Reply list_threshold_reports(
    const Context& /*ctx*/, pqxx::dbtransaction& tx, const api::Request& r
) {
    if (!r.has_role("finance") && !r.has_role("compliance_officer")) {
        return api::forbidden(
            r.caller ? "threshold reports are for finance and compliance officers"
                     : "authentication required"
        );
    }
    api::Reply error;
    const auto kind = query_choice(r, "kind", {"iftr", "ctr"}, error);
    if (!kind) {
        return error;
    }
    const auto from = query_time(r, "from", "-infinity", error);
    if (!from) {
        return error;
    }
    const auto to = query_time(r, "to", "infinity", error);
    if (!to) {
        return error;
    }
    const auto page = page_of(r, error);
    if (!page) {
        return error;
    }
    // In the order they were recorded, oldest first.
    const auto rows = tx.exec_params(
        "SELECT seq, id::text, kind, reference_type, reference_id::text, subject_id::text, "
        "amount_minor, " +
            epoch_ms_sql("at") +
            " FROM threshold_flags WHERE ($1 = '' OR kind = $1) AND at >= $2::timestamptz AND at "
            "< $3::timestamptz AND seq > $4 ORDER BY seq LIMIT $5",
        *kind,
        *from,
        *to,
        page->after.empty() ? std::int64_t{0} : std::stoll(page->after),
        page->limit + 1
    );
    json items = json::array();
    std::string last;
    for (const auto& row : rows) {
        if (static_cast<int>(items.size()) == page->limit) {
            break;
        }
        items.push_back({
            {"id", row[1].as<std::string>()},
            {"kind", row[2].as<std::string>()},
            {"reference_type", row[3].as<std::string>()},
            {"reference_id", row[4].as<std::string>()},
            {"subject_id", row[5].as<std::string>()},
            {"amount", money_json(row[6].as<std::int64_t>())},
            {"at", timestamp_of(row[7])},
        });
        last = row[0].as<std::string>();
    }
    const bool more = static_cast<int>(rows.size()) > page->limit;
    return api::json(
        200, {{"items", items}, {"next_cursor", more ? json(cursor_for(last)) : json(nullptr)}}
    );
}

api::Reply list_suspicious_transactions(
    const Context& /*ctx*/, pqxx::dbtransaction& tx, const api::Request& r
) {
    // Compliance officers only: a suspicious-transaction report must not reach the customer or
    // anyone who could tip them off (FIC Act s29(3)), so not even finance reads it.
    if (!r.has_role("compliance_officer")) {
        return only_officers(r);
    }
    api::Reply error;
    const auto format = query_choice(r, "format", {"csv", "json"}, error);
    if (!format) {
        return error;
    }
    const auto from = query_time(r, "from", "-infinity", error);
    if (!from) {
        return error;
    }
    const auto to = query_time(r, "to", "infinity", error);
    if (!to) {
        return error;
    }
    // Remittance cases an officer rejected, by the time of the decision, oldest first.
    const auto rows = tx.exec_params(
        "SELECT c.id::text, c.kind, c.remittance_id::text, c.sender_id::text, c.amount_minor, "
        "COALESCE((SELECT string_agg(x->>'code', ';') FROM jsonb_array_elements(c.reasons) x), "
        "''), COALESCE((SELECT string_agg(x->>'text', '; ') FROM jsonb_array_elements(c.reasons) "
        "x), ''), c.reasons::text, " +
            epoch_ms_sql("c.opened_at") + ", " + epoch_ms_sql("c.decided_at") +
            ", COALESCE(c.decided_by, ''), COALESCE(c.note, '') FROM cases c WHERE c.status = "
            "'rejected' AND c.kind IN ('held_remittance', 'attempted_remittance') AND "
            "c.decided_at >= $1::timestamptz AND c.decided_at < $2::timestamptz ORDER BY "
            "c.decided_at, c.seq LIMIT 10000",
        *from,
        *to
    );
    std::vector<StrRow> out;
    json items = json::array();
    for (const auto& row : rows) {
        StrRow s;
        s.case_id = row[0].as<std::string>();
        s.kind = row[1].as<std::string>();
        s.remittance_id = row[2].is_null() ? "" : row[2].as<std::string>();
        s.sender_id = row[3].is_null() ? "" : row[3].as<std::string>();
        s.amount_minor = row[4].is_null() ? 0 : row[4].as<std::int64_t>();
        s.reason_codes = row[5].as<std::string>();
        s.reason_texts = row[6].as<std::string>();
        s.opened_at = timestamp_of(row[8]).get<std::string>();
        s.decided_at = timestamp_of(row[9]).get<std::string>();
        s.decided_by = row[10].as<std::string>();
        s.note = row[11].as<std::string>();
        items.push_back({
            {"case_id", s.case_id},
            {"kind", s.kind},
            {"remittance_id", s.remittance_id},
            {"sender_id", s.sender_id},
            {"amount", money_json(s.amount_minor)},
            {"reasons", json::parse(row[7].as<std::string>())},
            {"opened_at", s.opened_at},
            {"decided_at", s.decided_at},
            {"decided_by", s.decided_by},
            {"note", s.note},
        });
        log_access(
            tx,
            r,
            "list",
            "suspicious_transaction",
            s.case_id,
            s.sender_id.empty() ? std::nullopt : std::optional{s.sender_id},
            "case,reasons,note"
        );
        out.push_back(std::move(s));
    }
    if (*format == "csv") {
        api::Reply reply;
        reply.status = 200;
        reply.content_type = "text/csv; charset=utf-8";
        reply.body_text = str_csv(out);
        reply.headers["Content-Disposition"] =
            "attachment; filename=\"chelete-suspicious-transactions.csv\"";
        return reply;
    }
    return api::json(200, {{"count", items.size()}, {"items", items}});
}

}  // namespace chelete::compliance::detail
