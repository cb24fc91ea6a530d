#include "common/flags.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

namespace chelete::simulators {

using platform::err;

platform::Result<Flags, std::string> Flags::parse(
    const std::vector<std::string>& args,
    const std::set<std::string>& known,
    const std::set<std::string>& repeatable
) {
    Flags flags;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
            return err("unexpected argument '" + arg + "'");
        }
        std::string name;
        std::string value;
        const auto equals = arg.find('=');
        if (equals != std::string::npos) {
            name = arg.substr(2, equals - 2);
            value = arg.substr(equals + 1);
        } else {
            name = arg.substr(2);
            if (i + 1 >= args.size()) {
                return err("--" + name + " needs a value");
            }
            value = args[++i];
        }
        if (!known.contains(name)) {
            return err("unknown flag --" + name);
        }
        if (repeatable.contains(name)) {
            flags.repeated_[name].push_back(value);
            flags.values_[name] = value;
            continue;
        }
        if (!flags.values_.emplace(name, value).second) {
            return err("--" + name + " is given more than once");
        }
    }
    return flags;
}

std::optional<std::string> Flags::get(const std::string& name) const {
    const auto it = values_.find(name);
    if (it == values_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::vector<std::string> Flags::get_list(const std::string& name) const {
    std::vector<std::string> out;
    const auto it = repeated_.find(name);
    if (it == repeated_.end()) {
        return out;
    }
    for (const auto& value : it->second) {
        std::size_t start = 0;
        while (start <= value.size()) {
            const auto comma = value.find(',', start);
            const auto end = comma == std::string::npos ? value.size() : comma;
            if (end > start) {
                out.push_back(value.substr(start, end - start));
            }
            start = end + 1;
        }
    }
    return out;
}

platform::Result<std::int64_t, std::string> Flags::get_int(
    const std::string& name, std::int64_t fallback, std::int64_t min, std::int64_t max
) const {
    const auto text = get(name);
    if (!text) {
        return fallback;
    }
    std::int64_t value = 0;
    const char* end = text->data() + text->size();
    const auto [ptr, ec] = std::from_chars(text->data(), end, value);
    if (ec != std::errc{} || ptr != end || text->empty()) {
        return err("--" + name + " must be a whole number, got '" + *text + "'");
    }
    if (value < min || value > max) {
        return err(
            "--" + name + " must be between " + std::to_string(min) + " and " + std::to_string(max)
        );
    }
    return value;
}

platform::Result<std::uint32_t, std::string> Flags::get_rate_ppm(const std::string& name) const {
    const auto text = get(name);
    if (!text) {
        return std::uint32_t{0};
    }
    double rate = 0;
    const char* end = text->data() + text->size();
    const auto [ptr, ec] = std::from_chars(text->data(), end, rate, std::chars_format::fixed);
    if (ec != std::errc{} || ptr != end || text->empty() || !std::isfinite(rate) || rate < 0 ||
        rate > 1) {
        return err("--" + name + " must be a fraction between 0 and 1, got '" + *text + "'");
    }
    constexpr double kPartsPerMillion = 1'000'000.0;
    return static_cast<std::uint32_t>(std::llround(rate * kPartsPerMillion));
}

}  // namespace chelete::simulators
