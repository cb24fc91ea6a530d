#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chelete/gateway/openapi.hpp>

namespace chelete::gateway {

// Readable failure output for FieldError lists.
// NOLINTNEXTLINE(readability-identifier-naming): GoogleTest looks for PrintTo by name
inline void PrintTo(const FieldError& e, std::ostream* os) {
    *os << "{\"" << e.field << "\", \"" << e.message << "\"}";
}

namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::string_view kSpec = R"yaml(
openapi: 3.1.0
info: {title: Chelete, version: "0.1"}
security:
  - bearer: []
x-scalars:
  quoted_int: '200'
  plain_int: 200
  quoted_bool: "true"
  plain_bool: true
  tilde: ~
  word_null: null
  plain_float: 1.5
  big: 9007199254740993
  negative: -7
  block: |
    text
  yes_word: yes
  version: 3.1.0
  explicit: !!str 12
paths:
  /v1/agencies/verify/{licence_no}:
    get:
      operationId: verifyAgency
      security: []
      parameters:
        - {name: licence_no, in: path, required: true, schema: {type: string, maxLength: 40}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/AgencySummary'}
        '404': {$ref: '#/components/responses/Problem'}
  /v1/agencies/{id}:
    parameters:
      - $ref: '#/components/parameters/Id'
    get:
      operationId: getAgency
      security: []
      responses:
        '200': {description: ok}
  /v1/agencies/{id}/decisions:
    post:
      operationId: decideAgency
      x-roles: [ministry_officer]
      x-idempotency-key: required
      parameters:
        - $ref: '#/components/parameters/Id'
      requestBody:
        $ref: '#/components/requestBodies/Decision'
      responses:
        '200': {description: ok}
        '409': {$ref: '#/components/responses/Problem'}
  /v1/workers:
    post:
      operationId: registerWorker
      security: []
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Worker'}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Worker'}
  /v1/workers/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
      - {name: verbose, in: query, schema: {type: boolean}}
    get:
      operationId: getWorker
      x-roles: [worker, ministry_officer, compliance_officer]
      parameters:
        - {name: verbose, in: query, schema: {type: integer}}
      responses:
        '200': {description: ok}
  /v1/remittances:
    get:
      operationId: listRemittances
      x-roles: [worker, compliance_officer, finance]
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 200, default: 50}}
        - {name: cursor, in: query, schema: {type: string, maxLength: 200}}
      responses:
        '200': {description: ok}
    post:
      operationId: createRemittance
      x-roles: [worker]
      responses:
        '202': {description: accepted}
  /v1/ussd:
    post:
      operationId: ussd
      x-roles: [partner]
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [sessionId, text]
              properties:
                sessionId: {type: string}
                serviceCode: {type: string}
                phoneNumber: {type: string}
                networkCode: {type: string}
                text: {type: string}
      responses:
        '200':
          description: ok
          content:
            text/plain: {schema: {type: string}}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  parameters:
    Id: {name: id, in: path, required: true, schema: {type: string, format: uuid}}
  requestBodies:
    Decision:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [action, reason]
            properties:
              action: {enum: [start_review, approve, reject]}
              reason: {type: string, minLength: 1, maxLength: 500}
  responses:
    Problem:
      description: problem
      content:
        application/problem+json:
          schema: {$ref: '#/components/schemas/Problem'}
  schemas:
    AgencySummary:
      type: object
      required: [licence_no, name, status]
      properties:
        licence_no: {type: string}
        name: {type: string}
        status: {enum: [applied, licensed, suspended]}
        valid_until: {type: [string, "null"], format: date}
    Problem:
      type: object
      properties:
        type: {type: string}
        title: {type: string}
        status: {type: integer}
        detail: {type: string}
        errors:
          type: array
          items:
            type: object
            properties: {field: {type: string}, message: {type: string}}
    Worker:
      type: object
      required: [id, status, given_name, phone]
      properties:
        id: {type: string, format: uuid, readOnly: true}
        status: {type: string, readOnly: true}
        kyc_tier: {type: integer, readOnly: true}
        given_name: {type: string, minLength: 1, maxLength: 100}
        phone: {type: string, format: e164}
        pin: {type: string, pattern: '^[0-9]{4,6}$', maxLength: 6, writeOnly: true}
)yaml";

const OpenApiSpec& spec() {
    static const OpenApiSpec kLoaded = OpenApiSpec::load(kSpec);
    return kLoaded;
}

std::string load_error(const std::string& yaml) {
    try {
        (void)OpenApiSpec::load(yaml);
    } catch (const SpecError& e) {
        return e.what();
    }
    return "";
}

// A minimal valid document with one operation whose text the tests replace.
std::string with_operation(std::string_view operation, std::string_view extra = "") {
    return std::string{R"(openapi: 3.1.0
info: {title: t, version: '1'}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Thing: {type: object, properties: {a: {type: string}}}
)"} + std::string{extra} +
           "paths:\n  /v1/things/{id}:\n    post:\n" + std::string{operation};
}

constexpr std::string_view kGoodOperation = R"(      operationId: makeThing
      x-roles: [admin]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
)";

FieldError err(std::string field, std::string message) {
    return FieldError{std::move(field), std::move(message)};
}

// --- loading --------------------------------------------------------------------------------

TEST(OpenApiSpecTest, LoadsOperations) {
    EXPECT_EQ(spec().operations().size(), 8U);
    const Operation* decide = spec().by_operation_id("decideAgency");
    ASSERT_NE(decide, nullptr);
    EXPECT_EQ(decide->method, "POST");
    EXPECT_EQ(decide->path_template, "/v1/agencies/{id}/decisions");
    EXPECT_THAT(decide->roles, ElementsAre("ministry_officer"));
    EXPECT_FALSE(decide->is_public);
    EXPECT_TRUE(decide->idempotent);
    EXPECT_TRUE(decide->request_body_required);
    EXPECT_EQ(decide->request_content_type, "application/json");
    ASSERT_NE(decide->request_body, nullptr);
    EXPECT_EQ(decide->responses.count("409"), 1U);
    EXPECT_EQ(decide->responses.count("200"), 0U);

    const Operation* verify = spec().by_operation_id("verifyAgency");
    ASSERT_NE(verify, nullptr);
    EXPECT_TRUE(verify->is_public);
    EXPECT_TRUE(verify->roles.empty());
    EXPECT_FALSE(verify->idempotent);
    EXPECT_EQ(verify->request_body, nullptr);
    EXPECT_EQ(spec().by_operation_id("nope"), nullptr);
}

TEST(OpenApiSpecTest, QuotedScalarsStayStrings) {
    const json& x = spec().document().at("x-scalars");
    EXPECT_EQ(x.at("quoted_int"), json("200"));
    EXPECT_EQ(x.at("plain_int"), json(200));
    EXPECT_EQ(x.at("quoted_bool"), json("true"));
    EXPECT_EQ(x.at("plain_bool"), json(true));
    EXPECT_TRUE(x.at("tilde").is_null());
    EXPECT_TRUE(x.at("word_null").is_null());
    EXPECT_EQ(x.at("plain_float"), json(1.5));
    EXPECT_EQ(x.at("big").get<std::int64_t>(), 9007199254740993);
    EXPECT_EQ(x.at("negative"), json(-7));
    EXPECT_EQ(x.at("block"), json("text\n"));
    EXPECT_EQ(x.at("yes_word"), json("yes"));
    EXPECT_EQ(x.at("version"), json("3.1.0"));
    EXPECT_EQ(x.at("explicit"), json("12"));
    EXPECT_TRUE(spec().document().at("paths").contains("/v1/ussd"));
    EXPECT_THAT(spec().yaml(), HasSubstr("openapi: 3.1.0"));
}

TEST(OpenApiSpecTest, MergesPathLevelParameters) {
    const Operation* worker = spec().by_operation_id("getWorker");
    ASSERT_NE(worker, nullptr);
    ASSERT_EQ(worker->parameters.size(), 2U);
    EXPECT_EQ(worker->parameters[0].name, "id");
    EXPECT_EQ(worker->parameters[0].in, "path");
    EXPECT_TRUE(worker->parameters[0].required);
    // The operation's own `verbose` (integer) overrides the path-level boolean one.
    EXPECT_EQ(worker->parameters[1].name, "verbose");
    json out;
    EXPECT_THAT(validate_parameter(worker->parameters[1], "3", out), IsEmpty());
    EXPECT_EQ(out, 3);
    const Operation* decide = spec().by_operation_id("decideAgency");
    ASSERT_EQ(decide->parameters.size(), 1U);
    EXPECT_THAT(
        validate_parameter(decide->parameters[0], "not-a-uuid", out),
        ElementsAre(err("id", "must be a UUID"))
    );
}

TEST(OpenApiSpecTest, RequestBodiesValidateThroughTheSpec) {
    const Operation* decide = spec().by_operation_id("decideAgency");
    EXPECT_THAT(
        validate(*decide->request_body, json{{"action", "approve"}, {"reason", "ok"}}), IsEmpty()
    );
    EXPECT_THAT(
        validate(
            *decide->request_body, json{{"action", "ban"}, {"reason", "x"}, {"officer", "me"}}
        ),
        ElementsAre(
            err("action", "must be one of: start_review, approve, reject"),
            err("officer", "is not allowed")
        )
    );
    const Operation* ussd = spec().by_operation_id("ussd");
    EXPECT_EQ(ussd->request_content_type, "application/x-www-form-urlencoded");
    const auto form = parse_form_body("sessionId=1&text=");
    ASSERT_TRUE(form.has_value());
    EXPECT_THAT(validate(*ussd->request_body, *form), IsEmpty());
    EXPECT_TRUE(ussd->responses.empty());
}

TEST(OpenApiSpecTest, ReadOnlyFieldsAreRefusedInRequestsButNotResponses) {
    const Operation* reg = spec().by_operation_id("registerWorker");
    const json request{{"given_name", "Thabo"}, {"phone", "+26650123456"}, {"pin", "1234"}};
    EXPECT_THAT(validate(*reg->request_body, request), IsEmpty());
    json mass_assigned = request;
    mass_assigned["kyc_tier"] = 3;
    mass_assigned["status"] = "verified";
    EXPECT_THAT(
        validate(*reg->request_body, mass_assigned),
        ElementsAre(err("kyc_tier", "is read-only"), err("status", "is read-only"))
    );
    const json response{
        {"id", "0190c1a2-7b3c-7def-8123-456789abcdef"},
        {"status", "active"},
        {"given_name", "Thabo"},
        {"phone", "+26650123456"},
        {"kyc_tier", 1}};
    EXPECT_THAT(validate(*reg->responses.at("201"), response), IsEmpty());
    json leaking = response;
    leaking["pin"] = "1234";
    EXPECT_THAT(
        validate(*reg->responses.at("201"), leaking), ElementsAre(err("pin", "is write-only"))
    );
}

// --- routing --------------------------------------------------------------------------------

TEST(OpenApiSpecTest, LiteralSegmentBeatsTemplate) {
    auto m = spec().match("GET", "/v1/agencies/verify/LS-2024-001");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->operation->operation_id, "verifyAgency");
    EXPECT_EQ(m->path_params, (std::map<std::string, std::string>{{"licence_no", "LS-2024-001"}}));
    m = spec().match("GET", "/v1/agencies/0190c1a2-7b3c-7def-8123-456789abcdef");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->operation->operation_id, "getAgency");
    EXPECT_EQ(m->path_params.at("id"), "0190c1a2-7b3c-7def-8123-456789abcdef");
    // "verify" is a valid {id} for the decisions route: nothing literal competes there.
    m = spec().match("POST", "/v1/agencies/verify/decisions");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->operation->operation_id, "decideAgency");
    EXPECT_EQ(m->path_params.at("id"), "verify");
}

TEST(OpenApiSpecTest, PathParamsArePercentDecoded) {
    const auto m = spec().match("GET", "/v1/agencies/verify/LS%20001%C3%A9");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->path_params.at("licence_no"), "LS 001\xC3\xA9");
}

TEST(OpenApiSpecTest, MethodNotAllowedListsTheMethods) {
    std::vector<std::string> allowed;
    EXPECT_FALSE(spec().match("DELETE", "/v1/remittances", &allowed).has_value());
    EXPECT_THAT(allowed, ElementsAre("GET", "POST"));
    EXPECT_FALSE(spec().match("PUT", "/v1/agencies/verify/x", &allowed).has_value());
    EXPECT_THAT(allowed, ElementsAre("GET"));
    EXPECT_FALSE(spec().match("get", "/v1/remittances", &allowed).has_value());
    EXPECT_THAT(allowed, ElementsAre("GET", "POST"));
    EXPECT_TRUE(spec().match("GET", "/v1/remittances", &allowed).has_value());
    EXPECT_THAT(allowed, IsEmpty());
}

TEST(OpenApiSpecTest, UnknownPathIsNotFound) {
    std::vector<std::string> allowed{"stale"};
    EXPECT_FALSE(spec().match("GET", "/v1/nothing", &allowed).has_value());
    EXPECT_THAT(allowed, IsEmpty());
    EXPECT_FALSE(spec().match("GET", "/v1/remittances/extra", &allowed).has_value());
    EXPECT_THAT(allowed, IsEmpty());
}

TEST(OpenApiSpecTest, RefusesHostilePaths) {
    for (const std::string& path : std::vector<std::string>{
             "",
             "v1/remittances",
             "//v1/remittances",
             "/v1//remittances",
             "/v1/remittances/",
             "/v1/agencies/../workers",
             "/v1/agencies/./x",
             "/v1/agencies//decisions",
             "/v1/agencies/verify/a%2Fb",
             "/v1/agencies/verify/%2e%2e",
             "/v1/agencies/verify/%zz",
             "/v1/agencies/verify/%",
             "/v1/agencies/verify/%00",
             "/v1/agencies/verify/%ff",
             std::string{"/v1/agencies/verify/a\0b", 23}}) {
        std::vector<std::string> allowed;
        EXPECT_FALSE(spec().match("GET", path, &allowed).has_value()) << path;
        EXPECT_THAT(allowed, IsEmpty()) << path;
    }
    // Literal segments are compared as sent: an encoded literal is another path.
    EXPECT_FALSE(spec().match("GET", "/v1/%72emittances").has_value());
}

// --- spec errors ----------------------------------------------------------------------------

TEST(OpenApiSpecTest, MinimalDocumentLoads) {
    const auto spec = OpenApiSpec::load(with_operation(kGoodOperation));
    EXPECT_EQ(spec.operations().size(), 1U);
    EXPECT_TRUE(spec.match("POST", "/v1/things/1").has_value());
}

TEST(OpenApiSpecTest, UnknownSchemaKeywordIsSpecError) {
    const auto message =
        load_error(with_operation(std::string{kGoodOperation} + R"(      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {a: {type: string, if: {}}}}
)"));
    EXPECT_THAT(
        message,
        HasSubstr(
            "paths./v1/things/{id}.post.requestBody.content.application/json.schema.properties.a: "
            "unsupported keyword 'if'"
        )
    );
}

TEST(OpenApiSpecTest, MissingXRolesIsSpecError) {
    EXPECT_THAT(
        load_error(with_operation(R"(      operationId: makeThing
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
)")),
        HasSubstr("'x-roles' is required")
    );
}

TEST(OpenApiSpecTest, UnknownRoleIsSpecError) {
    EXPECT_THAT(
        load_error(with_operation(R"(      operationId: makeThing
      x-roles: [admin, superuser]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
)")),
        HasSubstr("unknown role \"superuser\"")
    );
    EXPECT_THAT(
        load_error(with_operation(R"(      operationId: makeThing
      x-roles: []
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
)")),
        HasSubstr("non-empty")
    );
}

TEST(OpenApiSpecTest, XRolesOnPublicOperationIsSpecError) {
    EXPECT_THAT(
        load_error(with_operation(R"(      operationId: makeThing
      security: []
      x-roles: [admin]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
)")),
        HasSubstr("public")
    );
}

TEST(OpenApiSpecTest, DuplicateOperationIdIsSpecError) {
    const std::string yaml = with_operation(kGoodOperation) + R"(  /v1/other:
    get:
      operationId: makeThing
      x-roles: [admin]
      responses: {'200': {description: ok}}
)";
    EXPECT_THAT(load_error(yaml), HasSubstr("operationId 'makeThing' is used twice"));
    EXPECT_THAT(
        load_error(with_operation(R"(      x-roles: [admin]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
)")),
        HasSubstr("'operationId' is required")
    );
}

TEST(OpenApiSpecTest, BadRefsAreSpecErrors) {
    EXPECT_THAT(
        load_error(with_operation(std::string{kGoodOperation} + R"(      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Missing'}
)")),
        HasSubstr("does not resolve")
    );
    EXPECT_THAT(
        load_error(with_operation(R"(      operationId: makeThing
      x-roles: [admin]
      parameters: [{$ref: '#/components/parameters/Nope'}]
      responses: {'200': {description: ok}}
)")),
        HasSubstr("does not resolve")
    );
    EXPECT_THAT(
        load_error(with_operation(R"(      operationId: makeThing
      x-roles: [admin]
      parameters: [{$ref: '#/components/schemas/Thing'}]
      responses: {'200': {description: ok}}
)")),
        HasSubstr("#/components/parameters/")
    );
    EXPECT_THAT(
        load_error(with_operation(
            R"(      operationId: makeThing
      x-roles: [admin]
      parameters: [{$ref: '#/components/parameters/A'}]
      responses: {'200': {description: ok}}
)",
            R"(  parameters:
    A: {$ref: '#/components/parameters/B'}
    B: {$ref: '#/components/parameters/A'}
)"
        )),
        HasSubstr("$ref cycle")
    );
}

TEST(OpenApiSpecTest, PathParametersMustMatchTheTemplate) {
    EXPECT_THAT(
        load_error(with_operation(R"(      operationId: makeThing
      x-roles: [admin]
      responses: {'200': {description: ok}}
)")),
        HasSubstr("path parameter 'id' is not declared")
    );
    EXPECT_THAT(
        load_error(with_operation(R"(      operationId: makeThing
      x-roles: [admin]
      parameters: [{name: id, in: path, schema: {type: string}}]
      responses: {'200': {description: ok}}
)")),
        HasSubstr("required: true")
    );
}

TEST(OpenApiSpecTest, AmbiguousRoutesAreSpecErrors) {
    const std::string yaml = with_operation(kGoodOperation) + R"(  /v1/things/{other}:
    get:
      operationId: other
      x-roles: [admin]
      parameters: [{name: other, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
)";
    EXPECT_THAT(load_error(yaml), HasSubstr("same route"));
}

TEST(OpenApiSpecTest, DocumentLevelErrors) {
    std::string yaml = with_operation(kGoodOperation);
    yaml.replace(yaml.find("3.1.0"), 5, "3.0.3");
    EXPECT_THAT(load_error(yaml), HasSubstr("3.1"));
    EXPECT_THAT(load_error("openapi: 3.1.0\npaths: {}\npaths: {}\n"), HasSubstr("paths"));
    EXPECT_THAT(load_error("openapi: [unclosed\n"), HasSubstr("YAML error at line"));
    EXPECT_THAT(
        load_error(with_operation(kGoodOperation, "  schemas2: {}\n")), HasSubstr("schemas2")
    );
    EXPECT_THAT(
        load_error(with_operation(std::string{kGoodOperation} + R"(      requestBody:
        content:
          application/json:
            schema: {type: string, nullable: true}
)")),
        HasSubstr("nullable")
    );
    EXPECT_THAT(
        load_error(
            with_operation(std::string{kGoodOperation} + "      x-idempotency-key: optional\n")
        ),
        HasSubstr("x-idempotency-key")
    );
    EXPECT_THAT(
        load_error(with_operation(std::string{kGoodOperation} + "      security: [{basic: []}]\n")),
        HasSubstr("'basic' is not defined")
    );
    EXPECT_THAT(
        load_error(with_operation(std::string{kGoodOperation} + R"(      requestBody:
        content:
          text/plain:
            schema: {type: string}
)")),
        HasSubstr("not supported")
    );
}

}  // namespace
}  // namespace chelete::gateway

namespace chelete::gateway {
namespace {

TEST(OpenApiSpecSecurityTest, RecordsTheSchemesEachOperationAccepts) {
    const auto spec = OpenApiSpec::load(R"yaml(
openapi: 3.1.0
info: {title: t, version: '1'}
security:
  - bearerAuth: []
paths:
  /a:
    get:
      operationId: a
      x-roles: [admin]
      responses: {'200': {description: ok}}
  /m:
    get:
      operationId: m
      security:
        - metricsToken: []
        - bearerAuth: []
      x-roles: [admin]
      responses: {'200': {description: ok}}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
    metricsToken: {type: http, scheme: bearer}
)yaml");
    EXPECT_EQ(spec.by_operation_id("a")->security_schemes, std::vector<std::string>{"bearerAuth"});
    EXPECT_EQ(
        spec.by_operation_id("m")->security_schemes,
        (std::vector<std::string>{"metricsToken", "bearerAuth"})
    );
}

}  // namespace
}  // namespace chelete::gateway
