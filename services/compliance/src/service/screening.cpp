// compliance.screen (one remittance decided under its sender's lock) and the events compliance
// consumes: remit.status_changed, remit.deposit_received and registry.trafficking_alert.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include <chelete/platform/random_ids.hpp>

#include "domain/decision.hpp"
#include "domain/reports.hpp"
#include "service/context.hpp"

namespace chelete::compliance::detail {
namespace {

/// The longest name compliance accepts (the watchlist's own limit).
constexpr std::size_t kMaxNameBytes = 200;

struct ScreenInput {
    std::string remittance_id;
    std::string sender_id;
    std::string beneficiary_id;
    Tier tier = Tier::kBasic;
    std::string sender_name;
    std::optional<platform::Date> sender_date_of_birth;
    std::string beneficiary_name;
    std::int64_t amount_minor = 0;
    std::string payout_method;
    platform::TimePoint requested_at;
};

/// A uuid member, canonical; records a problem otherwise.
std::string uuid_member(
    const json& object, const char* key, const std::string& where, std::vector<std::string>& bad
) {
    auto id = canonical_uuid(text_of(object, key));
    if (!id) {
        bad.push_back(where + " must be a uuid");
        return {};
    }
    return *id;
}

std::string name_member(
    const json& object, const char* key, const std::string& where, std::vector<std::string>& bad
) {
    std::string name = text_of(object, key);
    if (name.empty() || name.size() > kMaxNameBytes || has_control(name) || trim(name).empty()) {
        bad.push_back(where + " must be a name of 1 to 200 bytes without control characters");
    }
    return name;
}

std::optional<ScreenInput> parse_screen(const json& p, std::vector<std::string>& bad) {
    if (!p.is_object()) {
        bad.emplace_back("the payload is not a JSON object");
        return std::nullopt;
    }
    ScreenInput in;
    in.remittance_id = uuid_member(p, "remittance_id", "remittance_id", bad);
    const json sender = object_of(p, "sender");
    if (sender.is_null()) {
        bad.emplace_back("sender must be an object");
    } else {
        in.sender_id = uuid_member(sender, "id", "sender.id", bad);
        const auto tier = tier_from(text_of(sender, "kyc_tier"));
        if (!tier) {
            bad.emplace_back("sender.kyc_tier must be restricted, basic, standard or enhanced");
        } else {
            in.tier = *tier;
        }
        in.sender_name = name_member(sender, "full_name", "sender.full_name", bad);
        const auto dob = sender.find("date_of_birth");
        if (dob != sender.end() && !dob->is_null()) {
            const auto date =
                dob->is_string() ? platform::parse_date(dob->get<std::string>()) : std::nullopt;
            if (!date) {
                bad.emplace_back("sender.date_of_birth must be YYYY-MM-DD or null");
            }
            in.sender_date_of_birth = date;
        }
    }
    const json beneficiary = object_of(p, "beneficiary");
    if (beneficiary.is_null()) {
        bad.emplace_back("beneficiary must be an object");
    } else {
        in.beneficiary_id = uuid_member(beneficiary, "id", "beneficiary.id", bad);
        in.beneficiary_name = name_member(beneficiary, "full_name", "beneficiary.full_name", bad);
    }
    const auto amount = integer_of(p, "send_amount_minor");
    if (!amount || *amount < 1 || *amount > kMaxConfiguredMinor) {
        bad.emplace_back("send_amount_minor must be an integer from 1 to 1000000000000 (cents)");
    } else {
        in.amount_minor = *amount;
    }
    in.payout_method = text_of(p, "payout_method");
    if (in.payout_method != "mpesa" && in.payout_method != "ecocash" &&
        in.payout_method != "cash_pickup") {
        bad.emplace_back("payout_method must be mpesa, ecocash or cash_pickup");
    }
    const auto at = platform::parse_rfc3339(text_of(p, "requested_at"));
    if (!at) {
        bad.emplace_back("requested_at must be an RFC 3339 date-time");
    } else {
        in.requested_at = *at;
    }
    if (!bad.empty()) {
        return std::nullopt;
    }
    return in;
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) {
        out += out.empty() ? "" : "; ";
        out += part;
    }
    return out;
}

std::string ts(platform::TimePoint t) {
    return platform::format_rfc3339(t);
}

json matches_json(const std::vector<Match>& matches) {
    json out = json::array();
    for (const Match& m : matches) {
        out.push_back({
            {"entry_id", m.entry_id},
            {"list", to_string(m.list)},
            {"reference", m.reference},
            {"matched_name", m.matched_name},
            {"via_alias", m.via_alias},
            {"exact_name", m.exact_name},
            {"name_score", m.name_score},
            {"score", m.score},
            {"dob", to_string(m.dob)},
        });
    }
    return out;
}

void record_state(
    pqxx::transaction_base& tx,
    const std::string& remittance_id,
    const std::string& state,
    std::string_view source,
    const std::string& at
) {
    tx.exec_params0(
        "INSERT INTO screening_states (remittance_id, state, source, at) VALUES ($1, $2, $3, "
        "$4::timestamptz)",
        remittance_id,
        state,
        std::string{source},
        at
    );
}

void record_flag(
    pqxx::transaction_base& tx,
    const ReportFlag& flag,
    std::string_view reference_type,
    const std::string& reference_id,
    const std::string& subject_id,
    const json& details,
    const std::string& at
) {
    tx.exec_params0(
        "INSERT INTO threshold_flags (id, kind, reference_type, reference_id, subject_id, "
        "amount_minor, threshold_minor, details, at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
        "$8::jsonb, $9::timestamptz) ON CONFLICT (kind, reference_type, reference_id) DO NOTHING",
        platform::new_uuid(),
        std::string{to_string(flag.kind)},
        std::string{reference_type},
        reference_id,
        subject_id,
        flag.amount_minor,
        flag.threshold_minor,
        details.dump(),
        at
    );
}

// ---- events ------------------------------------------------------------------------------------

bool is_terminal(std::string_view state) {
    return state == "rejected" || state == "cancelled" || state == "refunded";
}

void on_status_changed(const Context& ctx, pqxx::dbtransaction& tx, const json& p) {
    const auto remittance_id = canonical_uuid(text_of(p, "remittance_id"));
    const std::string status = text_of(p, "status");
    const bool status_ok =
        !status.empty() && status.size() <= 40 &&
        status.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
    if (!remittance_id || !status_ok) {
        spdlog::warn("compliance: remit.status_changed ignored: malformed payload");
        return;
    }
    const auto at_parsed = platform::parse_rfc3339(text_of(p, "at"));
    const std::string at = ts(at_parsed.value_or(ctx.clock.now()));
    // Only a screening that still counts changes: rejected, cancelled and refunded are final
    // here, so a late or repeated event cannot make a remittance count again.
    const auto changed = tx.exec_params(
        "UPDATE screenings SET state = $2, state_at = $3::timestamptz WHERE remittance_id = $1 "
        "AND counts AND state <> $2 RETURNING 1",
        *remittance_id,
        status,
        at
    );
    if (changed.empty()) {
        if (is_terminal(status) &&
            tx.exec_params("SELECT 1 FROM screenings WHERE remittance_id = $1", *remittance_id)
                .empty()) {
            // Not screened yet: the final state overtook the screen request. Kept for it.
            tx.exec_params0(
                "INSERT INTO early_final_states (remittance_id, state, at) VALUES ($1, $2, "
                "$3::timestamptz) ON CONFLICT (remittance_id) DO NOTHING",
                *remittance_id,
                status,
                at
            );
        }
        return;  // an unknown remittance, or nothing new
    }
    record_state(tx, *remittance_id, status, "remit.status_changed", at);
    if (is_terminal(status)) {
        spdlog::info(
            "compliance: remittance {} is {}, it no longer counts towards limits",
            *remittance_id,
            status
        );
    }
}

void on_deposit_received(const Context& ctx, pqxx::dbtransaction& tx, const json& p) {
    const auto deposit_id = canonical_uuid(text_of(p, "deposit_id"));
    const auto worker_id = canonical_uuid(text_of(p, "worker_id"));
    const std::string agent_id = text_of(p, "agent_id");
    const auto amount = integer_of(p, "amount_minor");
    if (!deposit_id || !worker_id || agent_id.size() > 64 || has_control(agent_id) || !amount ||
        *amount < 1) {
        spdlog::warn("compliance: remit.deposit_received ignored: malformed payload");
        return;
    }
    const auto at_parsed = platform::parse_rfc3339(text_of(p, "at"));
    const std::string at = ts(at_parsed.value_or(ctx.clock.now()));
    ReportableAmounts amounts;
    amounts.cash_received_minor = *amount;
    for (const ReportFlag& flag : threshold_reports(amounts, ctx.policy.reports)) {
        record_flag(tx, flag, "deposit", *deposit_id, *worker_id, {{"agent_id", agent_id}}, at);
        spdlog::info("compliance: deposit {}: {}", *deposit_id, describe(flag));
    }
}

void on_trafficking_alert(const Context& ctx, pqxx::dbtransaction& tx, const json& p) {
    const auto complaint_id = canonical_uuid(text_of(p, "complaint_id"));
    const auto agency_id = canonical_uuid(text_of(p, "agency_id"));
    const auto worker_id = canonical_uuid(text_of(p, "worker_id"));
    const std::string tracking_no = text_of(p, "tracking_no");
    if (!complaint_id || !agency_id || !worker_id || tracking_no.empty() ||
        tracking_no.size() > 64 || has_control(tracking_no)) {
        spdlog::warn("compliance: registry.trafficking_alert ignored: malformed payload");
        return;
    }
    const json reasons = json::array({json{
        {"code", "trafficking_indicator"},
        {"text",
         "complaint " + tracking_no + " by worker " + *worker_id + " about agency " + *agency_id +
             " reports a trafficking indicator"}}});
    const json alert{
        {"complaint_id", *complaint_id},
        {"tracking_no", tracking_no},
        {"agency_id", *agency_id},
        {"worker_id", *worker_id}};
    const std::string case_id = platform::new_uuid();
    const auto inserted = tx.exec_params(
        "INSERT INTO cases (id, kind, reasons, complaint_id, alert, opened_at) VALUES ($1, "
        "'trafficking_alert', $2::jsonb, $3, $4::jsonb, $5::timestamptz) ON CONFLICT "
        "(complaint_id) DO NOTHING RETURNING 1",
        case_id,
        reasons.dump(),
        *complaint_id,
        alert.dump(),
        ts(ctx.clock.now())
    );
    if (!inserted.empty()) {
        spdlog::info("compliance: trafficking alert {} opened case {}", tracking_no, case_id);
    }
}

}  // namespace

// ---- screening ---------------------------------------------------------------------------------

std::optional<json> screen_remittance(const Context& ctx, pqxx::dbtransaction& tx, const json& p) {
    std::vector<std::string> bad;
    const auto parsed = parse_screen(p, bad);
    if (!parsed) {
        // A poison message: logged and dropped, so it neither blocks the stream nor goes to the
        // dead letters. Nothing is written and nothing is published (docs/compliance.md).
        const std::string id = text_of(p, "remittance_id");
        spdlog::error(
            "compliance.screen for remittance '{}' dropped, malformed: {}",
            id.size() <= 64 ? id : id.substr(0, 64),
            join(bad)
        );
        return std::nullopt;
    }
    const ScreenInput& in = *parsed;

    // One sender at a time: two screenings of one sender never both see the old sums.
    tx.exec_params(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", ctx.sender_lock_key(in.sender_id)
    );
    const auto existing = tx.exec_params(
        "SELECT result::text FROM screenings WHERE remittance_id = $1", in.remittance_id
    );
    if (!existing.empty()) {
        // Screened before: the stored outcome again, nothing else.
        auto result = json::parse(existing[0][0].as<std::string>());
        ctx.publish(tx, messages::kScreened, result);
        spdlog::info(
            "compliance: remittance {} screened before, outcome {} published again",
            in.remittance_id,
            text_of(result, "outcome")
        );
        return result;
    }

    // What the sender has used (every screening that still counts, this one not yet stored) and
    // the recent remittances for velocity and structuring.
    const LimitWindows windows = limit_windows(in.requested_at);
    const auto sums = tx.exec_params1(
        "SELECT COALESCE(SUM(amount_minor) FILTER (WHERE requested_at > $2::timestamptz), "
        "0)::bigint, COALESCE(SUM(amount_minor) FILTER (WHERE requested_at >= $3::timestamptz), "
        "0)::bigint FROM screenings WHERE sender_id = $1 AND counts AND requested_at >= "
        "LEAST($2::timestamptz, $3::timestamptz)",
        in.sender_id,
        ts(windows.day_from),
        ts(windows.month_from)
    );
    Request request;
    request.sender_name = in.sender_name;
    request.sender_date_of_birth = in.sender_date_of_birth;
    request.tier = in.tier;
    request.beneficiary_name = in.beneficiary_name;
    request.remittance = Transfer{in.amount_minor, in.requested_at};
    request.used_today_minor = sums[0].as<std::int64_t>();
    request.used_this_month_minor = sums[1].as<std::int64_t>();
    const auto since = in.requested_at - lookback(ctx.policy);
    for (const auto& row : tx.exec_params(
             "SELECT amount_minor, " + epoch_ms_sql("requested_at") +
                 " FROM screenings WHERE sender_id = $1 AND counts AND requested_at > "
                 "$2::timestamptz ORDER BY requested_at, id",
             in.sender_id,
             ts(since)
         )) {
        request.recent.push_back(Transfer{
            row[0].as<std::int64_t>(), platform::from_unix_ms(row[1].as<std::int64_t>())});
    }

    const Decision decision = decide(request, ctx.watchlist->list, ctx.policy);
    const std::string outcome{to_string(decision.outcome)};
    const json reasons = reasons_json(decision.reasons);
    const std::string now = ts(ctx.clock.now());

    json case_id = nullptr;
    if (decision.open_case) {
        case_id = platform::new_uuid();
        tx.exec_params0(
            "INSERT INTO cases (id, kind, remittance_id, sender_id, amount_minor, reasons, "
            "opened_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::timestamptz)",
            case_id.get<std::string>(),
            std::string{
                decision.outcome == Outcome::kHeld ? "held_remittance" : "attempted_remittance"},
            in.remittance_id,
            in.sender_id,
            in.amount_minor,
            reasons.dump(),
            now
        );
    }
    const json result{
        {"remittance_id", in.remittance_id},
        {"outcome", outcome},
        {"reasons", reasons},
        {"case_id", case_id}};
    tx.exec_params0(
        "INSERT INTO screenings (id, remittance_id, sender_id, beneficiary_id, tier, amount_minor, "
        "payout_method, requested_at, request, outcome, reasons, sender_matches, "
        "beneficiary_matches, used_today_minor, used_month_minor, available_minor, recent_count, "
        "watchlist_version, case_id, result, screened_at, state, state_at) VALUES ($1, $2, $3, "
        "$4, $5, $6, $7, $8::timestamptz, $9::jsonb, $10, $11::jsonb, $12::jsonb, $13::jsonb, "
        "$14, $15, $16, $17, $18, NULLIF($19, '')::uuid, $20::jsonb, $21::timestamptz, $10, "
        "$21::timestamptz)",
        platform::new_uuid(),
        in.remittance_id,
        in.sender_id,
        in.beneficiary_id,
        std::string{to_string(in.tier)},
        in.amount_minor,
        in.payout_method,
        ts(in.requested_at),
        p.dump(),
        outcome,
        reasons.dump(),
        matches_json(decision.sender_matches).dump(),
        matches_json(decision.beneficiary_matches).dump(),
        request.used_today_minor,
        request.used_this_month_minor,
        decision.limits.available_minor,
        static_cast<std::int64_t>(request.recent.size()),
        ctx.watchlist->version,
        case_id.is_null() ? std::string{} : case_id.get<std::string>(),
        result.dump(),
        now
    );
    record_state(tx, in.remittance_id, outcome, "screening", now);
    // A final state that arrived first (a cancel during screening): the remittance never counts.
    const auto early = tx.exec_params(
        "DELETE FROM early_final_states WHERE remittance_id = $1 RETURNING state, "
        "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
        in.remittance_id
    );
    if (!early.empty()) {
        tx.exec_params0(
            "UPDATE screenings SET state = $2, state_at = $3::timestamptz WHERE remittance_id = $1",
            in.remittance_id,
            early[0][0].as<std::string>(),
            early[0][1].as<std::string>()
        );
        record_state(
            tx,
            in.remittance_id,
            early[0][0].as<std::string>(),
            "remit.status_changed",
            early[0][1].as<std::string>()
        );
    }
    // IFTR: an obligation once money moves, so not for a rejected remittance (none moves).
    if (decision.outcome != Outcome::kRejected) {
        for (const ReportFlag& flag : decision.reports) {
            record_flag(
                tx,
                flag,
                "remittance",
                in.remittance_id,
                in.sender_id,
                json::object(),
                ts(in.requested_at)
            );
        }
    }
    ctx.publish(tx, messages::kScreened, result);
    spdlog::info(
        "compliance: remittance {} {} ({} reasons{})",
        in.remittance_id,
        outcome,
        decision.reasons.size(),
        case_id.is_null() ? std::string{} : ", case " + case_id.get<std::string>()
    );
    return result;
}

void apply_event(
    const Context& ctx, pqxx::dbtransaction& tx, std::string_view type, const json& payload
) {
    if (type == messages::kRemitStatusChanged) {
        on_status_changed(ctx, tx, payload);
    } else if (type == messages::kRemitDepositReceived) {
        on_deposit_received(ctx, tx, payload);
    } else if (type == messages::kTraffickingAlert) {
        on_trafficking_alert(ctx, tx, payload);
    }
    // Other event types are not compliance's concern.
}

}  // namespace chelete::compliance::detail
