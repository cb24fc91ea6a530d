#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace chelete::platform {

/// Where configuration values come from: the process environment in production, a map in tests.
class Environment {
public:
    virtual ~Environment() = default;
    [[nodiscard]] virtual std::optional<std::string> get(std::string_view name) const = 0;

protected:
    // Copied and moved only as part of an implementation, never sliced through the interface.
    Environment() = default;
    Environment(const Environment&) = default;
    Environment(Environment&&) = default;
    Environment& operator=(const Environment&) = default;
    Environment& operator=(Environment&&) = default;
};

class ProcessEnvironment final : public Environment {
public:
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const override;
};

class MapEnvironment final : public Environment {
public:
    MapEnvironment() = default;
    MapEnvironment(std::initializer_list<std::pair<const std::string, std::string>> values)
        : values_(values) {}
    void set(const std::string& name, std::string value) { values_[name] = std::move(value); }
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const override;

private:
    std::map<std::string, std::string, std::less<>> values_;
};

/// Every bad value found at start, one per line; the process prints it and exits.
class ConfigError : public std::runtime_error {
public:
    explicit ConfigError(const std::vector<std::string>& problems);
    [[nodiscard]] const std::vector<std::string>& problems() const { return problems_; }

private:
    std::vector<std::string> problems_;
};

/// One documented variable: `chelete config` prints them and a test keeps the README in step.
struct ConfigVariable {
    std::string name;
    std::string default_value;  // empty: none
    std::string description;
    bool secret = false;
    bool required = false;
};

/// Reads typed, validated values. Problems are collected rather than thrown one by one, so a
/// misconfigured deployment learns everything that is wrong in a single start.
class ConfigReader {
public:
    explicit ConfigReader(const Environment& env) : env_(env) {}

    std::string string(
        std::string_view name, std::string_view fallback, std::string_view description
    );
    /// A required value (no default); `min_length` guards against placeholder secrets.
    std::string required_secret(
        std::string_view name, std::size_t min_length, std::string_view description
    );
    /// An optional secret: empty when unset, but at least `min_length` when set.
    std::string optional_secret(
        std::string_view name, std::size_t min_length, std::string_view description
    );
    std::int64_t integer(
        std::string_view name,
        std::int64_t fallback,
        std::int64_t min,
        std::int64_t max,
        std::string_view description
    );
    std::uint16_t port(std::string_view name, std::uint16_t fallback, std::string_view description);
    bool boolean(std::string_view name, bool fallback, std::string_view description);
    /// "250ms", "5s", "2m", "1h", "3d" or a bare number of milliseconds.
    std::chrono::milliseconds duration(
        std::string_view name,
        std::chrono::milliseconds fallback,
        std::chrono::milliseconds min,
        std::chrono::milliseconds max,
        std::string_view description
    );
    std::string choice(
        std::string_view name,
        std::string_view fallback,
        std::initializer_list<std::string_view> allowed,
        std::string_view description
    );
    /// An http:// or https:// URL with a host.
    std::string url(std::string_view name, std::string_view fallback, std::string_view description);

    /// Records a problem found by a cross-field check.
    void problem(std::string message) { problems_.push_back(std::move(message)); }
    /// Throws ConfigError if anything was wrong.
    void finish() const;

    [[nodiscard]] const std::vector<ConfigVariable>& variables() const { return variables_; }
    [[nodiscard]] const std::vector<std::string>& problems() const { return problems_; }

private:
    std::optional<std::string> raw(
        std::string_view name,
        std::string_view fallback,
        std::string_view description,
        bool secret,
        bool required
    );

    const Environment& env_;
    std::vector<ConfigVariable> variables_;
    std::vector<std::string> problems_;
};

/// Parses "250ms", "5s", "2m", "1h", "3d" or a bare millisecond count.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace chelete::platform
