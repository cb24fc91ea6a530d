// The saga's answers to the ledger's replies against a real PostgreSQL, without the bus, so that
// each test chooses the order in which replies are handled. Several consumers (and instances)
// share the reply stream, so any order of two replies can happen; the end-to-end tests play only
// the orders a real ledger produces on one machine.
#include <algorithm>

#include <gtest/gtest.h>

#include <chelete/remittance/service.hpp>
#include <chelete/testing/env.hpp>

#include "domain/pricing.hpp"
#include "service/context.hpp"

namespace chelete::remittance {
namespace {

using nlohmann::json;
namespace api = platform::api;

class SagaPgTest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        schema_ = testing::unique_name("remit_t");
        platform::MapEnvironment env{
            {"CHELETE_PG_DSN", *testing::pg_dsn()}, {"CHELETE_REMIT_SCHEMA", schema_}};
        platform::ConfigReader reader{env};
        platform_ = platform::PlatformSettings::load(reader);
        settings_ = RemittanceSettings::load(reader);
        reader.finish();
        RemittanceService{platform_, settings_, clock_}.migrate();

        PricingSettings p;
        p.fee_schedule = settings_.fee_schedule;
        p.send_limits = SendLimits{settings_.send_min_minor, settings_.send_max_minor};
        p.payout_fees = settings_.payout_fees;
        p.rates = settings_.rates;
        auto pricing = make_pricing_config(p);
        ASSERT_TRUE(pricing) << pricing.error().message;
        pricing_.emplace(std::move(pricing.value()));
        outbox_ = std::make_unique<platform::bus::Outbox>(schema_);
        // Never started: the saga steps under test only write to the outbox.
        bus_ = std::make_unique<platform::bus::BusClient>(platform_.bus, "remit.replies.pgtest");
    }
    void TearDown() override {
        if (testing::pg_dsn()) {
            pqxx::connection c{*testing::pg_dsn()};
            pqxx::work tx{c};
            tx.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
            tx.commit();
        }
    }

    [[nodiscard]] detail::Context context() const {
        return detail::Context{settings_, *pricing_, clock_, *outbox_, *bus_};
    }

    /// Runs `step` in one committed transaction on the test's schema, as a consumer does.
    template <typename Step>
    void in_transaction(Step&& step) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::work tx{c};
        tx.exec("SET search_path TO " + schema_);
        step(tx);
        tx.commit();
    }

    /// An approved remittance whose reservation has been asked of the ledger (what the
    /// compliance approval leaves): R500.00 with a R20.00 fee. Returns its id.
    std::string approved_remittance_reserving() {
        const std::string id = derived_id("remittance:" + schema_);
        const std::string quote = derived_id("quote:" + schema_);
        const std::string sender = derived_id("sender:" + schema_);
        const std::string now = platform::format_rfc3339(clock_.now());
        in_transaction([&](pqxx::work& tx) {
            tx.exec_params0(
                "INSERT INTO quotes (id, worker_id, basis, requested_minor, payout_method, "
                "send_minor, fee_minor, receive_minor, fee_flat, fee_percentage, fee_payout, "
                "rate_numerator, rate_denominator, issued_at, expires_at, state, used_by) VALUES "
                "($1, $2, 'send_amount', 50000, 'mpesa', 50000, 2000, 48000, 1000, 1000, 0, 1, "
                "1, $3, $3, 'used', $4)",
                quote,
                sender,
                now,
                id
            );
            tx.exec_params0(
                "INSERT INTO remittances (id, sender_id, idempotency_key, quote_id, sender_name, "
                "sender_kyc_tier, beneficiary_id, beneficiary_name, beneficiary_phone, "
                "payout_method, send_minor, fee_minor, receive_minor, purpose, source_of_funds, "
                "status, wallet_account_id, reserve_transfer_id, reserve_fee_transfer_id, "
                "ledger_state, payout_reference, created_at, updated_at) VALUES ($1, $2, 'k1', "
                "$3, 'Lerato Nthane', 'standard', $4, 'Mpho Nthane', '+26658000001', 'mpesa', "
                "50000, 2000, 48000, '401', 'salary', 'approved', $5, $6, $7, "
                "'reserve_requested', 'CHL-PGTEST', $8, $8)",
                id,
                sender,
                quote,
                derived_id("beneficiary:" + schema_),
                wallet_account_id(sender),
                derived_id("reserve:" + id),
                derived_id("reserve-fee:" + id),
                now
            );
        });
        return id;
    }

    /// The sender cancels: the status is final and the void goes to the ledger.
    void cancel(const std::string& id) {
        in_transaction([&](pqxx::work& tx) {
            const auto result = detail::apply_event(
                context(), tx, id, RemittanceEvent::kCancel, {"cancelled by the sender", "sender"}
            );
            ASSERT_TRUE(result) << result.error().message;
        });
    }

    /// The ledger's reply to a create_transfers command, handled by the saga as a consumer does.
    void ledger_replies(const std::vector<std::pair<std::string, std::string>>& results) {
        json body{{"results", json::array()}};
        for (const auto& [transfer_id, result] : results) {
            body["results"].push_back({{"id", transfer_id}, {"result", result}});
        }
        platform::bus::Message m;
        m.stream = settings_.saga.ledger_replies;
        m.type = "ledger.create_transfers.reply";
        m.payload = api::json(200, body).to_payload();
        in_transaction([&](pqxx::work& tx) { detail::on_ledger_reply(context(), tx, m); });
    }

    void reservation_lands(const std::string& id) {
        ledger_replies(
            {{derived_id("reserve:" + id), "ok"}, {derived_id("reserve-fee:" + id), "ok"}}
        );
    }
    void void_finds_nothing(const std::string& id) {
        ledger_replies(
            {{derived_id("void:" + id), "pending_transfer_not_found"},
             {derived_id("void-fee:" + id), "linked_event_failed"}}
        );
    }

    [[nodiscard]] std::string text(const std::string& sql, const std::string& param) {
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        tx.exec("SET search_path TO " + schema_);
        const auto r = tx.exec_params1(sql, param);
        return r[0].is_null() ? std::string{"(null)"} : r[0].as<std::string>();
    }
    [[nodiscard]] std::string ledger_state(const std::string& id) {
        return text("SELECT ledger_state FROM remittances WHERE id = $1", id);
    }
    [[nodiscard]] std::string status(const std::string& id) {
        return text("SELECT status FROM remittances WHERE id = $1", id);
    }

    /// The void_pending_transfer commands sent to the ledger for the remittance, in order: the
    /// pending ids and transfer ids of each, as "id->pending_id" strings.
    [[nodiscard]] std::vector<std::string> voids_sent() {
        std::vector<std::string> out;
        pqxx::connection c{*testing::pg_dsn()};
        pqxx::read_transaction tx{c};
        tx.exec("SET search_path TO " + schema_);
        for (const auto& r : tx.exec_params(
                 "SELECT payload FROM outbox WHERE stream = $1 AND type = "
                 "'ledger.create_transfers' ORDER BY id",
                 settings_.saga.ledger_command
             )) {
            const json command = json::parse(r[0].as<std::string>());
            for (const auto& t : command["transfers"]) {
                const auto flags = t.value("flags", json::array());
                if (std::find(flags.begin(), flags.end(), "void_pending_transfer") != flags.end()) {
                    out.push_back(t.value("id", "") + "->" + t.value("pending_id", std::string{}));
                }
            }
        }
        return out;
    }

    std::string schema_;
    platform::PlatformSettings platform_;
    RemittanceSettings settings_;
    platform::ManualClock clock_{std::chrono::system_clock::now()};
    std::optional<PricingConfig> pricing_;
    std::unique_ptr<platform::bus::Outbox> outbox_;
    std::unique_ptr<platform::bus::BusClient> bus_;
};

// The ledger applied the cancel's void before the reservation (a consumer died holding the
// reservation), and the saga handles the two replies in that order: the late void follows the
// reservation's reply.
TEST_F(SagaPgTest, VoidThatFoundNothingThenReservationSendsTheLateVoid) {
    const std::string id = approved_remittance_reserving();
    cancel(id);
    EXPECT_EQ(ledger_state(id), "void_requested");

    void_finds_nothing(id);
    EXPECT_EQ(ledger_state(id), "voided_nothing_pending");
    reservation_lands(id);

    EXPECT_EQ(ledger_state(id), "void_late_requested");
    EXPECT_EQ(status(id), "cancelled");
    const std::vector<std::string> expected{
        derived_id("void:" + id) + "->" + derived_id("reserve:" + id),
        derived_id("void-fee:" + id) + "->" + derived_id("reserve-fee:" + id),
        derived_id("void-late:" + id) + "->" + derived_id("reserve:" + id),
        derived_id("void-late-fee:" + id) + "->" + derived_id("reserve-fee:" + id)};
    EXPECT_EQ(voids_sent(), expected);
}

// The same ledger order, but the two replies handled the other way round (two consumers took
// them; the reservation's committed first). The reservation's reply finds void_requested; the
// void's reply must still know the reservation is held and void it late, or the sender's money
// stays held for ever. Before reservation_landed this ended in voided_nothing_pending with the
// reservation pending.
TEST_F(SagaPgTest, ReservationRepliedBeforeTheVoidThatFoundNothingIsStillVoidedLate) {
    const std::string id = approved_remittance_reserving();
    cancel(id);

    reservation_lands(id);
    EXPECT_EQ(ledger_state(id), "void_requested");
    void_finds_nothing(id);

    EXPECT_EQ(ledger_state(id), "void_late_requested");
    EXPECT_EQ(status(id), "cancelled");
    EXPECT_EQ(
        text("SELECT settle_transfer_id::text FROM remittances WHERE id = $1", id),
        derived_id("void-late:" + id)
    );
    ASSERT_EQ(voids_sent().size(), 4U);
    EXPECT_EQ(voids_sent()[2], derived_id("void-late:" + id) + "->" + derived_id("reserve:" + id));

    // The late void's answer closes it; a duplicate of either earlier reply changes nothing.
    ledger_replies(
        {{derived_id("void-late:" + id), "ok"}, {derived_id("void-late-fee:" + id), "ok"}}
    );
    EXPECT_EQ(ledger_state(id), "voided");
    reservation_lands(id);
    void_finds_nothing(id);
    EXPECT_EQ(ledger_state(id), "voided");
    EXPECT_EQ(voids_sent().size(), 4U);
}

// A reservation the ledger refused holds nothing: its reply, in either order with a void that
// found nothing, leaves voided_nothing_pending and sends no late void.
TEST_F(SagaPgTest, RefusedReservationAndAVoidThatFoundNothingLeaveNothingToVoid) {
    const std::string id = approved_remittance_reserving();
    cancel(id);
    ledger_replies(
        {{derived_id("reserve:" + id), "exceeds_credits"},
         {derived_id("reserve-fee:" + id), "linked_event_failed"}}
    );
    void_finds_nothing(id);
    EXPECT_EQ(ledger_state(id), "voided_nothing_pending");
    EXPECT_EQ(voids_sent().size(), 2U);
}

// The normal order: the reservation lands before the void, which finds and voids it.
TEST_F(SagaPgTest, VoidThatFindsTheReservationRecordsVoided) {
    const std::string id = approved_remittance_reserving();
    cancel(id);
    reservation_lands(id);
    ledger_replies({{derived_id("void:" + id), "ok"}, {derived_id("void-fee:" + id), "ok"}});
    EXPECT_EQ(ledger_state(id), "voided");
    EXPECT_EQ(voids_sent().size(), 2U);
}

}  // namespace
}  // namespace chelete::remittance
