#include <array>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/id.hpp>
#include <chelete/platform/money.hpp>
#include <chelete/platform/operations.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/remittance/service.hpp>

#include "remittance_migrations.hpp"
#include "service/context.hpp"

namespace chelete::remittance {

using nlohmann::json;
namespace api = platform::api;
namespace bus = platform::bus;
using namespace std::chrono_literals;

// ---- settings ----------------------------------------------------------------------------------

RemitStreams RemitStreams::load(platform::ConfigReader& r) {
    RemitStreams s;
    s.command_stream = r.string(
        "CHELETE_REMIT_COMMAND_STREAM",
        "remit.cmd",
        "Stream the remittance service takes requests from"
    );
    s.event_stream = r.string(
        "CHELETE_REMIT_EVENT_STREAM",
        "remit.events",
        "Stream the remittance service publishes status changes and deposits to"
    );
    return s;
}

namespace {

/// A rand amount setting written as "50.00".
std::int64_t rand_setting(
    platform::ConfigReader& r,
    const char* name,
    std::string_view fallback,
    std::string_view description
) {
    const std::string text = r.string(name, fallback, description);
    const auto minor = platform::parse_minor_units(text);
    if (!minor || minor.value() <= 0) {
        r.problem(std::string{name} + "='" + text + "' is not a positive amount like 50.00");
        return *platform::parse_minor_units(fallback);
    }
    return minor.value();
}

}  // namespace

RemittanceSettings RemittanceSettings::load(platform::ConfigReader& r) {
    RemittanceSettings s;
    s.schema =
        r.string("CHELETE_REMIT_SCHEMA", "remit", "PostgreSQL schema of the remittance service");
    if (!platform::is_safe_identifier(s.schema)) {
        r.problem("CHELETE_REMIT_SCHEMA='" + s.schema + "' is not a plain lower-case identifier");
        s.schema = "remit";
    }
    s.streams = RemitStreams::load(r);
    s.saga.ledger_replies = r.string(
        "CHELETE_REMIT_LEDGER_REPLY_STREAM",
        "remit.ledger",
        "Stream the ledger answers the remittance service's transfers on"
    );
    s.saga.payout_command = r.string(
        "CHELETE_PAYOUT_COMMAND_STREAM", "payout.cmd", "Stream payout requests are sent to"
    );
    s.saga.payout_events = r.string(
        "CHELETE_PAYOUT_EVENT_STREAM", "payout.events", "Stream payout outcomes arrive on"
    );
    s.consumers = static_cast<std::size_t>(r.integer(
        "CHELETE_REMIT_CONSUMERS",
        2,
        1,
        16,
        "Consumer threads for remit.cmd (each its own connection)"
    ));
    s.fee_schedule = r.string(
        "CHELETE_FEE_SCHEDULE",
        kDefaultFeeSchedule,
        "Fee bands `from-to:flat+<bp>bp` in cents (docs/remittance.md)"
    );
    s.send_min_minor = rand_setting(r, "CHELETE_SEND_MIN", "50.00", "Smallest send amount (ZAR)");
    s.send_max_minor = rand_setting(r, "CHELETE_SEND_MAX", "25000.00", "Largest send amount (ZAR)");
    s.payout_fees = r.string(
        "CHELETE_PAYOUT_FEES",
        kDefaultPayoutFees,
        "Flat cents added to the fee per payout method (`cash_pickup:300`)"
    );
    s.rates =
        r.string("CHELETE_RATES", kDefaultRates, "Exchange rates as fractions (`ZAR:LSL=1/1`)");
    s.quote_validity = std::chrono::duration_cast<std::chrono::seconds>(
        r.duration("CHELETE_QUOTE_VALIDITY", 15min, 30s, 24h, "How long a quote may be used")
    );
    s.deposit_min_minor =
        rand_setting(r, "CHELETE_DEPOSIT_MIN", "10.00", "Smallest cash deposit at an agent (ZAR)");
    s.deposit_max_minor = rand_setting(
        r, "CHELETE_DEPOSIT_MAX", "100000.00", "Largest cash deposit at an agent (ZAR)"
    );
    s.party_timeout = r.duration(
        "CHELETE_REMIT_QUERY_TIMEOUT",
        3s,
        100ms,
        30s,
        "Limit for one query to the registry or the ledger"
    );
    s.stuck_after = r.duration(
        "CHELETE_REMIT_STUCK_AFTER",
        30s,
        1s,
        24h,
        "A saga step without an answer this long is asked again"
    );
    s.sweep_interval = r.duration(
        "CHELETE_REMIT_SWEEP_INTERVAL",
        10s,
        100ms,
        1h,
        "How often unanswered saga steps are looked for"
    );
    if (s.send_min_minor > s.send_max_minor) {
        r.problem("CHELETE_SEND_MIN is above CHELETE_SEND_MAX");
    }
    if (s.deposit_min_minor > s.deposit_max_minor) {
        r.problem("CHELETE_DEPOSIT_MIN is above CHELETE_DEPOSIT_MAX");
    }
    // The pricing settings are only meaningful together: validate the combination now, so a
    // bad schedule stops the process at start with the setting named.
    PricingSettings pricing;
    pricing.fee_schedule = s.fee_schedule;
    pricing.send_limits = SendLimits{s.send_min_minor, s.send_max_minor};
    pricing.payout_fees = s.payout_fees;
    pricing.rates = s.rates;
    pricing.quote_validity = s.quote_validity;
    const auto config = make_pricing_config(pricing);
    if (!config) {
        r.problem("pricing (" + config.error().setting + "): " + config.error().message);
    }
    return s;
}

std::vector<platform::Migration> remittance_migrations() {
    std::vector<std::pair<std::string_view, std::string_view>> files{
        remit_sql::kAllFiles.begin(), remit_sql::kAllFiles.end()};
    return platform::migrations_from_files("remit", files);
}

std::string derived_id(std::string_view name) {
    return platform::Id128::parse(platform::crypto::sha256_hex(name).substr(0, 32))->to_string();
}

std::string wallet_account_id(std::string_view worker_id) {
    return derived_id("wallet:" + std::string{worker_id});
}

// ---- shared helpers ----------------------------------------------------------------------------

namespace detail {

std::optional<api::Reply> Context::query(
    const std::string& stream, std::string_view type, const json& payload
) const {
    const auto reply = bus.request_sync(
        bus::OutgoingMessage{stream, std::string{type}, payload.dump(), "", ""},
        settings.party_timeout
    );
    if (!reply) {
        return std::nullopt;
    }
    return api::Reply::parse(reply->payload);
}

void Context::publish(pqxx::transaction_base& tx, std::string_view type, const json& payload)
    const {
    send(tx, settings.streams.event_stream, type, payload);
}

void Context::send(
    pqxx::transaction_base& tx,
    const std::string& stream,
    std::string_view type,
    const json& payload,
    const std::string& reply_to
) const {
    outbox.enqueue(
        tx, bus::OutgoingMessage{stream, std::string{type}, payload.dump(), "", reply_to}
    );
}

api::Reply conflict(std::string_view slug, std::string_view detail) {
    return api::problem(409, slug, "Conflict", detail);
}

api::Reply unavailable(std::string_view what) {
    auto reply = api::problem(
        503,
        "unavailable",
        "A service this needs did not answer",
        std::string{what} + " did not answer; retry with the same Idempotency-Key"
    );
    reply.headers["Retry-After"] = "2";
    return reply;
}

json money(std::int64_t minor, std::string_view currency) {
    return json{{"amount", platform::format_minor_units(minor)}, {"currency", currency}};
}

namespace {

struct Operation {
    std::string_view id;
    Handler handler;
};

// One line per operation of api-spec/openapi.yaml this service answers.
constexpr std::array<Operation, 8> kOperations{{
    {"createDeposit", create_deposit},
    {"getDeposit", get_deposit},
    {"getWallet", get_wallet},
    {"createQuote", create_quote},
    {"createRemittance", create_remittance},
    {"getRemittance", get_remittance},
    {"listRemittances", list_remittances},
    {"cancelRemittance", cancel_remittance},
}};

}  // namespace
}  // namespace detail

std::vector<std::string> remittance_operations() {
    std::vector<std::string> out;
    for (const auto& op : detail::kOperations) {
        out.emplace_back(op.id);
    }
    return out;
}

// ---- the service -------------------------------------------------------------------------------

struct RemittanceService::Impl {
    Impl(const platform::PlatformSettings& p, RemittanceSettings s, const platform::Clock& c)
        : platform(p), settings(std::move(s)), clock(c), pricing(make_pricing()) {
        pool = std::make_unique<platform::PgPool>(
            platform.pool_options(settings.schema, settings.consumers + 5)
        );
        outbox = std::make_unique<bus::Outbox>(settings.schema);
        client = std::make_unique<bus::BusClient>(
            platform.bus, "remit.replies." + bus::default_consumer_name("remit")
        );
    }

    PricingConfig make_pricing() const {
        PricingSettings p;
        p.fee_schedule = settings.fee_schedule;
        p.send_limits = SendLimits{settings.send_min_minor, settings.send_max_minor};
        p.payout_fees = settings.payout_fees;
        p.rates = settings.rates;
        p.quote_validity = settings.quote_validity;
        auto config = make_pricing_config(p);
        if (!config) {
            throw std::invalid_argument(
                "pricing (" + config.error().setting + "): " + config.error().message
            );
        }
        return std::move(config.value());
    }

    [[nodiscard]] detail::Context context() const {
        return detail::Context{settings, pricing, clock, *outbox, *client};
    }

    api::Reply handle(pqxx::dbtransaction& tx, const api::Request& request) const {
        const auto ctx = context();
        for (const auto& op : detail::kOperations) {
            if (op.id != request.operation) {
                continue;
            }
            // A refusal leaves nothing half-written (platform/operations.hpp).
            return platform::answer_in_savepoint(
                tx,
                "remit",
                request,
                [&](pqxx::dbtransaction& sp) { return op.handler(ctx, sp, request); }
            );
        }
        return api::problem(
            404,
            "unknown-operation",
            "Unknown operation",
            "remit does not serve " + request.operation
        );
    }

    void add_consumer(
        const std::string& stream,
        const std::string& name,
        std::function<bus::HandlerResult(pqxx::transaction_base&, const bus::Message&)> handler
    ) {
        bus::ConsumerOptions options;
        options.stream = stream;
        options.group = "remit";
        options.consumer = bus::default_consumer_name("remit") + "-" + name;
        options.max_batch = 8;
        consumers.push_back(std::make_unique<bus::Consumer>(
            *pool, outbox.get(), platform.bus, options, std::move(handler)
        ));
    }

    void open_system_accounts() {
        // One sub-account of each per ledger shard, so a remittance's transfers stay in its
        // sender's shard (shard 0's keep the names and ids of a single ledger).
        platform::with_transaction(*pool, [&](pqxx::work& tx) {
            const auto ctx = context();
            for (std::size_t shard = 0; shard < settings.saga.ledger_shards; ++shard) {
                for (const auto& [owner, code] :
                     {std::pair{detail::kInTransitOwner, codes::kInTransitAccount},
                      std::pair{detail::kFeeRevenueOwner, codes::kFeeRevenueAccount}}) {
                    const std::string name = ledger::sub_account_name(owner, shard);
                    detail::ensure_account(ctx, tx, shard, name, derived_id(name), code, {});
                }
            }
        });
        outbox->wake();
    }

    void sweep_loop() {
        while (!stopping) {
            {
                std::unique_lock lock{sweep_mutex};
                sweep_cv.wait_for(lock, settings.sweep_interval, [this] {
                    return stopping.load();
                });
            }
            if (stopping) {
                break;
            }
            try {
                const int resent = sweep();
                if (resent > 0) {
                    spdlog::warn("remit: asked again for {} unanswered saga steps", resent);
                }
            } catch (const std::exception& e) {
                spdlog::warn("remit sweep failed (next run retries): {}", e.what());
            }
        }
    }

    int sweep() {
        int resent = 0;
        platform::with_transaction(*pool, [&](pqxx::work& tx) {
            resent = detail::resend_stuck(context(), tx);
        });
        outbox->wake();
        return resent;
    }

    const platform::PlatformSettings& platform;
    RemittanceSettings settings;
    const platform::Clock& clock;
    PricingConfig pricing;
    std::unique_ptr<platform::PgPool> pool;
    std::unique_ptr<bus::Outbox> outbox;
    std::unique_ptr<bus::BusClient> client;
    std::unique_ptr<bus::OutboxRelay> relay;
    std::vector<std::unique_ptr<bus::Consumer>> consumers;
    std::atomic<bool> stopping{false};
    std::mutex sweep_mutex;
    std::condition_variable sweep_cv;
    std::thread sweeper;
};

RemittanceService::RemittanceService(
    const platform::PlatformSettings& platform,
    RemittanceSettings settings,
    const platform::Clock& clock
)
    : impl_(std::make_unique<Impl>(platform, std::move(settings), clock)) {}

RemittanceService::~RemittanceService() {
    stop();
}

const platform::Clock& RemittanceService::default_clock() {
    static const platform::SystemClock clock;
    return clock;
}

void RemittanceService::migrate() {
    auto conn = impl_->pool->connect_dedicated();
    (void)platform::apply_migrations(*conn, impl_->settings.schema, platform::bus_migrations());
    (void)platform::apply_migrations(*conn, impl_->settings.schema, remittance_migrations());
}

int RemittanceService::sweep() {
    return impl_->sweep();
}

void RemittanceService::start() {
    migrate();
    auto& s = impl_->settings;
    impl_->client->start();
    impl_->relay = impl_->platform.start_embedded_relay(s.schema, *impl_->outbox);
    impl_->open_system_accounts();
    Impl* impl = impl_.get();
    for (std::size_t i = 0; i < s.consumers; ++i) {
        impl_->add_consumer(
            s.streams.command_stream,
            "http-" + std::to_string(i),
            [impl](pqxx::transaction_base& tx, const bus::Message& m) -> bus::HandlerResult {
                if (m.type == messages::kUssdIncoming || m.type == messages::kChooseMethod) {
                    auto payload = json::parse(m.payload, nullptr, false);
                    if (!payload.is_object()) {
                        payload = json::object();
                    }
                    auto& dbtx = dynamic_cast<pqxx::dbtransaction&>(tx);
                    return bus::HandlerResult{
                        m.type == messages::kUssdIncoming
                            ? detail::ussd_incoming(
                                  impl->context(), dbtx, payload, m.correlation_id
                              )
                            : detail::choose_payout_method(impl->context(), dbtx, payload, m.id)};
                }
                const auto request = api::Request::parse(m.payload);
                if (!request) {
                    return bus::HandlerResult{
                        api::problem(400, "bad-request", "Malformed request envelope")
                            .to_payload()};
                }
                auto& dbtx = dynamic_cast<pqxx::dbtransaction&>(tx);
                return bus::HandlerResult{impl->handle(dbtx, *request).to_payload()};
            }
        );
    }
    impl_->add_consumer(
        s.saga.compliance_events,
        "compliance",
        [impl](pqxx::transaction_base& tx, const bus::Message& m) -> bus::HandlerResult {
            detail::on_compliance_event(impl->context(), tx, m);
            return {};
        }
    );
    impl_->add_consumer(
        s.saga.ledger_replies,
        "ledger",
        [impl](pqxx::transaction_base& tx, const bus::Message& m) -> bus::HandlerResult {
            detail::on_ledger_reply(impl->context(), tx, m);
            return {};
        }
    );
    impl_->add_consumer(
        s.saga.payout_events,
        "payout",
        [impl](pqxx::transaction_base& tx, const bus::Message& m) -> bus::HandlerResult {
            detail::on_payout_event(impl->context(), tx, m);
            return {};
        }
    );
    for (auto& c : impl_->consumers) {
        c->start();
    }
    impl_->stopping = false;
    impl_->sweeper = std::thread([impl] { impl->sweep_loop(); });
    spdlog::info(
        "remittance service up (schema {}, stream {})", s.schema, s.streams.command_stream
    );
}

void RemittanceService::stop() {
    if (!impl_ || impl_->stopping.exchange(true)) {
        return;
    }
    impl_->sweep_cv.notify_all();
    if (impl_->sweeper.joinable()) {
        impl_->sweeper.join();
    }
    for (auto& c : impl_->consumers) {
        c->stop();
    }
    impl_->consumers.clear();
    if (impl_->relay) {
        impl_->relay->stop();
    }
    impl_->client->stop();
}

}  // namespace chelete::remittance
