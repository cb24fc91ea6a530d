// remit.completed (docs/remittance.md "Messages", docs/central-bank.md "The event"): when a
// remittance reaches a final state, one self-contained record of it leaves on remit.events, so
// that the central-bank integration can file the cross-border return without reading this schema
// or asking the registry again. It carries the travel-rule snapshot taken at creation
// (V002__travel_rule_snapshot.sql): DOMAIN.md 1.7's minimum record as far as the registry knows it.
//
// Identity numbers travel masked only ("*****4567"): the return cites the document type and the
// masked number, and the full number stays sealed in the registry, where finance reads it through
// the registry's access-logged read if a regulator asks. A clear number on a stream would be
// copied to every consumer and to Redis, beyond the purpose it was collected for (POPIA s13-14).
#include <chelete/remittance/service.hpp>

#include "service/context.hpp"

namespace chelete::remittance::detail {
namespace {

json text_or_null(const pqxx::field& f) {
    return f.is_null() ? json(nullptr) : json(f.as<std::string>());
}

json minor_of(std::int64_t minor, std::string_view currency) {
    return json{{"amount_minor", minor}, {"currency", currency}};
}

/// What `json` holds under `key` when it is a non-empty string; nullopt otherwise.
std::optional<std::string> member_text(const json& object, const char* key) {
    const std::string text = text_of(object, key);
    if (text.empty()) {
        return std::nullopt;
    }
    return text;
}

constexpr std::string_view kUtcMillis = R"('YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')";

}  // namespace

void record_travel_rule_snapshot(
    pqxx::transaction_base& tx,
    const std::string& remittance_id,
    const json& worker,
    const json& beneficiary
) {
    // sender_phone may already have been filled by the insert (another change adds it there);
    // the registry's answer is the same either way.
    tx.exec_params0(
        "UPDATE remittances SET sender_phone = COALESCE(NULLIF(sender_phone, ''), $2), "
        "sender_nationality = $3, sender_document = $4, sender_document_masked = $5, "
        "sender_employer = $6, beneficiary_relationship = $7, beneficiary_national_id_masked = $8 "
        "WHERE id = $1",
        remittance_id,
        member_text(worker, "phone"),
        member_text(worker, "nationality"),
        member_text(worker, "document"),
        member_text(worker, "document_number_masked"),
        member_text(worker, "employer_name"),
        member_text(beneficiary, "relationship"),
        member_text(beneficiary, "national_id_masked")
    );
}

void publish_completion(
    const Context& ctx,
    pqxx::transaction_base& tx,
    const std::string& remittance_id,
    RemittanceState to,
    const Cause& cause
) {
    if (!is_final(to)) {
        return;
    }
    const std::string utc{kUtcMillis};
    const auto r = tx.exec_params1(
        "SELECT r.payout_reference, r.sender_id::text, r.sender_name, "
        "r.sender_date_of_birth::text, r.sender_kyc_tier, r.sender_phone, r.sender_nationality, "
        "r.sender_document, r.sender_document_masked, r.sender_employer, r.beneficiary_id::text, "
        "r.beneficiary_name, r.beneficiary_phone, r.beneficiary_relationship, "
        "r.beneficiary_national_id_masked, r.payout_method, r.send_minor, r.fee_minor, "
        "r.receive_minor, q.rate_numerator::text || '/' || q.rate_denominator::text, r.purpose, "
        "r.source_of_funds, r.partner_reference, r.compliance_case_id::text, "
        "to_char(r.created_at AT TIME ZONE 'UTC', " +
            utc + "), to_char(r.updated_at AT TIME ZONE 'UTC', " + utc +
            ") FROM remittances r JOIN quotes q ON q.id = r.quote_id WHERE r.id = $1",
        remittance_id
    );
    const auto purpose = r[20].as<std::string>();
    json event{
        {"remittance_id", remittance_id},
        // The one reference carried end to end (DOMAIN.md 1.7): what the partner was given.
        {"reference", r[0].as<std::string>()},
        {"status", std::string{to_string(to)}},
        {"reason", cause.reason},
        {"created_at", r[24].as<std::string>()},
        {"completed_at", r[25].as<std::string>()},
        {"send_amount", minor_of(r[16].as<std::int64_t>(), "ZAR")},
        {"fee", minor_of(r[17].as<std::int64_t>(), "ZAR")},
        {"receive_amount", minor_of(r[18].as<std::int64_t>(), "LSL")},
        {"rate", r[19].as<std::string>()},
        {"purpose", purpose},
        // "bop_417" -> "417": the SARB category itself, for the return.
        {"bop_category", purpose.rfind("bop_", 0) == 0 ? purpose.substr(4) : purpose},
        {"source_of_funds", r[21].as<std::string>()},
        {"payout",
         {{"method", r[15].as<std::string>()},
          {"reference", r[0].as<std::string>()},
          // Known here when an earlier outcome stored it; the paid outcome stores it after this.
          {"partner_reference", text_or_null(r[22])}}},
        {"compliance_case_id", text_or_null(r[23])},
        {"sender",
         {{"id", r[1].as<std::string>()},
          {"full_name", r[2].as<std::string>()},
          {"date_of_birth", text_or_null(r[3])},
          {"kyc_tier", r[4].as<std::string>()},
          {"phone", text_or_null(r[5])},
          {"nationality", text_or_null(r[6])},
          {"id_type", text_or_null(r[7])},
          {"id_number_masked", text_or_null(r[8])},
          {"employer_name", text_or_null(r[9])},
          // The registry records no address or gender yet (docs/central-bank.md "Gaps").
          {"address", nullptr},
          {"gender", nullptr},
          {"country", "ZA"}}},
        {"beneficiary",
         {{"id", r[10].as<std::string>()},
          {"full_name", r[11].as<std::string>()},
          {"phone", r[12].as<std::string>()},
          {"relationship", text_or_null(r[13])},
          {"national_id_masked", text_or_null(r[14])},
          {"district", nullptr},
          {"country", "LS"}}}};
    ctx.publish(tx, messages::kCompleted, event);
}

}  // namespace chelete::remittance::detail
