#pragma once

// What the cbank service's handlers, consumer and job share: settings, the clock, the outbox,
// and the storage functions (store.cpp).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chelete/central_bank/report.hpp>
#include <chelete/central_bank/service.hpp>
#include <chelete/platform/api.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/clock.hpp>

namespace chelete::central_bank::detail {

using nlohmann::json;
namespace api = platform::api;
using api::text_of;

struct Context {
    const CbankSettings& settings;
    const platform::Clock& clock;
    platform::bus::Outbox& outbox;

    /// Enqueues an event on cbank.events.
    void publish(pqxx::transaction_base& tx, std::string_view type, const json& payload) const;
};

using Handler = api::Reply (*)(const Context&, pqxx::dbtransaction&, const api::Request&);

// ---- storage (store.cpp) -----------------------------------------------------------------------

/// Stores a remit.completed record once (a second copy changes nothing); false when it was
/// malformed (logged) or already there. A paid one whose day was produced marks that day's
/// files stale.
bool store_completed(pqxx::transaction_base& tx, std::string_view payload);
/// Stores a remit.deposit_received once; false when malformed or already there.
bool store_deposit(pqxx::transaction_base& tx, std::string_view payload);

[[nodiscard]] std::vector<CompletedRemittance> paid_in(pqxx::transaction_base& tx, DayWindow w);
[[nodiscard]] std::vector<CashDeposit> deposits_in(pqxx::transaction_base& tx, DayWindow w);

struct StoredFile {
    std::string content;
    std::string sha256;
    int version = 1;
    int rows = 0;
    bool stale = false;
};
[[nodiscard]] std::optional<StoredFile> find_file(
    pqxx::transaction_base& tx, ReportKind report, Date day, Format format
);

/// Builds the day's files (both reports, CSV and JSON) and stores them under the day's lock,
/// then publishes cbank.return_produced; answers that event's payload. Without `replace` a day
/// already produced is left as it is (nullopt). With it the stored files move to
/// return_history and the next version replaces them.
std::optional<json> produce_day(
    const Context& ctx,
    pqxx::transaction_base& tx,
    Date day,
    const std::string& produced_by,
    const std::string& reason,
    bool replace
);

/// One access-log row per sender in the day's paid remittances (the return names them).
void log_return_read(
    pqxx::transaction_base& tx, const api::Request& r, Date day, std::string_view record
);

// ---- operations (handlers.cpp) -----------------------------------------------------------------

api::Reply get_daily_return(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r);
api::Reply regenerate_daily_return(
    const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r
);
api::Reply get_settlement_summary(
    const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r
);

}  // namespace chelete::central_bank::detail
