#include "permit_registry/permit_registry_app.hpp"

#include <gtest/gtest.h>

namespace chelete::simulators::permit_registry {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

const std::string kKey = "test-key";

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

SimRequest get(
    const std::string& path, std::map<std::string, std::string> query = {}, bool with_key = true
) {
    SimRequest request;
    request.method = "GET";
    request.path = path;
    request.query = std::move(query);
    if (with_key) {
        request.headers["x-api-key"] = kKey;
    }
    return request;
}

SimRequest lookup(const std::string& number, const std::string& surname) {
    return get("/permits/" + number, {{"surname", surname}});
}

PermitRegistryApp app_with(FaultRates faults = {}, milliseconds latency = milliseconds{0}) {
    PermitRegistryOptions options;
    options.api_key = kKey;
    options.faults = faults;
    options.latency = latency;
    options.timeout_hold = milliseconds{5000};
    return PermitRegistryApp{options, {lep()}};
}

TEST(PermitRegistryApp, AnswersAKnownPermitWithEveryDocumentedMember) {
    auto app = app_with();
    const auto response = app.handle(lookup("LEP-2020-004512", "Mokoena"));
    ASSERT_EQ(response.status, 200) << response.body;
    const auto body = Json::parse(response.body);
    EXPECT_EQ(body, to_json(lep()));
    EXPECT_EQ(body.size(), 8U);
    EXPECT_EQ(response.delay, milliseconds{0});
}

TEST(PermitRegistryApp, UnknownNumberAndWrongSurnameLookTheSame) {
    auto app = app_with();
    const auto unknown = app.handle(lookup("LEP-2020-000001", "Mokoena"));
    const auto wrong_surname = app.handle(lookup("LEP-2020-004512", "Letsie"));
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(wrong_surname.status, 404);
    EXPECT_EQ(unknown.body, wrong_surname.body);
    EXPECT_EQ(Json::parse(unknown.body)["error"], "permit_not_found");
    EXPECT_EQ(app.counts().not_found, 2U);
}

TEST(PermitRegistryApp, EveryRequestButHealthNeedsTheKey) {
    auto app = app_with();
    auto no_key = lookup("LEP-2020-004512", "Mokoena");
    no_key.headers.clear();
    EXPECT_EQ(app.handle(no_key).status, 401);
    auto wrong_key = lookup("LEP-2020-004512", "Mokoena");
    wrong_key.headers["x-api-key"] = "test-kez";
    EXPECT_EQ(app.handle(wrong_key).status, 401);
    EXPECT_EQ(app.handle(get("/admin/requests", {}, false)).status, 401);
    EXPECT_EQ(app.handle(get("/healthz", {}, false)).status, 200);
    EXPECT_EQ(app.counts().unauthorized, 2U);
}

TEST(PermitRegistryApp, RefusesBadNumbersMissingSurnamesAndOtherMethods) {
    auto app = app_with();
    EXPECT_EQ(app.handle(get("/permits/LEP%202020")).status, 400);
    EXPECT_EQ(app.handle(get("/permits/LEP-1/extra", {{"surname", "A"}})).status, 400);
    EXPECT_EQ(app.handle(get("/permits/%zz", {{"surname", "A"}})).status, 400);
    EXPECT_EQ(app.handle(get("/permits/LEP-2020-004512")).status, 400);
    EXPECT_EQ(app.handle(lookup("LEP-2020-004512", "")).status, 400);
    auto post = lookup("LEP-2020-004512", "Mokoena");
    post.method = "POST";
    const auto refused = app.handle(post);
    EXPECT_EQ(refused.status, 405);
    EXPECT_EQ(refused.headers.at(0), (std::pair<std::string, std::string>{"Allow", "GET"}));
    EXPECT_EQ(app.counts().bad_request, 6U);
    EXPECT_EQ(app.counts().total, 6U);
}

TEST(PermitRegistryApp, AWrongRouteIsNotAPermitVerdict) {
    auto app = app_with();
    const auto response = app.handle(get("/v2/permits/LEP-2020-004512", {{"surname", "Mokoena"}}));
    EXPECT_EQ(response.status, 404);
    EXPECT_NE(Json::parse(response.body)["error"], "permit_not_found");
}

TEST(PermitRegistryApp, AdminAddsAndReplacesPermits) {
    auto app = app_with();
    SimRequest post = get("/admin/permits");
    post.method = "POST";
    auto record = to_json(lep());
    record["number"] = "LEP-2020-999999";
    record["holder_surname"] = "Sello";
    post.body = record.dump();
    EXPECT_EQ(app.handle(post).status, 201);
    EXPECT_EQ(app.handle(lookup("LEP-2020-999999", "SELLO")).status, 200);
    record["status"] = "revoked";
    post.body = record.dump();
    const auto replaced = app.handle(post);
    EXPECT_EQ(replaced.status, 200);
    EXPECT_EQ(Json::parse(replaced.body)["replaced"], true);
    EXPECT_EQ(
        Json::parse(app.handle(lookup("LEP-2020-999999", "sello")).body)["status"], "revoked"
    );

    post.body = "{not json";
    EXPECT_EQ(app.handle(post).status, 400);
    post.body = R"({"number":"LEP 1","type":"LEP","holder_surname":"A","status":"valid"})";
    EXPECT_EQ(app.handle(post).status, 400);
}

TEST(PermitRegistryApp, AdminCountsOnlyPartnerApiRequests) {
    auto app = app_with();
    (void)app.handle(lookup("LEP-2020-004512", "Mokoena"));
    (void)app.handle(lookup("LEP-2020-000001", "Mokoena"));
    (void)app.handle(get("/healthz"));
    const auto counts = Json::parse(app.handle(get("/admin/requests")).body);
    EXPECT_EQ(counts["total"], 2);
    EXPECT_EQ(counts["by_outcome"]["found"], 1);
    EXPECT_EQ(counts["by_outcome"]["not_found"], 1);
    EXPECT_EQ(Json::parse(app.handle(get("/admin/requests")).body)["total"], 2)
        << "admin reads are not counted";
}

TEST(PermitRegistryApp, UnavailableFaultAnswers503WithRetryAfter) {
    auto app = app_with(FaultRates{kMillion, 0, 0});
    const auto response = app.handle(lookup("LEP-2020-004512", "Mokoena"));
    EXPECT_EQ(response.status, 503);
    EXPECT_EQ(response.headers.at(0).first, "Retry-After");
    EXPECT_EQ(app.counts().unavailable, 1U);
    EXPECT_EQ(app.handle(get("/healthz")).status, 200) << "health and admin are never faulted";
}

TEST(PermitRegistryApp, TimeoutFaultHoldsTheAnswerBack) {
    auto app = app_with(FaultRates{0, kMillion, 0}, milliseconds{20});
    const auto response = app.handle(lookup("LEP-2020-004512", "Mokoena"));
    EXPECT_EQ(response.delay, milliseconds{5020});
    EXPECT_EQ(app.counts().timeout, 1U);
    EXPECT_EQ(app.counts().found, 0U);
}

TEST(PermitRegistryApp, LatencyDelaysEveryPartnerAnswer) {
    auto app = app_with(FaultRates{}, milliseconds{150});
    EXPECT_EQ(app.handle(lookup("LEP-2020-004512", "Mokoena")).delay, milliseconds{150});
    EXPECT_EQ(app.handle(lookup("LEP-2020-000001", "Mokoena")).delay, milliseconds{150});
    EXPECT_EQ(app.handle(get("/healthz")).delay, milliseconds{0});
}

TEST(PermitRegistryApp, MalformedFaultBreaksTheContractInEachOfItsWays) {
    auto app = app_with(FaultRates{0, 0, kMillion});
    int not_json = 0;
    int wrong_type = 0;
    for (int i = 0; i < 60; ++i) {
        const auto response = app.handle(lookup("LEP-2020-004512", "Mokoena"));
        ASSERT_EQ(response.status, 200);
        const auto doc = Json::parse(response.body, nullptr, false);
        if (doc.is_discarded()) {
            ++not_json;
        } else {
            ASSERT_TRUE(doc.is_object()) << response.body;
            EXPECT_TRUE(doc["legal_expiry"].is_number()) << response.body;
            ++wrong_type;
        }
    }
    EXPECT_GT(not_json, 0);
    EXPECT_GT(wrong_type, 0);
    EXPECT_EQ(app.counts().malformed, 60U);
}

}  // namespace
}  // namespace chelete::simulators::permit_registry
