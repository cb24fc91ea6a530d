#include "permit_registry/permit_store.hpp"

#include <gtest/gtest.h>
#include <sample_permits.hpp>

namespace chelete::simulators::permit_registry {
namespace {

const char* const kHeader =
    "number,type,holder_surname,status,issued_on,printed_expiry,legal_expiry,directive_ref\n";

SimPermit lep() {
    return SimPermit{
        "LEP-2020-004512",
        "LEP",
        "MOKOENA",
        "valid",
        "2020-01-01",
        "2023-12-31",
        "2027-05-28",
        "Immigration Directive No. 21 of 2025"};
}

TEST(SeedCsv, TheSampleSeedFileLoadsWithEveryTypeAndStatus) {
    const auto permits = parse_seed_csv(sample_data::kPermits);
    ASSERT_TRUE(permits.ok()) << permits.error();
    ASSERT_EQ(permits.value().size(), 8U);
    std::set<std::string> types;
    std::set<std::string> statuses;
    for (const auto& p : permits.value()) {
        types.insert(p.type);
        statuses.insert(p.status);
    }
    EXPECT_EQ(types, (std::set<std::string>{"LSP", "LEP", "work_visa"}));
    EXPECT_EQ(statuses.size(), 6U);
    const auto& extended = permits.value()[1];
    EXPECT_EQ(extended.legal_expiry, "2027-05-28");
    EXPECT_EQ(extended.directive_ref, "Immigration Directive No. 21 of 2025, s31(2)(b)");
    const auto& application = permits.value()[5];
    EXPECT_EQ(application.status, "in_adjudication");
    EXPECT_EQ(application.issued_on, std::nullopt);
}

TEST(SeedCsv, ReadsQuotesEmptyFieldsCommentsAndCrlf) {
    const std::string text =
        std::string{"# comment\r\n"} + kHeader +
        "\r\n"
        "LEP-1,LEP,\"O'Neil \"\"Jr\"\"\",valid,2020-01-01,2023-12-31,2023-12-31,\r\n";
    const auto permits = parse_seed_csv(text);
    ASSERT_TRUE(permits.ok()) << permits.error();
    ASSERT_EQ(permits.value().size(), 1U);
    EXPECT_EQ(permits.value()[0].holder_surname, "O'Neil \"Jr\"");
    EXPECT_EQ(permits.value()[0].directive_ref, std::nullopt);
}

TEST(SeedCsv, NamesTheLineOfAProblem) {
    const auto wrong_type = parse_seed_csv(std::string{kHeader} + "LEP-1,ZEP,A,valid,,,,\n");
    ASSERT_FALSE(wrong_type.ok());
    EXPECT_NE(wrong_type.error().find("line 2"), std::string::npos) << wrong_type.error();
    EXPECT_FALSE(parse_seed_csv(std::string{kHeader} + "LEP-1,LEP,A,valid\n").ok());
    EXPECT_FALSE(parse_seed_csv(std::string{kHeader} + "LEP-1,LEP,A,valid,2020/01/01,,,\n").ok());
    EXPECT_FALSE(parse_seed_csv(std::string{kHeader} + "LEP 1,LEP,A,valid,,,,\n").ok());
    EXPECT_FALSE(parse_seed_csv(std::string{kHeader} + "LEP-1,LEP,\"A,valid,,,,\n").ok());
    EXPECT_FALSE(parse_seed_csv("LEP-1,LEP,A,valid,,,,\n").ok()) << "a file without its header";
    EXPECT_FALSE(parse_seed_csv("").ok());
}

TEST(PermitJson, AcceptsTheDocumentedShapeAndRefusesAnythingElse) {
    const auto round = permit_from_json(to_json(lep()));
    ASSERT_TRUE(round.ok()) << round.error();
    EXPECT_EQ(round.value(), lep());

    auto extra = to_json(lep());
    extra["risk"] = 1;
    EXPECT_FALSE(permit_from_json(extra).ok());
    auto missing = to_json(lep());
    missing.erase("status");
    EXPECT_FALSE(permit_from_json(missing).ok());
    auto wrong_type = to_json(lep());
    wrong_type["issued_on"] = 20200101;
    EXPECT_FALSE(permit_from_json(wrong_type).ok());
    auto bad_status = to_json(lep());
    bad_status["status"] = "lost";
    EXPECT_FALSE(permit_from_json(bad_status).ok());
    EXPECT_FALSE(permit_from_json(nlohmann::json::array()).ok());
}

TEST(PermitStore, FindsByNumberWithACaseInsensitiveSurname) {
    PermitStore store;
    EXPECT_FALSE(store.put(lep()));
    EXPECT_TRUE(store.find("LEP-2020-004512", "mokoena"));
    EXPECT_TRUE(store.find("LEP-2020-004512", "MoKoEnA"));
    EXPECT_FALSE(store.find("LEP-2020-004512", "Mokoena "));
    EXPECT_FALSE(store.find("LEP-2020-004512", "Letsie"));
    EXPECT_FALSE(store.find("LEP-2020-000000", "Mokoena"));
    EXPECT_FALSE(store.find("lep-2020-004512", "Mokoena")) << "numbers are exact";
}

TEST(PermitStore, PutReplacesByNumber) {
    PermitStore store;
    EXPECT_FALSE(store.put(lep()));
    auto revoked = lep();
    revoked.status = "revoked";
    EXPECT_TRUE(store.put(revoked));
    EXPECT_EQ(store.size(), 1U);
    EXPECT_EQ(store.find("LEP-2020-004512", "Mokoena")->status, "revoked");
}

}  // namespace
}  // namespace chelete::simulators::permit_registry
