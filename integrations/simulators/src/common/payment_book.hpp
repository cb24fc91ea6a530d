#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/result.hpp>

#include "common/callbacks.hpp"
#include "common/fault_schedule.hpp"
#include "common/sim_http.hpp"

namespace chelete::simulators {

/// What a payment partner (M-Pesa, EcoCash) has done with one reference. The outcome is decided
/// when the request is processed; it becomes visible (status, statement, callback) at `result_at`,
/// --late-callback-ms later, so a client can see "pending" in between.
struct Payment {
    std::string reference;  // the client's idempotency key
    std::string conversation_id;
    std::string transaction_id;
    std::string msisdn;
    std::int64_t amount_minor = 0;
    bool paid = false;
    std::string failure_code;  // the partner's reason when !paid
    platform::TimePoint result_at{};
    std::string notify_url;
};

enum class PaymentStatus { kPending, kCompleted, kFailed };

[[nodiscard]] PaymentStatus status_at(const Payment& payment, platform::TimePoint now);

struct StatementEntry {
    std::string reference;
    std::string transaction_id;
    std::string msisdn;
    std::int64_t amount_minor = 0;
    platform::TimePoint completed_at{};
};

/// POST /admin/statement-faults: what the statement shows differently from the truth.
struct StatementFaults {
    std::set<std::string> drop;
    std::map<std::string, std::int64_t> amount;
    std::vector<StatementEntry> extra;
};

/// The payments of one partner simulator, at most one per reference BY CONSTRUCTION (a map keyed
/// by reference), and its float. Not thread-safe: the app's mutex guards it.
class PaymentBook {
public:
    explicit PaymentBook(std::int64_t float_minor) : float_minor_(float_minor) {}

    [[nodiscard]] const Payment* find(const std::string& reference) const;
    /// Records a new payment, debiting the float if it is paid. Returns nullptr (and changes
    /// nothing) when the reference is already known, or when a paid payment exceeds the float.
    const Payment* add(Payment payment);

    [[nodiscard]] std::int64_t float_minor() const { return float_minor_; }
    void set_float(std::int64_t minor) { float_minor_ = minor; }

    void set_statement_faults(StatementFaults faults) { faults_ = std::move(faults); }
    /// Completed payments whose completed_at falls on `date` (UTC, YYYY-MM-DD), with the
    /// statement faults applied, ordered by completed_at then reference.
    [[nodiscard]] std::vector<StatementEntry> statement(
        std::string_view date, platform::TimePoint now
    ) const;

    /// GET /admin/payments, in arrival order.
    [[nodiscard]] nlohmann::json admin_json(platform::TimePoint now) const;

private:
    std::map<std::string, Payment> payments_;
    std::vector<std::string> order_;
    std::int64_t float_minor_;
    StatementFaults faults_;
};

/// The fault draws of one partner-API request, taken together in arrival order so that a seed
/// replays the same schedule whatever the request turns out to be.
struct RequestFaults {
    Fault fault = Fault::kNone;
    std::uint64_t unknown_variant = 0;
    bool unknown_paid = false;
    bool drop_callback = false;
    bool duplicate_callback = false;
    bool out_of_order = false;
    bool forged_callback = false;
};

struct CallbackFaultRates {
    std::uint32_t unknown_paid_ppm = 0;
    std::uint32_t drop_ppm = 0;
    std::uint32_t duplicate_ppm = 0;
    std::uint32_t out_of_order_ppm = 0;
    std::uint32_t forged_ppm = 0;
};

/// Always seven draws: the fault, the unknown-code variant among `variants`, and the five chances.
[[nodiscard]] RequestFaults draw_request_faults(
    FaultSchedule& schedule, const CallbackFaultRates& rates, std::uint64_t variants
);

/// The callbacks of one result: the final one, and what the faults add. Dropped: nothing at all.
/// Forged: a copy with the opposite outcome, signed wrongly, enqueued first (due at the same
/// time) so a receiver that does not verify would be fooled before the genuine one arrives.
/// Duplicate: the same body again 1.1 s later (so it carries another timestamp and signature:
/// the receiver must recognise the reference and outcome, not only a replayed signature).
/// Out of order: `stale_body` 250 ms after the final one.
struct CallbackBodies {
    std::string final_body;
    std::string forged_body;
    std::string stale_body;
};
void enqueue_callbacks(
    CallbackOutbox& outbox,
    const std::string& url,
    const std::string& reference,
    const CallbackBodies& bodies,
    platform::TimePoint due,
    const RequestFaults& faults
);

/// Handles /admin/payments, /admin/float, /admin/statement-faults and /admin/callbacks; nullopt
/// for any other path. The caller holds its lock around `book`.
[[nodiscard]] std::optional<SimResponse> handle_payment_admin(
    const SimRequest& request,
    PaymentBook& book,
    const CallbackOutbox& outbox,
    platform::TimePoint now
);

/// 200 {"date", "entries":[{reference, transaction_id, msisdn, amount, currency, completed_at}]}.
[[nodiscard]] SimResponse statement_response(
    std::string_view date, const std::vector<StatementEntry>& entries
);

/// 266 then 5 or 6 then 7 digits: a Lesotho mobile number (Vodacom 5x, Econet 6x).
[[nodiscard]] bool is_lesotho_mobile(std::string_view msisdn);
/// A positive amount as the partners write it: digits, '.', exactly two decimals.
[[nodiscard]] std::optional<std::int64_t> parse_positive_amount(std::string_view text);
/// "2026-11-23T10:00:00Z": UTC, whole seconds.
[[nodiscard]] std::string format_utc_seconds(platform::TimePoint t);
/// "2026-11-23": the UTC date of `t`.
[[nodiscard]] std::string utc_date(platform::TimePoint t);
/// A real calendar date written YYYY-MM-DD.
[[nodiscard]] bool is_calendar_date(std::string_view text);

/// 503 {"error":"service_unavailable"} with Retry-After: 1 (a front-end refusal: not processed).
[[nodiscard]] SimResponse service_unavailable();
/// {"status":"ok"} for GET /healthz, 405 otherwise.
[[nodiscard]] SimResponse health(const SimRequest& request);
[[nodiscard]] SimResponse method_not_allowed(std::string_view allow);

}  // namespace chelete::simulators
