#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace chelete::platform {

/// A 128-bit identifier, written as a lowercase RFC 9562 UUID string. Ledger accounts and
/// transfers, remittances and every other resource use it; clients may choose ledger ids.
struct Id128 {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;

    [[nodiscard]] bool is_zero() const { return hi == 0 && lo == 0; }
    [[nodiscard]] std::string to_string() const;
    /// Accepts the canonical 8-4-4-4-12 form (either case) or 32 hex digits.
    [[nodiscard]] static std::optional<Id128> parse(std::string_view text);

    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive (llvm-project#53961)
    friend auto operator<=>(const Id128&, const Id128&) = default;
};

struct Id128Hash {
    std::size_t operator()(const Id128& id) const noexcept {
        return std::hash<std::uint64_t>{}(id.hi ^ (id.lo * 0x9E3779B97F4A7C15ULL));
    }
};

/// Source of new ids; production uses time-ordered random UUIDv7 (good index locality), tests a
/// deterministic sequence.
class IdGenerator {
public:
    virtual ~IdGenerator() = default;
    [[nodiscard]] virtual Id128 next() = 0;

protected:
    // Copied and moved only as part of an implementation, never sliced through the interface.
    IdGenerator() = default;
    IdGenerator(const IdGenerator&) = default;
    IdGenerator(IdGenerator&&) = default;
    IdGenerator& operator=(const IdGenerator&) = default;
    IdGenerator& operator=(IdGenerator&&) = default;
};

/// Builds a UUIDv7 from a Unix millisecond timestamp and 74 random bits.
[[nodiscard]] Id128 make_uuid_v7(
    std::uint64_t unix_ms, std::uint64_t rand_hi, std::uint64_t rand_lo
);

/// Deterministic ids for tests: 00000000-0000-7000-8000-<counter>.
class SequentialIdGenerator final : public IdGenerator {
public:
    explicit SequentialIdGenerator(std::uint64_t start = 1) : next_(start) {}
    [[nodiscard]] Id128 next() override { return make_uuid_v7(0, 0, next_++); }

private:
    std::uint64_t next_;
};

}  // namespace chelete::platform
