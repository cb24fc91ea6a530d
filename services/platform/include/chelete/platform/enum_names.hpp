#pragma once

// Enums and their wire names, as one constexpr table per enum, e.g.
//   constexpr std::array<std::pair<Status, std::string_view>, 2> kStatuses{{
//       {Status::kOpen, "open"}, {Status::kClosed, "closed"}}};
//   name_of(kStatuses, Status::kOpen) == "open";  value_of(kStatuses, "open") == Status::kOpen
// A linear scan: the tables are a handful of entries.

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace chelete::platform {

/// The name of `value`, or "unknown" for a value the table lacks (a programming error the
/// table tests catch; never thrown at a caller).
template <typename E, std::size_t N>
[[nodiscard]] constexpr std::string_view name_of(
    const std::array<std::pair<E, std::string_view>, N>& table, E value
) {
    for (const auto& [v, name] : table) {
        if (v == value) {
            return name;
        }
    }
    return "unknown";
}

/// The value named `name` exactly, or nullopt.
template <typename E, std::size_t N>
[[nodiscard]] constexpr std::optional<E> value_of(
    const std::array<std::pair<E, std::string_view>, N>& table, std::string_view name
) {
    for (const auto& [v, text] : table) {
        if (text == name) {
            return v;
        }
    }
    return std::nullopt;
}

}  // namespace chelete::platform
