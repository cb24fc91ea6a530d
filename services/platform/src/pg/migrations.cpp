#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/pg.hpp>

#include "bus_migrations.hpp"

namespace chelete::platform {

std::vector<Migration> migrations_from_files(
    std::string_view track, const std::vector<std::pair<std::string_view, std::string_view>>& files
) {
    std::vector<Migration> out;
    std::set<int> seen;
    for (const auto& [file, sql] : files) {
        // V001__create_outbox.sql
        const auto sep = file.find("__");
        if (file.size() < 8 || file[0] != 'V' || sep == std::string_view::npos ||
            !file.ends_with(".sql")) {
            throw std::invalid_argument(
                "migration file '" + std::string{file} + "' is not named V<version>__<name>.sql"
            );
        }
        int version = 0;
        const auto digits = file.substr(1, sep - 1);
        const auto [ptr, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), version);
        if (ec != std::errc{} || ptr != digits.data() + digits.size() || version <= 0) {
            throw std::invalid_argument(
                "migration file '" + std::string{file} + "' has no positive version number"
            );
        }
        if (!seen.insert(version).second) {
            throw std::invalid_argument(
                "migration version " + std::to_string(version) + " appears twice in track " +
                std::string{track}
            );
        }
        const auto name = file.substr(sep + 2, file.size() - sep - 2 - 4);
        out.push_back(Migration{std::string{track}, version, std::string{name}, std::string{sql}});
    }
    std::sort(out.begin(), out.end(), [](const Migration& a, const Migration& b) {
        return a.version < b.version;
    });
    return out;
}

std::vector<Migration> bus_migrations() {
    std::vector<std::pair<std::string_view, std::string_view>> files{
        bus_sql::kAllFiles.begin(), bus_sql::kAllFiles.end()};
    return migrations_from_files("bus", files);
}

MigrationReport apply_migrations(
    pqxx::connection& conn, const std::string& schema, const std::vector<Migration>& migrations
) {
    if (!is_safe_identifier(schema)) {
        throw std::invalid_argument("schema name '" + schema + "' is not a plain identifier");
    }
    MigrationReport report;
    // A session-level advisory lock keyed by the schema serialises concurrent starts.
    {
        pqxx::nontransaction lock_tx{conn};
        lock_tx.exec_params(
            "SELECT pg_advisory_lock(hashtext('chelete.migrations.' || $1))", schema
        );
    }
    try {
        {
            pqxx::work tx{conn};
            tx.exec0("CREATE SCHEMA IF NOT EXISTS " + schema);
            tx.exec0(
                "CREATE TABLE IF NOT EXISTS " + schema +
                ".schema_migrations (track text NOT NULL, version integer NOT NULL, name text NOT "
                "NULL, "
                "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY "
                "KEY (track, version))"
            );
            tx.commit();
        }
        std::map<std::pair<std::string, int>, std::pair<std::string, std::string>> applied;
        {
            pqxx::read_transaction tx{conn};
            for (const auto& row : tx.exec(
                     "SELECT track, version, name, checksum FROM " + schema + ".schema_migrations"
                 )) {
                applied[{row[0].as<std::string>(), row[1].as<int>()}] = {
                    row[2].as<std::string>(), row[3].as<std::string>()};
            }
        }
        std::set<std::pair<std::string, int>> known;
        std::set<std::string> tracks;
        for (const auto& m : migrations) {
            known.insert({m.track, m.version});
            tracks.insert(m.track);
        }
        for (const auto& [key, value] : applied) {
            if (tracks.contains(key.first) && !known.contains(key)) {
                throw std::runtime_error(
                    "schema " + schema + " has migration " + key.first + "/" +
                    std::to_string(key.second) + " (" + value.first +
                    ") that this build does not know: refusing to run older code on a newer schema"
                );
            }
        }
        for (const auto& m : migrations) {
            const std::string checksum = crypto::sha256_hex(m.sql);
            const auto it = applied.find({m.track, m.version});
            if (it != applied.end()) {
                if (it->second.second != checksum) {
                    throw std::runtime_error(
                        "migration " + m.track + "/" + std::to_string(m.version) + " (" + m.name +
                        ") in schema " + schema +
                        " was edited after it was applied (checksum differs); add a new "
                        "migration instead of changing an old one"
                    );
                }
                ++report.already_applied;
                continue;
            }
            pqxx::work tx{conn};
            tx.exec0("SET LOCAL search_path TO " + schema + ", public");
            tx.exec(m.sql);
            tx.exec_params0(
                "INSERT INTO " + schema +
                    ".schema_migrations (track, version, name, checksum) VALUES ($1, $2, $3, $4)",
                m.track,
                m.version,
                m.name,
                checksum
            );
            tx.commit();
            spdlog::info(
                "applied migration {}/{} {} to schema {}", m.track, m.version, m.name, schema
            );
            ++report.applied;
        }
    } catch (...) {
        try {
            pqxx::nontransaction unlock_tx{conn};
            unlock_tx.exec_params(
                "SELECT pg_advisory_unlock(hashtext('chelete.migrations.' || $1))", schema
            );
        } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): the connection closes
                                           // with the lock
        }
        throw;
    }
    pqxx::nontransaction unlock_tx{conn};
    unlock_tx.exec_params(
        "SELECT pg_advisory_unlock(hashtext('chelete.migrations.' || $1))", schema
    );
    return report;
}

}  // namespace chelete::platform
