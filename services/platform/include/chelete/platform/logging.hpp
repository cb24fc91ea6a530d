#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class formatter;
}

namespace chelete::platform {

struct LogOptions {
    std::string service = "chelete";
    std::string level = "info";   // trace, debug, info, warn, error, critical, off
    std::string format = "json";  // json | text
};

/// Installs the process-wide default logger. JSON lines carry ts, level, service, the current
/// correlation id (`cid`) and the message; the message is escaped, so log lines stay parseable
/// whatever a partner or client sent.
void init_logging(const LogOptions& options);

/// The formatter init_logging() installs (exposed so tests can check the lines it writes).
[[nodiscard]] std::unique_ptr<spdlog::formatter> make_log_formatter(const LogOptions& options);

/// The correlation id of the work the current thread is doing ("" if none).
[[nodiscard]] const std::string& current_correlation_id();

/// Sets the thread's correlation id for a scope: an HTTP request, a stream message.
class CorrelationScope {
public:
    explicit CorrelationScope(std::string correlation_id);
    ~CorrelationScope();
    CorrelationScope(const CorrelationScope&) = delete;
    CorrelationScope& operator=(const CorrelationScope&) = delete;
    CorrelationScope(CorrelationScope&&) = delete;
    CorrelationScope& operator=(CorrelationScope&&) = delete;

private:
    std::string previous_;
};

/// Escapes text for inclusion inside a JSON string literal (no surrounding quotes).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace chelete::platform
