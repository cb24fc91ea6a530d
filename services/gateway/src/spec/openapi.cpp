#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <set>
#include <system_error>
#include <utility>

#include <yaml-cpp/yaml.h>

#include <chelete/gateway/openapi.hpp>

#include "spec/json_schema.hpp"

namespace chelete::gateway {

using nlohmann::json;

namespace detail {

struct Segment {
    bool literal = true;
    std::string text;  // the literal, or the parameter name
};

struct Route {
    std::string path_template;
    std::vector<Segment> segments;
    std::map<std::string, std::size_t, std::less<>> methods;  // method -> index into operations
};

struct SpecIndex {
    std::vector<Route> routes;
    std::map<std::string, std::size_t, std::less<>> by_id;
};

}  // namespace detail

namespace {

constexpr std::size_t kMaxYamlDepth = 128;
constexpr std::size_t kMaxYamlNodes = 1'000'000;
constexpr std::array<std::string_view, 5> kMethods{"get", "post", "put", "patch", "delete"};
constexpr std::array<std::string_view, 8> kRoles{
    "worker",
    "beneficiary",
    "agent",
    "ministry_officer",
    "compliance_officer",
    "finance",
    "admin",
    "partner"};

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

bool is_extension(std::string_view key) {
    return starts_with(key, "x-");
}

std::string upper(std::string_view text) {
    std::string out{text};
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    });
    return out;
}

// ---------------------------------------------------------------------------------------------
// YAML -> JSON

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// YAML 1.2 core schema float: [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool looks_like_float(std::string_view s) {
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        s.remove_prefix(1);
    }
    std::size_t i = 0;
    std::size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        ++i;
        ++digits;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
            ++digits;
        }
    }
    if (digits == 0) {
        return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
            ++i;
        }
        if (!all_digits(s.substr(i))) {
            return false;
        }
        i = s.size();
    }
    return i == s.size();
}

class YamlConverter {
public:
    json convert(const YAML::Node& node, const std::string& location, std::size_t depth) {
        if (++nodes_ > kMaxYamlNodes) {
            throw SpecError(
                location + ": the document is too large (aliases expand to too many nodes)"
            );
        }
        if (depth > kMaxYamlDepth) {
            throw SpecError(location + ": nested too deeply");
        }
        switch (node.Type()) {
            case YAML::NodeType::Null:
                return nullptr;
            case YAML::NodeType::Scalar:
                return scalar(node, location);
            case YAML::NodeType::Sequence: {
                json out = json::array();
                std::size_t i = 0;
                for (const auto& item : node) {
                    out.push_back(convert(item, location + "[" + std::to_string(i) + "]", depth + 1)
                    );
                    ++i;
                }
                return out;
            }
            case YAML::NodeType::Map: {
                json out = json::object();
                for (const auto& pair : node) {
                    if (!pair.first.IsScalar()) {
                        throw SpecError(location + ": mapping keys must be scalars");
                    }
                    const std::string& key = pair.first.Scalar();
                    if (key == "<<" && pair.first.Tag() == "?") {
                        throw SpecError(location + ": YAML merge keys (<<) are not supported");
                    }
                    const std::string child_location =
                        location.empty() ? key : detail::cat(location, ".", key);
                    if (out.contains(key)) {
                        throw SpecError(child_location + ": duplicate key");
                    }
                    out[key] = convert(pair.second, child_location, depth + 1);
                }
                return out;
            }
            case YAML::NodeType::Undefined:
                break;
        }
        throw SpecError(location + ": undefined YAML node");
    }

private:
    static json scalar(const YAML::Node& node, const std::string& location) {
        const std::string& tag = node.Tag();
        const std::string& text = node.Scalar();
        // yaml-cpp tags quoted and block scalars "!" and plain ones "?": only plain scalars are
        // resolved to null, booleans and numbers, so '200' and "true" stay strings.
        if (tag == "!" || tag == "tag:yaml.org,2002:str") {
            return text;
        }
        if (tag == "?" || tag.empty()) {
            return plain(text, location);
        }
        if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
            tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
            json value = plain(text, location);
            const bool fits = (tag == "tag:yaml.org,2002:int" && value.is_number_integer()) ||
                              (tag == "tag:yaml.org,2002:float" && value.is_number()) ||
                              (tag == "tag:yaml.org,2002:bool" && value.is_boolean()) ||
                              (tag == "tag:yaml.org,2002:null" && value.is_null());
            if (!fits) {
                throw SpecError(location + ": '" + text + "' does not match its tag " + tag);
            }
            return value;
        }
        throw SpecError(location + ": unsupported YAML tag " + tag);
    }

    // YAML 1.2 core integers: [-+]?[0-9]+, kept exact as int64 (or uint64 above INT64_MAX).
    static std::optional<json> plain_integer(const std::string& text, const std::string& location) {
        std::string_view digits{text};
        const bool negative = !digits.empty() && digits[0] == '-';
        if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
            digits.remove_prefix(1);
        }
        if (!all_digits(digits)) {
            return std::nullopt;
        }
        const std::string_view signed_text = negative ? std::string_view{text} : digits;
        std::int64_t value = 0;
        const auto [end, ec] =
            std::from_chars(signed_text.data(), signed_text.data() + signed_text.size(), value);
        if (ec == std::errc{} && end == signed_text.data() + signed_text.size()) {
            return json(value);
        }
        std::uint64_t big = 0;
        const auto [uend, uec] = std::from_chars(digits.data(), digits.data() + digits.size(), big);
        if (!negative && uec == std::errc{} && uend == digits.data() + digits.size()) {
            return json(big);
        }
        throw SpecError(location + ": integer " + text + " does not fit in 64 bits");
    }

    static json plain(const std::string& text, const std::string& location) {
        if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
            return nullptr;
        }
        if (text == "true" || text == "True" || text == "TRUE") {
            return true;
        }
        if (text == "false" || text == "False" || text == "FALSE") {
            return false;
        }
        if (auto integer = plain_integer(text, location)) {
            return *integer;
        }
        if (looks_like_float(text)) {
            const std::string_view number =
                text[0] == '+' ? std::string_view{text}.substr(1) : std::string_view{text};
            double value = 0;
            const auto [end, ec] =
                std::from_chars(number.data(), number.data() + number.size(), value);
            if (ec != std::errc{} || end != number.data() + number.size() ||
                !std::isfinite(value)) {
                throw SpecError(location + ": cannot read the number " + text);
            }
            return value;
        }
        static const std::set<std::string, std::less<>> kNonFinite{
            ".inf",
            ".Inf",
            ".INF",
            "+.inf",
            "+.Inf",
            "+.INF",
            "-.inf",
            "-.Inf",
            "-.INF",
            ".nan",
            ".NaN",
            ".NAN"};
        if (kNonFinite.contains(text)) {
            throw SpecError(location + ": " + text + " has no JSON form");
        }
        return text;
    }

    std::size_t nodes_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Paths

bool valid_parameter_name(std::string_view name) {
    if (name.empty() || !((name[0] >= 'a' && name[0] <= 'z') ||
                          (name[0] >= 'A' && name[0] <= 'Z') || name[0] == '_')) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

bool valid_literal(std::string_view segment) {
    // RFC 3986 unreserved characters plus a few sub-delimiters; no '%', so raw comparison is exact.
    return !segment.empty() && segment != "." && segment != ".." &&
           std::all_of(segment.begin(), segment.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '@' ||
                      c == '!' || c == '$' || c == '\'' || c == '(' || c == ')' || c == '*' ||
                      c == ',' || c == ';' || c == '=';
           });
}

// "/" has no segments; any other path is '/' followed by non-empty '/'-separated segments.
std::optional<std::vector<std::string_view>> split_path(std::string_view path) {
    if (path.empty() || path[0] != '/') {
        return std::nullopt;
    }
    std::vector<std::string_view> segments;
    if (path == "/") {
        return segments;
    }
    std::size_t start = 1;
    while (true) {
        const auto end = path.find('/', start);
        const std::string_view segment =
            path.substr(start, end == std::string_view::npos ? end : end - start);
        if (segment.empty()) {
            return std::nullopt;
        }
        segments.push_back(segment);
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    return segments;
}

std::vector<detail::Segment> parse_template(const std::string& path) {
    const auto raw = split_path(path);
    if (!raw) {
        throw SpecError(
            "paths." + path + ": a path must start with '/' and have no empty segments"
        );
    }
    std::vector<detail::Segment> segments;
    std::set<std::string, std::less<>> names;
    for (const auto segment : *raw) {
        if (segment.size() >= 2 && segment.front() == '{' && segment.back() == '}') {
            const std::string name{segment.substr(1, segment.size() - 2)};
            if (!valid_parameter_name(name)) {
                throw SpecError(
                    detail::cat("paths.", path, ": bad path parameter name '", name, "'")
                );
            }
            if (!names.insert(name).second) {
                throw SpecError(
                    detail::cat("paths.", path, ": path parameter '", name, "' appears twice")
                );
            }
            segments.push_back({false, name});
        } else if (valid_literal(segment)) {
            segments.push_back({true, std::string{segment}});
        } else {
            throw SpecError(
                "paths." + path + ": segment '" + std::string{segment} +
                "' must be a literal or a whole {parameter}"
            );
        }
    }
    return segments;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// A path parameter's value: percent-decoded ('+' stays '+'), valid UTF-8, still one segment.
std::optional<std::string> decode_segment(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '%') {
            out += raw[i];
            continue;
        }
        if (i + 2 >= raw.size()) {
            return std::nullopt;
        }
        const int hi = hex_digit(raw[i + 1]);
        const int lo = hex_digit(raw[i + 2]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    if (out.empty() || out == "." || out == ".." || out.find('/') != std::string::npos ||
        out.find('\0') != std::string::npos || !detail::is_valid_utf8(out)) {
        return std::nullopt;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// The document

class Loader {
public:
    explicit Loader(const json& document) : document_(document), compiler_(components("schemas")) {}

    std::pair<std::vector<Operation>, detail::SpecIndex> run() {
        check_root();
        compiler_.compile_components();
        const json& paths = document_.at("paths");
        std::map<std::string, std::string, std::less<>> shapes;  // "/v1/x/{}" -> template
        for (const auto& [path, item] : paths.items()) {
            add_path(path, item, shapes);
        }
        compiler_.finish();
        detail::SpecIndex index = std::move(index_);
        return {std::move(operations_), std::move(index)};
    }

private:
    [[nodiscard]] const json& components(std::string_view kind) const {
        static const json kNull;
        const auto it = document_.find("components");
        if (it == document_.end() || !it->is_object()) {
            return kNull;
        }
        const auto sub = it->find(kind);
        return sub == it->end() ? kNull : *sub;
    }

    void check_root() {
        if (!document_.is_object()) {
            throw SpecError("the document must be a mapping");
        }
        const auto version = document_.find("openapi");
        if (version == document_.end() || !version->is_string() ||
            !starts_with(version->get_ref<const std::string&>(), "3.1.")) {
            throw SpecError("openapi: must be a 3.1.x version string (quote it: '3.1.0')");
        }
        static const std::set<std::string, std::less<>> kRootKeys{
            "openapi",
            "info",
            "jsonSchemaDialect",
            "servers",
            "paths",
            "components",
            "security",
            "tags",
            "externalDocs",
            "webhooks"};
        for (const auto& [key, value] : document_.items()) {
            if (!is_extension(key) && !kRootKeys.contains(key)) {
                throw SpecError(detail::cat(key, ": unknown top-level key"));
            }
            if (key == "webhooks" && !value.empty()) {
                throw SpecError("webhooks: not supported");
            }
        }
        if (!document_.contains("paths") || !document_.at("paths").is_object()) {
            throw SpecError("paths: must be a mapping");
        }
        if (const auto it = document_.find("components"); it != document_.end()) {
            check_components(*it);
        }
        if (const auto it = document_.find("security"); it != document_.end()) {
            check_security(*it, "security");
        }
    }

    static void check_components(const json& components) {
        static const std::set<std::string, std::less<>> kComponentKeys{
            "schemas",
            "parameters",
            "responses",
            "requestBodies",
            "securitySchemes",
            "headers",
            "examples",
            "links",
            "callbacks",
            "pathItems"};
        if (!components.is_object()) {
            throw SpecError("components: must be a mapping");
        }
        for (const auto& [key, value] : components.items()) {
            if (is_extension(key)) {
                continue;
            }
            if (!kComponentKeys.contains(key)) {
                throw SpecError(detail::cat("components.", key, ": unknown component kind"));
            }
            if (!value.is_object()) {
                throw SpecError(detail::cat("components.", key, ": must be a mapping"));
            }
        }
    }

    void check_security(const json& security, const std::string& location) const {
        if (!security.is_array()) {
            throw SpecError(location + ": must be a list of security requirements");
        }
        const json& schemes = components("securitySchemes");
        for (const auto& requirement : security) {
            if (!requirement.is_object()) {
                throw SpecError(location + ": each security requirement must be a mapping");
            }
            for (const auto& [name, scopes] : requirement.items()) {
                (void)scopes;
                if (!schemes.is_object() || !schemes.contains(name)) {
                    throw SpecError(detail::cat(
                        location,
                        ": security scheme '",
                        name,
                        "' is not defined in components.securitySchemes"
                    ));
                }
            }
        }
    }

    // Follows $ref chains for parameters, request bodies and responses (not schemas, which the
    // schema compiler resolves). Returns the target and the location to report errors at.
    std::pair<const json*, std::string> resolve(
        const json& node, std::string_view kind, const std::string& location
    ) {
        const json* current = &node;
        std::string current_location = location;
        std::set<std::string, std::less<>> seen;
        const std::string prefix = "#/components/" + std::string{kind} + "/";
        while (current->is_object() && current->contains("$ref")) {
            for (const auto& [key, value] : current->items()) {
                (void)value;
                if (key != "$ref" && key != "summary" && key != "description") {
                    throw SpecError(
                        detail::cat(current_location, ": '", key, "' beside $ref is not supported")
                    );
                }
            }
            const json& ref = current->at("$ref");
            if (!ref.is_string()) {
                throw SpecError(current_location + ": $ref must be a string");
            }
            const auto& text = ref.get_ref<const std::string&>();
            if (!starts_with(text, prefix) || text.find('/', prefix.size()) != std::string::npos) {
                throw SpecError(detail::cat(
                    current_location, ": $ref '", text, "' must point to ", prefix, "<name>"
                ));
            }
            if (!seen.insert(text).second) {
                throw SpecError(detail::cat(location, ": $ref cycle through '", text, "'"));
            }
            const std::string name = text.substr(prefix.size());
            const json& pool = components(kind);
            if (!pool.is_object() || !pool.contains(name)) {
                throw SpecError(
                    detail::cat(current_location, ": $ref '", text, "' does not resolve")
                );
            }
            current = &pool.at(name);
            current_location = "components." + std::string{kind} + "." + name;
        }
        if (!current->is_object()) {
            throw SpecError(current_location + ": must be a mapping");
        }
        return {current, current_location};
    }

    static void allow_keys(
        const json& object,
        const std::string& location,
        std::initializer_list<std::string_view> allowed
    ) {
        for (const auto& [key, value] : object.items()) {
            (void)value;
            if (!is_extension(key) &&
                std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                throw SpecError(detail::cat(location, ": unsupported key '", key, "'"));
            }
        }
    }

    Parameter build_parameter(const json& raw, const std::string& location) {
        const auto [node, where] = resolve(raw, "parameters", location);
        allow_keys(
            *node,
            where,
            {"name",
             "in",
             "required",
             "schema",
             "description",
             "deprecated",
             "example",
             "examples",
             "style",
             "explode",
             "allowEmptyValue",
             "allowReserved"}
        );
        Parameter parameter;
        const auto name = node->find("name");
        const auto in = node->find("in");
        if (name == node->end() || !name->is_string() ||
            name->get_ref<const std::string&>().empty()) {
            throw SpecError(where + ": 'name' must be a non-empty string");
        }
        if (in == node->end() || !in->is_string()) {
            throw SpecError(where + ": 'in' must be path, query or header");
        }
        parameter.name = name->get<std::string>();
        parameter.in = in->get<std::string>();
        if (parameter.in != "path" && parameter.in != "query" && parameter.in != "header") {
            throw SpecError(
                where + ": 'in: " + parameter.in + "' is not supported (path, query or header)"
            );
        }
        if (const auto required = node->find("required"); required != node->end()) {
            if (!required->is_boolean()) {
                throw SpecError(where + ": 'required' must be true or false");
            }
            parameter.required = required->get<bool>();
        }
        if (parameter.in == "path" && !parameter.required) {
            throw SpecError(where + ": path parameters must say required: true");
        }
        const auto schema = node->find("schema");
        if (schema == node->end()) {
            throw SpecError(where + ": 'schema' is required");
        }
        parameter.schema = compiler_.compile_entry(*schema, where + ".schema", Direction::kRequest);
        if (!parameter.schema->scalar_type()) {
            throw SpecError(
                where +
                ".schema: a parameter must have one type: string, integer, number or boolean"
            );
        }
        return parameter;
    }

    std::vector<Parameter> build_parameters(const json& list, const std::string& location) {
        if (!list.is_array()) {
            throw SpecError(location + ": must be a list");
        }
        std::vector<Parameter> out;
        for (std::size_t i = 0; i < list.size(); ++i) {
            Parameter parameter =
                build_parameter(list[i], location + "[" + std::to_string(i) + "]");
            for (const auto& other : out) {
                if (other.in == parameter.in && upper(other.name) == upper(parameter.name)) {
                    throw SpecError(
                        location + ": parameter '" + parameter.name + "' in " + parameter.in +
                        " is declared twice"
                    );
                }
            }
            out.push_back(std::move(parameter));
        }
        return out;
    }

    void add_path(
        const std::string& path,
        const json& item,
        std::map<std::string, std::string, std::less<>>& shapes
    ) {
        const std::string location = "paths." + path;
        auto segments = parse_template(path);
        std::string shape;
        for (const auto& segment : segments) {
            shape += "/" + (segment.literal ? segment.text : std::string{"{}"});
        }
        if (const auto [it, inserted] = shapes.emplace(shape, path); !inserted) {
            throw SpecError(location + ": is the same route as " + it->second);
        }
        if (!item.is_object()) {
            throw SpecError(location + ": must be a mapping");
        }
        std::vector<Parameter> path_parameters;
        if (const auto it = item.find("parameters"); it != item.end()) {
            path_parameters = build_parameters(*it, location + ".parameters");
        }
        detail::Route route{path, std::move(segments), {}};
        for (const auto& [key, value] : item.items()) {
            if (std::find(kMethods.begin(), kMethods.end(), key) != kMethods.end()) {
                const std::size_t index = operations_.size();
                operations_.push_back(build_operation(path, route, key, value, path_parameters));
                route.methods.emplace(upper(key), index);
                continue;
            }
            if (key == "head" || key == "options" || key == "trace") {
                throw SpecError(detail::cat(location, ": method '", key, "' is not supported"));
            }
            if (key != "parameters" && key != "summary" && key != "description" &&
                key != "servers" && !is_extension(key)) {
                throw SpecError(detail::cat(location, ": unsupported key '", key, "'"));
            }
        }
        if (route.methods.empty()) {
            throw SpecError(location + ": declares no operation");
        }
        index_.routes.push_back(std::move(route));
    }

    Operation build_operation(
        const std::string& path,
        const detail::Route& route,
        const std::string& method,
        const json& node,
        const std::vector<Parameter>& path_parameters
    ) {
        const std::string location = "paths." + path + "." + method;
        if (!node.is_object()) {
            throw SpecError(location + ": must be a mapping");
        }
        allow_keys(
            node,
            location,
            {"operationId",
             "summary",
             "description",
             "tags",
             "parameters",
             "requestBody",
             "responses",
             "security",
             "deprecated",
             "externalDocs"}
        );
        Operation op;
        op.method = upper(method);
        op.path_template = path;
        const auto id = node.find("operationId");
        if (id == node.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
            throw SpecError(location + ": 'operationId' is required");
        }
        op.operation_id = id->get<std::string>();
        if (!index_.by_id.emplace(op.operation_id, operations_.size()).second) {
            throw SpecError(location + ": operationId '" + op.operation_id + "' is used twice");
        }
        build_security(op, node, location);
        if (const auto it = node.find("x-idempotency-key"); it != node.end()) {
            if (*it != "required") {
                throw SpecError(location + ".x-idempotency-key: the only value is 'required'");
            }
            op.idempotent = true;
        }
        // Operation-level parameters override path-level ones with the same name and location.
        std::vector<Parameter> own;
        if (const auto it = node.find("parameters"); it != node.end()) {
            own = build_parameters(*it, location + ".parameters");
        }
        for (const auto& inherited : path_parameters) {
            const bool overridden = std::any_of(own.begin(), own.end(), [&](const Parameter& p) {
                return p.in == inherited.in && upper(p.name) == upper(inherited.name);
            });
            if (!overridden) {
                op.parameters.push_back(inherited);
            }
        }
        op.parameters.insert(op.parameters.end(), own.begin(), own.end());
        check_path_parameters(op, route, location);
        if (const auto it = node.find("requestBody"); it != node.end()) {
            build_request_body(op, *it, location + ".requestBody");
        }
        const auto responses = node.find("responses");
        if (responses == node.end() || !responses->is_object() || responses->empty()) {
            throw SpecError(location + ": 'responses' must declare at least one response");
        }
        for (const auto& [status, response] : responses->items()) {
            build_response(op, status, response, detail::cat(location, ".responses.", status));
        }
        return op;
    }

    void build_security(Operation& op, const json& node, const std::string& location) const {
        const auto security = node.find("security");
        if (security != node.end()) {
            check_security(*security, location + ".security");
            op.is_public = security->empty();
        }
        // The schemes that apply: the operation's own list, else the document's default.
        const json* effective = security != node.end() ? &*security : nullptr;
        if (effective == nullptr) {
            if (const auto global = document_.find("security"); global != document_.end()) {
                effective = &*global;
            }
        }
        if (effective != nullptr) {
            for (const auto& requirement : *effective) {
                for (const auto& [name, scopes] : requirement.items()) {
                    (void)scopes;
                    if (std::find(op.security_schemes.begin(), op.security_schemes.end(), name) ==
                        op.security_schemes.end()) {
                        op.security_schemes.push_back(name);
                    }
                }
            }
        }
        const auto roles = node.find("x-roles");
        if (op.is_public) {
            if (roles != node.end()) {
                throw SpecError(
                    location + ": a public operation (security: []) cannot have x-roles"
                );
            }
            return;
        }
        // Fail closed: without an explicit `security: []`, a token and a role are needed.
        if (roles == node.end()) {
            throw SpecError(
                location + ": 'x-roles' is required (or security: [] for a public operation)"
            );
        }
        if (!roles->is_array() || roles->empty()) {
            throw SpecError(location + ".x-roles: must be a non-empty list of roles");
        }
        for (const auto& role : *roles) {
            if (!role.is_string() ||
                std::find(kRoles.begin(), kRoles.end(), role.get_ref<const std::string&>()) ==
                    kRoles.end()) {
                throw SpecError(location + ".x-roles: unknown role " + role.dump());
            }
            if (std::find(op.roles.begin(), op.roles.end(), role.get<std::string>()) !=
                op.roles.end()) {
                throw SpecError(location + ".x-roles: role " + role.dump() + " is listed twice");
            }
            op.roles.push_back(role.get<std::string>());
        }
    }

    static void check_path_parameters(
        const Operation& op, const detail::Route& route, const std::string& location
    ) {
        std::set<std::string, std::less<>> in_template;
        for (const auto& segment : route.segments) {
            if (!segment.literal) {
                in_template.insert(segment.text);
            }
        }
        std::set<std::string, std::less<>> declared;
        for (const auto& parameter : op.parameters) {
            if (parameter.in != "path") {
                continue;
            }
            if (!in_template.contains(parameter.name)) {
                throw SpecError(
                    location + ": path parameter '" + parameter.name + "' is not in the path"
                );
            }
            declared.insert(parameter.name);
        }
        for (const auto& name : in_template) {
            if (!declared.contains(name)) {
                throw SpecError(
                    detail::cat(location, ": path parameter '", name, "' is not declared")
                );
            }
        }
    }

    void build_request_body(Operation& op, const json& raw, const std::string& location) {
        const auto [body, where] = resolve(raw, "requestBodies", location);
        allow_keys(*body, where, {"description", "content", "required"});
        if (const auto required = body->find("required"); required != body->end()) {
            if (!required->is_boolean()) {
                throw SpecError(where + ": 'required' must be true or false");
            }
            op.request_body_required = required->get<bool>();
        }
        const auto content = body->find("content");
        if (content == body->end() || !content->is_object() || content->size() != 1) {
            throw SpecError(where + ": 'content' must declare exactly one media type");
        }
        // Not `*content->items().begin()`: that binds to a temporary iteration proxy (ASan found
        // it).
        const auto first = content->begin();
        const std::string& media_type = first.key();
        const json& media = first.value();
        if (media_type != "application/json" && media_type != "application/x-www-form-urlencoded") {
            throw SpecError(
                where + ".content: media type '" + media_type +
                "' is not supported (application/json or application/x-www-form-urlencoded)"
            );
        }
        const std::string media_location = detail::cat(where, ".content.", media_type);
        if (!media.is_object() || !media.contains("schema")) {
            throw SpecError(media_location + ": 'schema' is required");
        }
        allow_keys(media, media_location, {"schema", "example", "examples", "encoding"});
        op.request_content_type = media_type;
        op.request_body = compiler_.compile_entry(
            media.at("schema"), media_location + ".schema", Direction::kRequest
        );
    }

    static bool valid_status(std::string_view status) {
        if (status == "default") {
            return true;
        }
        if (status.size() != 3 || status[0] < '1' || status[0] > '5') {
            return false;
        }
        if (status.substr(1) == "XX") {
            return true;
        }
        return all_digits(status.substr(1));
    }

    void build_response(
        Operation& op, const std::string& status, const json& raw, const std::string& location
    ) {
        if (!valid_status(status)) {
            throw SpecError(location + ": not a status code");
        }
        const auto [response, where] = resolve(raw, "responses", location);
        allow_keys(*response, where, {"description", "content", "headers", "links"});
        const auto content = response->find("content");
        if (content == response->end()) {
            return;
        }
        if (!content->is_object()) {
            throw SpecError(where + ".content: must be a mapping");
        }
        bool seen_json = false;
        for (const auto& [media_type, media] : content->items()) {
            if (media_type != "application/json" && media_type != "application/problem+json") {
                continue;  // text/plain, text/csv and the like carry no schema we check
            }
            if (seen_json) {
                throw SpecError(
                    where +
                    ".content: declare application/json or application/problem+json, not both"
                );
            }
            seen_json = true;
            const std::string media_location = detail::cat(where, ".content.", media_type);
            if (!media.is_object()) {
                throw SpecError(media_location + ": must be a mapping");
            }
            if (const auto schema = media.find("schema"); schema != media.end()) {
                op.responses[status] = compiler_.compile_entry(
                    *schema, media_location + ".schema", Direction::kResponse
                );
            }
        }
    }

    const json& document_;
    SchemaCompiler compiler_;
    std::vector<Operation> operations_;
    detail::SpecIndex index_;
};

// Left to right, the first segment where one route has a literal and the other a parameter decides.
bool takes_precedence(const detail::Route& a, const detail::Route& b) {
    for (std::size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
        if (a.segments[i].literal != b.segments[i].literal) {
            return a.segments[i].literal;
        }
    }
    return false;
}

struct RequestPath {
    std::vector<std::string_view> raw;
    std::vector<std::optional<std::string>> decoded;  // nullopt: cannot be a path parameter
};

std::optional<RequestPath> split_request_path(std::string_view path) {
    if (path.find('\0') != std::string_view::npos || path.find("//") != std::string_view::npos) {
        return std::nullopt;
    }
    auto segments = split_path(path);
    if (!segments) {
        return std::nullopt;
    }
    RequestPath request{std::move(*segments), {}};
    request.decoded.reserve(request.raw.size());
    for (const auto segment : request.raw) {
        if (segment == "." || segment == "..") {
            return std::nullopt;
        }
        request.decoded.push_back(decode_segment(segment));
    }
    return request;
}

// Literal segments compare as sent (no decoding, so an encoded literal is another path).
bool route_matches(const detail::Route& route, const RequestPath& request) {
    if (route.segments.size() != request.raw.size()) {
        return false;
    }
    for (std::size_t i = 0; i < request.raw.size(); ++i) {
        const auto& segment = route.segments[i];
        if (segment.literal ? segment.text != request.raw[i] : !request.decoded[i].has_value()) {
            return false;
        }
    }
    return true;
}

}  // namespace

OpenApiSpec OpenApiSpec::load(std::string_view yaml_text) {
    OpenApiSpec spec;
    spec.yaml_ = std::make_shared<const std::string>(yaml_text);
    try {
        YAML::Node root;
        try {
            root = YAML::Load(*spec.yaml_);
        } catch (const YAML::Exception& e) {
            throw SpecError(
                "YAML error at line " + std::to_string(e.mark.line + 1) + ", column " +
                std::to_string(e.mark.column + 1) + ": " + e.msg
            );
        }
        YamlConverter converter;
        auto document = std::make_shared<const json>(converter.convert(root, "", 0));
        Loader loader{*document};
        auto [operations, index] = loader.run();
        spec.document_ = std::move(document);
        spec.operations_ = std::make_shared<std::vector<Operation>>(std::move(operations));
        spec.index_ = std::make_shared<const detail::SpecIndex>(std::move(index));
    } catch (const SpecError&) {
        throw;
    } catch (const std::exception& e) {
        throw SpecError(std::string{"the spec could not be loaded: "} + e.what());
    }
    return spec;
}

std::optional<RouteMatch> OpenApiSpec::match(
    std::string_view method, std::string_view path, std::vector<std::string>* path_allowed_methods
) const {
    if (path_allowed_methods != nullptr) {
        path_allowed_methods->clear();
    }
    if (!index_) {
        return std::nullopt;
    }
    const auto request = split_request_path(path);
    if (!request) {
        return std::nullopt;
    }
    const detail::Route* best = nullptr;
    std::set<std::string_view> allowed;
    for (const auto& route : index_->routes) {
        if (!route_matches(route, *request)) {
            continue;
        }
        for (const auto& entry : route.methods) {
            allowed.insert(entry.first);
        }
        if (route.methods.contains(method) && (best == nullptr || takes_precedence(route, *best))) {
            best = &route;
        }
    }
    if (best == nullptr) {
        if (path_allowed_methods != nullptr) {
            for (const auto candidate : kMethods) {
                if (std::string name = upper(candidate); allowed.contains(name)) {
                    path_allowed_methods->push_back(std::move(name));
                }
            }
        }
        return std::nullopt;
    }
    RouteMatch result;
    result.operation = &(*operations_)[best->methods.find(method)->second];
    for (std::size_t i = 0; i < best->segments.size(); ++i) {
        if (!best->segments[i].literal) {
            result.path_params.emplace(best->segments[i].text, *request->decoded[i]);
        }
    }
    return result;
}

const Operation* OpenApiSpec::by_operation_id(std::string_view id) const {
    if (!index_) {
        return nullptr;
    }
    const auto it = index_->by_id.find(id);
    return it == index_->by_id.end() ? nullptr : &(*operations_)[it->second];
}

}  // namespace chelete::gateway
