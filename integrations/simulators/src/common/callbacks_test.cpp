#include "common/callbacks.hpp"

#include <gtest/gtest.h>

#include "testing/test_keys.hpp"

namespace chelete::simulators {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Sent {
    std::string url;
    CallbackHeaders headers;
    std::string body;
};

/// A receiver that answers from a script (then 200) and remembers what it got.
struct FakeReceiver {
    std::vector<long> script;
    std::vector<Sent> sent;

    CallbackTransport transport() {
        return [this](
                   const std::string& url,
                   const CallbackHeaders& headers,
                   const std::string& body,
                   const std::atomic<bool>& /*cancel*/
               ) -> long {
            const long status = sent.size() < script.size() ? script.at(sent.size()) : 200;
            sent.push_back(Sent{url, headers, body});
            return status;
        };
    }
};

std::string header(const Sent& sent, const std::string& name) {
    for (const auto& [n, v] : sent.headers) {
        if (n == name) {
            return v;
        }
    }
    return {};
}

OutgoingCallback callback(
    platform::TimePoint due, const std::string& reference, bool forged = false
) {
    return OutgoingCallback{
        "http://127.0.0.1:1/cb",
        R"({"ref":")" + reference + "\"}",
        reference,
        forged,
        false,
        due,
        0};
}

TEST(SignCallback, IsHmacSha256OfTimestampDotBody) {
    const auto signature = sign_callback("s3cret", 1'795'000'000, R"({"a":1})");
    EXPECT_EQ(signature.timestamp, "1795000000");
    EXPECT_EQ(
        signature.signature,
        "v1=" + testing::reference_hmac_hex("s3cret", std::string{"1795000000."} + R"({"a":1})")
    );
}

TEST(CallbackOutbox, KeepsDueOrderAndInsertionOrderForTies) {
    const platform::ManualClock clock;
    CallbackOutbox outbox;
    outbox.enqueue(callback(clock.now() + milliseconds{20}, "late"));
    outbox.enqueue(callback(clock.now() + milliseconds{10}, "first"));
    outbox.enqueue(callback(clock.now() + milliseconds{10}, "second"));
    const auto pending = outbox.pending();
    ASSERT_EQ(pending.size(), 3U);
    EXPECT_EQ(pending[0].reference, "first");
    EXPECT_EQ(pending[1].reference, "second");
    EXPECT_EQ(pending[2].reference, "late");
    EXPECT_FALSE(outbox.take_due(clock.now()).has_value());
    EXPECT_EQ(outbox.take_due(clock.now() + milliseconds{10})->reference, "first");
}

TEST(CallbackSender, SendsOnlyWhatIsDueSignedWithTheSecretAtSendTime) {
    platform::ManualClock clock;
    CallbackOutbox outbox;
    FakeReceiver receiver;
    CallbackSender sender{
        outbox, clock, CallbackSenderOptions{"s3cret", 3, seconds{1}}, receiver.transport()};
    outbox.enqueue(callback(clock.now() + milliseconds{50}, "R1"));
    EXPECT_EQ(sender.deliver_due(), 0U);
    clock.advance(milliseconds{50});
    EXPECT_EQ(sender.deliver_due(), 1U);
    ASSERT_EQ(receiver.sent.size(), 1U);
    const Sent& sent = receiver.sent[0];
    EXPECT_EQ(sent.url, "http://127.0.0.1:1/cb");
    EXPECT_EQ(header(sent, "Content-Type"), "application/json");
    const auto ts = header(sent, "X-Chelete-Timestamp");
    EXPECT_EQ(
        ts,
        std::to_string(std::chrono::duration_cast<seconds>(clock.now().time_since_epoch()).count())
    );
    EXPECT_EQ(
        header(sent, "X-Chelete-Signature"),
        "v1=" + testing::reference_hmac_hex("s3cret", ts + "." + sent.body)
    );
    const auto attempts = outbox.attempts();
    ASSERT_EQ(attempts.size(), 1U);
    EXPECT_TRUE(attempts[0].delivered);
    EXPECT_EQ(attempts[0].status, 200);
    EXPECT_TRUE(outbox.pending().empty());
}

TEST(CallbackSender, AForgedCopyCarriesAWellFormedWrongSignature) {
    platform::ManualClock clock;
    CallbackOutbox outbox;
    FakeReceiver receiver;
    CallbackSender sender{
        outbox, clock, CallbackSenderOptions{"s3cret", 3, seconds{1}}, receiver.transport()};
    outbox.enqueue(callback(clock.now(), "R1", true));
    sender.deliver_due();
    ASSERT_EQ(receiver.sent.size(), 1U);
    const auto ts = header(receiver.sent[0], "X-Chelete-Timestamp");
    const auto signature = header(receiver.sent[0], "X-Chelete-Signature");
    EXPECT_EQ(signature.size(), 3U + 64U);
    EXPECT_NE(
        signature, "v1=" + testing::reference_hmac_hex("s3cret", ts + "." + receiver.sent[0].body)
    );
    EXPECT_TRUE(outbox.attempts().at(0).forged);
}

TEST(CallbackSender, RetriesAFailedDeliveryThreeTimesOneSecondApartThenGivesUp) {
    platform::ManualClock clock;
    CallbackOutbox outbox;
    FakeReceiver receiver{{500, 0, 503, 502, 200}, {}};
    CallbackSender sender{
        outbox, clock, CallbackSenderOptions{"s", 3, seconds{1}}, receiver.transport()};
    outbox.enqueue(callback(clock.now(), "R1"));
    EXPECT_EQ(sender.deliver_due(), 1U);
    EXPECT_EQ(sender.deliver_due(), 0U);  // the retry waits its second
    for (int i = 0; i < 3; ++i) {
        clock.advance(milliseconds{999});
        EXPECT_EQ(sender.deliver_due(), 0U);
        clock.advance(milliseconds{1});
        EXPECT_EQ(sender.deliver_due(), 1U);
    }
    clock.advance(seconds{10});
    EXPECT_EQ(sender.deliver_due(), 0U);  // 1 + 3 attempts, then nothing more
    const auto attempts = outbox.attempts();
    ASSERT_EQ(attempts.size(), 4U);
    EXPECT_EQ(attempts[0].status, 500);
    EXPECT_EQ(attempts[1].status, 0);
    EXPECT_EQ(attempts[3].status, 502);
    for (const auto& attempt : attempts) {
        EXPECT_FALSE(attempt.delivered);
    }
    // Each retry is signed anew: its own timestamp, so it is not a replay.
    EXPECT_NE(
        header(receiver.sent[0], "X-Chelete-Timestamp"),
        header(receiver.sent[1], "X-Chelete-Timestamp")
    );
}

TEST(CallbackSender, StopsRetryingOnceDeliveredAndHonoursTheRetriesOption) {
    platform::ManualClock clock;
    CallbackOutbox outbox;
    FakeReceiver receiver{{404, 204}, {}};
    CallbackSender sender{
        outbox, clock, CallbackSenderOptions{"s", 0, seconds{1}}, receiver.transport()};
    outbox.enqueue(callback(clock.now(), "R1"));
    sender.deliver_due();
    clock.advance(seconds{5});
    EXPECT_EQ(sender.deliver_due(), 0U);  // --callback-retries 0: one attempt only
    EXPECT_EQ(outbox.attempts().size(), 1U);

    FakeReceiver second{{500, 204}, {}};
    CallbackOutbox outbox2;
    CallbackSender sender2{
        outbox2, clock, CallbackSenderOptions{"s", 3, seconds{1}}, second.transport()};
    outbox2.enqueue(callback(clock.now(), "R2"));
    sender2.deliver_due();
    clock.advance(seconds{1});
    sender2.deliver_due();
    clock.advance(seconds{5});
    EXPECT_EQ(sender2.deliver_due(), 0U);
    ASSERT_EQ(outbox2.attempts().size(), 2U);
    EXPECT_TRUE(outbox2.attempts()[1].delivered);
}

TEST(CallbackSender, StopDropsEverythingPendingAndRefusesMore) {
    platform::ManualClock clock;
    CallbackOutbox outbox;
    FakeReceiver receiver;
    CallbackSender sender{
        outbox, clock, CallbackSenderOptions{"s", 3, seconds{1}}, receiver.transport()};
    outbox.enqueue(callback(clock.now() + seconds{1}, "R1"));
    sender.stop();
    EXPECT_TRUE(outbox.closed());
    EXPECT_TRUE(outbox.pending().empty());
    outbox.enqueue(callback(clock.now(), "R2"));
    EXPECT_TRUE(outbox.pending().empty());
    clock.advance(seconds{2});
    EXPECT_EQ(sender.deliver_due(), 0U);
    EXPECT_TRUE(receiver.sent.empty());
}

}  // namespace
}  // namespace chelete::simulators
