#include <gtest/gtest.h>

#include <chelete/ledger/codec.hpp>

namespace chelete::ledger::codec {
namespace {

using nlohmann::json;

const std::string kA = "01937d4e-0000-7000-8000-000000000001";
const std::string kB = "01937d4e-0000-7000-8000-000000000002";
const std::string kT = "01937d4e-0000-7000-8000-0000000000aa";

json transfer_command(json transfer) {
    return json{{"transfers", json::array({std::move(transfer)})}};
}

TEST(LedgerCodecTest, ParsesATransferWithEveryField) {
    const auto parsed = parse_transfers(transfer_command(
        {{"id", kT},
         {"debit_account_id", kA},
         {"credit_account_id", kB},
         {"amount", 50000},
         {"currency", "LSL"},
         {"code", 7},
         {"flags", {"pending", "linked"}},
         {"timeout", 60},
         {"user_data_128", kA},
         {"user_data_64", 18446744073709551615ULL},
         {"user_data_32", 4294967295U}}
    ));
    ASSERT_TRUE(parsed.ok()) << parsed.error().field << " " << parsed.error().message;
    const Transfer& t = parsed.value().at(0);
    EXPECT_EQ(t.id.to_string(), kT);
    EXPECT_EQ(t.amount, 50000);
    EXPECT_EQ(t.currency, Currency::kLsl);
    EXPECT_EQ(t.flags, kPending | kTransferLinked);
    EXPECT_EQ(t.user_data_64, UINT64_MAX);
    EXPECT_EQ(t.user_data_32, UINT32_MAX);
    const auto back = to_json(t);
    EXPECT_EQ(back["flags"], json({"linked", "pending"}));
}

TEST(LedgerCodecTest, RefusesWhatIsNotExactlyRight) {
    const json base{
        {"id", kT},
        {"debit_account_id", kA},
        {"credit_account_id", kB},
        {"amount", 1},
        {"currency", "ZAR"},
        {"code", 1}};
    struct Case {
        std::string field;
        json value;
        std::string expect_field;
    };
    const std::vector<Case> cases{
        {"amount", -1, "transfers[0].amount"},
        {"amount", 1.5, "transfers[0].amount"},
        {"amount", "100", "transfers[0].amount"},
        {"amount", 9223372036854775808ULL, "transfers[0].amount"},
        {"id", "not-a-uuid", "transfers[0].id"},
        {"currency", "USD", "transfers[0].currency"},
        {"flags", {"pending", "teleport"}, "transfers[0].flags"},
        {"flags", "pending", "transfers[0].flags"},
        {"code", 4294967296LL, "transfers[0].code"},
        {"surprise", true, "transfers[0].surprise"},
        {"user_data_64", -1, "transfers[0].user_data_64"},
    };
    for (const auto& c : cases) {
        json t = base;
        t[c.field] = c.value;
        const auto parsed = parse_transfers(transfer_command(t));
        ASSERT_FALSE(parsed.ok()) << c.field << "=" << c.value.dump();
        EXPECT_EQ(parsed.error().field, c.expect_field) << c.value.dump();
    }
    json missing = base;
    missing.erase("id");
    EXPECT_EQ(parse_transfers(transfer_command(missing)).error().field, "transfers[0].id");
}

TEST(LedgerCodecTest, RefusesMalformedCommands) {
    EXPECT_FALSE(parse_transfers(json::array()).ok());
    EXPECT_FALSE(parse_transfers(json{{"transfers", json::array()}}).ok());
    EXPECT_FALSE(parse_transfers(json{{"transfers", json::array({1})}}).ok());
    EXPECT_FALSE(parse_transfers(json{{"transfers", json::array()}, {"extra", 1}}).ok());
    json many = json::array();
    for (std::size_t i = 0; i <= kMaxEventsPerCommand; ++i) {
        many.push_back(json::object());
    }
    EXPECT_EQ(parse_transfers(json{{"transfers", many}}).error().field, "transfers");
}

TEST(LedgerCodecTest, ParsesAccounts) {
    const auto parsed = parse_accounts(json{
        {"accounts",
         {{{"id", kA},
           {"currency", "ZAR"},
           {"code", 100},
           {"flags", {"debits_must_not_exceed_credits", "history"}}}}}});
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed.value().at(0).flags, kDebitsMustNotExceedCredits | kHistory);
    EXPECT_FALSE(parse_accounts(json{{"accounts", {{{"id", kA}, {"currency", "ZAR"}, {"code", 0}}}}}
    ).ok());
}

TEST(LedgerCodecTest, MoneyIsADecimalString) {
    EXPECT_EQ(money(50000, Currency::kZar), (json{{"amount", "500.00"}, {"currency", "ZAR"}}));
    EXPECT_EQ(money(-5, Currency::kLsl)["amount"], "-0.05");
}

}  // namespace
}  // namespace chelete::ledger::codec
