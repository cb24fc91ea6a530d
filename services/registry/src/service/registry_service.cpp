#include <array>
#include <utility>

#include <spdlog/spdlog.h>

#include <chelete/permit_registry/client.hpp>
#include <chelete/platform/crypto.hpp>
#include <chelete/platform/id.hpp>
#include <chelete/platform/operations.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/registry/service.hpp>

#include "registry_migrations.hpp"
#include "service/context.hpp"

namespace chelete::registry {

using nlohmann::json;
namespace api = platform::api;
namespace bus = platform::bus;
using namespace std::chrono_literals;

// ---- settings ----------------------------------------------------------------------------------

RegistryStreams RegistryStreams::load(platform::ConfigReader& r) {
    RegistryStreams s;
    s.command_stream = r.string(
        "CHELETE_REGISTRY_COMMAND_STREAM", "registry.cmd", "Stream the registry takes requests from"
    );
    s.event_stream = r.string(
        "CHELETE_REGISTRY_EVENT_STREAM",
        "registry.events",
        "Stream the registry publishes events to"
    );
    return s;
}

RegistrySettings RegistrySettings::load(platform::ConfigReader& r) {
    RegistrySettings s;
    s.schema = r.string("CHELETE_REGISTRY_SCHEMA", "registry", "PostgreSQL schema of the registry");
    if (!platform::is_safe_identifier(s.schema)) {
        r.problem(
            "CHELETE_REGISTRY_SCHEMA='" + s.schema + "' is not a plain lower-case identifier"
        );
        s.schema = "registry";
    }
    s.streams = RegistryStreams::load(r);
    s.notify_stream = r.string(
        "CHELETE_NOTIFY_STREAM", "notify.cmd", "Stream the notifier takes SMS requests from"
    );
    s.consumers = static_cast<std::size_t>(r.integer(
        "CHELETE_REGISTRY_CONSUMERS",
        2,
        1,
        16,
        "Registry consumer threads (each its own connection)"
    ));
    s.admin_password = r.required_secret(
        "CHELETE_ADMIN_PASSWORD", 12, "Password of the `admin` staff account created on first start"
    );
    const auto keys = r.required_secret(
        "CHELETE_FIELD_KEYS",
        1,
        "AES-256-GCM keys for identity numbers at rest: `k2:<64 hex>,k1:<64 hex>`, first seals"
    );
    if (!keys.empty()) {
        auto parsed = platform::crypto::FieldCipher::parse_keys(keys);
        if (parsed) {
            s.field_keys = std::move(parsed.value());
        } else {
            r.problem("CHELETE_FIELD_KEYS: " + parsed.error());
        }
    }
    s.lookup_key =
        r.required_secret("CHELETE_LOOKUP_KEY", 32, "HMAC key of identity-number look-up hashes");
    s.letter_seed_hex = r.required_secret(
        "CHELETE_LETTER_SIGNING_KEY", 64, "Ed25519 seed (64 hex) that signs permit status letters"
    );
    if (!s.letter_seed_hex.empty() &&
        !platform::crypto::Ed25519Signer::from_seed_hex(s.letter_seed_hex)) {
        r.problem("CHELETE_LETTER_SIGNING_KEY must be 64 hex characters (a 32-byte Ed25519 seed)");
    }
    // Never below the OWASP minimum (m=19 MiB, t=2), tests included: what they measure is
    // what production runs.
    s.password_cost.memory_kib = static_cast<std::uint32_t>(r.integer(
        "CHELETE_PASSWORD_MEMORY_KIB",
        platform::crypto::kMinConfiguredPasswordMemoryKib,
        platform::crypto::kMinConfiguredPasswordMemoryKib,
        platform::crypto::kMaxPasswordMemoryKib,
        "Argon2id memory per PIN/password hash (KiB, at least 19456: the OWASP minimum)"
    ));
    s.password_cost.iterations = static_cast<std::uint32_t>(r.integer(
        "CHELETE_PASSWORD_ITERATIONS",
        platform::crypto::kMinConfiguredPasswordIterations,
        platform::crypto::kMinConfiguredPasswordIterations,
        platform::crypto::kMaxPasswordIterations,
        "Argon2id passes per PIN/password hash (at least 2: the OWASP minimum)"
    ));
    s.login_max_failures = static_cast<int>(r.integer(
        "CHELETE_LOGIN_MAX_FAILURES", 5, 1, 100, "Wrong PINs/passwords before a login locks"
    ));
    s.login_lockout =
        r.duration("CHELETE_LOGIN_LOCKOUT", 30min, 1s, 24h, "How long a locked login stays locked");
    s.licence_years = static_cast<int>(
        r.integer("CHELETE_AGENCY_LICENCE_YEARS", 3, 1, 10, "Term of an agency licence")
    );
    s.renewal_window_days = static_cast<int>(r.integer(
        "CHELETE_AGENCY_RENEWAL_WINDOW_DAYS",
        60,
        1,
        365,
        "Days before expiry a licence shows renewal_due"
    ));
    s.permit_notice_days = static_cast<int>(r.integer(
        "CHELETE_PERMIT_NOTICE_DAYS", 30, 1, 365, "Days before legal expiry a worker is told by SMS"
    ));
    s.jobs_interval = r.duration(
        "CHELETE_REGISTRY_JOBS_INTERVAL", 1h, 1s, 24h, "How often the registry's daily jobs run"
    );
    s.permit_registry_url = r.string(
        "CHELETE_PERMIT_REGISTRY_URL",
        "",
        "Base URL of the permit registry (empty: permit verification answers 503)"
    );
    s.permit_registry_api_key = r.optional_secret(
        "CHELETE_PERMIT_REGISTRY_API_KEY", 8, "API key sent to the permit registry (X-Api-Key)"
    );
    s.permit_registry_timeout = r.duration(
        "CHELETE_PERMIT_REGISTRY_TIMEOUT", 2s, 100ms, 30s, "Limit for one permit registry request"
    );
    return s;
}

std::vector<platform::Migration> registry_migrations() {
    std::vector<std::pair<std::string_view, std::string_view>> files{
        registry_sql::kAllFiles.begin(), registry_sql::kAllFiles.end()};
    return platform::migrations_from_files("registry", files);
}

// ---- shared helpers ----------------------------------------------------------------------------

namespace detail {

Day Context::today() const {
    const auto days = std::chrono::floor<std::chrono::days>(clock.now().time_since_epoch()).count();
    return static_cast<Day>(days);
}

std::string Context::lookup_hash(std::string_view identity_number) const {
    return platform::crypto::lookup_hash(settings.lookup_key, identity_number);
}

std::string Context::seal(std::string_view value, const std::string& where) const {
    return cipher.encrypt(value, where);
}

std::optional<std::string> Context::open(std::string_view envelope, const std::string& where)
    const {
    return cipher.decrypt(envelope, where);
}

void Context::publish(pqxx::transaction_base& tx, std::string_view type, const json& payload)
    const {
    outbox.enqueue(
        tx,
        bus::OutgoingMessage{
            settings.streams.event_stream, std::string{type}, payload.dump(), "", ""}
    );
}

api::Reply conflict(std::string_view detail) {
    return api::problem(409, "conflict", "Conflict", detail);
}

bool is_self(const api::Request& r, const std::string& worker_id) {
    return r.caller && r.caller->role == "worker" && r.caller->subject == worker_id;
}

bool is_uuid(std::string_view s) {
    // Id128::parse also takes 32 bare hex digits, which PostgreSQL's uuid type accepts too.
    return platform::Id128::parse(s).has_value();
}

void log_access(
    pqxx::transaction_base& tx,
    const api::Request& r,
    const std::string& subject_id,
    std::string_view action,
    std::string_view record,
    std::string_view fields,
    std::string_view purpose
) {
    tx.exec_params0(
        "INSERT INTO access_log (subject_id, actor_id, actor_role, action, record, fields, "
        "purpose, request_id) VALUES ($1, "
        "$2, $3, $4, $5, $6, $7, $8)",
        subject_id,
        r.caller ? r.caller->subject : std::string{"anonymous"},
        r.caller ? r.caller->role : std::string{"anonymous"},
        std::string{action},
        std::string{record},
        std::string{fields},
        std::string{purpose},
        r.request_id
    );
}

std::string purpose_of(const api::Request& r) {
    if (!r.caller) {
        return "registration";
    }
    const std::string& role = r.caller->role;
    if (role == "worker") {
        return "self_service";
    }
    if (role == "ministry_officer") {
        return "permit_tracking";
    }
    if (role == "compliance_officer") {
        return "compliance_review";
    }
    return "administration";
}

std::optional<Page> page_of(const api::Request& r, CursorKey kind, api::Reply& error) {
    Page p;
    if (r.query.contains("limit")) {
        const auto& l = r.query["limit"];
        if (!l.is_number_integer() || l.get<std::int64_t>() < 1 || l.get<std::int64_t>() > 200) {
            error = api::problem(
                400,
                "bad-request",
                "Invalid query",
                "",
                {{"limit", "must be an integer from 1 to 200"}}
            );
            return std::nullopt;
        }
        p.limit = static_cast<int>(l.get<std::int64_t>());
    }
    if (r.query.contains("cursor")) {
        const auto decoded =
            r.query["cursor"].is_string()
                ? platform::crypto::base64url_decode(r.query["cursor"].get<std::string>())
                : std::nullopt;
        if (!decoded) {
            error = api::problem(
                400, "bad-request", "Invalid query", "", {{"cursor", "not a cursor this list gave"}}
            );
            return std::nullopt;
        }
        const bool fits = kind == CursorKey::kUuid
                              ? is_uuid(*decoded)
                              : !decoded->empty() && decoded->size() <= 18 &&
                                    decoded->find_first_not_of("0123456789") == std::string::npos;
        if (!fits) {
            error = api::problem(
                400,
                "bad-request",
                "Invalid cursor",
                "",
                {{"cursor", "not a cursor this list gave"}}
            );
            return std::nullopt;
        }
        p.after = *decoded;
    }
    return p;
}

std::string cursor_for(const std::string& key) {
    return platform::crypto::base64url_encode(key);
}

json nullable(const pqxx::field& field) {
    return field.is_null() ? json(nullptr) : json(field.as<std::string>());
}

bool flag_of(const json& object, const char* key) {
    if (!object.is_object()) {
        return false;
    }
    const auto it = object.find(key);
    return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string body_string(const api::Request& r, const char* field) {
    if (!r.body.is_object()) {
        return {};
    }
    const auto it = r.body.find(field);
    return it != r.body.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::optional<std::string> body_optional(const api::Request& r, const char* field) {
    if (!r.body.is_object()) {
        return std::nullopt;
    }
    const auto it = r.body.find(field);
    if (it == r.body.end() || !it->is_string()) {
        return std::nullopt;
    }
    return it->get<std::string>();
}

namespace {

struct Operation {
    std::string_view id;
    Handler handler;
};

// One line per registry operation of api-spec/openapi.yaml (services/chelete/routes.cpp
// forwards the same list).
constexpr std::array<Operation, 26> kOperations{{
    {"issueToken", issue_token},
    {"createStaff", create_staff},
    {"listStaff", list_staff},
    {"registerWorker", register_worker},
    {"getWorker", get_worker},
    {"addPermit", add_permit},
    {"listPermits", list_permits},
    {"changePermitStatus", change_permit_status},
    {"verifyPermit", verify_permit},
    {"createPermitDirective", create_directive},
    {"addBeneficiary", add_beneficiary},
    {"listBeneficiaries", list_beneficiaries},
    {"listConsents", list_consents},
    {"recordConsent", record_consent},
    {"getAccessLog", get_access_log},
    {"createAgency", create_agency},
    {"listAgencies", list_agencies},
    {"getAgency", get_agency},
    {"verifyAgencyLicence", verify_agency_licence},
    {"decideAgency", decide_agency},
    {"getAgencyHistory", agency_history},
    {"fileComplaint", file_complaint},
    {"listComplaints", list_complaints},
    {"decideComplaint", decide_complaint},
    {"getStatusLetter", get_status_letter},
    {"checkStatusLetter", check_status_letter},
}};

}  // namespace
}  // namespace detail

std::vector<std::string> registry_operations() {
    std::vector<std::string> out;
    for (const auto& op : detail::kOperations) {
        out.emplace_back(op.id);
    }
    return out;
}

// ---- the service -------------------------------------------------------------------------------

RegistryService::RegistryService(
    const platform::PlatformSettings& platform,
    RegistrySettings settings,
    const platform::Clock& clock
)
    : platform_(platform), settings_(std::move(settings)), clock_(clock) {
    cipher_ = std::make_unique<platform::crypto::FieldCipher>(settings_.field_keys);
    hasher_ = std::make_unique<platform::crypto::PasswordHasher>(settings_.password_cost);
    auto signer = platform::crypto::Ed25519Signer::from_seed_hex(settings_.letter_seed_hex);
    if (!signer) {
        throw std::invalid_argument("CHELETE_LETTER_SIGNING_KEY: " + signer.error());
    }
    signer_ = std::make_unique<platform::crypto::Ed25519Signer>(std::move(signer.value()));
    if (!settings_.permit_registry_url.empty()) {
        permit_registry::PermitRegistryClientOptions options;
        options.base_url = settings_.permit_registry_url;
        options.api_key = settings_.permit_registry_api_key;
        options.timeout = settings_.permit_registry_timeout;
        permit_registry_ = std::make_unique<permit_registry::PermitRegistryClient>(options);
    }
    pool_ = std::make_unique<platform::PgPool>(
        platform_.pool_options(settings_.schema, settings_.consumers + 2)
    );
    outbox_ = std::make_unique<bus::Outbox>(settings_.schema);
}

const platform::Clock& RegistryService::default_clock() {
    static const platform::SystemClock clock;
    return clock;
}

void RegistryService::use_permit_registry(std::unique_ptr<permit_registry::PermitRegistry> registry
) {
    permit_registry_ = std::move(registry);
}

RegistryService::~RegistryService() {
    stop();
}

api::Reply RegistryService::handle(pqxx::dbtransaction& tx, const api::Request& request) {
    const detail::Context ctx{
        settings_, *cipher_, *hasher_, *signer_, clock_, *outbox_, permit_registry_.get()};
    for (const auto& op : detail::kOperations) {
        if (op.id == request.operation) {
            // A refusal leaves nothing half-written (platform/operations.hpp).
            // A failed login is the exception: its counter must stay (401 is kept).
            return platform::answer_in_savepoint(
                tx,
                "registry",
                request,
                [&](pqxx::dbtransaction& sp) { return op.handler(ctx, sp, request); },
                401
            );
        }
    }
    return api::problem(
        404,
        "unknown-operation",
        "Unknown operation",
        "the registry does not serve " + request.operation
    );
}

std::string RegistryService::answer(pqxx::dbtransaction& tx, const bus::Message& message) {
    if (message.type == messages::kUssdCaller || message.type == messages::kUssdPinCheck ||
        message.type == messages::kUssdPinChange) {
        auto query = json::parse(message.payload, nullptr, false);
        if (!query.is_object()) {
            query = json::object();
        }
        const detail::Context ctx{
            settings_, *cipher_, *hasher_, *signer_, clock_, *outbox_, permit_registry_.get()};
        if (message.type == messages::kUssdCaller) {
            return detail::ussd_caller(tx, query);
        }
        if (message.type == messages::kUssdPinCheck) {
            return detail::ussd_pin_check(ctx, tx, query);
        }
        return detail::ussd_pin_change(ctx, tx, query, message.id);
    }
    if (message.type == messages::kParties || message.type == messages::kRecipientCheck) {
        auto query = json::parse(message.payload, nullptr, false);
        if (!query.is_object()) {
            query = json::object();
        }
        if (message.type == messages::kParties) {
            return detail::remittance_parties(tx, query, message.correlation_id);
        }
        const detail::Context ctx{
            settings_, *cipher_, *hasher_, *signer_, clock_, *outbox_, permit_registry_.get()};
        return detail::recipient_check(ctx, tx, query, message.correlation_id);
    }
    const auto request = api::Request::parse(message.payload);
    if (!request) {
        return api::problem(400, "bad-request", "Malformed request envelope").to_payload();
    }
    return handle(tx, *request).to_payload();
}

void RegistryService::migrate() {
    {
        auto conn = pool_->connect_dedicated();
        (void)platform::apply_migrations(*conn, settings_.schema, platform::bus_migrations());
        (void)platform::apply_migrations(*conn, settings_.schema, registry_migrations());
    }
    // Directors' identity numbers stored in clear before V004 are sealed now (SQL cannot: the
    // keys are not in the database); then the constraint refusing clear ones holds for every row.
    (void)seal_agency_directors(false);
    platform::with_transaction(*pool_, [&](pqxx::work& tx) {
        if (!tx.exec("SELECT 1 FROM pg_constraint WHERE conname = 'agencies_directors_sealed' AND "
                     "conrelid = 'agencies'::regclass AND NOT convalidated")
                 .empty()) {
            tx.exec0("ALTER TABLE agencies VALIDATE CONSTRAINT agencies_directors_sealed");
        }
    });
}

RegistryService::RotationReport RegistryService::seal_agency_directors(bool reseal_old_keys) {
    // Agencies holding a director's number in clear or (rotating) sealed under an old key, by
    // id, 100 a transaction; each is visited once, so unreadable ones are counted once.
    RotationReport report;
    const std::string prefix = "v1." + cipher_->current_key_id() + ".";
    const std::string filter =
        reseal_old_keys ? "$[*] ? (exists(@.national_id) || (exists(@.national_id_enc) && "
                          "!(@.national_id_enc starts with $p)))"
                        : "$[*].national_id";
    struct Slice {
        std::string last;  // empty: nothing left
        RotationReport counts;
    };
    std::string after;
    for (;;) {
        // Counted and moved on only once the slice commits (a retried attempt starts again).
        const auto slice = platform::with_transaction(*pool_, [&](pqxx::work& tx) {
            Slice out;
            const auto rows = tx.exec_params(
                "SELECT id::text, directors::text FROM agencies WHERE ($1 = '' OR id > $1::uuid) "
                "AND jsonb_path_exists(directors, $2::jsonpath, jsonb_build_object('p', $3::text)) "
                "ORDER BY id LIMIT 100 FOR UPDATE",
                after,
                filter,
                prefix
            );
            for (const auto& row : rows) {
                out.last = row[0].as<std::string>();
                auto directors = json::parse(row[1].as<std::string>());
                const auto sealed =
                    detail::seal_directors(*cipher_, out.last, directors, reseal_old_keys);
                out.counts.unreadable += sealed.unreadable;
                if (sealed.rewritten > 0) {
                    out.counts.rewritten += sealed.rewritten;
                    tx.exec_params0(
                        "UPDATE agencies SET directors = $2::jsonb WHERE id = $1",
                        out.last,
                        directors.dump()
                    );
                }
            }
            return out;
        });
        if (slice.last.empty()) {
            break;
        }
        after = slice.last;
        report.rewritten += slice.counts.rewritten;
        report.unreadable += slice.counts.unreadable;
    }
    return report;
}

RegistryService::RotationReport RegistryService::rotate_field_keys() {
    struct Column {
        const char* table;
        const char* column;
        const char* where;  // the associated data's prefix: "<table>.<field>:<id>"
    };
    constexpr std::array<Column, 3> kColumns{
        {{"workers", "passport_enc", "workers.passport:"},
         {"workers", "lesotho_id_enc", "workers.lesotho_id:"},
         {"beneficiaries", "national_id_enc", "beneficiaries.national_id:"}}};
    RotationReport report;
    const std::string current = cipher_->current_key_id();
    for (const auto& c : kColumns) {
        // In slices, each its own transaction, so a large table neither holds locks for long
        // nor loses finished work if interrupted; the prefix test skips rows already done.
        for (;;) {
            int rewritten = 0;
            platform::with_transaction(*pool_, [&](pqxx::work& tx) {
                rewritten = 0;
                const auto rows = tx.exec_params(
                    std::string{"SELECT id::text, "} + c.column + " FROM " + c.table + " WHERE " +
                        c.column + " IS NOT NULL AND " + c.column +
                        " NOT LIKE $1 ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED",
                    "v1." + current + ".%"
                );
                for (const auto& row : rows) {
                    const std::string id = row[0].as<std::string>();
                    const std::string where = c.where + id;
                    const auto plain = cipher_->decrypt(row[1].as<std::string>(), where);
                    if (!plain) {
                        continue;  // counted below, once
                    }
                    tx.exec_params0(
                        std::string{"UPDATE "} + c.table + " SET " + c.column +
                            " = $2 WHERE id = $1",
                        id,
                        cipher_->encrypt(*plain, where)
                    );
                    ++rewritten;
                }
            });
            report.rewritten += rewritten;
            if (rewritten == 0) {
                break;
            }
        }
        auto conn = pool_->connect_dedicated();
        pqxx::read_transaction tx{*conn};
        report.unreadable += tx.exec_params1(
                                   std::string{"SELECT count(*) FROM "} + c.table + " WHERE " +
                                       c.column + " IS NOT NULL AND " + c.column + " NOT LIKE $1",
                                   "v1." + current + ".%"
        )[0]
                                 .as<int>();
    }
    // Agency directors' numbers live inside a jsonb list, one envelope per director.
    const auto directors = seal_agency_directors(true);
    report.rewritten += directors.rewritten;
    report.unreadable += directors.unreadable;
    return report;
}

void RegistryService::start() {
    migrate();
    {
        auto conn = pool_->connect_dedicated();
        pqxx::work tx{*conn};
        // The bootstrap admin (API.md "Staff and agents"): only on an empty staff table.
        const auto inserted = tx.exec_params(
            "INSERT INTO staff (id, username, password_hash, role, display_name, created_by) "
            "SELECT $1, 'admin', $2, 'admin', "
            "'Administrator', 'bootstrap' WHERE NOT EXISTS (SELECT 1 FROM staff) ON CONFLICT "
            "(username) DO NOTHING",
            platform::new_uuid(),
            hasher_->hash(settings_.admin_password)
        );
        tx.commit();
        if (inserted.affected_rows() > 0) {
            spdlog::info("registry: created the bootstrap staff account 'admin'");
        }
    }
    relay_ = platform_.start_embedded_relay(settings_.schema, *outbox_);
    for (std::size_t i = 0; i < settings_.consumers; ++i) {
        bus::ConsumerOptions options;
        options.stream = settings_.streams.command_stream;
        options.group = "registry";
        options.consumer = bus::default_consumer_name("registry") + "-" + std::to_string(i);
        options.max_batch = 8;
        consumers_.push_back(std::make_unique<bus::Consumer>(
            *pool_,
            outbox_.get(),
            platform_.bus,
            options,
            [this](pqxx::transaction_base& tx, const bus::Message& m) -> bus::HandlerResult {
                return bus::HandlerResult{answer(dynamic_cast<pqxx::dbtransaction&>(tx), m)};
            }
        ));
        consumers_.back()->start();
    }
    stopping_ = false;
    jobs_thread_ = std::thread([this] { job_loop(); });
    spdlog::info(
        "registry service up (schema {}, stream {})",
        settings_.schema,
        settings_.streams.command_stream
    );
}

void RegistryService::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    jobs_cv_.notify_all();
    if (jobs_thread_.joinable()) {
        jobs_thread_.join();
    }
    for (auto& c : consumers_) {
        c->stop();
    }
    consumers_.clear();
    if (relay_) {
        relay_->stop();
    }
}

RegistryService::JobReport RegistryService::run_jobs() {
    JobReport report;
    const detail::Context ctx{
        settings_, *cipher_, *hasher_, *signer_, clock_, *outbox_, permit_registry_.get()};
    platform::with_transaction(*pool_, [&](pqxx::work& tx) {
        report = JobReport{};
        // Licences falling due or lapsing by the calendar become their stored status, with a
        // history row by the system, so the register and its filters agree.
        for (const auto& a : tx.exec("SELECT id::text, status, valid_until::text FROM agencies "
                                     "WHERE status IN ('licensed', "
                                     "'renewal_due') FOR UPDATE")) {
            const auto stored = *agency_status_from(a[1].as<std::string>());
            const auto now = agency_status_on(
                stored,
                a[2].is_null() ? std::nullopt : parse_date(a[2].as<std::string>()),
                ctx.today(),
                settings_.renewal_window_days
            );
            if (now == stored) {
                continue;
            }
            ++report.agencies_changed;
            tx.exec_params0(
                "UPDATE agencies SET status = $2, updated_at = now() WHERE id = $1",
                a[0].as<std::string>(),
                std::string{to_string(now)}
            );
            tx.exec_params0(
                "INSERT INTO agency_decisions (agency_id, action, from_status, to_status, reason, "
                "officer_id) VALUES ($1, "
                "'calendar', $2, $3, 'licence term', 'system')",
                a[0].as<std::string>(),
                a[1].as<std::string>(),
                std::string{to_string(now)}
            );
            ctx.publish(
                tx,
                messages::kAgencyStatusChanged,
                json{{"agency_id", a[0].as<std::string>()}, {"status", to_string(now)}}
            );
        }
        report.permits_changed = detail::refresh_permits(ctx, tx, "", "system", "daily check");
        // Permits whose legal validity ends within the notice window: one SMS per permit and
        // expiry date (a directive that moves the date earns a new notice).
        const std::string horizon = format_date(ctx.today() + settings_.permit_notice_days);
        for (const auto& p : tx.exec_params(
                 "SELECT p.id::text, p.type, p.legal_expiry::text, w.phone, w.id::text FROM "
                 "permits p JOIN workers w ON "
                 "w.id = p.worker_id WHERE p.status IN ('valid', 'extended_by_directive') AND "
                 "p.legal_expiry <= $1::date "
                 "AND p.legal_expiry >= $2::date AND p.expiry_notified IS DISTINCT FROM "
                 "p.legal_expiry FOR UPDATE OF p",
                 horizon,
                 format_date(ctx.today())
             )) {
            ++report.expiry_notices;
            const std::string expiry = p[2].as<std::string>();
            outbox_->enqueue(
                tx,
                bus::OutgoingMessage{
                    settings_.notify_stream,
                    "notify.sms",
                    json{
                        {"to", p[3].as<std::string>()},
                        {"template", "permit_expiry"},
                        {"params",
                         {{"permit_type", p[1].as<std::string>()}, {"legal_expiry", expiry}}},
                        {"subject_id", p[4].as<std::string>()},
                        {"dedupe_key", "permit_expiry:" + p[0].as<std::string>() + ":" + expiry}}
                        .dump(),
                    "",
                    ""}
            );
            tx.exec_params0(
                "UPDATE permits SET expiry_notified = legal_expiry WHERE id = $1",
                p[0].as<std::string>()
            );
        }
    });
    outbox_->wake();
    return report;
}

void RegistryService::job_loop() {
    while (!stopping_) {
        try {
            const auto r = run_jobs();
            if (r.agencies_changed + r.permits_changed + r.expiry_notices > 0) {
                spdlog::info(
                    "registry jobs: {} agencies, {} permits changed, {} expiry notices",
                    r.agencies_changed,
                    r.permits_changed,
                    r.expiry_notices
                );
            }
        } catch (const std::exception& e) {
            spdlog::warn("registry jobs failed (next run retries): {}", e.what());
        }
        std::unique_lock lock{jobs_mutex_};
        jobs_cv_.wait_for(lock, settings_.jobs_interval, [this] { return stopping_.load(); });
    }
}

}  // namespace chelete::registry
