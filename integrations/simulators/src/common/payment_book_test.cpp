#include "common/payment_book.hpp"

#include <gtest/gtest.h>

namespace chelete::simulators {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

// 2026-11-23T10:00:00Z
constexpr platform::TimePoint kT0{std::chrono::milliseconds{1'795'428'000'000}};

Payment payment(std::string reference, std::int64_t minor, bool paid, platform::TimePoint at) {
    Payment p;
    p.reference = std::move(reference);
    p.transaction_id = "T-" + p.reference;
    p.msisdn = "26658123456";
    p.amount_minor = minor;
    p.paid = paid;
    p.failure_code = paid ? "" : "INS-6";
    p.result_at = at;
    return p;
}

SimRequest admin(const std::string& method, const std::string& path, const std::string& body = "") {
    SimRequest request;
    request.method = method;
    request.path = path;
    request.body = body;
    return request;
}

TEST(PaymentBook, HoldsOnePaymentPerReferenceAndDebitsTheFloatOnlyWhenPaid) {
    PaymentBook book{10'000};
    ASSERT_NE(book.add(payment("A", 1'000, true, kT0)), nullptr);
    EXPECT_EQ(book.float_minor(), 9'000);
    EXPECT_EQ(book.add(payment("A", 1'000, true, kT0)), nullptr);
    EXPECT_EQ(book.float_minor(), 9'000);
    ASSERT_NE(book.add(payment("B", 5'000, false, kT0)), nullptr);
    EXPECT_EQ(book.float_minor(), 9'000);
    // More than the float: refused, nothing changes.
    EXPECT_EQ(book.add(payment("C", 9'001, true, kT0)), nullptr);
    EXPECT_EQ(book.find("C"), nullptr);
    EXPECT_EQ(book.float_minor(), 9'000);
}

TEST(PaymentBook, StatusIsPendingUntilTheResultTime) {
    const auto p = payment("A", 1, true, kT0);
    EXPECT_EQ(status_at(p, kT0 - milliseconds{1}), PaymentStatus::kPending);
    EXPECT_EQ(status_at(p, kT0), PaymentStatus::kCompleted);
    EXPECT_EQ(status_at(payment("B", 1, false, kT0), kT0), PaymentStatus::kFailed);
}

TEST(PaymentBook, AdminListIsInArrivalOrderAndCountsCompleted) {
    PaymentBook book{100'000};
    (void)book.add(payment("Z", 1'050, true, kT0));
    (void)book.add(payment("A", 200, false, kT0));
    (void)book.add(payment("M", 300, true, kT0 + milliseconds{500}));
    const auto doc = book.admin_json(kT0);
    ASSERT_EQ(doc["payments"].size(), 3U);
    EXPECT_EQ(doc["payments"][0]["reference"], "Z");
    EXPECT_EQ(doc["payments"][0]["amount"], "10.50");
    EXPECT_EQ(doc["payments"][0]["status"], "completed");
    EXPECT_EQ(doc["payments"][0]["completed_at"], "2026-11-23T10:00:00Z");
    EXPECT_EQ(doc["payments"][1]["status"], "failed");
    EXPECT_TRUE(doc["payments"][1]["completed_at"].is_null());
    EXPECT_EQ(doc["payments"][2]["status"], "pending");
    EXPECT_EQ(doc["completed"], 1);
}

TEST(PaymentBook, StatementShowsCompletedPaymentsOfThatUtcDateOnly) {
    PaymentBook book{1'000'000};
    (void)book.add(payment("TODAY2", 100, true, kT0 + std::chrono::hours{13}));  // 23:00
    (void)book.add(payment("TODAY1", 200, true, kT0));
    (void)book.add(payment("TOMORROW", 300, true, kT0 + std::chrono::hours{14}));  // 00:00 next
    (void)book.add(payment("FAILED", 400, false, kT0));
    (void)book.add(payment("PENDING", 500, true, kT0 + std::chrono::hours{1}));
    const auto now = kT0 + milliseconds{1};
    const auto entries = book.statement("2026-11-23", now);
    ASSERT_EQ(entries.size(), 1U);  // TODAY2 and PENDING are still pending at `now`
    EXPECT_EQ(entries[0].reference, "TODAY1");
    const auto later = book.statement("2026-11-23", kT0 + std::chrono::hours{20});
    ASSERT_EQ(later.size(), 3U);
    EXPECT_EQ(later[0].reference, "TODAY1");
    EXPECT_EQ(later[1].reference, "PENDING");
    EXPECT_EQ(later[2].reference, "TODAY2");
    const auto next_day = book.statement("2026-11-24", kT0 + std::chrono::hours{20});
    ASSERT_EQ(next_day.size(), 1U);
    EXPECT_EQ(next_day[0].reference, "TOMORROW");
    EXPECT_TRUE(book.statement("2026-11-22", kT0 + std::chrono::hours{20}).empty());
}

TEST(PaymentBook, StatementFaultsDropAlterAndAddEntries) {
    PaymentBook book{1'000'000};
    CallbackOutbox outbox;
    (void)book.add(payment("A", 1'000, true, kT0));
    (void)book.add(payment("B", 2'000, true, kT0));
    (void)book.add(payment("C", 3'000, true, kT0));
    const auto reply = handle_payment_admin(
        admin(
            "POST",
            "/admin/statement-faults",
            R"({"drop":["A"],"amount":{"B":"12.00"},"extra":[{"reference":"X","transaction_id":"TX",)"
            R"("msisdn":"26650000000","amount":"7.00","completed_at":"2026-11-23T11:00:00Z"},)"
            R"({"reference":"Y","transaction_id":"TY","msisdn":"26650000000","amount":"1.00",)"
            R"("completed_at":"2026-11-25T11:00:00Z"}]})"
        ),
        book,
        outbox,
        kT0
    );
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(reply->status, 200) << reply->body;
    const auto entries = book.statement("2026-11-23", kT0);
    ASSERT_EQ(entries.size(), 3U);
    EXPECT_EQ(entries[0].reference, "B");
    EXPECT_EQ(entries[0].amount_minor, 1'200);
    EXPECT_EQ(entries[1].reference, "C");
    EXPECT_EQ(entries[2].reference, "X");
    EXPECT_EQ(entries[2].amount_minor, 700);
    const auto body = Json::parse(statement_response("2026-11-23", entries).body);
    EXPECT_EQ(body["date"], "2026-11-23");
    EXPECT_EQ(body["entries"][0]["amount"], "12.00");
    EXPECT_EQ(body["entries"][0]["currency"], "LSL");
    EXPECT_EQ(body["entries"][2]["completed_at"], "2026-11-23T11:00:00Z");
    // Another POST replaces the faults: {} clears them.
    (void)handle_payment_admin(admin("POST", "/admin/statement-faults", "{}"), book, outbox, kT0);
    EXPECT_EQ(book.statement("2026-11-23", kT0).size(), 3U);
    EXPECT_EQ(book.statement("2026-11-23", kT0)[0].amount_minor, 1'000);
}

TEST(PaymentBook, BadStatementFaultsAreRefusedAndChangeNothing) {
    PaymentBook book{1'000'000};
    CallbackOutbox outbox;
    (void)book.add(payment("A", 1'000, true, kT0));
    for (const char* bad :
         {"[]",
          "not json",
          R"({"drop":"A"})",
          R"({"amount":{"A":12}})",
          R"({"amount":{"A":"12"}})",
          R"({"extra":[{"reference":"X"}]})",
          R"({"unknown":1})",
          R"({"drop":["A"],"extra":[{"reference":"X","transaction_id":"T","msisdn":"1","amount":"1.00","completed_at":"yesterday"}]})"}) {
        const auto reply =
            handle_payment_admin(admin("POST", "/admin/statement-faults", bad), book, outbox, kT0);
        ASSERT_TRUE(reply.has_value());
        EXPECT_EQ(reply->status, 400) << bad;
    }
    EXPECT_EQ(book.statement("2026-11-23", kT0).size(), 1U);
}

TEST(PaymentBook, FloatCanBeReadAndSetByAdmin) {
    PaymentBook book{1'000'000'000};
    CallbackOutbox outbox;
    auto reply = handle_payment_admin(admin("GET", "/admin/float"), book, outbox, kT0);
    EXPECT_EQ(Json::parse(reply->body)["balance"], "10000000.00");
    reply = handle_payment_admin(
        admin("POST", "/admin/float", R"({"balance":"1000.00"})"), book, outbox, kT0
    );
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(book.float_minor(), 100'000);
    for (const char* bad :
         {R"({"balance":1000})", R"({"balance":"1000"})", R"({"balance":"-1.00"})", "x"}) {
        reply = handle_payment_admin(admin("POST", "/admin/float", bad), book, outbox, kT0);
        EXPECT_EQ(reply->status, 400) << bad;
    }
    EXPECT_EQ(book.float_minor(), 100'000);
    EXPECT_EQ(
        handle_payment_admin(admin("DELETE", "/admin/float"), book, outbox, kT0)->status, 405
    );
    EXPECT_FALSE(handle_payment_admin(admin("GET", "/admin/other"), book, outbox, kT0).has_value());
}

TEST(PaymentBook, AdminCallbacksListsEveryAttempt) {
    PaymentBook book{0};
    CallbackOutbox outbox;
    outbox.record(CallbackAttempt{"R1", false, false, false, 0});
    outbox.record(CallbackAttempt{"R1", true, false, true, 200});
    const auto reply = handle_payment_admin(admin("GET", "/admin/callbacks"), book, outbox, kT0);
    const auto doc = Json::parse(reply->body);
    ASSERT_EQ(doc["callbacks"].size(), 2U);
    EXPECT_EQ(
        doc["callbacks"][1],
        (Json{
            {"reference", "R1"},
            {"forged", true},
            {"stale", false},
            {"delivered", true},
            {"status", 200}})
    );
}

TEST(EnqueueCallbacks, EachCallbackFaultShapesWhatIsQueued) {
    const CallbackBodies bodies{"final", "forged", "stale"};
    const auto queued = [&](RequestFaults faults) {
        CallbackOutbox outbox;
        enqueue_callbacks(outbox, "http://127.0.0.1:1/cb", "R", bodies, kT0, faults);
        return outbox.pending();
    };
    auto plain = queued(RequestFaults{});
    ASSERT_EQ(plain.size(), 1U);
    EXPECT_EQ(plain[0].body, "final");
    EXPECT_EQ(plain[0].due, kT0);

    RequestFaults drop;
    drop.drop_callback = true;
    drop.forged_callback = true;
    drop.duplicate_callback = true;
    EXPECT_TRUE(queued(drop).empty());

    RequestFaults all;
    all.duplicate_callback = true;
    all.out_of_order = true;
    all.forged_callback = true;
    const auto many = queued(all);
    ASSERT_EQ(many.size(), 4U);
    EXPECT_EQ(many[0].body, "forged");  // before the genuine one, same due time
    EXPECT_TRUE(many[0].forged);
    EXPECT_EQ(many[0].due, kT0);
    EXPECT_EQ(many[1].body, "final");
    EXPECT_EQ(many[2].body, "stale");
    EXPECT_TRUE(many[2].stale);
    EXPECT_EQ(many[2].due, kT0 + milliseconds{250});
    EXPECT_EQ(many[3].body, "final");
    EXPECT_FALSE(many[3].forged);
    EXPECT_EQ(many[3].due, kT0 + milliseconds{1100});
}

TEST(DrawRequestFaults, AlwaysTakesTheSameNumberOfDraws) {
    FaultSchedule a{FaultRates{}, 3};
    FaultSchedule b{FaultRates{0, 0, 0, kMillion}, 3};
    (void)draw_request_faults(a, CallbackFaultRates{}, 4);
    const auto drawn =
        draw_request_faults(b, CallbackFaultRates{kMillion, kMillion, 0, kMillion, 0}, 4);
    EXPECT_EQ(drawn.fault, Fault::kUnknown);
    EXPECT_TRUE(drawn.unknown_paid);
    EXPECT_TRUE(drawn.drop_callback);
    EXPECT_FALSE(drawn.duplicate_callback);
    EXPECT_TRUE(drawn.out_of_order);
    EXPECT_FALSE(drawn.forged_callback);
    EXPECT_LT(drawn.unknown_variant, 4U);
    EXPECT_EQ(a.pick(1'000'003), b.pick(1'000'003));
}

TEST(PartnerRules, MsisdnAmountAndDates) {
    EXPECT_TRUE(is_lesotho_mobile("26658123456"));
    EXPECT_TRUE(is_lesotho_mobile("26662123456"));
    for (const char* bad :
         {"26648123456",
          "2665812345",
          "265812345678",
          "+26658123456",
          "2665812345a",
          "27821234567"}) {
        EXPECT_FALSE(is_lesotho_mobile(bad)) << bad;
    }
    EXPECT_EQ(parse_positive_amount("10.00"), 1'000);
    for (const char* bad : {"0.00", "10", "10.0", "10.000", "-1.00", "01.00", "1e3", ""}) {
        EXPECT_EQ(parse_positive_amount(bad), std::nullopt) << bad;
    }
    EXPECT_EQ(format_utc_seconds(kT0 + milliseconds{999}), "2026-11-23T10:00:00Z");
    EXPECT_EQ(utc_date(kT0), "2026-11-23");
    EXPECT_TRUE(is_calendar_date("2028-02-29"));
    for (const char* bad :
         {"2027-02-29", "2026-13-01", "2026-1-01", "20261123", "2026-11-23Z", ""}) {
        EXPECT_FALSE(is_calendar_date(bad)) << bad;
    }
}

}  // namespace
}  // namespace chelete::simulators
