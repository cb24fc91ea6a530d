#pragma once

// What every registry operation handler shares: settings, crypto, the clock, the outbox, and
// small helpers for replies, access logging and pagination.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chelete/permit_registry/lookup.hpp>
#include <chelete/platform/api.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/platform/field_cipher.hpp>
#include <chelete/platform/password.hpp>
#include <chelete/platform/signing.hpp>
#include <chelete/registry/service.hpp>

#include "domain/rules.hpp"

namespace chelete::registry::detail {

using nlohmann::json;
namespace api = platform::api;

struct Context {
    const RegistrySettings& settings;
    const platform::crypto::FieldCipher& cipher;
    const platform::crypto::PasswordHasher& hasher;
    const platform::crypto::Ed25519Signer& signer;
    const platform::Clock& clock;
    platform::bus::Outbox& outbox;
    permit_registry::PermitRegistry* permit_registry;  // null when not configured

    [[nodiscard]] Day today() const;
    [[nodiscard]] std::string lookup_hash(std::string_view identity_number) const;
    /// Seals an identity number; the associated data binds it to its row and column.
    [[nodiscard]] std::string seal(std::string_view value, const std::string& where) const;
    [[nodiscard]] std::optional<std::string> open(
        std::string_view envelope, const std::string& where
    ) const;
    void publish(pqxx::transaction_base& tx, std::string_view type, const json& payload) const;
};

using Handler = api::Reply (*)(const Context&, pqxx::dbtransaction&, const api::Request&);

/// 422 naming the fields; a member's text ("" when absent): the platform's (api.hpp).
using api::text_of;
using api::unprocessable;
[[nodiscard]] api::Reply conflict(std::string_view detail);

/// The caller is the worker `worker_id` (ownership); officers pass by role.
[[nodiscard]] bool is_self(const api::Request& r, const std::string& worker_id);
[[nodiscard]] bool is_uuid(std::string_view s);

/// One access-log row: who (the caller), what (record and fields), why (purpose).
void log_access(
    pqxx::transaction_base& tx,
    const api::Request& r,
    const std::string& subject_id,
    std::string_view action,
    std::string_view record,
    std::string_view fields,
    std::string_view purpose
);
/// Why this caller reads a person's data, from their role (DOMAIN.md 8: every read has a purpose).
[[nodiscard]] std::string purpose_of(const api::Request& r);

struct Page {
    int limit = 50;
    std::string after;  // exclusive key of the last item of the previous page
};
/// What a list's cursor holds: the last row's uuid, or its sequence number.
enum class CursorKey : std::uint8_t { kUuid, kSequence };
/// `?limit=` (1-200, default 50) and `?cursor=`, the cursor checked to be a key of `kind` so a
/// forged one is a 400 and never reaches PostgreSQL; nullopt with the reply when malformed.
[[nodiscard]] std::optional<Page> page_of(const api::Request& r, CursorKey kind, api::Reply& error);
[[nodiscard]] std::string cursor_for(const std::string& key);

/// A column as JSON: null when NULL, else its text.
[[nodiscard]] json nullable(const pqxx::field& field);
[[nodiscard]] bool flag_of(const json& object, const char* key);
[[nodiscard]] std::string body_string(const api::Request& r, const char* field);
[[nodiscard]] std::optional<std::string> body_optional(const api::Request& r, const char* field);

// Handlers, by area (handlers_people.cpp, handlers_agencies.cpp).
api::Reply issue_token(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply create_staff(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply list_staff(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply register_worker(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply get_worker(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply add_permit(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply list_permits(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply change_permit_status(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply create_directive(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply add_beneficiary(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply list_beneficiaries(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply list_consents(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply record_consent(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply get_access_log(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply create_agency(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply list_agencies(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply get_agency(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply verify_agency_licence(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply decide_agency(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply agency_history(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply file_complaint(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply list_complaints(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply decide_complaint(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply get_status_letter(const Context&, pqxx::dbtransaction&, const api::Request&);
api::Reply check_status_letter(const Context&, pqxx::dbtransaction&, const api::Request&);

/// The worker (and, when asked, one of their beneficiaries) as the remittance service needs them:
/// names, phone, KYC tier, document and payout method; a reply payload (404 problem when missing).
/// Logged in the access log with the query's purpose.
[[nodiscard]] std::string remittance_parties(
    pqxx::dbtransaction& tx, const json& query, const std::string& request_id
);
/// Whether the national id an agent typed when redeeming a cash pickup is the beneficiary's
/// (registry.recipient_check): `{beneficiary_found, identity_match, agent_country}`, the presented
/// number normalised and compared in constant time with the sealed one; a reply payload (400
/// problem naming the field when malformed). Every check is logged in the access log with the
/// agent as actor; the number itself is neither answered nor logged.
[[nodiscard]] std::string recipient_check(
    const Context& ctx, pqxx::dbtransaction& tx, const json& query, const std::string& request_id
);

/// The USSD service's questions about the caller (docs/ussd.md "Who is calling"), each a reply
/// payload (400 problem naming the field when malformed):
///   registry.ussd_caller     `{phone}` → `{registered}`: whether a family member's login has
///                            this phone (nothing personal is answered)
///   registry.ussd_pin_check  `{phone, pin}` → `{result: correct|wrong|locked}`, counting a wrong
///                            PIN towards the same lockout as a phone login (issueToken)
///   registry.ussd_pin_change `{phone, old_pin, new_pin}` (a command, by the USSD service's
///                            outbox): the new PIN if the old one still opens the login and the
///                            new one keeps the PIN rule; tokens issued before stop working
[[nodiscard]] std::string ussd_caller(pqxx::dbtransaction& tx, const json& query);
[[nodiscard]] std::string ussd_pin_check(
    const Context& ctx, pqxx::dbtransaction& tx, const json& query
);
[[nodiscard]] std::string ussd_pin_change(
    const Context& ctx, pqxx::dbtransaction& tx, const json& query, const std::string& message_id
);

/// Where a director's sealed identity number lives, the associated data of its envelope: the
/// agency and the director's place in its list ("agencies.directors.national_id:<id>:<index>").
[[nodiscard]] std::string director_national_id_place(
    const std::string& agency_id, std::size_t index
);
/// A director as the ministry's answers show them: name, the identity number masked (null when
/// none was given), the police clearance when recorded. Never the sealed value.
[[nodiscard]] json director_view(const json& stored);
struct DirectorSealing {
    int rewritten = 0;   // numbers sealed (from clear) or sealed again under the current key
    int unreadable = 0;  // sealed numbers no key of the ring opens (left as they are)
};
/// Seals, in one agency's stored `directors` list, every identity number still in clear (a row
/// from before numbers were sealed) and, with `reseal_old_keys`, re-seals every one sealed under
/// another key than the current one (rotation). Changes `directors` in place.
[[nodiscard]] DirectorSealing seal_directors(
    const platform::crypto::FieldCipher& cipher,
    const std::string& agency_id,
    json& directors,
    bool reseal_old_keys
);

/// A permit as the API shows it.
[[nodiscard]] json permit_view(pqxx::transaction_base& tx, const std::string& id);
[[nodiscard]] std::vector<Directive> directives_for(
    pqxx::transaction_base& tx, const std::string& type
);
api::Reply verify_permit(const Context&, pqxx::dbtransaction&, const api::Request&);

/// One permit_history row per step, each from the status before it (issued → valid → expired
/// is two rows): the calendar's and the permit registry's moves alike.
void record_permit_steps(
    pqxx::transaction_base& tx,
    const std::string& permit_id,
    PermitStatus from,
    const std::vector<PermitStatus>& steps,
    const std::string& reason,
    const std::string& actor
);

/// Recomputes the standing of every permit of `type` (or all when empty) against the
/// directives; writes history and events for those that changed. Returns how many changed.
int refresh_permits(
    const Context& ctx,
    pqxx::transaction_base& tx,
    const std::string& type,
    const std::string& actor,
    const std::string& reason
);

}  // namespace chelete::registry::detail
