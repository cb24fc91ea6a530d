#pragma once

// Test support for the itests: integrations/simulators' chelete-simulator started as a child
// process on a bind-checked port, with the flags a test needs.
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <chelete/platform/clock.hpp>
#include <chelete/testing/env.hpp>
#include <chelete/testing/http_client.hpp>

namespace chelete::mobile_money::itest {

using namespace std::chrono_literals;
using Json = nlohmann::json;

class SimulatorProcess {
public:
    /// Starts `chelete-simulator <partner> --port P <flags>`; ready once GET `ready_path`
    /// answers 200. Returns false (after a few ports) when it never became ready.
    bool start(
        const std::string& partner,
        const std::vector<std::string>& flags,
        const std::string& ready_path
    ) {
        for (int attempt = 0; attempt < 4; ++attempt) {
            port_ = testing::unused_port();
            std::vector<std::string> args{partner, "--port", std::to_string(port_)};
            args.insert(args.end(), flags.begin(), flags.end());
            process_ = std::make_unique<testing::ChildProcess>(
                testing::built_program("chelete-simulator"), args
            );
            admin_ = std::make_unique<testing::HttpClient>(base_url());
            bool ready = false;
            testing::wait_until(
                [&] {
                    if (!process_->running()) {
                        return true;
                    }
                    try {
                        ready = admin_->get(ready_path).status == 200;
                    } catch (const std::exception&) {
                        ready = false;
                    }
                    return ready;
                },
                10s
            );
            if (ready && process_->running()) {
                return true;
            }
            process_.reset();
        }
        return false;
    }

    /// Stops it with SIGTERM; it must exit by itself, cleanly, held answers and all.
    void stop() {
        if (!process_) {
            return;
        }
        process_->kill(SIGTERM);
        const auto status = process_->wait_for(10s);
        ASSERT_TRUE(status.has_value()) << "the simulator ignored SIGTERM";
        EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "wait status " << *status;
        process_.reset();
    }

    [[nodiscard]] std::string base_url() const {
        return "http://127.0.0.1:" + std::to_string(port_);
    }
    testing::HttpClient& admin() { return *admin_; }

    Json admin_json(const std::string& path) {
        const auto reply = admin_->get(path);
        EXPECT_EQ(reply.status, 200) << path << ": " << reply.body;
        return Json::parse(reply.body, nullptr, false);
    }

    /// The admin view of the payment with this reference, or null.
    Json payment(const std::string& reference) {
        const Json all = admin_json("/admin/payments");
        if (all.is_object() && all.contains("payments")) {
            for (const auto& p : all.at("payments")) {
                if (p.value("reference", "") == reference) {
                    return p;
                }
            }
        }
        return nullptr;
    }

    int completed() {
        const Json all = admin_json("/admin/payments");
        return all.is_object() ? all.value("completed", -1) : -1;
    }

    void set_float(const std::string& balance) {
        const auto reply = admin_->post_json("/admin/float", Json{{"balance", balance}}.dump());
        ASSERT_TRUE(reply.status == 200 || reply.status == 204) << reply.status << reply.body;
    }

private:
    std::uint16_t port_ = 0;
    std::unique_ptr<testing::ChildProcess> process_;
    std::unique_ptr<testing::HttpClient> admin_;
};

/// A reference unique to this process and call ([A-Za-z0-9]).
inline std::string unique_reference(const std::string& prefix) {
    static int counter = 0;
    return prefix + std::to_string(getpid()) + "x" + std::to_string(++counter);
}

inline std::string today_utc() {
    return platform::Date::of(std::chrono::system_clock::now()).to_string();
}

}  // namespace chelete::mobile_money::itest
