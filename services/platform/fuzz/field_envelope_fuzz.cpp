// libFuzzer target for the FieldCipher envelope and key list parsers. Any bytes, read as an
// envelope, must be refused or opened without a crash (a mutated seed envelope opens only if it
// is intact); read as a key list, they must be refused or give a ring that seals and opens.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/platform/field_cipher.hpp>

namespace {

using chelete::platform::crypto::FieldCipher;
using chelete::platform::crypto::FieldKey;

constexpr std::string_view kAad = "fuzz:aad";

// Two keys, so envelopes under the current and an older key are both exercised. The seed corpus
// holds envelopes sealed with these keys and kAad.
const FieldCipher& cipher() {
    static const FieldCipher kCipher{std::vector<FieldKey>{
        {"k2", std::string(32, '\x02')},
        {"k1", std::string(32, '\x01')},
    }};
    return kCipher;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the entry point libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libFuzzer hands over bytes
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const auto key_id = FieldCipher::key_id_of(input);
    const auto opened = cipher().decrypt(input, kAad);
    if (opened) {
        // Only a well-formed envelope under a known key opens, and it re-seals to the same value.
        if (!key_id || (*key_id != "k1" && *key_id != "k2")) {
            __builtin_trap();
        }
        if (cipher().decrypt(cipher().encrypt(*opened, kAad), kAad) != opened) {
            __builtin_trap();
        }
    }

    const auto keys = FieldCipher::parse_keys(input);
    if (keys.ok()) {
        const FieldCipher parsed(keys.value());  // a parsed ring is always a valid one
        if (parsed.decrypt(parsed.encrypt(input, kAad), kAad) != input) {
            __builtin_trap();
        }
    }
    return 0;
}
