#include "domain/incoming.hpp"

#include <gtest/gtest.h>

namespace chelete::ussd {
namespace {

RemitRecord record(
    std::string status, std::string method, bool voucher, bool changeable, bool national_id = true
) {
    RemitRecord r;
    r.remittance_id = "0190d3a4-0000-7000-8000-000000000001";
    r.reference = "A1B2C3D4E5";
    r.receive_minor = 30'000;
    r.sender_name = "Teboho";
    r.status = std::move(status);
    r.payout_method = std::move(method);
    r.voucher_live = voucher;
    r.method_changeable = changeable;
    r.cash_pickup_possible = national_id;
    return r;
}

TEST(UssdIncomingTest, EveryStateBeforeThePayoutIsOnItsWayAndMayChangeMethod) {
    for (const char* status : {"created", "screening", "held", "approved", "funded"}) {
        const auto r = to_incoming(record(status, "mpesa", false, true));
        ASSERT_TRUE(r.has_value()) << status;
        EXPECT_EQ(r->stage, Stage::kOnItsWay) << status;
        EXPECT_EQ(
            r->methods_allowed,
            (std::vector<PayoutMethod>{PayoutMethod::kEcocash, PayoutMethod::kCashPickup})
        ) << status;
        EXPECT_FALSE(r->voucher_resendable);
    }
}

TEST(UssdIncomingTest, CashPickupIsOfferedOnlyWithANationalIdOnFile) {
    EXPECT_EQ(
        to_incoming(record("held", "mpesa", false, true, false))->methods_allowed,
        (std::vector<PayoutMethod>{PayoutMethod::kEcocash})
    );
    EXPECT_EQ(
        to_incoming(record("held", "cash_pickup", false, true, false))->methods_allowed,
        (std::vector<PayoutMethod>{PayoutMethod::kMpesa, PayoutMethod::kEcocash})
    );
}

TEST(UssdIncomingTest, OnceHandedToThePartnerTheMethodIsFixedWhateverTheServiceSays) {
    // The remittance service decides (method_changeable); a stage past the hand-off never offers
    // a change even if it were told otherwise.
    EXPECT_TRUE(
        to_incoming(record("payout_pending", "mpesa", false, false))->methods_allowed.empty()
    );
    EXPECT_TRUE(to_incoming(record("payout_pending", "mpesa", false, true))->methods_allowed.empty()
    );
    EXPECT_TRUE(to_incoming(record("paid", "ecocash", false, true))->methods_allowed.empty());
    EXPECT_TRUE(to_incoming(record("funded", "ecocash", false, false))->methods_allowed.empty());
}

TEST(UssdIncomingTest, ACashPickupWithALiveVoucherIsReadyAndItsVoucherCanBeSentAgain) {
    const auto ready = to_incoming(record("payout_pending", "cash_pickup", true, false));
    EXPECT_EQ(ready->stage, Stage::kReadyToCollect);
    EXPECT_TRUE(ready->voucher_resendable);
    const auto not_yet = to_incoming(record("payout_pending", "cash_pickup", false, false));
    EXPECT_EQ(not_yet->stage, Stage::kOnItsWay);
    EXPECT_FALSE(not_yet->voucher_resendable);
    // Paid: the voucher is spent even if it has not expired.
    const auto paid = to_incoming(record("paid", "cash_pickup", true, false));
    EXPECT_EQ(paid->stage, Stage::kPaid);
    EXPECT_FALSE(paid->voucher_resendable);
    // M-Pesa has no voucher.
    EXPECT_FALSE(to_incoming(record("payout_pending", "mpesa", true, false))->voucher_resendable);
}

TEST(UssdIncomingTest, FinalStatesAndUnknownValues) {
    EXPECT_EQ(to_incoming(record("refunded", "mpesa", false, false))->stage, Stage::kReturned);
    EXPECT_EQ(to_incoming(record("failed", "mpesa", false, false))->stage, Stage::kReturned);
    EXPECT_EQ(to_incoming(record("paid", "mpesa", false, false))->stage, Stage::kPaid);
    EXPECT_FALSE(to_incoming(record("rejected", "mpesa", false, false)).has_value());
    EXPECT_FALSE(to_incoming(record("cancelled", "mpesa", false, false)).has_value());
    EXPECT_FALSE(to_incoming(record("teleported", "mpesa", false, false)).has_value());
    EXPECT_FALSE(to_incoming(record("paid", "pigeon", false, false)).has_value());
    const auto r = to_incoming(record("paid", "mpesa", false, false));
    EXPECT_EQ(r->reference, "A1B2C3D4E5");
    EXPECT_EQ(r->amount_minor, 30'000);
    EXPECT_EQ(r->sender_name, "Teboho");
}

TEST(UssdIncomingTest, PinAnswersRoundTripAndNothingElseIsAnAnswer) {
    for (const auto c : {PinCheck::kCorrect, PinCheck::kWrong, PinCheck::kLocked}) {
        EXPECT_EQ(pin_check_from(to_string(c)), c);
    }
    EXPECT_FALSE(pin_check_from("").has_value());
    EXPECT_FALSE(pin_check_from("Correct").has_value());
}

TEST(UssdIncomingTest, TheProvenPinIsTheInputOfTheLastCorrectCheck) {
    const std::vector<std::string> inputs{"4", "11111", "24680", "0", "4", "13579", "97531"};
    EXPECT_FALSE(proven_pin(inputs, {}).has_value());
    EXPECT_FALSE(proven_pin(inputs, {{1, PinCheck::kWrong}}).has_value());
    EXPECT_EQ(
        proven_pin(inputs, {{1, PinCheck::kWrong}, {2, PinCheck::kCorrect}}), std::string{"24680"}
    );
    EXPECT_EQ(
        proven_pin(inputs, {{2, PinCheck::kCorrect}, {5, PinCheck::kCorrect}}), std::string{"13579"}
    );
    // A position past the inputs (a stale session) proves nothing.
    EXPECT_FALSE(proven_pin(inputs, {{9, PinCheck::kCorrect}}).has_value());
}

}  // namespace
}  // namespace chelete::ussd
