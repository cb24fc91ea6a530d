// libFuzzer target for the USSD session's text form in Redis (domain/session.hpp). Arbitrary bytes
// as a stored session. Properties: nothing crashes; an accepted text round-trips exactly
// (decode → encode gives the same bytes, and decoding that gives the same session).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domain/session.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    const auto session = chelete::ussd::decode_session(text);
    if (!session) {
        return 0;
    }
    const std::string encoded = chelete::ussd::encode_session(*session);
    if (encoded != text) {
        std::abort();  // two texts for one session: the format is not canonical
    }
    const auto again = chelete::ussd::decode_session(encoded);
    if (!again || !(*again == *session)) {
        std::abort();
    }
    return 0;
}
