#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chelete/platform/metrics.hpp>

namespace chelete::platform::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, RendersCountersWithLabels) {
    Registry r;
    auto& f = r.counter("http_requests_total", "Requests", {"route", "status"});
    f.with({"/v1/x", "200"}).inc(3);
    f.with({"/v1/\"y\"\n", "500"}).inc();
    const auto text = r.render();
    EXPECT_THAT(text, HasSubstr("# TYPE http_requests_total counter\n"));
    EXPECT_THAT(text, HasSubstr("http_requests_total{route=\"/v1/x\",status=\"200\"} 3\n"));
    EXPECT_THAT(
        text, HasSubstr("http_requests_total{route=\"/v1/\\\"y\\\"\\n\",status=\"500\"} 1\n")
    );
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
    Registry r;
    // Binary-exact values, so the sum has one right answer.
    auto& h = r.histogram("latency_seconds", "Latency", {}, {0.25, 1.0});
    h.with({}).observe(0.125);
    h.with({}).observe(0.5);
    h.with({}).observe(4.0);
    h.with({}).observe(0.25);  // on the bound: counts in le="0.25"
    const auto text = r.render();
    EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"0.25\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"1\"} 3\n"));
    EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"+Inf\"} 4\n"));
    EXPECT_THAT(text, HasSubstr("latency_seconds_count 4\n"));
    EXPECT_THAT(text, HasSubstr("latency_seconds_sum 4.875\n"));
}

TEST(MetricsTest, GaugesAndCallbacks) {
    Registry r;
    r.gauge("queue_depth", "Depth").with({}).set(4.5);
    r.callback_gauge("pool_idle", "Idle", [] { return 2.0; });
    const auto text = r.render();
    EXPECT_THAT(text, HasSubstr("queue_depth 4.5\n"));
    EXPECT_THAT(text, HasSubstr("# TYPE pool_idle gauge\npool_idle 2\n"));
}

TEST(MetricsTest, RefusesBadNamesAndTypeClashes) {
    Registry r;
    EXPECT_THROW(r.counter("9bad", "x"), std::invalid_argument);
    r.counter("same", "x");
    EXPECT_THROW(r.gauge("same", "x"), std::invalid_argument);
    EXPECT_THROW(r.counter("labelled", "x", {"a"}).with({}), std::invalid_argument);
}

TEST(MetricsTest, FormatsSpecialValues) {
    EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
    EXPECT_EQ(format_value(0.25), "0.25");
}

}  // namespace
}  // namespace chelete::platform::metrics
