#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace chelete::simulators::sms {

enum class SmsEncoding { kGsm7, kUcs2 };

struct SegmentCount {
    SmsEncoding encoding = SmsEncoding::kGsm7;
    /// Septets (GSM-7; a character of the extension table counts two) or UTF-16 code units.
    std::size_t units = 0;
    std::size_t segments = 0;
};

/// How many SMS a text takes, as a GSM network counts them: GSM-7 when every character is in the
/// GSM 03.38 default alphabet or its extension table (160 septets in one SMS, 153 per part of a
/// concatenated one), UCS-2 otherwise (70 units in one, 67 per part). nullopt for text that is
/// not valid UTF-8. An empty text is 0 segments. Pure; the fuzzer drives it.
[[nodiscard]] std::optional<SegmentCount> count_segments(std::string_view utf8);

}  // namespace chelete::simulators::sms
