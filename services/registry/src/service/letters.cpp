// Permit status letters: a signed statement of a worker's permits that an employer, a bank or a
// police officer can check (DOMAIN.md 6, "a verifiable status letter"). The letter is canonical
// JSON (sorted keys, no spaces) naming its document type and version; the signature is Ed25519
// over exactly that text, so anyone can check it offline with the published key, or online
// through GET /v1/status-letters/{id}. Every check is written to the worker's access log.
#include <chelete/platform/random_ids.hpp>

#include "service/context.hpp"

namespace chelete::registry::detail {

api::Reply get_status_letter(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string worker_id = r.path_param("id");
    if (!is_self(r, worker_id) || !is_uuid(worker_id)) {
        return api::not_found("worker");
    }
    const auto workers = tx.exec_params(
        "SELECT given_name, family_name, date_of_birth::text, passport_masked FROM workers WHERE "
        "id = $1",
        worker_id
    );
    if (workers.empty()) {
        return api::not_found("worker");
    }
    json permits = json::array();
    for (const auto& p : tx.exec_params(
             "SELECT type, number, status, printed_expiry::text, legal_expiry::text, "
             "directive_ref, verified_at IS NOT NULL, vfs_reference "
             "FROM permits WHERE worker_id = $1 ORDER BY created_at, id",
             worker_id
         )) {
        permits.push_back(
            {{"type", p[0].as<std::string>()},
             {"number", nullable(p[1])},
             {"status", p[2].as<std::string>()},
             {"printed_expiry", nullable(p[3])},
             {"legal_expiry", nullable(p[4])},
             // An application is stated by its VFS receipt (proof of application).
             {"vfs_reference", nullable(p[7])},
             {"directive_ref", p[5].is_null() ? json(nullptr) : json(p[5].as<std::string>())},
             {"verified_against_registry", p[6].as<bool>()}}
        );
    }
    if (permits.empty()) {
        return unprocessable({{"permits", "there is no permit on record to state"}});
    }
    const std::string letter_id = platform::new_uuid();
    const std::string issued_at = platform::format_rfc3339(ctx.clock.now());
    const json content{
        {"document", "chelete.permit_status_letter"},
        {"version", 1},
        {"letter_id", letter_id},
        {"issued_at", issued_at},
        {"worker",
         {{"id", worker_id},
          {"name", workers[0][0].as<std::string>() + " " + workers[0][1].as<std::string>()},
          {"date_of_birth", workers[0][2].as<std::string>()},
          {"passport_number", workers[0][3].as<std::string>()}}},
        {"permits", permits},
        {"note",
         "Legal validity follows the ministerial directives cited. Check this letter at "
         "/v1/status-letters/" +
             letter_id}};
    const std::string signed_text = content.dump();  // nlohmann sorts keys: canonical
    const std::string signature = ctx.signer.sign(signed_text);
    tx.exec_params0(
        "INSERT INTO status_letters (id, worker_id, signed_text, signature, public_key) VALUES "
        "($1, $2, $3, $4, $5)",
        letter_id,
        worker_id,
        signed_text,
        signature,
        ctx.signer.public_key_hex()
    );
    log_access(
        tx,
        r,
        worker_id,
        "create",
        "status_letter",
        "name,date_of_birth,passport_masked,permits",
        "permit_tracking"
    );
    return api::json(
        200,
        json{
            {"letter_id", letter_id},
            {"issued_at", issued_at},
            {"content", content},
            {"signed_text", signed_text},
            {"algorithm", "Ed25519"},
            {"signature", signature},
            {"public_key", ctx.signer.public_key_hex()},
            {"check_path", "/v1/status-letters/" + letter_id}}
    );
}

api::Reply check_status_letter(const Context& ctx, pqxx::dbtransaction& tx, const api::Request& r) {
    const std::string id = r.path_param("id");
    if (!is_uuid(id)) {
        return api::not_found("letter");
    }
    const auto rows = tx.exec_params(
        "SELECT worker_id::text, signed_text, signature, public_key FROM status_letters WHERE id = "
        "$1",
        id
    );
    if (rows.empty()) {
        return api::not_found("letter");
    }
    const std::string signed_text = rows[0][1].as<std::string>();
    // Valid only under the key this service signs with now: a row someone slipped into the
    // table with a key of their own does not pass.
    const bool valid = rows[0][3].as<std::string>() == ctx.signer.public_key_hex() &&
                       platform::crypto::verify_ed25519(
                           ctx.signer.public_key_hex(), signed_text, rows[0][2].as<std::string>()
                       );
    log_access(
        tx, r, rows[0][0].as<std::string>(), "read", "status_letter", "letter", "letter_check"
    );
    return api::json(
        200,
        json{
            {"letter_id", id},
            {"valid", valid},
            {"content", json::parse(signed_text)},
            {"signature", rows[0][2].as<std::string>()},
            {"public_key", ctx.signer.public_key_hex()}}
    );
}

}  // namespace chelete::registry::detail
