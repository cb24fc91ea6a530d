#include "adapters/permit_wire.hpp"

#include <array>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

namespace chelete::permit_registry::wire {
namespace {

using Json = nlohmann::json;
using platform::err;

constexpr std::array<std::string_view, 8> kFields{
    "number",
    "type",
    "holder_surname",
    "status",
    "issued_on",
    "printed_expiry",
    "legal_expiry",
    "directive_ref",
};

/// Parses JSON, refusing duplicate keys at any depth: with {"status":"valid","status":"revoked"}
/// nlohmann keeps the last one silently, and which one a partner meant is anyone's guess.
struct StrictParse {
    Json value;
    bool duplicate_key = false;
};

StrictParse parse_strict(std::string_view text) {
    StrictParse out;
    std::vector<std::set<std::string>> open_objects;
    const Json::parser_callback_t watch_keys =
        [&open_objects, &out](int /*depth*/, Json::parse_event_t event, Json& parsed) {
            if (event == Json::parse_event_t::object_start) {
                open_objects.emplace_back();
            } else if (event == Json::parse_event_t::object_end) {
                if (!open_objects.empty()) {
                    open_objects.pop_back();
                }
            } else if (event == Json::parse_event_t::key && !open_objects.empty()) {
                if (!open_objects.back().insert(parsed.get<std::string>()).second) {
                    out.duplicate_key = true;
                }
            }
            return true;
        };
    out.value = Json::parse(text.begin(), text.end(), watch_keys, /*allow_exceptions=*/false);
    return out;
}

platform::Result<std::string, std::string> required_string(const Json& doc, const char* field) {
    const auto& v = doc.at(field);
    if (!v.is_string()) {
        return err(std::string{field} + " is not a string");
    }
    return v.get<std::string>();
}

platform::Result<std::optional<std::string>, std::string> nullable_string(
    const Json& doc, const char* field
) {
    const auto& v = doc.at(field);
    if (v.is_null()) {
        return std::optional<std::string>{};
    }
    if (!v.is_string()) {
        return err(std::string{field} + " is neither a string nor null");
    }
    return std::optional<std::string>{v.get<std::string>()};
}

platform::Result<std::optional<platform::Date>, std::string> nullable_date(
    const Json& doc, const char* field
) {
    auto text = nullable_string(doc, field);
    if (!text.ok()) {
        return err(text.error());
    }
    if (!text.value()) {
        return std::optional<platform::Date>{};
    }
    const auto date = platform::parse_date(*text.value());
    if (!date) {
        return err(std::string{field} + " is not a YYYY-MM-DD calendar date");
    }
    return std::optional<platform::Date>{*date};
}

Json date_or_null(const std::optional<platform::Date>& date) {
    return date ? Json(date->to_string()) : Json(nullptr);
}

Unavailable unavailable(UnavailableReason reason, std::string detail) {
    return Unavailable{reason, std::move(detail)};
}

}  // namespace

platform::Result<PermitRecord, std::string> parse_permit_record(std::string_view body) {
    const auto parsed = parse_strict(body);
    if (parsed.value.is_discarded()) {
        return err(std::string{"body is not JSON"});
    }
    if (parsed.duplicate_key) {
        return err(std::string{"body repeats a key"});
    }
    const Json& doc = parsed.value;
    if (!doc.is_object()) {
        return err(std::string{"body is not a JSON object"});
    }
    for (const auto field : kFields) {
        if (!doc.contains(field)) {
            return err("member " + std::string{field} + " is missing");
        }
    }
    if (doc.size() != kFields.size()) {
        // A member we do not know means the contract moved: someone must read it before we trust
        // what the other members mean.
        return err(std::string{"body has members beyond the documented eight"});
    }
    PermitRecord record;
    auto number = required_string(doc, "number");
    auto type = required_string(doc, "type");
    auto surname = required_string(doc, "holder_surname");
    auto status = required_string(doc, "status");
    auto issued_on = nullable_date(doc, "issued_on");
    auto printed_expiry = nullable_date(doc, "printed_expiry");
    auto legal_expiry = nullable_date(doc, "legal_expiry");
    auto directive_ref = nullable_string(doc, "directive_ref");
    for (const std::string* problem : {
             number.ok() ? nullptr : &number.error(),
             type.ok() ? nullptr : &type.error(),
             surname.ok() ? nullptr : &surname.error(),
             status.ok() ? nullptr : &status.error(),
             issued_on.ok() ? nullptr : &issued_on.error(),
             printed_expiry.ok() ? nullptr : &printed_expiry.error(),
             legal_expiry.ok() ? nullptr : &legal_expiry.error(),
             directive_ref.ok() ? nullptr : &directive_ref.error(),
         }) {
        if (problem != nullptr) {
            return err(*problem);
        }
    }
    const auto known_type = parse_permit_type(type.value());
    if (!known_type) {
        return err(std::string{"type is not LSP, LEP or work_visa"});
    }
    const auto known_status = parse_permit_status(status.value());
    if (!known_status) {
        return err(std::string{"status is not one of the documented values"});
    }
    record.number = std::move(number).value();
    record.type = *known_type;
    record.holder_surname = std::move(surname).value();
    record.status = *known_status;
    record.issued_on = issued_on.value();
    record.printed_expiry = printed_expiry.value();
    record.legal_expiry = legal_expiry.value();
    record.directive_ref = std::move(directive_ref).value();
    if (auto problem = find_inconsistency(record)) {
        return err("record is inconsistent: " + *problem);
    }
    return record;
}

std::string to_json(const PermitRecord& record) {
    nlohmann::ordered_json doc;
    doc["number"] = record.number;
    doc["type"] = std::string{to_string(record.type)};
    doc["holder_surname"] = record.holder_surname;
    doc["status"] = std::string{to_string(record.status)};
    doc["issued_on"] = date_or_null(record.issued_on);
    doc["printed_expiry"] = date_or_null(record.printed_expiry);
    doc["legal_expiry"] = date_or_null(record.legal_expiry);
    doc["directive_ref"] = record.directive_ref ? Json(*record.directive_ref) : Json(nullptr);
    return doc.dump();
}

LookupResult interpret_reply(
    long http_status,
    std::string_view body,
    std::string_view requested_number,
    std::string_view requested_surname
) {
    if (http_status == 200) {
        auto record = parse_permit_record(body);
        if (!record.ok()) {
            return unavailable(UnavailableReason::kMalformedResponse, record.error());
        }
        if (record.value().number != requested_number) {
            return unavailable(
                UnavailableReason::kUnexpectedResponse, "the registry answered with another permit"
            );
        }
        if (!same_surname(record.value().holder_surname, requested_surname)) {
            return unavailable(
                UnavailableReason::kUnexpectedResponse,
                "the registry answered with a holder of another surname"
            );
        }
        return Found{std::move(record).value()};
    }
    if (http_status == 404) {
        const auto parsed = parse_strict(body);
        const Json& doc = parsed.value;
        const bool from_registry = !parsed.duplicate_key && doc.is_object() &&
                                   doc.contains("error") && doc["error"].is_string() &&
                                   doc["error"].get<std::string>() == kNotFoundError;
        if (!from_registry) {
            // A 404 page from a proxy, or a base URL pointing at the wrong service: treating it as
            // "no such permit" would turn an outage into a verdict against the worker.
            return unavailable(
                UnavailableReason::kUnexpectedResponse,
                "HTTP 404 without the registry's not-found body (wrong base URL?)"
            );
        }
        return NotFound{};
    }
    if (http_status == 401 || http_status == 403) {
        return unavailable(
            UnavailableReason::kUnauthorized,
            "HTTP " + std::to_string(http_status) + ": the registry refused our API key"
        );
    }
    if (http_status >= 500 && http_status <= 599) {
        return unavailable(UnavailableReason::kServerError, "HTTP " + std::to_string(http_status));
    }
    return unavailable(
        UnavailableReason::kUnexpectedResponse,
        "HTTP " + std::to_string(http_status) + " is not in the registry's contract"
    );
}

}  // namespace chelete::permit_registry::wire
