#include <chrono>
#include <cstdio>
#include <string_view>

#include <spdlog/details/os.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/logging.hpp>

namespace chelete::platform {
namespace {

// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): per-thread state by design
thread_local std::string t_correlation_id;

/// One JSON object per line. Formatting happens on the logging thread (the logger is synchronous),
/// so the thread-local correlation id is the caller's.
class JsonFormatter final : public spdlog::formatter {
public:
    explicit JsonFormatter(std::string service) : service_(std::move(service)) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        std::string line;
        line.reserve(160 + msg.payload.size());
        line += R"({"ts":")";
        line += format_rfc3339(std::chrono::time_point_cast<TimePoint::duration>(msg.time));
        line += R"(","level":")";
        const auto level = spdlog::level::to_string_view(msg.level);
        line.append(level.data(), level.size());
        line += R"(","service":")";
        append_json_escaped(line, service_);
        line += R"(","thread":)";
        line += std::to_string(msg.thread_id);
        if (!t_correlation_id.empty()) {
            line += R"(,"cid":")";
            append_json_escaped(line, t_correlation_id);
            line += '"';
        }
        line += R"(,"msg":")";
        append_json_escaped(line, std::string_view{msg.payload.data(), msg.payload.size()});
        line += "\"}\n";
        dest.append(line.data(), line.data() + line.size());
    }

    [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>(service_);
    }

private:
    std::string service_;
};

/// Text lines for people at a terminal, with the correlation id when there is one.
class TextFormatter final : public spdlog::formatter {
public:
    explicit TextFormatter(std::string service) : service_(std::move(service)) {}
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        std::string line =
            format_rfc3339(std::chrono::time_point_cast<TimePoint::duration>(msg.time));
        line += ' ';
        const auto level = spdlog::level::to_string_view(msg.level);
        line.append(level.data(), level.size());
        line += ' ';
        line += service_;
        if (!t_correlation_id.empty()) {
            line += " [" + t_correlation_id + "]";
        }
        line += ' ';
        line.append(msg.payload.data(), msg.payload.size());
        line += '\n';
        dest.append(line.data(), line.data() + line.size());
    }
    [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<TextFormatter>(service_);
    }

private:
    std::string service_;
};

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
    constexpr std::string_view kHex = "0123456789abcdef";
    for (const char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += "\\u00";
                    out += kHex[(static_cast<unsigned char>(c) >> 4U) & 0xFU];
                    out += kHex[static_cast<unsigned char>(c) & 0xFU];
                } else {
                    out += c;
                }
        }
    }
}

std::unique_ptr<spdlog::formatter> make_log_formatter(const LogOptions& options) {
    if (options.format == "text") {
        return std::make_unique<TextFormatter>(options.service);
    }
    return std::make_unique<JsonFormatter>(options.service);
}

void init_logging(const LogOptions& options) {
    auto logger = spdlog::stderr_logger_mt(
        "chelete-" + options.service + "-" + std::to_string(spdlog::details::os::pid())
    );
    logger->set_formatter(make_log_formatter(options));
    logger->set_level(spdlog::level::from_str(options.level));
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
}

const std::string& current_correlation_id() {
    return t_correlation_id;
}

CorrelationScope::CorrelationScope(std::string correlation_id)
    : previous_(std::move(t_correlation_id)) {
    t_correlation_id = std::move(correlation_id);
}

CorrelationScope::~CorrelationScope() {
    t_correlation_id = std::move(previous_);
}

}  // namespace chelete::platform
