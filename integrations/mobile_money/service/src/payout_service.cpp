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
    return {"mpesaCallback", "ecocashCallback"};
}

// ---- the service -------------------------------------------------------------------------------

namespace {

std::optional<mm::PartnerId> partner_of_method(std::string_view method) {
    if (method == "mpesa") {
        return mm::PartnerId::kMpesa;
    }
    if (method == "ecocash") {
        return mm::PartnerId::kEcocash;
    }
    return std::nullopt;  // cash_pickup: vouchers, not a mobile-money partner
}

std::string_view report_name(Report r) {
    switch (r) {
        case Report::kPaid:
            return "paid";
        case Report::kFailed:
            return "failed";
        case Report::kUnknown:
            return "unknown";
        case Report::kNone:
            break;
    }
    return "";
}

std::string_view verdict_name(mm::SubmitVerdict v) {
    switch (v) {
        case mm::SubmitVerdict::kAccepted:
            return "accepted";
        case mm::SubmitVerdict::kFailed:
            return "failed";
        case mm::SubmitVerdict::kUnknown:
            return "unknown";
        case mm::SubmitVerdict::kNotSent:
            return "not_sent";
    }
    return "unknown";
}

std::string_view status_name(mm::PaymentStatus s) {
    switch (s) {
        case mm::PaymentStatus::kPaid:
            return "paid";
        case mm::PaymentStatus::kFailed:
            return "failed";
        case mm::PaymentStatus::kPending:
            return "pending";
        case mm::PaymentStatus::kNotFound:
            return "not_found";
        case mm::PaymentStatus::kUnknown:
            return "unknown";
    }
    return "unknown";
}

std::string_view failure_name(mm::FailureKind f) {
    switch (f) {
        case mm::FailureKind::kNone:
            return "";
        case mm::FailureKind::kRecipient:
            return "recipient";
        case mm::FailureKind::kInsufficientFloat:
            return "insufficient_float";
        case mm::FailureKind::kOurRequest:
            return "our_request";
        case mm::FailureKind::kUnrecognised:
            return "unrecognised";
    }
    return "";
}

/// A payout as a worker claimed it.
struct Claimed {
    std::string remittance_id;
    PayoutState state = PayoutState::kRequested;
    std::string method;
    std::string reference;
    std::string payout_reference;
    std::int64_t amount_minor = 0;
    std::string msisdn;
};

}  // namespace

struct PayoutService::Impl {
    platform::PlatformSettings platform;
    PayoutSettings settings;
    Partners partners;
    const platform::Clock& clock;
    PolicySettings policy;
    std::string partner_methods;  // a PostgreSQL text[] literal; empty: no partner configured
    std::unique_ptr<platform::PgPool> pool;
    std::unique_ptr<bus::Outbox> outbox;
    std::unique_ptr<bus::OutboxRelay> relay;
    std::vector<std::unique_ptr<bus::Consumer>> consumers;
    std::vector<std::thread> workers;
    std::atomic<bool> stopping{false};
    std::mutex wake_mutex;
    std::condition_variable wake_cv;

    Impl(
        const platform::PlatformSettings& p, PayoutSettings s, Partners ps, const platform::Clock& c
    )
        : platform(p), settings(std::move(s)), partners(std::move(ps)), clock(c) {
        const auto& t = settings.timings;
        policy.callback_wait = t.callback_wait;
        policy.first_query_after = t.first_query_after;
        policy.max_query_interval = t.max_query_interval;
        policy.not_sent_retry = t.not_sent_retry;
        policy.retry_wait = t.retry_wait;
        policy.retry_sla = t.retry_sla;
        // The methods workers claim: those with a partner adapter (fixed for the process).
        std::string methods;
        for (const auto& [id, partner] : partners) {
            if (partner) {
                methods += (methods.empty() ? "" : ",") + std::string{mm::to_string(id)};
            }
        }
        partner_methods = methods.empty() ? "" : "{" + methods + "}";
    }

    [[nodiscard]] std::string now_text() const { return platform::format_rfc3339(clock.now()); }
    [[nodiscard]] std::string later_text(std::chrono::milliseconds d) const {
        return platform::format_rfc3339(clock.now() + d);
    }

    [[nodiscard]] mm::PayoutPartner* partner_for(std::string_view method) const {
        const auto id = partner_of_method(method);
        if (!id) {
            return nullptr;
        }
        const auto it = partners.find(*id);
        return it == partners.end() ? nullptr : it->second.get();
    }

    void log_attempt(
        pqxx::transaction_base& tx,
        const std::string& reference,
        std::string_view kind,
        std::string_view result,
        const std::string& code,
        const std::string& detail
    ) const {
        tx.exec_params0(
            "INSERT INTO attempt_log (reference, at, kind, result, partner_code, detail) VALUES "
            "($1, $2, $3, $4, $5, $6)",
            reference,
            now_text(),
            std::string{kind},
            std::string{result},
            code,
            detail.substr(0, 500)
        );
    }

    [[nodiscard]] PayoutFacts facts_of(
        PayoutState state,
        int queries,
        bool unknown_reported,
        std::optional<std::int64_t> since_epoch_ms
    ) const {
        PayoutFacts f;
        f.state = state;
        f.queries = queries;
        f.unknown_reported = unknown_reported;
        if (since_epoch_ms) {
            const platform::TimePoint since{std::chrono::milliseconds{*since_epoch_ms}};
            f.waiting_for =
                std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - since);
        }
        return f;
    }

    /// Locks the payout and reads its facts; nullopt when there is no such payout.
    struct Locked {
        PayoutFacts facts;
        std::string reference;
        int attempt_no = 1;
        std::string payout_reference;
        std::string method;
    };
    [[nodiscard]] std::optional<Locked> lock_payout(
        pqxx::transaction_base& tx, const std::string& remittance_id
    ) const {
        const auto rows = tx.exec_params(
            "SELECT state, queries, unknown_reported, (extract(epoch FROM retry_since) * "
            "1000)::bigint, "
            "current_reference, attempt_no, "
            "payout_reference, method FROM payouts WHERE remittance_id = $1 FOR UPDATE",
            remittance_id
        );
        if (rows.empty()) {
            return std::nullopt;
        }
        const auto& r = rows[0];
        const auto state = payout_state_from_string(r[0].as<std::string>());
        if (!state) {
            throw std::logic_error("payout with an unknown state: " + remittance_id);
        }
        Locked l;
        l.facts = facts_of(
            *state,
            r[1].as<int>(),
            r[2].as<bool>(),
            r[3].is_null() ? std::nullopt : std::optional<std::int64_t>{r[3].as<std::int64_t>()}
        );
        l.reference = r[4].as<std::string>();
        l.attempt_no = r[5].as<int>();
        l.payout_reference = r[6].as<std::string>();
        l.method = r[7].as<std::string>();
        return l;
    }

    /// Stores a decision about a locked payout and reports it on payout.events.
    void apply(
        pqxx::transaction_base& tx,
        const std::string& remittance_id,
        const Locked& payout,
        const Decision& d,
        const std::string& transaction_id
    ) const {
        const std::string now = now_text();
        std::string reference = payout.reference;
        int attempt_no = payout.attempt_no;
        if (d.new_attempt) {
            ++attempt_no;
            reference = attempt_reference(payout.payout_reference, attempt_no);
            const auto partner = partner_of_method(payout.method);
            tx.exec_params0(
                "INSERT INTO attempts (reference, remittance_id, attempt_no, partner, created_at) "
                "VALUES ($1, $2, $3, $4, $5)",
                reference,
                remittance_id,
                attempt_no,
                std::string{partner ? mm::to_string(*partner) : payout.method},
                now
            );
        }
        const bool resend = d.next == PayoutState::kRequested;
        const bool waiting = d.next == PayoutState::kRetryWait;
        tx.exec_params0(
            "UPDATE payouts SET state = $2, attempt_no = $3, current_reference = $4, "
            "queries = CASE WHEN $5 THEN 0 WHEN $6 THEN queries + 1 ELSE queries END, "
            "retry_since = CASE WHEN $7 THEN coalesce(retry_since, $8::timestamptz) ELSE "
            "retry_since END, "
            "next_check_at = $9, lease_until = NULL, "
            "unknown_reported = unknown_reported OR $10, "
            "partner_transaction_id = coalesce(nullif($11, ''), partner_transaction_id), "
            "outcome_reason = CASE WHEN $12 THEN $13 ELSE outcome_reason END, updated_at = $8 "
            "WHERE remittance_id = $1",
            remittance_id,
            std::string{to_string(d.next)},
            attempt_no,
            reference,
            resend,
            d.counts_query,
            waiting,
            now,
            later_text(d.check_after),
            d.report == Report::kUnknown,
            transaction_id,
            is_final(d.next),
            d.reason
        );
        if (d.report != Report::kNone) {
            json outcome{
                {"remittance_id", remittance_id},
                {"outcome", std::string{report_name(d.report)}},
                {"reason", d.reason}};
            if (!transaction_id.empty()) {
                outcome["partner_reference"] = transaction_id;
            }
            outbox->enqueue(
                tx,
                bus::OutgoingMessage{
                    settings.event_stream,
                    std::string{messages::kPayoutOutcome},
                    outcome.dump(),
                    "",
                    ""}
            );
        }
        spdlog::info(
            "payout {}: {} -> {} ({})",
            remittance_id,
            to_string(payout.facts.state),
            to_string(d.next),
            d.reason
        );
    }

    /// Claims due payouts for this worker (a lease, so no other worker takes them meanwhile).
    std::vector<Claimed> claim() {
        if (partner_methods.empty()) {
            return {};
        }
        return platform::with_transaction(*pool, [&](pqxx::work& tx) {
            std::vector<Claimed> out;
            const auto rows = tx.exec_params(
                "UPDATE payouts SET lease_until = $2 WHERE remittance_id IN (SELECT "
                "remittance_id FROM payouts WHERE state NOT IN ('paid', 'failed') AND method = "
                "ANY($3::text[]) AND next_check_at <= $1 AND (lease_until IS NULL OR lease_until "
                "<= $1) ORDER BY next_check_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING "
                "remittance_id::text, state, method, current_reference, payout_reference, "
                "amount_minor, msisdn",
                now_text(),
                later_text(settings.timings.lease),
                partner_methods,
                static_cast<int>(settings.claim_batch)
            );
            for (const auto& r : rows) {
                Claimed c;
                c.remittance_id = r[0].as<std::string>();
                c.state = payout_state_from_string(r[1].as<std::string>())
                              .value_or(PayoutState::kUnknown);
                c.method = r[2].as<std::string>();
                c.reference = r[3].as<std::string>();
                c.payout_reference = r[4].as<std::string>();
                c.amount_minor = r[5].as<std::int64_t>();
                c.msisdn = r[6].as<std::string>();
                out.push_back(std::move(c));
            }
            return out;
        });
    }

    void send(const Claimed& c, mm::PayoutPartner& partner) {
        // 1. The attempt is on record as sent before the partner hears of it.
        const bool marked = platform::with_transaction(*pool, [&](pqxx::work& tx) {
            const auto updated = tx.exec_params(
                "UPDATE payouts SET state = 'sending', updated_at = $3 WHERE remittance_id = $1 "
                "AND state = 'requested' AND current_reference = $2",
                c.remittance_id,
                c.reference,
                now_text()
            );
            if (updated.affected_rows() == 0) {
                return false;
            }
            tx.exec_params0(
                "UPDATE attempts SET sent_at = coalesce(sent_at, $2) WHERE reference = $1",
                c.reference,
                now_text()
            );
            return true;
        });
        if (!marked) {
            return;
        }
        mm::PayoutOrder order;
        order.reference = c.reference;
        order.transaction_reference = c.payout_reference.substr(0, 20);
        order.msisdn = c.msisdn;
        order.amount_minor = c.amount_minor;
        order.description = "Chelete remittance";
        const mm::SubmitResult result = partner.submit(order);
        // 2. The answer, unless a callback settled the payout meanwhile.
        platform::with_transaction(*pool, [&](pqxx::work& tx) {
            log_attempt(
                tx,
                c.reference,
                "submit",
                verdict_name(result.verdict),
                result.partner_code,
                result.detail
            );
            tx.exec_params0(
                "UPDATE attempts SET verdict = $2, failure = nullif($3, ''), partner_code = $4, "
                "conversation_id = coalesce(nullif($5, ''), conversation_id), transaction_id = "
                "coalesce(nullif($6, ''), transaction_id) WHERE reference = $1",
                c.reference,
                std::string{verdict_name(result.verdict)},
                std::string{failure_name(result.failure)},
                result.partner_code,
                result.conversation_id,
                result.transaction_id
            );
            const auto locked = lock_payout(tx, c.remittance_id);
            if (!locked || locked->facts.state != PayoutState::kSending ||
                locked->reference != c.reference) {
                return;
            }
            apply(
                tx,
                c.remittance_id,
                *locked,
                after_submit(policy, locked->facts, result),
                result.transaction_id
            );
        });
    }

    void ask(const Claimed& c, mm::PayoutPartner& partner) {
        const mm::StatusResult result = partner.query(c.reference);
        platform::with_transaction(*pool, [&](pqxx::work& tx) {
            log_attempt(
                tx,
                c.reference,
                "query",
                status_name(result.status),
                result.partner_code,
                result.detail
            );
            const auto locked = lock_payout(tx, c.remittance_id);
            if (!locked || locked->facts.state != c.state || locked->reference != c.reference) {
                return;  // a callback moved it meanwhile
            }
            if (!result.transaction_id.empty()) {
                tx.exec_params0(
                    "UPDATE attempts SET transaction_id = $2 WHERE reference = $1",
                    c.reference,
                    result.transaction_id
                );
            }
            apply(
                tx,
                c.remittance_id,
                *locked,
                after_query(policy, locked->facts, result),
                result.transaction_id
            );
        });
    }

    void retry(const Claimed& c) {
        platform::with_transaction(*pool, [&](pqxx::work& tx) {
            const auto locked = lock_payout(tx, c.remittance_id);
            if (!locked || locked->facts.state != PayoutState::kRetryWait) {
                return;
            }
            apply(tx, c.remittance_id, *locked, retry_due(policy, locked->facts), "");
        });
    }

    void release(const Claimed& c) {
        platform::with_transaction(*pool, [&](pqxx::work& tx) {
            tx.exec_params0(
                "UPDATE payouts SET lease_until = NULL WHERE remittance_id = $1", c.remittance_id
            );
        });
    }

    std::size_t work_once() {
        const auto claimed = claim();
        for (const auto& c : claimed) {
            auto* partner = partner_for(c.method);
            try {
                if (partner == nullptr) {
                    release(c);
                    continue;
                }
                switch (c.state) {
                    case PayoutState::kRequested:
                        send(c, *partner);
                        break;
                    case PayoutState::kSending:  // a worker died mid-send: ask, never resend
                    case PayoutState::kAccepted:
                    case PayoutState::kUnknown:
                    case PayoutState::kConfirmFailure:
                        ask(c, *partner);
                        break;
                    case PayoutState::kRetryWait:
                        retry(c);
                        break;
                    case PayoutState::kPaid:
                    case PayoutState::kFailed:
                        break;
                }
            } catch (const std::exception& e) {
                // The lease runs out and another pass takes it up; nothing is lost.
                spdlog::error("payout {}: {}", c.remittance_id, e.what());
            }
        }
        return claimed.size();
    }

    void wake() {
        const std::lock_guard lock{wake_mutex};
        wake_cv.notify_all();
    }

    void worker_loop() {
        while (!stopping) {
            std::size_t handled = 0;
            try {
                handled = work_once();
            } catch (const std::exception& e) {
                spdlog::error("payout worker: {}", e.what());
            }
            if (handled == 0) {
                std::unique_lock lock{wake_mutex};
                wake_cv.wait_for(lock, settings.timings.poll, [this] { return stopping.load(); });
            }
        }
    }
};

PayoutService::PayoutService(
    const platform::PlatformSettings& platform,
    PayoutSettings settings,
    Partners partners,
    const platform::Clock& clock
)
    : impl_(std::make_unique<Impl>(platform, std::move(settings), std::move(partners), clock)) {
    impl_->pool = std::make_unique<platform::PgPool>(platform.pool_options(
        impl_->settings.schema, impl_->settings.consumers + impl_->settings.workers + 2
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
    s.relay = std::make_unique<bus::OutboxRelay>(
        s.platform.pool_options(s.settings.schema, 1), *s.outbox, s.platform.bus, s.platform.relay
    );
    s.relay->start();
    for (std::size_t i = 0; i < s.settings.consumers; ++i) {
        bus::ConsumerOptions options;
        options.stream = s.settings.command_stream;
        options.group = "payout";
        options.consumer = bus::default_consumer_name("payout") + "-cmd-" + std::to_string(i);
        options.max_batch = 8;
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
    if (impl_->relay) {
        impl_->relay->stop();
    }
}

std::size_t PayoutService::work_once() {
    return impl_->work_once();
}

// ---- payout requests ---------------------------------------------------------------------------

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
                    s.apply(t, remittance_id, *locked, *decided.decision, cb.transaction_id);
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
