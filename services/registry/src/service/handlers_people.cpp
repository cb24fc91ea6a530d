// Login, staff, workers, permits, directives, beneficiaries, consents and the access log.
#include <spdlog/spdlog.h>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/crypto.hpp>
#include <chelete/platform/random_ids.hpp>

#include "service/context.hpp"

namespace chelete::registry::detail {
namespace {

constexpr std::string_view kWorkerColumns =
    "id::text, given_name, family_name, date_of_birth::text, phone, lesotho_id_masked, "
    "passport_masked, employer_name, "
    "agency_id::text, proof_of_income, status, to_char(created_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

KycTier tier_of(pqxx::transaction_base& tx, const std::string& worker_id, bool proof_of_income) {
    const auto rows = tx.exec_params(
        "SELECT status, verified_at IS NOT NULL, vfs_reference IS NOT NULL, status_source FROM "
        "permits WHERE worker_id = $1",
        worker_id
    );
    KycFacts facts;
    facts.proof_of_income = proof_of_income;
    facts.has_permit_record = !rows.empty();
    for (const auto& row : rows) {
        const auto status = permit_status_from(row[0].as<std::string>());
        const bool verified = row[1].as<bool>();
        if (verified) {
            facts.permit_verified = true;
            facts.permit_in_force = facts.permit_in_force || (status && permit_in_force(*status));
            facts.verified_permit_revoked =
                facts.verified_permit_revoked || status == PermitStatus::kRevoked;
        }
        // An application is no verified permit; submitted with its receipt, it is proof of
        // application (docs/registry.md "KYC tiers"), once an officer has recorded or moved it:
        // a receipt number the worker typed in alone is no proof and must not raise a limit.
        facts.pending_application = facts.pending_application ||
                                    (status && permit_application_pending(*status) &&
                                     row[2].as<bool>() && row[3].as<std::string>() != "applicant");
    }
    return kyc_tier(facts);
}

json worker_json(pqxx::transaction_base& tx, const pqxx::row& w) {
    const std::string id = w[0].as<std::string>();
    return json{
        {"id", id},
        {"given_name", w[1].as<std::string>()},
        {"family_name", w[2].as<std::string>()},
        {"date_of_birth", w[3].as<std::string>()},
        {"phone", w[4].as<std::string>()},
        {"lesotho_id", nullable(w[5])},
        {"passport_number", w[6].as<std::string>()},
        {"employer_name", nullable(w[7])},
        {"agency_id", nullable(w[8])},
        {"kyc_tier", std::string{to_string(tier_of(tx, id, w[9].as<bool>()))}},
        {"status", w[10].as<std::string>()},
        {"created_at", w[11].as<std::string>()}};
}

std::optional<pqxx::row> find_worker(pqxx::transaction_base& tx, const std::string& id) {
    if (!is_uuid(id)) {
        return std::nullopt;
    }
    const auto rows =
        tx.exec_params("SELECT " + std::string{kWorkerColumns} + " FROM workers WHERE id = $1", id);
    if (rows.empty()) {
        return std::nullopt;
    }
    return rows[0];
}

json permit_json(const pqxx::row& p) {
    return json{
        {"id", p[0].as<std::string>()},
        {"worker_id", p[1].as<std::string>()},
        {"type", p[2].as<std::string>()},
        {"number", nullable(p[3])},
        {"issued_on", nullable(p[4])},
        {"printed_expiry", nullable(p[5])},
        {"status", p[6].as<std::string>()},
        {"legal_expiry", nullable(p[7])},
        {"directive_ref", nullable(p[8])},
        {"vfs_reference", nullable(p[10])},
        {"verified", !p[9].is_null()},
        {"verified_at", nullable(p[9])}};
}

constexpr std::string_view kPermitColumns =
    "id::text, worker_id::text, type, number, issued_on::text, printed_expiry::text, status, "
    "legal_expiry::text, "
    "directive_ref, to_char(verified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "vfs_reference";

std::vector<Directive> load_directives(pqxx::transaction_base& tx, const std::string& type) {
    std::vector<Directive> out;
    const auto rows = tx.exec_params(
        "SELECT reference, permit_type, valid_until::text, published_on::text FROM directives "
        "WHERE $1 = '' OR "
        "permit_type = $1",
        type
    );
    for (const auto& r : rows) {
        out.push_back(Directive{
            r[0].as<std::string>(),
            r[1].as<std::string>(),
            *parse_date(r[2].as<std::string>()),
            *parse_date(r[3].as<std::string>())});
    }
    return out;
}

/// Records a lockout-aware login failure; answers the same for unknown users and wrong secrets.
/// Only called for a login that is not locked now (issue_token answers a locked one first), so a
/// `locked_until` still set is a lock that has lapsed: this failure is the first of a fresh count
/// and the lapsed lock is cleared; the failure that reaches the limit locks again.
api::Reply login_failed(
    const Context& ctx, pqxx::transaction_base& tx, const std::string& table, const std::string& id
) {
    if (!id.empty()) {
        const auto lock_seconds =
            std::chrono::duration_cast<std::chrono::seconds>(ctx.settings.login_lockout).count();
        tx.exec_params0(
            "UPDATE " + table +
                " AS t SET (failed_logins, locked_until) = (SELECT c.n, CASE WHEN c.n >= $2 THEN "
                "now() + make_interval(secs => $3) END FROM (SELECT CASE WHEN t.locked_until IS "
                "NOT NULL THEN 1 ELSE t.failed_logins + 1 END AS n) AS c) WHERE t.id = $1",
            id,
            ctx.settings.login_max_failures,
            lock_seconds
        );
    }
    return api::problem(
        401,
        "invalid-credentials",
        "Invalid credentials",
        "the phone and PIN (or username and password) do not match an account"
    );
}

/// Permit numbers keep their dashes (LEP-2020-004512 is how the registry knows it) but not case
/// or spaces.
std::string permit_number(std::string_view typed) {
    std::string out;
    for (const char c : typed) {
        if (c != ' ') {
            out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        }
    }
    return out;
}

/// A 5-digit PIN that passes check_pin, from the CSPRNG.
std::string first_pin() {
    for (;;) {
        std::string pin;
        for (int i = 0; i < 5; ++i) {
            pin += static_cast<char>('0' + platform::crypto::random_u64() % 10);
        }
        if (!check_pin(pin)) {
            return pin;
        }
    }
}

/// The family member's login: made on their first beneficiary record (a first PIN sent to
/// their phone by SMS, to be changed), shared by every later one.
void link_beneficiary_login(
    const Context& ctx,
    pqxx::transaction_base& tx,
    const std::string& beneficiary_id,
    const std::string& phone,
    const json& body
) {
    const auto existing =
        tx.exec_params("SELECT id::text FROM beneficiary_logins WHERE phone = $1", phone);
    std::string login_id;
    if (!existing.empty()) {
        login_id = existing[0][0].as<std::string>();
    } else {
        login_id = platform::new_uuid();
        const std::string pin = first_pin();
        tx.exec_params0(
            "INSERT INTO beneficiary_logins (id, phone, pin_hash) VALUES ($1, $2, $3)",
            login_id,
            phone,
            ctx.hasher.hash(pin)
        );
        // The notifier keeps no copy of the text; the outbox row holding the PIN is pruned after
        // delivery (CHELETE_RELAY retention).
        ctx.outbox.enqueue(
            tx,
            platform::bus::OutgoingMessage{
                ctx.settings.notify_stream,
                "notify.sms",
                json{
                    {"to", phone},
                    {"template", "beneficiary_welcome"},
                    {"params", {{"pin", pin}, {"name", text_of(body, "full_name")}}},
                    {"subject_id", login_id},
                    {"dedupe_key", "beneficiary_welcome:" + login_id}}
                    .dump(),
                "",
                ""}
        );
    }
    tx.exec_params0(
        "UPDATE beneficiaries SET login_id = $2 WHERE id = $1", beneficiary_id, login_id
    );
}

}  // namespace

json permit_view(pqxx::transaction_base& tx, const std::string& id) {
    return permit_json(
        tx.exec_params1("SELECT " + std::string{kPermitColumns} + " FROM permits WHERE id = $1", id)
    );
}

std::vector<Directive> directives_for(pqxx::transaction_base& tx, const std::string& type) {
    return load_directives(tx, type);
}

// ---- login -------------------------------------------------------------------------------------

api::Reply issue_token(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    const bool by_phone = r.body.contains("phone");
    std::string table = by_phone ? "workers" : "staff";
    // A phone is a worker's login, or else a family member's (beneficiary_logins).
    if (by_phone &&
        tx.exec_params("SELECT 1 FROM workers WHERE phone = $1", body_string(r, "phone")).empty()) {
        table = "beneficiary_logins";
    }
    const std::string login = by_phone ? body_string(r, "phone") : body_string(r, "username");
    const std::string secret = by_phone ? body_string(r, "pin") : body_string(r, "password");
    if (login.empty() || secret.empty()) {
        return unprocessable(
            {{by_phone ? "pin" : "password",
              "phone and pin, or username and password, are required"}}
        );
    }
    const std::string key_column = by_phone ? "phone" : "username";
    const std::string role_column = table == "workers" ? "'worker'"
                                    : table == "staff" ? "role"
                                                       : "'beneficiary'";
    const auto rows = tx.exec_params(
        "SELECT id::text, " + std::string{by_phone ? "pin_hash" : "password_hash"} + ", " +
            role_column + ", token_version, locked_until > now(), " +
            "ceil(extract(epoch FROM locked_until - now()))::bigint FROM " + table + " WHERE " +
            key_column + " = $1 FOR UPDATE",
        login
    );
    if (rows.empty()) {
        // Same work as a real check (one verify), so timing does not tell which logins exist.
        static const std::string decoy = ctx.hasher.hash("timing-equaliser");
        (void)ctx.hasher.verify(secret, decoy);
        return login_failed(ctx, tx, table, "");
    }
    const auto& row = rows[0];
    const std::string id = row[0].as<std::string>();
    if (!row[4].is_null() && row[4].as<bool>()) {
        auto reply = api::problem(
            401,
            "login-locked",
            "Login locked",
            "too many wrong attempts; try again later or ask an agent to help"
        );
        reply.headers["Retry-After"] =
            std::to_string(std::max<std::int64_t>(1, row[5].as<std::int64_t>()));
        return reply;
    }
    if (!ctx.hasher.verify(secret, row[1].as<std::string>())) {
        return login_failed(ctx, tx, table, id);
    }
    tx.exec_params0(
        "UPDATE " + table + " SET failed_logins = 0, locked_until = NULL WHERE id = $1", id
    );
    if (ctx.hasher.needs_rehash(row[1].as<std::string>())) {
        tx.exec_params0(
            "UPDATE " + table + " SET " + (by_phone ? "pin_hash" : "password_hash") +
                " = $2 WHERE id = $1",
            id,
            ctx.hasher.hash(secret)
        );
    }
    // The gateway signs the token from this answer (services never see the signing key).
    return api::json(
        200,
        json{
            {"subject_id", id},
            {"role", row[2].as<std::string>()},
            {"token_version", row[3].as<std::int64_t>()}}
    );
}

// ---- staff -------------------------------------------------------------------------------------

api::Reply create_staff(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    std::vector<api::FieldError> errors;
    const std::string username = body_string(r, "username");
    const std::string password = body_string(r, "password");
    const std::string role = body_string(r, "role");
    const auto country = body_optional(r, "country");
    if (const auto e = check_password(password)) {
        errors.push_back({"password", *e});
    }
    if (role == "agent" && !country) {
        errors.push_back({"country", "an agent serves in a country: ZA or LS"});
    }
    if (!errors.empty()) {
        return unprocessable(errors);
    }
    const std::string id = platform::new_uuid();
    const auto inserted = tx.exec_params(
        "INSERT INTO staff (id, username, password_hash, role, display_name, country, created_by) "
        "VALUES ($1, $2, $3, $4, "
        "$5, $6, $7) ON CONFLICT (username) DO NOTHING RETURNING id",
        id,
        username,
        ctx.hasher.hash(password),
        role,
        body_string(r, "display_name"),
        country,
        r.caller->subject
    );
    if (inserted.empty()) {
        return conflict("a staff account with this username exists");
    }
    return api::json(
        201,
        json{
            {"id", id},
            {"username", username},
            {"role", role},
            {"display_name", body_string(r, "display_name")},
            {"country", country ? json(*country) : json(nullptr)}}
    );
}

api::Reply list_staff(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    api::Reply error;
    const auto page = page_of(r, CursorKey::kUuid, error);
    if (!page) {
        return error;
    }
    const auto rows = tx.exec_params(
        "SELECT id::text, username, role, display_name, country FROM staff WHERE ($1 = '' OR id > "
        "$1::uuid) ORDER BY id "
        "LIMIT $2",
        page->after,
        page->limit + 1
    );
    json items = json::array();
    for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < page->limit; ++i) {
        items.push_back(
            {{"id", rows[i][0].as<std::string>()},
             {"username", rows[i][1].as<std::string>()},
             {"role", rows[i][2].as<std::string>()},
             {"display_name", rows[i][3].as<std::string>()},
             {"country", nullable(rows[i][4])}}
        );
    }
    const bool more = static_cast<int>(rows.size()) > page->limit;
    return api::json(
        200,
        json{
            {"items", items},
            {"next_cursor", more ? json(cursor_for(items.back()["id"])) : json(nullptr)}}
    );
}

// ---- workers -----------------------------------------------------------------------------------

api::Reply register_worker(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    std::vector<api::FieldError> errors;
    const auto check = [&](const char* field, const std::optional<std::string>& problem) {
        if (problem) {
            errors.push_back({field, *problem});
        }
    };
    const std::string given = body_string(r, "given_name");
    const std::string family = body_string(r, "family_name");
    const std::string phone = body_string(r, "phone");
    const std::string pin = body_string(r, "pin");
    const std::string passport = body_string(r, "passport_number");
    const auto lesotho_id = body_optional(r, "lesotho_id");
    const auto employer = body_optional(r, "employer_name");
    const auto licence = body_optional(r, "agency_licence_no");
    check("given_name", check_name(given));
    check("family_name", check_name(family));
    check("phone", check_phone(phone));
    check("pin", check_pin(pin));
    check("passport_number", check_identity_number(passport));
    if (lesotho_id) {
        check("lesotho_id", check_identity_number(*lesotho_id));
    }
    const auto born = parse_date(body_string(r, "date_of_birth"));
    if (!born) {
        errors.push_back({"date_of_birth", "must be a calendar date YYYY-MM-DD"});
    } else {
        check("date_of_birth", check_birth_date(*born, ctx.today()));
    }
    bool registration_consent = false;
    if (r.body.contains("consents")) {
        for (const auto& c : r.body["consents"]) {
            registration_consent =
                registration_consent ||
                (text_of(c, "purpose") == "registration" && flag_of(c, "granted"));
        }
    }
    if (!registration_consent) {
        errors.push_back({"consents", "consent to the purpose 'registration' is needed to register"}
        );
    }
    std::optional<std::string> agency_id;
    if (licence) {
        const auto agency = tx.exec_params(
            "SELECT id::text, status, valid_until::text FROM agencies WHERE licence_no = $1",
            *licence
        );
        if (agency.empty()) {
            errors.push_back({"agency_licence_no", "no agency holds this licence number"});
        } else {
            const auto stored = agency_status_from(agency[0][1].as<std::string>());
            const auto until =
                agency[0][2].is_null() ? std::nullopt : parse_date(agency[0][2].as<std::string>());
            const auto now_status = agency_status_on(
                stored.value_or(AgencyStatus::kApplied),
                until,
                ctx.today(),
                ctx.settings.renewal_window_days
            );
            if (!agency_may_recruit(now_status)) {
                errors.push_back(
                    {"agency_licence_no",
                     "the agency's licence is " + std::string{to_string(now_status)} +
                         ": it may not take on workers"}
                );
            } else {
                agency_id = agency[0][0].as<std::string>();
            }
        }
    }
    if (!errors.empty()) {
        return unprocessable(errors);
    }
    const std::string id = platform::new_uuid();
    const std::string passport_normal = platform::crypto::normalize_identity_number(passport);
    const auto lesotho_normal =
        lesotho_id ? std::optional{platform::crypto::normalize_identity_number(*lesotho_id)}
                   : std::nullopt;
    // Duplicates: the phone, the passport or the Lesotho ID already registered.
    const auto dup = tx.exec_params(
        "SELECT phone = $1, passport_hash = $2, lesotho_id_hash IS NOT DISTINCT FROM $3 FROM "
        "workers WHERE phone = $1 OR "
        "passport_hash = $2 OR ($3::text IS NOT NULL AND lesotho_id_hash = $3) LIMIT 1",
        phone,
        ctx.lookup_hash(passport_normal),
        lesotho_normal ? std::optional{ctx.lookup_hash(*lesotho_normal)} : std::nullopt
    );
    if (!dup.empty()) {
        const char* field = dup[0][0].as<bool>()   ? "phone"
                            : dup[0][1].as<bool>() ? "passport_number"
                                                   : "lesotho_id";
        auto reply =
            conflict(std::string{"a worker with this "} + field + " is already registered");
        reply.body["errors"] = json::array({{{"field", field}, {"message", "already registered"}}});
        return reply;
    }
    tx.exec_params0(
        "INSERT INTO workers (id, given_name, family_name, date_of_birth, phone, pin_hash, "
        "lesotho_id_enc, lesotho_id_hash, "
        "lesotho_id_masked, passport_enc, passport_hash, passport_masked, employer_name, "
        "agency_id) VALUES ($1, $2, $3, $4, "
        "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        id,
        given,
        family,
        format_date(*born),
        phone,
        ctx.hasher.hash(pin),
        lesotho_normal ? std::optional{ctx.seal(*lesotho_normal, "workers.lesotho_id:" + id)}
                       : std::nullopt,
        lesotho_normal ? std::optional{ctx.lookup_hash(*lesotho_normal)} : std::nullopt,
        lesotho_normal ? std::optional{mask_identity_number(*lesotho_normal)} : std::nullopt,
        ctx.seal(passport_normal, "workers.passport:" + id),
        ctx.lookup_hash(passport_normal),
        mask_identity_number(passport_normal),
        employer,
        agency_id
    );
    for (const auto& c : r.body["consents"]) {
        tx.exec_params0(
            "INSERT INTO consents (subject_id, purpose, granted, legal_basis, channel) VALUES ($1, "
            "$2, $3, 'consent', 'api')",
            id,
            text_of(c, "purpose"),
            flag_of(c, "granted")
        );
    }
    log_access(tx, r, id, "create", "worker", "all", "registration");
    ctx.publish(
        tx,
        messages::kWorkerRegistered,
        json{{"worker_id", id}, {"agency_id", agency_id ? json(*agency_id) : json(nullptr)}}
    );
    const auto row = find_worker(tx, id);
    return api::json(201, worker_json(tx, *row));
}

api::Reply get_worker(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string id = r.path_param("id");
    if (r.has_role("worker") && !is_self(r, id)) {
        return api::not_found("worker");
    }
    const auto row = find_worker(tx, id);
    if (!row) {
        return api::not_found("worker");
    }
    log_access(tx, r, id, "read", "worker", "profile,identity_numbers_masked", purpose_of(r));
    return api::json(200, worker_json(tx, *row));
}

// ---- permits -----------------------------------------------------------------------------------

/// A VFS receipt reference: 6-40 letters, digits, '/' and '-' (spaces dropped, upper case).
std::optional<std::string> vfs_reference_of(std::string_view typed) {
    std::string out;
    for (const char c : typed) {
        if (c == ' ') {
            continue;
        }
        const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                        (c >= 'a' && c <= 'z') || c == '/' || c == '-';
        if (!ok) {
            return std::nullopt;
        }
        out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    if (out.size() < 6 || out.size() > 40) {
        return std::nullopt;
    }
    return out;
}
constexpr std::string_view kVfsReferenceRule =
    "must be the VFS receipt reference: 6 to 40 letters, digits, '/' and '-'";

/// An application (draft … submitted): no number or dates until issue; from `submitted` on with
/// its VFS receipt. Recorded by the worker (their own) or an officer, like any permit.
api::Reply add_application(
    pqxx::dbtransaction& tx, const api::Request& r, const std::string& worker_id
) {
    std::vector<api::FieldError> errors;
    const std::string type = body_string(r, "type");
    const auto status = permit_status_from(body_string(r, "status"));
    if (!status || !permit_application_entry(*status)) {
        errors.push_back(
            {"status",
             "an application is recorded as draft, fee_paid, appointment_booked or submitted; "
             "officers move it on (POST /v1/permits/{id}/status)"}
        );
    }
    const auto typed_vfs = body_optional(r, "vfs_reference");
    const auto vfs = typed_vfs ? vfs_reference_of(*typed_vfs) : std::nullopt;
    if (typed_vfs && !vfs) {
        errors.push_back({"vfs_reference", std::string{kVfsReferenceRule}});
    } else if (!vfs && status && permit_needs_vfs_reference(*status)) {
        errors.push_back(
            {"vfs_reference", "a submitted application needs its VFS receipt reference"}
        );
    }
    for (const char* field : {"number", "issued_on", "expires_on"}) {
        if (r.body.contains(field)) {
            errors.push_back(
                {field,
                 "an application has none until the permit is issued (POST "
                 "/v1/permits/{id}/status with status issued)"}
            );
        }
    }
    if (!errors.empty()) {
        return unprocessable(errors);
    }
    const std::string id = platform::new_uuid();
    tx.exec_params0(
        "INSERT INTO permits (id, worker_id, type, status, vfs_reference, status_source) VALUES "
        "($1, $2, $3, $4, $5, $6)",
        id,
        worker_id,
        type,
        std::string{to_string(*status)},
        vfs,
        std::string{to_string(
            r.has_role("worker") ? PermitStatusSource::kApplicant : PermitStatusSource::kOfficer
        )}
    );
    tx.exec_params0(
        "INSERT INTO permit_history (permit_id, from_status, to_status, reason, actor) VALUES ($1, "
        "NULL, $2, $3, $4)",
        id,
        std::string{to_string(*status)},
        "application recorded",
        r.caller->subject
    );
    log_access(tx, r, worker_id, "create", "permit", "type,status,vfs_reference", purpose_of(r));
    const auto row = tx.exec_params1(
        "SELECT " + std::string{kPermitColumns} + " FROM permits WHERE id = $1", id
    );
    return api::json(201, permit_json(row));
}

api::Reply add_permit(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string worker_id = r.path_param("id");
    if (r.has_role("worker") && !is_self(r, worker_id)) {
        return api::not_found("worker");
    }
    if (!find_worker(tx, worker_id)) {
        return api::not_found("worker");
    }
    if (r.body.contains("status")) {
        return add_application(tx, r, worker_id);
    }
    std::vector<api::FieldError> errors;
    const std::string type = body_string(r, "type");
    const std::string number = body_string(r, "number");
    if (r.body.contains("vfs_reference")) {
        errors.push_back(
            {"vfs_reference", "only an application (with a status) carries a VFS receipt"}
        );
    }
    const auto issued = parse_date(body_string(r, "issued_on"));
    const auto expires = parse_date(body_string(r, "expires_on"));
    if (const auto e = check_identity_number(number)) {
        errors.push_back({"number", *e});
    }
    if (!issued) {
        errors.push_back({"issued_on", "must be a calendar date YYYY-MM-DD"});
    } else if (*issued > ctx.today()) {
        errors.push_back({"issued_on", "must not be in the future"});
    }
    if (!expires) {
        errors.push_back({"expires_on", "must be a calendar date YYYY-MM-DD"});
    } else if (issued && *expires <= *issued) {
        errors.push_back({"expires_on", "must be after issued_on"});
    }
    if (!errors.empty()) {
        return unprocessable(errors);
    }
    const auto standing = permit_standing(
        PermitStatus::kValid, type, *expires, load_directives(tx, type), ctx.today()
    );
    const std::string id = platform::new_uuid();
    const auto inserted = tx.exec_params(
        "INSERT INTO permits (id, worker_id, type, number, issued_on, printed_expiry, status, "
        "legal_expiry, directive_ref) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (type, number) DO NOTHING "
        "RETURNING id",
        id,
        worker_id,
        type,
        permit_number(number),
        format_date(*issued),
        format_date(*expires),
        std::string{to_string(standing.status)},
        format_date(*standing.legal_expiry),
        standing.directive_ref.empty() ? std::nullopt : std::optional{standing.directive_ref}
    );
    if (inserted.empty()) {
        return conflict("this permit number is already recorded");
    }
    tx.exec_params0(
        "INSERT INTO permit_history (permit_id, from_status, to_status, reason, actor) VALUES ($1, "
        "NULL, $2, $3, $4)",
        id,
        std::string{to_string(standing.status)},
        "recorded",
        r.caller->subject
    );
    log_access(tx, r, worker_id, "create", "permit", "type,number,dates", purpose_of(r));
    const auto row = tx.exec_params1(
        "SELECT " + std::string{kPermitColumns} + " FROM permits WHERE id = $1", id
    );
    return api::json(201, permit_json(row));
}

api::Reply list_permits(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string worker_id = r.path_param("id");
    if (r.has_role("worker") && !is_self(r, worker_id)) {
        return api::not_found("worker");
    }
    if (!find_worker(tx, worker_id)) {
        return api::not_found("worker");
    }
    const auto rows = tx.exec_params(
        "SELECT " + std::string{kPermitColumns} +
            " FROM permits WHERE worker_id = $1 ORDER BY created_at, id",
        worker_id
    );
    json items = json::array();
    for (const auto& row : rows) {
        items.push_back(permit_json(row));
    }
    log_access(tx, r, worker_id, "read", "permit", "all", purpose_of(r));
    return api::json(200, json{{"items", items}, {"next_cursor", nullptr}});
}

api::Reply change_permit_status(
    const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r
) {
    const std::string id = r.path_param("id");
    if (!is_uuid(id)) {
        return api::not_found("permit");
    }
    const auto rows = tx.exec_params(
        "SELECT status, worker_id::text, type, vfs_reference FROM permits WHERE id = $1 FOR UPDATE",
        id
    );
    if (rows.empty()) {
        return api::not_found("permit");
    }
    const auto from = permit_status_from(rows[0][0].as<std::string>());
    const auto to = permit_status_from(body_string(r, "status"));
    if (!from || !to || !permit_transition_allowed(*from, *to)) {
        return conflict(
            "a permit cannot go from " + rows[0][0].as<std::string>() + " to " +
            body_string(r, "status")
        );
    }
    // What only some moves carry: the receipt on submission, the number and dates on issue.
    std::vector<api::FieldError> errors;
    const auto typed_vfs = body_optional(r, "vfs_reference");
    const auto vfs = typed_vfs ? vfs_reference_of(*typed_vfs) : std::nullopt;
    if (typed_vfs && *to != PermitStatus::kSubmitted) {
        errors.push_back({"vfs_reference", "is recorded only when the application is submitted"});
    } else if (typed_vfs && !vfs) {
        errors.push_back({"vfs_reference", std::string{kVfsReferenceRule}});
    } else if (!vfs && rows[0][3].is_null() && permit_needs_vfs_reference(*to)) {
        errors.push_back(
            {"vfs_reference", "a submitted application needs its VFS receipt reference"}
        );
    }
    const bool issuing = *to == PermitStatus::kIssued;
    if (!issuing) {
        for (const char* field : {"number", "issued_on", "expires_on"}) {
            if (r.body.contains(field)) {
                errors.push_back({field, "is recorded only when the permit is issued"});
            }
        }
    }
    const std::string number = body_string(r, "number");
    std::optional<Day> issued_on;
    std::optional<Day> expires;
    if (issuing) {
        if (!r.body.contains("number")) {
            errors.push_back({"number", "the permit number is needed to record the issue"});
        } else if (const auto e = check_identity_number(number)) {
            errors.push_back({"number", *e});
        }
        // The day of issue defaults to the day it is recorded.
        issued_on = r.body.contains("issued_on") ? parse_date(body_string(r, "issued_on"))
                                                 : std::optional{ctx.today()};
        if (!issued_on) {
            errors.push_back({"issued_on", "must be a calendar date YYYY-MM-DD"});
        } else if (*issued_on > ctx.today()) {
            errors.push_back({"issued_on", "must not be in the future"});
        }
        expires = parse_date(body_string(r, "expires_on"));
        if (!r.body.contains("expires_on")) {
            errors.push_back({"expires_on", "the printed expiry is needed to record the issue"});
        } else if (!expires) {
            errors.push_back({"expires_on", "must be a calendar date YYYY-MM-DD"});
        } else if (issued_on && *expires <= *issued_on) {
            errors.push_back({"expires_on", "must be after issued_on"});
        }
    }
    if (!errors.empty()) {
        return unprocessable(errors);
    }
    if (issuing) {
        const std::string type = rows[0][2].as<std::string>();
        if (!tx.exec_params(
                   "SELECT 1 FROM permits WHERE type = $1 AND number = $2 AND id <> $3",
                   type,
                   permit_number(number),
                   id
            )
                 .empty()) {
            return conflict("this permit number is already recorded");
        }
        // Issued: the printed date and the directives in force set the legal expiry; the job (or
        // the next directive) takes it on to valid along the table (calendar_steps).
        const auto standing = permit_standing(
            PermitStatus::kIssued, type, *expires, load_directives(tx, type), ctx.today()
        );
        tx.exec_params0(
            "UPDATE permits SET number = $2, issued_on = $3, printed_expiry = $4, legal_expiry = "
            "$5, directive_ref = $6 WHERE id = $1",
            id,
            permit_number(number),
            format_date(*issued_on),
            format_date(*expires),
            format_date(*standing.legal_expiry),
            standing.directive_ref.empty() ? std::nullopt : std::optional{standing.directive_ref}
        );
    }
    if (vfs) {
        tx.exec_params0("UPDATE permits SET vfs_reference = $2 WHERE id = $1", id, *vfs);
    }
    // An officer's decision: the daily job leaves it be unless it is issued or valid
    // (calendar_steps).
    tx.exec_params0(
        "UPDATE permits SET status = $2, status_source = 'officer' WHERE id = $1",
        id,
        std::string{to_string(*to)}
    );
    tx.exec_params0(
        "INSERT INTO permit_history (permit_id, from_status, to_status, reason, actor) VALUES ($1, "
        "$2, $3, $4, $5)",
        id,
        std::string{to_string(*from)},
        std::string{to_string(*to)},
        body_string(r, "reason"),
        r.caller->subject
    );
    log_access(tx, r, rows[0][1].as<std::string>(), "update", "permit", "status", purpose_of(r));
    ctx.publish(
        tx,
        messages::kPermitStatusChanged,
        json{
            {"permit_id", id},
            {"worker_id", rows[0][1].as<std::string>()},
            {"status", to_string(*to)}}
    );
    const auto row = tx.exec_params1(
        "SELECT " + std::string{kPermitColumns} + " FROM permits WHERE id = $1", id
    );
    return api::json(200, permit_json(row));
}

void record_permit_steps(
    pqxx::transaction_base& tx,
    const std::string& permit_id,
    PermitStatus from,
    const std::vector<PermitStatus>& steps,
    const std::string& reason,
    const std::string& actor
) {
    for (const PermitStatus to : steps) {
        tx.exec_params0(
            "INSERT INTO permit_history (permit_id, from_status, to_status, reason, actor) VALUES "
            "($1, $2, $3, $4, $5)",
            permit_id,
            std::string{to_string(from)},
            std::string{to_string(to)},
            reason,
            actor
        );
        from = to;
    }
}

int refresh_permits(
    const Context& ctx,
    pqxx::transaction_base& tx,
    const std::string& type,
    const std::string& actor,
    const std::string& reason
) {
    const auto directives = load_directives(tx, type);
    const auto rows = tx.exec_params(
        "SELECT id::text, worker_id::text, type, status, printed_expiry::text, legal_expiry::text, "
        "coalesce(directive_ref, ''), status_source "
        "FROM permits WHERE ($1 = '' OR type = $1) AND status IN ('issued', 'valid', 'expired', "
        "'extended_by_directive') "
        "FOR UPDATE",
        type
    );
    int changed = 0;
    for (const auto& row : rows) {
        const auto permit_id = row[0].as<std::string>();
        const auto recorded = permit_status_from(row[3].as<std::string>());
        const auto source = permit_status_source_from(row[7].as<std::string>());
        if (!recorded || !source) {
            spdlog::error(
                "registry: permit {} has status '{}' from '{}', which no rule knows; left as it is",
                permit_id,
                row[3].as<std::string>(),
                row[7].as<std::string>()
            );
            continue;
        }
        const auto standing = permit_standing(
            *recorded,
            row[2].as<std::string>(),
            parse_date(row[4].as<std::string>()),
            directives,
            ctx.today()
        );
        // Only along transitions the lifecycle allows, and never over an officer's decision: a
        // permit whose status the calendar may not move keeps its dates and directive too, so
        // what it shows stays one consistent record.
        const auto steps = calendar_steps(*recorded, *source, standing.status);
        if (steps.empty() && standing.status != *recorded) {
            continue;
        }
        const PermitStatus status = steps.empty() ? *recorded : steps.back();
        const std::string legal = format_date(*standing.legal_expiry);
        if (steps.empty() && legal == row[5].as<std::string>() &&
            standing.directive_ref == row[6].as<std::string>()) {
            continue;
        }
        ++changed;
        tx.exec_params0(
            "UPDATE permits SET status = $2, legal_expiry = $3, directive_ref = $4, status_source "
            "= CASE WHEN $5 THEN 'calendar' ELSE status_source END WHERE id = $1",
            permit_id,
            std::string{to_string(status)},
            legal,
            standing.directive_ref.empty() ? std::nullopt : std::optional{standing.directive_ref},
            !steps.empty()
        );
        const std::string why =
            standing.directive_ref.empty() ? reason : reason + " (" + standing.directive_ref + ")";
        // One history row per step, or one (the status to itself) for new dates.
        record_permit_steps(
            tx,
            permit_id,
            *recorded,
            steps.empty() ? std::vector<PermitStatus>{*recorded} : steps,
            why,
            actor
        );
        if (status != *recorded) {
            ctx.publish(
                tx,
                messages::kPermitStatusChanged,
                json{
                    {"permit_id", permit_id},
                    {"worker_id", row[1].as<std::string>()},
                    {"status", to_string(status)},
                    {"legal_expiry", legal}}
            );
        }
    }
    return changed;
}

api::Reply create_directive(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    const auto valid_until = parse_date(body_string(r, "valid_until"));
    const auto published = parse_date(body_string(r, "published_on"));
    std::vector<api::FieldError> errors;
    if (!valid_until) {
        errors.push_back({"valid_until", "must be a calendar date YYYY-MM-DD"});
    }
    if (!published) {
        errors.push_back({"published_on", "must be a calendar date YYYY-MM-DD"});
    }
    if (!errors.empty()) {
        return unprocessable(errors);
    }
    const std::string id = platform::new_uuid();
    const std::string type = body_string(r, "permit_type");
    const auto inserted = tx.exec_params(
        "INSERT INTO directives (id, permit_type, valid_until, reference, published_on, "
        "recorded_by) VALUES ($1, $2, $3, $4, "
        "$5, $6) ON CONFLICT (reference) DO NOTHING RETURNING id",
        id,
        type,
        format_date(*valid_until),
        body_string(r, "reference"),
        format_date(*published),
        r.caller->subject
    );
    if (inserted.empty()) {
        return conflict("a directive with this reference is already recorded");
    }
    const int changed = refresh_permits(ctx, tx, type, r.caller->subject, "directive recorded");
    return api::json(
        201,
        json{
            {"id", id},
            {"permit_type", type},
            {"valid_until", format_date(*valid_until)},
            {"reference", body_string(r, "reference")},
            {"published_on", format_date(*published)},
            {"permits_updated", changed}}
    );
}

// ---- beneficiaries -----------------------------------------------------------------------------

api::Reply add_beneficiary(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string worker_id = r.path_param("id");
    if (!is_self(r, worker_id) || !find_worker(tx, worker_id)) {
        return api::not_found("worker");
    }
    std::vector<api::FieldError> errors;
    const std::string name = body_string(r, "full_name");
    const std::string phone = body_string(r, "phone");
    const auto national_id = body_optional(r, "national_id");
    if (const auto e = check_name(name)) {
        errors.push_back({"full_name", *e});
    }
    if (phone_country(phone) != Country::kLesotho) {
        errors.push_back(
            {"phone", "must be a Lesotho mobile number: +266 and 8 digits starting 5 or 6"}
        );
    }
    if (national_id) {
        if (const auto e = check_identity_number(*national_id)) {
            errors.push_back({"national_id", *e});
        }
    }
    if (body_string(r, "payout_method") == "cash_pickup" && !national_id) {
        errors.push_back(
            {"national_id", "cash pickup needs the recipient's national id, checked by the agent"}
        );
    }
    if (!errors.empty()) {
        return unprocessable(errors);
    }
    const std::string id = platform::new_uuid();
    const auto normal =
        national_id ? std::optional{platform::crypto::normalize_identity_number(*national_id)}
                    : std::nullopt;
    const auto inserted = tx.exec_params(
        "INSERT INTO beneficiaries (id, worker_id, full_name, phone, relationship, payout_method, "
        "national_id_enc, "
        "national_id_masked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (worker_id, "
        "phone) DO NOTHING RETURNING id",
        id,
        worker_id,
        name,
        phone,
        body_string(r, "relationship"),
        body_string(r, "payout_method"),
        normal ? std::optional{ctx.seal(*normal, "beneficiaries.national_id:" + id)} : std::nullopt,
        normal ? std::optional{mask_identity_number(*normal)} : std::nullopt
    );
    if (!inserted.empty()) {
        link_beneficiary_login(ctx, tx, id, phone, r.body);
    }
    if (inserted.empty()) {
        auto reply = conflict("this worker already has a beneficiary with this phone number");
        reply.body["errors"] =
            json::array({{{"field", "phone"}, {"message", "already a beneficiary"}}});
        return reply;
    }
    log_access(tx, r, worker_id, "create", "beneficiary", "all", "remittance");
    return api::json(
        201,
        json{
            {"id", id},
            {"worker_id", worker_id},
            {"full_name", name},
            {"phone", phone},
            {"relationship", body_string(r, "relationship")},
            {"payout_method", body_string(r, "payout_method")},
            {"national_id", normal ? json(mask_identity_number(*normal)) : json(nullptr)}}
    );
}

api::Reply list_beneficiaries(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string worker_id = r.path_param("id");
    if (!is_self(r, worker_id) || !find_worker(tx, worker_id)) {
        return api::not_found("worker");
    }
    const auto rows = tx.exec_params(
        "SELECT id::text, full_name, phone, relationship, payout_method, national_id_masked FROM "
        "beneficiaries WHERE "
        "worker_id = $1 ORDER BY created_at, id",
        worker_id
    );
    json items = json::array();
    for (const auto& b : rows) {
        items.push_back(
            {{"id", b[0].as<std::string>()},
             {"worker_id", worker_id},
             {"full_name", b[1].as<std::string>()},
             {"phone", b[2].as<std::string>()},
             {"relationship", b[3].as<std::string>()},
             {"payout_method", b[4].as<std::string>()},
             {"national_id", nullable(b[5])}}
        );
    }
    log_access(tx, r, worker_id, "read", "beneficiary", "all", purpose_of(r));
    return api::json(200, json{{"items", items}, {"next_cursor", nullptr}});
}

// ---- consents and the access log ---------------------------------------------------------------

api::Reply list_consents(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string worker_id = r.path_param("id");
    if (!is_self(r, worker_id) || !find_worker(tx, worker_id)) {
        return api::not_found("worker");
    }
    // The current answer per purpose, with when it was given.
    const auto rows = tx.exec_params(
        "SELECT DISTINCT ON (purpose) purpose, granted, to_char(recorded_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM consents WHERE subject_id = $1 ORDER BY purpose, "
        "id DESC",
        worker_id
    );
    json items = json::array();
    for (const auto& c : rows) {
        items.push_back(
            {{"purpose", c[0].as<std::string>()},
             {"granted", c[1].as<bool>()},
             {"recorded_at", c[2].as<std::string>()}}
        );
    }
    // Consents are personal data too (what the worker allowed): every read is logged, like the
    // profile's, so the worker's access log is the whole list of who looked.
    log_access(tx, r, worker_id, "read", "consent", "all", purpose_of(r));
    return api::json(200, json{{"items", items}, {"next_cursor", nullptr}});
}

api::Reply record_consent(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string worker_id = r.path_param("id");
    if (!is_self(r, worker_id) || !find_worker(tx, worker_id)) {
        return api::not_found("worker");
    }
    const std::string purpose = body_string(r, "purpose");
    const bool granted = flag_of(r.body, "granted");
    if (purpose == "registration" && !granted) {
        return unprocessable(
            {{"purpose",
              "registration consent cannot be withdrawn here: ask for the account to be closed"}}
        );
    }
    tx.exec_params0(
        "INSERT INTO consents (subject_id, purpose, granted, legal_basis, channel) VALUES ($1, $2, "
        "$3, 'consent', 'api')",
        worker_id,
        purpose,
        granted
    );
    log_access(tx, r, worker_id, "update", "consent", purpose, "self_service");
    return api::json(201, json{{"purpose", purpose}, {"granted", granted}});
}

api::Reply get_access_log(const Context&, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string worker_id = r.path_param("id");
    if (r.has_role("worker") && !is_self(r, worker_id)) {
        return api::not_found("worker");
    }
    if (!find_worker(tx, worker_id)) {
        return api::not_found("worker");
    }
    api::Reply error;
    const auto page = page_of(r, CursorKey::kSequence, error);
    if (!page) {
        return error;
    }
    const auto rows = tx.exec_params(
        "SELECT id, actor_id, actor_role, action, record, fields, purpose, to_char(at AT TIME ZONE "
        "'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM access_log WHERE subject_id = $1 AND ($2 = '' "
        "OR id > $2::bigint) ORDER "
        "BY id LIMIT $3",
        worker_id,
        page->after,
        page->limit + 1
    );
    json items = json::array();
    for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < page->limit; ++i) {
        const auto& a = rows[i];
        items.push_back(
            {{"actor_id", a[1].as<std::string>()},
             {"actor_role", a[2].as<std::string>()},
             {"action", a[3].as<std::string>()},
             {"record", a[4].as<std::string>()},
             {"fields", a[5].as<std::string>()},
             {"purpose", a[6].as<std::string>()},
             {"at", a[7].as<std::string>()}}
        );
    }
    const bool more = static_cast<int>(rows.size()) > page->limit;
    const std::string last =
        more ? rows[static_cast<std::size_t>(page->limit) - 1][0].as<std::string>() : "";
    // Reading the log is itself an access (after the query, so it shows on the next page).
    log_access(tx, r, worker_id, "read", "access_log", "all", purpose_of(r));
    return api::json(
        200, json{{"items", items}, {"next_cursor", more ? json(cursor_for(last)) : json(nullptr)}}
    );
}

// ---- parties of a money movement (registry.parties, for the remittance service) ----------------

std::string remittance_parties(
    pqxx::dbtransaction& tx, const json& query, const std::string& request_id
) {
    const std::string worker_id = text_of(query, "worker_id");
    const std::string beneficiary_id = text_of(query, "beneficiary_id");
    const std::string purpose = text_of(query, "purpose");
    const auto w = find_worker(tx, worker_id);
    if (!w) {
        return api::problem(
                   404,
                   "not-found",
                   "Not found",
                   "no such worker",
                   {{"worker_id", "no such worker"}}
        ).to_payload();
    }
    const json worker = worker_json(tx, *w);
    json out{
        {"worker",
         {{"id", worker_id},
          {"full_name",
           worker["given_name"].get<std::string>() + " " +
               worker["family_name"].get<std::string>()},
          {"date_of_birth", worker["date_of_birth"]},
          {"phone", worker["phone"]},
          {"kyc_tier", worker["kyc_tier"]},
          {"status", worker["status"]},
          // Every worker registers with a passport (workers.passport_enc is required).
          {"document", "foreign_passport"},
          // Masked only ("*****4567"): the travel-rule record cites it; the sealed number
          // never leaves the registry (docs/central-bank.md "Identity numbers").
          {"document_number_masked", worker["passport_number"]},
          // The portal registers Basotho labour migrants: the passport is a Lesotho one. A
          // registration field replaces this when other nationals are admitted.
          {"nationality", "LS"},
          {"employer_name", worker["employer_name"]}}}};
    std::string fields = "name,date_of_birth,phone,kyc_tier,identity_number_masked,employer";
    if (!beneficiary_id.empty()) {
        const auto rows =
            is_uuid(beneficiary_id)
                ? tx.exec_params(
                      "SELECT full_name, phone, payout_method, relationship, national_id_masked "
                      "FROM beneficiaries WHERE id = $1 "
                      "AND worker_id = $2",
                      beneficiary_id,
                      worker_id
                  )
                : pqxx::result{};
        if (rows.empty()) {
            // Another worker's beneficiary is answered like a missing one.
            return api::problem(
                       404,
                       "not-found",
                       "Not found",
                       "no such beneficiary",
                       {{"beneficiary_id", "no such beneficiary of this worker"}}
            ).to_payload();
        }
        out["beneficiary"] = {
            {"id", beneficiary_id},
            {"full_name", rows[0][0].as<std::string>()},
            {"phone", rows[0][1].as<std::string>()},
            {"payout_method", rows[0][2].as<std::string>()},
            {"relationship", rows[0][3].as<std::string>()},
            {"national_id_masked", nullable(rows[0][4])}};
        fields += ",beneficiary";
    }
    api::Request who;
    who.caller = api::Caller{"remittance-service", "service", 0};
    who.request_id = request_id;
    log_access(tx, who, worker_id, "read", "remittance_parties", fields, purpose);
    return api::json(200, out).to_payload();
}

// ---- cash-pickup recipient check (registry.recipient_check, for the payout service) -----------

std::string recipient_check(
    const Context& ctx, pqxx::dbtransaction& tx, const json& query, const std::string& request_id
) {
    constexpr std::size_t kMaxPresented = 64;
    const std::string beneficiary_id = text_of(query, "beneficiary_id");
    const std::string national_id = text_of(query, "national_id");
    const std::string agent_id = text_of(query, "agent_id");
    std::vector<api::FieldError> errors;
    if (!is_uuid(beneficiary_id)) {
        errors.push_back({"beneficiary_id", "must be a uuid"});
    }
    if (national_id.empty() || national_id.size() > kMaxPresented) {
        errors.push_back({"national_id", "required, at most 64 characters"});
    }
    if (!is_uuid(agent_id)) {
        errors.push_back({"agent_id", "must be a uuid"});
    }
    if (!errors.empty()) {
        return api::problem(400, "bad-request", "Invalid query", errors[0].message, errors)
            .to_payload();
    }
    const auto agents =
        tx.exec_params("SELECT country FROM staff WHERE id = $1 AND role = 'agent'", agent_id);
    const json agent_country = agents.empty() ? json(nullptr) : nullable(agents[0][0]);
    const auto rows = tx.exec_params(
        "SELECT worker_id::text, national_id_enc FROM beneficiaries WHERE id = $1", beneficiary_id
    );
    bool match = false;
    if (!rows.empty() && !rows[0][1].is_null() && !check_identity_number(national_id)) {
        const auto stored =
            ctx.open(rows[0][1].as<std::string>(), "beneficiaries.national_id:" + beneficiary_id);
        if (!stored) {
            // No key of CHELETE_FIELD_KEYS opens it: a key dropped too early, not a mismatch.
            spdlog::error(
                "registry.recipient_check {}: beneficiary {} national id opens under no key",
                request_id,
                beneficiary_id
            );
            return api::problem(
                       500,
                       "internal-error",
                       "Internal error",
                       "something went wrong on our side; quote request id " + request_id
            )
                .to_payload();
        }
        match = platform::crypto::constant_time_equal(
            platform::crypto::normalize_identity_number(national_id), *stored
        );
    }
    // Logged under the worker who sends to this beneficiary (their "who accessed my data"
    // report); an unknown beneficiary under the id presented, so probing leaves a trace too.
    api::Request who;
    who.caller = api::Caller{agent_id, "agent", 0};
    who.request_id = request_id;
    log_access(
        tx,
        who,
        rows.empty() ? beneficiary_id : rows[0][0].as<std::string>(),
        "read",
        "beneficiary_national_id",
        "national_id",
        "cash_pickup_redeem"
    );
    return api::json(
               200,
               json{
                   {"beneficiary_found", !rows.empty()},
                   {"identity_match", match},
                   {"agent_country", agent_country}}
    ).to_payload();
}

// ---- USSD (docs/ussd.md "Who is calling") ------------------------------------------------------

namespace {

api::Reply ussd_bad_query(std::string_view field, std::string_view message) {
    return api::problem(
        400,
        "bad-request",
        "Invalid query",
        message,
        {api::FieldError{std::string{field}, std::string{message}}}
    );
}

}  // namespace

std::string ussd_caller(pqxx::dbtransaction& tx, const json& query) {
    const std::string phone = text_of(query, "phone");
    if (check_phone(phone)) {
        return ussd_bad_query("phone", "an E.164 phone number").to_payload();
    }
    const auto rows = tx.exec_params("SELECT 1 FROM beneficiary_logins WHERE phone = $1", phone);
    return api::json(200, json{{"registered", !rows.empty()}}).to_payload();
}

std::string ussd_pin_check(const Context& ctx, pqxx::dbtransaction& tx, const json& query) {
    const std::string phone = text_of(query, "phone");
    const std::string pin = text_of(query, "pin");
    if (check_phone(phone)) {
        return ussd_bad_query("phone", "an E.164 phone number").to_payload();
    }
    if (pin.empty() || pin.size() > 12) {
        return ussd_bad_query("pin", "1 to 12 characters").to_payload();
    }
    // The same row, lock and counter as a phone login (issue_token), so USSD and the API share
    // one lockout: five wrong PINs anywhere lock both.
    const auto rows = tx.exec_params(
        "SELECT id::text, pin_hash, coalesce(locked_until > now(), false) FROM "
        "beneficiary_logins WHERE phone = $1 FOR UPDATE",
        phone
    );
    if (rows.empty()) {
        return api::not_found("login").to_payload();
    }
    const std::string id = rows[0][0].as<std::string>();
    const auto result = [](std::string_view r) {
        return api::json(200, json{{"result", r}}).to_payload();
    };
    if (rows[0][2].as<bool>()) {
        return result("locked");
    }
    if (ctx.hasher.verify(pin, rows[0][1].as<std::string>())) {
        tx.exec_params0(
            "UPDATE beneficiary_logins SET failed_logins = 0, locked_until = NULL WHERE id = $1", id
        );
        return result("correct");
    }
    (void)login_failed(ctx, tx, "beneficiary_logins", id);
    const auto now_locked = tx.exec_params1(
        "SELECT coalesce(locked_until > now(), false) FROM beneficiary_logins WHERE id = $1", id
    );
    return result(now_locked[0].as<bool>() ? "locked" : "wrong");
}

std::string ussd_pin_change(
    const Context& ctx, pqxx::dbtransaction& tx, const json& query, const std::string& message_id
) {
    const std::string phone = text_of(query, "phone");
    const std::string old_pin = text_of(query, "old_pin");
    const std::string new_pin = text_of(query, "new_pin");
    const auto refuse = [&](std::string_view why) {
        // A command from the USSD service's outbox: nobody waits for the answer, so the refusal
        // is logged (without the PINs) and the message is done.
        spdlog::warn("registry.ussd_pin_change {}: not changed: {}", message_id, why);
        return api::problem(409, "pin-not-changed", "PIN not changed", why).to_payload();
    };
    if (check_phone(phone)) {
        return refuse("the phone is not an E.164 number");
    }
    if (const auto weak = check_pin(new_pin)) {
        return refuse("the new PIN breaks the PIN rule");
    }
    const auto rows = tx.exec_params(
        "SELECT id::text, pin_hash FROM beneficiary_logins WHERE phone = $1 FOR UPDATE", phone
    );
    if (rows.empty()) {
        return refuse("no login has this phone");
    }
    // The old PIN was checked in the session (and counted there); checked again here so a PIN
    // changed since (by the API or another session) is not overwritten by a stale request.
    if (!ctx.hasher.verify(old_pin, rows[0][1].as<std::string>())) {
        return refuse("the old PIN no longer opens the login");
    }
    const std::string id = rows[0][0].as<std::string>();
    tx.exec_params0(
        "UPDATE beneficiary_logins SET pin_hash = $2, must_change_pin = false, failed_logins = 0, "
        "locked_until = NULL, token_version = token_version + 1 WHERE id = $1",
        id,
        ctx.hasher.hash(new_pin)
    );
    api::Request who;
    who.caller = api::Caller{"ussd:" + phone, "beneficiary", 0};
    who.request_id = message_id;
    log_access(tx, who, id, "update", "beneficiary_login", "pin", "ussd_pin_change");
    return api::json(200, json{{"changed", true}}).to_payload();
}

}  // namespace chelete::registry::detail
