#include <future>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chelete/gateway/dispatcher.hpp>
#include <chelete/platform/crypto.hpp>

namespace chelete::gateway {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr std::string_view kSpec = R"yaml(
openapi: 3.1.0
info: {title: t, version: '1'}
security:
  - bearerAuth: []
paths:
  /v1/ping:
    get:
      operationId: ping
      security: []
      responses: {'200': {description: ok}}
  /v1/things:
    post:
      operationId: createThing
      x-roles: [worker]
      x-idempotency-key: required
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string, maxLength: 10}
                status: {type: string, readOnly: true}
      responses: {'201': {description: created}}
  /v1/things/{id}:
    get:
      operationId: getThing
      x-roles: [worker, admin]
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
        - {name: limit, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 200}}
      responses: {'200': {description: ok}}
  /v1/boom:
    post:
      operationId: boom
      security: []
      responses: {'200': {description: ok}}
  /metrics:
    get:
      operationId: metrics
      security:
        - metricsToken: []
        - bearerAuth: []
      x-roles: [admin]
      responses: {'200': {description: ok}}
  /v1/callbacks/p:
    post:
      operationId: partnerCallback
      security:
        - partnerSignature: []
      x-roles: [partner]
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object}
      responses: {'200': {description: ok}}
  /v1/ussd:
    post:
      operationId: ussdTurn
      security:
        - ussdAggregator: []
      x-roles: [partner]
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [sessionId]
              properties:
                sessionId: {type: string, maxLength: 8}
      responses: {'200': {description: ok, content: {text/plain: {schema: {type: string}}}}}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
    ussdAggregator: {type: http, scheme: basic}
    metricsToken: {type: http, scheme: bearer}
    partnerSignature: {type: apiKey, in: header, name: X-Chelete-Signature}
)yaml";

class FakeLimiter final : public RateLimiter {
public:
    RateDecision next;
    std::vector<std::string> clients;
    std::vector<RateLimit> limits;
    RateDecision check(const std::string& client, const RateLimit& limit) override {
        clients.push_back(client);
        limits.push_back(limit);
        return next;
    }
};

class FakeStore final : public IdempotencyStore {
public:
    IdempotencyBegin next;
    std::vector<std::string> completed;
    std::vector<std::string> abandoned;
    std::vector<std::pair<std::string, std::string>> begun;
    StoredResponse last;
    IdempotencyBegin
    begin(const std::string& client, const std::string& key, const std::string& /*hash*/) override {
        begun.emplace_back(client, key);
        return next;
    }
    void complete(
        const std::string& /*client*/, const std::string& key, const StoredResponse& response
    ) override {
        completed.push_back(key);
        last = response;
    }
    void abandon(const std::string& /*client*/, const std::string& key) override {
        abandoned.push_back(key);
    }
};

class DispatcherTest : public ::testing::Test {
protected:
    DispatcherTest()
        : spec_(OpenApiSpec::load(kSpec)),
          tokens_({{"k1", std::string(40, 's')}}, TokenSettings{}, clock_),
          executor_(2, 16),
          dispatcher_(spec_, tokens_, &limiter_, &store_, executor_, settings()) {
        const auto ok = [](const RequestContext& ctx, const Respond& respond) {
            json echo{
                {"path", ctx.path_params},
                {"query", ctx.query},
                {"body", ctx.body},
                {"principal", ctx.principal ? ctx.principal->subject : ""}};
            respond(json_response(200, echo));
        };
        dispatcher_.route("ping", ok);
        dispatcher_.route("getThing", ok);
        dispatcher_.route("metrics", ok);
        dispatcher_.route("partnerCallback", [](const RequestContext& ctx, const Respond& respond) {
            respond(json_response(
                200,
                {{"raw", ctx.raw_body},
                 {"role", ctx.principal ? ctx.principal->role : ""},
                 {"partner_signed", ctx.operation->partner_signed()}}
            ));
        });
        dispatcher_.route("createThing", [this](const RequestContext& ctx, const Respond& respond) {
            auto r = json_response(
                status_for_create_, {{"name", ctx.body["name"]}, {"key", ctx.idempotency_key}}
            );
            r.headers.emplace_back("Location", "/v1/things/1");
            respond(std::move(r));
        });
        dispatcher_.route("ussdTurn", [](const RequestContext& ctx, const Respond& respond) {
            respond(json_response(
                200,
                {{"raw", ctx.raw_body},
                 {"form", ctx.body},
                 {"subject", ctx.principal ? ctx.principal->subject : ""},
                 {"role", ctx.principal ? ctx.principal->role : ""}}
            ));
        });
        dispatcher_.route("boom", [](const RequestContext&, const Respond&) {
            throw std::runtime_error("secret internal detail: password=hunter2");
        });
    }

    static DispatcherSettings settings() {
        DispatcherSettings s;
        s.max_body_bytes = 256;
        s.metrics_token = "metrics-token-of-enough-length";
        s.ussd_credential = "aggregator:ussd-secret-0123";
        return s;
    }

    HttpResponse call(RawRequest r) {
        auto promise = std::make_shared<std::promise<HttpResponse>>();
        auto future = promise->get_future();
        dispatcher_.dispatch(std::move(r), [promise](HttpResponse resp) {
            promise->set_value(std::move(resp));
        });
        EXPECT_EQ(future.wait_for(std::chrono::seconds{5}), std::future_status::ready);
        return future.get();
    }

    static RawRequest req(
        std::string method,
        const std::string& path,
        std::string body = "",
        const std::string& token = ""
    ) {
        RawRequest r;
        r.method = std::move(method);
        const auto q = path.find('?');
        r.path = path.substr(0, q);
        r.query = q == std::string::npos ? "" : path.substr(q + 1);
        r.body = std::move(body);
        r.peer = "10.0.0.1";
        if (!r.body.empty()) {
            r.headers["content-type"] = "application/json";
        }
        if (!token.empty()) {
            r.headers["authorization"] = "Bearer " + token;
        }
        return r;
    }

    std::string token(const std::string& role, const std::string& subject = "u-1") {
        return tokens_.issue(Principal{subject, role, 0, ""});
    }

    static json body_of(const HttpResponse& r) { return json::parse(r.body); }

    platform::ManualClock clock_{platform::from_unix_ms(1'795'000'000'000)};
    OpenApiSpec spec_;
    TokenService tokens_;
    FakeLimiter limiter_;
    FakeStore store_;
    Executor executor_;
    Dispatcher dispatcher_;
    int status_for_create_ = 201;
};

constexpr std::string_view kThingId = "01234567-89ab-7def-8123-456789abcdef";

/// /v1/things/<kThingId>, then `query` ("?limit=20").
std::string thing_path(std::string_view query = "") {
    std::string path = "/v1/things/";
    path += kThingId;
    path += query;
    return path;
}

TEST_F(DispatcherTest, UnknownPathIsA404Problem) {
    const auto r = call(req("GET", "/v1/nothing"));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_EQ(body_of(r)["type"], "/problems/not-found");
    EXPECT_TRUE(r.header("X-Request-Id").has_value());
}

TEST_F(DispatcherTest, WrongMethodIsA405WithAllow) {
    const auto r = call(req("DELETE", "/v1/ping"));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("Allow"), "GET");
}

TEST_F(DispatcherTest, OversizedBodyIsA413) {
    const auto r = call(req("POST", "/v1/things", std::string(300, 'x'), token("worker")));
    EXPECT_EQ(r.status, 413);
    EXPECT_TRUE(store_.begun.empty());
}

TEST_F(DispatcherTest, MissingOrBadTokensAreA401) {
    auto r = call(req("GET", thing_path()));
    EXPECT_EQ(r.status, 401);
    EXPECT_THAT(*r.header("WWW-Authenticate"), HasSubstr("Bearer"));
    r = call(req("GET", thing_path(), "", "not.a.token"));
    EXPECT_EQ(r.status, 401);
    clock_.advance(std::chrono::hours{1});
    auto expired = tokens_.issue(Principal{"u-1", "worker", 0, ""});
    clock_.advance(std::chrono::hours{1});
    r = call(req("GET", thing_path(), "", expired));
    EXPECT_EQ(r.status, 401);
    EXPECT_THAT(body_of(r)["detail"].get<std::string>(), HasSubstr("expired"));
}

TEST_F(DispatcherTest, WrongRoleIsA403) {
    const auto r = call(req("GET", thing_path(), "", token("beneficiary")));
    EXPECT_EQ(r.status, 403);
}

TEST_F(DispatcherTest, PublicOperationsNeedNoToken) {
    const auto r = call(req("GET", "/v1/ping"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(limiter_.clients.back(), "ip:10.0.0.1");
}

TEST_F(DispatcherTest, RateLimitedRequestsGetRetryAfterInWholeSeconds) {
    limiter_.next = RateDecision{false, 0, 1500, 0};
    const auto r = call(req("GET", thing_path(), "", token("worker", "w-7")));
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.header("Retry-After"), "2");
    EXPECT_EQ(limiter_.clients.back(), "sub:w-7");
}

TEST_F(DispatcherTest, PartnerCallbacksHaveABucketOfTheirOwnPerAddress) {
    // One callback per payout: under the signed-in limit (600 a minute) a partner paying 27
    // remittances a second saw most callbacks refused with 429 (bench/e2e).
    auto callback = req("POST", "/v1/callbacks/p", "{}");
    callback.headers["x-chelete-signature"] = "v1=00";
    callback.headers["x-chelete-timestamp"] = "1700000000";
    ASSERT_EQ(call(callback).status, 200);
    EXPECT_EQ(limiter_.clients.back(), "partner:partnerCallback:ip:10.0.0.1");
    EXPECT_EQ(limiter_.limits.back().rate, settings().partner_limit.rate);
    EXPECT_EQ(limiter_.limits.back().burst, settings().partner_limit.burst);
    EXPECT_GT(settings().partner_limit.rate, settings().authenticated_limit.rate * 10);
    (void)call(req("GET", thing_path(), "", token("worker", "w-7")));
    EXPECT_EQ(limiter_.limits.back().rate, settings().authenticated_limit.rate);
}

TEST_F(DispatcherTest, PathAndQueryParametersAreTypedAndValidated) {
    auto r = call(req("GET", thing_path("?limit=20"), "", token("worker")));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body_of(r)["query"]["limit"], 20);
    EXPECT_EQ(body_of(r)["path"]["id"], std::string{kThingId});

    r = call(req("GET", "/v1/things/not-a-uuid?limit=0", "", token("worker")));
    EXPECT_EQ(r.status, 400);
    const auto errors = body_of(r)["errors"];
    ASSERT_EQ(errors.size(), 2U);
    EXPECT_EQ(errors[0]["field"], "id");
    EXPECT_EQ(errors[1]["field"], "limit");

    r = call(req("GET", thing_path("?limit=12abc"), "", token("worker")));
    EXPECT_EQ(r.status, 400);
    r = call(req("GET", thing_path("?color=red"), "", token("worker")));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body_of(r)["errors"][0]["field"], "color");
    r = call(req("GET", thing_path("?limit=%zz"), "", token("worker")));
    EXPECT_EQ(r.status, 400);
}

TEST_F(DispatcherTest, BodiesAreParsedAndValidated) {
    auto base = req("POST", "/v1/things", R"({"name": )", token("worker"));
    base.headers["idempotency-key"] = "k-1";
    auto r = call(base);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body_of(r)["type"], "/problems/malformed-body");

    base.body = R"({"nme": "x", "status": "paid"})";
    r = call(base);
    EXPECT_EQ(r.status, 422);
    std::set<std::string> fields;
    const auto problem_body =
        body_of(r);  // a named value: iterating a temporary's member would dangle
    for (const auto& e : problem_body["errors"]) {
        fields.insert(e["field"].get<std::string>());
    }
    EXPECT_EQ(fields, (std::set<std::string>{"name", "nme", "status"}));
    EXPECT_TRUE(store_.begun.empty()) << "an invalid request never takes an idempotency key";

    base.body = R"({"name": "ok"})";
    base.headers["content-type"] = "text/plain";
    EXPECT_EQ(call(base).status, 415);

    auto no_body_op = req("GET", "/v1/ping", "{}");
    EXPECT_EQ(call(no_body_op).status, 400);
}

TEST_F(DispatcherTest, IdempotencyKeyIsRequiredWhereTheSpecSaysSo) {
    const auto r = call(req("POST", "/v1/things", R"({"name": "ok"})", token("worker")));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body_of(r)["errors"][0]["field"], "Idempotency-Key");
}

TEST_F(DispatcherTest, FirstUseRunsAndStoresTheResponse) {
    auto r0 = req("POST", "/v1/things", R"({"name": "ok"})", token("worker", "w-1"));
    r0.headers["idempotency-key"] = "k-1";
    const auto r = call(r0);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(store_.begun.at(0), (std::pair<std::string, std::string>{"w-1", "k-1"}));
    ASSERT_EQ(store_.completed.size(), 1U);
    EXPECT_EQ(store_.last.status, 201);
    EXPECT_EQ(store_.last.location, "/v1/things/1");
    EXPECT_EQ(store_.last.body, r.body);
}

TEST_F(DispatcherTest, ServerErrorsReleaseTheKey) {
    status_for_create_ = 503;
    auto r0 = req("POST", "/v1/things", R"({"name": "ok"})", token("worker"));
    r0.headers["idempotency-key"] = "k-2";
    EXPECT_EQ(call(r0).status, 503);
    EXPECT_EQ(store_.abandoned, std::vector<std::string>{"k-2"});
    EXPECT_TRUE(store_.completed.empty());
}

TEST_F(DispatcherTest, ReplaysAndConflicts) {
    auto r0 = req("POST", "/v1/things", R"({"name": "ok"})", token("worker"));
    r0.headers["idempotency-key"] = "k-3";
    store_.next = IdempotencyBegin{
        IdempotencyAction::kReplay,
        StoredResponse{201, "application/json", "/v1/things/9", R"({"n":1})"}};
    auto r = call(r0);
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.body, R"({"n":1})");
    EXPECT_EQ(r.header("Location"), "/v1/things/9");
    EXPECT_EQ(r.header("Idempotent-Replayed"), "true");
    EXPECT_TRUE(store_.completed.empty()) << "a replay stores nothing";

    store_.next = IdempotencyBegin{IdempotencyAction::kConflictOtherRequest, {}};
    r = call(r0);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(body_of(r)["type"], "/problems/idempotency-key-reused");

    store_.next = IdempotencyBegin{IdempotencyAction::kConflictInProgress, {}};
    r = call(r0);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.header("Retry-After"), "1");
}

TEST_F(DispatcherTest, HandlerExceptionsBecomeAGeneric500) {
    auto r0 = req("POST", "/v1/boom");
    r0.headers["x-request-id"] = "trace-me-42";
    const auto r = call(r0);
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_THAT(r.body, ::testing::Not(HasSubstr("hunter2")));
    EXPECT_THAT(r.body, ::testing::Not(HasSubstr("secret")));
    EXPECT_THAT(r.body, HasSubstr("trace-me-42"));
    EXPECT_EQ(r.header("X-Request-Id"), "trace-me-42");
}

TEST_F(DispatcherTest, MetricsTokenOnlyOpensOperationsThatAcceptIt) {
    EXPECT_EQ(call(req("GET", "/metrics", "", "metrics-token-of-enough-length")).status, 200);
    EXPECT_EQ(call(req("GET", "/metrics", "", token("admin"))).status, 200);
    EXPECT_EQ(call(req("GET", "/metrics", "", token("finance"))).status, 403);
    EXPECT_EQ(call(req("GET", thing_path(), "", "metrics-token-of-enough-length")).status, 401);
}

TEST_F(DispatcherTest, PartnerCallbacksNeedSignatureHeadersNotATokenAndKeepTheRawBody) {
    const std::string body = R"({ "b": 1,  "a": "x" })";
    auto unsigned_request = req("POST", "/v1/callbacks/p", body);
    EXPECT_EQ(call(unsigned_request).status, 401);
    auto half = req("POST", "/v1/callbacks/p", body);
    half.headers["x-chelete-signature"] = "v1=00";
    EXPECT_EQ(call(half).status, 401);
    auto full = req("POST", "/v1/callbacks/p", body);
    full.headers["x-chelete-signature"] = "v1=00";
    full.headers["x-chelete-timestamp"] = "1700000000";
    const auto r = call(full);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto answer = json::parse(r.body);
    // The body reaches the service byte for byte (the HMAC is over these bytes), and the
    // caller is a partner, whose signature the owning service checks.
    EXPECT_EQ(answer["raw"], body);
    EXPECT_EQ(answer["role"], "partner");
    EXPECT_EQ(answer["partner_signed"], true);
    // A bearer token does not open a partner operation.
    EXPECT_EQ(call(req("POST", "/v1/callbacks/p", body, token("admin"))).status, 401);
}

TEST_F(DispatcherTest, EveryOperationNeedsAHandler) {
    Dispatcher partial{spec_, tokens_, nullptr, nullptr, executor_, settings()};
    partial.route("ping", [](const RequestContext&, const Respond& r) {
        r(json_response(200, {}));
    });
    try {
        partial.check_complete();
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("createThing"));
        EXPECT_THAT(e.what(), HasSubstr("boom"));
    }
    EXPECT_NO_THROW(dispatcher_.check_complete());
    EXPECT_THROW(partial.route("noSuchOperation", {}), std::invalid_argument);
}

TEST_F(DispatcherTest, OverloadIsA503) {
    Executor full{1, 0};
    Dispatcher busy{spec_, tokens_, nullptr, nullptr, full, settings()};
    busy.route("ping", [](const RequestContext&, const Respond& r) { r(json_response(200, {})); });
    std::promise<HttpResponse> p;
    busy.dispatch(req("GET", "/v1/ping"), [&](HttpResponse r) { p.set_value(std::move(r)); });
    const auto r = p.get_future().get();
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.header("Retry-After"), "1");
}

TEST_F(DispatcherTest, TheUssdTurnTakesTheAggregatorsBasicCredentialAndNothingElse) {
    const auto ussd = [](const std::string& authorization, std::string body = "sessionId=s1") {
        RawRequest r = req("POST", "/v1/ussd", std::move(body));
        r.headers["content-type"] = "application/x-www-form-urlencoded";
        if (!authorization.empty()) {
            r.headers["authorization"] = authorization;
        }
        return r;
    };
    const auto basic = [](std::string_view credential) {
        return "Basic " + platform::crypto::base64_encode(credential);
    };
    for (const std::string& wrong :
         {std::string{},
          basic("aggregator:ussd-secret-0124"),
          basic("aggregator:ussd-secret-012"),
          basic("aggregator:ussd-secret-01234"),
          basic("ussd-secret-0123"),
          std::string{"Basic aggregator:ussd-secret-0123"},
          std::string{"Basic %%%"},
          "Bearer " + token("partner"),
          "Bearer " + token("admin"),
          std::string{"Bearer metrics-token-of-enough-length"}}) {
        const auto r = call(ussd(wrong));
        EXPECT_EQ(r.status, 401) << wrong;
        EXPECT_THAT(r.header("WWW-Authenticate").value_or(""), HasSubstr("Basic")) << wrong;
    }
    const auto ok = call(ussd(basic("aggregator:ussd-secret-0123")));
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(body_of(ok)["raw"], "sessionId=s1");
    EXPECT_EQ(body_of(ok)["form"]["sessionId"], "s1");
    EXPECT_EQ(body_of(ok)["role"], "partner");
    EXPECT_EQ(body_of(ok)["subject"], "partner:ussdTurn");
    // "basic" in lower case is the same scheme (RFC 7617 schemes are case-insensitive).
    EXPECT_EQ(
        call(ussd("basic " + platform::crypto::base64_encode("aggregator:ussd-secret-0123")))
            .status,
        200
    );
    // Authenticated, then validated: a field too long is 422 naming it.
    const auto long_id = call(ussd(basic("aggregator:ussd-secret-0123"), "sessionId=123456789"));
    EXPECT_EQ(long_id.status, 422);
    EXPECT_THAT(long_id.body, HasSubstr("sessionId"));
    EXPECT_EQ(limiter_.clients.back(), "partner:ussdTurn:ip:10.0.0.1");
}

TEST_F(DispatcherTest, WithoutAConfiguredCredentialEveryUssdTurnIsRefused) {
    DispatcherSettings s = settings();
    s.ussd_credential.clear();
    Dispatcher unconfigured{spec_, tokens_, &limiter_, &store_, executor_, s};
    unconfigured.route("ussdTurn", [](const RequestContext&, const Respond& respond) {
        respond(json_response(200, json::object()));
    });
    RawRequest r = req("POST", "/v1/ussd", "sessionId=s1");
    r.headers["content-type"] = "application/x-www-form-urlencoded";
    r.headers["authorization"] = "Basic " + platform::crypto::base64_encode(":");
    auto promise = std::make_shared<std::promise<HttpResponse>>();
    auto future = promise->get_future();
    unconfigured.dispatch(std::move(r), [promise](HttpResponse resp) {
        promise->set_value(std::move(resp));
    });
    ASSERT_EQ(future.wait_for(std::chrono::seconds{5}), std::future_status::ready);
    EXPECT_EQ(future.get().status, 401);
}

}  // namespace
}  // namespace chelete::gateway
