#include "common/payment_book.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <tuple>

#include <chelete/platform/money.hpp>

namespace chelete::simulators {
namespace {

using Json = nlohmann::json;

bool all_digits(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

const std::string* string_member(const Json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) {
        return nullptr;
    }
    return it->get_ptr<const std::string*>();
}

Json entry_json(const StatementEntry& entry) {
    return Json{
        {"reference", entry.reference},
        {"transaction_id", entry.transaction_id},
        {"msisdn", entry.msisdn},
        {"amount", platform::format_minor_units(entry.amount_minor)},
        {"completed_at", format_utc_seconds(entry.completed_at)}};
}

platform::Result<StatementFaults, std::string> parse_statement_faults(const Json& doc) {
    using platform::err;
    if (!doc.is_object()) {
        return err(std::string{"the body must be a JSON object"});
    }
    StatementFaults faults;
    for (const auto& [key, value] : doc.items()) {
        if (key != "drop" && key != "amount" && key != "extra") {
            return err("unknown member '" + key + "'");
        }
    }
    if (const auto it = doc.find("drop"); it != doc.end()) {
        if (!it->is_array()) {
            return err(std::string{"drop must be an array of references"});
        }
        for (const auto& reference : *it) {
            if (!reference.is_string()) {
                return err(std::string{"drop must be an array of references"});
            }
            faults.drop.insert(reference.get<std::string>());
        }
    }
    if (const auto it = doc.find("amount"); it != doc.end()) {
        if (!it->is_object()) {
            return err(std::string{"amount must map references to amounts"});
        }
        for (const auto& [reference, amount] : it->items()) {
            const auto minor = amount.is_string()
                                   ? platform::parse_minor_units(amount.get<std::string>())
                                   : platform::parse_minor_units("x");
            if (!minor.ok()) {
                return err("amount of '" + reference + "' must be a string like \"12.00\"");
            }
            faults.amount[reference] = minor.value();
        }
    }
    if (const auto it = doc.find("extra"); it != doc.end()) {
        if (!it->is_array()) {
            return err(std::string{"extra must be an array of entries"});
        }
        for (const auto& item : *it) {
            if (!item.is_object()) {
                return err(std::string{"extra must be an array of entries"});
            }
            const auto* reference = string_member(item, "reference");
            const auto* transaction_id = string_member(item, "transaction_id");
            const auto* msisdn = string_member(item, "msisdn");
            const auto* amount = string_member(item, "amount");
            const auto* completed_at = string_member(item, "completed_at");
            if (reference == nullptr || transaction_id == nullptr || msisdn == nullptr ||
                amount == nullptr || completed_at == nullptr) {
                return err(std::string{
                    "an extra entry needs reference, transaction_id, msisdn, amount and "
                    "completed_at, all strings"});
            }
            const auto minor = platform::parse_minor_units(*amount);
            const auto when = platform::parse_rfc3339(*completed_at);
            if (!minor.ok() || !when) {
                return err(
                    "extra entry '" + *reference +
                    "': amount like \"12.00\" and completed_at "
                    "in RFC 3339"
                );
            }
            faults.extra.push_back(StatementEntry{
                *reference, *transaction_id, *msisdn, minor.value(), *when});
        }
    }
    return faults;
}

}  // namespace

PaymentStatus status_at(const Payment& payment, platform::TimePoint now) {
    if (now < payment.result_at) {
        return PaymentStatus::kPending;
    }
    return payment.paid ? PaymentStatus::kCompleted : PaymentStatus::kFailed;
}

const Payment* PaymentBook::find(const std::string& reference) const {
    const auto it = payments_.find(reference);
    return it == payments_.end() ? nullptr : &it->second;
}

const Payment* PaymentBook::add(Payment payment) {
    if (payments_.contains(payment.reference)) {
        return nullptr;
    }
    if (payment.paid) {
        if (payment.amount_minor > float_minor_) {
            return nullptr;
        }
        float_minor_ -= payment.amount_minor;
    }
    order_.push_back(payment.reference);
    const auto [it, inserted] = payments_.emplace(payment.reference, std::move(payment));
    return &it->second;
}

std::vector<StatementEntry> PaymentBook::statement(std::string_view date, platform::TimePoint now)
    const {
    std::vector<StatementEntry> out;
    for (const auto& [reference, payment] : payments_) {
        if (status_at(payment, now) != PaymentStatus::kCompleted ||
            utc_date(payment.result_at) != date || faults_.drop.contains(reference)) {
            continue;
        }
        StatementEntry entry{
            reference,
            payment.transaction_id,
            payment.msisdn,
            payment.amount_minor,
            payment.result_at};
        if (const auto it = faults_.amount.find(reference); it != faults_.amount.end()) {
            entry.amount_minor = it->second;
        }
        out.push_back(std::move(entry));
    }
    for (const auto& extra : faults_.extra) {
        if (utc_date(extra.completed_at) == date) {
            out.push_back(extra);
        }
    }
    std::sort(out.begin(), out.end(), [](const StatementEntry& a, const StatementEntry& b) {
        return std::tie(a.completed_at, a.reference) < std::tie(b.completed_at, b.reference);
    });
    return out;
}

Json PaymentBook::admin_json(platform::TimePoint now) const {
    Json list = Json::array();
    std::int64_t completed = 0;
    for (const auto& reference : order_) {
        const Payment& payment = payments_.at(reference);
        const auto status = status_at(payment, now);
        Json item{
            {"reference", payment.reference},
            {"transaction_id", payment.transaction_id},
            {"msisdn", payment.msisdn},
            {"amount", platform::format_minor_units(payment.amount_minor)},
            {"status",
             status == PaymentStatus::kCompleted
                 ? "completed"
                 : (status == PaymentStatus::kFailed ? "failed" : "pending")},
            {"completed_at", nullptr}};
        if (status == PaymentStatus::kCompleted) {
            item["completed_at"] = format_utc_seconds(payment.result_at);
            ++completed;
        }
        list.push_back(std::move(item));
    }
    return Json{{"payments", std::move(list)}, {"completed", completed}};
}

RequestFaults draw_request_faults(
    FaultSchedule& schedule, const CallbackFaultRates& rates, std::uint64_t variants
) {
    RequestFaults out;
    out.fault = schedule.next();
    out.unknown_variant = schedule.pick(variants);
    out.unknown_paid = schedule.chance(rates.unknown_paid_ppm);
    out.drop_callback = schedule.chance(rates.drop_ppm);
    out.duplicate_callback = schedule.chance(rates.duplicate_ppm);
    out.out_of_order = schedule.chance(rates.out_of_order_ppm);
    out.forged_callback = schedule.chance(rates.forged_ppm);
    return out;
}

void enqueue_callbacks(
    CallbackOutbox& outbox,
    const std::string& url,
    const std::string& reference,
    const CallbackBodies& bodies,
    platform::TimePoint due,
    const RequestFaults& faults
) {
    using std::chrono::milliseconds;
    if (faults.drop_callback) {
        return;
    }
    if (faults.forged_callback) {
        outbox.enqueue(OutgoingCallback{url, bodies.forged_body, reference, true, false, due, 0});
    }
    outbox.enqueue(OutgoingCallback{url, bodies.final_body, reference, false, false, due, 0});
    if (faults.out_of_order) {
        outbox.enqueue(OutgoingCallback{
            url, bodies.stale_body, reference, false, true, due + milliseconds{250}, 0});
    }
    if (faults.duplicate_callback) {
        outbox.enqueue(OutgoingCallback{
            url, bodies.final_body, reference, false, false, due + milliseconds{1100}, 0});
    }
}

std::optional<SimResponse> handle_payment_admin(
    const SimRequest& request,
    PaymentBook& book,
    const CallbackOutbox& outbox,
    platform::TimePoint now
) {
    if (request.path == "/admin/payments") {
        if (request.method != "GET") {
            return method_not_allowed("GET");
        }
        return json_response(200, book.admin_json(now));
    }
    if (request.path == "/admin/float") {
        if (request.method == "GET") {
            return json_response(
                200, Json{{"balance", platform::format_minor_units(book.float_minor())}}
            );
        }
        if (request.method != "POST") {
            return method_not_allowed("GET, POST");
        }
        const Json doc = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
        const auto* balance = doc.is_object() ? string_member(doc, "balance") : nullptr;
        const auto minor = platform::parse_minor_units(balance != nullptr ? *balance : "x");
        if (!minor.ok()) {
            return error_response(400, "invalid_request", R"(body must be {"balance":"1000.00"})");
        }
        book.set_float(minor.value());
        return json_response(200, Json{{"balance", platform::format_minor_units(minor.value())}});
    }
    if (request.path == "/admin/statement-faults") {
        if (request.method != "POST") {
            return method_not_allowed("POST");
        }
        const Json doc = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
        auto faults = parse_statement_faults(doc);
        if (!faults.ok()) {
            return error_response(400, "invalid_request", faults.error());
        }
        Json echo{{"drop", Json::array()}, {"amount", Json::object()}, {"extra", Json::array()}};
        for (const auto& reference : faults.value().drop) {
            echo["drop"].push_back(reference);
        }
        for (const auto& [reference, minor] : faults.value().amount) {
            echo["amount"][reference] = platform::format_minor_units(minor);
        }
        for (const auto& entry : faults.value().extra) {
            echo["extra"].push_back(entry_json(entry));
        }
        book.set_statement_faults(std::move(faults).value());
        return json_response(200, echo);
    }
    if (request.path == "/admin/callbacks") {
        if (request.method != "GET") {
            return method_not_allowed("GET");
        }
        Json list = Json::array();
        for (const auto& attempt : outbox.attempts()) {
            list.push_back(Json{
                {"reference", attempt.reference},
                {"forged", attempt.forged},
                {"stale", attempt.stale},
                {"delivered", attempt.delivered},
                {"status", attempt.status}});
        }
        return json_response(200, Json{{"callbacks", std::move(list)}});
    }
    return std::nullopt;
}

SimResponse statement_response(std::string_view date, const std::vector<StatementEntry>& entries) {
    Json list = Json::array();
    for (const auto& entry : entries) {
        Json item = entry_json(entry);
        item["currency"] = "LSL";
        list.push_back(std::move(item));
    }
    return json_response(200, Json{{"date", date}, {"entries", std::move(list)}});
}

bool is_lesotho_mobile(std::string_view msisdn) {
    constexpr std::size_t kLength = 11;
    return msisdn.size() == kLength && msisdn.substr(0, 3) == "266" &&
           (msisdn[3] == '5' || msisdn[3] == '6') && all_digits(msisdn);
}

std::optional<std::int64_t> parse_positive_amount(std::string_view text) {
    const auto minor = platform::parse_minor_units(text);
    if (!minor.ok() || minor.value() <= 0) {
        return std::nullopt;
    }
    return minor.value();
}

std::string format_utc_seconds(platform::TimePoint t) {
    using namespace std::chrono;
    const auto seconds = floor<std::chrono::seconds>(t);
    const auto day = floor<days>(seconds);
    const year_month_day ymd{day};
    const hh_mm_ss time{seconds - day};
    std::array<char, 32> buffer{};
    const int written = std::snprintf(  // NOLINT(cppcoreguidelines-pro-type-vararg)
        buffer.data(),
        buffer.size(),
        "%04d-%02u-%02uT%02d:%02d:%02dZ",
        static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()),
        static_cast<unsigned>(ymd.day()),
        static_cast<int>(time.hours().count()),
        static_cast<int>(time.minutes().count()),
        static_cast<int>(time.seconds().count())
    );
    if (written <= 0 || static_cast<std::size_t>(written) >= buffer.size()) {
        throw std::logic_error("a UTC time did not fit its buffer");
    }
    return buffer.data();
}

std::string utc_date(platform::TimePoint t) {
    return format_utc_seconds(t).substr(0, 10);
}

bool is_calendar_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !all_digits(text.substr(0, 4)) ||
        !all_digits(text.substr(5, 2)) || !all_digits(text.substr(8, 2))) {
        return false;
    }
    const auto number = [&](std::size_t at, std::size_t n) {
        int value = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            value = value * 10 + (text[i] - '0');
        }
        return value;
    };
    const std::chrono::year_month_day ymd{
        std::chrono::year{number(0, 4)},
        std::chrono::month{static_cast<unsigned>(number(5, 2))},
        std::chrono::day{static_cast<unsigned>(number(8, 2))}};
    return ymd.ok();
}

SimResponse service_unavailable() {
    auto response = error_response(503, "service_unavailable");
    response.headers.emplace_back("Retry-After", "1");
    return response;
}

SimResponse health(const SimRequest& request) {
    if (request.method != "GET") {
        return method_not_allowed("GET");
    }
    return json_response(200, Json{{"status", "ok"}});
}

SimResponse method_not_allowed(std::string_view allow) {
    auto response = error_response(405, "method_not_allowed");
    response.headers.emplace_back("Allow", std::string{allow});
    return response;
}

}  // namespace chelete::simulators
