#pragma once

#include <string>
#include <string_view>

namespace chelete::platform::faults {

/// Fault points for crash and fault tests (the FoundationDB "buggify" idea, deterministic):
/// production code calls `hit("relay.after_xadd")` at the moments where a crash matters most; a
/// test process starts with CHELETE_FAULTS="relay.after_xadd=kill@3" and dies on the third hit.
/// Unconfigured, `hit` is one relaxed atomic load.
///
/// Spec: comma-separated `name=action[@n]`; action `kill` (SIGKILL, no cleanup: the process
/// dies as in a power cut) or `throw` (std::runtime_error). Without `@n`, kill fires on the first
/// hit and throw on every hit; with `@n`, on the n-th hit only.
void configure(std::string_view spec);
void hit(std::string_view name);
/// Number of times a configured point was reached (0 if not configured).
[[nodiscard]] int hits(std::string_view name);
void clear();

}  // namespace chelete::platform::faults
