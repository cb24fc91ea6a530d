// The payout service (docs/partners.md "The payout service"): takes payout.request from the
// remittance saga, sends each payout to its partner exactly once per reference, settles unknown
// outcomes by status query, applies signed callbacks, and reports payout.outcome.
//
// The rules live in domain/payout_policy.cpp; this file stores their decisions. A partner is
// never called inside an open transaction: a payout is leased, the attempt is committed as
// "sending" before the call, and the answer is stored after it. A worker that dies in between
// leaves a "sending" payout that the next worker asks about (status query) instead of resending.

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include <chelete/payout/service.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/crypto.hpp>
#include <chelete/platform/id.hpp>
#include <chelete/platform/operations.hpp>

#include "domain/payout_policy.hpp"
#include "payout_impl.hpp"
#include "payout_migrations.hpp"

namespace chelete::payout {

using nlohmann::json;
namespace api = platform::api;
namespace bus = platform::bus;
namespace mm = chelete::mobile_money;
using namespace std::chrono_literals;

// ---- settings ----------------------------------------------------------------------------------

namespace {

/// A PEM given inline or as the path of a file holding it.
std::string pem_text(platform::ConfigReader& r, const std::string& value, std::string_view name) {
    if (value.empty() || value.starts_with("-----BEGIN")) {
        return value;
    }
    std::ifstream in{value};
    if (!in) {
        r.problem(std::string{name} + ": neither a PEM nor a readable file: " + value);
        return {};
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

PayoutSettings PayoutSettings::load(platform::ConfigReader& r) {
    PayoutSettings s;
    s.schema =
        r.string("CHELETE_PAYOUT_SCHEMA", "payout", "PostgreSQL schema of the payout service");
    if (!platform::is_safe_identifier(s.schema)) {
        r.problem("CHELETE_PAYOUT_SCHEMA='" + s.schema + "' is not a plain lower-case identifier");
        s.schema = "payout";
    }
    s.consumers = static_cast<std::size_t>(r.integer(
        "CHELETE_PAYOUT_CONSUMERS", 2, 1, 16, "Consumer threads on the payout command stream"
    ));
    s.workers = static_cast<std::size_t>(r.integer(
        "CHELETE_PAYOUT_WORKERS", 2, 1, 64, "Threads that send payouts to partners and query them"
    ));
    auto& t = s.timings;
    t.callback_wait = r.duration(
        "CHELETE_PAYOUT_CALLBACK_WAIT",
        30s,
        100ms,
        24h,
        "How long an accepted payout waits for its callback before the partner is asked"
    );
    t.first_query_after = r.duration(
        "CHELETE_PAYOUT_FIRST_QUERY",
        5s,
        10ms,
        1h,
        "First wait before a status query about an unknown outcome (doubles per query)"
    );
    t.max_query_interval = r.duration(
        "CHELETE_PAYOUT_MAX_QUERY_INTERVAL",
        15min,
        100ms,
        24h,
        "Longest wait between status queries about one payout"
    );
    t.retry_wait = r.duration(
        "CHELETE_PAYOUT_RETRY_WAIT",
        60s,
        10ms,
        24h,
        "Wait before a new attempt after an insufficient float or configuration failure"
    );
    t.retry_sla = r.duration(
        "CHELETE_PAYOUT_RETRY_SLA",
        4h,
        10ms,
        std::chrono::hours{24 * 7},
        "How long a payout may wait for a float top-up before it is failed and refunded"
    );
    t.lease = r.duration(
        "CHELETE_PAYOUT_LEASE",
        60s,
        100ms,
        1h,
        "How long one worker holds a payout it is sending (longer than any partner timeout)"
    );
    s.callback_window = std::chrono::duration_cast<std::chrono::seconds>(r.duration(
        "CHELETE_PAYOUT_CALLBACK_WINDOW",
        300s,
        1s,
        1h,
        "Largest difference between a callback's timestamp and our clock"
    ));
    s.voucher_lifetime = r.duration(
        "CHELETE_PAYOUT_VOUCHER_LIFETIME",
        std::chrono::hours{24 * 30},
        1s,
        std::chrono::hours{24 * 365},
        "How long a cash-pickup voucher can be collected before the sender is refunded"
    );
    s.registry_timeout = r.duration(
        "CHELETE_PAYOUT_REGISTRY_TIMEOUT",
        5s,
        100ms,
        60s,
        "How long a cash-pickup redeem waits for the registry's national-id check"
    );
    s.low_float_minor = r.integer(
        "CHELETE_PAYOUT_LOW_FLOAT_MINOR",
        1'000'000,
        0,
        std::int64_t{1} << 50,
        "Low-float alarm: a partner float less payouts in flight under this (LSL cents)"
    );
    s.reconcile_after_hour = static_cast<int>(r.integer(
        "CHELETE_PAYOUT_RECONCILE_AFTER_HOUR",
        2,
        0,
        23,
        "Hour (UTC) after which the previous UTC day's partner statements are reconciled"
    ));
    s.jobs_interval = r.duration(
        "CHELETE_PAYOUT_JOBS_INTERVAL",
        5s,
        10ms,
        1h,
        "How often voucher expiry, reconciliation, float alarms and ledger resends run"
    );
    s.ledger_resend_after = r.duration(
        "CHELETE_PAYOUT_LEDGER_RESEND",
        30s,
        10ms,
        1h,
        "An unconfirmed ledger posting of the payout service is sent again after this"
    );
    s.mpesa.base_url = r.string(
        "CHELETE_MPESA_BASE_URL", "", "M-Pesa OpenAPI base URL (empty: M-Pesa payouts wait)"
    );
    s.mpesa.market = r.string("CHELETE_MPESA_MARKET", "vodacomLES", "M-Pesa OpenAPI market path");
    s.mpesa.api_key = r.optional_secret("CHELETE_MPESA_API_KEY", 8, "M-Pesa OpenAPI API key");
    s.mpesa.public_key_pem = pem_text(
        r,
        r.string(
            "CHELETE_MPESA_PUBLIC_KEY",
            "",
            "M-Pesa portal RSA public key: PEM text or the path of a PEM file"
        ),
        "CHELETE_MPESA_PUBLIC_KEY"
    );
    s.mpesa.service_provider_code =
        r.string("CHELETE_MPESA_SERVICE_PROVIDER_CODE", "000000", "Our M-Pesa B2C short code");
    s.mpesa.callback_secret = r.optional_secret(
        "CHELETE_MPESA_CALLBACK_SECRET", 16, "HMAC secret M-Pesa result callbacks are signed with"
    );
    s.mpesa.timeout =
        r.duration("CHELETE_MPESA_TIMEOUT", 10s, 100ms, 120s, "Timeout of one M-Pesa API call");
    s.mpesa.session_lifetime = std::chrono::duration_cast<std::chrono::seconds>(r.duration(
        "CHELETE_MPESA_SESSION_LIFETIME",
        3600s,
        2s,
        24h,
        "How long an M-Pesa session lives (the portal's setting); renewed a little before"
    ));
    s.ecocash.base_url = r.string(
        "CHELETE_ECOCASH_BASE_URL", "", "EcoCash API base URL (empty: EcoCash payouts wait)"
    );
    s.ecocash.client_id = r.string("CHELETE_ECOCASH_CLIENT_ID", "", "EcoCash API client id");
    s.ecocash.client_secret =
        r.optional_secret("CHELETE_ECOCASH_CLIENT_SECRET", 8, "EcoCash API client secret");
    s.ecocash.notify_url = r.string(
        "CHELETE_ECOCASH_NOTIFY_URL",
        "http://127.0.0.1:8080/v1/callbacks/ecocash",
        "Our callback URL sent with every EcoCash disbursement"
    );
    s.ecocash.callback_secret = r.optional_secret(
        "CHELETE_ECOCASH_CALLBACK_SECRET", 16, "HMAC secret EcoCash callbacks are signed with"
    );
    s.ecocash.timeout =
        r.duration("CHELETE_ECOCASH_TIMEOUT", 10s, 100ms, 120s, "Timeout of one EcoCash API call");
    return s;
}

std::vector<platform::Migration> payout_migrations() {
    std::vector<std::pair<std::string_view, std::string_view>> files{
        payout_sql::kAllFiles.begin(), payout_sql::kAllFiles.end()};
    return platform::migrations_from_files("payout", files);
}

std::vector<std::string> payout_operations() {
    return {
        "mpesaCallback",
        "ecocashCallback",
        "redeemCashPickup",
        "getSettlementPositions",
        "topUpPartnerFloat",
        "startReconciliation",
        "listReconciliationRuns",
        "getReconciliationRun",
        "listReconciliationBreaks",
        "resolveReconciliationBreak"};
}

bool is_counter_operation(std::string_view operation) {
    return operation == "redeemCashPickup";
}

namespace {

/// The registry, asked over the bus (registry.recipient_check) with this process's own reply
/// stream.
class RegistryRecipientChecker final : public RecipientChecker {
public:
    RegistryRecipientChecker(
        const bus::BusOptions& options, std::string stream, std::chrono::milliseconds timeout
    )
        : client_(options, "payout.replies." + bus::default_consumer_name("payout")),
          stream_(std::move(stream)),
          timeout_(timeout) {
        client_.start();
    }
    ~RegistryRecipientChecker() override { client_.stop(); }
    RegistryRecipientChecker(const RegistryRecipientChecker&) = delete;
    RegistryRecipientChecker& operator=(const RegistryRecipientChecker&) = delete;
    RegistryRecipientChecker(RegistryRecipientChecker&&) = delete;
    RegistryRecipientChecker& operator=(RegistryRecipientChecker&&) = delete;

    std::optional<RecipientCheck> check(
        const std::string& beneficiary_id,
        const std::string& national_id,
        const std::string& agent_id
    ) override {
        std::optional<bus::Message> reply;
        try {
            reply = client_.request_sync(
                bus::OutgoingMessage{
                    stream_,
                    std::string{messages::kRecipientCheck},
                    json{
                        {"beneficiary_id", beneficiary_id},
                        {"national_id", national_id},
                        {"agent_id", agent_id}}
                        .dump(),
                    "",
                    ""},
                timeout_
            );
        } catch (const std::exception& e) {
            spdlog::warn("payout: registry check not sent: {}", e.what());
            return std::nullopt;
        }
        if (!reply) {
            return std::nullopt;
        }
        const auto answer = api::Reply::parse(reply->payload);
        if (!answer || answer->status != 200 || !answer->body.is_object()) {
            spdlog::error(
                "payout: the registry refused a recipient check: {}", reply->payload.substr(0, 300)
            );
            return std::nullopt;
        }
        const json& b = answer->body;
        RecipientCheck c;
        c.beneficiary_found = b.contains("beneficiary_found") &&
                              b["beneficiary_found"].is_boolean() &&
                              b["beneficiary_found"].get<bool>();
        c.identity_match = b.contains("identity_match") && b["identity_match"].is_boolean() &&
                           b["identity_match"].get<bool>();
        c.agent_country = api::text_of(b, "agent_country");
        return c;
    }

private:
    bus::BusClient client_;
    std::string stream_;
    std::chrono::milliseconds timeout_;
};

}  // namespace

PayoutService::PayoutService(
    const platform::PlatformSettings& platform,
    PayoutSettings settings,
    Partners partners,
    const platform::Clock& clock,
    std::shared_ptr<RecipientChecker> checker
)
    : impl_(std::make_unique<Impl>(
          platform, std::move(settings), std::move(partners), clock, std::move(checker)
      )) {
    impl_->pool = std::make_unique<platform::PgPool>(platform.pool_options(
        impl_->settings.schema, impl_->settings.consumers + impl_->settings.workers + 6
    ));
    impl_->outbox = std::make_unique<bus::Outbox>(impl_->settings.schema);
}

PayoutService::~PayoutService() {
    stop();
}

const platform::Clock& PayoutService::default_clock() {
    static const platform::SystemClock clock;
    return clock;
}

void PayoutService::migrate() {
    auto conn = impl_->pool->connect_dedicated();
    (void)platform::apply_migrations(*conn, impl_->settings.schema, platform::bus_migrations());
    (void)platform::apply_migrations(*conn, impl_->settings.schema, payout_migrations());
}

void PayoutService::start() {
    migrate();
    auto& s = *impl_;
    s.stopping = false;
    s.relay = s.platform.start_embedded_relay(s.settings.schema, *s.outbox);
    if (!s.checker) {
        s.checker = std::make_shared<RegistryRecipientChecker>(
            s.platform.bus, s.settings.registry_command, s.settings.registry_timeout
        );
    }
    s.open_system_accounts();
    {
        bus::ConsumerOptions options;
        options.stream = s.settings.ledger_replies;
        options.group = "payout";
        options.consumer = bus::default_consumer_name("payout") + "-ledger";
        options.max_batch = 32;
        s.ledger_replies = std::make_unique<bus::Consumer>(
            *s.pool,
            s.outbox.get(),
            s.platform.bus,
            options,
            [this](pqxx::transaction_base& tx, const bus::Message& m) -> bus::HandlerResult {
                impl_->on_ledger_reply(tx, m);
                return bus::HandlerResult{};
            }
        );
        s.ledger_replies->start();
    }
    const std::size_t counter_consumers = 2;
    for (std::size_t i = 0; i < s.settings.consumers + counter_consumers; ++i) {
        const bool counter = i >= s.settings.consumers;
        bus::ConsumerOptions options;
        options.stream =
            counter ? counter_stream(s.settings.command_stream) : s.settings.command_stream;
        options.group = "payout";
        options.consumer = bus::default_consumer_name("payout") +
                           (counter ? "-counter-" : "-cmd-") + std::to_string(i);
        options.max_batch = counter ? 1 : 8;
        s.consumers.push_back(std::make_unique<bus::Consumer>(
            *s.pool,
            s.outbox.get(),
            s.platform.bus,
            options,
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
                if (m.type == messages::kPayoutRequest) {
                    accept_request(dbtx, json::parse(m.payload, nullptr, false));
                    impl_->wake();
                    return bus::HandlerResult{};
                }
                if (m.type == messages::kResendVoucher) {
                    resend_voucher(dbtx, json::parse(m.payload, nullptr, false), m.id);
                    return bus::HandlerResult{};
                }
                spdlog::warn("payout: ignored message type '{}' on {}", m.type, m.stream);
                return bus::HandlerResult{};
            }
        ));
        s.consumers.back()->start();
    }
    for (const auto id : {mm::PartnerId::kMpesa, mm::PartnerId::kEcocash}) {
        if (!s.partners.contains(id) || !s.partners.at(id)) {
            spdlog::warn(
                "payout: no {} partner configured; its payouts wait until one is", mm::to_string(id)
            );
        }
    }
    for (std::size_t i = 0; i < s.settings.workers; ++i) {
        s.workers.emplace_back([this] { impl_->worker_loop(); });
    }
    s.jobs = std::thread([this] { impl_->jobs_loop(); });
    spdlog::info(
        "payout service up (schema {}, stream {}, {} workers)",
        s.settings.schema,
        s.settings.command_stream,
        s.settings.workers
    );
}

void PayoutService::stop() {
    if (!impl_ || impl_->stopping.exchange(true)) {
        return;
    }
    impl_->wake();
    impl_->wake_jobs();
    if (impl_->jobs.joinable()) {
        impl_->jobs.join();
    }
    for (auto& w : impl_->workers) {
        if (w.joinable()) {
            w.join();
        }
    }
    impl_->workers.clear();
    for (auto& c : impl_->consumers) {
        c->stop();
    }
    impl_->consumers.clear();
    if (impl_->ledger_replies) {
        impl_->ledger_replies->stop();
        impl_->ledger_replies.reset();
    }
    if (impl_->relay) {
        impl_->relay->stop();
    }
}

void PayoutService::apply_ledger_reply(pqxx::transaction_base& tx, const bus::Message& reply) {
    impl_->on_ledger_reply(tx, reply);
}

std::size_t PayoutService::work_once() {
    return impl_->work_once();
}

// ---- payout requests ---------------------------------------------------------------------------

void PayoutService::resend_voucher(
    pqxx::dbtransaction& tx, const json& payload, const std::string& message_id
) {
    impl_->resend_voucher(tx, payload, message_id);
}

void PayoutService::accept_request(pqxx::dbtransaction& tx, const json& p) {
    static const std::regex kReference{"^[0-9a-f]{32}$"};
    const auto& s = *impl_;
    const std::string id = api::text_of(p, "remittance_id");
    const std::string reference = api::text_of(p, "payout_reference");
    const std::string method = api::text_of(p, "method");
    const json recipient = p.is_object() && p.contains("recipient") ? p["recipient"] : json{};
    const json sender = p.is_object() && p.contains("sender") ? p["sender"] : json{};
    const bool amount_ok = p.is_object() && p.contains("amount_minor") &&
                           p["amount_minor"].is_number_integer() &&
                           p["amount_minor"].get<std::int64_t>() > 0;
    if (!platform::Id128::parse(id) || !std::regex_match(reference, kReference) ||
        (method != "mpesa" && method != "ecocash" && method != "cash_pickup") || !amount_ok ||
        api::text_of(p, "currency") != "LSL" || api::text_of(recipient, "phone").empty()) {
        spdlog::error("payout: malformed payout.request dropped: {}", p.dump().substr(0, 300));
        return;
    }
    const std::string now = s.now_text();
    const auto msisdn = partner_msisdn(api::text_of(recipient, "phone"));
    const std::string beneficiary = api::text_of(recipient, "beneficiary_id");
    const std::string sender_id = api::text_of(sender, "id");
    const std::string first = attempt_reference(reference, 1);
    const auto inserted = tx.exec_params(
        "INSERT INTO payouts (remittance_id, payout_reference, method, amount_minor, currency, "
        "msisdn, recipient_name, beneficiary_id, sender_id, sender_name, purpose, state, "
        "attempt_no, current_reference, next_check_at, created_at, updated_at) VALUES ($1, $2, "
        "$3, $4, 'LSL', $5, $6, nullif($7, '')::uuid, nullif($8, '')::uuid, $9, $10, "
        "'requested', 1, $11, $12, $12, $12) ON CONFLICT (remittance_id) DO NOTHING",
        id,
        reference,
        method,
        p["amount_minor"].get<std::int64_t>(),
        msisdn.value_or(api::text_of(recipient, "phone")),
        api::text_of(recipient, "full_name"),
        platform::Id128::parse(beneficiary) ? beneficiary : std::string{},
        platform::Id128::parse(sender_id) ? sender_id : std::string{},
        api::text_of(sender, "full_name"),
        api::text_of(p, "purpose"),
        first,
        now
    );
    if (inserted.affected_rows() == 0) {
        return;  // known already: a resent request changes nothing
    }
    const auto partner = partner_of_method(method);
    tx.exec_params0(
        "INSERT INTO attempts (reference, remittance_id, attempt_no, partner, created_at) VALUES "
        "($1, $2, 1, $3, $4)",
        first,
        id,
        std::string{partner ? mm::to_string(*partner) : method},
        now
    );
    if (p.contains("principal_minor") && p["principal_minor"].is_number_integer() &&
        p["principal_minor"].get<std::int64_t>() > 0) {
        tx.exec_params0(
            "UPDATE payouts SET principal_zar_minor = $2 WHERE remittance_id = $1",
            id,
            p["principal_minor"].get<std::int64_t>()
        );
    }
    if (method == "cash_pickup") {
        s.issue_voucher(tx, id, p);
        return;
    }
    if (partner && !msisdn) {
        // No partner can pay a number that is not a Lesotho mobile number: fail before sending.
        Impl::Locked locked;
        locked.facts.state = PayoutState::kRequested;
        locked.reference = first;
        locked.payout_reference = reference;
        locked.method = method;
        Decision d;
        d.next = PayoutState::kFailed;
        d.report = Report::kFailed;
        d.reason = "the recipient's phone is not a Lesotho mobile number";
        s.apply(tx, id, locked, d, "");
    }
}

// ---- callbacks ---------------------------------------------------------------------------------

api::Reply PayoutService::handle(pqxx::dbtransaction& tx, const api::Request& request) {
    if (request.operation == "redeemCashPickup") {
        // A refused PIN or national id counts against the voucher: that write is kept (403).
        return platform::answer_in_savepoint(
            tx,
            "payout",
            request,
            [&](pqxx::dbtransaction& t) { return impl_->redeem(t, request); },
            403
        );
    }
    if (request.operation != "mpesaCallback" && request.operation != "ecocashCallback") {
        return platform::answer_in_savepoint(tx, "payout", request, [&](pqxx::dbtransaction& t) {
            return impl_->answer_settlement(t, request);
        });
    }
    return platform::answer_in_savepoint(tx, "payout", request, [&](pqxx::dbtransaction& t) {
        const auto& s = *impl_;
        mm::PartnerId partner{};
        const std::string* secret = nullptr;
        if (request.operation == "mpesaCallback") {
            partner = mm::PartnerId::kMpesa;
            secret = &s.settings.mpesa.callback_secret;
        } else if (request.operation == "ecocashCallback") {
            partner = mm::PartnerId::kEcocash;
            secret = &s.settings.ecocash.callback_secret;
        } else {
            return api::problem(404, "not-found", "Not found", "no such operation");
        }
        if (secret->empty()) {
            return api::problem(
                401,
                "unauthorized",
                "Unauthorized",
                "callbacks from this partner are not configured"
            );
        }
        const auto header = [&](const char* name) {
            const auto it = request.signed_headers.find(name);
            return it == request.signed_headers.end() ? std::string{} : it->second;
        };
        const auto check = mm::verify_callback_signature(
            *secret,
            header("x-chelete-timestamp"),
            header("x-chelete-signature"),
            request.raw_body,
            s.clock.now(),
            s.settings.callback_window
        );
        if (check != mm::SignatureCheck::kOk) {
            spdlog::warn(
                "payout: {} callback refused: signature {}",
                mm::to_string(partner),
                mm::to_string(check)
            );
            return api::problem(
                401,
                "bad-signature",
                "Unauthorized",
                "the callback signature is " + std::string{mm::to_string(check)}
            );
        }
        const auto parsed = partner == mm::PartnerId::kMpesa
                                ? mm::parse_mpesa_callback(request.raw_body)
                                : mm::parse_ecocash_callback(request.raw_body);
        if (!parsed) {
            return api::problem(400, "bad-request", "Unreadable callback", parsed.error());
        }
        const mm::CallbackResult& cb = parsed.value();
        const auto stored = t.exec_params(
            "INSERT INTO callbacks (partner, signature, received_at, reference, status, "
            "partner_code, transaction_id, body_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (signature) DO NOTHING RETURNING id",
            std::string{mm::to_string(partner)},
            header("x-chelete-signature"),
            s.now_text(),
            cb.reference,
            std::string{status_name(cb.status)},
            cb.partner_code,
            cb.transaction_id,
            platform::crypto::sha256_hex(request.raw_body)
        );
        if (stored.empty()) {
            return api::problem(
                409, "callback-replayed", "Conflict", "this callback was received before"
            );
        }
        const auto callback_id = stored[0][0].as<std::int64_t>();
        CallbackEffect effect = CallbackEffect::kUnknownReference;
        const auto owner = t.exec_params(
            "SELECT remittance_id::text FROM attempts WHERE reference = $1 AND partner = $2",
            cb.reference,
            std::string{mm::to_string(partner)}
        );
        if (!owner.empty()) {
            const std::string remittance_id = owner[0][0].as<std::string>();
            s.log_attempt(
                t,
                cb.reference,
                "callback",
                status_name(cb.status),
                cb.partner_code,
                cb.transaction_id
            );
            const auto locked = s.lock_payout(t, remittance_id);
            if (locked) {
                const auto decided =
                    after_callback(s.policy, locked->facts, locked->reference == cb.reference, cb);
                effect = decided.effect;
                if (decided.decision) {
                    s.apply(
                        t,
                        remittance_id,
                        *locked,
                        *decided.decision,
                        cb.transaction_id,
                        cb.reference
                    );
                }
                if (decided.effect == CallbackEffect::kIgnoredFinal) {
                    spdlog::error(
                        "payout {}: callback says {} but the payout is {}: for reconciliation",
                        remittance_id,
                        status_name(cb.status),
                        to_string(locked->facts.state)
                    );
                }
            }
        } else {
            spdlog::warn(
                "payout: {} callback for unknown reference {}", mm::to_string(partner), cb.reference
            );
        }
        t.exec_params0(
            "UPDATE callbacks SET effect = $2 WHERE id = $1",
            callback_id,
            std::string{to_string(effect)}
        );
        return api::json(200, json{{"received", true}, {"effect", std::string{to_string(effect)}}});
    });
}

}  // namespace chelete::payout
