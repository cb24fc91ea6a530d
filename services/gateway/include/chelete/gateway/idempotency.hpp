#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/pg.hpp>

namespace chelete::gateway {

/// A response as stored for replay: status, the headers that matter (Location), body.
struct StoredResponse {
    int status = 0;
    std::string content_type;
    std::string location;
    std::string body;

    friend bool operator==(const StoredResponse&, const StoredResponse&) = default;
};

/// What the store holds for (client, key).
struct IdempotencyRecord {
    std::string request_hash;
    bool completed = false;
    platform::TimePoint locked_until;
    platform::TimePoint expires_at;
    StoredResponse response;  // when completed
};

enum class IdempotencyAction {
    kProceed,  // first use (or an expired record, or a crashed attempt whose lock lapsed)
    kReplay,   // same key, same request, finished: send the stored response
    kConflictOtherRequest,  // same key, another method/path/body: 409
    kConflictInProgress,    // same key, same request, still running: 409, retry later
};

/// The rule of STYLE.md §4 as a pure function of the stored record.
[[nodiscard]] IdempotencyAction decide_idempotency(
    const std::optional<IdempotencyRecord>& existing,
    const std::string& request_hash,
    platform::TimePoint now
);

/// SHA-256 over method, path and raw body: what "the same request" means.
[[nodiscard]] std::string idempotency_request_hash(
    const std::string& method, const std::string& path, const std::string& body
);

/// Keys: 1..255 visible ASCII characters.
[[nodiscard]] bool is_valid_idempotency_key(const std::string& key);

struct IdempotencyBegin {
    IdempotencyAction action = IdempotencyAction::kProceed;
    StoredResponse replay;  // for kReplay
};

/// Port for the gateway.
class IdempotencyStore {
public:
    virtual ~IdempotencyStore() = default;
    /// Atomically decides and, for kProceed, records the key as in progress (locked).
    [[nodiscard]] virtual IdempotencyBegin begin(
        const std::string& client, const std::string& key, const std::string& request_hash
    ) = 0;
    /// Stores the final response for replay.
    virtual void complete(
        const std::string& client, const std::string& key, const StoredResponse& response
    ) = 0;
    /// Forgets an attempt whose outcome is unknown (5xx, timeout) so the client can retry it.
    virtual void abandon(const std::string& client, const std::string& key) = 0;

protected:
    // Copied and moved only as part of an implementation, never sliced through the interface.
    IdempotencyStore() = default;
    IdempotencyStore(const IdempotencyStore&) = default;
    IdempotencyStore(IdempotencyStore&&) = default;
    IdempotencyStore& operator=(const IdempotencyStore&) = default;
    IdempotencyStore& operator=(IdempotencyStore&&) = default;
};

struct IdempotencySettings {
    std::chrono::milliseconds ttl{std::chrono::hours{72}};
    std::chrono::milliseconds lock{std::chrono::seconds{90}};
};

/// The store in the gateway schema (`idempotency_keys`), decisions taken under a row lock.
class PgIdempotencyStore final : public IdempotencyStore {
public:
    PgIdempotencyStore(
        platform::PgPool& pool, const platform::Clock& clock, IdempotencySettings settings
    );
    [[nodiscard]] IdempotencyBegin begin(
        const std::string& client, const std::string& key, const std::string& request_hash
    ) override;
    void complete(const std::string& client, const std::string& key, const StoredResponse& response)
        override;
    void abandon(const std::string& client, const std::string& key) override;
    /// Deletes expired keys (a periodic job); returns how many.
    std::size_t purge_expired();

private:
    platform::PgPool& pool_;
    const platform::Clock& clock_;
    IdempotencySettings settings_;
};

/// The gateway schema's migrations.
[[nodiscard]] std::vector<platform::Migration> gateway_migrations();

}  // namespace chelete::gateway
