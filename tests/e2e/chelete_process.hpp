#pragma once

// `chelete all` as a child process for end-to-end tests: every service and the gateway, on real
// PostgreSQL and Redis, with schemas and streams of its own so tests never meet each other's data.

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include <chelete/testing/env.hpp>
#include <chelete/testing/http_client.hpp>

namespace chelete::testing {

class CheleteProcess {
public:
    /// Starts and waits until /readyz answers 200 (fails the test otherwise).
    explicit CheleteProcess(const std::map<std::string, std::string>& extra_env = {});
    ~CheleteProcess();
    CheleteProcess(const CheleteProcess&) = delete;
    CheleteProcess& operator=(const CheleteProcess&) = delete;
    CheleteProcess(CheleteProcess&&) = delete;
    CheleteProcess& operator=(CheleteProcess&&) = delete;

    [[nodiscard]] bool ready() const { return ready_; }
    [[nodiscard]] HttpClient& http() { return *http_; }
    [[nodiscard]] std::string base_url() const;
    /// A token signed with the process's key, as the gateway would issue it.
    [[nodiscard]] std::string token(const std::string& role, const std::string& subject) const;
    [[nodiscard]] std::string bearer(const std::string& role, const std::string& subject) const {
        return "Authorization: Bearer " + token(role, subject);
    }
    [[nodiscard]] const std::string& ledger_stream() const { return ledger_stream_; }
    [[nodiscard]] const std::string& ledger_schema() const { return ledger_schema_; }
    [[nodiscard]] const std::string& registry_schema() const { return registry_schema_; }
    [[nodiscard]] const std::string& remit_schema() const { return remit_schema_; }
    /// Where the ledger answers the remittance service's commands.
    [[nodiscard]] const std::string& remit_ledger_replies() const { return remit_ledger_replies_; }
    [[nodiscard]] const std::string& compliance_schema() const { return compliance_schema_; }
    [[nodiscard]] const std::string& cbank_schema() const { return cbank_schema_; }
    [[nodiscard]] const std::string& payout_schema() const { return payout_schema_; }
    /// The notifier's (no SMS gateway: its rows stay queued).
    [[nodiscard]] const std::string& notify_schema() const { return notify_schema_; }
    /// Where payout requests go and payout outcomes come from (tests play the partner adapter).
    [[nodiscard]] const std::string& payout_command_stream() const { return payout_command_; }
    [[nodiscard]] const std::string& payout_event_stream() const { return payout_events_; }
    [[nodiscard]] const std::string& log_file() const { return log_file_; }
    /// The remittance service's command stream (tests send it what another service would).
    [[nodiscard]] const std::string& remit_command_stream() const { return remit_command_; }
    [[nodiscard]] const std::string& ussd_schema() const { return ussd_schema_; }
    /// Where the USSD service keeps its sessions in Redis (key = prefix + sessionId).
    [[nodiscard]] const std::string& ussd_session_prefix() const { return ussd_session_prefix_; }
    static constexpr const char* kAdminPassword = "e2e-admin-password-123";

private:
    std::string ledger_schema_;
    std::string registry_schema_;
    std::string ledger_stream_;
    std::string remit_schema_;
    std::string remit_ledger_replies_;
    std::string compliance_schema_;
    std::string cbank_schema_;
    std::string payout_schema_;
    std::string notify_schema_;
    std::string payout_command_;
    std::string payout_events_;
    std::string log_file_;
    std::string remit_command_;
    std::string ussd_schema_;
    std::string ussd_session_prefix_;
    int ledger_shards_ = 1;
    std::uint16_t port_ = 0;
    bool ready_ = false;
    std::unique_ptr<ChildProcess> process_;
    std::unique_ptr<HttpClient> http_;
};

}  // namespace chelete::testing
