// libFuzzer target for the stored password hash parser: any bytes must be refused or accepted
// without a crash; an accepted string must be the one canonical text of its record, and a
// refused one must never verify and always ask for a rehash.
#include <cstdint>
#include <string_view>

#include <chelete/platform/password.hpp>

namespace {

using chelete::platform::crypto::PasswordCost;
using chelete::platform::crypto::PasswordHasher;

const PasswordHasher& hasher() {
    static const PasswordHasher kHasher{PasswordCost{64, 1, 1}};
    return kHasher;
}

// verify() runs Argon2 with the cost written in the input; only cheap ones are worth a run here
// (the parser already bounds the rest).
bool cheap(const PasswordCost& cost) {
    return cost.memory_kib <= 256 && cost.iterations <= 2 && cost.parallelism == 1;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the entry point libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libFuzzer hands over bytes
    const std::string_view stored(reinterpret_cast<const char*>(data), size);
    const auto record = chelete::platform::crypto::parse_password_hash(stored);
    if (!record) {
        if (hasher().verify("2580", stored) || !hasher().needs_rehash(stored)) {
            __builtin_trap();
        }
        return 0;
    }
    if (chelete::platform::crypto::format_password_hash(*record) != stored) {
        __builtin_trap();
    }
    if (cheap(record->cost)) {
        (void)hasher().verify("2580", stored);
    }
    return 0;
}
