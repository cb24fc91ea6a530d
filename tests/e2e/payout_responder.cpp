#include "payout_responder.hpp"

#include <gtest/gtest.h>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/random_ids.hpp>
#include <chelete/platform/redis.hpp>
#include <chelete/testing/env.hpp>

namespace chelete::testing {
namespace {

namespace bus = platform::bus;
using nlohmann::json;

std::string publish(
    platform::RedisClient& redis,
    const std::string& stream,
    const json& payload,
    const std::string& type = "payout.outcome"
) {
    bus::Message m;
    m.id = platform::new_uuid();
    m.type = type;
    m.correlation_id = platform::new_uuid();
    m.payload = payload.dump();
    std::vector<std::string> args{"XADD", stream, "*"};
    for (auto& f : bus::entry_fields(m)) {
        args.push_back(std::move(f));
    }
    const auto r = redis.command(args);
    if (r.is_error()) {
        throw std::runtime_error("XADD " + stream + ": " + std::string{r.str()});
    }
    return m.id;
}

json outcome(const json& request, const std::string& what) {
    return json{
        {"remittance_id", request.value("remittance_id", std::string{})},
        {"outcome", what},
        {"partner_reference",
         what == "paid" ? "TEST-" + request.value("payout_reference", std::string{}) : ""},
        {"reason", what == "failed" ? "test partner: recipient wallet closed" : ""}};
}

}  // namespace

PayoutResponder::PayoutResponder(
    std::string command_stream, std::string event_stream, Decide decide
)
    : command_stream_(std::move(command_stream)),
      event_stream_(std::move(event_stream)),
      decide_(std::move(decide)) {
    thread_ = std::thread([this] { run(); });
}

PayoutResponder::~PayoutResponder() {
    stopping_ = true;
    if (thread_.joinable()) {
        thread_.join();
    }
}

int PayoutResponder::requests_for(const std::string& remittance_id) const {
    std::lock_guard lock{mutex_};
    const auto it = counts_.find(remittance_id);
    return it == counts_.end() ? 0 : it->second;
}

std::map<std::string, int> PayoutResponder::requests() const {
    std::lock_guard lock{mutex_};
    return counts_;
}

json PayoutResponder::request_of(const std::string& remittance_id) const {
    std::lock_guard lock{mutex_};
    const auto it = last_.find(remittance_id);
    return it == last_.end() ? json{} : it->second;
}

std::string PayoutResponder::answer(
    const std::string& remittance_id, const std::string& what, const std::string& payout_reference
) {
    platform::RedisClient redis{*redis_options()};
    return publish(
        redis,
        event_stream_,
        outcome(
            json{{"remittance_id", remittance_id}, {"payout_reference", payout_reference}}, what
        )
    );
}

std::string PayoutResponder::voucher(
    const std::string& remittance_id, const std::string& voucher_code, const std::string& expires_at
) {
    platform::RedisClient redis{*redis_options()};
    return publish(
        redis,
        event_stream_,
        json{
            {"remittance_id", remittance_id},
            {"voucher_code", voucher_code},
            {"expires_at", expires_at}},
        "payout.voucher_issued"
    );
}

void PayoutResponder::run() {
    platform::RedisClient redis{*redis_options()};
    redis.command({"XGROUP", "CREATE", command_stream_, "payout-test", "0", "MKSTREAM"});
    while (!stopping_) {
        const auto reply = redis.command(
            {"XREADGROUP",
             "GROUP",
             "payout-test",
             "responder",
             "COUNT",
             "64",
             "BLOCK",
             "100",
             "STREAMS",
             command_stream_,
             ">"}
        );
        if (reply.is_error() || reply.value().is_nil() || reply.value().size() == 0) {
            continue;
        }
        const auto entries = reply.value()[0][1];
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const auto m = bus::parse_entry(command_stream_, entries[i]);
            if (!m) {
                continue;
            }
            redis.command({"XACK", command_stream_, "payout-test", m->entry_id});
            const auto request = json::parse(m->payload, nullptr, false);
            const std::string id = request.value("remittance_id", std::string{});
            PayoutOutcome decided = PayoutOutcome::kNoAnswer;
            {
                std::lock_guard lock{mutex_};
                ++counts_[id];
                last_[id] = request;
            }
            decided = decide_(request);
            switch (decided) {
                case PayoutOutcome::kPaid:
                    publish(redis, event_stream_, outcome(request, "paid"));
                    break;
                case PayoutOutcome::kFailed:
                    publish(redis, event_stream_, outcome(request, "failed"));
                    break;
                case PayoutOutcome::kUnknownThenPaid:
                    publish(redis, event_stream_, outcome(request, "unknown"));
                    publish(redis, event_stream_, outcome(request, "paid"));
                    break;
                case PayoutOutcome::kUnknownThenFailed:
                    publish(redis, event_stream_, outcome(request, "unknown"));
                    publish(redis, event_stream_, outcome(request, "failed"));
                    break;
                case PayoutOutcome::kNoAnswer:
                    break;
            }
        }
    }
}

}  // namespace chelete::testing
