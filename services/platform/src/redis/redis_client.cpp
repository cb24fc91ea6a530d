#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <chelete/platform/redis.hpp>

namespace chelete::platform {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
    return tv;
}

}  // namespace

bool RedisValue::is_nil() const {
    return r_ == nullptr || r_->type == REDIS_REPLY_NIL;
}
bool RedisValue::is_error() const {
    return r_ != nullptr && r_->type == REDIS_REPLY_ERROR;
}
bool RedisValue::is_string() const {
    return r_ != nullptr && (r_->type == REDIS_REPLY_STRING || r_->type == REDIS_REPLY_STATUS);
}
bool RedisValue::is_integer() const {
    return r_ != nullptr && r_->type == REDIS_REPLY_INTEGER;
}
bool RedisValue::is_array() const {
    return r_ != nullptr && r_->type == REDIS_REPLY_ARRAY;
}
std::string_view RedisValue::str() const {
    if (r_ == nullptr || r_->str == nullptr ||
        (r_->type != REDIS_REPLY_STRING && r_->type != REDIS_REPLY_STATUS &&
         r_->type != REDIS_REPLY_ERROR)) {
        return {};
    }
    return {r_->str, r_->len};
}
long long RedisValue::integer() const {
    return is_integer() ? r_->integer : 0;
}
std::size_t RedisValue::size() const {
    return is_array() ? r_->elements : 0;
}
RedisValue RedisValue::operator[](std::size_t i) const {
    if (!is_array() || i >= r_->elements) {
        throw std::out_of_range("Redis reply has no element " + std::to_string(i));
    }
    return RedisValue{r_->element[i]};
}

RedisReply::RedisReply(redisReply* r) : r_(r) {}

void RedisReply::Deleter::operator()(redisReply* r) const {
    if (r != nullptr) {
        freeReplyObject(r);
    }
}

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)) {}

RedisClient::~RedisClient() {
    disconnect();
}

void RedisClient::disconnect() {
    if (ctx_ != nullptr) {
        redisFree(ctx_);
        ctx_ = nullptr;
    }
    pending_replies_ = 0;
}

void RedisClient::fail(const std::string& what) {
    std::string detail = what;
    if (ctx_ != nullptr && ctx_->err != 0) {
        detail += ": ";
        // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-array-to-pointer-decay): hiredis' char[128]
        detail += ctx_->errstr;
    }
    disconnect();
    throw RedisIoError(
        "redis " + options_.host + ":" + std::to_string(options_.port) + " " + detail
    );
}

void RedisClient::ensure_connected() {
    if (ctx_ != nullptr) {
        return;
    }
    ctx_ = redisConnectWithTimeout(
        options_.host.c_str(), options_.port, to_timeval(options_.connect_timeout)
    );
    if (ctx_ == nullptr) {
        throw RedisIoError("redis: cannot allocate a context");
    }
    if (ctx_->err != 0) {
        fail("connect failed");
    }
    if (redisSetTimeout(ctx_, to_timeval(options_.command_timeout)) != REDIS_OK) {
        fail("setting the socket timeout failed");
    }
    if (redisEnableKeepAlive(ctx_) != REDIS_OK) {
        fail("enabling keep-alive failed");
    }
    if (!options_.password.empty()) {
        const auto reply = command({"AUTH", options_.password});
        if (reply.is_error()) {
            const std::string why{reply.str()};
            disconnect();
            throw RedisIoError("redis AUTH refused: " + why);
        }
    }
}

RedisReply RedisClient::command(const std::vector<std::string>& args) {
    ensure_connected();
    if (pending_replies_ != 0) {
        throw std::logic_error("RedisClient::command while pipelined replies are unread");
    }
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    void* raw = redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data());
    if (raw == nullptr) {
        fail(args.empty() ? std::string{"command"} : args[0] + " failed");
    }
    return RedisReply{static_cast<redisReply*>(raw)};
}

void RedisClient::append(const std::vector<std::string>& args) {
    ensure_connected();
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
        fail("pipelining failed");
    }
    ++pending_replies_;
}

RedisReply RedisClient::read_reply() {
    if (ctx_ == nullptr || pending_replies_ == 0) {
        throw std::logic_error("RedisClient::read_reply without a pipelined command");
    }
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
        fail("reading a pipelined reply failed");
    }
    --pending_replies_;
    return RedisReply{static_cast<redisReply*>(raw)};
}

}  // namespace chelete::platform
