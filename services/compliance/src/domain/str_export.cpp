#include "domain/str_export.hpp"

#include <array>

#include <chelete/platform/money.hpp>

namespace chelete::compliance {
namespace {

std::string field(std::string_view value) {
    if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
        return std::string{value};
    }
    std::string out = "\"";
    for (const char c : value) {
        if (c == '"') {
            out += '"';
        }
        out += c;
    }
    return out + '"';
}

}  // namespace

std::string_view str_csv_header() {
    return "case_id,kind,remittance_id,sender_id,amount,currency,reason_codes,reasons,opened_at,"
           "decided_at,decided_by,note";
}

std::string str_csv(const std::vector<StrRow>& rows) {
    std::string out{str_csv_header()};
    out += "\r\n";
    for (const auto& r : rows) {
        const std::array<std::string, 12> fields{
            r.case_id,
            r.kind,
            r.remittance_id,
            r.sender_id,
            platform::format_minor_units(r.amount_minor),
            "ZAR",
            r.reason_codes,
            r.reason_texts,
            r.opened_at,
            r.decided_at,
            r.decided_by,
            r.note};
        bool first = true;
        for (const auto& f : fields) {
            out += first ? "" : ",";
            out += field(f);
            first = false;
        }
        out += "\r\n";
    }
    return out;
}

}  // namespace chelete::compliance
