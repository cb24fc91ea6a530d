#pragma once
// The PIN rule of workers' and families' logins (chelete::registry_domain, no I/O). Public
// because the USSD menu asks for a new PIN by the same rule before the registry applies it.

#include <optional>
#include <string>
#include <string_view>

namespace chelete::registry {

/// 5 digits, not all the same and not a straight run (12345, 54321). nullopt if valid, else what
/// is wrong.
[[nodiscard]] std::optional<std::string> check_pin(std::string_view pin);

}  // namespace chelete::registry
