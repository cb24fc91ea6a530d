#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

namespace chelete::platform {

struct PgPoolOptions {
    std::string dsn;
    /// The service schema every connection's search_path points at (validated: [a-z_][a-z0-9_]*).
    std::string schema;
    std::size_t size = 4;
    std::chrono::milliseconds acquire_timeout{5000};
    std::chrono::milliseconds statement_timeout{30000};
    std::string application_name = "chelete";
};

/// Thrown when no connection frees up within the acquire timeout; the HTTP layer answers 503.
class PoolExhausted : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Returns true for a valid PostgreSQL identifier we are willing to paste into SQL.
[[nodiscard]] bool is_safe_identifier(std::string_view name);

/// A fixed-size pool of libpqxx connections (one connection per lease; nothing derived from a
/// connection crosses threads). Statements registered with `prepare()` are prepared on every
/// connection; `check_statements()` has the server parse each one at start so a typo stops the
/// process instead of failing its first request.
class PgPool {
public:
    explicit PgPool(PgPoolOptions options);
    ~PgPool();
    PgPool(const PgPool&) = delete;
    PgPool& operator=(const PgPool&) = delete;
    PgPool(PgPool&&) = delete;
    PgPool& operator=(PgPool&&) = delete;

    /// Registers a statement for every connection; call before the first acquire().
    void prepare(std::string name, std::string sql);
    /// Asks the server to parse every registered statement; throws with the statement's name.
    void check_statements();

    class Lease {
    public:
        Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn)
            : pool_(pool), conn_(std::move(conn)) {}
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {
            other.pool_ = nullptr;
        }
        Lease& operator=(Lease&&) = delete;

        pqxx::connection& operator*() { return *conn_; }
        pqxx::connection* operator->() { return conn_.get(); }
        /// The connection is dead or in an unknown state: close it instead of reusing it.
        void discard() { conn_.reset(); }

    private:
        PgPool* pool_;
        std::unique_ptr<pqxx::connection> conn_;
    };

    [[nodiscard]] Lease acquire();
    [[nodiscard]] const PgPoolOptions& options() const { return options_; }
    /// A new connection configured like the pooled ones but not part of the pool (LISTEN, locks).
    [[nodiscard]] std::unique_ptr<pqxx::connection> connect_dedicated() const;

private:
    void release(std::unique_ptr<pqxx::connection> conn);
    [[nodiscard]] std::unique_ptr<pqxx::connection> connect() const;

    PgPoolOptions options_;
    std::vector<std::pair<std::string, std::string>> statements_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<pqxx::connection>> idle_;
    std::size_t open_ = 0;  // connections handed out or idle
};

/// A savepoint inside a transaction: use it instead of pqxx::subtransaction.
///
/// libpqxx 6.4 begins a subtransaction lazily, and only `exec()` triggers the SAVEPOINT:
/// `exec_params` and `exec_prepared` skip the activation, so their writes land in the parent
/// transaction and survive the subtransaction's rollback (found by the bus poison-message test;
/// SavepointPgTest.RollsBackParameterisedWrites shows it). Beginning at construction closes that.
class Savepoint final : public pqxx::subtransaction {
public:
    Savepoint(pqxx::dbtransaction& parent, const std::string& name)
        : pqxx::internal::namedclass{"subtransaction", name}, pqxx::subtransaction(parent, name) {
        Begin();
    }
    Savepoint(const Savepoint&) = delete;
    Savepoint& operator=(const Savepoint&) = delete;
    Savepoint(Savepoint&&) = delete;
    Savepoint& operator=(Savepoint&&) = delete;
    ~Savepoint() noexcept override = default;
};

/// Runs `fn(tx)` in a transaction of isolation `Iso`, retrying serialization failures and
/// deadlocks with jittered backoff, and reconnecting after a broken connection, up to `attempts`
/// times. The body must have no outside effects (no XADD, no HTTP): that is what the outbox is for.
/// `in_doubt_error` (commit outcome unknown) is never retried: it propagates.
template <pqxx::isolation_level Iso = pqxx::read_committed, typename Fn>
auto with_transaction(PgPool& pool, Fn&& fn, int attempts = 8)
    -> decltype(fn(std::declval<pqxx::transaction<Iso>&>()));

namespace detail {
void backoff_sleep(int attempt);
}  // namespace detail

template <pqxx::isolation_level Iso, typename Fn>
auto with_transaction(PgPool& pool, Fn&& fn, int attempts)
    -> decltype(fn(std::declval<pqxx::transaction<Iso>&>())) {
    for (int attempt = 1;; ++attempt) {
        auto lease = pool.acquire();
        try {
            pqxx::transaction<Iso> tx{*lease};
            if constexpr (std::is_void_v<decltype(fn(tx))>) {
                fn(tx);
                tx.commit();
                return;
            } else {
                auto result = fn(tx);
                tx.commit();
                return result;
            }
        } catch (const pqxx::in_doubt_error&) {
            lease.discard();
            throw;
        } catch (const pqxx::statement_completion_unknown&) {
            lease.discard();
            throw;
        } catch (const pqxx::transaction_rollback&) {
            if (attempt >= attempts) {
                throw;
            }
        } catch (const pqxx::broken_connection&) {
            lease.discard();
            if (attempt >= attempts) {
                throw;
            }
        }
        detail::backoff_sleep(attempt);
    }
}

/// A migration: `track` groups versions (the platform's "bus" tables and each service's own).
struct Migration {
    std::string track;
    int version = 0;
    std::string name;
    std::string sql;
};

/// Parses embedded files named V<version>__<name>.sql into migrations of `track`, in version order.
/// Throws on a badly named file or a repeated version.
[[nodiscard]] std::vector<Migration> migrations_from_files(
    std::string_view track, const std::vector<std::pair<std::string_view, std::string_view>>& files
);

struct MigrationReport {
    int applied = 0;
    int already_applied = 0;
};

/// Creates `schema` if needed and applies each migration not yet recorded in
/// `<schema>.schema_migrations`, each in its own transaction, under an advisory lock so that
/// concurrent starts do not race. Refuses (throws) when an applied migration's SHA-256 differs from
/// the file (an edited past migration) or when the database holds a version the code does not know.
MigrationReport apply_migrations(
    pqxx::connection& conn, const std::string& schema, const std::vector<Migration>& migrations
);

/// The bus tables (outbox, inbox) every service schema carries, as the "bus" track.
[[nodiscard]] std::vector<Migration> bus_migrations();

}  // namespace chelete::platform
