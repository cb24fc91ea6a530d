#include <algorithm>

#include <chelete/central_bank/records.hpp>
#include <chelete/platform/id.hpp>
#include <chelete/platform/money.hpp>

namespace chelete::central_bank {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxText = 1000;
constexpr std::string_view kTimeZone = "+02:00";

/// Reads members of one object; the first problem wins and names the member's path.
class Reader {
public:
    Reader(const json& object, std::string path, std::string& error)
        : object_(object), path_(std::move(path)), error_(error) {
        if (!object_.is_object() && error_.empty()) {
            error_ = (path_.empty() ? std::string{"the payload"} : path_) + ": must be an object";
        }
    }

    [[nodiscard]] std::string name(const char* key) const {
        return path_.empty() ? std::string{key} : path_ + "." + key;
    }

    /// A string member; "" when absent or null and not required.
    std::string text(const char* key, bool required = false) {
        if (!ok()) {
            return {};
        }
        const auto it = object_.find(key);
        if (it == object_.end() || it->is_null()) {
            if (required) {
                fail(key, "is required");
            }
            return {};
        }
        if (!it->is_string()) {
            fail(key, "must be a string");
            return {};
        }
        std::string value = it->get<std::string>();
        if (value.size() > kMaxText) {
            fail(key, "is longer than 1000 bytes");
            return {};
        }
        if (required && value.empty()) {
            fail(key, "must not be empty");
        }
        return value;
    }

    TimePoint time(const char* key) {
        const std::string value = text(key, true);
        if (!ok()) {
            return {};
        }
        const auto t = platform::parse_rfc3339(value);
        if (!t) {
            fail(key, "must be an RFC 3339 date-time");
            return {};
        }
        return *t;
    }

    std::int64_t integer(const json& object, const char* key, const std::string& where) {
        if (!ok()) {
            return 0;
        }
        const auto it = object.find(key);
        if (it == object.end() || !it->is_number_integer()) {
            fail_at(where.empty() ? key : where + "." + key, "must be an integer");
            return 0;
        }
        if (it->is_number_unsigned() &&
            it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
            fail_at(where.empty() ? key : where + "." + key, "is out of range");
            return 0;
        }
        return it->get<std::int64_t>();
    }

    /// {"amount_minor": N, "currency": C} with C == currency and N >= 0.
    std::int64_t money(const char* key, std::string_view currency) {
        if (!ok()) {
            return 0;
        }
        const auto it = object_.find(key);
        if (it == object_.end() || !it->is_object()) {
            fail(key, "must be an object {amount_minor, currency}");
            return 0;
        }
        const std::int64_t minor = integer(*it, "amount_minor", name(key));
        if (!ok()) {
            return 0;
        }
        if (minor < 0) {
            fail(key, "must not be negative");
            return 0;
        }
        const auto c = it->find("currency");
        if (c == it->end() || !c->is_string() || c->get<std::string>() != currency) {
            fail(key, "currency must be " + std::string{currency});
            return 0;
        }
        return minor;
    }

    const json& child(const char* key) {
        static const json kNull;
        const auto it = object_.is_object() ? object_.find(key) : object_.end();
        if (it == object_.end()) {
            if (ok()) {
                fail(key, "is required");
            }
            return kNull;
        }
        return *it;
    }

    void fail(const char* key, const std::string& message) { fail_at(name(key), message); }
    void fail_at(const std::string& where, const std::string& message) {
        if (error_.empty()) {
            error_ = where + ": " + message;
        }
    }
    [[nodiscard]] bool ok() const { return error_.empty(); }

private:
    const json& object_;
    std::string path_;
    std::string& error_;
};

json nullable(const std::string& s) {
    return s.empty() ? json(nullptr) : json(s);
}

json minor_json(std::int64_t minor, std::string_view currency) {
    return json{{"amount_minor", minor}, {"currency", currency}};
}

json money_json(std::int64_t minor, std::string_view currency) {
    return json{{"amount", platform::format_minor_units(minor)}, {"currency", currency}};
}

json period_json(Date day) {
    const DayWindow w = business_day_window(day);
    return json{{"from", platform::format_rfc3339(w.from)}, {"to", platform::format_rfc3339(w.to)}};
}

bool one_of(const std::string& value, std::initializer_list<std::string_view> allowed) {
    return std::ranges::any_of(allowed, [&](std::string_view a) { return value == a; });
}

}  // namespace

platform::Result<CompletedRemittance, std::string> parse_completed_event(std::string_view payload) {
    const json j = json::parse(payload, nullptr, false);
    if (j.is_discarded()) {
        return platform::err(std::string{"the payload is not JSON"});
    }
    std::string error;
    Reader top{j, "", error};
    CompletedRemittance r;
    r.remittance_id = top.text("remittance_id", true);
    if (top.ok() && !platform::Id128::parse(r.remittance_id)) {
        top.fail("remittance_id", "must be a uuid");
    }
    r.reference = top.text("reference", true);
    r.status = top.text("status", true);
    if (top.ok() && !one_of(r.status, {"paid", "refunded", "cancelled", "rejected"})) {
        top.fail("status", "must be paid, refunded, cancelled or rejected");
    }
    r.reason = top.text("reason");
    r.created_at = top.time("created_at");
    r.completed_at = top.time("completed_at");
    r.send_minor = top.money("send_amount", "ZAR");
    r.fee_minor = top.money("fee", "ZAR");
    r.receive_minor = top.money("receive_amount", "LSL");
    if (top.ok() && r.send_minor <= 0) {
        top.fail("send_amount", "must be positive");
    }
    if (top.ok() && r.fee_minor >= r.send_minor) {
        top.fail("fee", "must be below the send amount");
    }
    r.rate = top.text("rate", true);
    r.purpose = top.text("purpose", true);
    r.bop_category = top.text("bop_category", true);
    r.source_of_funds = top.text("source_of_funds");
    r.compliance_case_id = top.text("compliance_case_id");
    const json& payout = top.child("payout");
    Reader p{payout, "payout", error};
    r.payout_method = p.text("method", true);
    r.partner_reference = p.text("partner_reference");
    const json& sender = top.child("sender");
    Reader s{sender, "sender", error};
    r.sender.id = s.text("id", true);
    r.sender.full_name = s.text("full_name", true);
    r.sender.date_of_birth = s.text("date_of_birth");
    r.sender.kyc_tier = s.text("kyc_tier");
    r.sender.phone = s.text("phone");
    r.sender.nationality = s.text("nationality");
    r.sender.id_type = s.text("id_type");
    r.sender.id_number_masked = s.text("id_number_masked");
    r.sender.employer_name = s.text("employer_name");
    r.sender.address = s.text("address");
    r.sender.gender = s.text("gender");
    r.sender.country = s.text("country");
    const json& beneficiary = top.child("beneficiary");
    Reader b{beneficiary, "beneficiary", error};
    r.beneficiary.id = b.text("id", true);
    r.beneficiary.full_name = b.text("full_name", true);
    r.beneficiary.phone = b.text("phone");
    r.beneficiary.relationship = b.text("relationship");
    r.beneficiary.national_id_masked = b.text("national_id_masked");
    r.beneficiary.district = b.text("district");
    r.beneficiary.country = b.text("country");
    if (!error.empty()) {
        return platform::err(std::move(error));
    }
    // Timestamps are kept to the millisecond, as they were formatted.
    r.created_at = platform::from_unix_ms(platform::to_unix_ms(r.created_at));
    r.completed_at = platform::from_unix_ms(platform::to_unix_ms(r.completed_at));
    return r;
}

json completed_event_json(const CompletedRemittance& r) {
    const auto& s = r.sender;
    const auto& b = r.beneficiary;
    return json{
        {"remittance_id", r.remittance_id},
        {"reference", r.reference},
        {"status", r.status},
        {"reason", nullable(r.reason)},
        {"created_at", platform::format_rfc3339(r.created_at)},
        {"completed_at", platform::format_rfc3339(r.completed_at)},
        {"send_amount", minor_json(r.send_minor, "ZAR")},
        {"fee", minor_json(r.fee_minor, "ZAR")},
        {"receive_amount", minor_json(r.receive_minor, "LSL")},
        {"rate", r.rate},
        {"purpose", r.purpose},
        {"bop_category", r.bop_category},
        {"source_of_funds", nullable(r.source_of_funds)},
        {"compliance_case_id", nullable(r.compliance_case_id)},
        {"payout",
         {{"method", r.payout_method},
          {"reference", r.reference},
          {"partner_reference", nullable(r.partner_reference)}}},
        {"sender",
         {{"id", s.id},
          {"full_name", s.full_name},
          {"date_of_birth", nullable(s.date_of_birth)},
          {"kyc_tier", nullable(s.kyc_tier)},
          {"phone", nullable(s.phone)},
          {"nationality", nullable(s.nationality)},
          {"id_type", nullable(s.id_type)},
          {"id_number_masked", nullable(s.id_number_masked)},
          {"employer_name", nullable(s.employer_name)},
          {"address", nullable(s.address)},
          {"gender", nullable(s.gender)},
          {"country", nullable(s.country)}}},
        {"beneficiary",
         {{"id", b.id},
          {"full_name", b.full_name},
          {"phone", nullable(b.phone)},
          {"relationship", nullable(b.relationship)},
          {"national_id_masked", nullable(b.national_id_masked)},
          {"district", nullable(b.district)},
          {"country", nullable(b.country)}}}};
}

platform::Result<CashDeposit, std::string> parse_deposit_event(std::string_view payload) {
    const json j = json::parse(payload, nullptr, false);
    if (j.is_discarded()) {
        return platform::err(std::string{"the payload is not JSON"});
    }
    std::string error;
    Reader top{j, "", error};
    CashDeposit d;
    d.deposit_id = top.text("deposit_id", true);
    if (top.ok() && !platform::Id128::parse(d.deposit_id)) {
        top.fail("deposit_id", "must be a uuid");
    }
    d.worker_id = top.text("worker_id", true);
    d.agent_id = top.text("agent_id", true);
    d.amount_minor = top.integer(j, "amount_minor", "");
    if (top.ok() && d.amount_minor <= 0) {
        top.fail("amount_minor", "must be positive");
    }
    d.at = top.time("at");
    if (!error.empty()) {
        return platform::err(std::move(error));
    }
    return d;
}

json cross_border_json(
    const std::vector<CompletedRemittance>& candidates, Date day, const ReportThresholds& thresholds
) {
    json items = json::array();
    std::int64_t send = 0;
    std::int64_t fee = 0;
    std::int64_t receive = 0;
    for (const auto& r : cross_border_rows(candidates, day)) {
        // Sums of a day's amounts stay far below int64 (9.2e16 rand); checked anyway.
        const auto s = platform::checked_add(send, r.send_minor);
        const auto f = platform::checked_add(fee, r.fee_minor);
        const auto v = platform::checked_add(receive, r.receive_minor);
        if (!s || !f || !v) {
            throw std::overflow_error("the day's totals leave int64");
        }
        send = *s;
        fee = *f;
        receive = *v;
        const auto& se = r.sender;
        const auto& b = r.beneficiary;
        items.push_back(json{
            {"reference", r.reference},
            {"remittance_id", r.remittance_id},
            {"value_date", business_date_of(r.completed_at).to_string()},
            {"completed_at", platform::format_rfc3339(r.completed_at)},
            {"created_at", platform::format_rfc3339(r.created_at)},
            {"flow", "outward"},
            {"bop_category", r.bop_category},
            {"purpose", r.purpose},
            {"source_of_funds", nullable(r.source_of_funds)},
            {"send_amount", money_json(r.send_minor, r.send_currency)},
            {"fee", money_json(r.fee_minor, r.send_currency)},
            {"transfer_amount", money_json(r.transfer_minor(), r.send_currency)},
            {"receive_amount", money_json(r.receive_minor, r.receive_currency)},
            {"rate", r.rate},
            {"payout",
             {{"method", r.payout_method}, {"partner_reference", nullable(r.partner_reference)}}},
            {"sender",
             {{"id", se.id},
              {"full_name", se.full_name},
              {"date_of_birth", nullable(se.date_of_birth)},
              {"gender", nullable(se.gender)},
              {"nationality", nullable(se.nationality)},
              {"id_type", nullable(se.id_type)},
              {"id_number_masked", nullable(se.id_number_masked)},
              {"address", nullable(se.address)},
              {"country", nullable(se.country)},
              {"phone", nullable(se.phone)},
              {"employer_name", nullable(se.employer_name)}}},
            {"beneficiary",
             {{"id", b.id},
              {"full_name", b.full_name},
              {"phone", nullable(b.phone)},
              {"relationship", nullable(b.relationship)},
              {"national_id_masked", nullable(b.national_id_masked)},
              {"district", nullable(b.district)},
              {"country", nullable(b.country)}}},
            {"iftr", r.transfer_minor() >= thresholds.electronic_minor}});
    }
    const auto count = items.size();
    return json{
        {"report", "cross_border"},
        {"date", day.to_string()},
        {"time_zone", kTimeZone},
        {"period", period_json(day)},
        {"count", count},
        {"totals",
         {{"send_amount", money_json(send, "ZAR")},
          {"fee", money_json(fee, "ZAR")},
          {"receive_amount", money_json(receive, "LSL")}}},
        {"items", std::move(items)}};
}

json threshold_json(const std::vector<ThresholdItem>& items, Date day) {
    json out = json::array();
    for (const auto& i : items) {
        out.push_back(json{
            {"kind", i.kind},
            {"reference_type", i.reference_type},
            {"reference_id", i.reference_id},
            {"subject_id", i.subject_id},
            {"amount", money_json(i.amount_minor, "ZAR")},
            {"threshold", money_json(i.threshold_minor, "ZAR")},
            {"at", platform::format_rfc3339(i.at)}});
    }
    const auto count = out.size();
    return json{
        {"report", "thresholds"},
        {"date", day.to_string()},
        {"time_zone", kTimeZone},
        {"period", period_json(day)},
        {"count", count},
        {"items", std::move(out)}};
}

json settlement_json(const std::vector<PartnerSummary>& partners, Date day) {
    json items = json::array();
    std::int64_t count = 0;
    std::int64_t send = 0;
    std::int64_t fee = 0;
    std::int64_t receive = 0;
    for (const auto& p : partners) {
        const auto c = platform::checked_add(count, p.count);
        const auto s = platform::checked_add(send, p.send_minor);
        const auto f = platform::checked_add(fee, p.fee_minor);
        const auto v = platform::checked_add(receive, p.receive_minor);
        if (!c || !s || !f || !v) {
            throw std::overflow_error("the day's totals leave int64");
        }
        count = *c;
        send = *s;
        fee = *f;
        receive = *v;
        items.push_back(json{
            {"partner", p.partner},
            {"count", p.count},
            {"send_amount", money_json(p.send_minor, "ZAR")},
            {"fees_earned", money_json(p.fee_minor, "ZAR")},
            {"paid_out", money_json(p.receive_minor, "LSL")}});
    }
    return json{
        {"date", day.to_string()},
        {"time_zone", kTimeZone},
        {"period", period_json(day)},
        {"partners", std::move(items)},
        {"totals",
         {{"count", count},
          {"send_amount", money_json(send, "ZAR")},
          {"fees_earned", money_json(fee, "ZAR")},
          {"paid_out", money_json(receive, "LSL")}}}};
}

}  // namespace chelete::central_bank
