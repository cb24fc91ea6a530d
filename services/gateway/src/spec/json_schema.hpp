#pragma once

// The compiled form of the JSON Schema subset the API spec uses. Private to the gateway: handlers
// see CompiledSchema only through the opaque pointer in <chelete/gateway/openapi.hpp>.
//
// Semantics that differ from plain JSON Schema 2020-12, on purpose:
// - Unknown fields are refused. An object schema with `properties` and no `additionalProperties`
//   is closed, as if it said `additionalProperties: false`. Closure is decided where a value is
//   reached through `properties`, `items`, `additionalProperties` or the root, not inside the
//   `$ref`/`allOf`/`anyOf`/`oneOf` branches: a key is allowed when some branch that applies
//   (every allOf branch, the passing anyOf/oneOf branches) declares it. This is 2020-12's
//   `unevaluatedProperties: false`, so `allOf: [{$ref: Base}, {properties: {extra: ...}}]` works.
//   oneOf branches must therefore differ by `required`, not only by which properties they list.
// - `readOnly: true` properties are refused in requests ("is read-only") and not required there;
//   `writeOnly: true` properties are refused in responses ("is write-only"), so a PIN cannot leak.
// - `format` is an assertion, and unknown formats are a SpecError.
// - Recursive schemas are allowed when the recursion passes through a value-descending keyword
//   (properties, items, additionalProperties); a cycle made only of $ref/allOf/anyOf/oneOf would
//   never terminate and is refused at load.

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <chelete/gateway/openapi.hpp>

namespace chelete::gateway {

namespace detail {
struct Regex;
struct RegexDeleter {
    void operator()(Regex* regex) const noexcept;
};
class SchemaCompilerImpl;
class SchemaValidator;
}  // namespace detail

/// Which way a value travels: readOnly fields are refused in requests, writeOnly ones in responses.
enum class Direction { kRequest, kResponse };

enum class Format { kNone, kDate, kDateTime, kUuid, kEmail, kE164, kMoneyAmount };

class CompiledSchema {
public:
    CompiledSchema();
    ~CompiledSchema();
    CompiledSchema(const CompiledSchema&) = delete;
    CompiledSchema& operator=(const CompiledSchema&) = delete;
    CompiledSchema(CompiledSchema&&) = delete;
    CompiledSchema& operator=(CompiledSchema&&) = delete;

    /// What a raw parameter string converts to: "string", "integer", "number" or "boolean";
    /// nullopt when the type is a list or a structured type.
    [[nodiscard]] std::optional<std::string_view> scalar_type() const;
    [[nodiscard]] Direction direction() const { return direction_; }

    // Type bits, also used by the compiler and the validator.
    static constexpr unsigned kString = 1U;
    static constexpr unsigned kInteger = 2U;
    static constexpr unsigned kNumber = 4U;
    static constexpr unsigned kBoolean = 8U;
    static constexpr unsigned kObject = 16U;
    static constexpr unsigned kArray = 32U;
    static constexpr unsigned kNull = 64U;

private:
    friend class detail::SchemaCompilerImpl;
    friend class detail::SchemaValidator;

    enum class Additional { kUnspecified, kAllow, kForbid, kSchema };

    std::map<std::string, const CompiledSchema*, std::less<>> properties_;
    std::vector<std::string> required_;
    const CompiledSchema* additional_ = nullptr;
    std::optional<std::vector<nlohmann::json>> enum_;
    std::string enum_message_;
    std::optional<nlohmann::json> const_;
    std::string const_message_;
    std::optional<std::size_t> min_length_;
    std::optional<std::size_t> max_length_;
    std::unique_ptr<detail::Regex, detail::RegexDeleter> pattern_;
    std::optional<nlohmann::json> minimum_;
    std::optional<nlohmann::json> maximum_;
    std::optional<nlohmann::json> exclusive_minimum_;
    std::optional<nlohmann::json> exclusive_maximum_;
    std::optional<std::int64_t> multiple_of_;
    const CompiledSchema* items_ = nullptr;
    std::optional<std::size_t> min_items_;
    std::optional<std::size_t> max_items_;
    std::vector<const CompiledSchema*> all_of_;
    std::vector<const CompiledSchema*> any_of_;
    std::vector<const CompiledSchema*> one_of_;
    const CompiledSchema* ref_ = nullptr;

    // The small fields last, where they pack without padding.
    unsigned types_ = 0;  // 0: any type
    Additional additional_mode_ = Additional::kUnspecified;
    Format format_ = Format::kNone;
    Direction direction_ = Direction::kRequest;
    bool always_false_ = false;
    bool declares_properties_ = false;  // `properties: {}` still closes the object
    bool unique_items_ = false;
    bool read_only_ = false;
    bool write_only_ = false;

    // Filled in by SchemaCompiler::finish().
    bool closed_ = false;
    bool effective_read_only_ = false;
    bool effective_write_only_ = false;
};

/// Compiles the schemas of one document into a shared arena. Components are compiled once and
/// shared by every $ref; entries handed out keep the arena alive. Call finish() after the last
/// compile and before validating anything.
class SchemaCompiler {
public:
    /// `components_schemas` is the document's components.schemas object (or null); it must outlive
    /// the compiler, not the compiled schemas.
    explicit SchemaCompiler(const nlohmann::json& components_schemas);
    ~SchemaCompiler();
    SchemaCompiler(const SchemaCompiler&) = delete;
    SchemaCompiler& operator=(const SchemaCompiler&) = delete;
    SchemaCompiler(SchemaCompiler&&) = delete;
    SchemaCompiler& operator=(SchemaCompiler&&) = delete;

    /// Compiles every entry of components.schemas, so unused ones are checked too.
    void compile_components();
    /// Compiles `schema` (found at `location`, used in error messages) as the root of a request
    /// or response value.
    [[nodiscard]] std::shared_ptr<const CompiledSchema> compile_entry(
        const nlohmann::json& schema, const std::string& location, Direction direction
    );
    /// Refuses $ref/allOf/anyOf/oneOf cycles and computes closure and read-only flags.
    void finish();

private:
    std::unique_ptr<detail::SchemaCompilerImpl> impl_;
};

/// One-shot helper (tests, fuzzers): compiles a schema whose $refs point into `components_schemas`.
[[nodiscard]] std::shared_ptr<const CompiledSchema> compile_schema(
    const nlohmann::json& schema,
    const nlohmann::json& components_schemas = nlohmann::json::object(),
    Direction direction = Direction::kRequest
);

namespace detail {

/// Concatenates string-like parts with one allocation (error messages and locations).
template <typename... Parts>
[[nodiscard]] std::string cat(const Parts&... parts) {
    // String literals arrive as char arrays, which string_view reads up to their NUL.
    // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-array-to-pointer-decay)
    const std::array<std::string_view, sizeof...(Parts)> views{std::string_view{parts}...};
    std::size_t size = 0;
    for (const std::string_view view : views) {
        size += view.size();
    }
    std::string out;
    out.reserve(size);
    for (const std::string_view view : views) {
        out.append(view);
    }
    return out;
}

/// Valid UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view text);
/// Number of code points in valid UTF-8 (continuation bytes are not counted).
[[nodiscard]] std::size_t count_code_points(std::string_view text);
/// Client input made safe to echo: at most 64 code points, invalid bytes and control characters
/// replaced, "..." appended when cut.
[[nodiscard]] std::string safe_fragment(std::string_view text);
/// Exact comparison of two JSON numbers (int64, uint64 or double): <0, 0 or >0.
[[nodiscard]] int compare_numbers(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace detail

}  // namespace chelete::gateway
