// Settlement and reconciliation through the API (docs/payout.md "Settlement positions",
// "Reconciliation"): positions per partner and agent, float top-ups, reconciliation runs and
// their breaks, for finance. And the jobs thread that runs the daily work.

#include <functional>

#include <chelete/platform/money.hpp>

#include "payout_impl.hpp"

namespace chelete::payout {

namespace {

constexpr int kDefaultPage = 50;
constexpr int kMaxPage = 200;

json nullable(const pqxx::field& f) {
    return f.is_null() ? json(nullptr) : json(f.as<std::string>());
}

json lsl(std::int64_t minor) {
    return json{{"amount", platform::format_minor_units(minor)}, {"currency", "LSL"}};
}

constexpr std::string_view kTimeFormat = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";

std::string utc_text(std::string_view column) {
    return "to_char(" + std::string{column} + " AT TIME ZONE 'UTC', " + std::string{kTimeFormat} +
           ")";
}

int page_size(const api::Request& r) {
    const auto& q = r.query;
    if (q.contains("limit") && q["limit"].is_number_integer()) {
        return std::clamp(q["limit"].get<int>(), 1, kMaxPage);
    }
    return kDefaultPage;
}

/// A run's findings as stored (minor units) in the API's shape.
json findings_json(const std::string& stored) {
    json out = json::array();
    const json all = json::parse(stored, nullptr, false);
    if (!all.is_array()) {
        return out;
    }
    for (const auto& f : all) {
        const auto ours = f.value("our_minor", std::int64_t{0});
        const auto theirs = f.value("their_minor", std::int64_t{0});
        out.push_back(
            {{"kind", f.value("kind", "")},
             {"reference", f.value("reference", "")},
             {"remittance_id", f.contains("remittance_id") ? f["remittance_id"] : json(nullptr)},
             {"our_amount", lsl(ours)},
             {"their_amount", lsl(theirs)},
             {"partner_transaction_id", f.value("partner_transaction_id", "")}}
        );
    }
    return out;
}

std::string run_columns() {
    return "id::text, partner, day::text, state, requested_by, " + utc_text("requested_at") + ", " +
           utc_text("finished_at") +
           ", error, statement_lines, matched, in_flight, missing_here, missing_there, "
           "amount_mismatch, final, findings";
}

json run_json(const pqxx::row& r) {
    return json{
        {"id", r[0].as<std::string>()},
        {"partner", r[1].as<std::string>()},
        {"date", r[2].as<std::string>()},
        {"state", r[3].as<std::string>()},
        {"requested_by", r[4].as<std::string>()},
        {"requested_at", r[5].as<std::string>()},
        {"finished_at", nullable(r[6])},
        {"error", r[7].as<std::string>()},
        {"statement_lines", r[8].as<int>()},
        {"matched", r[9].as<int>()},
        {"in_flight", r[10].as<int>()},
        {"breaks",
         {{"missing_here", r[11].as<int>()},
          {"missing_there", r[12].as<int>()},
          {"amount_mismatch", r[13].as<int>()}}},
        // A run of a day not yet closed only reports: its findings are not breaks.
        {"final", r[14].as<bool>()},
        {"findings", findings_json(r[15].as<std::string>())}};
}

std::string break_columns() {
    return "id::text, partner, day::text, reference, kind, coalesce(remittance_id::text, ''), "
           "our_amount, their_amount, transaction_id, coalesce(posting_id::text, ''), state, " +
           utc_text("found_at") + ", " + utc_text("resolved_at") +
           ", resolved_by, resolution, run_id::text";
}

json break_json(const pqxx::row& r, platform::TimePoint now) {
    const auto found = platform::parse_rfc3339(r[11].as<std::string>());
    const auto age_hours =
        found ? std::chrono::duration_cast<std::chrono::hours>(now - *found).count() : 0;
    const auto ours = r[6].is_null() ? 0 : r[6].as<std::int64_t>();
    const auto theirs = r[7].is_null() ? 0 : r[7].as<std::int64_t>();
    return json{
        {"id", r[0].as<std::string>()},
        {"partner", r[1].as<std::string>()},
        {"date", r[2].as<std::string>()},
        {"reference", r[3].as<std::string>()},
        {"kind", r[4].as<std::string>()},
        {"remittance_id",
         r[5].as<std::string>().empty() ? json(nullptr) : json(r[5].as<std::string>())},
        {"our_amount", lsl(ours)},
        {"their_amount", lsl(theirs)},
        // What it put in suspense, debits less credits as the suspense balance counts them:
        // the float moved by ours less theirs, suspense by the opposite.
        {"suspense_amount", lsl(theirs - ours)},
        {"partner_transaction_id", r[8].as<std::string>()},
        {"ledger_posting_id",
         r[9].as<std::string>().empty() ? json(nullptr) : json(r[9].as<std::string>())},
        {"state", r[10].as<std::string>()},
        {"found_at", r[11].as<std::string>()},
        {"age_hours", age_hours},
        {"resolved_at", nullable(r[12])},
        {"resolved_by", nullable(r[13])},
        {"resolution", nullable(r[14])},
        {"run_id", r[15].as<std::string>()}};
}

/// Keyset cursors: "<sort key>|<id>" of the last item, opaque to clients.
std::optional<std::pair<std::string, std::string>> split_cursor(const std::string& cursor) {
    const auto bar = cursor.find('|');
    if (bar == std::string::npos || !platform::Id128::parse(cursor.substr(bar + 1))) {
        return std::nullopt;
    }
    return std::pair{cursor.substr(0, bar), cursor.substr(bar + 1)};
}

/// A page of a list filtered by a text `$1` and the `partner` query parameter `$2`, in order of
/// its `sort_key` column (microseconds) then id, with an opaque "<sort key>|<id>" cursor.
api::Reply keyset_page(
    pqxx::transaction_base& tx,
    const api::Request& request,
    const std::string& select,
    const std::string& filter,
    bool newest_first,
    const std::function<json(const pqxx::row&)>& to_json
) {
    const std::string cursor = api::text_of(request.query, "cursor");
    const auto after = split_cursor(cursor);
    if (!cursor.empty() && (!after || after->first.empty() ||
                            after->first.find_first_not_of("0123456789") != std::string::npos)) {
        return api::unprocessable({{"cursor", "not a cursor this list gave"}});
    }
    const int limit = page_size(request);
    const std::string order = newest_first ? "DESC" : "ASC";
    const auto rows = tx.exec_params(
        "SELECT * FROM (" + select + ") page WHERE ($3 = '' OR (sort_key, id) " +
            (newest_first ? "<" : ">") +
            " (nullif($3, '')::bigint, nullif($4, ''))) ORDER BY sort_key " + order + ", id " +
            order + " LIMIT $5",
        filter,
        api::text_of(request.query, "partner"),
        after ? after->first : std::string{},
        after ? after->second : std::string{},
        limit + 1
    );
    json items = json::array();
    for (int i = 0; i < std::min<int>(limit, static_cast<int>(rows.size())); ++i) {
        items.push_back(to_json(rows[i]));
    }
    json next = nullptr;
    if (static_cast<int>(rows.size()) > limit) {
        const auto& last = rows[limit - 1];
        next = last["sort_key"].as<std::string>() + "|" + last["id"].as<std::string>();
    }
    return api::json(200, json{{"items", items}, {"next_cursor", next}});
}

}  // namespace

json PayoutService::Impl::positions(pqxx::transaction_base& tx) const {
    json partners_out = json::array();
    for (const auto id : {mm::PartnerId::kMpesa, mm::PartnerId::kEcocash}) {
        const std::string partner{mm::to_string(id)};
        const std::string owner = float_owner(id);
        const auto r = tx.exec_params1(
            "SELECT coalesce(sum(float_effect) FILTER (WHERE state = 'applied'), 0)::bigint, "
            "coalesce(sum(float_effect) FILTER (WHERE state = 'sent'), 0)::bigint, "
            "(SELECT coalesce(sum(amount_minor), 0)::bigint FROM payouts WHERE method = $2 AND "
            "state NOT IN ('paid', 'failed')), "
            "(SELECT count(*) FROM recon_breaks WHERE partner = $2 AND state = 'open'), "
            "(SELECT " +
                utc_text("raised_at") +
                " FROM float_alarms WHERE partner = $2), "
                "coalesce(sum(float_effect) FILTER (WHERE state = 'applied' AND kind = "
                "'top_up'), 0)::bigint "
                "FROM ledger_postings WHERE subject = $1",
            owner,
            partner
        );
        const auto posted = r[0].as<std::int64_t>();
        const auto unconfirmed = r[1].as<std::int64_t>();
        const auto pending = r[2].as<std::int64_t>();
        const std::int64_t available = posted + unconfirmed - pending;
        const auto configured = partners.contains(id) && partners.at(id) != nullptr;
        partners_out.push_back(
            {{"partner", partner},
             {"configured", configured},
             {"ledger_account_id", derived_id(owner)},
             // Prefunded float as the ledger holds it: top-ups less payouts and breaks.
             {"float", lsl(posted)},
             {"topped_up", lsl(r[5].as<std::int64_t>())},
             // Sent to the ledger, not confirmed yet.
             {"unconfirmed", lsl(unconfirmed)},
             // Payouts at or on their way to the partner, not final yet.
             {"pending", lsl(pending)},
             {"available", lsl(available)},
             // Prefunded: the partner owes us nothing and we owe it nothing until the float
             // runs out; a negative float is what we owe it.
             {"owed_to_partner", lsl(posted < 0 ? -posted : 0)},
             {"low_float_threshold", lsl(settings.low_float_minor)},
             {"low_float", available < settings.low_float_minor},
             {"alarm_raised_at", nullable(r[4])},
             {"open_breaks", r[3].as<int>()}}
        );
    }
    json agents = json::array();
    const auto rows = tx.exec(
        "SELECT subject, coalesce(sum(float_effect) FILTER (WHERE state = 'applied'), 0)::bigint, "
        "coalesce(sum(float_effect) FILTER (WHERE state = 'sent'), 0)::bigint, count(*) FROM "
        "ledger_postings WHERE subject LIKE 'agent:%' GROUP BY subject ORDER BY subject"
    );
    for (const auto& a : rows) {
        const std::string owner = a[0].as<std::string>();
        agents.push_back(
            {{"agent_id", owner.substr(6)},
             {"ledger_account_id", derived_id(owner)},
             // Cash the agent handed out for us: what we owe the agent until settled.
             {"owed_to_agent", lsl(-a[1].as<std::int64_t>())},
             {"unconfirmed", lsl(-a[2].as<std::int64_t>())},
             {"redeemed_vouchers", a[3].as<int>()}}
        );
    }
    const auto suspense = tx.exec1(
        "SELECT coalesce(sum(float_effect) FILTER (WHERE state = 'applied'), 0)::bigint, "
        "(SELECT count(*) FROM recon_breaks WHERE state = 'open') FROM ledger_postings WHERE "
        "kind = 'recon_break'"
    );
    return json{
        {"as_of", now_text()},
        {"partners", partners_out},
        {"agents", agents},
        {"suspense",
         {{"ledger_account_id", derived_id(kSuspenseOwner)},
          // Debits less credits of suspense: each break moves into suspense the opposite of
          // what it does to the float.
          {"balance", lsl(-suspense[0].as<std::int64_t>())},
          {"open_breaks", suspense[1].as<int>()}}}};
}

api::Reply PayoutService::Impl::answer_settlement(
    pqxx::dbtransaction& tx, const api::Request& request
) const {
    const std::string& op = request.operation;
    const std::string who =
        request.caller ? request.caller->role + ":" + request.caller->subject : "unknown";
    if (op == "getSettlementPositions") {
        return api::json(200, positions(tx));
    }
    if (op == "topUpPartnerFloat") {
        const json& body = request.body;
        const auto partner = mm::partner_from_string(api::text_of(body, "partner"));
        const json amount = body.contains("amount") ? body["amount"] : json::object();
        const auto minor = platform::parse_minor_units(api::text_of(amount, "amount"));
        const std::string reference = api::text_of(body, "reference");
        std::vector<api::FieldError> errors;
        if (!partner) {
            errors.push_back({"partner", "mpesa or ecocash"});
        }
        if (!minor || minor.value() <= 0) {
            errors.push_back({"amount.amount", "a positive amount with two decimals"});
        }
        if (api::text_of(amount, "currency") != "LSL") {
            errors.push_back({"amount.currency", "floats in Lesotho are in LSL"});
        }
        if (reference.empty() || reference.size() > 64) {
            errors.push_back({"reference", "the bank transfer's reference, 1 to 64 characters"});
        }
        if (!errors.empty()) {
            return api::unprocessable(errors);
        }
        const std::string owner = float_owner(*partner);
        const auto known = tx.exec_params(
            "SELECT float_effect FROM ledger_postings WHERE kind = 'top_up' AND subject = $1 AND "
            "reference = $2",
            owner,
            reference
        );
        const std::string posting_id = derived_id("top_up:" + owner + ":" + reference);
        const json answer{
            {"id", posting_id},
            {"partner", std::string{mm::to_string(*partner)}},
            {"amount", lsl(minor.value())},
            {"reference", reference}};
        if (!known.empty()) {
            if (known[0][0].as<std::int64_t>() != minor.value()) {
                return api::problem(
                    409,
                    "top-up-conflict",
                    "Conflict",
                    "a top-up with this reference was recorded with another amount"
                );
            }
            return api::json(200, answer);  // the same top-up again: recorded once
        }
        const std::string float_account =
            ensure_account(tx, owner, codes::kPartnerFloatAccount, "LSL");
        Posting p;
        p.key = "top_up:" + owner + ":" + reference;
        p.kind = "top_up";
        p.subject = owner;
        p.float_effect = minor.value();
        p.reference = reference;
        p.created_by = who;
        p.transfers = json::array(
            {{{"debit_account_id", float_account},
              {"credit_account_id", derived_id(kSettlementBankOwner)},
              {"amount", minor.value()},
              {"currency", "LSL"},
              {"code", codes::kTopUpTransfer},
              {"user_data_128", posting_id}}}
        );
        if (!post(tx, p)) {
            // A concurrent request with the same reference got there first: answer as it did.
            const auto raced = tx.exec_params(
                "SELECT float_effect FROM ledger_postings WHERE id = $1", derived_id(p.key)
            );
            if (raced.empty() || raced[0][0].as<std::int64_t>() != minor.value()) {
                return api::problem(
                    409,
                    "top-up-conflict",
                    "Conflict",
                    "a top-up with this reference was recorded with another amount"
                );
            }
            return api::json(200, answer);
        }
        spdlog::info(
            "payout: {} float topped up by {} ({}) by {}", owner, minor.value(), reference, who
        );
        return api::json(201, answer);
    }
    if (op == "startReconciliation") {
        const json& body = request.body;
        const std::string day = api::text_of(body, "date");
        const auto parsed = platform::parse_rfc3339(day + "T00:00:00Z");
        std::vector<api::FieldError> errors;
        if (day.size() != 10 || !parsed) {
            errors.push_back({"date", "a day, YYYY-MM-DD (UTC)"});
        } else if (*parsed > clock.now()) {
            errors.push_back({"date", "a day that has begun"});
        }
        std::vector<mm::PartnerId> chosen;
        if (body.contains("partner")) {
            const auto partner = mm::partner_from_string(api::text_of(body, "partner"));
            if (!partner) {
                errors.push_back({"partner", "mpesa or ecocash"});
            } else if (!partners.contains(*partner) || !partners.at(*partner)) {
                errors.push_back({"partner", "this partner is not configured here"});
            } else {
                chosen.push_back(*partner);
            }
        } else {
            for (const auto& [id, adapter] : partners) {
                if (adapter) {
                    chosen.push_back(id);
                }
            }
            if (chosen.empty()) {
                errors.push_back({"partner", "no partner is configured"});
            }
        }
        if (!errors.empty()) {
            return api::unprocessable(errors);
        }
        json runs = json::array();
        for (const auto id : chosen) {
            const std::string partner{mm::to_string(id)};
            tx.exec_params0(
                "INSERT INTO recon_runs (id, partner, day, state, requested_by, requested_at) "
                "VALUES ($1, $2, $3::date, 'queued', $4, $5) ON CONFLICT DO NOTHING",
                new_id(),
                partner,
                day,
                who,
                now_text()
            );
            // The new run, or the one already queued or running for that day.
            const auto row = tx.exec_params1(
                "SELECT " + run_columns() +
                    " FROM recon_runs WHERE partner = $1 AND day = $2::date ORDER BY "
                    "requested_at DESC, id DESC LIMIT 1",
                partner,
                day
            );
            runs.push_back(run_json(row));
        }
        return api::json(202, json{{"runs", runs}});
    }
    if (op == "listReconciliationRuns") {
        const std::string day = api::text_of(request.query, "date");
        if (!day.empty() && !platform::parse_rfc3339(day + "T00:00:00Z")) {
            return api::unprocessable({{"date", "a day, YYYY-MM-DD"}});
        }
        return keyset_page(
            tx,
            request,
            "SELECT " + run_columns() +
                ", (extract(epoch FROM requested_at) * 1000000)::bigint AS sort_key FROM "
                "recon_runs WHERE ($1 = '' OR day = nullif($1, '')::date) AND ($2 = '' OR partner "
                "= $2)",
            day,
            /*newest_first=*/true,
            [](const pqxx::row& r) { return run_json(r); }
        );
    }
    if (op == "getReconciliationRun") {
        const std::string id = api::text_of(request.path, "id");
        if (!platform::Id128::parse(id)) {
            return api::not_found("reconciliation run");
        }
        const auto rows =
            tx.exec_params("SELECT " + run_columns() + " FROM recon_runs WHERE id = $1", id);
        if (rows.empty()) {
            return api::not_found("reconciliation run");
        }
        json run = run_json(rows[0]);
        if (!run["final"].get<bool>()) {
            run["break_items"] = json::array();  // a report only: see `findings`
            return api::json(200, run);
        }
        const auto breaks = tx.exec_params(
            "SELECT " + break_columns() +
                " FROM recon_breaks WHERE partner = $1 AND day = $2::date ORDER BY found_at, id",
            run["partner"].get<std::string>(),
            run["date"].get<std::string>()
        );
        json items = json::array();
        for (const auto& b : breaks) {
            items.push_back(break_json(b, clock.now()));
        }
        run["break_items"] = items;
        return api::json(200, run);
    }
    if (op == "listReconciliationBreaks") {
        return keyset_page(
            tx,
            request,
            "SELECT " + break_columns() +
                ", (extract(epoch FROM found_at) * 1000000)::bigint AS sort_key FROM recon_breaks "
                "WHERE ($1 = '' OR state = $1) AND ($2 = '' OR partner = $2)",
            api::text_of(request.query, "state"),
            /*newest_first=*/false,
            [this](const pqxx::row& r) { return break_json(r, clock.now()); }
        );
    }
    if (op == "resolveReconciliationBreak") {
        const std::string id = api::text_of(request.path, "id");
        const std::string note = api::text_of(request.body, "note");
        if (note.empty() || note.size() > 1000) {
            return api::unprocessable({{"note", "how the break was resolved, 1 to 1000 characters"}}
            );
        }
        if (!platform::Id128::parse(id)) {
            return api::not_found("break");
        }
        const auto rows =
            tx.exec_params("SELECT state FROM recon_breaks WHERE id = $1 FOR UPDATE", id);
        if (rows.empty()) {
            return api::not_found("break");
        }
        if (rows[0][0].as<std::string>() != "open") {
            return api::problem(
                409, "break-resolved", "Conflict", "this break is resolved already"
            );
        }
        tx.exec_params0(
            "UPDATE recon_breaks SET state = 'resolved', resolved_at = $2, resolved_by = $3, "
            "resolution = $4 WHERE id = $1",
            id,
            now_text(),
            who,
            note
        );
        const auto row =
            tx.exec_params1("SELECT " + break_columns() + " FROM recon_breaks WHERE id = $1", id);
        return api::json(200, break_json(row, clock.now()));
    }
    return api::problem(404, "not-found", "Not found", "no such operation");
}

void PayoutService::Impl::check_float_alarms() {
    platform::with_transaction(*pool, [&](pqxx::work& tx) {
        const json now_positions = positions(tx);
        for (const auto& p : now_positions["partners"]) {
            if (!p["configured"].get<bool>()) {
                continue;
            }
            const std::string partner = p["partner"].get<std::string>();
            const auto available =
                platform::parse_minor_units(p["available"]["amount"].get<std::string>(), true);
            const auto floated =
                platform::parse_minor_units(p["float"]["amount"].get<std::string>(), true);
            const auto pending =
                platform::parse_minor_units(p["pending"]["amount"].get<std::string>(), true);
            if (!available || !floated || !pending) {
                continue;
            }
            if (available.value() < settings.low_float_minor) {
                const auto raised = tx.exec_params(
                    "INSERT INTO float_alarms (partner, raised_at, float, pending) VALUES ($1, $2, "
                    "$3, $4) ON CONFLICT (partner) DO NOTHING",
                    partner,
                    now_text(),
                    floated.value(),
                    pending.value()
                );
                if (raised.affected_rows() == 1) {
                    spdlog::error(
                        "payout: {} float low: {} available under the {} threshold; top it up",
                        partner,
                        available.value(),
                        settings.low_float_minor
                    );
                    outbox->enqueue(
                        tx,
                        bus::OutgoingMessage{
                            settings.event_stream,
                            std::string{messages::kFloatLow},
                            json{
                                {"partner", partner},
                                {"float_minor", floated.value()},
                                {"pending_minor", pending.value()},
                                {"threshold_minor", settings.low_float_minor}}
                                .dump(),
                            "",
                            ""}
                    );
                }
            } else {
                const auto cleared =
                    tx.exec_params("DELETE FROM float_alarms WHERE partner = $1", partner);
                if (cleared.affected_rows() == 1) {
                    spdlog::info("payout: {} float back above the threshold", partner);
                }
            }
        }
    });
}

void PayoutService::Impl::jobs_loop() {
    while (!stopping) {
        // Each job on its own: one that keeps failing must not stop the others.
        const std::pair<const char*, std::function<void()>> jobs_of_a_pass[] = {
            {"voucher expiry", [this] { (void)expire_vouchers(); }},
            {"reconciliation schedule", [this] { schedule_reconciliations(); }},
            {"reconciliation", [this] { (void)run_queued_reconciliations(); }},
            {"float alarms", [this] { check_float_alarms(); }},
            {"ledger resend", [this] { (void)resend_postings(); }}};
        for (const auto& [name, job] : jobs_of_a_pass) {
            try {
                job();
            } catch (const std::exception& e) {
                spdlog::error("payout job {}: {} (next pass retries)", name, e.what());
            }
        }
        std::unique_lock lock{jobs_mutex};
        jobs_cv.wait_for(lock, settings.jobs_interval, [this] { return stopping.load(); });
    }
}

void PayoutService::run_jobs_once() {
    auto& s = *impl_;
    s.expire_vouchers();
    s.schedule_reconciliations();
    s.run_queued_reconciliations();
    s.check_float_alarms();
    s.resend_postings();
}

}  // namespace chelete::payout
