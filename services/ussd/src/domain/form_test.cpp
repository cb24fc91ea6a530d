#include "domain/form.hpp"

#include <gtest/gtest.h>

namespace chelete::ussd {
namespace {

constexpr std::string_view kFirstTurn =
    "sessionId=ATUid_5f2c&serviceCode=%2A120%2A5050%23&phoneNumber=%2B26658123456"
    "&networkCode=65101&text=";

TEST(UssdFormTest, DecodesTheGatewaysFields) {
    const auto r = parse_ussd_form(kFirstTurn);
    ASSERT_TRUE(r.ok()) << r.error().field << " " << r.error().detail;
    EXPECT_EQ(r->session_id, "ATUid_5f2c");
    EXPECT_EQ(r->service_code, "*120*5050#");
    EXPECT_EQ(r->phone_number, "+26658123456");
    EXPECT_EQ(r->network_code, "65101");
    EXPECT_EQ(r->text, "");
}

TEST(UssdFormTest, KeepsTheInputsAndIgnoresFieldsOfTheGatewaysOwn) {
    const auto r = parse_ussd_form(
        "text=1%2A2*3&sessionId=s1&serviceCode=*120%23&phoneNumber=26658123456&cost=KES+0.50"
    );
    ASSERT_TRUE(r.ok()) << r.error().field;
    EXPECT_EQ(r->text, "1*2*3");
    EXPECT_EQ(r->phone_number, "+26658123456");  // the '+' is added when the gateway leaves it out
    EXPECT_EQ(r->network_code, "");
}

TEST(UssdFormTest, NamesTheFieldThatIsWrong) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"serviceCode=*1%23&phoneNumber=%2B26658123456&text=", "sessionId"},
        {"sessionId=&serviceCode=*1%23&phoneNumber=%2B26658123456", "sessionId"},
        {"sessionId=a%20b&serviceCode=*1%23&phoneNumber=%2B26658123456", "sessionId"},
        {"sessionId=s&phoneNumber=%2B26658123456", "serviceCode"},
        {"sessionId=s&serviceCode=*1%23abc&phoneNumber=%2B26658123456", "serviceCode"},
        {"sessionId=s&serviceCode=*1%23", "phoneNumber"},
        {"sessionId=s&serviceCode=*1%23&phoneNumber=0821234567", "phoneNumber"},
        {"sessionId=s&serviceCode=*1%23&phoneNumber=%2B2665812345678901", "phoneNumber"},
        {"sessionId=s&serviceCode=*1%23&phoneNumber=%2B2665812x456", "phoneNumber"},
        {"sessionId=s&serviceCode=*1%23&phoneNumber=%2B26658123456&networkCode=MTN", "networkCode"},
        {"sessionId=s&serviceCode=*1%23&phoneNumber=%2B26658123456&text=1%0A2", "text"},
        {"sessionId=s&serviceCode=*1%23&phoneNumber=%2B26658123456&text=%C3%A9", "text"},
        {"sessionId=s&serviceCode=*1%23&phoneNumber=%2B26658123456&text=%4", "text"},
        {"sessionId=s&serviceCode=*1%23&phoneNumber=%2B26658123456&text=%zz", "text"},
        {"sessionId=s&sessionId=t&serviceCode=*1%23&phoneNumber=%2B26658123456", "sessionId"},
        {"sessionId=s&serviceCode=*1%23&phoneNumber=%2B26658123456&text=" + std::string(513, '1'),
         "text"},
        {std::string(4097, 'a'), "body"},
    };
    for (const auto& [body, field] : cases) {
        const auto r = parse_ussd_form(body);
        ASSERT_FALSE(r.ok()) << body;
        EXPECT_EQ(r.error().field, field) << body << ": " << r.error().detail;
        EXPECT_FALSE(r.error().detail.empty());
    }
}

TEST(UssdFormTest, SplitsTheSessionsInputs) {
    EXPECT_EQ(split_inputs(""), std::vector<std::string>{});
    EXPECT_EQ(split_inputs("1"), std::vector<std::string>{"1"});
    EXPECT_EQ(split_inputs("1*2*58213"), (std::vector<std::string>{"1", "2", "58213"}));
    EXPECT_EQ(split_inputs("1**"), (std::vector<std::string>{"1", "", ""}));
    EXPECT_EQ(split_inputs("*"), (std::vector<std::string>{"", ""}));
}

}  // namespace
}  // namespace chelete::ussd
