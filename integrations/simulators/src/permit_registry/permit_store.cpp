#include "permit_registry/permit_store.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace chelete::simulators::permit_registry {
namespace {

using platform::err;
using Json = nlohmann::json;

constexpr std::array<std::string_view, 8> kColumns{
    "number",
    "type",
    "holder_surname",
    "status",
    "issued_on",
    "printed_expiry",
    "legal_expiry",
    "directive_ref",
};
constexpr std::array<std::string_view, 3> kTypes{"LSP", "LEP", "work_visa"};
constexpr std::array<std::string_view, 6> kStatuses{
    "valid", "expired", "revoked", "superseded", "in_adjudication", "rejected"};
constexpr std::size_t kMaxNumberLength = 32;
constexpr std::size_t kMaxSurnameBytes = 100;
constexpr std::size_t kMaxDirectiveRefBytes = 200;

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& names, std::string_view value) {
    return std::ranges::find(names, value) != names.end();
}

bool date_shaped(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9')) {
            return false;
        }
    }
    return true;
}

char ascii_upper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

Json optional_json(const std::optional<std::string>& value) {
    return value ? Json(*value) : Json(nullptr);
}

/// Splits one CSV line (RFC 4180 quoting, no line breaks inside fields).
platform::Result<std::vector<std::string>, std::string> split_csv_line(std::string_view line) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    bool field_was_quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            if (!field.empty() || field_was_quoted) {
                return err(std::string{"a quote inside an unquoted field"});
            }
            quoted = true;
            field_was_quoted = true;
        } else if (c == ',') {
            fields.push_back(std::move(field));
            field.clear();
            field_was_quoted = false;
        } else {
            field += c;
        }
    }
    if (quoted) {
        return err(std::string{"an unterminated quoted field"});
    }
    fields.push_back(std::move(field));
    return fields;
}

std::optional<std::string> empty_is_null(std::string value) {
    if (value.empty()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

bool is_permit_number(std::string_view number) {
    if (number.empty() || number.size() > kMaxNumberLength) {
        return false;
    }
    return std::ranges::all_of(number, [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-';
    });
}

std::optional<std::string> shape_problem(const SimPermit& permit) {
    if (!is_permit_number(permit.number)) {
        return "number must be 1-32 characters of [A-Za-z0-9-]";
    }
    if (!one_of(kTypes, permit.type)) {
        return "type must be LSP, LEP or work_visa";
    }
    if (permit.holder_surname.empty() || permit.holder_surname.size() > kMaxSurnameBytes) {
        return "holder_surname must be 1-100 bytes";
    }
    if (!one_of(kStatuses, permit.status)) {
        return "status must be valid, expired, revoked, superseded, in_adjudication or rejected";
    }
    for (const auto* date : {&permit.issued_on, &permit.printed_expiry, &permit.legal_expiry}) {
        if (*date && !date_shaped(**date)) {
            return "dates must be YYYY-MM-DD";
        }
    }
    if (permit.directive_ref && permit.directive_ref->size() > kMaxDirectiveRefBytes) {
        return "directive_ref must be at most 200 bytes";
    }
    return std::nullopt;
}

Json to_json(const SimPermit& permit) {
    return Json{
        {"number", permit.number},
        {"type", permit.type},
        {"holder_surname", permit.holder_surname},
        {"status", permit.status},
        {"issued_on", optional_json(permit.issued_on)},
        {"printed_expiry", optional_json(permit.printed_expiry)},
        {"legal_expiry", optional_json(permit.legal_expiry)},
        {"directive_ref", optional_json(permit.directive_ref)},
    };
}

platform::Result<SimPermit, std::string> permit_from_json(const Json& doc) {
    if (!doc.is_object()) {
        return err(std::string{"the body must be a JSON object"});
    }
    for (const auto& member : doc.items()) {
        if (!one_of(kColumns, member.key())) {
            return err("unknown member " + member.key());
        }
    }
    SimPermit permit;
    const std::array<std::pair<const char*, std::string*>, 4> required{{
        {"number", &permit.number},
        {"type", &permit.type},
        {"holder_surname", &permit.holder_surname},
        {"status", &permit.status},
    }};
    for (const auto& [name, target] : required) {
        const auto it = doc.find(name);
        if (it == doc.end() || !it->is_string()) {
            return err(std::string{name} + " is required and must be a string");
        }
        *target = it->get<std::string>();
    }
    const std::array<std::pair<const char*, std::optional<std::string>*>, 4> optional{{
        {"issued_on", &permit.issued_on},
        {"printed_expiry", &permit.printed_expiry},
        {"legal_expiry", &permit.legal_expiry},
        {"directive_ref", &permit.directive_ref},
    }};
    for (const auto& [name, target] : optional) {
        const auto it = doc.find(name);
        if (it == doc.end() || it->is_null()) {
            continue;
        }
        if (!it->is_string()) {
            return err(std::string{name} + " must be a string or null");
        }
        *target = it->get<std::string>();
    }
    if (auto problem = shape_problem(permit)) {
        return err(*problem);
    }
    return permit;
}

platform::Result<std::vector<SimPermit>, std::string> parse_seed_csv(std::string_view text) {
    std::vector<SimPermit> permits;
    bool header_seen = false;
    std::size_t line_number = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = std::min(text.find('\n', start), text.size());
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++line_number;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const std::string where = "line " + std::to_string(line_number) + ": ";
        auto fields = split_csv_line(line);
        if (!fields.ok()) {
            return err(where + fields.error());
        }
        auto& values = fields.value();
        if (values.size() != kColumns.size()) {
            return err(where + "expected 8 fields, found " + std::to_string(values.size()));
        }
        if (!header_seen) {
            if (!std::ranges::equal(values, kColumns)) {
                return err(
                    where +
                    "the header must be number,type,holder_surname,status,"
                    "issued_on,printed_expiry,legal_expiry,directive_ref"
                );
            }
            header_seen = true;
            continue;
        }
        SimPermit permit{
            std::move(values[0]),
            std::move(values[1]),
            std::move(values[2]),
            std::move(values[3]),
            empty_is_null(std::move(values[4])),
            empty_is_null(std::move(values[5])),
            empty_is_null(std::move(values[6])),
            empty_is_null(std::move(values[7])),
        };
        if (auto problem = shape_problem(permit)) {
            return err(where + *problem);
        }
        permits.push_back(std::move(permit));
    }
    if (!header_seen) {
        return err(std::string{"the seed file has no header line"});
    }
    return permits;
}

bool surname_matches(std::string_view stored, std::string_view given) {
    if (stored.size() != given.size()) {
        return false;
    }
    for (std::size_t i = 0; i < stored.size(); ++i) {
        if (ascii_upper(stored[i]) != ascii_upper(given[i])) {
            return false;
        }
    }
    return true;
}

bool PermitStore::put(SimPermit permit) {
    const std::lock_guard lock{mutex_};
    const std::string number = permit.number;
    return !by_number_.insert_or_assign(number, std::move(permit)).second;
}

std::optional<SimPermit> PermitStore::find(const std::string& number, std::string_view surname)
    const {
    const std::lock_guard lock{mutex_};
    const auto it = by_number_.find(number);
    if (it == by_number_.end() || !surname_matches(it->second.holder_surname, surname)) {
        return std::nullopt;
    }
    return it->second;
}

std::size_t PermitStore::size() const {
    const std::lock_guard lock{mutex_};
    return by_number_.size();
}

}  // namespace chelete::simulators::permit_registry
