#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <chelete/permit_registry/lookup.hpp>
#include <chelete/platform/api.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/platform/config.hpp>
#include <chelete/platform/field_cipher.hpp>
#include <chelete/platform/password.hpp>
#include <chelete/platform/pg.hpp>
#include <chelete/platform/settings.hpp>
#include <chelete/platform/signing.hpp>

namespace chelete::registry {

/// Where the registry listens; the gateway reads the command stream too.
struct RegistryStreams {
    std::string command_stream = "registry.cmd";
    std::string event_stream = "registry.events";

    static RegistryStreams load(platform::ConfigReader& reader);
};

struct RegistrySettings {
    std::string schema = "registry";
    RegistryStreams streams;
    std::string notify_stream = "notify.cmd";
    std::size_t consumers = 2;
    std::string admin_password;  // the bootstrap admin's password (first start only)
    std::vector<platform::crypto::FieldKey> field_keys;
    std::string lookup_key;       // HMAC key of the identity-number look-up hashes
    std::string letter_seed_hex;  // Ed25519 seed that signs status letters
    platform::crypto::PasswordCost password_cost;
    int login_max_failures = 5;
    std::chrono::milliseconds login_lockout{std::chrono::minutes{30}};
    int licence_years = 3;
    int renewal_window_days = 60;
    int permit_notice_days = 30;
    std::chrono::milliseconds jobs_interval{std::chrono::hours{1}};
    std::string permit_registry_url;  // empty: POST /v1/permits/{id}/verify answers 503
    std::string permit_registry_api_key;
    std::chrono::milliseconds permit_registry_timeout{std::chrono::seconds{2}};

    static RegistrySettings load(platform::ConfigReader& reader);
};

/// Message types on `registry.cmd`. The gateway forwards every registry operation as
/// kHttpRequest (the envelope names the operation).
namespace messages {
constexpr std::string_view kHttpRequest = "registry.http";
/// Service query `{worker_id, beneficiary_id?, purpose}` → the parties of a deposit or
/// remittance (docs/registry.md "Queries from other services").
constexpr std::string_view kParties = "registry.parties";
/// Service query `{beneficiary_id, national_id, agent_id}` → whether the national id an agent
/// typed at a cash pickup is the beneficiary's, and the agent's country; never the number itself
/// (docs/registry.md "Queries from other services").
constexpr std::string_view kRecipientCheck = "registry.recipient_check";
/// The USSD service's questions and PIN change (docs/ussd.md "Who is calling").
constexpr std::string_view kUssdCaller = "registry.ussd_caller";
constexpr std::string_view kUssdPinCheck = "registry.ussd_pin_check";
constexpr std::string_view kUssdPinChange = "registry.ussd_pin_change";
// Events on registry.events.
constexpr std::string_view kWorkerRegistered = "registry.worker_registered";
constexpr std::string_view kPermitStatusChanged = "registry.permit_status_changed";
constexpr std::string_view kAgencyStatusChanged = "registry.agency_status_changed";
constexpr std::string_view kTraffickingAlert = "registry.trafficking_alert";
}  // namespace messages

[[nodiscard]] std::vector<platform::Migration> registry_migrations();
/// The operationIds of api-spec/openapi.yaml the registry answers (the gateway forwards them).
[[nodiscard]] std::vector<std::string> registry_operations();

/// The registry process: consumers of registry.cmd answering the registry's HTTP operations
/// (each in one PostgreSQL transaction with its inbox row, its events in the outbox, and an
/// access-log row for every read or change of a person's data), the outbox relay, and the daily
/// jobs (licences falling due, permits about to expire).
class RegistryService {
public:
    /// `clock` must outlive the service (tests pass a ManualClock to move the calendar).
    RegistryService(
        const platform::PlatformSettings& platform,
        RegistrySettings settings,
        const platform::Clock& clock = default_clock()
    );
    ~RegistryService();
    RegistryService(const RegistryService&) = delete;
    RegistryService& operator=(const RegistryService&) = delete;
    RegistryService(RegistryService&&) = delete;
    RegistryService& operator=(RegistryService&&) = delete;

    /// Replaces the permit registry adapter (tests use fakes); call before start().
    void use_permit_registry(std::unique_ptr<permit_registry::PermitRegistry> registry);

    /// Migrates, creates the `admin` staff account on an empty database, starts relay, consumers
    /// and the job timer.
    void start();
    void stop();

    /// Answers one HTTP operation inside `tx` (what the consumers call; exposed for tests).
    [[nodiscard]] platform::api::Reply handle(
        pqxx::dbtransaction& tx, const platform::api::Request& request
    );
    /// Answers one message of the command stream inside `tx`: a service query (kParties,
    /// kRecipientCheck) by its type, else an HTTP operation envelope; the reply payload (what the
    /// consumers call; exposed for tests).
    [[nodiscard]] std::string answer(
        pqxx::dbtransaction& tx, const platform::bus::Message& message
    );
    struct JobReport {
        int agencies_changed = 0;
        int permits_changed = 0;
        int expiry_notices = 0;
    };
    /// The daily jobs, idempotent: run as often as you like.
    JobReport run_jobs();

    /// Applies the registry's migrations (start() does it too), then seals any agency director's
    /// identity number still stored in clear (written before V004).
    void migrate();
    struct RotationReport {
        int rewritten = 0;   // values sealed again under the current key
        int unreadable = 0;  // values no key in the ring opens (reported, left as they are)
    };
    /// Re-encrypts every identity number not sealed under the first key of the ring (workers'
    /// passports and Lesotho IDs, beneficiaries' and agency directors' national IDs)
    /// (`chelete registry rotate-keys`); run after putting a new key first. Idempotent.
    RotationReport rotate_field_keys();

private:
    static const platform::Clock& default_clock();
    void job_loop();
    /// Seals agency directors' identity numbers still in clear (rows from before V004) and, with
    /// `reseal_old_keys`, re-seals those under an old key; by agency, in slices.
    RotationReport seal_agency_directors(bool reseal_old_keys);

    platform::PlatformSettings platform_;
    RegistrySettings settings_;
    const platform::Clock& clock_;
    std::unique_ptr<platform::crypto::FieldCipher> cipher_;
    std::unique_ptr<platform::crypto::PasswordHasher> hasher_;
    std::unique_ptr<platform::crypto::Ed25519Signer> signer_;
    std::unique_ptr<permit_registry::PermitRegistry> permit_registry_;
    std::unique_ptr<platform::PgPool> pool_;
    std::unique_ptr<platform::bus::Outbox> outbox_;
    std::unique_ptr<platform::bus::OutboxRelay> relay_;
    std::vector<std::unique_ptr<platform::bus::Consumer>> consumers_;
    std::atomic<bool> stopping_{false};
    std::mutex jobs_mutex_;
    std::condition_variable jobs_cv_;
    std::thread jobs_thread_;
};

}  // namespace chelete::registry
