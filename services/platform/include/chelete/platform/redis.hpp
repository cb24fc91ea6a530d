#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;
struct redisReply;

namespace chelete::platform {

struct RedisOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string password;
    std::chrono::milliseconds connect_timeout{2000};
    /// Socket timeout; must exceed the longest BLOCK used on the connection (STYLE.md §3.3).
    std::chrono::milliseconds command_timeout{7000};
};

/// The connection is gone or in an unknown state; the context is dropped and the next command
/// reconnects. Pipelined commands whose replies were not read must be treated as "maybe applied".
class RedisIoError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A reply node; views into the owning reply tree stay valid while the RedisReply lives.
class RedisValue {
public:
    explicit RedisValue(const redisReply* r) : r_(r) {}
    [[nodiscard]] bool is_nil() const;
    [[nodiscard]] bool is_error() const;
    [[nodiscard]] bool is_string() const;  // bulk or status string
    [[nodiscard]] bool is_integer() const;
    [[nodiscard]] bool is_array() const;
    [[nodiscard]] std::string_view str() const;  // string, status or error text; "" otherwise
    [[nodiscard]] long long integer() const;
    [[nodiscard]] std::size_t size() const;                    // array length (0 if not an array)
    [[nodiscard]] RedisValue operator[](std::size_t i) const;  // throws std::out_of_range

private:
    const redisReply* r_;
};

class RedisReply {
public:
    explicit RedisReply(redisReply* r);
    [[nodiscard]] RedisValue value() const { return RedisValue{r_.get()}; }
    [[nodiscard]] bool is_error() const { return value().is_error(); }
    [[nodiscard]] std::string_view str() const { return value().str(); }

private:
    struct Deleter {
        void operator()(redisReply* r) const;
    };
    std::unique_ptr<redisReply, Deleter> r_;
};

/// One hiredis context: use from one thread at a time. Commands go through the Argv API with
/// explicit lengths, so client text never reaches a format string.
class RedisClient {
public:
    explicit RedisClient(RedisOptions options);
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;
    RedisClient(RedisClient&&) = delete;
    RedisClient& operator=(RedisClient&&) = delete;

    /// Sends one command and returns its reply (which may be an error reply). Throws RedisIoError.
    RedisReply command(const std::vector<std::string>& args);
    /// Pipelining: queue commands, then read exactly as many replies.
    void append(const std::vector<std::string>& args);
    RedisReply read_reply();

    [[nodiscard]] bool connected() const { return ctx_ != nullptr; }
    void disconnect();
    [[nodiscard]] const RedisOptions& options() const { return options_; }

private:
    void ensure_connected();
    [[noreturn]] void fail(const std::string& what);

    RedisOptions options_;
    redisContext* ctx_ = nullptr;
    std::size_t pending_replies_ = 0;
};

}  // namespace chelete::platform
