#include "domain/str_export.hpp"

#include <gtest/gtest.h>

namespace chelete::compliance {
namespace {

TEST(StrExport, HeaderThenOneQuotedRowPerCase) {
    StrRow r;
    r.case_id = "c1";
    r.kind = "held_remittance";
    r.remittance_id = "r1";
    r.sender_id = "s1";
    r.amount_minor = 2'000'000;
    r.reason_codes = "watchlist_match";
    r.reason_texts = "sender matches \"T. Mokoena\", 0.97";
    r.opened_at = "2026-03-02T08:00:00.000Z";
    r.decided_at = "2026-03-02T09:00:00.000Z";
    r.decided_by = "officer-7";
    r.note = "confirmed match\nfiled";
    EXPECT_EQ(
        str_csv({r}),
        std::string{str_csv_header()} +
            "\r\nc1,held_remittance,r1,s1,20000.00,ZAR,watchlist_match,\"sender matches "
            "\"\"T. Mokoena\"\", 0.97\",2026-03-02T08:00:00.000Z,2026-03-02T09:00:00.000Z,"
            "officer-7,\"confirmed match\nfiled\"\r\n"
    );
    EXPECT_EQ(str_csv({}), std::string{str_csv_header()} + "\r\n");
}

}  // namespace
}  // namespace chelete::compliance
