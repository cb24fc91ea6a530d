#pragma once

#include <chelete/platform/clock.hpp>
#include <chelete/platform/id.hpp>

namespace chelete::platform {

/// UUIDv7 from the system clock and OpenSSL's CSPRNG: ordered for index locality, unguessable.
class RandomIdGenerator final : public IdGenerator {
public:
    [[nodiscard]] Id128 next() override;
};

/// A fresh random UUIDv7 string, for correlation and message ids.
[[nodiscard]] std::string new_uuid();

}  // namespace chelete::platform
