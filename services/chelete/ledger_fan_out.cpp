#include "ledger_fan_out.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include <chelete/platform/money.hpp>

namespace chelete::app {
namespace {

using gateway::HttpResponse;
using nlohmann::json;

HttpResponse json_answer(int status, const json& body) {
    HttpResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

HttpResponse no_answer() {
    HttpResponse r;
    r.status = 504;
    return r;
}

/// The first shard's reply that is missing (504) or not 200; nullopt when all are 200.
std::optional<HttpResponse> first_failure(const ShardReplies& replies) {
    for (const auto& r : replies) {
        if (!r) {
            return no_answer();
        }
        if (r->status != 200) {
            return *r;
        }
    }
    return std::nullopt;
}

/// A shard's amount; a missing or unreadable one makes the whole answer unreadable (502) rather
/// than a quiet zero in a sum finance relies on.
std::int64_t minor_of(const json& money) {
    if (!money.is_object() || !money.contains("amount") || !money["amount"].is_string()) {
        throw std::invalid_argument("a shard's amount is missing");
    }
    const auto parsed = platform::parse_minor_units(money["amount"].get<std::string>(), true);
    if (!parsed) {
        throw std::invalid_argument("a shard's amount is unreadable");
    }
    return parsed.value();
}

/// into += v, refusing to overflow (a shard's reply is not trusted to be sane).
void add(std::int64_t& into, std::int64_t v) {
    if (__builtin_add_overflow(into, v, &into)) {
        throw std::overflow_error("a sum over the shards overflows");
    }
}

HttpResponse unreadable() {
    HttpResponse r;
    r.status = 502;
    r.body = json{
        {"type", "about:blank"},
        {"title", "A ledger shard answered unreadably"},
        {"status",
         502}}.dump();
    r.content_type = "application/problem+json";
    return r;
}

json money_of(std::int64_t minor, const std::string& currency) {
    return json{{"amount", platform::format_minor_units(minor)}, {"currency", currency}};
}

}  // namespace

HttpResponse answer_of_holder(const ShardReplies& replies) {
    for (const auto& r : replies) {
        if (r && r->status == 200) {
            return *r;
        }
    }
    for (const auto& r : replies) {
        if (r && r->status != 404) {
            return *r;
        }
    }
    for (const auto& r : replies) {
        if (!r) {
            return no_answer();
        }
    }
    return replies.empty() ? no_answer() : *replies.front();
}

namespace {

HttpResponse sum_trial_balances(const ShardReplies& replies) {
    struct Line {
        std::int64_t accounts = 0;
        std::int64_t debits_posted = 0;
        std::int64_t credits_posted = 0;
        std::int64_t debits_pending = 0;
        std::int64_t credits_pending = 0;
    };
    std::map<std::string, std::map<std::int64_t, Line>> lines;  // by currency, then code
    // No transfer crosses shards, so each shard must balance on its own: one shard's excess
    // debits must not hide behind another's excess credits in the sum.
    std::map<std::string, bool> every_shard_balanced;  // by currency
    std::string as_of;
    json shards = json::array();
    for (std::size_t k = 0; k < replies.size(); ++k) {
        const json body = json::parse(replies[k]->body, nullptr, false);
        if (!body.is_object() || !body.contains("currencies") || !body["currencies"].is_array()) {
            return unreadable();
        }
        const std::string shard_as_of = body.value("as_of", std::string{});
        as_of = std::max(as_of, shard_as_of);  // RFC 3339 UTC of one width: the latest
        for (const auto& c : body["currencies"]) {
            const std::string currency = c.value("currency", std::string{});
            const json shard_lines = c.value("lines", json::array());
            const json shard_balanced = c.value("balanced", json{});
            if (!shard_balanced.is_boolean()) {
                return unreadable();
            }
            auto [flag, first] = every_shard_balanced.try_emplace(currency, true);
            flag->second = flag->second && shard_balanced.get<bool>();
            for (const auto& l : shard_lines) {
                Line& sum = lines[currency][l.value("code", std::int64_t{0})];
                add(sum.accounts, l.value("accounts", std::int64_t{0}));
                add(sum.debits_posted, minor_of(l.value("debits_posted", json{})));
                add(sum.credits_posted, minor_of(l.value("credits_posted", json{})));
                add(sum.debits_pending, minor_of(l.value("debits_pending", json{})));
                add(sum.credits_pending, minor_of(l.value("credits_pending", json{})));
            }
        }
        shards.push_back({{"shard", k}, {"as_of", shard_as_of}, {"currencies", body["currencies"]}}
        );
    }
    json currencies = json::array();
    for (const auto& [currency, by_code] : lines) {
        json rows = json::array();
        Line total;
        for (const auto& [code, l] : by_code) {
            std::int64_t net = l.debits_posted;
            if (__builtin_sub_overflow(l.debits_posted, l.credits_posted, &net) ||
                net == std::numeric_limits<std::int64_t>::min()) {
                throw std::overflow_error("a balance over the shards overflows");
            }
            rows.push_back(
                {{"code", code},
                 {"accounts", l.accounts},
                 {"debits_posted", money_of(l.debits_posted, currency)},
                 {"credits_posted", money_of(l.credits_posted, currency)},
                 {"debit_balance", money_of(net > 0 ? net : 0, currency)},
                 {"credit_balance", money_of(net < 0 ? -net : 0, currency)},
                 {"debits_pending", money_of(l.debits_pending, currency)},
                 {"credits_pending", money_of(l.credits_pending, currency)}}
            );
            add(total.debits_posted, l.debits_posted);
            add(total.credits_posted, l.credits_posted);
            add(total.debits_pending, l.debits_pending);
            add(total.credits_pending, l.credits_pending);
        }
        currencies.push_back(
            {{"currency", currency},
             {"lines", rows},
             {"total_debits_posted", money_of(total.debits_posted, currency)},
             {"total_credits_posted", money_of(total.credits_posted, currency)},
             {"balanced",
              every_shard_balanced[currency] && total.debits_posted == total.credits_posted &&
                  total.debits_pending == total.credits_pending}}
        );
    }
    return json_answer(200, {{"as_of", as_of}, {"currencies", currencies}, {"shards", shards}});
}

HttpResponse merge_verify_reports(const ShardReplies& replies) {
    bool ok = true;
    json checked = json::object();
    json problems = json::array();
    json shards = json::array();
    double seconds = 0;
    for (std::size_t k = 0; k < replies.size(); ++k) {
        json report = json::parse(replies[k]->body, nullptr, false);
        if (!report.is_object() || !report.contains("ok") || !report["ok"].is_boolean()) {
            return unreadable();
        }
        ok = ok && report["ok"].get<bool>();
        const json counts = report.value("checked", json::object());
        for (const auto& [name, count] : counts.items()) {
            if (count.is_number_integer()) {
                std::int64_t sum = checked.value(name, std::int64_t{0});
                add(sum, count.get<std::int64_t>());
                checked[name] = sum;
            }
        }
        const json shard_problems = report.value("problems", json::array());
        for (const auto& p : shard_problems) {
            problems.push_back(
                "shard " + std::to_string(k) + ": " +
                (p.is_string() ? p.get<std::string>() : p.dump())
            );
        }
        seconds = std::max(seconds, report.value("seconds", 0.0));
        report["shard"] = k;
        shards.push_back(std::move(report));
    }
    return json_answer(
        200,
        {{"ok", ok},
         {"checked", checked},
         {"problems", problems},
         {"seconds", seconds},
         {"shards", shards}}
    );
}

}  // namespace

HttpResponse summed_trial_balance(const ShardReplies& replies) {
    if (auto failure = first_failure(replies)) {
        return *failure;
    }
    try {
        return sum_trial_balances(replies);
    } catch (const std::exception&) {  // a field of the wrong type, a sum that overflows
        return unreadable();
    }
}

HttpResponse merged_verify_report(const ShardReplies& replies) {
    if (auto failure = first_failure(replies)) {
        return *failure;
    }
    try {
        return merge_verify_reports(replies);
    } catch (const std::exception&) {
        return unreadable();
    }
}

void shape_verify_request(json& envelope, std::size_t index, std::size_t count) {
    if (!envelope.contains("body") || !envelope["body"].is_object()) {
        return;
    }
    json& body = envelope["body"];
    std::size_t target = 0;
    if (body.contains("shard") && body["shard"].is_number_integer() &&
        body["shard"].get<std::int64_t>() >= 0 &&
        static_cast<std::size_t>(body["shard"].get<std::int64_t>()) < count) {
        target = static_cast<std::size_t>(body["shard"].get<std::int64_t>());
    }
    if (index != target) {
        body.erase("expect_head");
        body.erase("shard");
    }
}

}  // namespace chelete::app
