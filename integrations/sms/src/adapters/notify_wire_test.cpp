#include "adapters/notify_wire.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace chelete::sms::wire {
namespace {

using nlohmann::json;

json welcome() {
    return json{
        {"to", "+26658123456"},
        {"template", "beneficiary_welcome"},
        {"params", {{"pin", "48213"}, {"name", "Mpho Lebona"}}},
        {"subject_id", "0190d3a4-0000-7000-8000-000000000001"},
        {"dedupe_key", "beneficiary_welcome:0190d3a4-0000-7000-8000-000000000001"}};
}

TEST(NotifyWireTest, ParsesTheRegistrysRequestAndRoundTrips) {
    const auto r = parse_sms_request(welcome().dump());
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->to, "+26658123456");
    EXPECT_EQ(r->template_name, "beneficiary_welcome");
    EXPECT_EQ(r->params.at("pin"), "48213");
    EXPECT_FALSE(r->language.has_value());
    const auto again = parse_sms_request(to_json(r.value()));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value(), r.value());
}

TEST(NotifyWireTest, LanguageIsOptionalButMustBeEnOrSt) {
    json j = welcome();
    j["language"] = "en";
    EXPECT_EQ(parse_sms_request(j.dump())->language, Language::kEnglish);
    j["language"] = "st";
    EXPECT_EQ(parse_sms_request(j.dump())->language, Language::kSesotho);
    j["language"] = "fr";
    EXPECT_FALSE(parse_sms_request(j.dump()).ok());
    j["language"] = 1;
    EXPECT_FALSE(parse_sms_request(j.dump()).ok());
}

TEST(NotifyWireTest, NumbersWithoutPlusAreNormalized) {
    json j = welcome();
    j["to"] = "27821234567";
    EXPECT_EQ(parse_sms_request(j.dump())->to, "+27821234567");
}

TEST(NotifyWireTest, RefusesMalformedRequestsWithoutQuotingValues) {
    const auto refused = [](const json& j) {
        const auto r = parse_sms_request(j.dump());
        EXPECT_FALSE(r.ok()) << j.dump();
        if (!r.ok()) {
            EXPECT_EQ(r.error().find("48213"), std::string::npos) << r.error();
        }
    };
    for (const char* member : {"to", "template", "params", "dedupe_key"}) {
        json j = welcome();
        j.erase(member);
        refused(j);
    }
    json j = welcome();
    j["to"] = "0821234567";
    refused(j);
    j = welcome();
    j["params"]["pin"] = 48213;
    refused(j);
    j = welcome();
    j["extra"] = true;
    refused(j);
    j = welcome();
    j["dedupe_key"] = "";
    refused(j);
    j = welcome();
    j["dedupe_key"] = std::string(201, 'k');
    refused(j);
    j = welcome();
    j["subject_id"] = std::string(65, 's');
    refused(j);
    EXPECT_FALSE(parse_sms_request("").ok());
    EXPECT_FALSE(parse_sms_request("[1]").ok());
    EXPECT_FALSE(parse_sms_request("{\"to\":\"\xC3\"}").ok());
    EXPECT_FALSE(parse_sms_request(std::string(9000, ' ')).ok());
}

}  // namespace
}  // namespace chelete::sms::wire
