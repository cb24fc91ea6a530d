// Reconciliation runs (docs/payout.md "Reconciliation"): each partner's statement of a UTC day
// against our payouts; breaks recorded once, their differences moved to the suspense account.
// The statement is fetched with no transaction open (never call a partner inside one).

#include <map>

#include "domain/reconciliation.hpp"
#include "payout_impl.hpp"

namespace chelete::payout {

namespace {

constexpr auto kStuckRun = std::chrono::minutes{10};
constexpr auto kRetryFailedRun = std::chrono::minutes{15};

std::string utc_day(platform::TimePoint t) {
    return platform::format_rfc3339(t).substr(0, 10);
}

int utc_hour(platform::TimePoint t) {
    return std::stoi(platform::format_rfc3339(t).substr(11, 2));
}

}  // namespace

void PayoutService::Impl::schedule_reconciliations() {
    const auto now = clock.now();
    if (utc_hour(now) < settings.reconcile_after_hour) {
        return;
    }
    const std::string yesterday = utc_day(now - std::chrono::hours{24});
    platform::with_transaction(*pool, [&](pqxx::work& tx) {
        // A run that died with its process goes back to the queue.
        tx.exec_params0(
            "UPDATE recon_runs SET state = 'queued' WHERE state = 'running' AND started_at < $1",
            platform::format_rfc3339(now - kStuckRun)
        );
        for (const auto& [id, partner] : partners) {
            if (!partner) {
                continue;
            }
            // Once a day per partner, until a run of the closed day is done (a report-only run
            // of the open day does not count); a failed run is tried again later.
            tx.exec_params0(
                "INSERT INTO recon_runs (id, partner, day, state, requested_by, requested_at) "
                "SELECT $1, $2, $3::date, 'queued', 'schedule', $4 WHERE NOT EXISTS (SELECT 1 "
                "FROM recon_runs WHERE partner = $2 AND day = $3::date AND ((state = 'done' AND "
                "final) OR state IN ('queued', 'running') OR (state = 'failed' AND requested_at > "
                "$5))) ON CONFLICT DO NOTHING",
                new_id(),
                std::string{mm::to_string(id)},
                yesterday,
                platform::format_rfc3339(now),
                platform::format_rfc3339(now - kRetryFailedRun)
            );
        }
    });
}

int PayoutService::Impl::run_queued_reconciliations() {
    int ran = 0;
    for (;;) {
        struct Claimed {
            std::string id;
            std::string partner;
            std::string day;
        };
        const auto claimed = platform::with_transaction(*pool, [&](pqxx::work& tx) {
            const auto rows = tx.exec_params(
                "UPDATE recon_runs SET state = 'running', started_at = $1 WHERE id = (SELECT id "
                "FROM recon_runs WHERE state = 'queued' ORDER BY requested_at LIMIT 1 FOR UPDATE "
                "SKIP LOCKED) RETURNING id::text, partner, day::text",
                now_text()
            );
            return rows.empty() ? std::optional<Claimed>{}
                                : std::optional<Claimed>{Claimed{
                                      rows[0][0].as<std::string>(),
                                      rows[0][1].as<std::string>(),
                                      rows[0][2].as<std::string>()}};
        });
        if (!claimed) {
            return ran;
        }
        const auto partner = mm::partner_from_string(claimed->partner);
        if (!partner) {
            throw std::logic_error("reconciliation run of an unknown partner: " + claimed->partner);
        }
        run_reconciliation(claimed->id, *partner, claimed->day);
        ++ran;
    }
}

void PayoutService::Impl::run_reconciliation(
    const std::string& run_id, mm::PartnerId partner_id, const std::string& day
) {
    const auto fail = [&](const std::string& error) {
        spdlog::error(
            "reconciliation {} of {} {}: {}", run_id, mm::to_string(partner_id), day, error
        );
        platform::with_transaction(*pool, [&](pqxx::work& tx) {
            tx.exec_params0(
                "UPDATE recon_runs SET state = 'failed', error = $2, finished_at = $3 WHERE id = "
                "$1",
                run_id,
                error.substr(0, 500),
                now_text()
            );
        });
    };
    const auto it = partners.find(partner_id);
    if (it == partners.end() || !it->second) {
        fail("the partner is not configured");
        return;
    }
    const auto day_start = platform::parse_rfc3339(day + "T00:00:00Z");
    if (!day_start) {
        fail("not a day: " + day);
        return;
    }
    const std::string previous = utc_day(*day_start - std::chrono::hours{24});
    // The day's statement is complete once the day is over and the partner had until the
    // reconcile hour to finish it; before that a run only reports.
    const bool final_run = clock.now() >= *day_start + std::chrono::hours{24} +
                                              std::chrono::hours{settings.reconcile_after_hour};
    auto today_lines = it->second->statement(day);
    if (!today_lines) {
        fail("the statement of " + day + " could not be read: " + today_lines.error());
        return;
    }
    auto previous_lines = it->second->statement(previous);
    if (!previous_lines) {
        fail("the statement of " + previous + " could not be read: " + previous_lines.error());
        return;
    }
    const std::string partner{mm::to_string(partner_id)};
    platform::with_transaction(*pool, [&](pqxx::work& tx) {
        ReconInput in;
        in.day_lines = std::move(today_lines.value());
        in.earlier_lines = std::move(previous_lines.value());
        std::vector<std::string> references;
        for (const auto* lines : {&in.day_lines, &in.earlier_lines}) {
            const bool today = lines == &in.day_lines;
            for (const auto& line : *lines) {
                references.push_back(line.reference);
                // Kept, so a payout learned paid days later is found on its day's statement.
                tx.exec_params0(
                    "INSERT INTO recon_lines (partner, day, reference, amount_minor, "
                    "transaction_id, completed_at) VALUES ($1, $2::date, $3, $4, $5, $6) ON "
                    "CONFLICT DO NOTHING",
                    partner,
                    today ? day : previous,
                    line.reference,
                    line.amount_minor,
                    line.transaction_id,
                    line.completed_at
                );
            }
        }
        // A closed day's statement settles what it shows paid that is still open here (an
        // outcome unknown for days, a partner that forgot the request it paid): the partner's own
        // record that the money left. It then reads as matched below.
        int settled = 0;
        if (final_run) {
            // Our payouts still open among the statements' references, in one query.
            std::map<std::string, std::pair<std::string, std::int64_t>> open;
            for (const auto& r : tx.exec_params(
                     "SELECT a.reference, a.remittance_id::text, p.amount_minor FROM attempts a "
                     "JOIN payouts p USING (remittance_id) WHERE a.partner = $1 AND a.reference = "
                     "ANY($2::text[]) AND p.state NOT IN ('paid', 'failed')",
                     partner,
                     pg_text_array(references)
                 )) {
                open.emplace(
                    r[0].as<std::string>(),
                    std::make_pair(r[1].as<std::string>(), r[2].as<std::int64_t>())
                );
            }
            for (const auto* lines : {&in.day_lines, &in.earlier_lines}) {
                for (const auto& line : *lines) {
                    // Not ours, final already, or paid for another amount: the comparison
                    // below says which.
                    const auto candidate = open.find(line.reference);
                    if (candidate != open.end() && candidate->second.second == line.amount_minor &&
                        settle_from_statement(
                            tx,
                            candidate->second.first,
                            line,
                            lines == &in.day_lines ? day : previous
                        )) {
                        ++settled;
                    }
                }
            }
        }
        const auto ours = tx.exec_params(
            "SELECT a.reference, a.remittance_id::text, p.amount_minor, p.state, "
            "coalesce(p.paid_reference, '') FROM attempts a JOIN payouts p USING "
            "(remittance_id) WHERE a.partner = $1 AND a.reference = ANY($2::text[])",
            partner,
            pg_text_array(references)
        );
        for (const auto& r : ours) {
            OurPayment o;
            o.reference = r[0].as<std::string>();
            o.remittance_id = r[1].as<std::string>();
            o.amount_minor = r[2].as<std::int64_t>();
            const std::string state = r[3].as<std::string>();
            if (state == "paid" && r[4].as<std::string>() == o.reference) {
                o.outcome = OurOutcome::kPaid;
            } else if (state == "paid" || state == "failed") {
                o.outcome = OurOutcome::kNotPaid;
            } else {
                o.outcome = OurOutcome::kInFlight;
            }
            in.ours_by_reference.emplace(o.reference, std::move(o));
        }
        const auto paid = tx.exec_params(
            "SELECT paid_reference, remittance_id::text, amount_minor FROM payouts WHERE state = "
            "'paid' AND method = $1 AND paid_at >= ($2::date)::timestamp AT TIME ZONE 'UTC' AND "
            "paid_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'",
            partner,
            day
        );
        std::vector<std::string> paid_references;
        for (const auto& r : paid) {
            in.ours_paid_on_day.push_back(OurPayment{
                r[0].as<std::string>(),
                r[1].as<std::string>(),
                r[2].as<std::int64_t>(),
                OurOutcome::kPaid});
            paid_references.push_back(r[0].as<std::string>());
        }
        // Paid days before we learned it (an outcome unknown for long): the line an earlier run
        // kept.
        const auto kept = tx.exec_params(
            "SELECT reference, amount_minor, transaction_id, completed_at FROM recon_lines WHERE "
            "partner = $1 AND day < $2::date - 1 AND reference = ANY($3::text[])",
            partner,
            day,
            pg_text_array(paid_references)
        );
        for (const auto& r : kept) {
            in.earlier_lines.push_back(mm::StatementLine{
                r[0].as<std::string>(),
                r[2].as<std::string>(),
                "",
                r[1].as<std::int64_t>(),
                r[3].as<std::string>()});
        }
        const ReconReport report = reconcile(in);
        const std::string now = now_text();
        int fresh = 0;
        json findings = json::array();
        for (const auto& b : report.breaks) {
            findings.push_back(
                {{"kind", std::string{to_string(b.kind)}},
                 {"reference", b.reference},
                 {"remittance_id", b.remittance_id.empty() ? json(nullptr) : json(b.remittance_id)},
                 {"our_minor", b.our_amount},
                 {"their_minor", b.their_amount},
                 {"partner_transaction_id", b.transaction_id}}
            );
        }
        for (const auto& b : report.breaks) {
            if (!final_run) {
                break;  // a report of an open day: nothing to suspense
            }
            const std::string break_id = new_id();
            const auto inserted = tx.exec_params(
                "INSERT INTO recon_breaks (id, run_id, partner, day, reference, kind, "
                "remittance_id, our_amount, their_amount, transaction_id, found_at) VALUES ($1, "
                "$2, $3, $4::date, $5, $6, nullif($7, '')::uuid, $8, $9, $10, $11) ON CONFLICT "
                "(partner, reference, kind) DO NOTHING",
                break_id,
                run_id,
                partner,
                day,
                b.reference,
                std::string{to_string(b.kind)},
                b.remittance_id,
                b.our_amount,
                b.their_amount,
                b.transaction_id,
                now
            );
            if (inserted.affected_rows() == 0) {
                continue;  // found by an earlier run: already in suspense
            }
            ++fresh;
            const std::int64_t effect = b.float_effect();
            if (effect == 0) {
                continue;
            }
            // Our float account follows the partner's statement; the difference waits in
            // suspense until finance resolves the break.
            const std::string float_account = derived_id(float_owner(partner_id));
            const std::string suspense = derived_id(kSuspenseOwner);
            Posting p;
            p.key = "recon_break:" + break_id;
            p.kind = "recon_break";
            p.subject = float_owner(partner_id);
            p.remittance_id = b.remittance_id;
            p.float_effect = effect;
            p.reference = b.reference;
            p.transfers = json::array(
                {{{"debit_account_id", effect > 0 ? float_account : suspense},
                  {"credit_account_id", effect > 0 ? suspense : float_account},
                  {"amount", effect > 0 ? effect : -effect},
                  {"currency", "LSL"},
                  {"code", codes::kBreakTransfer},
                  {"user_data_128", b.remittance_id.empty() ? derived_id(p.key) : b.remittance_id}}}
            );
            post(tx, p);
            tx.exec_params0(
                "UPDATE recon_breaks SET posting_id = $2 WHERE id = $1", break_id, derived_id(p.key)
            );
        }
        tx.exec_params0(
            "UPDATE recon_runs SET state = 'done', finished_at = $2, statement_lines = $3, "
            "matched = $4, in_flight = $5, missing_here = $6, missing_there = $7, "
            "amount_mismatch = $8, error = '', final = $9, findings = $10 WHERE id = $1",
            run_id,
            now,
            report.statement_lines,
            report.matched,
            report.in_flight,
            report.count(BreakKind::kMissingHere),
            report.count(BreakKind::kMissingThere),
            report.count(BreakKind::kAmountMismatch),
            final_run,
            findings.dump()
        );
        spdlog::info(
            "reconciliation of {} {} ({}): {} lines, {} matched ({} settled by it), {} in flight, "
            "{} breaks ({} new)",
            partner,
            day,
            final_run ? "final" : "report only",
            report.statement_lines,
            report.matched,
            settled,
            report.in_flight,
            report.breaks.size(),
            fresh
        );
    });
}

bool PayoutService::Impl::settle_from_statement(
    pqxx::transaction_base& tx,
    const std::string& remittance_id,
    const mm::StatementLine& line,
    const std::string& line_day
) {
    const auto locked = lock_payout(tx, remittance_id);
    const auto decision = locked ? after_statement(locked->facts, line_day) : std::nullopt;
    if (!decision) {
        return false;
    }
    log_attempt(
        tx,
        line.reference,
        "statement",
        "paid",
        "",
        decision->reason + " (partner transaction " + line.transaction_id + ")"
    );
    apply(tx, remittance_id, *locked, *decision, line.transaction_id, line.reference);
    return true;
}

}  // namespace chelete::payout
