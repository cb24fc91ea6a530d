#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace chelete::platform::metrics {

/// Label values in the order of the family's label names.
using LabelValues = std::vector<std::string>;

class Counter {
public:
    void inc(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class Gauge {
public:
    void set(double v) { bits_.store(v, std::memory_order_relaxed); }
    void add(double by) {
        double cur = bits_.load(std::memory_order_relaxed);
        while (!bits_.compare_exchange_weak(cur, cur + by, std::memory_order_relaxed)) {
        }
    }
    [[nodiscard]] double value() const { return bits_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> bits_{0.0};
};

/// Cumulative buckets as Prometheus expects; observations are lock-free.
class Histogram {
public:
    explicit Histogram(std::vector<double> upper_bounds);
    void observe(double value);
    [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
    /// Per-bucket (non-cumulative) counts; the last is +Inf.
    [[nodiscard]] std::vector<std::uint64_t> bucket_counts() const;
    [[nodiscard]] std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
    [[nodiscard]] double sum() const { return sum_.load(std::memory_order_relaxed); }

private:
    std::vector<double> bounds_;
    std::vector<std::atomic<std::uint64_t>> buckets_;
    std::atomic<std::uint64_t> count_{0};
    std::atomic<double> sum_{0.0};
};

/// Default latency buckets in seconds: 0.5 ms .. 10 s.
[[nodiscard]] std::vector<double> latency_buckets();

enum class Kind { kCounter, kGauge, kHistogram };

/// A named metric with label names; children per label-value tuple are created on first use and
/// live as long as the registry (keep label cardinality bounded: routes, not ids).
template <typename T>
class Family {
public:
    Family(
        std::string name,
        std::string help,
        std::vector<std::string> labels,
        std::vector<double> buckets = {}
    )
        : name_(std::move(name)),
          help_(std::move(help)),
          labels_(std::move(labels)),
          buckets_(std::move(buckets)) {}

    T& with(const LabelValues& values);
    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] const std::string& help() const { return help_; }
    [[nodiscard]] const std::vector<std::string>& labels() const { return labels_; }
    /// Snapshot of children for exposition.
    [[nodiscard]] std::vector<std::pair<LabelValues, const T*>> children() const;

private:
    std::string name_;
    std::string help_;
    std::vector<std::string> labels_;
    std::vector<double> buckets_;
    mutable std::mutex mutex_;
    std::map<LabelValues, std::unique_ptr<T>> children_;
};

/// Holds every family and renders the Prometheus text exposition format (version 0.0.4).
class Registry {
public:
    Family<Counter>& counter(
        const std::string& name, const std::string& help, std::vector<std::string> labels = {}
    );
    Family<Gauge>& gauge(
        const std::string& name, const std::string& help, std::vector<std::string> labels = {}
    );
    Family<Histogram>& histogram(
        const std::string& name,
        const std::string& help,
        std::vector<std::string> labels = {},
        std::vector<double> buckets = latency_buckets()
    );
    /// A gauge computed at scrape time (queue lengths, pool sizes).
    void callback_gauge(
        const std::string& name, const std::string& help, std::function<double()> fn
    );

    [[nodiscard]] std::string render() const;

private:
    void check_new(const std::string& name) const;

    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Family<Counter>>> counters_;
    std::map<std::string, std::unique_ptr<Family<Gauge>>> gauges_;
    std::map<std::string, std::unique_ptr<Family<Histogram>>> histograms_;
    std::map<std::string, std::pair<std::string, std::function<double()>>> callbacks_;
};

/// The process-wide registry served at /metrics.
Registry& default_registry();

/// Escapes a label value for the exposition format (backslash, quote, newline).
[[nodiscard]] std::string escape_label_value(std::string_view value);
/// Formats a sample value as Prometheus expects (+Inf, -Inf, NaN, shortest round-trip decimal).
[[nodiscard]] std::string format_value(double value);

}  // namespace chelete::platform::metrics
