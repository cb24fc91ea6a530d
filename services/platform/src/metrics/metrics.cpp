#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <stdexcept>

#include <chelete/platform/metrics.hpp>

namespace chelete::platform::metrics {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(bounds_.size() + 1) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
        std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
        throw std::invalid_argument("histogram bounds must be strictly increasing");
    }
}

void Histogram::observe(double value) {
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    const auto index = static_cast<std::size_t>(it - bounds_.begin());
    buckets_[index].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    double cur = sum_.load(std::memory_order_relaxed);
    while (!sum_.compare_exchange_weak(cur, cur + value, std::memory_order_relaxed)) {
    }
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
    std::vector<std::uint64_t> out(bounds_.size() + 1);
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = buckets_[i].load(std::memory_order_relaxed);
    }
    return out;
}

std::vector<double> latency_buckets() {
    return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
}

template <typename T>
T& Family<T>::with(const LabelValues& values) {
    if (values.size() != labels_.size()) {
        throw std::invalid_argument(
            "metric " + name_ + " expects " + std::to_string(labels_.size()) + " label values"
        );
    }
    std::lock_guard lock{mutex_};
    auto& slot = children_[values];
    if (!slot) {
        if constexpr (std::is_same_v<T, Histogram>) {
            slot = std::make_unique<Histogram>(buckets_);
        } else {
            slot = std::make_unique<T>();
        }
    }
    return *slot;
}

template <typename T>
std::vector<std::pair<LabelValues, const T*>> Family<T>::children() const {
    std::lock_guard lock{mutex_};
    std::vector<std::pair<LabelValues, const T*>> out;
    out.reserve(children_.size());
    for (const auto& [labels, child] : children_) {
        out.emplace_back(labels, child.get());
    }
    return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

namespace {

bool valid_metric_name(const std::string& name) {
    if (name.empty()) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) {
            return false;
        }
    }
    return true;
}

std::string label_block(
    const std::vector<std::string>& names,
    const LabelValues& values,
    const std::string& extra_name = "",
    const std::string& extra_value = ""
) {
    if (names.empty() && extra_name.empty()) {
        return "";
    }
    std::string out = "{";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        out += names[i] + "=\"" + escape_label_value(values[i]) + "\"";
    }
    if (!extra_name.empty()) {
        if (!names.empty()) {
            out += ',';
        }
        out += extra_name + "=\"" + extra_value + "\"";
    }
    out += '}';
    return out;
}

/// Appends the parts in order, without the temporaries a chain of `+` would build.
void append(std::string& out, std::initializer_list<std::string_view> parts) {
    for (const std::string_view part : parts) {
        out.append(part);
    }
}

std::string escape_help(std::string_view help) {
    std::string out;
    for (const char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string format_value(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    std::array<char, 64> buf{};
    const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    return std::string{buf.data(), ptr};
}

void Registry::check_new(const std::string& name) const {
    if (!valid_metric_name(name)) {
        throw std::invalid_argument("invalid metric name: " + name);
    }
    if (counters_.count(name) + gauges_.count(name) + histograms_.count(name) +
            callbacks_.count(name) !=
        0) {
        throw std::invalid_argument("metric registered twice with different types: " + name);
    }
}

Family<Counter>& Registry::counter(
    const std::string& name, const std::string& help, std::vector<std::string> labels
) {
    std::lock_guard lock{mutex_};
    if (auto it = counters_.find(name); it != counters_.end()) {
        return *it->second;
    }
    check_new(name);
    auto& slot = counters_[name];
    slot = std::make_unique<Family<Counter>>(name, help, std::move(labels));
    return *slot;
}

Family<Gauge>& Registry::gauge(
    const std::string& name, const std::string& help, std::vector<std::string> labels
) {
    std::lock_guard lock{mutex_};
    if (auto it = gauges_.find(name); it != gauges_.end()) {
        return *it->second;
    }
    check_new(name);
    auto& slot = gauges_[name];
    slot = std::make_unique<Family<Gauge>>(name, help, std::move(labels));
    return *slot;
}

Family<Histogram>& Registry::histogram(
    const std::string& name,
    const std::string& help,
    std::vector<std::string> labels,
    std::vector<double> buckets
) {
    std::lock_guard lock{mutex_};
    if (auto it = histograms_.find(name); it != histograms_.end()) {
        return *it->second;
    }
    check_new(name);
    auto& slot = histograms_[name];
    slot = std::make_unique<Family<Histogram>>(name, help, std::move(labels), std::move(buckets));
    return *slot;
}

void Registry::callback_gauge(
    const std::string& name, const std::string& help, std::function<double()> fn
) {
    std::lock_guard lock{mutex_};
    if (callbacks_.contains(name)) {
        callbacks_[name] = {help, std::move(fn)};
        return;
    }
    check_new(name);
    callbacks_[name] = {help, std::move(fn)};
}

std::string Registry::render() const {
    std::lock_guard lock{mutex_};
    std::string out;
    for (const auto& [name, family] : counters_) {
        append(out, {"# HELP ", name, " ", escape_help(family->help()), "\n# TYPE ", name});
        out += " counter\n";
        for (const auto& [labels, child] : family->children()) {
            append(
                out,
                {name,
                 label_block(family->labels(), labels),
                 " ",
                 std::to_string(child->value()),
                 "\n"}
            );
        }
    }
    for (const auto& [name, family] : gauges_) {
        append(out, {"# HELP ", name, " ", escape_help(family->help()), "\n# TYPE ", name});
        out += " gauge\n";
        for (const auto& [labels, child] : family->children()) {
            append(
                out,
                {name,
                 label_block(family->labels(), labels),
                 " ",
                 format_value(child->value()),
                 "\n"}
            );
        }
    }
    for (const auto& [name, entry] : callbacks_) {
        append(out, {"# HELP ", name, " ", escape_help(entry.first), "\n# TYPE ", name});
        out += " gauge\n";
        append(out, {name, " ", format_value(entry.second()), "\n"});
    }
    for (const auto& [name, family] : histograms_) {
        append(out, {"# HELP ", name, " ", escape_help(family->help()), "\n# TYPE ", name});
        out += " histogram\n";
        for (const auto& [labels, child] : family->children()) {
            const auto counts = child->bucket_counts();
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < child->bounds().size(); ++i) {
                cumulative += counts[i];
                append(
                    out,
                    {name,
                     "_bucket",
                     label_block(family->labels(), labels, "le", format_value(child->bounds()[i])),
                     " ",
                     std::to_string(cumulative),
                     "\n"}
                );
            }
            cumulative += counts.back();
            append(
                out,
                {name,
                 "_bucket",
                 label_block(family->labels(), labels, "le", "+Inf"),
                 " ",
                 std::to_string(cumulative),
                 "\n"}
            );
            append(
                out,
                {name,
                 "_sum",
                 label_block(family->labels(), labels),
                 " ",
                 format_value(child->sum()),
                 "\n"}
            );
            append(
                out,
                {name,
                 "_count",
                 label_block(family->labels(), labels),
                 " ",
                 std::to_string(cumulative),
                 "\n"}
            );
        }
    }
    return out;
}

Registry& default_registry() {
    static Registry registry;
    return registry;
}

}  // namespace chelete::platform::metrics
