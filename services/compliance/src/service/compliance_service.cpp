#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <spdlog/spdlog.h>

#include <chelete/compliance/service.hpp>
#include <chelete/platform/crypto.hpp>
#include <chelete/platform/id.hpp>
#include <chelete/platform/money.hpp>
#include <chelete/platform/operations.hpp>

#include "compliance_migrations.hpp"
#include "domain/decision.hpp"
#include "domain/watchlist.hpp"
#include "service/context.hpp"

namespace chelete::compliance {

using nlohmann::json;
namespace api = platform::api;
namespace bus = platform::bus;
using namespace std::chrono_literals;

// ---- settings ----------------------------------------------------------------------------------

ComplianceStreams ComplianceStreams::load(platform::ConfigReader& r) {
    ComplianceStreams s;
    s.command_stream = r.string(
        "CHELETE_COMPLIANCE_COMMAND_STREAM",
        "compliance.cmd",
        "Stream compliance takes screening requests and HTTP operations from"
    );
    s.event_stream = r.string(
        "CHELETE_COMPLIANCE_EVENT_STREAM",
        "compliance.events",
        "Stream compliance publishes screening outcomes and case decisions to"
    );
    return s;
}

ComplianceSettings::ComplianceSettings()
    : limits(kDefaultLimits),
      match_threshold("0.93"),
      velocity(kDefaultVelocityRules),
      structuring(kDefaultStructuringRules) {}

namespace {

/// The policy from the four strings; the error names the variable.
platform::Result<Policy, std::string> policy_of(const ComplianceSettings& s) {
    PolicySettings ps;
    ps.limits = s.limits;
    ps.match_threshold = s.match_threshold;
    ps.velocity = s.velocity;
    ps.structuring = s.structuring;
    auto parsed = parse_policy(ps);
    if (parsed) {
        return std::move(parsed).value();
    }
    // parse_policy's error starts with the setting: "limits: …", "match threshold: …".
    constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kVariables{{
        {"limits: ", "CHELETE_COMPLIANCE_LIMITS"},
        {"match threshold: ", "CHELETE_COMPLIANCE_MATCH_THRESHOLD"},
        {"velocity: ", "CHELETE_COMPLIANCE_VELOCITY"},
        {"structuring: ", "CHELETE_COMPLIANCE_STRUCTURING"},
    }};
    const std::string& message = parsed.error().message;
    for (const auto& [prefix, variable] : kVariables) {
        if (message.starts_with(prefix)) {
            return platform::Err<std::string>{
                std::string{variable} + ": " + message.substr(prefix.size())};
        }
    }
    return platform::Err<std::string>{"compliance policy: " + message};
}

}  // namespace

ComplianceSettings ComplianceSettings::load(platform::ConfigReader& r) {
    ComplianceSettings s;
    s.schema =
        r.string("CHELETE_COMPLIANCE_SCHEMA", "compliance", "PostgreSQL schema of compliance");
    if (!platform::is_safe_identifier(s.schema)) {
        r.problem(
            "CHELETE_COMPLIANCE_SCHEMA='" + s.schema + "' is not a plain lower-case identifier"
        );
        s.schema = "compliance";
    }
    s.streams = ComplianceStreams::load(r);
    s.consumers = static_cast<std::size_t>(r.integer(
        "CHELETE_COMPLIANCE_CONSUMERS",
        2,
        1,
        16,
        "Compliance consumer threads on its command stream (each its own connection)"
    ));
    s.limits = r.string(
        "CHELETE_COMPLIANCE_LIMITS",
        kDefaultLimits,
        "Send limits per KYC tier: <tier>:<daily cents>/<monthly cents>, comma-separated"
    );
    s.match_threshold = r.string(
        "CHELETE_COMPLIANCE_MATCH_THRESHOLD", "0.93", "Watchlist name-match threshold, 0.50 to 1.00"
    );
    s.velocity = r.string(
        "CHELETE_COMPLIANCE_VELOCITY",
        kDefaultVelocityRules,
        "Velocity rules: <max count>/<window>, comma-separated"
    );
    s.structuring = r.string(
        "CHELETE_COMPLIANCE_STRUCTURING",
        kDefaultStructuringRules,
        "Structuring rules: <target>:<band>%/<window>/<min count>, comma-separated"
    );
    if (auto policy = policy_of(s); !policy) {
        r.problem(policy.error());
    }
    s.watchlist_path = r.string(
        "CHELETE_COMPLIANCE_WATCHLIST",
        "",
        "Path of the watchlist CSV (docs/compliance.md); empty: an empty list"
    );
    if (!s.watchlist_path.empty()) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(s.watchlist_path, ec)) {
            r.problem(
                "CHELETE_COMPLIANCE_WATCHLIST='" + s.watchlist_path + "' is not a readable file"
            );
        }
    }
    s.watchlist_reload = r.duration(
        "CHELETE_COMPLIANCE_WATCHLIST_RELOAD",
        60s,
        1s,
        24h,
        "How often the watchlist file's modification time is checked (a changed file is reloaded)"
    );
    return s;
}

std::vector<platform::Migration> compliance_migrations() {
    std::vector<std::pair<std::string_view, std::string_view>> files{
        compliance_sql::kAllFiles.begin(), compliance_sql::kAllFiles.end()};
    return platform::migrations_from_files("compliance", files);
}

// ---- shared helpers ----------------------------------------------------------------------------

namespace detail {

void Context::publish(pqxx::transaction_base& tx, std::string_view type, const json& payload)
    const {
    outbox.enqueue(
        tx,
        bus::OutgoingMessage{
            settings.streams.event_stream, std::string{type}, payload.dump(), "", ""}
    );
}

std::string Context::sender_lock_key(const std::string& sender_id) const {
    return "chelete." + settings.schema + ".sender:" + sender_id;
}

api::Reply conflict(std::string_view detail) {
    return api::problem(409, "conflict", "Conflict", detail);
}

api::Reply bad_query(const std::string& field, const std::string& message) {
    return api::problem(
        400, "bad-request", "Invalid query", field + ": " + message, {{field, message}}
    );
}

bool is_uuid(std::string_view s) {
    return platform::Id128::parse(s).has_value();
}

std::optional<std::string> canonical_uuid(std::string_view s) {
    const auto id = platform::Id128::parse(s);
    if (!id) {
        return std::nullopt;
    }
    return id->to_string();
}

void log_access(
    pqxx::transaction_base& tx,
    const api::Request& r,
    std::string_view action,
    std::string_view record,
    const std::string& record_id,
    const std::optional<std::string>& subject_id,
    std::string_view fields
) {
    const std::string role = r.caller ? r.caller->role : std::string{"anonymous"};
    const std::string purpose = role == "compliance_officer" ? "compliance_review"
                                : role == "finance"          ? "threshold_reporting"
                                                             : "administration";
    tx.exec_params0(
        "INSERT INTO access_log (actor_id, actor_role, action, record, record_id, subject_id, "
        "fields, purpose, request_id) VALUES ($1, $2, $3, $4, $5, NULLIF($6, '')::uuid, $7, $8, "
        "$9)",
        r.caller ? r.caller->subject : std::string{"anonymous"},
        role,
        std::string{action},
        std::string{record},
        record_id,
        subject_id.value_or(""),
        std::string{fields},
        purpose,
        r.request_id
    );
}

std::optional<Page> page_of(const api::Request& r, api::Reply& error) {
    Page p;
    if (r.query.contains("limit")) {
        const auto& l = r.query["limit"];
        std::int64_t value = 0;
        if (l.is_number_integer()) {
            value = l.get<std::int64_t>();
        } else if (l.is_string()) {
            // The gateway types query values; a string here comes from a caller that did not.
            const std::string text = l.get<std::string>();
            if (text.empty() || text.size() > 3 ||
                text.find_first_not_of("0123456789") != std::string::npos) {
                value = 0;
            } else {
                value = std::stoll(text);
            }
        }
        if (value < 1 || value > 200) {
            error = bad_query("limit", "must be an integer from 1 to 200");
            return std::nullopt;
        }
        p.limit = static_cast<int>(value);
    }
    if (r.query.contains("cursor")) {
        const auto decoded =
            r.query["cursor"].is_string()
                ? platform::crypto::base64url_decode(r.query["cursor"].get<std::string>())
                : std::nullopt;
        const bool fits = decoded && !decoded->empty() && decoded->size() <= 18 &&
                          decoded->find_first_not_of("0123456789") == std::string::npos;
        if (!fits) {
            error = bad_query("cursor", "not a cursor this list gave");
            return std::nullopt;
        }
        p.after = *decoded;
    }
    return p;
}

std::string cursor_for(const std::string& key) {
    return platform::crypto::base64url_encode(key);
}

json object_of(const json& object, const char* key) {
    if (!object.is_object()) {
        return nullptr;
    }
    const auto it = object.find(key);
    return it != object.end() && it->is_object() ? *it : json(nullptr);
}

std::optional<std::int64_t> integer_of(const json& object, const char* key) {
    if (!object.is_object()) {
        return std::nullopt;
    }
    const auto it = object.find(key);
    if (it == object.end()) {
        return std::nullopt;
    }
    if (it->is_number_unsigned()) {
        const auto value = it->get<std::uint64_t>();
        if (value > static_cast<std::uint64_t>(INT64_MAX)) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(value);
    }
    if (it->is_number_integer()) {
        return it->get<std::int64_t>();
    }
    return std::nullopt;
}

json nullable(const pqxx::field& field) {
    return field.is_null() ? json(nullptr) : json(field.as<std::string>());
}

json money_json(std::int64_t minor) {
    return json{{"amount", platform::format_minor_units(minor)}, {"currency", "ZAR"}};
}

std::string epoch_ms_sql(std::string_view column) {
    return "floor(extract(epoch FROM " + std::string{column} + ") * 1000)::bigint";
}

json timestamp_of(const pqxx::field& epoch_ms) {
    if (epoch_ms.is_null()) {
        return nullptr;
    }
    return platform::format_rfc3339(platform::from_unix_ms(epoch_ms.as<std::int64_t>()));
}

json reasons_json(const std::vector<Reason>& reasons) {
    json out = json::array();
    for (const Reason& reason : reasons) {
        out.push_back({{"code", to_string(reason.code)}, {"text", reason.text}});
    }
    return out;
}

std::size_t code_points(std::string_view text) {
    std::size_t n = 0;
    for (const char c : text) {
        // Every byte that is not a continuation byte (10xxxxxx) starts a code point.
        if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
            ++n;
        }
    }
    return n;
}

bool has_control(std::string_view text) {
    return std::ranges::any_of(text, [](const char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20U || u == 0x7FU;
    });
}

namespace {

struct Operation {
    std::string_view id;
    Handler handler;
};

// One line per compliance operation of api-spec/openapi.yaml.
constexpr std::array<Operation, 5> kOperations{{
    {"listComplianceCases", list_cases},
    {"getComplianceCase", get_case},
    {"decideComplianceCase", decide_case},
    {"listThresholdReports", list_threshold_reports},
    {"listSuspiciousTransactions", list_suspicious_transactions},
}};

}  // namespace
}  // namespace detail

std::vector<std::string> compliance_operations() {
    std::vector<std::string> out;
    out.reserve(detail::kOperations.size());
    for (const auto& op : detail::kOperations) {
        out.emplace_back(op.id);
    }
    return out;
}

// ---- the service -------------------------------------------------------------------------------

struct ComplianceService::Impl {
    Policy policy;
    mutable std::mutex watchlist_mutex;
    std::shared_ptr<const detail::LoadedWatchlist> watchlist =
        std::make_shared<const detail::LoadedWatchlist>();
    // The file's modification time and size when it was last read (or tried).
    std::filesystem::file_time_type seen_mtime{};
    std::uintmax_t seen_size = 0;

    [[nodiscard]] std::shared_ptr<const detail::LoadedWatchlist> current() const {
        const std::lock_guard lock{watchlist_mutex};
        return watchlist;
    }
};

namespace {

/// Reads and parses the file; the error says why (with the line for a parse error).
platform::Result<detail::LoadedWatchlist, std::string> load_watchlist(const std::string& path) {
    detail::LoadedWatchlist loaded;
    if (path.empty()) {
        return loaded;
    }
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        return platform::Err<std::string>{"cannot open " + path};
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        return platform::Err<std::string>{"cannot read " + path};
    }
    const std::string content = text.str();
    auto parsed = parse_watchlist_csv(content);
    if (!parsed) {
        return platform::Err<std::string>{path + ": " + parsed.error().message};
    }
    loaded.list = std::move(parsed).value();
    loaded.version = platform::crypto::sha256_hex(content).substr(0, 16);
    return loaded;
}

}  // namespace

ComplianceService::ComplianceService(
    const platform::PlatformSettings& platform,  // NOLINT(modernize-pass-by-value): as elsewhere
    ComplianceSettings settings,
    const platform::Clock& clock
)
    : platform_(platform),
      settings_(std::move(settings)),
      clock_(clock),
      impl_(std::make_unique<Impl>()) {
    auto policy = policy_of(settings_);
    if (!policy) {
        throw std::invalid_argument(policy.error());
    }
    impl_->policy = std::move(policy).value();
    std::error_code ec;
    if (!settings_.watchlist_path.empty()) {
        impl_->seen_mtime = std::filesystem::last_write_time(settings_.watchlist_path, ec);
        impl_->seen_size = std::filesystem::file_size(settings_.watchlist_path, ec);
    }
    auto loaded = load_watchlist(settings_.watchlist_path);
    if (!loaded) {
        throw std::runtime_error("watchlist: " + loaded.error());
    }
    impl_->watchlist = std::make_shared<const detail::LoadedWatchlist>(std::move(loaded).value());
    pool_ = std::make_unique<platform::PgPool>(
        platform_.pool_options(settings_.schema, settings_.consumers + 3)
    );
    outbox_ = std::make_unique<bus::Outbox>(settings_.schema);
}

ComplianceService::~ComplianceService() {
    stop();
}

const platform::Clock& ComplianceService::default_clock() {
    static const platform::SystemClock kClock;
    return kClock;
}

api::Reply ComplianceService::handle(pqxx::dbtransaction& tx, const api::Request& request) {
    const detail::Context ctx{settings_, impl_->policy, impl_->current(), clock_, *outbox_};
    for (const auto& op : detail::kOperations) {
        if (op.id == request.operation) {
            // A refusal leaves nothing half-written (platform/operations.hpp).
            return platform::answer_in_savepoint(
                tx,
                "compliance",
                request,
                [&](pqxx::dbtransaction& sp) { return op.handler(ctx, sp, request); }
            );
        }
    }
    return api::problem(
        404,
        "unknown-operation",
        "Unknown operation",
        "compliance does not serve " + request.operation
    );
}

std::optional<json> ComplianceService::screen(pqxx::dbtransaction& tx, const json& payload) {
    const detail::Context ctx{settings_, impl_->policy, impl_->current(), clock_, *outbox_};
    return detail::screen_remittance(ctx, tx, payload);
}

void ComplianceService::on_event(
    pqxx::dbtransaction& tx, std::string_view type, const json& payload
) {
    const detail::Context ctx{settings_, impl_->policy, impl_->current(), clock_, *outbox_};
    detail::apply_event(ctx, tx, type, payload);
}

void ComplianceService::reload_watchlist() {
    if (!settings_.watchlist_path.empty()) {
        std::error_code ec;
        const auto mtime = std::filesystem::last_write_time(settings_.watchlist_path, ec);
        const auto size = std::filesystem::file_size(settings_.watchlist_path, ec);
        const std::lock_guard lock{impl_->watchlist_mutex};
        impl_->seen_mtime = mtime;
        impl_->seen_size = size;
    }
    auto loaded = load_watchlist(settings_.watchlist_path);
    if (!loaded) {
        spdlog::error(
            "compliance: watchlist not reloaded, the old list ({} entries, version {}) stays: {}",
            watchlist_size(),
            watchlist_version(),
            loaded.error()
        );
        return;
    }
    auto next = std::make_shared<const detail::LoadedWatchlist>(std::move(loaded).value());
    spdlog::info(
        "compliance: watchlist loaded, {} entries, version {}", next->list.size(), next->version
    );
    const std::lock_guard lock{impl_->watchlist_mutex};
    impl_->watchlist = std::move(next);
}

std::size_t ComplianceService::watchlist_size() const {
    return impl_->current()->list.size();
}

std::string ComplianceService::watchlist_version() const {
    return impl_->current()->version;
}

void ComplianceService::reload_loop() {
    while (!stopping_) {
        {
            std::unique_lock lock{reload_mutex_};
            reload_cv_.wait_for(lock, settings_.watchlist_reload, [this] {
                return stopping_.load();
            });
        }
        if (stopping_ || settings_.watchlist_path.empty()) {
            continue;
        }
        std::error_code ec;
        const auto mtime = std::filesystem::last_write_time(settings_.watchlist_path, ec);
        if (ec) {
            spdlog::warn(
                "compliance: watchlist {} not readable ({}); the old list stays",
                settings_.watchlist_path,
                ec.message()
            );
            continue;
        }
        const auto size = std::filesystem::file_size(settings_.watchlist_path, ec);
        bool changed = false;
        {
            const std::lock_guard lock{impl_->watchlist_mutex};
            changed = mtime != impl_->seen_mtime || size != impl_->seen_size;
        }
        if (changed) {
            try {
                reload_watchlist();
            } catch (const std::exception& e) {
                spdlog::error("compliance: watchlist reload failed: {}", e.what());
            }
        }
    }
}

void ComplianceService::migrate() {
    auto conn = pool_->connect_dedicated();
    (void)platform::apply_migrations(*conn, settings_.schema, platform::bus_migrations());
    (void)platform::apply_migrations(*conn, settings_.schema, compliance_migrations());
}

void ComplianceService::start() {
    migrate();
    stopping_ = false;
    relay_ = platform_.start_embedded_relay(settings_.schema, *outbox_);
    const auto add_consumer =
        [this](const std::string& stream, const std::string& suffix, bus::Handler handler) {
            bus::ConsumerOptions options;
            options.stream = stream;
            options.group = "compliance";
            options.consumer = bus::default_consumer_name("compliance") + "-" + suffix;
            options.max_batch = 8;
            consumers_.push_back(std::make_unique<bus::Consumer>(
                *pool_, outbox_.get(), platform_.bus, options, std::move(handler)
            ));
            consumers_.back()->start();
        };
    for (std::size_t i = 0; i < settings_.consumers; ++i) {
        add_consumer(
            settings_.streams.command_stream,
            "cmd-" + std::to_string(i),
            [this](pqxx::transaction_base& tx, const bus::Message& m) -> bus::HandlerResult {
                auto& dbtx = dynamic_cast<pqxx::dbtransaction&>(tx);
                if (m.type == messages::kHttpRequest) {
                    const auto request = api::Request::parse(m.payload);
                    if (!request) {
                        return bus::HandlerResult{
                            api::problem(400, "bad-request", "Malformed request envelope")
                                .to_payload()};
                    }
                    return bus::HandlerResult{handle(dbtx, *request).to_payload()};
                }
                if (m.type == messages::kScreen) {
                    // A poison message is dropped, not retried: screen() logs why.
                    const auto payload = json::parse(m.payload, nullptr, false);
                    (void)screen(dbtx, payload);
                    return bus::HandlerResult{};
                }
                spdlog::warn("compliance: ignored message type '{}' on {}", m.type, m.stream);
                return bus::HandlerResult{};
            }
        );
    }
    const auto event_handler = [this](pqxx::transaction_base& tx, const bus::Message& m) {
        auto& dbtx = dynamic_cast<pqxx::dbtransaction&>(tx);
        const auto payload = json::parse(m.payload, nullptr, false);
        on_event(dbtx, m.type, payload);
        return bus::HandlerResult{};
    };
    add_consumer(settings_.remit_event_stream, "remit", event_handler);
    add_consumer(settings_.registry_event_stream, "registry", event_handler);
    reload_thread_ = std::thread([this] { reload_loop(); });
    spdlog::info(
        "compliance service up (schema {}, stream {}, watchlist {} entries, version {})",
        settings_.schema,
        settings_.streams.command_stream,
        watchlist_size(),
        watchlist_version()
    );
}

void ComplianceService::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    reload_cv_.notify_all();
    if (reload_thread_.joinable()) {
        reload_thread_.join();
    }
    for (auto& c : consumers_) {
        c->stop();
    }
    consumers_.clear();
    if (relay_) {
        relay_->stop();
    }
}

}  // namespace chelete::compliance
