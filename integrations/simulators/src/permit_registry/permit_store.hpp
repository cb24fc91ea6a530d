#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <chelete/platform/result.hpp>

// The simulator's own idea of a permit record. It deliberately shares no code with the adapter
// (integrations/permit_registry): a shared serialiser would hide exactly the disagreements the
// integration tests are there to find.
namespace chelete::simulators::permit_registry {

/// One record as the registry serves it. Shape-checked only (enums known, dates shaped YYYY-MM-DD):
/// the simulator stores what a test gives it, even a record a careful client should distrust.
struct SimPermit {
    std::string number;
    std::string type;  // LSP | LEP | work_visa
    std::string holder_surname;
    std::string status;  // valid | expired | revoked | superseded | in_adjudication | rejected
    std::optional<std::string> issued_on;
    std::optional<std::string> printed_expiry;
    std::optional<std::string> legal_expiry;
    std::optional<std::string> directive_ref;

    friend bool operator==(const SimPermit&, const SimPermit&) = default;
};

/// 1–32 characters from [A-Za-z0-9-], so every number can be addressed in a URL path.
[[nodiscard]] bool is_permit_number(std::string_view number);

/// Why the record is not servable, or nullopt.
[[nodiscard]] std::optional<std::string> shape_problem(const SimPermit& permit);

/// The GET /permits/{number} body, every member present (null where absent).
[[nodiscard]] nlohmann::json to_json(const SimPermit& permit);
/// From a POST /admin/permits body: the same members; number, type, holder_surname and status
/// required, the dates and directive_ref optional or null; nothing else.
[[nodiscard]] platform::Result<SimPermit, std::string> permit_from_json(const nlohmann::json& doc);

/// The --seed-file format: a header line naming the eight columns in the order of to_json, then
/// one permit per line; an empty field is null; RFC 4180 double quotes for fields with commas;
/// blank lines and lines starting with '#' are skipped. The error names the line.
[[nodiscard]] platform::Result<std::vector<SimPermit>, std::string> parse_seed_csv(
    std::string_view text
);

/// Registry surnames match ASCII letters case-insensitively, every other byte exactly.
[[nodiscard]] bool surname_matches(std::string_view stored, std::string_view given);

/// The records, in memory only; thread-safe.
class PermitStore {
public:
    /// Adds or replaces by number; true when it replaced one.
    bool put(SimPermit permit);
    /// The permit when the number is known and the surname matches; nullopt for either failure,
    /// so a caller cannot learn that a number exists without knowing its holder's surname.
    [[nodiscard]] std::optional<SimPermit> find(const std::string& number, std::string_view surname)
        const;
    [[nodiscard]] std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, SimPermit> by_number_;
};

}  // namespace chelete::simulators::permit_registry
