#pragma once

// What compliance's message and operation handlers share: settings, the policy, the watchlist
// in force, the clock and the outbox, and small helpers for replies, access logging, pagination
// and JSON.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chelete/compliance/service.hpp>
#include <chelete/platform/api.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/clock.hpp>

#include "domain/decision.hpp"
#include "domain/watchlist.hpp"

namespace chelete::compliance::detail {

using nlohmann::json;
namespace api = platform::api;

/// A loaded list and the version screenings record.
struct LoadedWatchlist {
    Watchlist list;
    std::string version = "empty";
};

struct Context {
    const ComplianceSettings& settings;
    const Policy& policy;
    std::shared_ptr<const LoadedWatchlist> watchlist;
    const platform::Clock& clock;
    platform::bus::Outbox& outbox;

    /// Enqueues an event on compliance.events.
    void publish(pqxx::transaction_base& tx, std::string_view type, const json& payload) const;
    /// The advisory-lock key of a sender, unique to this schema.
    [[nodiscard]] std::string sender_lock_key(const std::string& sender_id) const;
};

using Handler = api::Reply (*)(const Context&, pqxx::dbtransaction&, const api::Request&);

// ---- replies -----------------------------------------------------------------------------------

/// 422 naming the fields; a member's text ("" when absent): the platform's (api.hpp).
using api::text_of;
using api::unprocessable;
[[nodiscard]] api::Reply conflict(std::string_view detail);
/// A bad query parameter: 400 naming it.
[[nodiscard]] api::Reply bad_query(const std::string& field, const std::string& message);

[[nodiscard]] bool is_uuid(std::string_view s);
/// The canonical lower-case form of a uuid, nullopt when `s` is none.
[[nodiscard]] std::optional<std::string> canonical_uuid(std::string_view s);

/// One access-log row: who (the caller), what (record and its id), whose (subject), why.
void log_access(
    pqxx::transaction_base& tx,
    const api::Request& r,
    std::string_view action,
    std::string_view record,
    const std::string& record_id,
    const std::optional<std::string>& subject_id,
    std::string_view fields
);

struct Page {
    int limit = 50;
    std::string after;  // exclusive sequence number of the last item of the previous page
};
/// `?limit=` (1-200, default 50) and `?cursor=` (a sequence number this list gave); nullopt with
/// the reply when malformed.
[[nodiscard]] std::optional<Page> page_of(const api::Request& r, api::Reply& error);
[[nodiscard]] std::string cursor_for(const std::string& key);

// ---- JSON --------------------------------------------------------------------------------------

/// A member as an object (null json when absent or not an object).
[[nodiscard]] json object_of(const json& object, const char* key);
/// A member as an int64 (nullopt when absent, not an integer or out of range).
[[nodiscard]] std::optional<std::int64_t> integer_of(const json& object, const char* key);
/// A column as JSON: null when NULL, else its text.
[[nodiscard]] json nullable(const pqxx::field& field);
/// {"amount": "500.00", "currency": "ZAR"}
[[nodiscard]] json money_json(std::int64_t minor);
/// SQL for a timestamptz column as Unix milliseconds, formatted by timestamp_of().
[[nodiscard]] std::string epoch_ms_sql(std::string_view column);
[[nodiscard]] json timestamp_of(const pqxx::field& epoch_ms);
/// Reasons as [{"code", "text"}].
[[nodiscard]] json reasons_json(const std::vector<Reason>& reasons);
/// Unicode code points in `text` (valid UTF-8 assumed: nlohmann checked it).
[[nodiscard]] std::size_t code_points(std::string_view text);
/// True when `text` holds a control character (C0 or DEL).
[[nodiscard]] bool has_control(std::string_view text);

// ---- screening and events (screening.cpp) ------------------------------------------------------

std::optional<json> screen_remittance(const Context& ctx, pqxx::dbtransaction& tx, const json& p);
void apply_event(
    const Context& ctx, pqxx::dbtransaction& tx, std::string_view type, const json& payload
);

// ---- operations (handlers.cpp) -----------------------------------------------------------------

api::Reply list_cases(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r);
api::Reply get_case(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r);
api::Reply decide_case(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r);
api::Reply list_threshold_reports(
    const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r
);
/// GET /v1/reports/suspicious-transactions: the remittance cases officers rejected.
api::Reply list_suspicious_transactions(
    const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r
);

}  // namespace chelete::compliance::detail
