#include <algorithm>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include <chelete/platform/pg.hpp>

namespace chelete::platform {

bool is_safe_identifier(std::string_view name) {
    constexpr std::size_t kMaxIdentifier = 63;
    if (name.empty() || name.size() > kMaxIdentifier) {
        return false;
    }
    const auto lower_or_underscore = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
    if (!lower_or_underscore(name[0])) {
        return false;
    }
    return std::ranges::all_of(name, [&](char c) {
        return lower_or_underscore(c) || (c >= '0' && c <= '9');
    });
}

namespace detail {
void backoff_sleep(int attempt) {
    thread_local std::minstd_rand rng{std::random_device{}()};
    const int capped = std::min(attempt, 8);
    const int base_ms = 2 << capped;  // 4 ms .. 512 ms
    std::uniform_int_distribution<int> jitter(base_ms / 2, base_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds{jitter(rng)});
}
}  // namespace detail

PgPool::PgPool(PgPoolOptions options) : options_(std::move(options)) {
    if (!is_safe_identifier(options_.schema)) {
        throw std::invalid_argument(
            "PgPool: schema name '" + options_.schema + "' is not a plain identifier"
        );
    }
    if (options_.size == 0) {
        throw std::invalid_argument("PgPool: size must be at least 1");
    }
}

PgPool::~PgPool() = default;

void PgPool::prepare(std::string name, std::string sql) {
    std::lock_guard lock{mutex_};
    statements_.emplace_back(std::move(name), std::move(sql));
    // Idle connections opened before this call would lack the statement: close them.
    open_ -= idle_.size();
    idle_.clear();
}

std::unique_ptr<pqxx::connection> PgPool::connect_dedicated() const {
    auto conn = std::make_unique<pqxx::connection>(options_.dsn);
    pqxx::nontransaction setup{*conn};
    setup.exec0("SET search_path TO " + options_.schema + ", public");
    setup.exec0("SET statement_timeout = " + std::to_string(options_.statement_timeout.count()));
    setup.exec0("SET idle_in_transaction_session_timeout = 60000");
    setup.exec0("SET application_name = " + setup.quote(options_.application_name));
    setup.commit();
    return conn;
}

std::unique_ptr<pqxx::connection> PgPool::connect() const {
    auto conn = connect_dedicated();
    for (const auto& [name, sql] : statements_) {
        conn->prepare(name, sql);
    }
    return conn;
}

void PgPool::check_statements() {
    std::vector<std::pair<std::string, std::string>> statements;
    {
        std::lock_guard lock{mutex_};
        statements = statements_;
    }
    auto conn = connect_dedicated();
    int n = 0;
    for (const auto& [name, sql] : statements) {
        pqxx::nontransaction tx{*conn};
        const std::string probe = "chelete_check_" + std::to_string(n++);
        try {
            std::string prepare = "PREPARE " + probe;
            prepare += " AS ";
            prepare += sql;
            tx.exec0(prepare);
            tx.exec0("DEALLOCATE " + probe);
        } catch (const pqxx::sql_error& e) {
            throw std::runtime_error("SQL statement '" + name + "' does not prepare: " + e.what());
        }
    }
}

PgPool::Lease PgPool::acquire() {
    std::unique_lock lock{mutex_};
    const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
    while (idle_.empty() && open_ >= options_.size) {
        if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
            open_ >= options_.size) {
            throw PoolExhausted(
                "no PostgreSQL connection free within " +
                std::to_string(options_.acquire_timeout.count()) + " ms"
            );
        }
    }
    if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        return Lease{this, std::move(conn)};
    }
    ++open_;
    lock.unlock();
    try {
        return Lease{this, connect()};
    } catch (...) {
        lock.lock();
        --open_;
        available_.notify_one();
        throw;
    }
}

void PgPool::release(std::unique_ptr<pqxx::connection> conn) {
    std::lock_guard lock{mutex_};
    if (conn && conn->is_open()) {
        idle_.push_back(std::move(conn));
    } else {
        --open_;
    }
    available_.notify_one();
}

PgPool::Lease::~Lease() {
    if (pool_ != nullptr) {
        pool_->release(std::move(conn_));
    }
}

}  // namespace chelete::platform
