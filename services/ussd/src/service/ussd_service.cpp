// The USSD service (docs/ussd.md): one turn of a session per ussd.cmd message.
//
// A turn reads the session from Redis (or starts one on the first turn), asks the registry and
// the remittance service what the menu needs, walks the menu (domain/menu.hpp), checks a PIN the
// walk reaches at the registry (its lockout), remembers the answer in the session, and answers
// "CON …"/"END …". A finished session's action is written with its outbox message in the
// consumer's transaction and carried out by the owning service after the reply: no turn waits on
// a payout partner.
#include <chrono>
#include <map>
#include <optional>
#include <thread>
#include <variant>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chelete/platform/api.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/registry/pin_rule.hpp>
#include <chelete/ussd/service.hpp>

#include "domain/form.hpp"
#include "domain/incoming.hpp"
#include "domain/menu.hpp"
#include "domain/session.hpp"
#include "ussd_migrations.hpp"

namespace chelete::ussd {
namespace {

using nlohmann::json;
namespace api = platform::api;
namespace bus = platform::bus;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

/// The sessions, in Redis with a TTL renewed on every turn. One client per consumer thread.
class SessionStore {
public:
    SessionStore(platform::RedisOptions redis, std::string prefix, milliseconds ttl)
        : redis_(std::move(redis)), prefix_(std::move(prefix)), ttl_(ttl) {}

    std::optional<Session> load(const std::string& id) {
        const auto reply = redis_.command({"GET", prefix_ + id});
        if (reply.is_error()) {
            throw std::runtime_error("session read: " + std::string{reply.str()});
        }
        if (reply.value().is_nil()) {
            return std::nullopt;
        }
        return decode_session(reply.str());
    }
    void save(const std::string& id, const Session& s) {
        const auto reply = redis_.command(
            {"SET", prefix_ + id, encode_session(s), "PX", std::to_string(ttl_.count())}
        );
        if (reply.is_error()) {
            throw std::runtime_error("session write: " + std::string{reply.str()});
        }
    }
    /// The session is over: its final turn's text and answer are kept for the TTL (an
    /// aggregator that lost the answer posts the same turn again and gets the same answer), and
    /// the session itself goes.
    void finish(const std::string& id, const std::string& text, const std::string& body) {
        keep_answer(prefix_ + id + ":end", text, body);
        (void)redis_.command({"DEL", prefix_ + id});
    }
    /// The answer of a finished session's final turn if `text` is that turn's.
    std::optional<std::string> final_answer(const std::string& id, const std::string& text) {
        return kept_answer(prefix_ + id + ":end", text);
    }
    /// Saves the session after a turn that goes on, with that turn's text and answer: a copy of
    /// the turn gets exactly this answer (last_answer), not a list drawn afresh, so the screen
    /// the caller sees is the one whose offer the session remembers.
    void save_answered(
        const std::string& id, const Session& s, const std::string& text, const std::string& body
    ) {
        save(id, s);
        keep_answer(prefix_ + id + ":last", text, body);
    }
    /// The answer of the session's last turn if `text` is that turn's.
    std::optional<std::string> last_answer(const std::string& id, const std::string& text) {
        return kept_answer(prefix_ + id + ":last", text);
    }

    /// Takes the session's turn lock: copies of one turn (an aggregator posting it again while
    /// the first is still being answered, two gateways) are answered one after the other, so the
    /// second reads the PIN answers the first saved and no PIN is checked twice. True when taken
    /// within `wait`; the lock lapses after `hold` should its holder die.
    bool lock(
        const std::string& id, const std::string& token, milliseconds wait, milliseconds hold
    ) {
        const auto deadline = std::chrono::steady_clock::now() + wait;
        for (;;) {
            const auto reply = redis_.command(
                {"SET", prefix_ + id + ":lock", token, "NX", "PX", std::to_string(hold.count())}
            );
            if (reply.is_error()) {
                throw std::runtime_error("session lock: " + std::string{reply.str()});
            }
            if (!reply.value().is_nil()) {
                return true;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                return false;
            }
            std::this_thread::sleep_for(20ms);
        }
    }
    /// Releases the lock if it is still this turn's (one that lapsed may be another's by now).
    void unlock(const std::string& id, const std::string& token) noexcept {
        try {
            (void)redis_.command(
                {"EVAL",
                 "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
                 "end return 0",
                 "1",
                 prefix_ + id + ":lock",
                 token}
            );
        } catch (const std::exception& e) {
            spdlog::warn("ussd: session lock not released ({}); it lapses by itself", e.what());
        }
    }

private:
    void keep_answer(const std::string& key, const std::string& text, const std::string& body) {
        const auto kept =
            redis_.command({"SET", key, text + "\n" + body, "PX", std::to_string(ttl_.count())});
        if (kept.is_error()) {
            throw std::runtime_error("session write: " + std::string{kept.str()});
        }
    }
    std::optional<std::string> kept_answer(const std::string& key, const std::string& text) {
        const auto reply = redis_.command({"GET", key});
        if (reply.is_error() || reply.value().is_nil()) {
            return std::nullopt;
        }
        const std::string_view kept = reply.str();
        const auto newline = kept.find('\n');  // the text is printable: no line break in it
        if (newline == std::string_view::npos || kept.substr(0, newline) != text) {
            return std::nullopt;
        }
        return std::string{kept.substr(newline + 1)};
    }

    platform::RedisClient redis_;
    std::string prefix_;
    milliseconds ttl_;
};

/// The session's turn lock for the length of one turn (SessionStore::lock).
class TurnLock {
public:
    TurnLock(SessionStore& sessions, std::string id) : sessions_(sessions), id_(std::move(id)) {}
    TurnLock(const TurnLock&) = delete;
    TurnLock& operator=(const TurnLock&) = delete;
    TurnLock(TurnLock&&) = delete;
    TurnLock& operator=(TurnLock&&) = delete;
    ~TurnLock() {
        if (held_) {
            sessions_.unlock(id_, token_);
        }
    }
    bool take(milliseconds wait, milliseconds hold) {
        held_ = sessions_.lock(id_, token_, wait, hold);
        return held_;
    }

private:
    SessionStore& sessions_;
    std::string id_;
    std::string token_ = platform::new_uuid();
    bool held_ = false;
};

api::Reply text_reply(const Reply& r) {
    api::Reply out;
    out.status = 200;
    out.content_type = "text/plain; charset=utf-8";
    out.body_text = r.body();
    return out;
}

// The screens a turn read inputs against as drawn now: remembered like the offers the caller
// saw, never replacing one already remembered.
void remember_pinned(Session& session, const Reply& reply) {
    for (const auto& [position, offer] : reply.pinned) {
        session.offers.emplace(position, offer);
    }
}

std::string_view action_kind(const Action& a) {
    if (std::holds_alternative<ResendVoucher>(a)) {
        return "resend_voucher";
    }
    if (std::holds_alternative<ChooseMethod>(a)) {
        return "choose_method";
    }
    return "change_pin";
}

}  // namespace

UssdStreams UssdStreams::load(platform::ConfigReader& r) {
    UssdStreams s;
    s.command_stream = r.string(
        "CHELETE_USSD_COMMAND_STREAM",
        "ussd.cmd",
        "Stream the USSD service takes the gateway's USSD turns from"
    );
    return s;
}

UssdSettings UssdSettings::load(platform::ConfigReader& r) {
    UssdSettings s;
    s.schema = r.string("CHELETE_USSD_SCHEMA", "ussd", "PostgreSQL schema of the USSD service");
    if (!platform::is_safe_identifier(s.schema)) {
        r.problem("CHELETE_USSD_SCHEMA='" + s.schema + "' is not a plain lower-case identifier");
        s.schema = "ussd";
    }
    s.streams = UssdStreams::load(r);
    s.consumers = static_cast<std::size_t>(r.integer(
        "CHELETE_USSD_CONSUMERS", 2, 1, 32, "USSD consumer threads (turns answered at once)"
    ));
    s.session_ttl = r.duration(
        "CHELETE_USSD_SESSION_TTL",
        180s,
        1s,
        milliseconds{1h},
        "A USSD session not continued for this long is forgotten (the next turn says it expired)"
    );
    s.session_prefix = r.string(
        "CHELETE_USSD_SESSION_PREFIX", "chelete:ussd:session:", "Redis key prefix of USSD sessions"
    );
    s.query_timeout = r.duration(
        "CHELETE_USSD_QUERY_TIMEOUT",
        3s,
        100ms,
        30s,
        "How long a USSD turn waits for the registry or the remittance service"
    );
    return s;
}

std::vector<platform::Migration> ussd_migrations() {
    std::vector<std::pair<std::string_view, std::string_view>> files{
        ussd_sql::kAllFiles.begin(), ussd_sql::kAllFiles.end()};
    return platform::migrations_from_files("ussd", files);
}

struct UssdService::Impl {
    Impl(const platform::PlatformSettings& p, UssdSettings s)
        : platform(p), settings(std::move(s)) {
        pool = std::make_unique<platform::PgPool>(
            platform.pool_options(settings.schema, settings.consumers + 2)
        );
        outbox = std::make_unique<bus::Outbox>(settings.schema);
        client = std::make_unique<bus::BusClient>(
            platform.bus, "ussd.replies." + bus::default_consumer_name("ussd")
        );
    }

    /// A question to another service: its reply, or nullopt when it did not answer in time or
    /// answered something other than 200.
    std::optional<json> ask(const std::string& stream, std::string_view type, const json& payload)
        const {
        const auto reply = client->request_sync(
            bus::OutgoingMessage{stream, std::string{type}, payload.dump(), "", ""},
            settings.query_timeout
        );
        if (!reply) {
            spdlog::warn("ussd: {} did not answer within the query timeout", type);
            return std::nullopt;
        }
        const auto parsed = api::Reply::parse(reply->payload);
        if (!parsed || parsed->status != 200 || !parsed->body.is_object()) {
            spdlog::warn("ussd: {} answered {}", type, parsed ? parsed->status : 0);
            return std::nullopt;
        }
        return parsed->body;
    }

    /// The remittances sent to the caller, and their ids by the reference the menu shows.
    struct Incoming {
        std::vector<IncomingRemittance> shown;
        std::map<std::string, std::string> id_by_reference;
    };
    std::optional<Incoming> incoming(const std::string& phone) const {
        const auto answer =
            ask(settings.remit_command, "remit.ussd_incoming", json{{"phone", phone}});
        if (!answer || !answer->contains("remittances") || !(*answer)["remittances"].is_array()) {
            return std::nullopt;
        }
        Incoming out;
        for (const auto& r : (*answer)["remittances"]) {
            if (!r.is_object()) {
                continue;
            }
            RemitRecord record;
            record.remittance_id = api::text_of(r, "remittance_id");
            record.reference = api::text_of(r, "reference");
            record.receive_minor = r.value("receive_minor", std::int64_t{0});
            record.sender_name = api::text_of(r, "sender_name");
            record.status = api::text_of(r, "status");
            record.payout_method = api::text_of(r, "payout_method");
            record.voucher_live = r.value("voucher_live", false);
            record.method_changeable = r.value("method_changeable", false);
            record.cash_pickup_possible = r.value("cash_pickup_possible", false);
            if (auto shown = to_incoming(record)) {
                out.id_by_reference[record.reference] = record.remittance_id;
                out.shown.push_back(std::move(*shown));
            }
        }
        return out;
    }

    /// Records the action of a finished session once (by session id) with its outbox message.
    void send_action(
        pqxx::transaction_base& tx,
        const std::string& session_id,
        const std::string& phone,
        const Action& action,
        const std::vector<std::string>& inputs,
        const PinAnswers& pins,
        const Incoming& incoming,
        const std::string& final_text,
        const std::string& final_answer
    ) const {
        std::string remittance_id;
        std::optional<std::string> method;
        bus::OutgoingMessage message;
        if (const auto* resend = std::get_if<ResendVoucher>(&action)) {
            remittance_id = incoming.id_by_reference.at(resend->reference);
            message = {
                settings.payout_command,
                "payout.resend_voucher",
                json{{"remittance_id", remittance_id}, {"phone", phone}}.dump(),
                "",
                ""};
        } else if (const auto* choose = std::get_if<ChooseMethod>(&action)) {
            remittance_id = incoming.id_by_reference.at(choose->reference);
            method = std::string{to_string(choose->method)};
            message = {
                settings.remit_command,
                "remit.choose_method",
                json{{"remittance_id", remittance_id}, {"phone", phone}, {"method", *method}}.dump(
                ),
                "",
                ""};
        } else {
            const auto& change = std::get<ChangePin>(action);
            const auto old_pin = proven_pin(inputs, pins);
            if (!old_pin) {
                throw std::logic_error("a PIN change without a correct PIN");
            }
            message = {
                settings.registry_command,
                "registry.ussd_pin_change",
                json{{"phone", phone}, {"old_pin", *old_pin}, {"new_pin", change.new_pin}}.dump(),
                "",
                ""};
        }
        const auto inserted = tx.exec_params(
            "INSERT INTO actions (session_id, phone, kind, remittance_id, method, final_text, "
            "final_answer) VALUES ($1, $2, $3, NULLIF($4, '')::uuid, $5, $6, $7) ON CONFLICT "
            "(session_id) DO NOTHING",
            session_id,
            phone,
            std::string{action_kind(action)},
            remittance_id,
            method,
            final_text,
            final_answer
        );
        if (inserted.affected_rows() == 1) {
            outbox->enqueue(tx, message);
        }
    }

    api::Reply turn(SessionStore& sessions, pqxx::transaction_base& tx, const bus::Message& m) {
        const auto request = api::Request::parse(m.payload);
        if (!request) {
            return api::problem(400, "bad-request", "Malformed request envelope");
        }
        const auto form = parse_ussd_form(request->raw_body);
        if (!form) {
            return api::problem(
                400,
                "invalid-ussd-request",
                "Invalid USSD request",
                form.error().field + ": " + form.error().detail,
                {api::FieldError{form.error().field, form.error().detail}}
            );
        }
        const UssdRequest& u = form.value();
        const auto inputs = split_inputs(u.text);
        // Held until the turn is answered; the action row's unique session id covers the commit
        // that follows (a copy let in before it waits on that row, then does nothing twice).
        // A turn asks at most the caller, the remittances and one PIN per input, each within the
        // query timeout: the lock outlasts that, and a copy waits as long as two questions.
        TurnLock lock{sessions, u.session_id};
        const auto questions = static_cast<long>(3 + inputs.size());
        if (!lock.take(2 * settings.query_timeout, questions * settings.query_timeout + 2s)) {
            spdlog::warn("ussd: session {} still busy with another copy of a turn", u.session_id);
            return text_reply(service_unavailable(Language::kSesotho));
        }
        // A session that asked for something ended with it, recorded in this schema with its
        // answer in one commit: its final turn posted again gets that answer; anything else under
        // its id is over.
        const auto acted = tx.exec_params(
            "SELECT phone, final_text, final_answer FROM actions WHERE session_id = $1",
            u.session_id
        );
        if (!acted.empty()) {
            if (acted[0][0].as<std::string>() == u.phone_number && !acted[0][1].is_null() &&
                acted[0][1].as<std::string>() == u.text) {
                api::Reply out;
                out.content_type = "text/plain; charset=utf-8";
                out.body_text = acted[0][2].as<std::string>();
                return out;  // the final turn posted again: the same answer, nothing done twice
            }
            return text_reply(session_expired(Language::kSesotho));
        }
        auto session = sessions.load(u.session_id);
        if (session && session->phone != u.phone_number) {
            // A session id is the aggregator's; another phone under it is not this session.
            spdlog::warn("ussd: session {} continued from another phone", u.session_id);
            return text_reply(session_expired(session->language));
        }
        if (session) {
            if (auto again = sessions.last_answer(u.session_id, u.text)) {
                api::Reply out;
                out.content_type = "text/plain; charset=utf-8";
                out.body_text = std::move(*again);
                return out;  // a copy of the last turn: the same screen, nothing asked again
            }
        }
        if (!session) {
            if (auto again = sessions.final_answer(u.session_id, u.text)) {
                api::Reply out;
                out.content_type = "text/plain; charset=utf-8";
                out.body_text = std::move(*again);
                return out;  // the final turn posted again: the same answer, nothing done twice
            }
            if (!inputs.empty()) {
                // Forgotten (CHELETE_USSD_SESSION_TTL): its PIN answers are gone, so the walk
                // cannot go on; the caller dials again and starts fresh.
                return text_reply(session_expired(Language::kSesotho));
            }
            const auto caller = ask(
                settings.registry_command, "registry.ussd_caller", json{{"phone", u.phone_number}}
            );
            if (!caller) {
                return text_reply(service_unavailable(Language::kSesotho));
            }
            if (!caller->value("registered", false)) {
                return text_reply(not_registered(Language::kSesotho));
            }
            session = Session{u.phone_number, Language::kSesotho, {}, {}};
        }
        Incoming known;
        if (!inputs.empty()) {
            auto got = incoming(u.phone_number);
            if (!got) {
                return text_reply(service_unavailable(session->language));
            }
            known = std::move(*got);
        }
        const Caller caller{session->language, known.shown};
        const PinRule rule = [](std::string_view pin) { return registry::check_pin(pin); };
        Reply reply = answer(inputs, caller, session->pins, session->offers, rule);
        // Each walk stops at the first PIN it has no answer for; there are at most as many as
        // inputs.
        for (std::size_t guard = 0; reply.kind == Reply::Kind::kCheckPin && guard <= inputs.size();
             ++guard) {
            const auto checked =
                ask(settings.registry_command,
                    "registry.ussd_pin_check",
                    json{{"phone", u.phone_number}, {"pin", reply.pin}});
            const auto result =
                checked ? pin_check_from(api::text_of(*checked, "result")) : std::nullopt;
            if (!result) {
                remember_pinned(*session, reply);
                sessions.save(u.session_id, *session);  // what was checked stays checked
                return text_reply(service_unavailable(session->language));
            }
            session->pins[reply.pin_input] = *result;
            reply = answer(inputs, caller, session->pins, session->offers, rule);
        }
        if (reply.kind == Reply::Kind::kCheckPin) {
            throw std::logic_error("the menu asked for more PIN checks than there are inputs");
        }
        remember_pinned(*session, reply);
        if (reply.kind == Reply::Kind::kEnd) {
            if (reply.action) {
                // The answer is kept with the action (above), not in Redis: should this
                // transaction fail, the session stays as it was and the retry walks it again.
                send_action(
                    tx,
                    u.session_id,
                    u.phone_number,
                    *reply.action,
                    inputs,
                    session->pins,
                    known,
                    u.text,
                    reply.body()
                );
                sessions.save(u.session_id, *session);
            } else {
                sessions.finish(u.session_id, u.text, reply.body());  // nothing was done
            }
        } else {
            if (reply.offer && !reply.offer->items.empty() && inputs.size() < kMaxInputs) {
                // The list as the caller sees it: their answer next turn is read against it. Only
                // a copy of a turn can reach the same position again; a late one (after the
                // session moved on) must not replace what the caller answered.
                session->offers.emplace(inputs.size(), std::move(*reply.offer));
            }
            sessions.save_answered(u.session_id, *session, u.text, reply.body());
        }
        return text_reply(reply);
    }

    const platform::PlatformSettings& platform;
    UssdSettings settings;
    std::unique_ptr<platform::PgPool> pool;
    std::unique_ptr<bus::Outbox> outbox;
    std::unique_ptr<bus::BusClient> client;
    std::unique_ptr<bus::OutboxRelay> relay;
    std::vector<std::unique_ptr<SessionStore>> stores;
    std::vector<std::unique_ptr<bus::Consumer>> consumers;
    bool started = false;
};

UssdService::UssdService(const platform::PlatformSettings& platform, UssdSettings settings)
    : impl_(std::make_unique<Impl>(platform, std::move(settings))) {}

UssdService::~UssdService() {
    stop();
}

void UssdService::migrate() {
    auto conn = impl_->pool->connect_dedicated();
    (void)platform::apply_migrations(*conn, impl_->settings.schema, platform::bus_migrations());
    (void)platform::apply_migrations(*conn, impl_->settings.schema, ussd_migrations());
}

void UssdService::start() {
    migrate();
    auto& s = impl_->settings;
    impl_->client->start();
    impl_->relay = impl_->platform.start_embedded_relay(s.schema, *impl_->outbox);
    Impl* impl = impl_.get();
    for (std::size_t i = 0; i < s.consumers; ++i) {
        impl_->stores.push_back(std::make_unique<SessionStore>(
            impl_->platform.bus.redis, s.session_prefix, s.session_ttl
        ));
        SessionStore* store = impl_->stores.back().get();
        bus::ConsumerOptions options;
        options.stream = s.streams.command_stream;
        options.group = "ussd";
        options.consumer = bus::default_consumer_name("ussd") + "-" + std::to_string(i);
        // One turn per transaction: a turn asks other services, and the next caller should not
        // wait for it.
        options.max_batch = 1;
        impl_->consumers.push_back(std::make_unique<bus::Consumer>(
            *impl_->pool,
            impl_->outbox.get(),
            impl_->platform.bus,
            options,
            [impl, store](pqxx::transaction_base& tx, const bus::Message& m) -> bus::HandlerResult {
                if (m.type != messages::kHttpRequest) {
                    spdlog::warn("ussd: ignored message type '{}' on {}", m.type, m.stream);
                    return {};
                }
                return bus::HandlerResult{impl->turn(*store, tx, m).to_payload()};
            }
        ));
    }
    for (auto& c : impl_->consumers) {
        c->start();
    }
    impl_->started = true;
    spdlog::info("ussd service up (schema {}, stream {})", s.schema, s.streams.command_stream);
}

void UssdService::stop() {
    if (!impl_ || !impl_->started) {
        return;
    }
    impl_->started = false;
    for (auto& c : impl_->consumers) {
        c->stop();
    }
    impl_->consumers.clear();
    if (impl_->relay) {
        impl_->relay->stop();
    }
    impl_->client->stop();
}

}  // namespace chelete::ussd
