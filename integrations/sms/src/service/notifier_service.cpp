#include <algorithm>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/id.hpp>
#include <chelete/platform/metrics.hpp>
#include <chelete/sms/notifier.hpp>

#include "adapters/notify_wire.hpp"
#include "domain/catalogue.hpp"
#include "domain/msisdn.hpp"
#include "notify_migrations.hpp"

namespace chelete::notifier {

namespace bus = platform::bus;
namespace metrics = platform::metrics;
using namespace std::chrono_literals;

// ---- settings ----------------------------------------------------------------------------------

NotifyStreams NotifyStreams::load(platform::ConfigReader& r) {
    NotifyStreams s;
    // The same variable, default and description as the registry's, which produces requests.
    s.command_stream = r.string(
        "CHELETE_NOTIFY_STREAM", "notify.cmd", "Stream the notifier takes SMS requests from"
    );
    return s;
}

NotifierSettings NotifierSettings::load(platform::ConfigReader& r) {
    NotifierSettings s;
    s.schema = r.string("CHELETE_NOTIFY_SCHEMA", "notify", "PostgreSQL schema of the notifier");
    if (!platform::is_safe_identifier(s.schema)) {
        r.problem("CHELETE_NOTIFY_SCHEMA='" + s.schema + "' is not a plain lower-case identifier");
        s.schema = "notify";
    }
    s.consumers = static_cast<std::size_t>(r.integer(
        "CHELETE_NOTIFY_CONSUMERS", 1, 1, 16, "Notifier consumer threads on its request stream"
    ));
    s.sms_base_url = r.string(
        "CHELETE_SMS_BASE_URL",
        "",
        "Base URL of the SMS gateway (empty: SMS requests are stored and stay queued)"
    );
    if (!s.sms_base_url.empty() && !s.sms_base_url.starts_with("http://") &&
        !s.sms_base_url.starts_with("https://")) {
        r.problem("CHELETE_SMS_BASE_URL='" + s.sms_base_url + "' is not an http(s) URL");
    }
    s.sms_api_key =
        r.optional_secret("CHELETE_SMS_API_KEY", 8, "API key sent to the SMS gateway (X-Api-Key)");
    if (!s.sms_base_url.empty() && s.sms_api_key.empty()) {
        r.problem("CHELETE_SMS_API_KEY is required when CHELETE_SMS_BASE_URL is set");
    }
    s.sender_id = r.string(
        "CHELETE_SMS_SENDER_ID", "Chelete", "Sender id shown on the phone (1-11 letters or digits)"
    );
    if (s.sender_id.empty() || s.sender_id.size() > 11 ||
        !std::all_of(s.sender_id.begin(), s.sender_id.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        })) {
        r.problem("CHELETE_SMS_SENDER_ID='" + s.sender_id + "' is not 1-11 letters or digits");
    }
    s.sms_timeout =
        r.duration("CHELETE_SMS_TIMEOUT", 5s, 100ms, 60s, "Limit for one SMS gateway request");
    s.sms_attempts = static_cast<int>(r.integer(
        "CHELETE_SMS_ATTEMPTS",
        3,
        1,
        10,
        "Tries of one send on connection refused, timeout or 5xx (safe: the reference is ours)"
    ));
    s.default_language = r.choice(
        "CHELETE_NOTIFY_DEFAULT_LANGUAGE",
        "st",
        {"st", "en"},
        "SMS language when a request names none: st (Sesotho) or en (English)"
    );
    s.max_attempts = static_cast<int>(r.integer(
        "CHELETE_NOTIFY_MAX_ATTEMPTS", 8, 1, 100, "Sends of one SMS before it is marked failed"
    ));
    s.retry_backoff = r.duration(
        "CHELETE_NOTIFY_RETRY_BACKOFF",
        10s,
        10ms,
        1h,
        "Wait before an SMS is sent again, doubled after each failed send"
    );
    s.retry_max = r.duration(
        "CHELETE_NOTIFY_RETRY_MAX", 10min, 10ms, 24h, "Longest wait between two sends of one SMS"
    );
    s.poll_interval = r.duration(
        "CHELETE_NOTIFY_POLL_INTERVAL", 500ms, 10ms, 60s, "How often the notifier looks for due SMS"
    );
    return s;
}

std::vector<platform::Migration> notifier_migrations() {
    std::vector<std::pair<std::string_view, std::string_view>> files{
        notify_sql::kAllFiles.begin(), notify_sql::kAllFiles.end()};
    return platform::migrations_from_files("notify", files);
}

std::string_view to_string(Accepted accepted) {
    switch (accepted) {
        case Accepted::kQueued:
            return "queued";
        case Accepted::kSent:
            return "sent";
        case Accepted::kFailed:
            return "failed";
        case Accepted::kDuplicate:
            return "duplicate";
        case Accepted::kInvalid:
            return "invalid";
    }
    return "invalid";
}

namespace {

struct Metrics {
    metrics::Family<metrics::Counter>& requests = metrics::default_registry().counter(
        "chelete_notify_requests_total", "notify.sms requests by what became of them", {"outcome"}
    );
    metrics::Family<metrics::Counter>& sends = metrics::default_registry().counter(
        "chelete_notify_sends_total",
        "SMS send attempts by template and outcome (sent, retry, failed)",
        {"template", "outcome"}
    );
    metrics::Family<metrics::Histogram>& latency = metrics::default_registry().histogram(
        "chelete_notify_send_seconds", "Time one send to the SMS gateway took, retries included"
    );
};

Metrics& notify_metrics() {
    static Metrics m;
    return m;
}

/// The message id (and gateway reference): derived from the dedupe key, so every delivery of
/// one request, and every resend, carries the same reference.
std::string message_id_of(std::string_view dedupe_key) {
    return platform::Id128::parse(
               platform::crypto::sha256_hex("notify:" + std::string{dedupe_key}).substr(0, 32)
    )
        ->to_string();
}

/// A gateway detail fit for the table: bounded, and for a secret message only the status
/// (a gateway's error text might quote the message).
std::string stored_error(const sms::SendResult& r, bool secret) {
    if (secret) {
        return r.http_status != 0 ? "gateway answered " + std::to_string(r.http_status)
                                  : "gateway not reachable";
    }
    return r.detail.substr(0, 300);
}

std::chrono::milliseconds backoff_after(const NotifierSettings& s, int attempts) {
    auto wait = s.retry_backoff;
    for (int i = 1; i < attempts && wait < s.retry_max; ++i) {
        wait *= 2;
    }
    return std::min(wait, s.retry_max);
}

}  // namespace

// ---- the service -------------------------------------------------------------------------------

NotifierService::NotifierService(
    const platform::PlatformSettings& platform,  // NOLINT(modernize-pass-by-value): as elsewhere
    NotifierSettings settings,
    std::shared_ptr<sms::SmsGateway> gateway,
    const platform::Clock& clock
)
    : platform_(platform),
      settings_(std::move(settings)),
      gateway_(std::move(gateway)),
      clock_(clock) {
    if (!sms::language_from(settings_.default_language)) {
        throw std::invalid_argument("notifier default language must be en or st");
    }
    if (!gateway_ && !settings_.sms_base_url.empty()) {
        sms::CurlSmsGatewayOptions options;
        options.base_url = settings_.sms_base_url;
        options.api_key = settings_.sms_api_key;
        options.timeout = settings_.sms_timeout;
        options.max_attempts = settings_.sms_attempts;
        gateway_ = std::make_shared<sms::CurlSmsGateway>(options);
    }
    pool_ = std::make_unique<platform::PgPool>(
        platform_.pool_options(settings_.schema, settings_.consumers + 2)
    );
}

NotifierService::~NotifierService() {
    stop();
}

const platform::Clock& NotifierService::default_clock() {
    static const platform::SystemClock kClock;
    return kClock;
}

void NotifierService::migrate() {
    auto conn = pool_->connect_dedicated();
    (void)platform::apply_migrations(*conn, settings_.schema, platform::bus_migrations());
    (void)platform::apply_migrations(*conn, settings_.schema, notifier_migrations());
}

Accepted NotifierService::accept(pqxx::transaction_base& tx, std::string_view payload) {
    auto& m = notify_metrics();
    auto parsed = sms::wire::parse_sms_request(payload);
    if (!parsed) {
        // Dropped, not retried: the same bytes would fail again. The error never quotes values.
        spdlog::warn("notifier: malformed notify.sms request dropped: {}", parsed.error());
        m.requests.with({"invalid"}).inc();
        return Accepted::kInvalid;
    }
    const sms::wire::SmsRequest& request = parsed.value();
    const sms::Language language =
        request.language.value_or(*sms::language_from(settings_.default_language));
    auto rendered = sms::render(request.template_name, language, request.params);
    if (!rendered) {
        spdlog::warn(
            "notifier: notify.sms request {} dropped: {}",
            request.dedupe_key,
            rendered.error().message
        );
        m.requests.with({"invalid"}).inc();
        return Accepted::kInvalid;
    }
    const bool secret = rendered->secret;
    const std::string id = message_id_of(request.dedupe_key);
    const std::string now = platform::format_rfc3339(clock_.now());
    const auto known =
        tx.exec_params("SELECT 1 FROM messages WHERE dedupe_key = $1", request.dedupe_key);
    if (!known.empty()) {
        m.requests.with({"duplicate"}).inc();
        return Accepted::kDuplicate;
    }
    const auto insert = [&](std::string_view status,
                            int attempts,
                            const std::optional<std::string>& gateway_id,
                            const std::optional<std::string>& error) {
        // ON CONFLICT: a concurrent consumer may hold the same request (a resend); one wins.
        return tx
            .exec_params(
                "INSERT INTO messages (id, dedupe_key, to_phone, subject_id, template, language, "
                "secret, body, status, attempts, next_attempt_at, gateway_message_id, segments, "
                "error, created_at, updated_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
                "$9, $10, $11, $12, $13, $14, $11, $11, CASE WHEN $9 = 'sent' THEN "
                "$11::timestamptz "
                "END) ON CONFLICT (dedupe_key) DO NOTHING",
                id,
                request.dedupe_key,
                request.to,
                request.subject_id,
                request.template_name,
                std::string{sms::to_string(language)},
                secret,
                secret ? std::optional<std::string>{} : std::optional<std::string>{rendered->text},
                std::string{status},
                attempts,
                now,
                gateway_id,
                static_cast<int>(rendered->length.segments),
                error
            )
            .affected_rows();
    };
    if (!secret) {
        if (insert("queued", 0, std::nullopt, std::nullopt) == 0) {
            m.requests.with({"duplicate"}).inc();
            return Accepted::kDuplicate;
        }
        m.requests.with({"queued"}).inc();
        wake_.notify_one();
        return Accepted::kQueued;
    }
    // A secret text lives only in this call: sent now, never stored (docs/notifier.md
    // "Secret templates"). A delivery that throws is delivered again by the bus, with the same
    // reference, so the gateway sends it at most once.
    if (!gateway_) {
        spdlog::warn(
            "notifier: {} for {} not sent: no SMS gateway configured, and a secret message is "
            "never queued",
            request.template_name,
            sms::masked_msisdn(request.to)
        );
        (void)insert("failed", 0, std::nullopt, std::string{"no SMS gateway configured"});
        m.requests.with({"failed"}).inc();
        return Accepted::kFailed;
    }
    const auto started = std::chrono::steady_clock::now();
    const sms::SendResult result =
        gateway_->send(sms::OutgoingSms{request.to, settings_.sender_id, rendered->text, id});
    m.latency.with({}).observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
    );
    switch (result.outcome) {
        case sms::SendOutcome::kAccepted:
            (void)insert("sent", 1, result.message_id, std::nullopt);
            m.sends.with({request.template_name, "sent"}).inc();
            m.requests.with({"sent"}).inc();
            return Accepted::kSent;
        case sms::SendOutcome::kRejected:
            spdlog::error(
                "notifier: gateway refused {} {} for {}: {}",
                request.template_name,
                id,
                sms::masked_msisdn(request.to),
                stored_error(result, true)
            );
            (void)insert("failed", 1, std::nullopt, stored_error(result, true));
            m.sends.with({request.template_name, "failed"}).inc();
            m.requests.with({"failed"}).inc();
            return Accepted::kFailed;
        case sms::SendOutcome::kRetryable:
            break;
    }
    m.sends.with({request.template_name, "retry"}).inc();
    throw std::runtime_error(
        "secret SMS " + std::string{request.template_name} + " " + id +
        " not sent for now: " + stored_error(result, true)
    );
}

std::size_t NotifierService::send_due() {
    if (!gateway_) {
        return 0;
    }
    auto& m = notify_metrics();
    auto lease = pool_->acquire();
    pqxx::work tx{*lease};
    const std::string now = platform::format_rfc3339(clock_.now());
    // SKIP LOCKED: several notifier processes share the queue; a row being sent is skipped.
    const auto due = tx.exec_params(
        "SELECT id::text, to_phone, body, template, attempts FROM messages WHERE status = "
        "'queued' AND NOT secret AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2 "
        "FOR UPDATE SKIP LOCKED",
        now,
        static_cast<int>(settings_.send_batch)
    );
    for (const auto& row : due) {
        const std::string id = row[0].as<std::string>();
        const std::string template_name = row[3].as<std::string>();
        const int attempts = row[4].as<int>() + 1;
        const auto started = std::chrono::steady_clock::now();
        const sms::SendResult result = gateway_->send(sms::OutgoingSms{
            row[1].as<std::string>(), settings_.sender_id, row[2].as<std::string>(), id});
        m.latency.with({}).observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
        );
        const std::string at = platform::format_rfc3339(clock_.now());
        if (result.outcome == sms::SendOutcome::kAccepted) {
            tx.exec_params0(
                "UPDATE messages SET status = 'sent', attempts = $2, gateway_message_id = $3, "
                "segments = $4, error = NULL, sent_at = $5, updated_at = $5 WHERE id = $1",
                id,
                attempts,
                result.message_id,
                result.segments,
                at
            );
            m.sends.with({template_name, "sent"}).inc();
            continue;
        }
        const bool give_up =
            result.outcome == sms::SendOutcome::kRejected || attempts >= settings_.max_attempts;
        const std::string error = stored_error(result, false);
        if (give_up) {
            spdlog::error(
                "notifier: SMS {} ({}) failed after {} send(s): {}",
                id,
                template_name,
                attempts,
                error
            );
            tx.exec_params0(
                "UPDATE messages SET status = 'failed', attempts = $2, error = $3, updated_at = "
                "$4 WHERE id = $1",
                id,
                attempts,
                error,
                at
            );
            m.sends.with({template_name, "failed"}).inc();
            continue;
        }
        const std::string next =
            platform::format_rfc3339(clock_.now() + backoff_after(settings_, attempts));
        spdlog::warn(
            "notifier: SMS {} ({}) not sent ({}), send {} of {} at {}",
            id,
            template_name,
            error,
            attempts + 1,
            settings_.max_attempts,
            next
        );
        tx.exec_params0(
            "UPDATE messages SET attempts = $2, error = $3, next_attempt_at = $4, updated_at = $5 "
            "WHERE id = $1",
            id,
            attempts,
            error,
            next,
            at
        );
        m.sends.with({template_name, "retry"}).inc();
    }
    tx.commit();
    return due.size();
}

void NotifierService::sender_loop() {
    while (!stopping_) {
        std::size_t sent = 0;
        try {
            sent = send_due();
        } catch (const std::exception& e) {
            spdlog::error("notifier: sender pass failed: {}", e.what());
        }
        if (sent == settings_.send_batch) {
            continue;  // a full batch: more may be due
        }
        std::unique_lock lock{wake_mutex_};
        wake_.wait_for(lock, settings_.poll_interval, [this] { return stopping_.load(); });
    }
}

void NotifierService::start() {
    migrate();
    stopping_ = false;
    for (std::size_t i = 0; i < settings_.consumers; ++i) {
        bus::ConsumerOptions options;
        options.stream = settings_.command_stream;
        options.group = "notifier";
        options.consumer = bus::default_consumer_name("notifier") + "-" + std::to_string(i);
        // A secret message is sent inside the consumer's transaction: keep batches small.
        options.max_batch = 4;
        consumers_.push_back(std::make_unique<bus::Consumer>(
            *pool_,
            nullptr,
            platform_.bus,
            options,
            [this](pqxx::transaction_base& tx, const bus::Message& message) {
                if (message.type == messages::kSms) {
                    (void)accept(tx, message.payload);
                } else {
                    spdlog::warn(
                        "notifier: ignored message type '{}' on {}", message.type, message.stream
                    );
                }
                return bus::HandlerResult{};
            }
        ));
        consumers_.back()->start();
    }
    if (gateway_) {
        sender_ = std::thread([this] { sender_loop(); });
    } else {
        spdlog::warn(
            "notifier: CHELETE_SMS_BASE_URL is empty, so no SMS is sent: requests are stored and "
            "stay queued until a gateway is configured (secret ones, which are never queued, are "
            "marked failed)"
        );
    }
    spdlog::info(
        "notifier up (schema {}, stream {}, gateway {}, default language {})",
        settings_.schema,
        settings_.command_stream,
        gateway_ ? settings_.sms_base_url : std::string{"none"},
        settings_.default_language
    );
}

void NotifierService::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    { const std::lock_guard lock{wake_mutex_}; }
    wake_.notify_all();
    if (sender_.joinable()) {
        sender_.join();
    }
    for (auto& c : consumers_) {
        c->stop();
    }
    consumers_.clear();
}

}  // namespace chelete::notifier
