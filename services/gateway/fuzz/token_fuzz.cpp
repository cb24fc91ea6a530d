// libFuzzer target for the bearer token parser: any bytes must be refused or accepted without a
// crash, and an accepted token must re-issue to an accepted token for the same principal.
#include <cstdint>
#include <string>

#include <chelete/gateway/jwt.hpp>

namespace {

const chelete::platform::ManualClock& fuzz_clock() {
    static const chelete::platform::ManualClock kClock{
        chelete::platform::from_unix_ms(1'795'000'000'000)};
    return kClock;
}

const chelete::gateway::TokenService& service() {
    static const chelete::gateway::TokenService kService{
        {{"k1", std::string(40, 'k')}, {"k0", std::string(32, 'z')}},
        chelete::gateway::TokenSettings{},
        fuzz_clock()};
    return kService;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the entry point libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libFuzzer hands over bytes
    const std::string token(reinterpret_cast<const char*>(data), size);
    const auto result = service().verify(token);
    if (result.ok()) {
        const auto again = service().verify(service().issue(result.value()));
        if (!again.ok() || again.value().subject != result.value().subject ||
            again.value().role != result.value().role) {
            __builtin_trap();
        }
    }
    return 0;
}
