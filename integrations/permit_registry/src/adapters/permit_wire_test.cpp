#include "adapters/permit_wire.hpp"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace chelete::permit_registry::wire {
namespace {

using Json = nlohmann::json;

Json extended_lep_json() {
    return Json{
        {"number", "LEP-2020-004512"},
        {"type", "LEP"},
        {"holder_surname", "MOKOENA"},
        {"status", "valid"},
        {"issued_on", "2020-01-01"},
        {"printed_expiry", "2023-12-31"},
        {"legal_expiry", "2027-05-28"},
        {"directive_ref", "Immigration Directive No. 21 of 2025"},
    };
}

std::string error_of(const Json& doc) {
    const auto parsed = parse_permit_record(doc.dump());
    EXPECT_FALSE(parsed.ok()) << "accepted: " << doc.dump();
    return parsed.ok() ? std::string{} : parsed.error();
}

/// A copy, so that callers may pass a temporary result.
Unavailable as_unavailable(const LookupResult& result) {
    EXPECT_TRUE(std::holds_alternative<Unavailable>(result))
        << "expected Unavailable, got index " << result.index();
    return std::holds_alternative<Unavailable>(result) ? std::get<Unavailable>(result)
                                                       : Unavailable{};
}

TEST(ParsePermitRecord, ReadsEveryFieldOfADirectiveExtendedLep) {
    const auto parsed = parse_permit_record(extended_lep_json().dump());
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    const auto& r = parsed.value();
    EXPECT_EQ(r.number, "LEP-2020-004512");
    EXPECT_EQ(r.type, PermitType::kLep);
    EXPECT_EQ(r.holder_surname, "MOKOENA");
    EXPECT_EQ(r.status, PermitStatus::kValid);
    EXPECT_EQ(r.issued_on, (platform::Date{2020, 1, 1}));
    EXPECT_EQ(r.printed_expiry, (platform::Date{2023, 12, 31}));
    EXPECT_EQ(r.legal_expiry, (platform::Date{2027, 5, 28}));
    EXPECT_EQ(r.directive_ref, "Immigration Directive No. 21 of 2025");
}

TEST(ParsePermitRecord, ReadsAnApplicationWithNullDates) {
    const Json doc{
        {"number", "VFS-LS-88123"},
        {"type", "LEP"},
        {"holder_surname", "Letsie"},
        {"status", "in_adjudication"},
        {"issued_on", nullptr},
        {"printed_expiry", nullptr},
        {"legal_expiry", nullptr},
        {"directive_ref", nullptr},
    };
    const auto parsed = parse_permit_record(doc.dump());
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed.value().status, PermitStatus::kInAdjudication);
    EXPECT_FALSE(parsed.value().issued_on);
    EXPECT_FALSE(parsed.value().directive_ref);
}

TEST(ParsePermitRecord, SerialisesBackToAnEqualRecord) {
    const auto first = parse_permit_record(extended_lep_json().dump());
    ASSERT_TRUE(first.ok());
    const std::string text = to_json(first.value());
    const auto second = parse_permit_record(text);
    ASSERT_TRUE(second.ok()) << second.error();
    EXPECT_EQ(second.value(), first.value());
    EXPECT_EQ(to_json(second.value()), text);
    EXPECT_EQ(Json::parse(text), extended_lep_json());
}

TEST(ParsePermitRecord, RefusesBodiesThatAreNotAJsonObject) {
    for (const char* body :
         {"",
          "{",
          "{\"number\":\"LEP-1\"",
          "<html>502 Bad Gateway</html>",
          "[]",
          "null",
          "\"valid\"",
          "42",
          "{} trailing"}) {
        EXPECT_FALSE(parse_permit_record(body).ok()) << body;
    }
}

TEST(ParsePermitRecord, RefusesAMissingMember) {
    const Json complete = extended_lep_json();
    for (const auto& field : complete.items()) {
        auto doc = extended_lep_json();
        doc.erase(field.key());
        EXPECT_NE(error_of(doc).find(field.key()), std::string::npos) << field.key();
    }
}

TEST(ParsePermitRecord, RefusesAnUndocumentedMember) {
    auto doc = extended_lep_json();
    doc["risk_score"] = 3;
    EXPECT_NE(error_of(doc).find("beyond"), std::string::npos);
}

TEST(ParsePermitRecord, RefusesARepeatedKey) {
    std::string body = extended_lep_json().dump();
    body.insert(1, R"("status":"revoked",)");
    const auto parsed = parse_permit_record(body);
    ASSERT_FALSE(parsed.ok());
    EXPECT_NE(parsed.error().find("repeats"), std::string::npos) << parsed.error();
}

TEST(ParsePermitRecord, RefusesMembersOfTheWrongType) {
    const std::vector<std::pair<std::string, Json>> wrong{
        {"number", 4512},
        {"type", nullptr},
        {"holder_surname", Json::array({"MOKOENA"})},
        {"status", true},
        {"issued_on", 20200101},
        {"printed_expiry", Json::object()},
        {"legal_expiry", 20270528},
        {"directive_ref", 21},
    };
    for (const auto& [field, value] : wrong) {
        auto doc = extended_lep_json();
        doc[field] = value;
        EXPECT_NE(error_of(doc).find(field), std::string::npos) << field;
    }
}

TEST(ParsePermitRecord, RefusesUnknownEnumValuesAndImpossibleDates) {
    auto doc = extended_lep_json();
    doc["type"] = "ZEP";
    EXPECT_NE(error_of(doc).find("type"), std::string::npos);
    doc = extended_lep_json();
    doc["status"] = "extended_by_directive";
    EXPECT_NE(error_of(doc).find("status"), std::string::npos);
    for (const char* bad : {"2027-02-30", "2027-5-28", "28/05/2027", "2027-05-28T00:00:00Z", ""}) {
        doc = extended_lep_json();
        doc["legal_expiry"] = bad;
        EXPECT_NE(error_of(doc).find("legal_expiry"), std::string::npos) << bad;
    }
}

TEST(ParsePermitRecord, RefusesAnInconsistentRecord) {
    auto doc = extended_lep_json();
    doc["directive_ref"] = nullptr;  // legal differs from printed with no directive behind it
    EXPECT_NE(error_of(doc).find("inconsistent"), std::string::npos);
}

TEST(InterpretReply, A200WithTheAskedPermitIsFoundWhateverTheSurnameCase) {
    const auto result =
        interpret_reply(200, extended_lep_json().dump(), "LEP-2020-004512", "mokoena");
    ASSERT_TRUE(std::holds_alternative<Found>(result));
    EXPECT_EQ(std::get<Found>(result).record.legal_expiry, (platform::Date{2027, 5, 28}));
}

TEST(InterpretReply, A200ForAnotherPermitOrHolderIsUnexpected) {
    EXPECT_EQ(
        as_unavailable(
            interpret_reply(200, extended_lep_json().dump(), "LEP-2020-000001", "Mokoena")
        )
            .reason,
        UnavailableReason::kUnexpectedResponse
    );
    EXPECT_EQ(
        as_unavailable(interpret_reply(200, extended_lep_json().dump(), "LEP-2020-004512", "Letsie")
        )
            .reason,
        UnavailableReason::kUnexpectedResponse
    );
}

TEST(InterpretReply, A200WithABrokenBodyIsMalformedNeverNotFound) {
    const std::string body = extended_lep_json().dump();
    const auto result =
        as_unavailable(interpret_reply(200, body.substr(0, body.size() / 2), "LEP-2020-004512", "x")
        );
    EXPECT_EQ(result.reason, UnavailableReason::kMalformedResponse);
    EXPECT_FALSE(result.detail.empty());
}

TEST(InterpretReply, OnlyTheRegistrysOwn404BodyMeansNotFound) {
    EXPECT_TRUE(std::holds_alternative<NotFound>(
        interpret_reply(404, R"({"error":"permit_not_found"})", "LEP-1", "Mokoena")
    ));
    for (const char* body :
         {"",
          "<html><body>404 Not Found</body></html>",
          R"({"error":"no_route"})",
          R"({"error":404})",
          R"({"error":"permit_not_found","error":"x"})",
          "[]"}) {
        EXPECT_EQ(
            as_unavailable(interpret_reply(404, body, "LEP-1", "Mokoena")).reason,
            UnavailableReason::kUnexpectedResponse
        ) << body;
    }
}

TEST(InterpretReply, AuthenticationFailuresAreAMisconfigurationNotAVerdict) {
    for (const long status : {401L, 403L}) {
        EXPECT_EQ(
            as_unavailable(interpret_reply(status, R"({"error":"unauthorized"})", "LEP-1", "M"))
                .reason,
            UnavailableReason::kUnauthorized
        );
    }
}

TEST(InterpretReply, ServerErrorsAndUnknownStatusesAreUnavailable) {
    for (const long status : {500L, 502L, 503L, 504L}) {
        EXPECT_EQ(
            as_unavailable(interpret_reply(status, "", "LEP-1", "M")).reason,
            UnavailableReason::kServerError
        ) << status;
    }
    for (const long status : {0L, 201L, 204L, 301L, 400L, 410L, 429L}) {
        EXPECT_EQ(
            as_unavailable(interpret_reply(status, R"({"error":"permit_not_found"})", "LEP-1", "M"))
                .reason,
            UnavailableReason::kUnexpectedResponse
        ) << status;
    }
}

}  // namespace
}  // namespace chelete::permit_registry::wire
