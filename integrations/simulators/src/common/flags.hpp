#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <chelete/platform/result.hpp>

namespace chelete::simulators {

/// Command-line flags of one simulator: `--name value` or `--name=value`, each name at most once.
/// Pure (no I/O), so every way of getting a flag wrong is tested without starting a process.
class Flags {
public:
    /// Refuses names outside `known`, a name given twice (unless it is in `repeatable`), a missing
    /// value and stray arguments.
    [[nodiscard]] static platform::Result<Flags, std::string> parse(
        const std::vector<std::string>& args,
        const std::set<std::string>& known,
        const std::set<std::string>& repeatable = {}
    );

    /// The value of a flag given once; for a repeatable flag, its last value.
    [[nodiscard]] std::optional<std::string> get(const std::string& name) const;
    /// Every value of a repeatable flag in command-line order, each split at commas, empty items
    /// dropped (`--x a,b --x c` gives a, b, c).
    [[nodiscard]] std::vector<std::string> get_list(const std::string& name) const;
    /// A whole decimal number in [min, max]; `fallback` when the flag is absent.
    [[nodiscard]] platform::Result<std::int64_t, std::string> get_int(
        const std::string& name, std::int64_t fallback, std::int64_t min, std::int64_t max
    ) const;
    /// A fraction in [0, 1] ("0.25", "1", "0"), as parts per million so that nothing past the flag
    /// parser handles floating point; 0 when the flag is absent.
    [[nodiscard]] platform::Result<std::uint32_t, std::string> get_rate_ppm(const std::string& name
    ) const;

private:
    std::map<std::string, std::string> values_;
    std::map<std::string, std::vector<std::string>> repeated_;
};

}  // namespace chelete::simulators
