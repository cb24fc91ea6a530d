// libFuzzer target: arbitrary bytes as a JSON body, a form body, a parameter value and a request
// path, checked against a small but realistic spec. Properties beyond "no crash, no leak, no UB":
// - a parsed body survives parse -> dump -> parse -> dump unchanged;
// - every error (field and message) is valid UTF-8 that serialises, and messages stay short;
// - matched path parameters are non-empty single segments of valid UTF-8.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/gateway/openapi.hpp>

namespace {

using chelete::gateway::FieldError;
using chelete::gateway::OpenApiSpec;
using nlohmann::json;

constexpr std::string_view kSpec = R"yaml(
openapi: 3.1.0
info: {title: fuzz, version: '1'}
security: [{bearer: []}]
paths:
  /v1/auth/token:
    post:
      operationId: issueToken
      security: []
      requestBody:
        required: true
        content:
          application/json:
            schema:
              oneOf:
                - type: object
                  required: [phone, pin]
                  properties:
                    phone: {$ref: '#/components/schemas/Phone'}
                    pin: {type: string, pattern: '^[0-9]{4,6}$', maxLength: 6, writeOnly: true}
                - type: object
                  required: [username, password]
                  properties:
                    username: {type: string, minLength: 3, maxLength: 64}
                    password: {type: string, minLength: 12, maxLength: 256}
      responses: {'200': {description: ok}}
  /v1/workers:
    post:
      operationId: registerWorker
      security: []
      x-idempotency-key: required
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Worker'}
      responses: {'201': {description: created}}
  /v1/workers/{id}/beneficiaries:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
    get:
      operationId: listBeneficiaries
      x-roles: [worker]
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 200}}
        - {name: cursor, in: query, schema: {type: string, maxLength: 200, pattern: '^[A-Za-z0-9_-]*$'}}
        - {name: rate, in: query, schema: {type: number, exclusiveMinimum: 0, maximum: 1e6}}
        - {name: verbose, in: query, schema: {type: boolean}}
      responses: {'200': {description: ok}}
  /v1/agencies/verify/{licence_no}:
    get:
      operationId: verifyAgency
      security: []
      parameters: [{name: licence_no, in: path, required: true, schema: {type: string, maxLength: 40}}]
      responses: {'200': {description: ok}}
  /v1/agencies/{id}/decisions:
    post:
      operationId: decideAgency
      x-roles: [ministry_officer]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [action, reason]
              properties:
                action: {enum: [start_review, approve, reject, suspend, reinstate, revoke, renew, ban]}
                reason: {type: string, minLength: 1, maxLength: 500}
      responses: {'200': {description: ok}}
  /v1/quotes:
    post:
      operationId: createQuote
      x-roles: [worker]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [payout_method]
              properties:
                send_amount: {$ref: '#/components/schemas/Money'}
                receive_amount: {$ref: '#/components/schemas/Money'}
                payout_method: {enum: [mpesa, ecocash, cash_pickup]}
                tags: {type: array, items: {type: string, maxLength: 8}, maxItems: 5, uniqueItems: true}
                note: {type: [string, "null"], maxLength: 140}
                priority: {type: integer, minimum: -9007199254740993, maximum: 9007199254740993, multipleOf: 3}
              oneOf: [{required: [send_amount]}, {required: [receive_amount]}]
      responses: {'200': {description: ok}}
  /v1/ussd:
    post:
      operationId: ussd
      x-roles: [partner]
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [sessionId, phoneNumber, text]
              properties:
                sessionId: {type: string, maxLength: 64}
                serviceCode: {type: string, maxLength: 32}
                phoneNumber: {$ref: '#/components/schemas/Phone'}
                networkCode: {type: string, maxLength: 16}
                text: {type: string, maxLength: 182}
      responses: {'200': {description: ok}}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Phone: {type: string, format: e164}
    Money:
      type: object
      required: [amount, currency]
      properties:
        amount: {type: string, format: money-amount}
        currency: {enum: [ZAR, LSL]}
    Consent:
      type: object
      required: [purpose, granted]
      properties:
        purpose: {enum: [registration, remittance, marketing]}
        granted: {type: boolean}
        at: {type: string, format: date-time}
    Node:
      type: object
      properties:
        name: {type: string, maxLength: 10}
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
    Worker:
      type: object
      required: [id, status, given_name, family_name, date_of_birth, phone, pin, consents]
      properties:
        id: {type: string, format: uuid, readOnly: true}
        status: {type: string, readOnly: true}
        kyc_tier: {type: integer, readOnly: true}
        given_name: {type: string, minLength: 1, maxLength: 100}
        family_name: {type: string, minLength: 1, maxLength: 100}
        date_of_birth: {type: string, format: date}
        phone: {$ref: '#/components/schemas/Phone'}
        email: {type: string, format: email, maxLength: 254}
        pin: {type: string, pattern: '^[0-9]{4,6}$', maxLength: 6, writeOnly: true}
        passport_number: {type: string, pattern: '^[A-Z0-9]{6,12}$', maxLength: 12}
        consents: {type: array, minItems: 1, maxItems: 10, items: {$ref: '#/components/schemas/Consent'}}
        family_tree: {$ref: '#/components/schemas/Node'}
        extra: {type: object, additionalProperties: {type: integer}}
        anything: {}
)yaml";

const OpenApiSpec& spec() {
    static const OpenApiSpec kLoaded = OpenApiSpec::load(kSpec);
    return kLoaded;
}

void check_errors(const std::vector<FieldError>& errors, std::size_t max_errors) {
    if (errors.size() > max_errors) {
        std::abort();
    }
    for (const auto& e : errors) {
        // Fields carry client keys; both must serialise (strict UTF-8) and stay bounded.
        const std::string text = json{{"field", e.field}, {"message", e.message}}.dump();
        if (e.message.empty() || e.message.size() > 200) {
            std::abort();
        }
        (void)text;
    }
}

void fuzz_json(std::string_view input) {
    chelete::gateway::ParseLimits limits;
    std::string error;
    const auto body = chelete::gateway::parse_json_body(input, limits, error);
    if (!body) {
        if (error.empty() || error.size() > 200) {
            std::abort();
        }
        (void)json(error).dump();
        return;
    }
    const std::string first = body->dump();
    const auto again = chelete::gateway::parse_json_body(first, limits, error);
    if (!again || again->dump() != first) {
        std::abort();
    }
    for (const auto& op : spec().operations()) {
        if (op.request_body && op.request_content_type == "application/json") {
            check_errors(
                chelete::gateway::validate(*op.request_body, *body, limits), limits.max_errors
            );
        }
    }
}

void fuzz_form(std::string_view input) {
    const auto form = chelete::gateway::parse_form_body(input);
    if (!form) {
        return;
    }
    const std::string first = form->dump();
    chelete::gateway::ParseLimits limits;
    std::string error;
    const auto again = chelete::gateway::parse_json_body(first, limits, error);
    if (!again || *again != *form) {
        std::abort();
    }
    const auto* ussd = spec().by_operation_id("ussd");
    check_errors(chelete::gateway::validate(*ussd->request_body, *form, limits), limits.max_errors);
}

void fuzz_parameters(std::string_view input) {
    for (const auto& op : spec().operations()) {
        for (const auto& parameter : op.parameters) {
            json out;
            const auto errors = chelete::gateway::validate_parameter(parameter, input, out);
            check_errors(errors, 20);
            if (errors.empty()) {
                (void)out.dump();
            }
        }
    }
}

void fuzz_path(std::string_view input) {
    for (const std::string_view method : {"GET", "POST"}) {
        std::vector<std::string> allowed;
        const auto match = spec().match(method, input, &allowed);
        if (!match) {
            continue;
        }
        if (match->operation == nullptr || !allowed.empty()) {
            std::abort();
        }
        for (const auto& [name, value] : match->path_params) {
            if (value.empty() || value.find('/') != std::string::npos) {
                std::abort();
            }
            (void)json(value).dump();
            (void)name;
        }
    }
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the entry point libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libFuzzer hands over bytes
    const std::string_view input{reinterpret_cast<const char*>(data), size};
    fuzz_json(input);
    fuzz_form(input);
    fuzz_parameters(input);
    fuzz_path(input);
    return 0;
}
