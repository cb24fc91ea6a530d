#include "json_schema.hpp"

#include <chrono>
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

std::shared_ptr<const CompiledSchema> compile(
    std::string_view schema,
    std::string_view components = "{}",
    Direction direction = Direction::kRequest
) {
    return compile_schema(json::parse(schema), json::parse(components), direction);
}

std::vector<FieldError> check(
    const std::shared_ptr<const CompiledSchema>& schema, std::string_view value
) {
    return validate(*schema, json::parse(value));
}

FieldError err(std::string field, std::string message) {
    return FieldError{std::move(field), std::move(message)};
}

std::string spec_error(std::string_view schema, std::string_view components = "{}") {
    try {
        (void)compile(schema, components);
    } catch (const SpecError& e) {
        return e.what();
    }
    return "";
}

// --- type ---------------------------------------------------------------------------------

TEST(JsonSchemaTest, AcceptsEachTypeAndRefusesOthers) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"string", R"("x")"},
        {"integer", "3"},
        {"number", "3.5"},
        {"boolean", "true"},
        {"object", "{}"},
        {"array", "[]"},
        {"null", "null"},
    };
    for (const auto& [type, good] : cases) {
        const auto schema = compile(R"({"type": ")" + type + R"("})");
        EXPECT_THAT(check(schema, good), IsEmpty()) << type;
        for (const auto& [other_type, other] : cases) {
            const bool also_valid = (type == "number" && other_type == "integer");
            if (other_type != type && !also_valid) {
                EXPECT_EQ(check(schema, other).size(), 1U) << type << " vs " << other;
            }
        }
    }
}

TEST(JsonSchemaTest, TypeMessagesAreShortEnglish) {
    EXPECT_THAT(
        check(compile(R"({"type": "string"})"), "1"), ElementsAre(err("", "must be a string"))
    );
    EXPECT_THAT(
        check(compile(R"({"type": "integer"})"), R"("1")"),
        ElementsAre(err("", "must be an integer"))
    );
    EXPECT_THAT(
        check(compile(R"({"type": ["string", "null"]})"), "1"),
        ElementsAre(err("", "must be a string or null"))
    );
    EXPECT_THAT(
        check(compile(R"({"type": ["string", "integer", "null"]})"), "true"),
        ElementsAre(err("", "must be a string, an integer or null"))
    );
}

TEST(JsonSchemaTest, TypeListAcceptsEachMember) {
    const auto schema = compile(R"({"type": ["string", "null"]})");
    EXPECT_THAT(check(schema, "null"), IsEmpty());
    EXPECT_THAT(check(schema, R"("a")"), IsEmpty());
}

TEST(JsonSchemaTest, IntegerAcceptsIntegralFloatButNotFraction) {
    const auto schema = compile(R"({"type": "integer"})");
    EXPECT_THAT(check(schema, "2.0"), IsEmpty());
    EXPECT_THAT(check(schema, "2.5"), ElementsAre(err("", "must be an integer")));
    // Beyond 2^53 a double cannot say which integer it means.
    EXPECT_THAT(check(schema, "1e300"), ElementsAre(err("", "must be an integer")));
    EXPECT_THAT(check(schema, "18446744073709551615"), IsEmpty());
}

TEST(JsonSchemaTest, UnknownTypeIsSpecError) {
    EXPECT_THAT(spec_error(R"({"type": "text"})"), HasSubstr("unknown type"));
    EXPECT_THAT(spec_error(R"({"type": ["string", "string"]})"), HasSubstr("twice"));
}

// --- objects ------------------------------------------------------------------------------

TEST(JsonSchemaTest, RefusesUnknownFields) {
    const auto schema =
        compile(R"({"type": "object", "properties": {"name": {"type": "string"}}})");
    EXPECT_THAT(check(schema, R"({"name": "a"})"), IsEmpty());
    EXPECT_THAT(
        check(schema, R"({"name": "a", "status": "active"})"),
        ElementsAre(err("status", "is not allowed"))
    );
}

TEST(JsonSchemaTest, EmptyPropertiesStillRefusesUnknownFields) {
    const auto schema = compile(R"({"type": "object", "properties": {}})");
    EXPECT_THAT(check(schema, "{}"), IsEmpty());
    EXPECT_THAT(check(schema, R"({"x": 1})"), ElementsAre(err("x", "is not allowed")));
}

TEST(JsonSchemaTest, AdditionalPropertiesTrueAllowsUnknownFields) {
    const auto schema =
        compile(R"({"properties": {"a": {"type": "string"}}, "additionalProperties": true})");
    EXPECT_THAT(check(schema, R"({"a": "x", "b": 1})"), IsEmpty());
}

TEST(JsonSchemaTest, AdditionalPropertiesFalseRefusesEvenWithoutProperties) {
    const auto schema = compile(R"({"type": "object", "additionalProperties": false})");
    EXPECT_THAT(check(schema, "{}"), IsEmpty());
    EXPECT_THAT(check(schema, R"({"b": 1})"), ElementsAre(err("b", "is not allowed")));
}

TEST(JsonSchemaTest, AdditionalPropertiesSchemaValidatesExtras) {
    const auto schema =
        compile(R"({"type": "object", "additionalProperties": {"type": "integer"}})");
    EXPECT_THAT(check(schema, R"({"a": 1, "b": 2})"), IsEmpty());
    EXPECT_THAT(
        check(schema, R"({"a": 1, "b": "x"})"), ElementsAre(err("b", "must be an integer"))
    );
}

TEST(JsonSchemaTest, ObjectWithoutPropertiesIsOpen) {
    EXPECT_THAT(check(compile(R"({"type": "object"})"), R"({"anything": [1, 2]})"), IsEmpty());
}

TEST(JsonSchemaTest, RequiredNamesTheMissingPropertyFullPath) {
    const auto schema = compile(R"({
        "type": "object", "required": ["beneficiary"],
        "properties": {"beneficiary": {"type": "object", "required": ["phone"],
                                       "properties": {"phone": {"type": "string"}}}}})");
    EXPECT_THAT(check(schema, "{}"), ElementsAre(err("beneficiary", "is required")));
    EXPECT_THAT(
        check(schema, R"({"beneficiary": {}})"),
        ElementsAre(err("beneficiary.phone", "is required"))
    );
    EXPECT_THAT(check(schema, R"({"beneficiary": {"phone": "x"}})"), IsEmpty());
}

TEST(JsonSchemaTest, FieldPathsNameArrayItems) {
    const auto schema = compile(R"({
        "type": "object",
        "properties": {"items": {"type": "array", "items": {
            "type": "object", "properties": {"amount": {"type": "string", "format": "money-amount"}}}}}})"
    );
    EXPECT_THAT(
        check(schema, R"({"items": [{"amount": "1.00"}, {"amount": "2.00"}, {"amount": "3"}]})"),
        ElementsAre(err("items[2].amount", "must be an amount with two decimals, e.g. 500.00"))
    );
    EXPECT_THAT(
        check(compile(R"({"type": "array", "items": {"type": "string"}})"), R"(["a", 1])"),
        ElementsAre(err("[1]", "must be a string"))
    );
}

TEST(JsonSchemaTest, RequiredPropertyMissingFromClosedPropertiesIsSpecError) {
    EXPECT_THAT(spec_error(R"({"properties": {"a": {}}, "required": ["b"]})"), HasSubstr("'b'"));
}

TEST(JsonSchemaTest, LongUnknownKeyIsTruncatedInField) {
    const auto schema = compile(R"({"properties": {"a": {}}})");
    const std::string key(1000, 'k');
    const auto errors = validate(*schema, json{{key, 1}});
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].field, std::string(64, 'k') + "...");
    EXPECT_EQ(errors[0].message, "is not allowed");
}

// --- enum, const ----------------------------------------------------------------------------

TEST(JsonSchemaTest, EnumAcceptsMembersOnly) {
    const auto schema = compile(R"({"enum": ["a", "b"]})");
    EXPECT_THAT(check(schema, R"("a")"), IsEmpty());
    EXPECT_THAT(check(schema, R"("c")"), ElementsAre(err("", "must be one of: a, b")));
    EXPECT_THAT(check(compile(R"({"enum": [1, 2]})"), "1.0"), IsEmpty());
}

TEST(JsonSchemaTest, ConstAcceptsOnlyThatValue) {
    const auto schema = compile(R"({"const": "Bearer"})");
    EXPECT_THAT(check(schema, R"("Bearer")"), IsEmpty());
    EXPECT_THAT(check(schema, R"("Basic")"), ElementsAre(err("", "must be Bearer")));
}

// --- strings --------------------------------------------------------------------------------

TEST(JsonSchemaTest, LengthCountsCodePointsNotBytes) {
    const auto schema = compile(R"({"type": "string", "minLength": 2, "maxLength": 3})");
    EXPECT_THAT(
        check(schema, "\"\xC3\xA9\xC3\xA9\xC3\xA9\""), IsEmpty()
    );  // 3 code points, 6 bytes
    EXPECT_THAT(check(schema, "\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\""), IsEmpty());
    EXPECT_THAT(check(schema, R"("abcd")"), ElementsAre(err("", "must be at most 3 characters")));
    EXPECT_THAT(check(schema, R"("a")"), ElementsAre(err("", "must be at least 2 characters")));
    EXPECT_THAT(
        check(compile(R"({"maxLength": 100})"), ('"' + std::string(101, 'x') + '"')),
        ElementsAre(err("", "must be at most 100 characters"))
    );
}

TEST(JsonSchemaTest, PatternIsASearchInUtfMode) {
    const auto schema =
        compile(R"({"type": "string", "pattern": "^[A-Z]{2}-\\d+$", "maxLength": 20})");
    EXPECT_THAT(check(schema, R"("LS-123")"), IsEmpty());
    EXPECT_THAT(check(schema, R"("ls-123")"), ElementsAre(err("", "has an invalid format")));
    const auto unanchored = compile(R"({"pattern": "b", "maxLength": 20})");
    EXPECT_THAT(check(unanchored, R"("abc")"), IsEmpty());
    const auto one_char = compile(R"({"pattern": "^.$", "maxLength": 5})");
    EXPECT_THAT(check(one_char, "\"\xC3\xA9\""), IsEmpty());
}

TEST(JsonSchemaTest, PatternNeedsMaxLengthInTheSameSchema) {
    EXPECT_THAT(spec_error(R"({"pattern": "^a$"})"), HasSubstr("maxLength"));
    EXPECT_THAT(spec_error(R"({"pattern": "^a$", "maxLength": 4097})"), HasSubstr("maxLength"));
    EXPECT_EQ(spec_error(R"({"pattern": "^a$", "maxLength": 4096})"), "");
}

TEST(JsonSchemaTest, BadPatternIsSpecError) {
    EXPECT_THAT(
        spec_error(R"({"pattern": "([a-z]", "maxLength": 10})"), HasSubstr("does not compile")
    );
}

TEST(JsonSchemaTest, RunawayBacktrackingIsRefusedQuickly) {
    const auto schema = compile(R"({"pattern": "^(a+)+$", "maxLength": 4096})");
    const std::string subject = '"' + std::string(4000, 'a') + "b\"";
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THAT(check(schema, subject), ElementsAre(err("", "has an invalid format")));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{2});
}

// --- formats --------------------------------------------------------------------------------

struct FormatCase {
    std::string format;
    std::vector<std::string> good;
    std::vector<std::string> bad;
    std::string message;
};

TEST(JsonSchemaTest, FormatsAcceptAndRefuse) {
    const std::vector<FormatCase> cases{
        {"date",
         {"2024-02-29", "1990-12-31"},
         {"2023-02-29", "2024-1-01", "2024-13-01", "20240101", ""},
         "must be a date (YYYY-MM-DD)"},
        {"date-time",
         {"2026-11-23T09:15:00Z", "2026-11-23T09:15:00.123+02:00"},
         {"2026-11-23 09:15:00Z", "2026-11-23T09:15:00", "2026-02-30T00:00:00Z"},
         "must be an RFC 3339 date-time"},
        {"uuid",
         {"0190c1a2-7b3c-7def-8123-456789abcdef", "0190C1A2-7B3C-7DEF-8123-456789ABCDEF"},
         {"0190c1a27b3c7def8123456789abcdef", "0190c1a2-7b3c-7def-8123-456789abcdeg", "x"},
         "must be a UUID"},
        {"email",
         {"a.b+c@example.co.za", "x@y.ls"},
         {"a@b", "@example.com", "a..b@example.com", "a@-x.com", "a b@example.com", "a@b@c.com"},
         "must be a valid email address"},
        {"e164",
         {"+27821234567", "+26650123456", "+12345678"},
         {"27821234567", "+0821234567", "+1234567", "+1234567890123456", "+27 82 123 4567"},
         "must match the E.164 format"},
        {"money-amount",
         {"500.00", "0.00", "0.50", "9999999999999999.99"},
         {"500",
          "500.0",
          "500.001",
          "01.00",
          "-1.00",
          "+1.00",
          "10000000000000000.00",
          ".50",
          "1,00"},
         "must be an amount with two decimals, e.g. 500.00"},
    };
    for (const auto& c : cases) {
        const auto schema = compile(R"({"type": "string", "format": ")" + c.format + R"("})");
        for (const auto& good : c.good) {
            EXPECT_THAT(validate(*schema, json(good)), IsEmpty()) << c.format << " " << good;
        }
        for (const auto& bad : c.bad) {
            EXPECT_THAT(validate(*schema, json(bad)), ElementsAre(err("", c.message)))
                << c.format << " " << bad;
        }
    }
}

TEST(JsonSchemaTest, FormatIgnoresNonStrings) {
    EXPECT_THAT(check(compile(R"({"format": "date"})"), "5"), IsEmpty());
}

TEST(JsonSchemaTest, UnknownFormatIsSpecError) {
    EXPECT_THAT(
        spec_error(R"({"type": "string", "format": "iban"})"), HasSubstr("unknown format 'iban'")
    );
}

// --- numbers --------------------------------------------------------------------------------

TEST(JsonSchemaTest, NumericBounds) {
    const auto schema = compile(R"({"type": "integer", "minimum": 1, "maximum": 200})");
    EXPECT_THAT(check(schema, "1"), IsEmpty());
    EXPECT_THAT(check(schema, "200"), IsEmpty());
    EXPECT_THAT(check(schema, "0"), ElementsAre(err("", "must be at least 1")));
    EXPECT_THAT(check(schema, "201"), ElementsAre(err("", "must be at most 200")));
    const auto exclusive =
        compile(R"({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1.5})");
    EXPECT_THAT(check(exclusive, "0.5"), IsEmpty());
    EXPECT_THAT(check(exclusive, "0"), ElementsAre(err("", "must be greater than 0")));
    EXPECT_THAT(check(exclusive, "1.5"), ElementsAre(err("", "must be less than 1.5")));
    EXPECT_THAT(check(exclusive, "-1"), ElementsAre(err("", "must be greater than 0")));
}

TEST(JsonSchemaTest, IntegerBoundsAreExact) {
    const auto max = compile(R"({"type": "integer", "maximum": 9007199254740992})");
    EXPECT_THAT(check(max, "9007199254740992"), IsEmpty());
    EXPECT_THAT(
        check(max, "9007199254740993"), ElementsAre(err("", "must be at most 9007199254740992"))
    );
    const auto min = compile(R"({"type": "integer", "minimum": 9007199254740993})");
    EXPECT_THAT(
        check(min, "9007199254740992"), ElementsAre(err("", "must be at least 9007199254740993"))
    );
    EXPECT_THAT(check(min, "9007199254740993"), IsEmpty());
    const auto int_max = compile(R"({"maximum": 9223372036854775807})");
    EXPECT_THAT(
        check(int_max, "9223372036854775808"),
        ElementsAre(err("", "must be at most 9223372036854775807"))
    );
    const auto negative = compile(R"({"minimum": -9223372036854775808})");
    EXPECT_THAT(check(negative, "-9223372036854775808"), IsEmpty());
    const auto float_bound = compile(R"({"maximum": 9007199254740992.0})");
    EXPECT_EQ(check(float_bound, "9007199254740993").size(), 1U);
}

TEST(JsonSchemaTest, CompareNumbersIsExactAcrossRepresentations) {
    EXPECT_LT(detail::compare_numbers(json(9007199254740992), json(9007199254740993)), 0);
    EXPECT_GT(detail::compare_numbers(json(9007199254740993), json(9007199254740992.0)), 0);
    EXPECT_EQ(detail::compare_numbers(json(2), json(2.0)), 0);
    EXPECT_LT(detail::compare_numbers(json(-1), json(18446744073709551615ULL)), 0);
    EXPECT_GT(detail::compare_numbers(json(18446744073709551615ULL), json(1e19)), 0);
    EXPECT_LT(detail::compare_numbers(json(18446744073709551615ULL), json(1e20)), 0);
    EXPECT_LT(detail::compare_numbers(json(-3), json(-2.5)), 0);
    EXPECT_GT(detail::compare_numbers(json(-2), json(-2.5)), 0);
}

TEST(JsonSchemaTest, MultipleOfForIntegers) {
    const auto schema = compile(R"({"type": "integer", "multipleOf": 5})");
    EXPECT_THAT(check(schema, "15"), IsEmpty());
    EXPECT_THAT(check(schema, "-10"), IsEmpty());
    EXPECT_THAT(check(schema, "7"), ElementsAre(err("", "must be a multiple of 5")));
    EXPECT_THAT(check(compile(R"({"multipleOf": 2})"), "18446744073709551614"), IsEmpty());
    EXPECT_THAT(spec_error(R"({"multipleOf": 0.01})"), HasSubstr("multipleOf"));
    EXPECT_THAT(spec_error(R"({"multipleOf": 0})"), HasSubstr("multipleOf"));
}

TEST(JsonSchemaTest, ExclusiveBoundsMustBeNumbers) {
    EXPECT_THAT(spec_error(R"({"minimum": 0, "exclusiveMinimum": true})"), HasSubstr("3.0"));
}

// --- arrays ---------------------------------------------------------------------------------

TEST(JsonSchemaTest, ArrayKeywords) {
    const auto schema = compile(
        R"({"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3, "uniqueItems": true})"
    );
    EXPECT_THAT(check(schema, "[1, 2, 3]"), IsEmpty());
    EXPECT_THAT(check(schema, "[]"), ElementsAre(err("", "must have at least 1 item")));
    EXPECT_THAT(check(schema, "[1, 2, 3, 4]"), ElementsAre(err("", "must have at most 3 items")));
    EXPECT_THAT(check(schema, "[1, 1]"), ElementsAre(err("", "must not contain duplicate items")));
    EXPECT_THAT(
        check(schema, "[1, 1.0]"), ElementsAre(err("", "must not contain duplicate items"))
    );
    EXPECT_THAT(check(schema, "[1, \"a\"]"), ElementsAre(err("[1]", "must be an integer")));
    EXPECT_THAT(
        check(compile(R"({"uniqueItems": true})"), R"([{"a": [1]}, {"a": [2]}])"), IsEmpty()
    );
    EXPECT_THAT(
        check(compile(R"({"uniqueItems": true})"), R"([{"a": [1]}, {"a": [1.0]}])").size(), 1U
    );
}

TEST(JsonSchemaTest, TupleItemsAreSpecError) {
    EXPECT_THAT(spec_error(R"({"items": [{"type": "string"}]})"), HasSubstr("prefixItems"));
}

// --- composition ----------------------------------------------------------------------------

TEST(JsonSchemaTest, OneOfPicksExactlyOneShape) {
    const auto schema = compile(R"({"oneOf": [
        {"type": "object", "required": ["phone", "pin"],
         "properties": {"phone": {"type": "string", "format": "e164"}, "pin": {"type": "string"}}},
        {"type": "object", "required": ["username", "password"],
         "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}]})");
    EXPECT_THAT(check(schema, R"({"phone": "+27821234567", "pin": "1234"})"), IsEmpty());
    EXPECT_THAT(check(schema, R"({"username": "admin", "password": "secret"})"), IsEmpty());
    // The closest shape explains the failure.
    EXPECT_THAT(
        check(schema, R"({"phone": "+27821234567"})"), ElementsAre(err("pin", "is required"))
    );
    EXPECT_THAT(
        check(schema, R"({"phone": "0821234567", "pin": "1"})"),
        ElementsAre(err("phone", "must match the E.164 format"))
    );
    // A field of the other shape is still unknown here.
    EXPECT_THAT(
        check(schema, R"({"phone": "+27821234567", "pin": "1234", "username": "x"})"),
        ElementsAre(err("username", "is not allowed"))
    );
    EXPECT_THAT(
        check(schema, R"({"phone": "+27821234567", "pin": "1", "username": "x", "password": "y"})"),
        ElementsAre(err("", "must match exactly one of the allowed forms"))
    );
}

TEST(JsonSchemaTest, OneOfWithRequiredOnlyBranches) {
    const auto schema = compile(R"({
        "type": "object",
        "properties": {"send_amount": {"type": "string"}, "receive_amount": {"type": "string"},
                       "payout_method": {"enum": ["mpesa", "ecocash"]}},
        "required": ["payout_method"],
        "oneOf": [{"required": ["send_amount"]}, {"required": ["receive_amount"]}]})");
    EXPECT_THAT(check(schema, R"({"send_amount": "1.00", "payout_method": "mpesa"})"), IsEmpty());
    EXPECT_THAT(
        check(
            schema, R"({"send_amount": "1.00", "receive_amount": "1.00", "payout_method": "mpesa"})"
        ),
        ElementsAre(err("", "must match exactly one of the allowed forms"))
    );
    EXPECT_THAT(
        check(schema, R"({"payout_method": "mpesa"})"),
        ElementsAre(err("send_amount", "is required"))
    );
}

TEST(JsonSchemaTest, AnyOfNeedsOneBranch) {
    const auto schema =
        compile(R"({"anyOf": [{"type": "string", "maxLength": 2}, {"type": "integer"}]})");
    EXPECT_THAT(check(schema, R"("ab")"), IsEmpty());
    EXPECT_THAT(check(schema, "5"), IsEmpty());
    EXPECT_THAT(check(schema, R"("abc")"), ElementsAre(err("", "must be at most 2 characters")));
}

TEST(JsonSchemaTest, AllOfComposesPropertiesAcrossRefs) {
    const auto* const components =
        R"({"Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}})";
    const auto schema = compile(
        R"({"allOf": [{"$ref": "#/components/schemas/Base"}, {"properties": {"extra": {"type": "integer"}}}]})",
        components
    );
    EXPECT_THAT(check(schema, R"({"id": "a", "extra": 1})"), IsEmpty());
    EXPECT_THAT(
        check(schema, R"({"id": "a", "other": 1})"), ElementsAre(err("other", "is not allowed"))
    );
    EXPECT_THAT(
        check(schema, R"({"extra": "x"})"),
        ElementsAre(err("id", "is required"), err("extra", "must be an integer"))
    );
}

TEST(JsonSchemaTest, EmptyCompositionListIsSpecError) {
    EXPECT_THAT(spec_error(R"({"allOf": []})"), HasSubstr("non-empty"));
}

// --- $ref -----------------------------------------------------------------------------------

TEST(JsonSchemaTest, RefResolvesToComponent) {
    const auto schema = compile(
        R"({"$ref": "#/components/schemas/Phone"})",
        R"({"Phone": {"type": "string", "format": "e164"}})"
    );
    EXPECT_THAT(check(schema, R"("+27821234567")"), IsEmpty());
    EXPECT_THAT(check(schema, R"("12")"), ElementsAre(err("", "must match the E.164 format")));
}

TEST(JsonSchemaTest, BadRefIsSpecError) {
    EXPECT_THAT(
        spec_error(R"({"$ref": "#/components/schemas/Missing"})"), HasSubstr("does not resolve")
    );
    EXPECT_THAT(spec_error(R"({"$ref": "other.yaml#/X"})"), HasSubstr("#/components/schemas/"));
    EXPECT_THAT(
        spec_error(R"({"$ref": "#/components/schemas/A/properties/b"})", R"({"A": {}})"),
        HasSubstr("#/components/schemas/")
    );
}

TEST(JsonSchemaTest, RecursiveSchemaThroughPropertiesIsAllowed) {
    const auto* const components = R"({"Node": {"type": "object", "properties": {
        "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}})";
    const auto schema = compile(R"({"$ref": "#/components/schemas/Node"})", components);
    EXPECT_THAT(
        check(schema, R"({"name": "a", "children": [{"name": "b", "children": []}]})"), IsEmpty()
    );
    EXPECT_THAT(
        check(schema, R"({"children": [{"children": [{"name": 1}]}]})"),
        ElementsAre(err("children[0].children[0].name", "must be a string"))
    );
    // A value deeper than the limits allow is refused, not followed.
    json deep = json::object();
    for (int i = 0; i < 200; ++i) {
        deep = json{{"children", json::array({deep})}};
    }
    const auto errors = validate(*schema, deep);
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].message, "is nested too deeply");
}

TEST(JsonSchemaTest, RefCycleWithoutDescentIsSpecError) {
    EXPECT_THAT(
        spec_error(
            R"({"$ref": "#/components/schemas/A"})",
            R"({"A": {"$ref": "#/components/schemas/B"}, "B": {"allOf": [{"$ref": "#/components/schemas/A"}]}})"
        ),
        HasSubstr("cycle")
    );
    EXPECT_THAT(
        spec_error(R"({})", R"({"A": {"$ref": "#/components/schemas/A"}})"), HasSubstr("cycle")
    );
}

// --- keywords -------------------------------------------------------------------------------

TEST(JsonSchemaTest, AnnotationsAreIgnored) {
    const auto schema =
        compile(R"({"type": "string", "description": "d", "title": "t", "example": "e",
        "examples": ["e"], "default": "x", "deprecated": true, "$comment": "c", "x-internal": {"a": 1}})"
        );
    EXPECT_THAT(check(schema, R"("v")"), IsEmpty());
}

TEST(JsonSchemaTest, UnknownKeywordIsSpecErrorNamingKeywordAndLocation) {
    const auto message = spec_error(R"({"properties": {"a": {"if": {"type": "string"}}}})");
    EXPECT_THAT(message, HasSubstr("unsupported keyword 'if'"));
    EXPECT_THAT(message, HasSubstr("schema.properties.a"));
    EXPECT_THAT(spec_error(R"({"minProperties": 1})"), HasSubstr("'minProperties'"));
}

TEST(JsonSchemaTest, NullableIsRefused) {
    EXPECT_THAT(spec_error(R"({"type": "string", "nullable": true})"), HasSubstr("nullable"));
}

TEST(JsonSchemaTest, BooleanSchemas) {
    EXPECT_THAT(check(compile("true"), "1"), IsEmpty());
    EXPECT_THAT(check(compile("false"), "1"), ElementsAre(err("", "is not allowed")));
    const auto never = compile(R"({"type": "object", "properties": {"a": false}})");
    EXPECT_THAT(check(never, R"({"a": 1})"), ElementsAre(err("a", "is not allowed")));
}

// --- readOnly / writeOnly -------------------------------------------------------------------

constexpr std::string_view kWorker =
    R"({"Worker": {"type": "object", "required": ["id", "status", "name"],
    "properties": {"id": {"type": "string", "readOnly": true},
                   "status": {"type": "string", "readOnly": true},
                   "kyc_tier": {"$ref": "#/components/schemas/Tier"},
                   "name": {"type": "string"},
                   "pin": {"type": "string", "writeOnly": true}}},
    "Tier": {"type": "integer", "readOnly": true}})";

TEST(JsonSchemaTest, ReadOnlyPropertyIsRefusedInRequest) {
    const auto schema =
        compile(R"({"$ref": "#/components/schemas/Worker"})", kWorker, Direction::kRequest);
    // readOnly required properties are not required from the client.
    EXPECT_THAT(check(schema, R"({"name": "a", "pin": "1234"})"), IsEmpty());
    EXPECT_THAT(
        check(schema, R"({"name": "a", "status": "active"})"),
        ElementsAre(err("status", "is read-only"))
    );
    EXPECT_THAT(
        check(schema, R"({"name": "a", "kyc_tier": 3})"),
        ElementsAre(err("kyc_tier", "is read-only"))
    );
}

TEST(JsonSchemaTest, WriteOnlyPropertyIsRefusedInResponse) {
    const auto schema =
        compile(R"({"$ref": "#/components/schemas/Worker"})", kWorker, Direction::kResponse);
    EXPECT_THAT(
        check(schema, R"({"id": "1", "status": "active", "name": "a", "kyc_tier": 1})"), IsEmpty()
    );
    EXPECT_THAT(
        check(schema, R"({"id": "1", "status": "active", "name": "a", "pin": "1234"})"),
        ElementsAre(err("pin", "is write-only"))
    );
    EXPECT_THAT(
        check(schema, R"({"name": "a"})"),
        ElementsAre(err("id", "is required"), err("status", "is required"))
    );
}

TEST(JsonSchemaTest, ReadOnlyMustBeBoolean) {
    EXPECT_THAT(spec_error(R"({"readOnly": "yes"})"), HasSubstr("readOnly"));
}

// --- limits ---------------------------------------------------------------------------------

TEST(JsonSchemaTest, MaxErrorsLimitsTheReport) {
    const auto schema = compile(R"({"type": "array", "items": {"type": "string"}})");
    const json many = json(std::vector<int>(100, 1));
    ParseLimits limits;
    limits.max_errors = 5;
    EXPECT_EQ(validate(*schema, many, limits).size(), 5U);
    limits.max_errors = 0;  // still reports that something is wrong
    EXPECT_EQ(validate(*schema, many, limits).size(), 1U);
}

TEST(JsonSchemaTest, SafeFragmentKeepsValidUtf8) {
    EXPECT_EQ(detail::safe_fragment("abc"), "abc");
    EXPECT_EQ(detail::safe_fragment("a\nb"), "a?b");
    EXPECT_EQ(detail::safe_fragment("\xff"), "\xEF\xBF\xBD");
    const std::string long_text(70, 'x');
    EXPECT_EQ(detail::safe_fragment(long_text), std::string(64, 'x') + "...");
    std::string accents;
    for (int i = 0; i < 70; ++i) {
        accents += "\xC3\xA9";
    }
    EXPECT_TRUE(detail::is_valid_utf8(detail::safe_fragment(accents)));
}

// --- parse_json_body ------------------------------------------------------------------------

std::optional<json> parse(std::string_view body, std::string& error, std::size_t max_depth = 32) {
    ParseLimits limits;
    limits.max_depth = max_depth;
    return parse_json_body(body, limits, error);
}

TEST(ParseJsonBodyTest, ParsesValidBody) {
    std::string error;
    const auto value = parse(R"({"a": [1, 2.5, "x", true, null], "b": {}})", error);
    ASSERT_TRUE(value.has_value()) << error;
    EXPECT_EQ((*value)["a"][1], 2.5);
    EXPECT_TRUE(error.empty());
}

TEST(ParseJsonBodyTest, RefusesDepthBombQuickly) {
    std::string error;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(parse(std::string(100000, '['), error).has_value());
    EXPECT_EQ(error, "body is nested too deeply");
    EXPECT_FALSE(parse(std::string(100000, '{'), error).has_value());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{1});
}

TEST(ParseJsonBodyTest, DepthLimitIsExact) {
    std::string error;
    EXPECT_TRUE(parse(std::string(32, '[') + std::string(32, ']'), error).has_value()) << error;
    EXPECT_FALSE(parse(std::string(33, '[') + std::string(33, ']'), error).has_value());
    EXPECT_EQ(error, "body is nested too deeply");
}

TEST(ParseJsonBodyTest, BracesInsideStringsDoNotCount) {
    std::string error;
    const std::string body = R"({"a": ")" + std::string(100, '[') + R"(\"{{{{", "b": "\\"})";
    const auto value = parse(body, error, 2);
    ASSERT_TRUE(value.has_value()) << error;
    EXPECT_EQ((*value)["b"], "\\");
}

TEST(ParseJsonBodyTest, RefusesDuplicateKeys) {
    std::string error;
    EXPECT_FALSE(parse(R"({"a": 1, "a": 2})", error).has_value());
    EXPECT_EQ(error, "body contains a duplicate key \"a\"");
    EXPECT_FALSE(parse(R"({"x": {"a": 1, "\u0061": 2}})", error).has_value());
    EXPECT_TRUE(parse(R"({"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]})", error).has_value()) << error;
}

// PostgreSQL text cannot hold U+0000 and libpq stops a text parameter at it, so a NUL would be
// stored truncated: refused in values and keys, at any depth. Other control characters pass.
TEST(ParseJsonBodyTest, RefusesNulCharacters) {
    std::string error;
    EXPECT_FALSE(parse(R"({"reason": "a\u0000b"})", error).has_value());
    EXPECT_EQ(error, "body contains a NUL character (\\u0000)");
    EXPECT_FALSE(parse(R"({"a": [{"b": "\u0000"}]})", error).has_value());
    EXPECT_FALSE(parse(R"({"a\u0000": 1})", error).has_value());
    EXPECT_FALSE(parse(R"("\u0000")", error).has_value());
    EXPECT_TRUE(parse(R"({"a": "tab\there \u0001"})", error).has_value()) << error;
}

TEST(ParseJsonBodyTest, DuplicateKeyMessageIsTruncated) {
    std::string error;
    const std::string key(1000, 'k');
    EXPECT_FALSE(parse(R"({")" + key + R"(": 1, ")" + key + R"(": 2})", error).has_value());
    EXPECT_LT(error.size(), 120U);
}

TEST(ParseJsonBodyTest, RefusesInvalidUtf8) {
    std::string error;
    for (const std::string body :
         {"\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\""}) {
        EXPECT_FALSE(parse(body, error).has_value());
        EXPECT_EQ(error, "body is not valid UTF-8");
    }
    EXPECT_FALSE(parse(R"("\ud800")", error).has_value());  // a lone surrogate escape
    EXPECT_TRUE(parse("\"\xF0\x9F\x98\x80\"", error).has_value());
}

TEST(ParseJsonBodyTest, RefusesInvalidJsonWithoutEchoingIt) {
    std::string error;
    for (const std::string body :
         {"", "{", "{\"a\" 1}", "[1,]", "{} x", "NaN", "'a'", "{\"a\":01}", "/*c*/{}"}) {
        EXPECT_FALSE(parse(body, error).has_value()) << body;
        EXPECT_THAT(error, HasSubstr("body is not valid JSON")) << body;
    }
    EXPECT_FALSE(parse(R"({"secret-value": tru})", error).has_value());
    EXPECT_THAT(error, ::testing::Not(HasSubstr("secret")));
}

TEST(ParseJsonBodyTest, RefusesNumbersOutOfRange) {
    std::string error;
    EXPECT_FALSE(parse("[1e400]", error).has_value());
    EXPECT_FALSE(parse("[-1e400]", error).has_value());
    EXPECT_TRUE(parse("[1e-400]", error).has_value()) << error;  // underflow to 0 is representable
}

TEST(ParseJsonBodyTest, KeepsBigIntegersExact) {
    std::string error;
    const auto value =
        parse("[9007199254740993, 18446744073709551615, -9223372036854775808]", error);
    ASSERT_TRUE(value.has_value()) << error;
    EXPECT_EQ((*value)[0].get<std::int64_t>(), 9007199254740993);
    EXPECT_EQ((*value)[1].get<std::uint64_t>(), 18446744073709551615ULL);
    const auto schema = compile(R"({"items": {"maximum": 9007199254740992}})");
    EXPECT_THAT(
        validate(*schema, *value),
        ElementsAre(
            err("[0]", "must be at most 9007199254740992"),
            err("[1]", "must be at most 9007199254740992")
        )
    );
}

// --- parse_form_body ------------------------------------------------------------------------

TEST(ParseFormBodyTest, DecodesFields) {
    const auto form =
        parse_form_body("sessionId=abc&phoneNumber=%2B27821234567&text=1*2+3&serviceCode=%2A120%23"
        );
    ASSERT_TRUE(form.has_value());
    EXPECT_EQ(
        *form,
        json(
            {{"sessionId", "abc"},
             {"phoneNumber", "+27821234567"},
             {"text", "1*2 3"},
             {"serviceCode", "*120#"}}
        )
    );
}

TEST(ParseFormBodyTest, EmptyPartsAndValues) {
    EXPECT_EQ(parse_form_body(""), json::object());
    EXPECT_EQ(parse_form_body("a=&b&&c=1&"), json({{"a", ""}, {"b", ""}, {"c", "1"}}));
}

TEST(ParseFormBodyTest, RefusesBadInput) {
    EXPECT_FALSE(parse_form_body("a=1&a=2").has_value());
    EXPECT_FALSE(parse_form_body("a=%zz").has_value());
    EXPECT_FALSE(parse_form_body("a=%4").has_value());
    EXPECT_FALSE(parse_form_body("a=%").has_value());
    EXPECT_FALSE(parse_form_body("a=%ff").has_value());
    EXPECT_FALSE(parse_form_body("a=%00").has_value());
    EXPECT_FALSE(parse_form_body("=1").has_value());
}

// --- validate_parameter ---------------------------------------------------------------------

Parameter param(std::string name, std::string_view schema) {
    return Parameter{std::move(name), "query", false, compile(schema)};
}

TEST(ValidateParameterTest, IntegersAreStrict) {
    const auto limit = param("limit", R"({"type": "integer", "minimum": 1, "maximum": 200})");
    json out;
    EXPECT_THAT(validate_parameter(limit, "50", out), IsEmpty());
    EXPECT_EQ(out, 50);
    EXPECT_THAT(
        validate_parameter(limit, "12abc", out), ElementsAre(err("limit", "must be an integer"))
    );
    EXPECT_THAT(
        validate_parameter(limit, "", out), ElementsAre(err("limit", "must be an integer"))
    );
    EXPECT_THAT(
        validate_parameter(limit, " 5", out), ElementsAre(err("limit", "must be an integer"))
    );
    EXPECT_THAT(
        validate_parameter(limit, "+5", out), ElementsAre(err("limit", "must be an integer"))
    );
    EXPECT_THAT(
        validate_parameter(limit, "1.0", out), ElementsAre(err("limit", "must be an integer"))
    );
    EXPECT_THAT(
        validate_parameter(limit, "99999999999999999999", out),
        ElementsAre(err("limit", "is out of range"))
    );
    EXPECT_THAT(
        validate_parameter(limit, "201", out), ElementsAre(err("limit", "must be at most 200"))
    );
}

TEST(ValidateParameterTest, BooleansNumbersAndStrings) {
    json out;
    const auto flag = param("verbose", R"({"type": "boolean"})");
    EXPECT_THAT(validate_parameter(flag, "true", out), IsEmpty());
    EXPECT_EQ(out, true);
    EXPECT_THAT(
        validate_parameter(flag, "1", out), ElementsAre(err("verbose", "must be true or false"))
    );
    const auto rate = param("rate", R"({"type": "number", "exclusiveMinimum": 0})");
    EXPECT_THAT(validate_parameter(rate, "0.5", out), IsEmpty());
    EXPECT_EQ(out, 0.5);
    EXPECT_THAT(validate_parameter(rate, "inf", out), ElementsAre(err("rate", "must be a number")));
    EXPECT_THAT(
        validate_parameter(rate, "0", out), ElementsAre(err("rate", "must be greater than 0"))
    );
    const auto status = param("status", R"({"type": "string", "enum": ["held", "paid"]})");
    EXPECT_THAT(validate_parameter(status, "paid", out), IsEmpty());
    EXPECT_EQ(out, "paid");
    EXPECT_THAT(
        validate_parameter(status, "lost", out),
        ElementsAre(err("status", "must be one of: held, paid"))
    );
    EXPECT_THAT(
        validate_parameter(status, "\xff", out), ElementsAre(err("status", "must be valid UTF-8"))
    );
}

TEST(ValidateParameterTest, MissingSchemaMeansAnyString) {
    json out;
    EXPECT_THAT(validate_parameter(Parameter{"q", "query", false, nullptr}, "x", out), IsEmpty());
    EXPECT_EQ(out, "x");
}

}  // namespace
}  // namespace chelete::gateway
