#include <array>
#include <atomic>
#include <charconv>

#include <unistd.h>

#include <chelete/platform/bus.hpp>

namespace chelete::platform::bus {

std::optional<Message> parse_entry(const std::string& stream, const RedisValue& entry) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string()) {
        return std::nullopt;
    }
    Message m;
    m.stream = stream;
    m.entry_id = std::string{entry[0].str()};
    const auto fields = entry[1];
    if (fields.is_nil()) {
        m.deleted = true;
        return m;
    }
    if (!fields.is_array() || fields.size() % 2 != 0) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
        const auto key = fields[i].str();
        const auto value = std::string{fields[i + 1].str()};
        if (key == "id") {
            m.id = value;
        } else if (key == "type") {
            m.type = value;
        } else if (key == "cid") {
            m.correlation_id = value;
        } else if (key == "reply_to") {
            m.reply_to = value;
        } else if (key == "payload") {
            m.payload = value;
        }
    }
    if (m.id.empty()) {
        // Without a stable id there is nothing to dedupe on; the entry id is the best we have.
        m.id = stream + "@" + m.entry_id;
    }
    return m;
}

std::vector<std::string> entry_fields(const Message& message) {
    std::vector<std::string> out{
        "id", message.id, "type", message.type, "cid", message.correlation_id};
    if (!message.reply_to.empty()) {
        out.emplace_back("reply_to");
        out.push_back(message.reply_to);
    }
    out.emplace_back("payload");
    out.push_back(message.payload);
    return out;
}

std::string default_consumer_name(const std::string& group) {
    static std::atomic<int> counter{0};
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) != 0) {
        host[0] = '\0';
    }
    return group + "-" + std::string{host.data()} + "-" + std::to_string(getpid()) + "-" +
           std::to_string(++counter);
}

std::optional<std::pair<std::int64_t, std::int64_t>> parse_entry_id(std::string_view id) {
    const auto dash = id.find('-');
    if (dash == std::string_view::npos) {
        return std::nullopt;
    }
    std::int64_t ms = 0;
    std::int64_t seq = 0;
    const auto a = std::from_chars(id.data(), id.data() + dash, ms);
    const auto b = std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
    if (a.ec != std::errc{} || a.ptr != id.data() + dash || b.ec != std::errc{} ||
        b.ptr != id.data() + id.size()) {
        return std::nullopt;
    }
    return std::make_pair(ms, seq);
}

void send_reply(
    RedisClient& redis, const BusOptions& bus, const Message& request, const std::string& reply
) {
    Message out;
    out.id = request.id + ":reply";
    out.type = request.type + ".reply";
    out.correlation_id = request.correlation_id;
    out.payload = reply;
    std::vector<std::string> args{
        "XADD", request.reply_to, "MAXLEN", "~", std::to_string(bus.reply_maxlen), "*"};
    for (auto& f : entry_fields(out)) {
        args.push_back(std::move(f));
    }
    const auto r = redis.command(args);
    if (r.is_error()) {
        throw std::runtime_error(
            "XADD reply to " + request.reply_to + " failed: " + std::string{r.str()}
        );
    }
}

}  // namespace chelete::platform::bus
