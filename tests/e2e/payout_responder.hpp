#pragma once

// Plays the partner adapter for tests (issue 5: until the payout integration exists): reads
// payout.cmd in a consumer group of its own and answers each request on payout.events with the
// outcome a test chooses. It counts requests per remittance, so a test can prove none was sent
// twice.

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace chelete::testing {

enum class PayoutOutcome {
    kPaid,
    kFailed,
    kUnknownThenPaid,    // first "unknown", then "paid" (a status query settled it)
    kUnknownThenFailed,  // first "unknown", then "failed"
    kNoAnswer,           // never answered: the remittance stays payout_pending
};

class PayoutResponder {
public:
    using Decide = std::function<PayoutOutcome(const nlohmann::json& request)>;

    PayoutResponder(std::string command_stream, std::string event_stream, Decide decide);
    ~PayoutResponder();
    PayoutResponder(const PayoutResponder&) = delete;
    PayoutResponder& operator=(const PayoutResponder&) = delete;
    PayoutResponder(PayoutResponder&&) = delete;
    PayoutResponder& operator=(PayoutResponder&&) = delete;

    /// How many payout requests arrived for the remittance (a redelivered entry counts once).
    [[nodiscard]] int requests_for(const std::string& remittance_id) const;
    [[nodiscard]] std::map<std::string, int> requests() const;
    /// The last request seen for the remittance (null when none).
    [[nodiscard]] nlohmann::json request_of(const std::string& remittance_id) const;
    /// Publishes one outcome now ("paid", "failed", "unknown"), e.g. for a kNoAnswer request or
    /// a late answer; "paid" carries the partner reference `TEST-<payout_reference>`. Returns the
    /// bus message id (the consumer's inbox row has it once the message was handled).
    std::string answer(
        const std::string& remittance_id,
        const std::string& outcome,
        const std::string& payout_reference = {}
    );
    /// Publishes a payout.voucher_issued event now; returns the bus message id.
    std::string voucher(
        const std::string& remittance_id,
        const std::string& voucher_code,
        const std::string& expires_at
    );

private:
    void run();

    std::string command_stream_;
    std::string event_stream_;
    Decide decide_;
    mutable std::mutex mutex_;
    std::map<std::string, int> counts_;
    std::map<std::string, nlohmann::json> last_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace chelete::testing
