#pragma once

// The notifier service (docs/notifier.md): consumes notify.sms requests from notify.cmd, keeps
// one row per request in its schema `notify` (deduplicated by dedupe_key), renders the template
// and sends it through the SMS gateway, retrying with backoff.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/clock.hpp>
#include <chelete/platform/config.hpp>
#include <chelete/platform/pg.hpp>
#include <chelete/platform/settings.hpp>
#include <chelete/sms/gateway.hpp>

namespace chelete::notifier {

/// CHELETE_NOTIFY_STREAM: the registry reads it too (it produces notify.sms). Load it here only
/// when the registry's settings are not read in this process, and copy it otherwise.
struct NotifyStreams {
    std::string command_stream = "notify.cmd";
    static NotifyStreams load(platform::ConfigReader& reader);
};

struct NotifierSettings {
    std::string schema = "notify";
    /// Not read by load(): the caller copies NotifyStreams::command_stream (or the registry's).
    std::string command_stream = "notify.cmd";
    std::size_t consumers = 1;
    /// Empty: no gateway; requests are stored and stay queued (one warning at start).
    std::string sms_base_url;
    std::string sms_api_key;
    std::string sender_id = "Chelete";
    std::chrono::milliseconds sms_timeout{5000};
    /// Attempts inside one send (connection refused, timeout, 503: safe by the reference).
    int sms_attempts = 3;
    std::string default_language = "st";
    /// Sends of one message by the sender loop before it is failed.
    int max_attempts = 8;
    /// Wait before the second send of a message, doubled after each failure up to retry_max.
    std::chrono::milliseconds retry_backoff{std::chrono::seconds{10}};
    std::chrono::milliseconds retry_max{std::chrono::minutes{10}};
    std::chrono::milliseconds poll_interval{500};
    std::size_t send_batch = 16;

    static NotifierSettings load(platform::ConfigReader& reader);
};

namespace messages {
constexpr std::string_view kSms = "notify.sms";
}  // namespace messages

[[nodiscard]] std::vector<platform::Migration> notifier_migrations();

/// What happened to one notify.sms request.
enum class Accepted {
    kQueued,     // stored; the sender loop sends it
    kSent,       // a secret message, sent at once (secret texts are never stored)
    kFailed,     // a secret message the gateway refused, or no gateway for it
    kDuplicate,  // its dedupe_key is known: nothing done
    kInvalid,    // malformed or unrenderable: logged and dropped, nothing stored
};
[[nodiscard]] std::string_view to_string(Accepted accepted);

/// The notifier process: consumers of notify.cmd and one sender loop.
class NotifierService {
public:
    /// `gateway`: the SMS gateway to use; nullptr builds the libcurl adapter from the settings
    /// (none when sms_base_url is empty). Throws std::invalid_argument for bad settings.
    NotifierService(
        const platform::PlatformSettings& platform,
        NotifierSettings settings,
        std::shared_ptr<sms::SmsGateway> gateway = nullptr,
        const platform::Clock& clock = default_clock()
    );
    ~NotifierService();
    NotifierService(const NotifierService&) = delete;
    NotifierService& operator=(const NotifierService&) = delete;
    NotifierService(NotifierService&&) = delete;
    NotifierService& operator=(NotifierService&&) = delete;

    void migrate();
    /// Migrates, starts the consumers and the sender loop.
    void start();
    void stop();

    /// Applies one notify.sms payload inside `tx` (what the consumers call; exposed for tests).
    /// Throws when a secret message could not be sent for now (the bus delivers it again).
    Accepted accept(pqxx::transaction_base& tx, std::string_view payload);
    /// One pass of the sender loop: sends queued messages that are due; returns how many were
    /// tried. Does nothing without a gateway.
    std::size_t send_due();

    [[nodiscard]] bool has_gateway() const { return gateway_ != nullptr; }

private:
    static const platform::Clock& default_clock();
    void sender_loop();

    platform::PlatformSettings platform_;
    NotifierSettings settings_;
    std::shared_ptr<sms::SmsGateway> gateway_;
    const platform::Clock& clock_;
    std::unique_ptr<platform::PgPool> pool_;
    std::vector<std::unique_ptr<platform::bus::Consumer>> consumers_;
    std::atomic<bool> stopping_{false};
    std::mutex wake_mutex_;
    std::condition_variable wake_;
    std::thread sender_;
};

}  // namespace chelete::notifier
