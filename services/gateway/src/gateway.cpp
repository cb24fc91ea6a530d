#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include <chelete/gateway/gateway.hpp>
#include <chelete/platform/metrics.hpp>

#include "gateway_openapi.hpp"

namespace chelete::gateway {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

GatewaySettings GatewaySettings::load(platform::ConfigReader& r) {
    GatewaySettings s;
    s.server.host = r.string("CHELETE_HTTP_HOST", "127.0.0.1", "Address the API listens on");
    s.server.port = r.port("CHELETE_HTTP_PORT", 8080, "Port the API listens on");
    s.server.threads =
        static_cast<int>(r.integer("CHELETE_HTTP_THREADS", 2, 1, 64, "Pistache reactor threads"));
    s.dispatch.max_body_bytes = static_cast<std::size_t>(r.integer(
        "CHELETE_HTTP_MAX_BODY",
        std::int64_t{64} * 1024,
        1024,
        std::int64_t{8} * 1024 * 1024,
        "Largest request body accepted, in bytes"
    ));
    s.server.max_body_bytes = s.dispatch.max_body_bytes;
    s.workers = static_cast<std::size_t>(
        r.integer("CHELETE_HTTP_WORKERS", 4, 1, 256, "Gateway worker threads")
    );
    s.queue = static_cast<std::size_t>(r.integer(
        "CHELETE_HTTP_QUEUE", 1024, 1, 1'000'000, "Requests queued before the gateway answers 503"
    ));
    s.request_timeout = r.duration(
        "CHELETE_HTTP_REQUEST_TIMEOUT",
        10s,
        100ms,
        milliseconds{5min},
        "How long the gateway waits for a service's reply before answering 504"
    );
    s.drain = r.duration(
        "CHELETE_HTTP_DRAIN",
        2s,
        0ms,
        60s,
        "Time between readiness going 503 and the server stopping"
    );
    const auto secret =
        r.required_secret("CHELETE_TOKEN_SECRET", 32, "HMAC-SHA256 key that signs bearer tokens");
    const auto kid = r.string("CHELETE_TOKEN_KID", "k1", "Key id of CHELETE_TOKEN_SECRET");
    s.keys.push_back(TokenKey{kid, secret});
    const auto previous = r.optional_secret(
        "CHELETE_TOKEN_PREVIOUS_SECRET",
        32,
        "The previous signing key, still accepted during a rotation"
    );
    const auto previous_kid =
        r.string("CHELETE_TOKEN_PREVIOUS_KID", "k0", "Key id of CHELETE_TOKEN_PREVIOUS_SECRET");
    if (!previous.empty()) {
        if (previous_kid == kid) {
            r.problem("CHELETE_TOKEN_PREVIOUS_KID must differ from CHELETE_TOKEN_KID");
        }
        s.keys.push_back(TokenKey{previous_kid, previous});
    }
    s.tokens.lifetime = std::chrono::duration_cast<std::chrono::seconds>(r.duration(
        "CHELETE_TOKEN_TTL", 15min, 1min, milliseconds{24h}, "Lifetime of an access token"
    ));
    s.tokens.issuer = r.string("CHELETE_TOKEN_ISSUER", "chelete", "Token issuer (iss)");
    s.tokens.audience = r.string("CHELETE_TOKEN_AUDIENCE", "chelete-api", "Token audience (aud)");
    s.dispatch.authenticated_limit.rate = r.integer(
        "CHELETE_RATE_LIMIT", 600, 1, 10'000'000, "Requests per minute per signed-in client"
    );
    s.dispatch.authenticated_limit.burst =
        r.integer("CHELETE_RATE_BURST", 60, 1, 1'000'000, "Burst allowed per signed-in client");
    s.dispatch.anonymous_limit.rate = r.integer(
        "CHELETE_RATE_LIMIT_ANONYMOUS",
        120,
        1,
        10'000'000,
        "Requests per minute per address without a token"
    );
    s.dispatch.anonymous_limit.burst = r.integer(
        "CHELETE_RATE_BURST_ANONYMOUS",
        20,
        1,
        1'000'000,
        "Burst allowed per address without a token"
    );
    s.dispatch.partner_limit.rate = r.integer(
        "CHELETE_RATE_LIMIT_PARTNER",
        60'000,
        1,
        10'000'000,
        "Signed partner callbacks per minute per callback and sending address"
    );
    s.dispatch.partner_limit.burst = r.integer(
        "CHELETE_RATE_BURST_PARTNER",
        2000,
        1,
        1'000'000,
        "Burst allowed for partner callbacks per callback and sending address"
    );
    s.rate_limit_prefix = r.string(
        "CHELETE_RATE_LIMIT_PREFIX", "chelete:rl:", "Redis key prefix of the rate limiter"
    );
    s.dispatch.metrics_token = r.optional_secret(
        "CHELETE_METRICS_TOKEN",
        24,
        "Bearer token Prometheus sends to /metrics (an admin token also works)"
    );
    s.dispatch.ussd_credential = r.optional_secret(
        "CHELETE_USSD_AGGREGATOR_CREDENTIAL",
        16,
        "user:password the USSD aggregator sends by HTTP Basic to POST /v1/ussd (unset: refused)"
    );
    if (!s.dispatch.ussd_credential.empty() &&
        s.dispatch.ussd_credential.find(':') == std::string::npos) {
        r.problem("CHELETE_USSD_AGGREGATOR_CREDENTIAL must be user:password");
    }
    s.idempotency.ttl = r.duration(
        "CHELETE_IDEMPOTENCY_TTL",
        milliseconds{72h},
        milliseconds{24h},
        milliseconds{24h * 30},
        "How long Idempotency-Key records are kept"
    );
    s.idempotency.lock = r.duration(
        "CHELETE_IDEMPOTENCY_LOCK",
        90s,
        1s,
        1h,
        "How long a request holds its Idempotency-Key before a retry may take over"
    );
    if (s.idempotency.lock <= s.request_timeout) {
        r.problem(
            "CHELETE_IDEMPOTENCY_LOCK must exceed CHELETE_HTTP_REQUEST_TIMEOUT, or a retry could "
            "run beside a "
            "request still in flight"
        );
    }
    s.openapi_path =
        r.string("CHELETE_OPENAPI_PATH", "", "Serve this OpenAPI file instead of the built-in one");
    s.docs_dir = r.string(
        "CHELETE_DOCS_DIR",
        "build/release/docs",
        "Directory holding the rendered API docs (index.html)"
    );
    return s;
}

std::string_view embedded_openapi_yaml() {
    return embedded::kOpenapi;
}

OpenApiSpec load_spec(const std::string& path) {
    if (path.empty()) {
        return OpenApiSpec::load(embedded_openapi_yaml());
    }
    std::ifstream in{path};
    if (!in) {
        throw SpecError("cannot read the OpenAPI file " + path);
    }
    std::stringstream text;
    text << in.rdbuf();
    return OpenApiSpec::load(text.str());
}

Gateway::Gateway(GatewaySettings settings, const platform::PlatformSettings& platform)
    : settings_(std::move(settings)), platform_(platform) {
    spec_ = std::make_unique<OpenApiSpec>(load_spec(settings_.openapi_path));
    tokens_ = std::make_unique<TokenService>(settings_.keys, settings_.tokens, clock_);
    executor_ = std::make_unique<Executor>(settings_.workers, settings_.queue);
    auto pool_options =
        platform_.pool_options("gateway", std::max<std::size_t>(2, settings_.workers));
    pool_ = std::make_unique<platform::PgPool>(pool_options);
    limiter_ = std::make_unique<RedisRateLimiter>(
        platform_.bus.redis, settings_.workers, settings_.rate_limit_prefix
    );
    idempotency_ = std::make_unique<PgIdempotencyStore>(*pool_, clock_, settings_.idempotency);
    dispatcher_ = std::make_unique<Dispatcher>(
        *spec_, *tokens_, limiter_.get(), idempotency_.get(), *executor_, settings_.dispatch
    );
    bus_ = std::make_unique<platform::bus::BusClient>(
        platform_.bus, "gateway.reply." + platform_.instance_id
    );
    add_operational_routes();
}

Gateway::~Gateway() {
    stop();
}

void Gateway::route(const std::string& operation_id, RouteHandler handler) {
    dispatcher_->route(operation_id, std::move(handler));
}

RouteHandler Gateway::forward(const std::string& stream, const std::string& type) {
    return forward_then(stream, type, nullptr);
}

RouteHandler Gateway::token_exchange(const std::string& stream, const std::string& type) {
    // The service checks the credentials and names the principal; only the gateway holds the
    // signing key, so it turns that answer into the token.
    return forward_then(stream, type, [this](HttpResponse& r) {
        if (r.status != 200) {
            return;
        }
        const auto answer = nlohmann::json::parse(r.body, nullptr, false);
        if (answer.is_discarded() || !answer.contains("subject_id") || !answer.contains("role") ||
            !answer["subject_id"].is_string() || !answer["role"].is_string()) {
            r = problem(502, "bad-upstream-reply", "The service answered unreadably");
            return;
        }
        Principal principal{
            answer["subject_id"].get<std::string>(),
            answer["role"].get<std::string>(),
            answer.value("token_version", std::int64_t{0}),
            ""};
        r.body =
            nlohmann::json{
                {"access_token", tokens_->issue(principal)},
                {"token_type", "Bearer"},
                {"expires_in", tokens_->settings().lifetime.count()},
                {"role", principal.role},
                {"subject_id", principal.subject}}
                .dump();
        r.headers.emplace_back("Cache-Control", "no-store");
    });
}

namespace {

/// What the gateway sends a service for one request (the service's operations envelope).
nlohmann::json envelope_of(const RequestContext& ctx) {
    nlohmann::json envelope{
        {"operation", ctx.operation->operation_id},
        {"request_id", ctx.request_id},
        {"path", ctx.path_params},
        {"query", ctx.query},
        {"body", ctx.body},
        {"idempotency_key", ctx.idempotency_key},
        {"client_address", ctx.client_address}};
    if (ctx.operation->request_content_type == "application/x-www-form-urlencoded") {
        // The USSD service reads the form with its own stricter parser (docs/ussd.md).
        envelope["raw_body"] = ctx.raw_body;
    }
    if (ctx.operation->partner_signed()) {
        envelope["raw_body"] = ctx.raw_body;
        nlohmann::json signed_headers = nlohmann::json::object();
        for (const char* name : {"x-chelete-timestamp", "x-chelete-signature"}) {
            if (const auto it = ctx.headers.find(name); it != ctx.headers.end()) {
                signed_headers[name] = it->second;
            }
        }
        envelope["signed_headers"] = std::move(signed_headers);
    }
    if (ctx.principal) {
        envelope["principal"] = {
            {"subject", ctx.principal->subject},
            {"role", ctx.principal->role},
            {"token_version", ctx.principal->token_version}};
    }
    return envelope;
}

HttpResponse upstream_timeout(const std::string& request_id) {
    auto r = problem(
        504,
        "upstream-timeout",
        "The service did not answer in time",
        "retry with the same Idempotency-Key; quote request id " + request_id
    );
    r.headers.emplace_back("Retry-After", "1");
    return r;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

/// A service's reply as the HTTP answer; nullopt when it is unreadable.
std::optional<HttpResponse> response_of(const platform::bus::Message& reply) {
    const auto parsed = nlohmann::json::parse(reply.payload, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("status") ||
        !parsed["status"].is_number_integer()) {
        return std::nullopt;
    }
    HttpResponse r;
    r.status = parsed["status"].get<int>();
    r.content_type = parsed.value("content_type", std::string{"application/json"});
    if (parsed.contains("body_text") && parsed["body_text"].is_string()) {
        r.body = parsed["body_text"].get<std::string>();
    } else if (parsed.contains("body")) {
        r.body = parsed["body"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    if (parsed.contains("headers") && parsed["headers"].is_object()) {
        for (const auto& [k, v] : parsed["headers"].items()) {
            // Caching is the gateway's to decide: every answer of a service may hold personal
            // data and stays no-store (the HTTP server's default), whatever the reply says.
            if (v.is_string() && !iequals(k, "Cache-Control")) {
                r.headers.emplace_back(k, v.get<std::string>());
            }
        }
    }
    return r;
}

HttpResponse unreadable(const std::string& request_id) {
    return problem(
        502,
        "bad-upstream-reply",
        "The service answered unreadably",
        "quote request id " + request_id
    );
}

}  // namespace

RouteHandler Gateway::forward_then(
    const std::string& stream, const std::string& type, std::function<void(HttpResponse&)> transform
) {
    return [this, stream, type, transform](const RequestContext& ctx, Respond respond) {
        const nlohmann::json envelope = envelope_of(ctx);
        const std::string request_id = ctx.request_id;
        bus_->request(
            platform::bus::OutgoingMessage{stream, type, envelope.dump(), request_id, ""},
            settings_.request_timeout,
            [respond = std::move(respond),
             request_id,
             transform](std::optional<platform::bus::Message> reply) {
                if (!reply) {
                    respond(upstream_timeout(request_id));
                    return;
                }
                auto r = response_of(*reply);
                if (!r) {
                    respond(unreadable(request_id));
                    return;
                }
                if (transform) {
                    transform(*r);
                }
                respond(std::move(*r));
            }
        );
    };
}

RouteHandler Gateway::fan_out(
    std::vector<std::string> streams,
    const std::string& type,
    FanOutShape shape,
    FanOutCombine combine
) {
    return [this, streams, type, shape, combine](const RequestContext& ctx, Respond respond) {
        struct Gathered {
            std::mutex mutex;
            std::vector<std::optional<HttpResponse>> replies;
            std::size_t outstanding = 0;
            Respond respond;
        };
        auto gathered = std::make_shared<Gathered>();
        gathered->replies.resize(streams.size());
        gathered->outstanding = streams.size();
        gathered->respond = std::move(respond);
        const nlohmann::json envelope = envelope_of(ctx);
        const std::string request_id = ctx.request_id;
        for (std::size_t i = 0; i < streams.size(); ++i) {
            nlohmann::json mine = envelope;
            if (shape) {
                shape(mine, i);
            }
            // One correlation id per shard: the replies come back on one stream.
            bus_->request(
                platform::bus::OutgoingMessage{
                    streams[i], type, mine.dump(), request_id + "." + std::to_string(i), ""},
                settings_.request_timeout,
                [gathered, i, request_id, combine](std::optional<platform::bus::Message> reply) {
                    std::optional<HttpResponse> r;
                    if (reply) {
                        r = response_of(*reply);
                        if (!r) {
                            r = unreadable(request_id);
                        }
                    }
                    std::unique_lock lock{gathered->mutex};
                    gathered->replies[i] = std::move(r);
                    if (--gathered->outstanding > 0) {
                        return;
                    }
                    lock.unlock();
                    // Every shard answered (or timed out): the last callback answers.
                    HttpResponse combined;
                    try {
                        combined = combine(gathered->replies);
                    } catch (const std::exception& e) {
                        spdlog::error(
                            "request {}: combining the shards' replies: {}", request_id, e.what()
                        );
                        combined = unreadable(request_id);
                    }
                    if (combined.status == 504) {
                        combined = upstream_timeout(request_id);
                    }
                    gathered->respond(std::move(combined));
                }
            );
        }
    };
}

void Gateway::add_operational_routes() {
    readiness_.push_back(ReadinessCheck{"postgresql", [this] {
                                            auto lease = pool_->acquire();
                                            pqxx::nontransaction tx{*lease};
                                            return tx.exec1("SELECT 1")[0].as<int>() == 1;
                                        }});
    readiness_.push_back(ReadinessCheck{"redis", [this] {
                                            platform::RedisOptions o = platform_.bus.redis;
                                            o.connect_timeout = 1s;
                                            o.command_timeout = 1s;
                                            platform::RedisClient c{o};
                                            return c.command({"PING"}).str() == "PONG";
                                        }});
    route("getHealth", [](const RequestContext&, const Respond& respond) {
        respond(json_response(200, {{"status", "ok"}}));
    });
    route("getReadiness", [this](const RequestContext&, const Respond& respond) {
        nlohmann::json checks = nlohmann::json::object();
        bool ready = !draining_;
        for (const auto& c : readiness_) {
            bool ok = false;
            try {
                ok = c.check();
            } catch (const std::exception& e) {
                spdlog::warn("readiness check {} failed: {}", c.name, e.what());
            }
            checks[c.name] = ok ? "ok" : "unavailable";
            ready = ready && ok;
        }
        if (draining_) {
            checks["server"] = "draining";
        }
        auto r = json_response(
            ready ? 200 : 503, {{"status", ready ? "ready" : "not_ready"}, {"checks", checks}}
        );
        if (!ready) {
            r.headers.emplace_back("Retry-After", "1");
        }
        respond(std::move(r));
    });
    route("getMetrics", [](const RequestContext&, const Respond& respond) {
        HttpResponse r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = platform::metrics::default_registry().render();
        respond(std::move(r));
    });
    route("getOpenApi", [this](const RequestContext&, const Respond& respond) {
        HttpResponse r;
        r.content_type = "application/yaml";
        r.body = spec_->yaml();
        respond(std::move(r));
    });
    route("getDocs", [this](const RequestContext&, const Respond& respond) {
        if (docs_html_.empty()) {
            auto r = problem(
                503,
                "docs-not-built",
                "API documentation not built",
                "run scripts/run.sh, which renders api-spec/openapi.yaml with Redocly; the spec "
                "itself "
                "is at /openapi.yaml"
            );
            respond(std::move(r));
            return;
        }
        HttpResponse r;
        r.content_type = "text/html; charset=utf-8";
        r.body = docs_html_;
        respond(std::move(r));
    });
    // The staff web console (docs/console.md): static files embedded in the binary; what they
    // do, they do through the API above with the officer's own token.
    const auto if_none_match = [](const RequestContext& ctx) {
        const auto it = ctx.headers.find("if-none-match");
        return it == ctx.headers.end() ? std::string{} : it->second;
    };
    route("getConsole", [this, if_none_match](const RequestContext& ctx, const Respond& respond) {
        respond(console_response(*console_.find("index.html"), if_none_match(ctx)));
    });
    route(
        "getConsoleAsset",
        [this, if_none_match](const RequestContext& ctx, const Respond& respond) {
            const auto name = ctx.path_params.value("asset", std::string{});
            const ConsoleFile* file = console_.find(name);
            if (file == nullptr) {
                respond(problem(404, "not-found", "Not found", "no such console file"));
                return;
            }
            respond(console_response(*file, if_none_match(ctx)));
        }
    );
}

std::vector<std::string> Gateway::unrouted_operations() const {
    return dispatcher_->unrouted_operations();
}

void Gateway::start() {
    {
        auto conn = pool_->connect_dedicated();
        (void)platform::apply_migrations(*conn, "gateway", gateway_migrations());
    }
    if (!settings_.docs_dir.empty()) {
        std::ifstream in{settings_.docs_dir + "/index.html"};
        if (in) {
            std::stringstream text;
            text << in.rdbuf();
            docs_html_ = text.str();
        } else {
            spdlog::warn("no rendered API docs in {}; /docs answers 503", settings_.docs_dir);
        }
    }
    dispatcher_->check_complete();
    bus_->start();
    server_ = std::make_unique<HttpServer>(settings_.server, *dispatcher_);
    server_->start();
    started_ = true;
}

void Gateway::stop() {
    if (!started_.exchange(false)) {
        return;
    }
    draining_ = true;
    spdlog::info("gateway draining for {} ms", settings_.drain.count());
    std::this_thread::sleep_for(settings_.drain);
    server_->shutdown();
    executor_->shutdown();
    bus_->stop();
    spdlog::info("gateway stopped");
}

std::uint16_t Gateway::port() const {
    return server_ ? server_->port() : settings_.server.port;
}

}  // namespace chelete::gateway
