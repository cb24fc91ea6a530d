#include <array>
#include <charconv>
#include <cstdlib>

#include <chelete/platform/config.hpp>

namespace chelete::platform {
namespace {

std::string join_lines(const std::vector<std::string>& problems) {
    std::string out = "invalid configuration:";
    for (const auto& p : problems) {
        out += "\n  - ";
        out += p;
    }
    return out;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || text.empty()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::optional<std::string> ProcessEnvironment::get(std::string_view name) const {
    const std::string key{name};
    const char* value =
        std::getenv(key.c_str());  // NOLINT(concurrency-mt-unsafe): read at start, before threads
    if (value == nullptr) {
        return std::nullopt;
    }
    return std::string{value};
}

std::optional<std::string> MapEnvironment::get(std::string_view name) const {
    const auto it = values_.find(name);
    if (it == values_.end()) {
        return std::nullopt;
    }
    return it->second;
}

ConfigError::ConfigError(const std::vector<std::string>& problems)
    : std::runtime_error(join_lines(problems)), problems_(problems) {}

std::optional<std::string> ConfigReader::raw(
    std::string_view name,
    std::string_view fallback,
    std::string_view description,
    bool secret,
    bool required
) {
    variables_.push_back(ConfigVariable{
        std::string{name}, std::string{fallback}, std::string{description}, secret, required});
    auto value = env_.get(name);
    if (value && !value->empty()) {
        return value;
    }
    if (required) {
        problems_.push_back(std::string{name} + " is required (" + std::string{description} + ")");
        return std::nullopt;
    }
    return std::string{fallback};
}

std::string ConfigReader::string(
    std::string_view name, std::string_view fallback, std::string_view description
) {
    return raw(name, fallback, description, false, false).value_or("");
}

std::string ConfigReader::required_secret(
    std::string_view name, std::size_t min_length, std::string_view description
) {
    auto value = raw(name, "", description, true, true);
    if (!value) {
        return {};
    }
    if (value->size() < min_length) {
        problems_.push_back(
            std::string{name} + " must be at least " + std::to_string(min_length) + " characters"
        );
    }
    return *value;
}

std::string ConfigReader::optional_secret(
    std::string_view name, std::size_t min_length, std::string_view description
) {
    auto value = raw(name, "", description, true, false).value_or("");
    if (!value.empty() && value.size() < min_length) {
        problems_.push_back(
            std::string{name} + " must be at least " + std::to_string(min_length) + " characters"
        );
    }
    return value;
}

std::int64_t ConfigReader::integer(
    std::string_view name,
    std::int64_t fallback,
    std::int64_t min,
    std::int64_t max,
    std::string_view description
) {
    const auto text = raw(name, std::to_string(fallback), description, false, false).value_or("");
    const auto value = parse_int(text);
    if (!value) {
        problems_.push_back(std::string{name} + "='" + text + "' is not an integer");
        return fallback;
    }
    if (*value < min || *value > max) {
        problems_.push_back(
            std::string{name} + "=" + text + " is out of range [" + std::to_string(min) + ", " +
            std::to_string(max) + "]"
        );
        return fallback;
    }
    return *value;
}

std::uint16_t ConfigReader::port(
    std::string_view name, std::uint16_t fallback, std::string_view description
) {
    return static_cast<std::uint16_t>(integer(name, fallback, 1, 65535, description));
}

bool ConfigReader::boolean(std::string_view name, bool fallback, std::string_view description) {
    const auto text =
        raw(name, fallback ? "true" : "false", description, false, false).value_or("");
    if (text == "true" || text == "1" || text == "yes" || text == "on") {
        return true;
    }
    if (text == "false" || text == "0" || text == "no" || text == "off") {
        return false;
    }
    problems_.push_back(std::string{name} + "='" + text + "' is not a boolean (true/false)");
    return fallback;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    struct Unit {
        std::string_view suffix;
        std::int64_t ms;
    };
    constexpr std::array<Unit, 5> kUnits{
        {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};
    for (const auto& unit : kUnits) {
        if (text.size() > unit.suffix.size() && text.ends_with(unit.suffix)) {
            const auto number = text.substr(0, text.size() - unit.suffix.size());
            // "5ms" must not be read as 5 minutes followed by junk: only digits before the suffix.
            const auto value = parse_int(number);
            if (!value || *value < 0) {
                continue;
            }
            std::int64_t ms = 0;
            if (__builtin_mul_overflow(*value, unit.ms, &ms)) {
                return std::nullopt;
            }
            return std::chrono::milliseconds{ms};
        }
    }
    const auto bare = parse_int(text);
    if (bare && *bare >= 0) {
        return std::chrono::milliseconds{*bare};
    }
    return std::nullopt;
}

std::chrono::milliseconds ConfigReader::duration(
    std::string_view name,
    std::chrono::milliseconds fallback,
    std::chrono::milliseconds min,
    std::chrono::milliseconds max,
    std::string_view description
) {
    const auto text =
        raw(name, std::to_string(fallback.count()) + "ms", description, false, false).value_or("");
    const auto value = parse_duration(text);
    if (!value) {
        problems_.push_back(
            std::string{name} + "='" + text + "' is not a duration (e.g. 500ms, 5s, 2m, 1h)"
        );
        return fallback;
    }
    if (*value < min || *value > max) {
        problems_.push_back(
            std::string{name} + "=" + text + " is out of range [" + std::to_string(min.count()) +
            "ms, " + std::to_string(max.count()) + "ms]"
        );
        return fallback;
    }
    return *value;
}

std::string ConfigReader::choice(
    std::string_view name,
    std::string_view fallback,
    std::initializer_list<std::string_view> allowed,
    std::string_view description
) {
    auto text = raw(name, fallback, description, false, false).value_or("");
    for (const auto& a : allowed) {
        if (text == a) {
            return text;
        }
    }
    std::string list;
    for (const auto& a : allowed) {
        list += list.empty() ? "" : ", ";
        list += a;
    }
    problems_.push_back(std::string{name} + "='" + text + "' must be one of: " + list);
    return std::string{fallback};
}

std::string ConfigReader::url(
    std::string_view name, std::string_view fallback, std::string_view description
) {
    auto text = raw(name, fallback, description, false, false).value_or("");
    const bool scheme_ok = text.starts_with("http://") || text.starts_with("https://");
    const auto host_start = text.find("://");
    if (!scheme_ok || host_start == std::string::npos || text.size() <= host_start + 3 ||
        text[host_start + 3] == '/' || text.find_first_of(" \t\r\n") != std::string::npos) {
        problems_.push_back(
            std::string{name} + "='" + text + "' is not an http(s) URL with a host"
        );
    }
    return text;
}

void ConfigReader::finish() const {
    if (!problems_.empty()) {
        throw ConfigError(problems_);
    }
}

}  // namespace chelete::platform
