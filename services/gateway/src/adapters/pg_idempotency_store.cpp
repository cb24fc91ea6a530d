#include <chelete/gateway/idempotency.hpp>

#include "gateway_migrations.hpp"

namespace chelete::gateway {

PgIdempotencyStore::PgIdempotencyStore(
    platform::PgPool& pool, const platform::Clock& clock, IdempotencySettings settings
)
    : pool_(pool), clock_(clock), settings_(settings) {}

IdempotencyBegin PgIdempotencyStore::begin(
    const std::string& client, const std::string& key, const std::string& request_hash
) {
    const auto now = clock_.now();
    const auto now_ms = platform::to_unix_ms(now);
    const auto lock_ms = now_ms + settings_.lock.count();
    const auto expires_ms = now_ms + settings_.ttl.count();
    return platform::with_transaction(pool_, [&](pqxx::work& tx) {
        const auto inserted = tx.exec_params(
            "INSERT INTO idempotency_keys (client_id, idempotency_key, request_hash, locked_until, "
            "expires_at) "
            "VALUES ($1, $2, $3, to_timestamp($4::double precision / 1000), "
            "to_timestamp($5::double precision / 1000)) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            client,
            key,
            request_hash,
            lock_ms,
            expires_ms
        );
        if (!inserted.empty()) {
            return IdempotencyBegin{IdempotencyAction::kProceed, {}};
        }
        const auto row = tx.exec_params1(
            "SELECT request_hash, completed, (extract(epoch FROM locked_until) * 1000)::bigint, "
            "(extract(epoch FROM expires_at) * 1000)::bigint, status_code, coalesce(content_type, "
            "''), "
            "coalesce(location, ''), coalesce(response_body, '') "
            "FROM idempotency_keys WHERE client_id = $1 AND idempotency_key = $2 FOR UPDATE",
            client,
            key
        );
        IdempotencyRecord record;
        record.request_hash = row[0].as<std::string>();
        record.completed = row[1].as<bool>();
        record.locked_until = platform::from_unix_ms(row[2].as<std::int64_t>());
        record.expires_at = platform::from_unix_ms(row[3].as<std::int64_t>());
        if (record.completed) {
            record.response = StoredResponse{
                row[4].as<int>(),
                row[5].as<std::string>(),
                row[6].as<std::string>(),
                row[7].as<std::string>()};
        }
        const auto action = decide_idempotency(record, request_hash, now);
        if (action == IdempotencyAction::kProceed) {
            // Expired record or lapsed lock: start over under this request.
            tx.exec_params0(
                "UPDATE idempotency_keys SET request_hash = $3, completed = false, "
                "locked_until = to_timestamp($4::double precision / 1000), "
                "expires_at = to_timestamp($5::double precision / 1000), status_code = NULL, "
                "content_type = NULL, "
                "location = NULL, response_body = NULL WHERE client_id = $1 AND idempotency_key = "
                "$2",
                client,
                key,
                request_hash,
                lock_ms,
                expires_ms
            );
        }
        return IdempotencyBegin{action, record.response};
    });
}

void PgIdempotencyStore::complete(
    const std::string& client, const std::string& key, const StoredResponse& response
) {
    platform::with_transaction(pool_, [&](pqxx::work& tx) {
        tx.exec_params0(
            "UPDATE idempotency_keys SET completed = true, status_code = $3, content_type = $4, "
            "location = $5, "
            "response_body = $6 WHERE client_id = $1 AND idempotency_key = $2",
            client,
            key,
            response.status,
            response.content_type,
            response.location,
            response.body
        );
    });
}

void PgIdempotencyStore::abandon(const std::string& client, const std::string& key) {
    platform::with_transaction(pool_, [&](pqxx::work& tx) {
        tx.exec_params0(
            "DELETE FROM idempotency_keys WHERE client_id = $1 AND idempotency_key = $2 AND NOT "
            "completed",
            client,
            key
        );
    });
}

std::size_t PgIdempotencyStore::purge_expired() {
    return platform::with_transaction(pool_, [&](pqxx::work& tx) {
        return tx
            .exec_params0(
                "DELETE FROM idempotency_keys WHERE expires_at < to_timestamp($1::double precision "
                "/ 1000)",
                platform::to_unix_ms(clock_.now())
            )
            .affected_rows();
    });
}

std::vector<platform::Migration> gateway_migrations() {
    std::vector<std::pair<std::string_view, std::string_view>> files{
        gateway_sql::kAllFiles.begin(), gateway_sql::kAllFiles.end()};
    return platform::migrations_from_files("gateway", files);
}

}  // namespace chelete::gateway
