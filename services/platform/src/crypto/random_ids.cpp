#include <chelete/platform/crypto.hpp>
#include <chelete/platform/random_ids.hpp>

namespace chelete::platform {

Id128 RandomIdGenerator::next() {
    const auto ms = static_cast<std::uint64_t>(to_unix_ms(std::chrono::system_clock::now()));
    return make_uuid_v7(ms, crypto::random_u64(), crypto::random_u64());
}

std::string new_uuid() {
    RandomIdGenerator gen;
    return gen.next().to_string();
}

}  // namespace chelete::platform
