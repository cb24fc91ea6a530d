#include <array>

#include <spdlog/spdlog.h>

#include <chelete/central_bank/service.hpp>
#include <chelete/platform/money.hpp>
#include <chelete/platform/operations.hpp>

#include "cbank_migrations.hpp"
#include "service/context.hpp"

namespace chelete::central_bank {

using nlohmann::json;
namespace api = platform::api;
namespace bus = platform::bus;
using namespace std::chrono_literals;

// ---- settings ----------------------------------------------------------------------------------

CbankStreams CbankStreams::load(platform::ConfigReader& r) {
    CbankStreams s;
    s.command_stream = r.string(
        "CHELETE_CBANK_COMMAND_STREAM",
        "cbank.cmd",
        "Stream the central-bank integration takes report requests from"
    );
    s.event_stream = r.string(
        "CHELETE_CBANK_EVENT_STREAM",
        "cbank.events",
        "Stream the central-bank integration publishes cbank.return_produced to"
    );
    return s;
}

namespace {

std::int64_t rand_setting(
    platform::ConfigReader& r,
    const char* name,
    std::string_view fallback,
    std::string_view description
) {
    const std::string text = r.string(name, fallback, description);
    const auto minor = platform::parse_minor_units(text);
    if (!minor || minor.value() <= 0) {
        r.problem(std::string{name} + "='" + text + "' is not a positive amount like 20000.00");
        return *platform::parse_minor_units(fallback);
    }
    return minor.value();
}

}  // namespace

CbankSettings CbankSettings::load(platform::ConfigReader& r) {
    CbankSettings s;
    s.schema = r.string(
        "CHELETE_CBANK_SCHEMA", "cbank", "PostgreSQL schema of the central-bank integration"
    );
    if (!platform::is_safe_identifier(s.schema)) {
        r.problem("CHELETE_CBANK_SCHEMA='" + s.schema + "' is not a plain lower-case identifier");
        s.schema = "cbank";
    }
    s.streams = CbankStreams::load(r);
    const std::string at = r.string(
        "CHELETE_CBANK_RETURN_AT",
        "02:00",
        "Local time (HH:MM, +02:00 Africa/Johannesburg) the previous day's return is produced"
    );
    if (const auto parsed = parse_time_of_day(at)) {
        s.return_at = *parsed;
    } else {
        r.problem("CHELETE_CBANK_RETURN_AT='" + at + "' is not a time HH:MM (00:00 to 23:59)");
    }
    s.job_interval = r.duration(
        "CHELETE_CBANK_JOB_INTERVAL",
        60s,
        100ms,
        1h,
        "How often the return job looks for a due day that was not produced"
    );
    s.thresholds.electronic_minor = rand_setting(
        r,
        "CHELETE_CBANK_IFTR_THRESHOLD",
        "20000.00",
        "Electronic cross-border transfers at or above this (ZAR, fees excluded) are reported"
    );
    s.thresholds.cash_minor = rand_setting(
        r,
        "CHELETE_CBANK_CTR_THRESHOLD",
        "50000.00",
        "Cash deposits at or above this (ZAR) are reported"
    );
    return s;
}

std::vector<platform::Migration> cbank_migrations() {
    std::vector<std::pair<std::string_view, std::string_view>> files{
        cbank_sql::kAllFiles.begin(), cbank_sql::kAllFiles.end()};
    return platform::migrations_from_files("cbank", files);
}

namespace detail {

void Context::publish(pqxx::transaction_base& tx, std::string_view type, const json& payload)
    const {
    outbox.enqueue(
        tx,
        bus::OutgoingMessage{
            settings.streams.event_stream, std::string{type}, payload.dump(), "", ""}
    );
}

namespace {

struct Operation {
    std::string_view id;
    Handler handler;
};

// One line per operation of api-spec/openapi.yaml this service answers.
constexpr std::array<Operation, 3> kOperations{{
    {"getCentralBankDailyReturn", get_daily_return},
    {"regenerateCentralBankDailyReturn", regenerate_daily_return},
    {"getSettlementSummary", get_settlement_summary},
}};

}  // namespace
}  // namespace detail

std::vector<std::string> cbank_operations() {
    std::vector<std::string> out;
    out.reserve(detail::kOperations.size());
    for (const auto& op : detail::kOperations) {
        out.emplace_back(op.id);
    }
    return out;
}

// ---- the service -------------------------------------------------------------------------------

CentralBankService::CentralBankService(
    const platform::PlatformSettings& platform,  // NOLINT(modernize-pass-by-value): as elsewhere
    CbankSettings settings,
    const platform::Clock& clock
)
    : platform_(platform), settings_(std::move(settings)), clock_(clock) {
    pool_ = std::make_unique<platform::PgPool>(platform_.pool_options(settings_.schema, 4));
    outbox_ = std::make_unique<bus::Outbox>(settings_.schema);
}

CentralBankService::~CentralBankService() {
    stop();
}

const platform::Clock& CentralBankService::default_clock() {
    static const platform::SystemClock kClock;
    return kClock;
}

void CentralBankService::migrate() {
    auto conn = pool_->connect_dedicated();
    (void)platform::apply_migrations(*conn, settings_.schema, platform::bus_migrations());
    (void)platform::apply_migrations(*conn, settings_.schema, cbank_migrations());
}

api::Reply CentralBankService::handle(pqxx::dbtransaction& tx, const api::Request& request) {
    const detail::Context ctx{settings_, clock_, *outbox_};
    for (const auto& op : detail::kOperations) {
        if (op.id == request.operation) {
            // A refusal leaves nothing half-written (platform/operations.hpp).
            return platform::answer_in_savepoint(
                tx,
                "cbank",
                request,
                [&](pqxx::dbtransaction& sp) { return op.handler(ctx, sp, request); }
            );
        }
    }
    return api::problem(
        404, "unknown-operation", "Unknown operation", "cbank does not serve " + request.operation
    );
}

// A member, like handle(), though it needs no state of its own: callers hold the service.
void CentralBankService::on_event(  // NOLINT(readability-convert-member-functions-to-static)
    pqxx::transaction_base& tx,
    std::string_view type,
    std::string_view payload
) {
    if (type == messages::kRemitCompleted) {
        (void)detail::store_completed(tx, payload);
    } else if (type == messages::kDepositReceived) {
        (void)detail::store_deposit(tx, payload);
    }
    // remit.status_changed and the rest: not needed for the reports.
}

std::optional<Date> CentralBankService::run_job_once() {
    const Date due = due_return_date(clock_.now(), settings_.return_at);
    const detail::Context ctx{settings_, clock_, *outbox_};
    const auto produced = platform::with_transaction(*pool_, [&](pqxx::work& tx) {
        return detail::produce_day(ctx, tx, due, "daily_job", "scheduled", false);
    });
    if (!produced) {
        return std::nullopt;
    }
    outbox_->wake();
    return due;
}

void CentralBankService::job_loop() {
    while (!stopping_) {
        try {
            (void)run_job_once();
        } catch (const std::exception& e) {
            spdlog::error(
                "cbank: the daily return job failed (the next run retries): {}", e.what()
            );
        }
        std::unique_lock lock{job_mutex_};
        job_cv_.wait_for(lock, settings_.job_interval, [this] { return stopping_.load(); });
    }
}

void CentralBankService::start() {
    migrate();
    stopping_ = false;
    relay_ = platform_.start_embedded_relay(settings_.schema, *outbox_);
    const auto add_consumer =
        [this](const std::string& stream, const std::string& suffix, bus::Handler handler) {
            bus::ConsumerOptions options;
            options.stream = stream;
            options.group = "cbank";
            options.consumer = bus::default_consumer_name("cbank") + "-" + suffix;
            options.max_batch = 16;
            consumers_.push_back(std::make_unique<bus::Consumer>(
                *pool_, outbox_.get(), platform_.bus, options, std::move(handler)
            ));
            consumers_.back()->start();
        };
    add_consumer(
        settings_.streams.command_stream,
        "cmd",
        [this](pqxx::transaction_base& tx, const bus::Message& m) -> bus::HandlerResult {
            const auto request = api::Request::parse(m.payload);
            if (!request) {
                return bus::HandlerResult{
                    api::problem(400, "bad-request", "Malformed request envelope").to_payload()};
            }
            auto& dbtx = dynamic_cast<pqxx::dbtransaction&>(tx);
            return bus::HandlerResult{handle(dbtx, *request).to_payload()};
        }
    );
    add_consumer(
        settings_.remit_event_stream,
        "remit",
        [this](pqxx::transaction_base& tx, const bus::Message& m) -> bus::HandlerResult {
            on_event(tx, m.type, m.payload);
            return {};
        }
    );
    job_thread_ = std::thread([this] { job_loop(); });
    spdlog::info(
        "central-bank integration up (schema {}, returns at {:02}:{:02} +02:00)",
        settings_.schema,
        settings_.return_at.hour,
        settings_.return_at.minute
    );
}

void CentralBankService::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    job_cv_.notify_all();
    if (job_thread_.joinable()) {
        job_thread_.join();
    }
    for (auto& c : consumers_) {
        c->stop();
    }
    consumers_.clear();
    if (relay_) {
        relay_->stop();
    }
}

}  // namespace chelete::central_bank
