#include <gtest/gtest.h>

#include <chelete/central_bank/records.hpp>

namespace chelete::central_bank {
namespace {

using nlohmann::json;

/// remit.completed as services/remittance/src/service/completion_event.cpp writes it.
json event() {
    return json::parse(R"({
        "remittance_id": "0b7e2f3c-1d2a-4c5b-9e8f-7a6b5c4d3e2f",
        "reference": "0b7e2f3c1d2a4c5b9e8f7a6b5c4d3e2f",
        "status": "paid",
        "reason": "paid out",
        "created_at": "2026-03-02T07:55:00.000Z",
        "completed_at": "2026-03-02T08:00:00.123Z",
        "send_amount": {"amount_minor": 50000, "currency": "ZAR"},
        "fee": {"amount_minor": 1500, "currency": "ZAR"},
        "receive_amount": {"amount_minor": 48500, "currency": "LSL"},
        "rate": "1/1",
        "purpose": "bop_417",
        "bop_category": "417",
        "source_of_funds": "salary",
        "payout": {"method": "mpesa", "reference": "0b7e2f3c1d2a4c5b9e8f7a6b5c4d3e2f",
                   "partner_reference": null},
        "compliance_case_id": null,
        "sender": {"id": "11111111-1111-4111-8111-111111111111", "full_name": "Thabo Mokoena",
                   "date_of_birth": "1990-04-01", "kyc_tier": "basic", "phone": "+27821234567",
                   "nationality": "LS", "id_type": "foreign_passport",
                   "id_number_masked": "*****4567", "employer_name": null, "address": null,
                   "gender": null, "country": "ZA"},
        "beneficiary": {"id": "22222222-2222-4222-8222-222222222222",
                        "full_name": "Mpho Mokoena", "phone": "+26658123456",
                        "relationship": "mother", "national_id_masked": null, "district": null,
                        "country": "LS"}
    })");
}

TEST(CompletedEvent, ParsesTheRemittanceServicesEvent) {
    const auto r = parse_completed_event(event().dump());
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->status, "paid");
    EXPECT_EQ(r->send_minor, 50'000);
    EXPECT_EQ(r->fee_minor, 1'500);
    EXPECT_EQ(r->receive_minor, 48'500);
    EXPECT_EQ(r->transfer_minor(), 48'500);
    EXPECT_EQ(r->bop_category, "417");
    EXPECT_EQ(r->payout_method, "mpesa");
    EXPECT_EQ(r->sender.id_number_masked, "*****4567");
    EXPECT_EQ(r->sender.address, "");
    EXPECT_EQ(r->beneficiary.relationship, "mother");
    EXPECT_EQ(platform::format_rfc3339(r->completed_at), "2026-03-02T08:00:00.123Z");
}

TEST(CompletedEvent, RoundTripsThroughItsJson) {
    const auto first = parse_completed_event(event().dump());
    ASSERT_TRUE(first);
    const auto again = parse_completed_event(completed_event_json(first.value()).dump());
    ASSERT_TRUE(again) << again.error();
    EXPECT_EQ(first.value(), again.value());
}

TEST(CompletedEvent, RefusesMalformedPayloadsNamingTheMember) {
    const auto refused = [](const std::function<void(json&)>& change) {
        json e = event();
        change(e);
        const auto r = parse_completed_event(e.dump());
        return r ? std::string{"accepted"} : r.error();
    };
    EXPECT_EQ(parse_completed_event("{").error(), "the payload is not JSON");
    EXPECT_EQ(parse_completed_event("[]").error(), "the payload: must be an object");
    EXPECT_EQ(refused([](json& e) { e.erase("remittance_id"); }), "remittance_id: is required");
    EXPECT_EQ(refused([](json& e) { e["remittance_id"] = "r1"; }), "remittance_id: must be a uuid");
    EXPECT_EQ(
        refused([](json& e) { e["status"] = "payout_pending"; }),
        "status: must be paid, refunded, cancelled or rejected"
    );
    EXPECT_EQ(
        refused([](json& e) { e["send_amount"]["amount_minor"] = 500.0; }),
        "send_amount.amount_minor: must be an integer"
    );
    EXPECT_EQ(
        refused([](json& e) { e["send_amount"]["amount_minor"] = "50000"; }),
        "send_amount.amount_minor: must be an integer"
    );
    EXPECT_EQ(
        refused([](json& e) { e["send_amount"]["amount_minor"] = 18446744073709551615ULL; }),
        "send_amount.amount_minor: is out of range"
    );
    EXPECT_EQ(
        refused([](json& e) { e["receive_amount"]["currency"] = "ZAR"; }),
        "receive_amount: currency must be LSL"
    );
    EXPECT_EQ(
        refused([](json& e) { e["fee"]["amount_minor"] = 50000; }),
        "fee: must be below the send amount"
    );
    EXPECT_EQ(
        refused([](json& e) { e["completed_at"] = "yesterday"; }),
        "completed_at: must be an RFC 3339 date-time"
    );
    EXPECT_EQ(
        refused([](json& e) { e["sender"]["full_name"] = std::string(1001, 'a'); }),
        "sender.full_name: is longer than 1000 bytes"
    );
    EXPECT_EQ(refused([](json& e) { e.erase("beneficiary"); }), "beneficiary: is required");
    EXPECT_EQ(
        refused([](json& e) { e["payout"]["method"] = 3; }), "payout.method: must be a string"
    );
}

TEST(DepositEvent, ParsesAndRefuses) {
    const auto d = parse_deposit_event(
        R"({"deposit_id":"33333333-3333-4333-8333-333333333333","worker_id":"w1",)"
        R"("agent_id":"a1","amount_minor":5000000,"at":"2026-03-02T07:00:00.000Z"})"
    );
    ASSERT_TRUE(d) << d.error();
    EXPECT_EQ(d->amount_minor, 5'000'000);
    EXPECT_EQ(
        parse_deposit_event(
            R"({"deposit_id":"33333333-3333-4333-8333-333333333333","worker_id":"w1",)"
            R"("agent_id":"a1","amount_minor":0,"at":"2026-03-02T07:00:00.000Z"})"
        )
            .error(),
        "amount_minor: must be positive"
    );
}

TEST(ReturnJson, HasExactAmountsTotalsAndTheMaskedNumber) {
    const auto r = parse_completed_event(event().dump());
    ASSERT_TRUE(r);
    const json out = cross_border_json({r.value()}, *platform::parse_date("2026-03-02"));
    EXPECT_EQ(out["report"], "cross_border");
    EXPECT_EQ(out["time_zone"], "+02:00");
    EXPECT_EQ(out["period"]["from"], "2026-03-01T22:00:00.000Z");
    EXPECT_EQ(out["count"], 1);
    EXPECT_EQ(out["totals"]["send_amount"], (json{{"amount", "500.00"}, {"currency", "ZAR"}}));
    EXPECT_EQ(out["totals"]["fee"]["amount"], "15.00");
    EXPECT_EQ(out["totals"]["receive_amount"], (json{{"amount", "485.00"}, {"currency", "LSL"}}));
    const json& item = out["items"][0];
    EXPECT_EQ(item["sender"]["id_number_masked"], "*****4567");
    EXPECT_EQ(item["sender"]["address"], nullptr);
    EXPECT_EQ(item["transfer_amount"]["amount"], "485.00");
    EXPECT_EQ(item["value_date"], "2026-03-02");
    EXPECT_EQ(item["iftr"], false);
}

TEST(SettlementJson, TotalsThePartners) {
    const json out = settlement_json(
        {{"ecocash", 1, 50'000, 1'500, 48'500}, {"mpesa", 2, 100'000, 3'000, 97'000}},
        *platform::parse_date("2026-03-02")
    );
    EXPECT_EQ(out["partners"][1]["paid_out"]["amount"], "970.00");
    EXPECT_EQ(out["totals"]["count"], 3);
    EXPECT_EQ(out["totals"]["fees_earned"]["amount"], "45.00");
    EXPECT_EQ(out["totals"]["paid_out"], (json{{"amount", "1455.00"}, {"currency", "LSL"}}));
}

}  // namespace
}  // namespace chelete::central_bank
