#pragma once

// The suspicious-transaction export (docs/compliance.md "Suspicious-transaction export"): the
// remittance cases an officer rejected, as a file a compliance officer files with the FIC (s29)
// or FIU Lesotho. Pure: no I/O.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chelete::compliance {

struct StrRow {
    std::string case_id;
    std::string kind;  // held_remittance or attempted_remittance
    std::string remittance_id;
    std::string sender_id;
    std::int64_t amount_minor = 0;  // ZAR, the money that was to leave
    std::string reason_codes;       // "watchlist_match;velocity"
    std::string reason_texts;       // the findings, "; "-separated
    std::string opened_at;          // RFC 3339
    std::string decided_at;
    std::string decided_by;
    std::string note;  // the officer's reason for rejecting
};

/// The fixed CSV header (docs/compliance.md lists the columns).
[[nodiscard]] std::string_view str_csv_header();
/// RFC 4180: CRLF line ends, fields with a comma, quote, CR or LF quoted, quotes doubled;
/// amounts as "500.00".
[[nodiscard]] std::string str_csv(const std::vector<StrRow>& rows);

}  // namespace chelete::compliance
