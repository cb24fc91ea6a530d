#include "spec/json_schema.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <system_error>
#include <unordered_map>
#include <utility>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/id.hpp>

#define PCRE2_CODE_UNIT_WIDTH 8  // NOLINT(cppcoreguidelines-macro-usage): pcre2.h reads it
#include <pcre2.h>

namespace chelete::gateway {

using nlohmann::json;

namespace detail {

namespace {

// PCRE2 reads the same bytes as unsigned code units.
PCRE2_SPTR pcre2_text(std::string_view text) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
    return reinterpret_cast<PCRE2_SPTR>(text.data());
}

}  // namespace

struct Regex {
    pcre2_code* code = nullptr;
    pcre2_match_context* context = nullptr;

    Regex() = default;
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;
    Regex(Regex&&) = delete;
    Regex& operator=(Regex&&) = delete;
    ~Regex() {
        pcre2_match_context_free(context);
        pcre2_code_free(code);
    }

    [[nodiscard]] bool search(std::string_view subject) const {
        std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data{
            pcre2_match_data_create_from_pattern(code, nullptr), &pcre2_match_data_free};
        if (!data) {
            return false;
        }
        // Invalid UTF-8, the match limit or the heap limit all give a negative code: no match.
        const int rc =
            pcre2_match(code, pcre2_text(subject), subject.size(), 0, 0, data.get(), context);
        return rc >= 0;
    }
};

void RegexDeleter::operator()(Regex* regex) const noexcept {
    delete regex;  // NOLINT(cppcoreguidelines-owning-memory)
}

namespace {

// The length of the UTF-8 sequence a lead byte starts (0: invalid lead) and the range its second
// byte must fall in, which rules out overlong forms, surrogates and code points above U+10FFFF.
struct Utf8Lead {
    std::size_t length = 0;
    unsigned second_min = 0x80U;
    unsigned second_max = 0xBFU;
};

Utf8Lead utf8_lead(unsigned char c) {
    if (c >= 0xC2U && c <= 0xDFU) {
        return {2, 0x80U, 0xBFU};
    }
    if (c >= 0xE0U && c <= 0xEFU) {
        return {3, c == 0xE0U ? 0xA0U : 0x80U, c == 0xEDU ? 0x9FU : 0xBFU};
    }
    if (c >= 0xF0U && c <= 0xF4U) {
        return {4, c == 0xF0U ? 0x90U : 0x80U, c == 0xF4U ? 0x8FU : 0xBFU};
    }
    return {};
}

// Length of the valid sequence at the start of `text`, 0 if it is not valid UTF-8.
std::size_t valid_sequence_length(std::string_view text) {
    const auto c = static_cast<unsigned char>(text[0]);
    if (c < 0x80U) {
        return 1;
    }
    const Utf8Lead lead = utf8_lead(c);
    if (lead.length == 0 || text.size() < lead.length) {
        return 0;
    }
    const auto second = static_cast<unsigned char>(text[1]);
    if (second < lead.second_min || second > lead.second_max) {
        return 0;
    }
    for (std::size_t k = 2; k < lead.length; ++k) {
        if ((static_cast<unsigned char>(text[k]) & 0xC0U) != 0x80U) {
            return 0;
        }
    }
    return lead.length;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    while (!text.empty()) {
        const std::size_t length = valid_sequence_length(text);
        if (length == 0) {
            return false;
        }
        text.remove_prefix(length);
    }
    return true;
}

std::size_t count_code_points(std::string_view text) {
    std::size_t count = 0;
    for (const char ch : text) {
        if ((static_cast<unsigned char>(ch) & 0xC0U) != 0x80U) {
            ++count;
        }
    }
    return count;
}

std::string safe_fragment(std::string_view text) {
    constexpr std::size_t kMaxCodePoints = 64;
    std::string out;
    for (std::size_t points = 0; !text.empty(); ++points) {
        if (points == kMaxCodePoints) {
            out += "...";
            break;
        }
        const std::size_t length = valid_sequence_length(text);
        const auto c = static_cast<unsigned char>(text[0]);
        if (length == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD for a byte that starts no valid sequence
            text.remove_prefix(1);
            continue;
        }
        if (c < 0x20U || c == 0x7FU) {
            out += '?';
        } else {
            out.append(text.substr(0, length));
        }
        text.remove_prefix(length);
    }
    return out;
}

namespace {

int sign_of(bool less, bool greater) {
    if (less) {
        return -1;
    }
    return greater ? 1 : 0;
}

// Exact: a double is compared with the integer part and then the fraction, never by converting
// the integer to double (2^53 + 1 would round and compare equal to 2^53).
int compare_int_double(std::int64_t i, double d) {
    constexpr double kTwo63 = 9223372036854775808.0;
    if (d >= kTwo63) {
        return -1;
    }
    if (d < -kTwo63) {
        return 1;
    }
    const auto whole = static_cast<std::int64_t>(d);
    if (i != whole) {
        return sign_of(i<whole, i> whole);
    }
    const double fraction = d - static_cast<double>(whole);
    return sign_of(fraction > 0.0, fraction < 0.0);
}

int compare_uint_double(std::uint64_t u, double d) {
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return compare_int_double(static_cast<std::int64_t>(u), d);
    }
    constexpr double kTwo63 = 9223372036854775808.0;
    constexpr double kTwo64 = 18446744073709551616.0;
    if (d >= kTwo64) {
        return -1;
    }
    if (d < kTwo63) {
        return 1;
    }
    const auto whole = static_cast<std::uint64_t>(d);  // d is integral in this range
    return sign_of(u<whole, u> whole);
}

int compare_int_uint(std::int64_t i, std::uint64_t u) {
    if (i < 0) {
        return -1;
    }
    const auto ui = static_cast<std::uint64_t>(i);
    return sign_of(ui<u, ui> u);
}

}  // namespace

int compare_numbers(const json& a, const json& b) {
    using V = json::value_t;
    const V ta = a.type();
    const V tb = b.type();
    if (ta == V::number_integer) {
        const auto x = a.get<json::number_integer_t>();
        if (tb == V::number_integer) {
            const auto y = b.get<json::number_integer_t>();
            return sign_of(x<y, x> y);
        }
        if (tb == V::number_unsigned) {
            return compare_int_uint(x, b.get<json::number_unsigned_t>());
        }
        return compare_int_double(x, b.get<json::number_float_t>());
    }
    if (ta == V::number_unsigned) {
        const auto x = a.get<json::number_unsigned_t>();
        if (tb == V::number_integer) {
            return -compare_int_uint(b.get<json::number_integer_t>(), x);
        }
        if (tb == V::number_unsigned) {
            const auto y = b.get<json::number_unsigned_t>();
            return sign_of(x<y, x> y);
        }
        return compare_uint_double(x, b.get<json::number_float_t>());
    }
    const auto x = a.get<json::number_float_t>();
    if (tb == V::number_integer) {
        return -compare_int_double(b.get<json::number_integer_t>(), x);
    }
    if (tb == V::number_unsigned) {
        return -compare_uint_double(b.get<json::number_unsigned_t>(), x);
    }
    const auto y = b.get<json::number_float_t>();
    return sign_of(x<y, x> y);
}

}  // namespace detail

namespace {

constexpr std::size_t kMaxPatternLength = 4096;
constexpr std::size_t kMaxApplicatorHops = 256;

int type_rank(const json& v) {
    switch (v.type()) {
        case json::value_t::null:
            return 0;
        case json::value_t::boolean:
            return 1;
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return 2;
        case json::value_t::string:
            return 3;
        case json::value_t::array:
            return 4;
        case json::value_t::object:
            return 5;
        default:
            return 6;
    }
}

int compare_json(const json& a, const json& b);

int compare_arrays(const json::array_t& x, const json::array_t& y) {
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (const int c = compare_json(x[i], y[i]); c != 0) {
            return c;
        }
    }
    return x.size() == y.size() ? 0 : (x.size() < y.size() ? -1 : 1);
}

int compare_objects(const json::object_t& x, const json::object_t& y) {
    if (x.size() != y.size()) {
        return x.size() < y.size() ? -1 : 1;
    }
    for (auto ix = x.begin(), iy = y.begin(); ix != x.end(); ++ix, ++iy) {
        if (const int c = ix->first.compare(iy->first); c != 0) {
            return c < 0 ? -1 : 1;
        }
        if (const int c = compare_json(ix->second, iy->second); c != 0) {
            return c;
        }
    }
    return 0;
}

// A total order consistent with JSON Schema equality (1 == 1.0, exact for big integers), used for
// enum, const and uniqueItems; nlohmann's own comparison converts integers to double.
int compare_json(const json& a, const json& b) {
    const int ra = type_rank(a);
    const int rb = type_rank(b);
    if (ra != rb) {
        return ra < rb ? -1 : 1;
    }
    switch (a.type()) {
        case json::value_t::boolean:
            return static_cast<int>(a.get<bool>()) - static_cast<int>(b.get<bool>());
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return detail::compare_numbers(a, b);
        case json::value_t::string: {
            const int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
            return c < 0 ? -1 : (c > 0 ? 1 : 0);
        }
        case json::value_t::array:
            return compare_arrays(
                a.get_ref<const json::array_t&>(), b.get_ref<const json::array_t&>()
            );
        case json::value_t::object:
            return compare_objects(
                a.get_ref<const json::object_t&>(), b.get_ref<const json::object_t&>()
            );
        default:
            return 0;
    }
}

std::string describe_value(const json& v) {
    if (v.is_string()) {
        return v.get<std::string>();
    }
    return v.dump();
}

std::string count_noun(std::size_t n, std::string_view singular, std::string_view plural) {
    return std::to_string(n) + " " + std::string{n == 1 ? singular : plural};
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), is_digit);
}

bool is_e164(std::string_view s) {
    // ^\+[1-9][0-9]{7,14}$
    return s.size() >= 9 && s.size() <= 16 && s[0] == '+' && s[1] >= '1' && s[1] <= '9' &&
           all_digits(s.substr(2));
}

bool is_money_amount(std::string_view s) {
    // ^(0|[1-9][0-9]{0,15})\.[0-9]{2}$
    const auto dot = s.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 16 || s.size() != dot + 3) {
        return false;
    }
    const std::string_view whole = s.substr(0, dot);
    if (!all_digits(whole) || (whole.size() > 1 && whole[0] == '0')) {
        return false;
    }
    return all_digits(s.substr(dot + 1));
}

bool is_uuid(std::string_view s) {
    return s.size() == 36 && platform::Id128::parse(s).has_value();
}

bool is_email_local_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) {
        return true;
    }
    return std::string_view{".!#$%&'*+/=?^_`{|}~-"}.find(c) != std::string_view::npos;
}

bool is_email(std::string_view s) {
    // Deliberately simple: ASCII local part without quoting, a dotted host name with a TLD.
    const auto at = s.find('@');
    if (at == std::string_view::npos || s.size() > 254 ||
        s.find('@', at + 1) != std::string_view::npos) {
        return false;
    }
    const std::string_view local = s.substr(0, at);
    const std::string_view domain = s.substr(at + 1);
    if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
        local.find("..") != std::string_view::npos ||
        !std::all_of(local.begin(), local.end(), is_email_local_char)) {
        return false;
    }
    if (domain.find('.') == std::string_view::npos) {
        return false;
    }
    std::size_t start = 0;
    while (start <= domain.size()) {
        auto end = domain.find('.', start);
        if (end == std::string_view::npos) {
            end = domain.size();
        }
        const std::string_view label = domain.substr(start, end - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
            return false;
        }
        for (const char c : label) {
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-')) {
                return false;
            }
        }
        start = end + 1;
    }
    return true;
}

bool format_ok(Format format, std::string_view s) {
    switch (format) {
        case Format::kNone:
            return true;
        case Format::kDate:
            return platform::parse_date(s).has_value();
        case Format::kDateTime:
            return platform::parse_rfc3339(s).has_value();
        case Format::kUuid:
            return is_uuid(s);
        case Format::kEmail:
            return is_email(s);
        case Format::kE164:
            return is_e164(s);
        case Format::kMoneyAmount:
            return is_money_amount(s);
    }
    return false;
}

std::string_view format_message(Format format) {
    switch (format) {
        case Format::kNone:
            return "";
        case Format::kDate:
            return "must be a date (YYYY-MM-DD)";
        case Format::kDateTime:
            return "must be an RFC 3339 date-time";
        case Format::kUuid:
            return "must be a UUID";
        case Format::kEmail:
            return "must be a valid email address";
        case Format::kE164:
            return "must match the E.164 format";
        case Format::kMoneyAmount:
            return "must be an amount with two decimals, e.g. 500.00";
    }
    return "has an invalid format";
}

struct TypeName {
    unsigned bit;
    std::string_view name;
    std::string_view noun;
};

constexpr std::array<TypeName, 7> kTypeNames{{
    {CompiledSchema::kString, "string", "a string"},
    {CompiledSchema::kInteger, "integer", "an integer"},
    {CompiledSchema::kNumber, "number", "a number"},
    {CompiledSchema::kBoolean, "boolean", "a boolean"},
    {CompiledSchema::kObject, "object", "an object"},
    {CompiledSchema::kArray, "array", "an array"},
    {CompiledSchema::kNull, "null", "null"},
}};

std::string type_message(unsigned types) {
    std::vector<std::string_view> nouns;
    for (const auto& t : kTypeNames) {
        if ((types & t.bit) != 0U) {
            nouns.push_back(t.noun);
        }
    }
    std::string out = "must be ";
    for (std::size_t i = 0; i < nouns.size(); ++i) {
        if (i > 0) {
            out += i + 1 == nouns.size() ? " or " : ", ";
        }
        out += nouns[i];
    }
    return out;
}

// An integer in the JSON Schema sense: also 2.0, but only where a double holds it exactly.
bool is_schema_integer(const json& v) {
    if (v.is_number_integer()) {
        return true;
    }
    if (!v.is_number_float()) {
        return false;
    }
    const double d = v.get<double>();
    constexpr double kTwo53 = 9007199254740992.0;
    return std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= kTwo53;
}

bool type_matches(unsigned types, const json& v) {
    switch (v.type()) {
        case json::value_t::string:
            return (types & CompiledSchema::kString) != 0U;
        case json::value_t::boolean:
            return (types & CompiledSchema::kBoolean) != 0U;
        case json::value_t::null:
            return (types & CompiledSchema::kNull) != 0U;
        case json::value_t::object:
            return (types & CompiledSchema::kObject) != 0U;
        case json::value_t::array:
            return (types & CompiledSchema::kArray) != 0U;
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return (types & CompiledSchema::kNumber) != 0U ||
                   ((types & CompiledSchema::kInteger) != 0U && is_schema_integer(v));
        default:
            return false;
    }
}

bool is_multiple_of(const json& v, std::int64_t divisor) {
    if (v.type() == json::value_t::number_integer) {
        return v.get<std::int64_t>() % divisor == 0;
    }
    if (v.type() == json::value_t::number_unsigned) {
        return v.get<std::uint64_t>() % static_cast<std::uint64_t>(divisor) == 0;
    }
    const double d = v.get<double>();
    return std::isfinite(d) && std::trunc(d) == d &&
           std::fmod(d, static_cast<double>(divisor)) == 0.0;
}

const std::set<std::string, std::less<>>& annotation_keywords() {
    static const std::set<std::string, std::less<>> kWords{
        "description", "title", "example", "examples", "default", "deprecated", "$comment"};
    return kWords;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Compilation

namespace detail {

struct SchemaArena {
    std::vector<std::unique_ptr<CompiledSchema>> nodes;
    std::unordered_map<const CompiledSchema*, std::string> locations;
};

class SchemaCompilerImpl {
public:
    explicit SchemaCompilerImpl(const json& components)
        : components_(components), arena_(std::make_shared<SchemaArena>()) {}

    void compile_components() {
        if (components_.is_null()) {
            return;
        }
        if (!components_.is_object()) {
            throw SpecError("components.schemas: must be an object");
        }
        for (const auto& [name, schema] : components_.items()) {
            (void)schema;
            (void)component(name, "components.schemas");
        }
    }

    std::shared_ptr<const CompiledSchema> entry(
        const json& schema, const std::string& location, Direction direction
    ) {
        const CompiledSchema* target = compile(schema, location);
        CompiledSchema* root = new_node(location);
        root->ref_ = target;
        root->direction_ = direction;
        return {arena_, root};
    }

    void finish() {
        std::unordered_map<const CompiledSchema*, int> state;  // 1: on the stack, 2: done
        for (const auto& node : arena_->nodes) {
            visit(node.get(), state);
        }
    }

private:
    static bool valid_component_name(std::string_view name) {
        return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' ||
                   c == '-' || c == '_';
        });
    }

    CompiledSchema* new_node(const std::string& location) {
        arena_->nodes.push_back(std::make_unique<CompiledSchema>());
        CompiledSchema* node = arena_->nodes.back().get();
        arena_->locations.emplace(node, location);
        return node;
    }

    const CompiledSchema* component(std::string_view name, const std::string& location) {
        if (auto it = by_name_.find(name); it != by_name_.end()) {
            return it->second;
        }
        const std::string component_location = "components.schemas." + std::string{name};
        if (!valid_component_name(name)) {
            throw SpecError(component_location + ": component names must match [A-Za-z0-9._-]+");
        }
        if (!components_.is_object() || !components_.contains(name)) {
            throw SpecError(
                location + ": $ref '#/components/schemas/" + std::string{name} +
                "' does not resolve"
            );
        }
        // Registered before its body is compiled, so a recursive $ref finds it.
        CompiledSchema* node = new_node(component_location);
        by_name_.emplace(std::string{name}, node);
        compile_into(*node, components_.at(std::string{name}), component_location);
        return node;
    }

    const CompiledSchema* resolve_ref(const json& ref, const std::string& location) {
        if (!ref.is_string()) {
            throw SpecError(location + ": $ref must be a string");
        }
        const auto& text = ref.get_ref<const std::string&>();
        constexpr std::string_view kPrefix = "#/components/schemas/";
        if (text.rfind(kPrefix, 0) != 0 || text.find('/', kPrefix.size()) != std::string::npos) {
            throw SpecError(
                location + ": $ref '" + text + "' is not of the form #/components/schemas/<name>"
            );
        }
        return component(std::string_view{text}.substr(kPrefix.size()), location);
    }

    const CompiledSchema* compile(const json& schema, const std::string& location) {
        CompiledSchema* node = new_node(location);
        compile_into(*node, schema, location);
        return node;
    }

    static std::size_t need_count(
        const json& value, const std::string& location, std::string_view key
    ) {
        if (!value.is_number_integer() ||
            (value.type() == json::value_t::number_integer && value.get<std::int64_t>() < 0)) {
            throw SpecError(
                location + ": '" + std::string{key} + "' must be a non-negative integer"
            );
        }
        return static_cast<std::size_t>(value.get<std::uint64_t>());
    }

    static json need_number(const json& value, const std::string& location, std::string_view key) {
        if (value.is_boolean() && (key == "exclusiveMinimum" || key == "exclusiveMaximum")) {
            throw SpecError(
                location + ": '" + std::string{key} +
                "' is a number in OpenAPI 3.1 (the boolean form is 3.0)"
            );
        }
        if (!value.is_number()) {
            throw SpecError(location + ": '" + std::string{key} + "' must be a number");
        }
        return value;
    }

    static bool need_bool(const json& value, const std::string& location, std::string_view key) {
        if (!value.is_boolean()) {
            throw SpecError(location + ": '" + std::string{key} + "' must be true or false");
        }
        return value.get<bool>();
    }

    std::vector<const CompiledSchema*> compile_list(
        const json& value, const std::string& location, std::string_view key
    ) {
        if (!value.is_array() || value.empty()) {
            throw SpecError(
                location + ": '" + std::string{key} + "' must be a non-empty list of schemas"
            );
        }
        std::vector<const CompiledSchema*> out;
        for (std::size_t i = 0; i < value.size(); ++i) {
            out.push_back(compile(value[i], cat(location, ".", key, "[", std::to_string(i), "]")));
        }
        return out;
    }

    static unsigned parse_type(const json& value, const std::string& location) {
        auto one = [&](const json& name) -> unsigned {
            if (name.is_string()) {
                for (const auto& t : kTypeNames) {
                    if (t.name == name.get_ref<const std::string&>()) {
                        return t.bit;
                    }
                }
            }
            throw SpecError(location + ": unknown type " + name.dump());
        };
        if (value.is_string()) {
            return one(value);
        }
        if (!value.is_array() || value.empty()) {
            throw SpecError(location + ": 'type' must be a type name or a non-empty list of them");
        }
        unsigned bits = 0;
        for (const auto& name : value) {
            const unsigned bit = one(name);
            if ((bits & bit) != 0U) {
                throw SpecError(location + ": 'type' lists " + name.dump() + " twice");
            }
            bits |= bit;
        }
        return bits;
    }

    static Format parse_format(const json& value, const std::string& location) {
        static const std::map<std::string, Format, std::less<>> kFormats{
            {"date", Format::kDate},
            {"date-time", Format::kDateTime},
            {"uuid", Format::kUuid},
            {"email", Format::kEmail},
            {"e164", Format::kE164},
            {"money-amount", Format::kMoneyAmount},
        };
        if (!value.is_string()) {
            throw SpecError(location + ": 'format' must be a string");
        }
        const auto it = kFormats.find(value.get_ref<const std::string&>());
        if (it == kFormats.end()) {
            throw SpecError(location + ": unknown format '" + value.get<std::string>() + "'");
        }
        return it->second;
    }

    static std::unique_ptr<Regex, RegexDeleter> compile_pattern(
        const json& value, const std::string& location
    ) {
        if (!value.is_string()) {
            throw SpecError(location + ": 'pattern' must be a string");
        }
        const auto& text = value.get_ref<const std::string&>();
        std::unique_ptr<Regex, RegexDeleter> regex{new Regex};
        int error_code = 0;
        PCRE2_SIZE error_offset = 0;
        regex->code = pcre2_compile(
            pcre2_text(text),
            text.size(),
            PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C,
            &error_code,
            &error_offset,
            nullptr
        );
        if (regex->code == nullptr) {
            std::array<PCRE2_UCHAR, 256> buffer{};
            const int length = pcre2_get_error_message(error_code, buffer.data(), buffer.size());
            std::string message;
            for (int i = 0; i < length; ++i) {
                message += static_cast<char>(buffer.at(static_cast<std::size_t>(i)));
            }
            throw SpecError(
                location + ": 'pattern' does not compile at offset " +
                std::to_string(error_offset) + ": " + message
            );
        }
        regex->context = pcre2_match_context_create(nullptr);
        if (regex->context == nullptr) {
            throw SpecError(location + ": out of memory compiling 'pattern'");
        }
        // Bounded backtracking: a pathological pattern costs a refusal, not a core.
        pcre2_set_match_limit(regex->context, 100'000);
        pcre2_set_depth_limit(regex->context, 5'000);
        pcre2_set_heap_limit(regex->context, 4'096);  // KiB
        return regex;
    }

    void compile_into(CompiledSchema& node, const json& schema, const std::string& location) {
        if (schema.is_boolean()) {
            node.always_false_ = !schema.get<bool>();
            return;
        }
        if (!schema.is_object()) {
            throw SpecError(location + ": a schema must be an object or a boolean");
        }
        for (const auto& [key, value] : schema.items()) {
            if (key.rfind("x-", 0) == 0 || annotation_keywords().contains(key)) {
                continue;
            }
            compile_keyword(node, key, value, location);
        }
        check_consistency(node, location);
    }

    void compile_keyword(
        CompiledSchema& node, const std::string& key, const json& value, const std::string& location
    ) {
        if (compile_object_keyword(node, key, value, location) ||
            compile_value_keyword(node, key, value, location) ||
            compile_array_keyword(node, key, value, location) ||
            compile_applicator_keyword(node, key, value, location)) {
            return;
        }
        if (key == "readOnly") {
            node.read_only_ = need_bool(value, location, key);
        } else if (key == "writeOnly") {
            node.write_only_ = need_bool(value, location, key);
        } else if (key == "nullable") {
            throw SpecError(location + ": 'nullable' is OpenAPI 3.0; use type: [<type>, \"null\"]");
        } else {
            throw SpecError(location + ": unsupported keyword '" + key + "'");
        }
    }

    bool compile_object_keyword(
        CompiledSchema& node, const std::string& key, const json& value, const std::string& location
    ) {
        if (key == "properties") {
            if (!value.is_object()) {
                throw SpecError(location + ": 'properties' must be an object");
            }
            node.declares_properties_ = true;
            for (const auto& [name, sub] : value.items()) {
                node.properties_.emplace(name, compile(sub, cat(location, ".properties.", name)));
            }
        } else if (key == "required") {
            if (!value.is_array()) {
                throw SpecError(location + ": 'required' must be a list of property names");
            }
            std::set<std::string, std::less<>> seen;
            for (const auto& name : value) {
                if (!name.is_string() || !seen.insert(name.get<std::string>()).second) {
                    throw SpecError(location + ": 'required' must list distinct property names");
                }
                node.required_.push_back(name.get<std::string>());
            }
        } else if (key == "additionalProperties") {
            if (value.is_boolean()) {
                node.additional_mode_ = value.get<bool>() ? CompiledSchema::Additional::kAllow
                                                          : CompiledSchema::Additional::kForbid;
            } else {
                node.additional_mode_ = CompiledSchema::Additional::kSchema;
                node.additional_ = compile(value, location + ".additionalProperties");
            }
        } else {
            return false;
        }
        return true;
    }

    // type, enum, const and the string and number keywords.
    static bool compile_value_keyword(
        CompiledSchema& node, const std::string& key, const json& value, const std::string& location
    ) {
        if (key == "type") {
            node.types_ = parse_type(value, location);
        } else if (key == "enum") {
            if (!value.is_array() || value.empty()) {
                throw SpecError(location + ": 'enum' must be a non-empty list");
            }
            node.enum_ = value.get<std::vector<json>>();
            std::string message = "must be one of: ";
            for (std::size_t i = 0; i < value.size(); ++i) {
                message += i > 0 ? ", " : "";
                message += describe_value(value[i]);
            }
            node.enum_message_ = std::move(message);
        } else if (key == "const") {
            node.const_ = value;
            node.const_message_ = "must be " + describe_value(value);
        } else if (key == "minLength") {
            node.min_length_ = need_count(value, location, key);
        } else if (key == "maxLength") {
            node.max_length_ = need_count(value, location, key);
        } else if (key == "pattern") {
            node.pattern_ = compile_pattern(value, location);
        } else if (key == "format") {
            node.format_ = parse_format(value, location);
        } else {
            return compile_number_keyword(node, key, value, location);
        }
        return true;
    }

    static bool compile_number_keyword(
        CompiledSchema& node, const std::string& key, const json& value, const std::string& location
    ) {
        if (key == "minimum") {
            node.minimum_ = need_number(value, location, key);
        } else if (key == "maximum") {
            node.maximum_ = need_number(value, location, key);
        } else if (key == "exclusiveMinimum") {
            node.exclusive_minimum_ = need_number(value, location, key);
        } else if (key == "exclusiveMaximum") {
            node.exclusive_maximum_ = need_number(value, location, key);
        } else if (key == "multipleOf") {
            // nlohmann reads non-negative integers as unsigned, YAML loading as signed: compare
            // exactly.
            if (!value.is_number_integer() || detail::compare_numbers(value, json(0)) <= 0 ||
                detail::compare_numbers(value, json(std::numeric_limits<std::int64_t>::max())) >
                    0) {
                throw SpecError(
                    location + ": 'multipleOf' must be a positive integer that fits in 64 bits"
                );
            }
            node.multiple_of_ = value.get<std::int64_t>();
        } else {
            return false;
        }
        return true;
    }

    bool compile_array_keyword(
        CompiledSchema& node, const std::string& key, const json& value, const std::string& location
    ) {
        if (key == "items") {
            if (value.is_array()) {
                throw SpecError(
                    location + ": 'items' as a list is not supported (2020-12 uses prefixItems)"
                );
            }
            node.items_ = compile(value, location + ".items");
        } else if (key == "minItems") {
            node.min_items_ = need_count(value, location, key);
        } else if (key == "maxItems") {
            node.max_items_ = need_count(value, location, key);
        } else if (key == "uniqueItems") {
            node.unique_items_ = need_bool(value, location, key);
        } else {
            return false;
        }
        return true;
    }

    bool compile_applicator_keyword(
        CompiledSchema& node, const std::string& key, const json& value, const std::string& location
    ) {
        if (key == "allOf") {
            node.all_of_ = compile_list(value, location, key);
        } else if (key == "anyOf") {
            node.any_of_ = compile_list(value, location, key);
        } else if (key == "oneOf") {
            node.one_of_ = compile_list(value, location, key);
        } else if (key == "$ref") {
            node.ref_ = resolve_ref(value, location);
        } else {
            return false;
        }
        return true;
    }

    static void check_consistency(const CompiledSchema& node, const std::string& location) {
        if (node.pattern_ && (!node.max_length_ || *node.max_length_ > kMaxPatternLength)) {
            throw SpecError(
                location + ": 'pattern' needs 'maxLength' of at most " +
                std::to_string(kMaxPatternLength) + " in the same schema"
            );
        }
        if (node.min_length_ && node.max_length_ && *node.min_length_ > *node.max_length_) {
            throw SpecError(location + ": 'minLength' is greater than 'maxLength'");
        }
        if (node.min_items_ && node.max_items_ && *node.min_items_ > *node.max_items_) {
            throw SpecError(location + ": 'minItems' is greater than 'maxItems'");
        }
        if (node.read_only_ && node.write_only_) {
            throw SpecError(location + ": a property cannot be both readOnly and writeOnly");
        }
        const bool closed = node.additional_mode_ == CompiledSchema::Additional::kForbid ||
                            (node.additional_mode_ == CompiledSchema::Additional::kUnspecified &&
                             node.declares_properties_);
        const bool composed = node.ref_ != nullptr || !node.all_of_.empty() ||
                              !node.any_of_.empty() || !node.one_of_.empty();
        if (closed && !composed) {
            for (const auto& name : node.required_) {
                if (!node.properties_.contains(name)) {
                    throw SpecError(cat(
                        location, ": required property '", name, "' is not declared in properties"
                    ));
                }
            }
        }
    }

    // Depth-first over the keywords that apply to the same value; descending keywords consume the
    // value's finite depth, so only these edges can loop forever.
    void visit(const CompiledSchema* node, std::unordered_map<const CompiledSchema*, int>& state) {
        auto& mark = state[node];
        if (mark == 2) {
            return;
        }
        if (mark == 1) {
            throw SpecError(
                arena_->locations[node] +
                ": a cycle of $ref/allOf/anyOf/oneOf never reaches a property or item"
            );
        }
        mark = 1;
        std::vector<const CompiledSchema*> children;
        if (node->ref_ != nullptr) {
            children.push_back(node->ref_);
        }
        children.insert(children.end(), node->all_of_.begin(), node->all_of_.end());
        children.insert(children.end(), node->any_of_.begin(), node->any_of_.end());
        children.insert(children.end(), node->one_of_.begin(), node->one_of_.end());
        for (const auto* child : children) {
            visit(child, state);
        }
        // The nodes are owned by the arena and only this pass writes the derived flags.
        auto* mutable_node =
            const_cast<CompiledSchema*>(node);  // NOLINT(cppcoreguidelines-pro-type-const-cast)
        bool closed = node->additional_mode_ == CompiledSchema::Additional::kForbid;
        if (node->additional_mode_ == CompiledSchema::Additional::kUnspecified) {
            closed = node->declares_properties_ ||
                     std::any_of(children.begin(), children.end(), [](const auto* c) {
                         return c->closed_;
                     });
        }
        mutable_node->closed_ = closed;
        bool read_only = node->read_only_;
        bool write_only = node->write_only_;
        if (node->ref_ != nullptr) {
            read_only = read_only || node->ref_->effective_read_only_;
            write_only = write_only || node->ref_->effective_write_only_;
        }
        for (const auto* child : node->all_of_) {
            read_only = read_only || child->effective_read_only_;
            write_only = write_only || child->effective_write_only_;
        }
        mutable_node->effective_read_only_ = read_only;
        mutable_node->effective_write_only_ = write_only;
        state[node] = 2;
    }

    const json& components_;
    std::shared_ptr<SchemaArena> arena_;
    std::map<std::string, const CompiledSchema*, std::less<>> by_name_;
};

}  // namespace detail

CompiledSchema::CompiledSchema() = default;
CompiledSchema::~CompiledSchema() = default;

std::optional<std::string_view> CompiledSchema::scalar_type() const {
    const CompiledSchema* node = this;
    for (std::size_t hops = 0; node != nullptr && hops < kMaxApplicatorHops; ++hops) {
        if (node->types_ != 0U) {
            for (const auto& t : kTypeNames) {
                if (node->types_ == t.bit) {
                    if (t.bit == kObject || t.bit == kArray || t.bit == kNull) {
                        return std::nullopt;
                    }
                    return t.name;
                }
            }
            return std::nullopt;
        }
        node = node->ref_;
    }
    return std::string_view{"string"};
}

SchemaCompiler::SchemaCompiler(const json& components_schemas)
    : impl_(std::make_unique<detail::SchemaCompilerImpl>(components_schemas)) {}
SchemaCompiler::~SchemaCompiler() = default;

void SchemaCompiler::compile_components() {
    impl_->compile_components();
}

std::shared_ptr<const CompiledSchema> SchemaCompiler::compile_entry(
    const json& schema, const std::string& location, Direction direction
) {
    return impl_->entry(schema, location, direction);
}

void SchemaCompiler::finish() {
    impl_->finish();
}

std::shared_ptr<const CompiledSchema> compile_schema(
    const json& schema, const json& components_schemas, Direction direction
) {
    SchemaCompiler compiler{components_schemas};
    compiler.compile_components();
    auto root = compiler.compile_entry(schema, "schema", direction);
    compiler.finish();
    return root;
}

// ---------------------------------------------------------------------------------------------
// Validation

namespace detail {

namespace {

class FieldPath {
public:
    std::size_t push_key(std::string_view key) {
        const std::size_t mark = text_.size();
        if (!text_.empty()) {
            text_ += '.';
        }
        text_ += safe_fragment(key);
        return mark;
    }
    std::size_t push_index(std::size_t index) {
        const std::size_t mark = text_.size();
        text_ += '[';
        text_ += std::to_string(index);
        text_ += ']';
        return mark;
    }
    void pop(std::size_t mark) { text_.resize(mark); }
    [[nodiscard]] const std::string& str() const { return text_; }

private:
    std::string text_;
};

class Sink {
public:
    explicit Sink(std::size_t max) : max_(std::max<std::size_t>(max, 1)) {}
    void add(const std::string& field, std::string message) {
        ++count_;
        if (errors_.size() < max_) {
            errors_.push_back(FieldError{field, std::move(message)});
        }
    }
    void add_child(const FieldPath& path, std::string_view key, std::string message) {
        FieldPath copy = path;
        copy.push_key(key);
        add(copy.str(), std::move(message));
    }
    void absorb(const Sink& other) {
        for (const auto& e : other.errors_) {
            add(e.field, e.message);
        }
    }
    [[nodiscard]] bool full() const { return errors_.size() >= max_; }
    [[nodiscard]] std::size_t count() const { return count_; }
    [[nodiscard]] std::size_t max() const { return max_; }
    std::vector<FieldError> take() { return std::move(errors_); }

private:
    std::size_t max_;
    std::size_t count_ = 0;
    std::vector<FieldError> errors_;
};

using KeySet = std::set<std::string_view>;

}  // namespace

class SchemaValidator {
public:
    SchemaValidator(Direction direction, std::size_t max_value_depth)
        : direction_(direction), max_value_depth_(max_value_depth) {}

    struct Depth {
        std::size_t value = 0;
        std::size_t hops = 0;
    };

    bool check(
        const CompiledSchema& s,
        const json& v,
        FieldPath& path,
        Sink& sink,
        bool deferred,
        KeySet* evaluated,
        Depth depth
    ) const {
        if (depth.value > max_value_depth_ || depth.hops > kMaxApplicatorHops) {
            sink.add(path.str(), "is nested too deeply");
            return false;
        }
        if (!check_value(s, v, path, sink)) {
            return false;
        }
        bool ok = true;
        if (v.is_string()) {
            ok = check_string(s, v.get_ref<const std::string&>(), path, sink);
        } else if (v.is_number()) {
            ok = check_number(s, v, path, sink);
        } else if (v.is_array()) {
            ok = check_array(s, v.get_ref<const json::array_t&>(), path, sink, depth);
        }
        if (!v.is_object()) {
            return check_applicators(s, v, path, sink, nullptr, depth) && ok;
        }
        // Keys this schema (with its $ref/allOf/anyOf/oneOf branches) declares, for the closure
        // check.
        KeySet own;
        const auto& object = v.get_ref<const json::object_t&>();
        ok = check_object(s, object, path, sink, own, depth) && ok;
        ok = check_applicators(s, v, path, sink, &own, depth) && ok;
        if (!deferred && s.closed_) {
            ok = check_closure(object, own, path, sink) && ok;
        }
        if (evaluated != nullptr) {
            evaluated->insert(own.begin(), own.end());
        }
        return ok;
    }

private:
    // Keywords that judge the value as a whole: false schemas, type, enum, const.
    static bool check_value(
        const CompiledSchema& s, const json& v, const FieldPath& path, Sink& sink
    ) {
        if (s.always_false_) {
            sink.add(path.str(), "is not allowed");
            return false;
        }
        if (s.types_ != 0U && !type_matches(s.types_, v)) {
            sink.add(path.str(), type_message(s.types_));
            return false;
        }
        if (s.enum_ && std::none_of(s.enum_->begin(), s.enum_->end(), [&](const json& option) {
                return compare_json(option, v) == 0;
            })) {
            sink.add(path.str(), s.enum_message_);
            return false;
        }
        if (s.const_ && compare_json(*s.const_, v) != 0) {
            sink.add(path.str(), s.const_message_);
            return false;
        }
        return true;
    }

    bool check_applicators(
        const CompiledSchema& s,
        const json& v,
        FieldPath& path,
        Sink& sink,
        KeySet* keys,
        Depth depth
    ) const {
        const Depth next{depth.value, depth.hops + 1};
        bool ok = true;
        if (s.ref_ != nullptr && !sink.full()) {
            ok = check(*s.ref_, v, path, sink, true, keys, next);
        }
        for (const auto* branch : s.all_of_) {
            if (sink.full()) {
                return false;
            }
            ok = check(*branch, v, path, sink, true, keys, next) && ok;
        }
        if (!s.any_of_.empty() && !sink.full()) {
            ok = check_alternatives(s.any_of_, false, v, path, sink, keys, next) && ok;
        }
        if (!s.one_of_.empty() && !sink.full()) {
            ok = check_alternatives(s.one_of_, true, v, path, sink, keys, next) && ok;
        }
        return ok;
    }

    static bool check_closure(
        const json::object_t& object, const KeySet& known, const FieldPath& path, Sink& sink
    ) {
        bool ok = true;
        for (const auto& [key, value] : object) {
            if (!known.contains(key)) {
                sink.add_child(path, key, "is not allowed");
                ok = false;
                if (sink.full()) {
                    break;
                }
            }
        }
        return ok;
    }

    static bool check_string(
        const CompiledSchema& s, const std::string& text, const FieldPath& path, Sink& sink
    ) {
        if (s.min_length_ || s.max_length_) {
            const std::size_t length = count_code_points(text);
            if (s.min_length_ && length < *s.min_length_) {
                sink.add(
                    path.str(),
                    "must be at least " + count_noun(*s.min_length_, "character", "characters")
                );
                return false;
            }
            if (s.max_length_ && length > *s.max_length_) {
                sink.add(
                    path.str(),
                    "must be at most " + count_noun(*s.max_length_, "character", "characters")
                );
                return false;
            }
        }
        if (s.pattern_ && !s.pattern_->search(text)) {
            sink.add(path.str(), "has an invalid format");
            return false;
        }
        if (!format_ok(s.format_, text)) {
            sink.add(path.str(), std::string{format_message(s.format_)});
            return false;
        }
        return true;
    }

    static bool check_number(
        const CompiledSchema& s, const json& v, const FieldPath& path, Sink& sink
    ) {
        if (s.minimum_ && compare_numbers(v, *s.minimum_) < 0) {
            sink.add(path.str(), "must be at least " + s.minimum_->dump());
            return false;
        }
        if (s.maximum_ && compare_numbers(v, *s.maximum_) > 0) {
            sink.add(path.str(), "must be at most " + s.maximum_->dump());
            return false;
        }
        if (s.exclusive_minimum_ && compare_numbers(v, *s.exclusive_minimum_) <= 0) {
            sink.add(path.str(), "must be greater than " + s.exclusive_minimum_->dump());
            return false;
        }
        if (s.exclusive_maximum_ && compare_numbers(v, *s.exclusive_maximum_) >= 0) {
            sink.add(path.str(), "must be less than " + s.exclusive_maximum_->dump());
            return false;
        }
        if (s.multiple_of_ && !is_multiple_of(v, *s.multiple_of_)) {
            sink.add(path.str(), "must be a multiple of " + std::to_string(*s.multiple_of_));
            return false;
        }
        return true;
    }

    bool check_array(
        const CompiledSchema& s,
        const json::array_t& items,
        FieldPath& path,
        Sink& sink,
        Depth depth
    ) const {
        if (s.min_items_ && items.size() < *s.min_items_) {
            sink.add(
                path.str(), "must have at least " + count_noun(*s.min_items_, "item", "items")
            );
            return false;
        }
        if (s.max_items_ && items.size() > *s.max_items_) {
            sink.add(path.str(), "must have at most " + count_noun(*s.max_items_, "item", "items"));
            return false;
        }
        bool ok = true;
        if (s.unique_items_) {
            auto less = [](const json* a, const json* b) { return compare_json(*a, *b) < 0; };
            std::set<const json*, decltype(less)> seen(less);
            for (const auto& item : items) {
                if (!seen.insert(&item).second) {
                    sink.add(path.str(), "must not contain duplicate items");
                    ok = false;
                    break;
                }
            }
        }
        if (s.items_ != nullptr) {
            const Depth next{depth.value + 1, depth.hops};
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (sink.full()) {
                    return false;
                }
                const std::size_t mark = path.push_index(i);
                ok = check(*s.items_, items[i], path, sink, false, nullptr, next) && ok;
                path.pop(mark);
            }
        }
        return ok;
    }

    bool check_object(
        const CompiledSchema& s,
        const json::object_t& object,
        FieldPath& path,
        Sink& sink,
        KeySet& own,
        Depth depth
    ) const {
        bool ok = true;
        for (const auto& name : s.required_) {
            if (object.contains(name)) {
                continue;
            }
            if (const auto it = s.properties_.find(name);
                it != s.properties_.end() && skipped(*it->second)) {
                continue;
            }
            sink.add_child(path, name, "is required");
            ok = false;
        }
        const Depth next{depth.value + 1, depth.hops};
        for (const auto& [key, value] : object) {
            if (sink.full()) {
                return false;
            }
            const auto it = s.properties_.find(key);
            const CompiledSchema* target = nullptr;
            if (it != s.properties_.end()) {
                target = it->second;
                if (direction_ == Direction::kRequest && target->effective_read_only_) {
                    own.insert(key);
                    sink.add_child(path, key, "is read-only");
                    ok = false;
                    continue;
                }
                if (direction_ == Direction::kResponse && target->effective_write_only_) {
                    own.insert(key);
                    sink.add_child(path, key, "is write-only");
                    ok = false;
                    continue;
                }
            } else if (s.additional_mode_ == CompiledSchema::Additional::kSchema) {
                target = s.additional_;
            } else if (s.additional_mode_ == CompiledSchema::Additional::kAllow) {
                own.insert(key);
                continue;
            } else {
                continue;
            }
            own.insert(key);
            const std::size_t mark = path.push_key(key);
            ok = check(*target, value, path, sink, false, nullptr, next) && ok;
            path.pop(mark);
        }
        return ok;
    }

    [[nodiscard]] bool skipped(const CompiledSchema& property) const {
        return direction_ == Direction::kRequest ? property.effective_read_only_
                                                 : property.effective_write_only_;
    }

    struct Trial {
        Sink sink;
        KeySet keys;
        bool pass = false;
    };

    [[nodiscard]] Trial try_branch(
        const CompiledSchema& branch,
        const json& v,
        const FieldPath& path,
        std::size_t max_errors,
        bool track_keys,
        Depth depth
    ) const {
        Trial trial{Sink{max_errors}, {}, false};
        FieldPath trial_path = path;
        trial.pass = check(
            branch, v, trial_path, trial.sink, true, track_keys ? &trial.keys : nullptr, depth
        );
        return trial;
    }

    // How far a failed branch is from the value: its errors plus the keys it would refuse as
    // unknown.
    static std::size_t distance(const CompiledSchema& branch, const json& v, const Trial& trial) {
        std::size_t score = trial.sink.count();
        if (v.is_object() && branch.closed_) {
            const auto& object = v.get_ref<const json::object_t&>();
            score += static_cast<std::size_t>(std::count_if(
                object.begin(),
                object.end(),
                [&](const auto& entry) { return !trial.keys.contains(entry.first); }
            ));
        }
        return score;
    }

    bool check_alternatives(
        const std::vector<const CompiledSchema*>& branches,
        bool exactly_one,
        const json& v,
        const FieldPath& path,
        Sink& sink,
        KeySet* keys,
        Depth depth
    ) const {
        std::size_t passes = 0;
        KeySet passing_keys;
        std::optional<Trial> closest;
        std::size_t closest_distance = std::numeric_limits<std::size_t>::max();
        for (const auto* branch : branches) {
            Trial trial = try_branch(*branch, v, path, sink.max(), keys != nullptr, depth);
            if (trial.pass) {
                ++passes;
                passing_keys.insert(trial.keys.begin(), trial.keys.end());
            } else if (const std::size_t d = distance(*branch, v, trial); d < closest_distance) {
                closest_distance = d;
                closest.emplace(std::move(trial));
            }
        }
        if (passes == 0 && closest) {
            // The closest branch explains the failure best.
            sink.absorb(closest->sink);
            passing_keys = std::move(closest->keys);
        }
        if (keys != nullptr) {
            keys->insert(passing_keys.begin(), passing_keys.end());
        }
        if (exactly_one && passes > 1) {
            sink.add(path.str(), "must match exactly one of the allowed forms");
            return false;
        }
        return passes > 0;
    }

    Direction direction_;
    std::size_t max_value_depth_;
};

}  // namespace detail

std::vector<FieldError> validate(
    const CompiledSchema& schema, const json& value, const ParseLimits& limits
) {
    detail::Sink sink{limits.max_errors};
    detail::FieldPath path;
    // Values from parse_json_body are already within max_depth; the extra room is for values the
    // server builds itself (responses) and for recursive schemas.
    const std::size_t max_value_depth = std::max<std::size_t>(limits.max_depth, 1) * 2 + 8;
    const detail::SchemaValidator validator{schema.direction(), max_value_depth};
    try {
        (void)validator.check(schema, value, path, sink, false, nullptr, {});
    } catch (const std::exception&) {
        // Only allocation failure can get here; refusing is the safe answer.
        detail::Sink failed{1};
        failed.add("", "could not be validated");
        return failed.take();
    }
    return sink.take();
}

// ---------------------------------------------------------------------------------------------
// Request parsing

namespace {

// Builds the DOM itself so a duplicate key or a non-finite number stops the parse at once.
class StrictDomBuilder {
public:
    // nlohmann's null constructor cannot throw; the check only sees its invariant assertions.
    StrictDomBuilder() = default;  // NOLINT(bugprone-exception-escape)
    StrictDomBuilder(const StrictDomBuilder&) = delete;
    StrictDomBuilder& operator=(const StrictDomBuilder&) = delete;
    StrictDomBuilder(StrictDomBuilder&&) = delete;
    StrictDomBuilder& operator=(StrictDomBuilder&&) = delete;
    ~StrictDomBuilder() = default;

    using number_integer_t = json::number_integer_t;
    using number_unsigned_t = json::number_unsigned_t;
    using number_float_t = json::number_float_t;
    using string_t = json::string_t;
    using binary_t = json::binary_t;

    bool null() { return add(nullptr); }
    bool boolean(bool value) { return add(value); }
    bool number_integer(number_integer_t value) { return add(value); }
    bool number_unsigned(number_unsigned_t value) { return add(value); }
    bool number_float(number_float_t value, const string_t& /*text*/) {
        if (!std::isfinite(value)) {
            error_ = "body contains a number out of range";
            return false;
        }
        return add(value);
    }
    // PostgreSQL cannot hold U+0000 in text or jsonb, and libpq reads a text parameter up to its
    // first NUL: a stored "a\u0000b" silently became "a". Refused here, for every body.
    bool string(string_t& value) {
        if (value.find('\0') != string_t::npos) {
            error_ = "body contains a NUL character (\\u0000)";
            return false;
        }
        return add(std::move(value));
    }
    bool binary(binary_t& /*value*/) {
        error_ = "body is not valid JSON";
        return false;
    }
    bool start_object(std::size_t /*elements*/) { return open(json::object()); }
    bool key(string_t& name) {
        if (name.find('\0') != string_t::npos) {
            error_ = "body contains a NUL character (\\u0000)";
            return false;
        }
        auto& object = stack_.back()->get_ref<json::object_t&>();
        const auto [it, inserted] = object.try_emplace(name);
        if (!inserted) {
            error_ = "body contains a duplicate key \"" + detail::safe_fragment(name) + "\"";
            return false;
        }
        slot_ = &it->second;
        return true;
    }
    bool end_object() {
        stack_.pop_back();
        return true;
    }
    bool start_array(std::size_t /*elements*/) { return open(json::array()); }
    bool end_array() {
        stack_.pop_back();
        return true;
    }
    bool parse_error(
        std::size_t position,
        const std::string& /*last_token*/,
        const nlohmann::detail::exception& /*error*/
    ) {
        // nlohmann's message quotes the offending input; the client only gets the position.
        if (error_.empty()) {
            error_ = "body is not valid JSON (at byte " + std::to_string(position) + ")";
        }
        return false;
    }

    json& root() { return root_; }
    [[nodiscard]] const std::string& error() const { return error_; }

private:
    template <typename Value>
    bool add(Value&& value) {
        (void)place(json(std::forward<Value>(value)));
        return true;
    }

    bool open(json container) {
        stack_.push_back(place(std::move(container)));
        return true;
    }

    json* place(json value) {
        if (stack_.empty()) {
            root_ = std::move(value);
            return &root_;
        }
        json& parent = *stack_.back();
        if (parent.is_array()) {
            auto& array = parent.get_ref<json::array_t&>();
            array.push_back(std::move(value));
            return &array.back();
        }
        *slot_ = std::move(value);
        return slot_;
    }

    json root_;
    std::vector<json*>
        stack_;  // open containers; only the innermost one grows, so pointers stay valid
    json* slot_ = nullptr;
    std::string error_;
};

bool nesting_within(std::string_view body, std::size_t max_depth) {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : body) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) {
                return false;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return true;
}

}  // namespace

std::optional<json> parse_json_body(
    std::string_view body, const ParseLimits& limits, std::string& error
) {
    error.clear();
    if (!detail::is_valid_utf8(body)) {
        error = "body is not valid UTF-8";
        return std::nullopt;
    }
    if (!nesting_within(body, limits.max_depth)) {
        error = "body is nested too deeply";
        return std::nullopt;
    }
    try {
        StrictDomBuilder builder;
        const bool ok = json::sax_parse(
            body.begin(), body.end(), &builder, json::input_format_t::json, true, false
        );
        if (!ok) {
            error = builder.error().empty() ? "body is not valid JSON" : builder.error();
            return std::nullopt;
        }
        return std::move(builder.root());
    } catch (const std::exception&) {
        error = "body is not valid JSON";
        return std::nullopt;
    }
}

namespace {

// Converts a raw parameter string by its declared type; an error message or nullopt.
std::optional<std::string> convert_parameter(
    std::string_view type, std::string_view raw, json& out
) {
    const char* const first = raw.data();
    const char* const last = raw.data() + raw.size();
    if (type == "integer") {
        std::int64_t value = 0;
        const auto [end, ec] = std::from_chars(first, last, value);
        if (ec == std::errc::result_out_of_range) {
            return "is out of range";
        }
        if (raw.empty() || ec != std::errc{} || end != last) {
            return "must be an integer";
        }
        out = value;
    } else if (type == "number") {
        std::int64_t whole = 0;
        double value = 0;
        if (const auto [end, ec] = std::from_chars(first, last, whole);
            !raw.empty() && ec == std::errc{} && end == last) {
            out = whole;  // keeps integer bounds exact
        } else if (const auto [fend, fec] = std::from_chars(first, last, value);
                   !raw.empty() && fec == std::errc{} && fend == last && std::isfinite(value)) {
            out = value;
        } else {
            return "must be a number";
        }
    } else if (type == "boolean") {
        if (raw != "true" && raw != "false") {
            return "must be true or false";
        }
        out = raw == "true";
    } else {
        if (!detail::is_valid_utf8(raw)) {
            return "must be valid UTF-8";
        }
        out = std::string{raw};
    }
    return std::nullopt;
}

}  // namespace

std::vector<FieldError> validate_parameter(
    const Parameter& parameter, std::string_view raw, json& out
) {
    const std::string_view type = parameter.schema
                                      ? parameter.schema->scalar_type().value_or("string")
                                      : std::string_view{"string"};
    if (auto message = convert_parameter(type, raw, out)) {
        return {FieldError{parameter.name, std::move(*message)}};
    }
    if (!parameter.schema) {
        return {};
    }
    auto errors = validate(*parameter.schema, out);
    for (auto& e : errors) {
        e.field = e.field.empty() ? parameter.name : parameter.name + "." + e.field;
    }
    return errors;
}

namespace {

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

std::optional<std::string> form_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%') {
            if (i + 2 >= text.size()) {
                return std::nullopt;
            }
            const int hi = hex_digit(text[i + 1]);
            const int lo = hex_digit(text[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += c;
        }
    }
    if (!detail::is_valid_utf8(out) || out.find('\0') != std::string::npos) {
        return std::nullopt;
    }
    return out;
}

}  // namespace

std::optional<json> parse_form_body(std::string_view body) {
    json result = json::object();
    std::size_t start = 0;
    while (start <= body.size()) {
        auto end = body.find('&', start);
        if (end == std::string_view::npos) {
            end = body.size();
        }
        const std::string_view pair = body.substr(start, end - start);
        start = end + 1;
        if (pair.empty()) {
            continue;  // "a=1&&b=2" and a trailing '&' are common and harmless
        }
        const auto eq = pair.find('=');
        auto name = form_decode(pair.substr(0, eq));
        auto value =
            form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!name || !value || name->empty()) {
            return std::nullopt;
        }
        auto& object = result.get_ref<json::object_t&>();
        if (!object.emplace(std::move(*name), std::move(*value)).second) {
            return std::nullopt;
        }
    }
    return result;
}

}  // namespace chelete::gateway
