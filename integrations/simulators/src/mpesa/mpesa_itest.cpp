// The real `chelete-simulator mpesa` binary end to end: a session, one payment, its signed
// callback arriving at a small receiver in this test, and SIGTERM stopping the process with exit
// 0 (also with callbacks still pending). Needs no PostgreSQL or Redis.
#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chelete/testing/env.hpp>
#include <chelete/testing/http_client.hpp>

#include "testing/test_keys.hpp"

namespace chelete::simulators {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

struct Received {
    std::map<std::string, std::string> headers;  // lower-cased names
    std::string body;
};

/// A tiny HTTP/1.1 receiver on 127.0.0.1: reads one request per connection, answers 200 and
/// closes. Plain sockets, so the test depends on nothing the simulator uses.
class CallbackReceiver {
public:
    CallbackReceiver() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
        const int one = 1;
        setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        for (int attempt = 0; attempt < 20 && port_ == 0; ++attempt) {
            const auto port = chelete::testing::unused_port();
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_port = htons(port);
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {  // NOLINT
                port_ = port;
            }
        }
        if (port_ == 0 || listen(fd_, 16) != 0) {
            throw std::runtime_error("the callback receiver cannot listen");
        }
        thread_ = std::thread([this] { run(); });
    }
    ~CallbackReceiver() {
        stop_ = true;
        thread_.join();
        close(fd_);
    }
    CallbackReceiver(const CallbackReceiver&) = delete;
    CallbackReceiver& operator=(const CallbackReceiver&) = delete;
    CallbackReceiver(CallbackReceiver&&) = delete;
    CallbackReceiver& operator=(CallbackReceiver&&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::vector<Received> received() const {
        const std::lock_guard lock{mutex_};
        return received_;
    }

private:
    void run() {
        while (!stop_) {
            pollfd pfd{fd_, POLLIN, 0};
            if (poll(&pfd, 1, 50) <= 0) {
                continue;
            }
            const int client = accept(fd_, nullptr, nullptr);
            if (client < 0) {
                continue;
            }
            serve(client);
            close(client);
        }
    }

    void serve(int client) {
        std::string data;
        std::array<char, 4096> buffer{};
        std::size_t header_end = std::string::npos;
        std::size_t length = 0;
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd pfd{client, POLLIN, 0};
            if (poll(&pfd, 1, 50) <= 0) {
                continue;
            }
            const auto n = recv(client, buffer.data(), buffer.size(), 0);
            if (n <= 0) {
                return;
            }
            data.append(buffer.data(), static_cast<std::size_t>(n));
            if (header_end == std::string::npos) {
                header_end = data.find("\r\n\r\n");
                if (header_end == std::string::npos) {
                    continue;
                }
                Received r;
                std::size_t line_start = data.find("\r\n") + 2;
                while (line_start < header_end) {
                    const auto line_end = data.find("\r\n", line_start);
                    const std::string line = data.substr(line_start, line_end - line_start);
                    const auto colon = line.find(':');
                    std::string name = line.substr(0, colon);
                    for (auto& c : name) {
                        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    }
                    r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
                    line_start = line_end + 2;
                }
                length = std::stoul(r.headers["content-length"]);
                pending_ = std::move(r);
            }
            if (data.size() >= header_end + 4 + length) {
                pending_.body = data.substr(header_end + 4, length);
                const std::string reply =
                    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                (void)send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
                const std::lock_guard lock{mutex_};
                received_.push_back(std::move(pending_));
                return;
            }
        }
    }

    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::vector<Received> received_;
    Received pending_;
    std::thread thread_;
};

class MpesaSimulatorItest : public ::testing::Test {
protected:
    void start(const std::vector<std::string>& extra = {}) {
        for (int attempt = 0; attempt < 4; ++attempt) {
            port_ = chelete::testing::unused_port();
            std::vector<std::string> args{
                "mpesa",
                "--port",
                std::to_string(port_),
                "--api-key",
                api_key_,
                "--callback-url",
                "http://127.0.0.1:" + std::to_string(receiver_.port()) + "/callbacks/mpesa",
                "--callback-secret",
                secret_};
            args.insert(args.end(), extra.begin(), extra.end());
            simulator_ = std::make_unique<chelete::testing::ChildProcess>(
                chelete::testing::built_program("chelete-simulator"), args
            );
            client_ = std::make_unique<chelete::testing::HttpClient>(
                "http://127.0.0.1:" + std::to_string(port_)
            );
            bool up = false;
            chelete::testing::wait_until(
                [&] {
                    if (!simulator_->running()) {
                        return true;
                    }
                    try {
                        up = client_->get("/healthz").status == 200;
                    } catch (const std::exception&) {
                        up = false;
                    }
                    return up;
                },
                15s
            );
            if (up && simulator_->running()) {
                return;
            }
            simulator_.reset();
        }
        FAIL() << "the mpesa simulator did not start";
    }

    /// SIGTERM must stop the process promptly with exit status 0.
    void expect_clean_stop() {
        const auto started = std::chrono::steady_clock::now();
        simulator_->kill(SIGTERM);
        const auto status = simulator_->wait_for(5s);
        ASSERT_TRUE(status.has_value()) << "the simulator ignored SIGTERM";
        EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "wait status " << *status;
        EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    }

    std::string session() {
        const auto pem = client_->get("/admin/public-key");
        EXPECT_EQ(pem.status, 200);
        const auto bearer = testing::encrypt_bearer_with_pem(pem.body, api_key_);
        const auto reply = client_->get(
            "/openapi/ipg/v2/vodacomLES/getSession/",
            {"Authorization: Bearer " + bearer, "Origin: *"}
        );
        EXPECT_EQ(reply.status, 200) << reply.body;
        session_bearer_ = testing::encrypt_bearer_with_pem(
            pem.body, Json::parse(reply.body)["output_SessionID"].get<std::string>()
        );
        return session_bearer_;
    }

    chelete::testing::HttpResult pay(const std::string& reference) {
        const Json body{
            {"input_Amount", "10.00"},
            {"input_Country", "LES"},
            {"input_Currency", "LSL"},
            {"input_CustomerMSISDN", "26658123456"},
            {"input_ServiceProviderCode", "000000"},
            {"input_ThirdPartyConversationID", reference},
            {"input_TransactionReference", "RMT-1"},
            {"input_PaymentItemsDesc", "remittance"}};
        return client_->post_json(
            "/openapi/ipg/v2/vodacomLES/b2cPayment/",
            body.dump(),
            {"Authorization: Bearer " + session_bearer_, "Origin: *", "Expect:"}
        );
    }

    const std::string api_key_ = "itest-key-" + std::to_string(getpid());
    const std::string secret_ = "itest-callback-secret";
    CallbackReceiver receiver_;
    std::uint16_t port_ = 0;
    std::unique_ptr<chelete::testing::ChildProcess> simulator_;
    std::unique_ptr<chelete::testing::HttpClient> client_;
    std::string session_bearer_;
};

TEST_F(MpesaSimulatorItest, OnePaymentEndToEndWithItsSignedCallback) {
    start();
    session();
    const auto accepted = pay("ITEST1");
    ASSERT_EQ(accepted.status, 201) << accepted.body;
    const auto body = Json::parse(accepted.body);
    EXPECT_EQ(body["output_ResponseCode"], "INS-0");

    ASSERT_TRUE(chelete::testing::wait_until([&] { return !receiver_.received().empty(); }, 10s))
        << "no callback arrived";
    const auto callback = receiver_.received().at(0);
    EXPECT_EQ(callback.headers.at("content-type"), "application/json");
    const auto& timestamp = callback.headers.at("x-chelete-timestamp");
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()
    )
                         .count();
    EXPECT_LE(std::abs(now - std::stoll(timestamp)), 5);
    EXPECT_EQ(
        callback.headers.at("x-chelete-signature"),
        "v1=" + testing::reference_hmac_hex(secret_, timestamp + "." + callback.body)
    );
    const auto result = Json::parse(callback.body);
    EXPECT_EQ(result["input_ThirdPartyConversationID"], "ITEST1");
    EXPECT_EQ(result["input_ResultCode"], "INS-0");
    EXPECT_EQ(result["input_TransactionID"], body["output_TransactionID"]);
    EXPECT_EQ(result["input_OriginalConversationID"], body["output_ConversationID"]);
    EXPECT_EQ(result["input_Amount"], "10.00");

    const auto payments = Json::parse(client_->get("/admin/payments").body);
    EXPECT_EQ(payments["completed"], 1);
    EXPECT_EQ(payments["payments"][0]["status"], "completed");
    EXPECT_EQ(Json::parse(client_->get("/admin/float").body)["balance"], "9999990.00");
    ASSERT_TRUE(chelete::testing::wait_until(
        [&] { return !Json::parse(client_->get("/admin/callbacks").body)["callbacks"].empty(); }, 5s
    ));
    const auto attempts = Json::parse(client_->get("/admin/callbacks").body)["callbacks"];
    EXPECT_EQ(attempts[0]["delivered"], true);
    EXPECT_EQ(attempts[0]["status"], 200);
    // The same reference again changes nothing.
    EXPECT_EQ(pay("ITEST1").status, 409);
    expect_clean_stop();
    EXPECT_EQ(receiver_.received().size(), 1U);
}

TEST_F(MpesaSimulatorItest, SigtermDropsPendingCallbacksAndExitsPromptly) {
    start({"--late-callback-ms", "60000"});
    session();
    ASSERT_EQ(pay("ITEST2").status, 201);
    expect_clean_stop();
    EXPECT_TRUE(receiver_.received().empty());
}

TEST_F(MpesaSimulatorItest, BadFlagsExitWithUsageStatus) {
    chelete::testing::ChildProcess bad{
        chelete::testing::built_program("chelete-simulator"),
        {"mpesa", "--port", "1", "--api-key", "k", "--callback-secret", "s"}};
    const auto status = bad.wait_for(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2);
}

}  // namespace
}  // namespace chelete::simulators
