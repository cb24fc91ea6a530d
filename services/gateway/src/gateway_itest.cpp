// The gateway as a client meets it: real Pistache, PostgreSQL and Redis, over HTTP.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chelete/gateway/gateway.hpp>
#include <chelete/platform/api.hpp>
#include <chelete/platform/bus.hpp>
#include <chelete/platform/redis.hpp>
#include <chelete/testing/env.hpp>
#include <chelete/testing/http_client.hpp>

namespace chelete::gateway {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::HttpClient;
using testing::HttpResult;

class GatewayITest : public ::testing::Test {
protected:
    void SetUp() override {
        CHELETE_REQUIRE_PG();
        CHELETE_REQUIRE_REDIS();
        docs_dir_ = std::filesystem::temp_directory_path() / testing::unique_name("docs");
        std::filesystem::create_directories(docs_dir_);
        std::ofstream{docs_dir_ / "index.html"} << "<html><body>Chelete API docs</body></html>";
        start();
    }

    void TearDown() override {
        gateway_.reset();
        std::filesystem::remove_all(docs_dir_);
    }

    platform::MapEnvironment environment(const std::map<std::string, std::string>& extra = {}) {
        platform::MapEnvironment env{
            {"CHELETE_PG_DSN", *testing::pg_dsn()},
            {"CHELETE_REDIS_PORT", std::to_string(testing::redis_options()->port)},
            {"CHELETE_INSTANCE_ID", testing::unique_name("gw")},
            {"CHELETE_TOKEN_SECRET", std::string(48, 't')},
            {"CHELETE_HTTP_PORT", std::to_string(port_)},
            {"CHELETE_HTTP_MAX_BODY", "4096"},
            {"CHELETE_HTTP_DRAIN", "600ms"},
            {"CHELETE_RATE_LIMIT_PREFIX", testing::unique_name("rl") + ":"},
            {"CHELETE_RATE_BURST_ANONYMOUS", "1000"},
            {"CHELETE_DOCS_DIR", docs_dir_.string()}};
        for (const auto& [k, v] : extra) {
            env.set(k, v);
        }
        return env;
    }

    void start(const std::map<std::string, std::string>& extra = {}) {
        port_ = testing::unused_port();
        auto env = environment(extra);
        platform::ConfigReader reader{env};
        platform_ = platform::PlatformSettings::load(reader);
        auto settings = GatewaySettings::load(reader);
        reader.finish();
        gateway_ = std::make_unique<Gateway>(settings, platform_);
        // The services' operations are bound by the chelete binary (services/chelete/routes.cpp);
        // here they go to a stream nobody reads, which is enough to test the gateway itself.
        for (const auto& operation : gateway_->unrouted_operations()) {
            gateway_->route(operation, gateway_->forward(unrouted_stream_, operation));
        }
        gateway_->start();
        base_ = "http://127.0.0.1:" + std::to_string(port_);
    }

    std::string admin_token() {
        return gateway_->tokens().issue(Principal{"admin-1", "admin", 0, ""});
    }

    std::filesystem::path docs_dir_;
    std::uint16_t port_ = 0;
    platform::PlatformSettings platform_;
    std::unique_ptr<Gateway> gateway_;
    std::string unrouted_stream_ = testing::unique_name("gateway.unrouted");
    std::string base_;
};

TEST_F(GatewayITest, HealthReadinessSpecAndDocs) {
    HttpClient http{base_};
    auto r = http.get("/healthz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["status"], "ok");
    r = http.get("/readyz");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["checks"]["postgresql"], "ok");
    EXPECT_EQ(json::parse(r.body)["checks"]["redis"], "ok");
    r = http.get("/openapi.yaml");
    EXPECT_EQ(r.status, 200);
    EXPECT_THAT(r.headers["content-type"], HasSubstr("application/yaml"));
    EXPECT_THAT(r.body, HasSubstr("openapi: 3.1.0"));
    r = http.get("/docs");
    EXPECT_EQ(r.status, 200);
    EXPECT_THAT(r.headers["content-type"], HasSubstr("text/html"));
    EXPECT_THAT(r.body, HasSubstr("Chelete API docs"));
}

TEST_F(GatewayITest, ServesTheConsoleWithItsHeaders) {
    // docs/console.md: embedded files, their types, a strict CSP and revalidation by ETag.
    HttpClient http{base_};
    auto r = http.get("/console");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
    EXPECT_THAT(r.body, HasSubstr("<script type=\"module\" src=\"/console/app.js\">"));
    EXPECT_EQ(r.headers["cache-control"], "no-cache");
    EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
    EXPECT_THAT(r.headers["content-security-policy"], HasSubstr("script-src 'self'"));
    const std::string etag = r.headers["etag"];
    ASSERT_EQ(etag.size(), 66U) << etag;
    r = http.get("/console", {"If-None-Match: " + etag});
    EXPECT_EQ(r.status, 304);
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(r.headers["etag"], etag);
    r = http.get("/console", {"If-None-Match: \"stale\""});
    EXPECT_EQ(r.status, 200);
    r = http.get("/console/app.js");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["content-type"], "text/javascript; charset=utf-8");
    EXPECT_THAT(r.body, HasSubstr("import"));
    r = http.get("/console/console.css");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["content-type"], "text/css; charset=utf-8");
    EXPECT_EQ(http.get("/console/missing.js").status, 404);
    EXPECT_EQ(http.get("/console/index.html").status, 400);
    // An escaped slash is not a file name: no route takes it.
    EXPECT_EQ(http.get("/console/..%2Fopenapi.yaml").status, 404);
    // The API's own answers stay uncached.
    EXPECT_EQ(http.get("/openapi.yaml").headers["cache-control"], "no-store");
}

TEST_F(GatewayITest, ReadinessNamesTheServerThatIsDown) {
    // A load balancer takes a gateway out of rotation on 503; the body says which server to look
    // at.
    gateway_.reset();
    start({{"CHELETE_REDIS_PORT", std::to_string(testing::unused_port())}});
    HttpClient http{base_};
    EXPECT_EQ(http.get("/healthz").status, 200);  // alive, only not ready
    const auto r = http.get("/readyz");
    EXPECT_EQ(r.status, 503) << r.body;
    const auto body = json::parse(r.body);
    EXPECT_EQ(body["checks"]["postgresql"], "ok");
    EXPECT_NE(body["checks"]["redis"], "ok");
}

TEST_F(GatewayITest, TheRequestIdTravelsIntoTheStreamMessage) {
    // One id follows a request from the client's header into the message a service consumes, so the
    // logs of every process it touched can be joined on it.
    gateway_.reset();
    start({{"CHELETE_HTTP_REQUEST_TIMEOUT", "300ms"}});
    HttpClient http{base_};
    const std::string request_id = testing::unique_name("trace");
    const auto r = http.get(
        "/v1/staff", {"Authorization: Bearer " + admin_token(), "X-Request-Id: " + request_id}
    );
    EXPECT_EQ(r.status, 504) << r.body;  // nobody consumes the unrouted stream
    EXPECT_EQ(r.headers.at("x-request-id"), request_id);
    platform::RedisClient redis{*testing::redis_options()};
    const auto entries = redis.command({"XRANGE", unrouted_stream_, "-", "+"});
    ASSERT_EQ(entries.value().size(), 1U);
    const auto fields = entries.value()[0][1];
    std::map<std::string, std::string> by_name;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
        by_name[std::string{fields[i].str()}] = std::string{fields[i + 1].str()};
    }
    EXPECT_EQ(by_name["cid"], request_id);
    EXPECT_THAT(by_name["payload"], HasSubstr(R"("operation":"listStaff")"));
}

// A service's reply may carry headers (Retry-After, Location, Content-Disposition), but never
// its own Cache-Control: answers with personal data stay no-store whatever a service says. Since
// the console's files set their own Cache-Control, the server no longer adds no-store over one.
TEST_F(GatewayITest, AServiceReplyCannotLiftNoStore) {
    HttpClient http{base_};
    auto answered = std::async(std::launch::async, [&] {
        return http.get("/v1/staff", {"Authorization: Bearer " + admin_token()});
    });
    // Play the service: take the forwarded request and answer it with a caching header.
    platform::RedisClient redis{*testing::redis_options()};
    std::optional<platform::bus::Message> request;
    ASSERT_TRUE(testing::wait_until(
        [&] {
            const auto entries = redis.command({"XRANGE", unrouted_stream_, "-", "+"});
            if (entries.is_error() || entries.value().size() == 0) {
                return false;
            }
            request = platform::bus::parse_entry(unrouted_stream_, entries.value()[0]);
            return request.has_value();
        },
        std::chrono::seconds{5}
    ));
    platform::api::Reply reply = platform::api::json(200, json{{"items", json::array()}});
    reply.headers["Cache-Control"] = "public, max-age=3600";
    reply.headers["X-Service-Note"] = "kept";
    platform::bus::send_reply(redis, platform_.bus, *request, reply.to_payload());
    const auto r = answered.get();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers.at("cache-control"), "no-store");
    EXPECT_EQ(r.headers.at("x-service-note"), "kept");
}

TEST_F(GatewayITest, KeepsConnectionsAlive) {
    HttpClient http{base_};
    const auto first = http.get("/healthz");
    auto second = http.get("/healthz");
    EXPECT_EQ(first.new_connections, 1);
    EXPECT_EQ(second.new_connections, 0) << "the second request must reuse the connection";
    auto connection = second.headers["connection"];
    std::transform(connection.begin(), connection.end(), connection.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    EXPECT_EQ(connection, "keep-alive");
}

TEST_F(GatewayITest, MetricsNeedAnAdminOrTheMetricsToken) {
    HttpClient http{base_};
    (void)http.get("/healthz");
    EXPECT_EQ(http.get("/metrics").status, 401);
    auto r = http.get("/metrics", {"Authorization: Bearer " + admin_token()});
    EXPECT_EQ(r.status, 200);
    EXPECT_THAT(r.headers["content-type"], HasSubstr("text/plain"));
    EXPECT_THAT(
        r.body, HasSubstr("chelete_http_requests_total{operation=\"getHealth\",status=\"200\"}")
    );
}

TEST_F(GatewayITest, ErrorsAreProblemJson) {
    HttpClient http{base_};
    auto r = http.get("/v1/nowhere");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.headers["content-type"], "application/problem+json");
    EXPECT_EQ(json::parse(r.body)["status"], 404);
    r = http.request("DELETE", "/healthz");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.headers["allow"], "GET");
    r = http.request("GET", "/healthz", std::string(6000, 'x'));
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.headers["content-type"], "application/problem+json");
    // Far beyond even Pistache's buffer: still refused, and the server lives on.
    HttpClient other{base_};
    EXPECT_EQ(other.request("GET", "/healthz", std::string(200'000, 'x')).status, 413);
    EXPECT_EQ(HttpClient{base_}.get("/healthz").status, 200);
}

TEST_F(GatewayITest, EchoesASaneRequestId) {
    HttpClient http{base_};
    auto r = http.get("/healthz", {"X-Request-Id: abc-123"});
    EXPECT_EQ(r.headers["x-request-id"], "abc-123");
    r = http.get("/healthz", {"X-Request-Id: <script>"});
    EXPECT_NE(r.headers["x-request-id"], "<script>");
    EXPECT_EQ(r.headers["x-request-id"].size(), 36U);
}

TEST_F(GatewayITest, ConcurrentUnusualMethodsDoNotRaceTheRouter) {
    // Pistache 0.0.5's Router inserts into a shared map the first time a method without routes
    // arrives; we route ourselves, so unusual methods from many threads must just get answers.
    std::atomic<int> answered{0};
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            HttpClient http{base_};
            for (const char* method : {"TRACE", "OPTIONS", "PATCH", "PUT", "DELETE", "HEAD"}) {
                const auto r = http.request(method, t % 2 == 0 ? "/healthz" : "/nothing");
                if (r.status == 405 || r.status == 404) {
                    ++answered;
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(answered.load(), 8 * 6);
    EXPECT_EQ(HttpClient{base_}.get("/healthz").status, 200);
}

TEST_F(GatewayITest, ReadinessTurnsUnavailableWhileDraining) {
    std::thread stopper([&] { gateway_->stop(); });
    ASSERT_TRUE(testing::wait_until([&] { return gateway_->draining(); }, std::chrono::seconds{5}));
    HttpClient http{base_};
    const auto r = http.get("/readyz");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(json::parse(r.body)["checks"]["server"], "draining");
    stopper.join();
}

TEST_F(GatewayITest, RefusesToStartOnABrokenSpec) {
    const auto broken = docs_dir_ / "broken.yaml";
    std::ofstream{broken}
        << "openapi: 3.1.0\npaths:\n  /x:\n    get:\n      operationId: x\n      responses: [";
    auto env = environment({{"CHELETE_OPENAPI_PATH", broken.string()}});
    platform::ConfigReader reader{env};
    const auto platform_settings = platform::PlatformSettings::load(reader);
    const auto settings = GatewaySettings::load(reader);
    EXPECT_THROW((Gateway{settings, platform_settings}), SpecError);
    auto missing = environment({{"CHELETE_OPENAPI_PATH", (docs_dir_ / "absent.yaml").string()}});
    platform::ConfigReader reader2{missing};
    const auto p2 = platform::PlatformSettings::load(reader2);
    EXPECT_THROW((Gateway{GatewaySettings::load(reader2), p2}), SpecError);
}

TEST_F(GatewayITest, RateLimitsAnonymousClientsWithRetryAfter) {
    gateway_.reset();
    start({{"CHELETE_RATE_LIMIT_ANONYMOUS", "60"}, {"CHELETE_RATE_BURST_ANONYMOUS", "3"}});
    HttpClient http{base_};
    int ok = 0;
    HttpResult last;
    for (int i = 0; i < 6; ++i) {
        last = http.get("/healthz");
        ok += last.status == 200 ? 1 : 0;
    }
    EXPECT_EQ(ok, 3);
    EXPECT_EQ(last.status, 429);
    EXPECT_EQ(last.headers["retry-after"], "1");
}

TEST_F(GatewayITest, DocsRenderOfflineInABrowser) {
    // The page Redocly built from the spec, served by the gateway, rendered by headless Chromium
    // with every host but 127.0.0.1 unresolvable: the docs need nothing from the internet.
    gateway_.reset();
    std::filesystem::remove_all(docs_dir_);
    std::filesystem::create_directories(docs_dir_);
    std::filesystem::copy_file(
        std::string{CHELETE_BUILT_DOCS_DIR} + "/index.html", docs_dir_ / "index.html"
    );
    start();
    const auto profile = std::filesystem::temp_directory_path() / testing::unique_name("chromium");
    const std::string command =
        "timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
        "--disable-background-networking --disable-component-update --disable-sync "
        "--host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1' --virtual-time-budget=5000 "
        "--user-data-dir=" +
        profile.string() + " --dump-dom " + base_ + "/docs 2>/dev/null";
    FILE* pipe = popen(command.c_str(), "r");  // NOLINT(cert-env33-c): a fixed command line
    ASSERT_NE(pipe, nullptr);
    std::string dom;
    std::array<char, 65536> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
        dom.append(buf.data(), n);
    }
    pclose(pipe);
    std::filesystem::remove_all(profile);
    // Text that only exists once Redoc's script has run over the spec.
    EXPECT_THAT(dom, HasSubstr("Chelete API (0.1.0)"));
    EXPECT_THAT(dom, HasSubstr("Prometheus metrics"));
    EXPECT_THAT(dom, HasSubstr("Readiness"));
}

}  // namespace
}  // namespace chelete::gateway
