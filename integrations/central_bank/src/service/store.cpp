// The cbank schema (migrations/V001__cbank.sql): the records consumed, the files produced.
#include <spdlog/spdlog.h>

#include <chelete/central_bank/records.hpp>
#include <chelete/platform/crypto.hpp>

#include "service/context.hpp"

namespace chelete::central_bank::detail {
namespace {

std::string ts(TimePoint t) {
    return platform::format_rfc3339(t);
}

struct File {
    ReportKind report;
    Format format;
    std::string content;
    int rows;
};

}  // namespace

bool store_completed(pqxx::transaction_base& tx, std::string_view payload) {
    auto parsed = parse_completed_event(payload);
    if (!parsed) {
        // Not retried: the same bytes would fail again. The remittance service's record is the
        // source; a fixed event can be published again.
        spdlog::error("cbank: remit.completed dropped: {}", parsed.error());
        return false;
    }
    const CompletedRemittance& r = parsed.value();
    const auto inserted = tx.exec_params(
        "INSERT INTO remittances (remittance_id, status, sender_id, payout_method, send_minor, "
        "fee_minor, receive_minor, created_at, completed_at, record) VALUES ($1, $2, $3, $4, $5, "
        "$6, $7, $8::timestamptz, $9::timestamptz, $10::jsonb) ON CONFLICT (remittance_id) DO "
        "NOTHING",
        r.remittance_id,
        r.status,
        r.sender.id,
        r.payout_method,
        r.send_minor,
        r.fee_minor,
        r.receive_minor,
        ts(r.created_at),
        ts(r.completed_at),
        completed_event_json(r).dump()
    );
    if (inserted.affected_rows() == 0) {
        return false;  // a final state never changes: the first copy stands
    }
    if (is_cross_border_flow(r)) {
        const auto marked = tx.exec_params(
            "UPDATE returns SET stale = true WHERE business_date = $1::date",
            business_date_of(r.completed_at).to_string()
        );
        if (marked.affected_rows() > 0) {
            spdlog::warn(
                "cbank: remittance {} of {} arrived after that day's return was produced; "
                "regenerate it",
                r.remittance_id,
                business_date_of(r.completed_at).to_string()
            );
        }
    }
    return true;
}

bool store_deposit(pqxx::transaction_base& tx, std::string_view payload) {
    auto parsed = parse_deposit_event(payload);
    if (!parsed) {
        spdlog::error("cbank: remit.deposit_received dropped: {}", parsed.error());
        return false;
    }
    const CashDeposit& d = parsed.value();
    return tx.exec_params(
                 "INSERT INTO deposits (deposit_id, worker_id, agent_id, amount_minor, at) "
                 "VALUES ($1, $2, $3, $4, $5::timestamptz) ON CONFLICT (deposit_id) DO NOTHING",
                 d.deposit_id,
                 d.worker_id,
                 d.agent_id,
                 d.amount_minor,
                 ts(d.at)
           )
               .affected_rows() == 1;
}

std::vector<CompletedRemittance> paid_in(pqxx::transaction_base& tx, DayWindow w) {
    std::vector<CompletedRemittance> out;
    const auto rows = tx.exec_params(
        "SELECT record::text FROM remittances WHERE status = 'paid' AND completed_at >= "
        "$1::timestamptz AND completed_at < $2::timestamptz",
        ts(w.from),
        ts(w.to)
    );
    for (const auto& row : rows) {
        auto parsed = parse_completed_event(row[0].as<std::string>());
        if (!parsed) {
            // Stored only after parsing: a row that no longer parses was changed by hand.
            throw std::runtime_error("cbank: a stored remittance record is unreadable");
        }
        out.push_back(std::move(parsed).value());
    }
    return out;
}

std::vector<CashDeposit> deposits_in(pqxx::transaction_base& tx, DayWindow w) {
    std::vector<CashDeposit> out;
    const auto rows = tx.exec_params(
        "SELECT deposit_id::text, worker_id, agent_id, amount_minor, "
        "floor(extract(epoch FROM at) * 1000)::bigint FROM deposits WHERE at >= $1::timestamptz "
        "AND at < $2::timestamptz",
        ts(w.from),
        ts(w.to)
    );
    for (const auto& row : rows) {
        out.push_back(CashDeposit{
            row[0].as<std::string>(),
            row[1].as<std::string>(),
            row[2].as<std::string>(),
            row[3].as<std::int64_t>(),
            platform::from_unix_ms(row[4].as<std::int64_t>())});
    }
    return out;
}

std::optional<StoredFile> find_file(
    pqxx::transaction_base& tx, ReportKind report, Date day, Format format
) {
    const auto rows = tx.exec_params(
        "SELECT content, sha256, version, row_count, stale FROM returns WHERE report = $1 AND "
        "business_date = $2::date AND format = $3",
        std::string{to_string(report)},
        day.to_string(),
        std::string{to_string(format)}
    );
    if (rows.empty()) {
        return std::nullopt;
    }
    return StoredFile{
        rows[0][0].as<std::string>(),
        rows[0][1].as<std::string>(),
        rows[0][2].as<int>(),
        rows[0][3].as<int>(),
        rows[0][4].as<bool>()};
}

std::optional<json> produce_day(
    const Context& ctx,
    pqxx::transaction_base& tx,
    Date day,
    const std::string& produced_by,
    const std::string& reason,
    bool replace
) {
    // One producer per day across instances (the job, an on-demand read, a regeneration).
    (void)tx.exec_params(
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        "chelete." + ctx.settings.schema + ".returns:" + day.to_string()
    );
    const auto existing = tx.exec_params1(
        "SELECT count(*), COALESCE(max(version), 0) FROM returns WHERE business_date = $1::date",
        day.to_string()
    );
    const bool produced = existing[0].as<int>() > 0;
    if (produced && !replace) {
        return std::nullopt;
    }
    const int version = existing[1].as<int>() + 1;
    const DayWindow w = business_day_window(day);
    const auto remittances = paid_in(tx, w);
    const auto deposits = deposits_in(tx, w);
    const auto& thresholds = ctx.settings.thresholds;
    const auto flows = static_cast<int>(cross_border_rows(remittances, day).size());
    const auto items = threshold_items(remittances, deposits, day, thresholds);
    const std::vector<File> files{
        {ReportKind::kCrossBorder,
         Format::kCsv,
         cross_border_csv(remittances, day, thresholds),
         flows},
        {ReportKind::kCrossBorder,
         Format::kJson,
         cross_border_json(remittances, day, thresholds).dump(),
         flows},
        {ReportKind::kThresholds,
         Format::kCsv,
         threshold_csv(items),
         static_cast<int>(items.size())},
        {ReportKind::kThresholds,
         Format::kJson,
         threshold_json(items, day).dump(),
         static_cast<int>(items.size())},
    };
    const std::string now = ts(ctx.clock.now());
    if (produced) {
        tx.exec_params0(
            "INSERT INTO return_history (report, business_date, format, version, content, "
            "sha256, row_count, produced_at, produced_by, reason, replaced_at, replaced_by) "
            "SELECT report, business_date, format, version, content, sha256, row_count, "
            "produced_at, produced_by, reason, $2::timestamptz, $3 FROM returns WHERE "
            "business_date = $1::date",
            day.to_string(),
            now,
            produced_by
        );
        tx.exec_params0("DELETE FROM returns WHERE business_date = $1::date", day.to_string());
    }
    json listed = json::array();
    for (const File& f : files) {
        const std::string sha = platform::crypto::sha256_hex(f.content);
        tx.exec_params0(
            "INSERT INTO returns (report, business_date, format, version, content, sha256, "
            "row_count, produced_at, produced_by, reason) VALUES ($1, $2::date, $3, $4, $5, $6, "
            "$7, $8::timestamptz, $9, $10)",
            std::string{to_string(f.report)},
            day.to_string(),
            std::string{to_string(f.format)},
            version,
            f.content,
            sha,
            f.rows,
            now,
            produced_by,
            reason
        );
        listed.push_back(
            {{"report", to_string(f.report)},
             {"format", to_string(f.format)},
             {"sha256", sha},
             {"rows", f.rows}}
        );
    }
    json event{
        {"date", day.to_string()},
        {"version", version},
        {"produced_at", now},
        {"produced_by", produced_by},
        {"reason", reason},
        {"files", listed}};
    ctx.publish(tx, messages::kReturnProduced, event);
    spdlog::info(
        "cbank: returns of {} produced (version {}, {} flows)", day.to_string(), version, flows
    );
    return event;
}

void log_return_read(
    pqxx::transaction_base& tx, const api::Request& r, Date day, std::string_view record
) {
    const DayWindow w = business_day_window(day);
    tx.exec_params0(
        "INSERT INTO access_log (subject_id, actor_id, actor_role, record, record_id, purpose, "
        "request_id) SELECT DISTINCT sender_id, $3, $4, $5, $6, 'regulatory_reporting', $7 FROM "
        "remittances WHERE status = 'paid' AND completed_at >= $1::timestamptz AND "
        "completed_at < $2::timestamptz",
        ts(w.from),
        ts(w.to),
        r.caller ? r.caller->subject : std::string{"anonymous"},
        r.caller ? r.caller->role : std::string{"anonymous"},
        std::string{record},
        day.to_string(),
        r.request_id
    );
}

}  // namespace chelete::central_bank::detail
