#include "ledger_fan_out.hpp"

#include <gtest/gtest.h>

namespace chelete::app {
namespace {

using gateway::HttpResponse;
using nlohmann::json;

HttpResponse reply(int status, const json& body) {
    HttpResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

json money(const char* amount, const char* currency = "ZAR") {
    return json{{"amount", amount}, {"currency", currency}};
}

json trial_balance(
    const char* as_of, const json& lines, const char* total_dr, const char* total_cr
) {
    return json{
        {"as_of", as_of},
        {"currencies",
         json::array(
             {{{"currency", "ZAR"},
               {"lines", lines},
               {"total_debits_posted", money(total_dr)},
               {"total_credits_posted", money(total_cr)},
               {"balanced", true}}}
         )}};
}

json line(int code, int accounts, const char* dr, const char* cr, const char* dr_pending = "0.00") {
    return json{
        {"code", code},
        {"accounts", accounts},
        {"debits_posted", money(dr)},
        {"credits_posted", money(cr)},
        {"debits_pending", money(dr_pending)},
        {"credits_pending", money("0.00")}};
}

TEST(LedgerFanOutTest, TheShardHoldingTheAccountAnswers) {
    const json account{{"id", "a"}};
    const auto r = answer_of_holder({reply(404, {{"title", "Not found"}}), reply(200, account)});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body), account);
}

TEST(LedgerFanOutTest, NotFoundOnlyWhenEveryShardSaysSo) {
    EXPECT_EQ(answer_of_holder({reply(404, {}), reply(404, {})}).status, 404);
    // A shard that did not answer might hold the account.
    EXPECT_EQ(answer_of_holder({reply(404, {}), std::nullopt}).status, 504);
    // A malformed request is refused by every shard alike.
    EXPECT_EQ(answer_of_holder({reply(400, {}), reply(400, {})}).status, 400);
    EXPECT_EQ(answer_of_holder({std::nullopt, reply(200, {})}).status, 200);
}

TEST(LedgerFanOutTest, TrialBalanceSumsLinesPerCode) {
    const auto r = summed_trial_balance(
        {reply(
             200,
             trial_balance(
                 "2026-11-24T00:00:01.000Z",
                 json::array(
                     {line(100, 3, "0.00", "300.00", "50.00"), line(200, 1, "300.00", "0.00")}
                 ),
                 "300.00",
                 "300.00"
             )
         ),
         reply(
             200,
             trial_balance(
                 "2026-11-24T00:00:02.000Z",
                 json::array({line(100, 2, "10.00", "200.00"), line(300, 1, "200.00", "10.00")}),
                 "210.00",
                 "210.00"
             )
         )}
    );
    ASSERT_EQ(r.status, 200);
    const json body = json::parse(r.body);
    EXPECT_EQ(body["as_of"], "2026-11-24T00:00:02.000Z");
    const json& zar = body["currencies"][0];
    EXPECT_EQ(zar["currency"], "ZAR");
    ASSERT_EQ(zar["lines"].size(), 3U);
    EXPECT_EQ(zar["lines"][0]["code"], 100);
    EXPECT_EQ(zar["lines"][0]["accounts"], 5);
    EXPECT_EQ(zar["lines"][0]["debits_posted"]["amount"], "10.00");
    EXPECT_EQ(zar["lines"][0]["credits_posted"]["amount"], "500.00");
    EXPECT_EQ(zar["lines"][0]["credit_balance"]["amount"], "490.00");
    EXPECT_EQ(zar["lines"][0]["debits_pending"]["amount"], "50.00");
    EXPECT_EQ(zar["total_debits_posted"]["amount"], "510.00");
    EXPECT_EQ(zar["total_credits_posted"]["amount"], "510.00");
    // 50.00 debited pending with no pending credit: not balanced.
    EXPECT_FALSE(zar["balanced"].get<bool>());
    ASSERT_EQ(body["shards"].size(), 2U);
    EXPECT_EQ(body["shards"][1]["shard"], 1);
}

// Each shard must balance on its own (no transfer crosses shards): shard 0 with 5.00 more debits
// and shard 1 with 5.00 more credits sum to equal totals, and are still two broken books.
TEST(LedgerFanOutTest, OneShardsImbalanceDoesNotHideBehindAnothers) {
    json heavy = trial_balance(
        "x",
        json::array({line(100, 1, "105.00", "0.00"), line(200, 1, "0.00", "100.00")}),
        "105.00",
        "100.00"
    );
    heavy["currencies"][0]["balanced"] = false;
    json light = trial_balance(
        "x",
        json::array({line(100, 1, "0.00", "105.00"), line(200, 1, "100.00", "0.00")}),
        "100.00",
        "105.00"
    );
    light["currencies"][0]["balanced"] = false;
    const auto r = summed_trial_balance({reply(200, heavy), reply(200, light)});
    ASSERT_EQ(r.status, 200) << r.body;
    const json zar = json::parse(r.body)["currencies"][0];
    EXPECT_EQ(zar["total_debits_posted"]["amount"], "205.00");
    EXPECT_EQ(zar["total_credits_posted"]["amount"], "205.00");
    EXPECT_FALSE(zar["balanced"].get<bool>());
}

TEST(LedgerFanOutTest, AMissingOrUnreadableAmountIsABadGatewayNotAZero) {
    const json good =
        trial_balance("x", json::array({line(100, 1, "1.00", "1.00")}), "1.00", "1.00");
    json missing = good;
    missing["currencies"][0]["lines"][0].erase("credits_posted");
    EXPECT_EQ(summed_trial_balance({reply(200, good), reply(200, missing)}).status, 502);
    json garbled = good;
    garbled["currencies"][0]["lines"][0]["debits_posted"]["amount"] = "1,00";
    EXPECT_EQ(summed_trial_balance({reply(200, good), reply(200, garbled)}).status, 502);
    json no_flag = good;
    no_flag["currencies"][0].erase("balanced");
    EXPECT_EQ(summed_trial_balance({reply(200, good), reply(200, no_flag)}).status, 502);
    EXPECT_EQ(summed_trial_balance({reply(200, good), reply(200, good)}).status, 200);
}

TEST(LedgerFanOutTest, TrialBalanceNeedsEveryShard) {
    EXPECT_EQ(
        summed_trial_balance({reply(200, trial_balance("x", json::array(), "0.00", "0.00")),
                              std::nullopt})
            .status,
        504
    );
}

TEST(LedgerFanOutTest, AnUnreadableOrOverflowingShardIsABadGateway) {
    const json huge = trial_balance(
        "x", json::array({line(100, 1, "0.00", "92233720368547758.07")}), "0.00", "0.00"
    );
    EXPECT_EQ(summed_trial_balance({reply(200, huge), reply(200, huge)}).status, 502);
    json wrong = trial_balance("x", json::array({line(100, 1, "0.00", "1.00")}), "0.00", "0.00");
    wrong["currencies"][0]["lines"][0]["accounts"] = "many";
    EXPECT_EQ(summed_trial_balance({reply(200, wrong), reply(200, wrong)}).status, 502);
    EXPECT_EQ(summed_trial_balance({reply(200, {{"as_of", "x"}}), reply(200, {})}).status, 502);
    const json good{{"ok", true}, {"checked", {{"transfers", 1}}}, {"problems", json::array()}};
    EXPECT_EQ(merged_verify_report({reply(200, good), reply(200, {{"ok", "yes"}})}).status, 502);
    json seconds = good;
    seconds["seconds"] = "soon";
    EXPECT_EQ(merged_verify_report({reply(200, good), reply(200, seconds)}).status, 502);
}

TEST(LedgerFanOutTest, VerifyIsOkOnlyWhenEveryShardIs) {
    const json good{{"ok", true}, {"checked", {{"transfers", 4}}}, {"problems", json::array()}};
    const json bad{
        {"ok", false},
        {"checked", {{"transfers", 3}}},
        {"problems", json::array({"chain broken"})}};
    auto r = merged_verify_report({reply(200, good), reply(200, good)});
    ASSERT_EQ(r.status, 200);
    json body = json::parse(r.body);
    EXPECT_TRUE(body["ok"].get<bool>());
    EXPECT_EQ(body["checked"]["transfers"], 8);
    EXPECT_EQ(body["shards"].size(), 2U);

    r = merged_verify_report({reply(200, good), reply(200, bad)});
    body = json::parse(r.body);
    EXPECT_FALSE(body["ok"].get<bool>());
    EXPECT_EQ(body["problems"], json::array({"shard 1: chain broken"}));
    EXPECT_EQ(body["shards"][1]["shard"], 1);
    EXPECT_EQ(merged_verify_report({reply(200, good), reply(422, {})}).status, 422);
}

TEST(LedgerFanOutTest, ExpectedHeadGoesOnlyToItsShard) {
    const json head{{"seq", 4}, {"digest", std::string(64, 'a')}};
    json to_zero{{"body", {{"expect_head", head}, {"shard", 1}}}};
    json to_one = to_zero;
    shape_verify_request(to_zero, 0, 2);
    shape_verify_request(to_one, 1, 2);
    EXPECT_FALSE(to_zero["body"].contains("expect_head"));
    EXPECT_EQ(to_one["body"]["expect_head"], head);
    // Without a shard, the head is shard 0's.
    json plain{{"body", {{"expect_head", head}}}};
    json plain_one = plain;
    shape_verify_request(plain, 0, 2);
    shape_verify_request(plain_one, 1, 2);
    EXPECT_TRUE(plain["body"].contains("expect_head"));
    EXPECT_FALSE(plain_one["body"].contains("expect_head"));
    // A shard that does not exist goes to shard 0 as it is, which refuses it.
    json beyond{{"body", {{"expect_head", head}, {"shard", 5}}}};
    shape_verify_request(beyond, 0, 2);
    EXPECT_EQ(beyond["body"]["shard"], 5);
}

}  // namespace
}  // namespace chelete::app
