#pragma once

// The payout service's internals, shared by its source files (payout_service.cpp: requests,
// partner workers and callbacks; cash_pickup.cpp; ledger_postings.cpp; reconciliation_job.cpp;
// settlement_http.cpp). Not installed: only this library's sources include it.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include <chelete/payout/service.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/crypto.hpp>
#include <chelete/platform/id.hpp>
#include <chelete/platform/operations.hpp>
#include <chelete/platform/password.hpp>

#include "domain/payout_policy.hpp"

namespace chelete::payout {

using nlohmann::json;
namespace api = platform::api;
namespace bus = platform::bus;
namespace mm = chelete::mobile_money;

// ---- the service -------------------------------------------------------------------------------

namespace detail {

inline std::optional<mm::PartnerId> partner_of_method(std::string_view method) {
    if (method == "mpesa") {
        return mm::PartnerId::kMpesa;
    }
    if (method == "ecocash") {
        return mm::PartnerId::kEcocash;
    }
    return std::nullopt;  // cash_pickup: vouchers, not a mobile-money partner
}

inline std::string_view report_name(Report r) {
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

inline std::string_view verdict_name(mm::SubmitVerdict v) {
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

inline std::string_view status_name(mm::PaymentStatus s) {
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

inline std::string_view failure_name(mm::FailureKind f) {
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

/// Ledger account owners (their ids are derived from these names).
inline std::string float_owner(mm::PartnerId partner) {
    return "float:" + std::string{mm::to_string(partner)};
}
inline std::string agent_owner(const std::string& agent_id) {
    return "agent:" + agent_id;
}
/// The remittance service opens this one (its pending transfers credit it).
inline constexpr const char* kInTransitOwner = "system:in_transit";
inline constexpr const char* kSuspenseOwner = "system:suspense:LSL";
inline constexpr const char* kSettlementBankOwner = "system:settlement_bank:LSL";
inline std::string liquidity_owner(std::string_view currency) {
    return "system:liquidity:" + std::string{currency};
}

/// The chart of accounts (docs/ledger.md) and the transfer codes of the payout service.
namespace codes {
inline constexpr int kPartnerFloatAccount = 500;
inline constexpr int kSuspenseAccount = 600;
inline constexpr int kLiquidityAccount = 700;
inline constexpr int kSettlementBankAccount = 800;
inline constexpr int kPayoutTransfer = 510;
inline constexpr int kCashPickupTransfer = 520;
inline constexpr int kTopUpTransfer = 530;
inline constexpr int kBreakTransfer = 610;
}  // namespace codes

/// An account id derived from a name, as the remittance service derives its own (the first
/// 128 bits of the name's SHA-256), so both name the in-transit account alike.
inline std::string derived_id(std::string_view name) {
    return platform::Id128::parse(platform::crypto::sha256_hex(name).substr(0, 32))->to_string();
}

/// A PostgreSQL text[] literal of arbitrary strings (each quoted, quotes and backslashes
/// escaped): statement references come from a partner and may hold anything.
inline std::string pg_text_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (const auto& item : items) {
        if (out.size() > 1) {
            out += ',';
        }
        out += '"';
        for (const char c : item) {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

/// One ledger command of the payout service.
struct Posting {
    std::string key;      // unique per money movement: "payout:<remittance id>", "top_up:..."
    std::string kind;     // payout | cash_pickup | top_up | recon_break
    std::string subject;  // the account whose position it moves
    std::string remittance_id;
    std::int64_t float_effect = 0;
    std::string reference;
    std::string created_by = "system";
    json transfers;  // without ids: legs in order, linked by post()
    /// The ledger shard it goes to: the sender's for a payout, 0 for what no worker's money
    /// moves (top-ups, reconciliation breaks).
    std::size_t shard = 0;
};

}  // namespace detail

using namespace detail;

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
    // Cash pickup, the partner side of the ledger, reconciliation and settlement.
    std::shared_ptr<RecipientChecker> checker;
    platform::crypto::PasswordHasher pin_hasher;
    std::thread jobs;
    std::mutex jobs_mutex;
    std::condition_variable jobs_cv;
    std::unique_ptr<bus::Consumer> ledger_replies;

    Impl(
        const platform::PlatformSettings& p,
        PayoutSettings s,
        Partners ps,
        const platform::Clock& c,
        std::shared_ptr<RecipientChecker> rc
    )
        : platform(p),
          settings(std::move(s)),
          partners(std::move(ps)),
          clock(c),
          checker(std::move(rc)) {
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
    /// A fresh time-ordered id (UUIDv7) for runs and breaks.
    [[nodiscard]] std::string new_id() const {
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
                .count();
        return platform::make_uuid_v7(
                   static_cast<std::uint64_t>(ms),
                   platform::crypto::random_u64(),
                   platform::crypto::random_u64()
        )
            .to_string();
    }
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
        const std::string& transaction_id,
        const std::string& settled_reference = ""
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
        if (d.next == PayoutState::kPaid) {
            // Which attempt the money went out under (a late callback can name an earlier one):
            // reconciliation looks for it on the partner's statement.
            tx.exec_params0(
                "UPDATE payouts SET paid_reference = $2, paid_at = $3 WHERE remittance_id = $1",
                remittance_id,
                settled_reference.empty() ? reference : settled_reference,
                now
            );
            if (const auto partner = partner_of_method(payout.method)) {
                post_payout(tx, remittance_id, float_owner(*partner), "payout");
            }
        }
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

    // ---- the partner side of the ledger (ledger_postings.cpp) ----

    /// The ledger account of `owner`'s sub-account in `shard` (shards.hpp; shard 0's is the
    /// owner's own), opened (create_accounts through the outbox to that shard) if new.
    std::string ensure_account(
        pqxx::transaction_base& tx,
        const std::string& owner,
        int code,
        std::string_view currency,
        std::size_t shard = 0
    ) const;
    /// The command stream of ledger shard `shard`.
    [[nodiscard]] std::string ledger_stream(std::size_t shard) const;
    /// Records and sends one ledger command; nothing (false) if `key` was posted before.
    bool post(pqxx::transaction_base& tx, const Posting& posting) const;
    /// A paid payout leaves the in-transit rand through liquidity to `subject`'s loti account:
    /// the partner's float, or the agent who handed out the cash.
    void post_payout(
        pqxx::transaction_base& tx,
        const std::string& remittance_id,
        const std::string& subject,
        std::string_view kind
    ) const;
    void on_ledger_reply(pqxx::transaction_base& tx, const bus::Message& m) const;
    /// Sends again what the ledger has not confirmed; returns how many.
    int resend_postings();
    void open_system_accounts();

    // ---- cash pickup (cash_pickup.cpp) ----

    void issue_voucher(
        pqxx::transaction_base& tx, const std::string& remittance_id, const json& request
    ) const;
    [[nodiscard]] api::Reply redeem(pqxx::dbtransaction& tx, const api::Request& request) const;
    /// payout.resend_voucher `{remittance_id, phone}` from the USSD service: a live voucher's code
    /// with a new PIN, by SMS to the recipient (the old PIN stops working: only its hash was kept).
    void resend_voucher(
        pqxx::transaction_base& tx, const json& command, const std::string& message_id
    ) const;
    /// Expires vouchers past their time: the payout fails and the sender is refunded.
    int expire_vouchers();

    // ---- reconciliation and settlement (reconciliation_job.cpp, settlement_http.cpp) ----

    void schedule_reconciliations();
    int run_queued_reconciliations();
    void run_reconciliation(
        const std::string& run_id, mm::PartnerId partner, const std::string& day
    );
    /// Settles as paid the payout `remittance_id`, still open, that `line` (of the statement of
    /// `line_day`) shows paid for its amount (after_statement, under the payout's lock); true
    /// when it did.
    bool settle_from_statement(
        pqxx::transaction_base& tx,
        const std::string& remittance_id,
        const mm::StatementLine& line,
        const std::string& line_day
    );
    void check_float_alarms();
    [[nodiscard]] json positions(pqxx::transaction_base& tx) const;
    [[nodiscard]] api::Reply answer_settlement(pqxx::dbtransaction& tx, const api::Request& request)
        const;
    void jobs_loop();

    void wake() {
        const std::lock_guard lock{wake_mutex};
        wake_cv.notify_all();
    }
    void wake_jobs() {
        const std::lock_guard lock{jobs_mutex};
        jobs_cv.notify_all();
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

}  // namespace chelete::payout
