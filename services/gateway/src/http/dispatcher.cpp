#include <algorithm>
#include <atomic>

#include <spdlog/spdlog.h>

#include <chelete/gateway/dispatcher.hpp>
#include <chelete/platform/crypto.hpp>
#include <chelete/platform/logging.hpp>
#include <chelete/platform/metrics.hpp>
#include <chelete/platform/random_ids.hpp>

namespace chelete::gateway {
namespace {

namespace metrics = platform::metrics;

struct HttpMetrics {
    metrics::Family<metrics::Counter>& requests = metrics::default_registry().counter(
        "chelete_http_requests_total",
        "HTTP requests answered, by operation and status",
        {"operation", "status"}
    );
    metrics::Family<metrics::Histogram>& latency = metrics::default_registry().histogram(
        "chelete_http_request_seconds", "Time from request to response, by operation", {"operation"}
    );
};

HttpMetrics& http_metrics() {
    static HttpMetrics m;
    return m;
}

std::string header_or(
    const RawRequest& r, const std::string& name, const std::string& fallback = ""
) {
    const auto it = r.headers.find(name);
    return it == r.headers.end() ? fallback : it->second;
}

/// A client-supplied request id is kept when it is short and plain; otherwise we make one.
std::string request_id_for(const RawRequest& r) {
    const auto given = header_or(r, "x-request-id");
    const bool plain =
        !given.empty() && given.size() <= 64 && std::all_of(given.begin(), given.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_' || c == '.';
        });
    return plain ? given : platform::new_uuid();
}

std::string media_type(const std::string& content_type) {
    std::string t = content_type.substr(0, content_type.find(';'));
    t.erase(
        std::remove_if(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c) != 0; }),
        t.end()
    );
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return t;
}

/// The `user:password` of an `Authorization: Basic …` header; nullopt for anything else.
std::optional<std::string> basic_credential(const std::string& header) {
    if (header.size() <= 6 ||
        (header.compare(0, 6, "Basic ") != 0 && header.compare(0, 6, "basic ") != 0)) {
        return std::nullopt;
    }
    return platform::crypto::base64_decode(std::string_view{header}.substr(6));
}

HttpResponse unauthorized(std::string_view detail) {
    auto r = problem(401, "unauthorized", "Authentication required", detail);
    r.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="chelete", error="invalid_token")");
    return r;
}

}  // namespace

Dispatcher::Dispatcher(
    const OpenApiSpec& spec,
    const TokenService& tokens,
    RateLimiter* limiter,
    IdempotencyStore* idempotency,
    Executor& executor,
    DispatcherSettings settings
)
    : spec_(spec),
      tokens_(tokens),
      limiter_(limiter),
      idempotency_(idempotency),
      executor_(executor),
      settings_(std::move(settings)) {}

void Dispatcher::route(const std::string& operation_id, RouteHandler handler) {
    if (spec_.by_operation_id(operation_id) == nullptr) {
        throw std::invalid_argument("the spec has no operation '" + operation_id + "'");
    }
    handlers_[operation_id] = std::move(handler);
}

std::vector<std::string> Dispatcher::unrouted_operations() const {
    std::vector<std::string> missing;
    for (const auto& op : spec_.operations()) {
        if (handlers_.find(op.operation_id) == handlers_.end()) {
            missing.push_back(op.operation_id);
        }
    }
    return missing;
}

void Dispatcher::check_complete() const {
    std::string missing;
    for (const auto& id : unrouted_operations()) {
        missing += (missing.empty() ? "" : ", ") + id;
    }
    if (!missing.empty()) {
        throw std::runtime_error(
            "the spec declares operations this gateway does not serve: " + missing
        );
    }
}

Respond Dispatcher::finisher(
    std::shared_ptr<RawRequest> request,
    const Operation* operation,
    std::string request_id,
    std::string principal_id,
    std::string idempotency_client,
    std::string idempotency_key,
    Respond respond
) const {
    const auto started = std::chrono::steady_clock::now();
    auto once = std::make_shared<std::atomic<bool>>(false);
    IdempotencyStore* store = idempotency_key.empty() ? nullptr : idempotency_;
    Executor& executor = executor_;
    return [started,
            once,
            store,
            &executor,
            operation,
            request = std::move(request),
            request_id = std::move(request_id),
            principal_id = std::move(principal_id),
            idempotency_client = std::move(idempotency_client),
            idempotency_key = std::move(idempotency_key),
            respond = std::move(respond)](HttpResponse response) {
        if (once->exchange(true)) {
            spdlog::error(
                "a handler answered {} twice; the second answer is dropped", operation->operation_id
            );
            return;
        }
        response.headers.emplace_back("X-Request-Id", request_id);
        const auto finish = [=](HttpResponse r) {
            platform::CorrelationScope scope{request_id};
            if (store != nullptr) {
                try {
                    // A 5xx or an overload answer says nothing about the outcome: forget the
                    // attempt so a retry runs again (the service dedupes on the same key).
                    if (r.status >= 500 || r.status == 429) {
                        store->abandon(idempotency_client, idempotency_key);
                    } else {
                        store->complete(
                            idempotency_client,
                            idempotency_key,
                            StoredResponse{
                                r.status, r.content_type, r.header("Location").value_or(""), r.body}
                        );
                    }
                } catch (const std::exception& e) {
                    spdlog::error(
                        "idempotency record for {} not updated: {}",
                        operation->operation_id,
                        e.what()
                    );
                }
            }
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            http_metrics().requests.with({operation->operation_id, std::to_string(r.status)}).inc();
            http_metrics().latency.with({operation->operation_id}).observe(seconds);
            spdlog::info(
                "http {} {} -> {} in {:.1f} ms principal={}",
                request->method,
                operation->path_template,
                r.status,
                seconds * 1000.0,
                principal_id.empty() ? "-" : principal_id
            );
            respond(std::move(r));
        };
        if (store != nullptr) {
            executor.submit([finish, response = std::move(response)]() mutable {
                finish(std::move(response));
            });
        } else {
            finish(std::move(response));
        }
    };
}

void Dispatcher::dispatch(RawRequest raw, Respond respond) {
    auto request = std::make_shared<RawRequest>(std::move(raw));
    std::string request_id = request_id_for(*request);
    platform::CorrelationScope scope{request_id};
    const auto answer_early = [&](HttpResponse r) {
        r.headers.emplace_back("X-Request-Id", request_id);
        spdlog::info("http {} {} -> {}", request->method, request->path, r.status);
        respond(std::move(r));
    };
    std::vector<std::string> allowed;
    const auto match = spec_.match(request->method, request->path, &allowed);
    if (!match) {
        if (!allowed.empty()) {
            std::string allow;
            for (const auto& m : allowed) {
                allow += (allow.empty() ? "" : ", ") + m;
            }
            auto r = problem(
                405, "method-not-allowed", "Method not allowed", "this resource accepts " + allow
            );
            r.headers.emplace_back("Allow", allow);
            answer_early(std::move(r));
        } else {
            answer_early(problem(404, "not-found", "Not found", "no such resource"));
        }
        return;
    }
    if (request->body.size() > settings_.max_body_bytes) {
        answer_early(problem(
            413,
            "payload-too-large",
            "Request body too large",
            "the body may be at most " + std::to_string(settings_.max_body_bytes) + " bytes"
        ));
        return;
    }
    const auto handler_it = handlers_.find(match->operation->operation_id);
    if (handler_it == handlers_.end()) {
        answer_early(problem(501, "not-implemented", "Not implemented"));
        return;
    }
    // Shared, because the task may never run (queue full) and then this thread must answer.
    auto shared_respond = std::make_shared<Respond>(std::move(respond));
    const bool admitted =
        executor_.try_submit([this, request, m = *match, request_id, shared_respond]() {
            platform::CorrelationScope inner{request_id};
            admit(request, m, request_id, [shared_respond](HttpResponse r) {
                (*shared_respond)(std::move(r));
            });
        });
    if (!admitted) {
        auto r = problem(
            503, "overloaded", "Service busy", "too many requests in progress; retry shortly"
        );
        r.headers.emplace_back("Retry-After", "1");
        r.headers.emplace_back("X-Request-Id", request_id);
        spdlog::warn("http {} {} -> 503 (queue full)", request->method, request->path);
        (*shared_respond)(std::move(r));
    }
}

void Dispatcher::admit(
    std::shared_ptr<RawRequest> request,
    const RouteMatch& match,
    std::string request_id,
    Respond respond
) {
    const Operation& op = *match.operation;
    RequestContext ctx;
    ctx.operation = &op;
    ctx.request_id = request_id;
    ctx.headers = request->headers;
    ctx.client_address = request->peer;
    ctx.raw_body = request->body;
    const auto early = [&](HttpResponse r, const std::string& principal_id = "") {
        finisher(request, &op, request_id, principal_id, "", "", respond)(std::move(r));
    };
    try {
        // 1. Who is calling.
        if (!op.is_public && op.ussd_aggregator()) {
            // The aggregator cannot sign (Africa's Talking calls a URL); it sends the configured
            // credential by HTTP Basic over TLS, compared in constant time.
            const auto presented = basic_credential(header_or(*request, "authorization"));
            if (settings_.ussd_credential.empty() || !presented ||
                !platform::crypto::constant_time_equal(*presented, settings_.ussd_credential)) {
                auto r = problem(
                    401,
                    "unauthorized",
                    "Authentication required",
                    "send the USSD aggregator's credential by HTTP Basic"
                );
                r.headers.emplace_back("WWW-Authenticate", R"(Basic realm="chelete-ussd")");
                early(std::move(r));
                return;
            }
            ctx.principal = Principal{"partner:" + op.operation_id, "partner", 0, ""};
        } else if (!op.is_public && op.partner_signed()) {
            // A partner's callback carries no token: the owning service checks the HMAC over
            // the raw body (it holds the partner secrets and the replay store). The gateway
            // only refuses what cannot be a signed callback.
            if (header_or(*request, "x-chelete-signature").empty() ||
                header_or(*request, "x-chelete-timestamp").empty()) {
                early(unauthorized("send X-Chelete-Timestamp and X-Chelete-Signature"));
                return;
            }
            ctx.principal = Principal{"partner:" + op.operation_id, "partner", 0, ""};
        } else if (!op.is_public) {
            const auto auth = header_or(*request, "authorization");
            const bool bearer = auth.size() > 7 && (auth.compare(0, 7, "Bearer ") == 0 ||
                                                    auth.compare(0, 7, "bearer ") == 0);
            if (!bearer) {
                early(unauthorized("send Authorization: Bearer <token>"));
                return;
            }
            const std::string token = auth.substr(7);
            const bool metrics_scheme =
                std::find(op.security_schemes.begin(), op.security_schemes.end(), "metricsToken") !=
                op.security_schemes.end();
            if (metrics_scheme && !settings_.metrics_token.empty() &&
                platform::crypto::constant_time_equal(token, settings_.metrics_token)) {
                ctx.principal = Principal{"metrics-scraper", "admin", 0, ""};
            } else {
                const auto verified = tokens_.verify(token);
                if (!verified.ok()) {
                    early(unauthorized(to_string(verified.error())));
                    return;
                }
                ctx.principal = verified.value();
            }
            if (std::find(op.roles.begin(), op.roles.end(), ctx.principal->role) ==
                op.roles.end()) {
                early(
                    problem(403, "forbidden", "Forbidden", "your role may not use this operation"),
                    ctx.principal->subject
                );
                return;
            }
        }
        const std::string principal_id = ctx.principal ? ctx.principal->subject : "";

        // 2. How often.
        if (limiter_ != nullptr) {
            // Callbacks carry no token: a bucket per partner operation and address, sized for
            // the partners' payout rate (the bench found M-Pesa callbacks 429'd at 27/s).
            const bool partner = ctx.principal && ctx.principal->role == "partner";
            const std::string client = partner ? ctx.principal->subject + ":ip:" + request->peer
                                       : ctx.principal ? "sub:" + ctx.principal->subject
                                                       : "ip:" + request->peer;
            const RateLimit& limit = partner         ? settings_.partner_limit
                                     : ctx.principal ? settings_.authenticated_limit
                                                     : settings_.anonymous_limit;
            const auto decision = limiter_->check(client, limit);
            if (!decision.allowed) {
                auto r = problem(
                    429,
                    "rate-limited",
                    "Too many requests",
                    "slow down and retry after the indicated time"
                );
                r.headers.emplace_back(
                    "Retry-After",
                    std::to_string(std::max<std::int64_t>(1, (decision.retry_after_ms + 999) / 1000)
                    )
                );
                early(std::move(r), principal_id);
                return;
            }
        }

        // 3. What was sent.
        std::vector<FieldError> errors;
        for (const auto& p : op.parameters) {
            if (p.in != "path") {
                continue;
            }
            const auto it = match.path_params.find(p.name);
            nlohmann::json typed;
            auto e = validate_parameter(
                p,
                it == match.path_params.end() ? std::string_view{} : std::string_view{it->second},
                typed
            );
            if (e.empty()) {
                ctx.path_params[p.name] = std::move(typed);
            }
            errors.insert(errors.end(), e.begin(), e.end());
        }
        const auto query = parse_query(request->query);
        if (!query) {
            early(
                problem(
                    400,
                    "bad-request",
                    "Malformed query string",
                    "the query string is not validly encoded"
                ),
                principal_id
            );
            return;
        }
        for (const auto& entry : *query) {
            const std::string& name = entry.first;
            const std::string& value = entry.second;
            const auto p =
                std::find_if(op.parameters.begin(), op.parameters.end(), [&](const Parameter& q) {
                    return q.in == "query" && q.name == name;
                });
            if (p == op.parameters.end()) {
                errors.push_back(FieldError{name, "is not a known query parameter"});
                continue;
            }
            nlohmann::json typed;
            auto e = validate_parameter(*p, value, typed);
            if (e.empty()) {
                ctx.query[name] = std::move(typed);
            }
            errors.insert(errors.end(), e.begin(), e.end());
        }
        for (const auto& p : op.parameters) {
            if (p.in == "query" && p.required && query->find(p.name) == query->end()) {
                errors.push_back(FieldError{p.name, "is required"});
            }
        }
        if (!errors.empty()) {
            early(
                problem(400, "invalid-parameters", "Invalid parameters", "", errors), principal_id
            );
            return;
        }
        if (op.request_body) {
            const auto type = media_type(header_or(*request, "content-type"));
            if (request->body.empty()) {
                if (op.request_body_required) {
                    early(
                        problem(
                            400,
                            "bad-request",
                            "Request body required",
                            "send a " + op.request_content_type + " body"
                        ),
                        principal_id
                    );
                    return;
                }
            } else if (type != op.request_content_type) {
                early(
                    problem(
                        415,
                        "unsupported-media-type",
                        "Unsupported media type",
                        "send Content-Type: " + op.request_content_type
                    ),
                    principal_id
                );
                return;
            } else {
                std::optional<nlohmann::json> body;
                std::string parse_error;
                if (op.request_content_type == "application/x-www-form-urlencoded") {
                    body = parse_form_body(request->body);
                    parse_error = "the form body is not validly encoded";
                } else {
                    body = parse_json_body(request->body, settings_.parse_limits, parse_error);
                }
                if (!body) {
                    early(
                        problem(400, "malformed-body", "Malformed request body", parse_error),
                        principal_id
                    );
                    return;
                }
                const auto body_errors = validate(*op.request_body, *body, settings_.parse_limits);
                if (!body_errors.empty()) {
                    early(
                        problem(
                            422,
                            "validation-failed",
                            "The request breaks the rules of this operation",
                            "",
                            body_errors
                        ),
                        principal_id
                    );
                    return;
                }
                ctx.body = std::move(*body);
            }
        } else if (!request->body.empty()) {
            early(
                problem(
                    400, "bad-request", "Unexpected request body", "this operation takes no body"
                ),
                principal_id
            );
            return;
        }

        // 4. Said before?
        std::string idem_client;
        if (op.idempotent && idempotency_ != nullptr) {
            ctx.idempotency_key = header_or(*request, "idempotency-key");
            if (!is_valid_idempotency_key(ctx.idempotency_key)) {
                early(
                    problem(
                        400,
                        "idempotency-key-required",
                        "Idempotency-Key required",
                        "send an Idempotency-Key header of 1 to 255 visible characters (a UUID is "
                        "best)",
                        {FieldError{
                            "Idempotency-Key",
                            ctx.idempotency_key.empty() ? "is required" : "is not valid"}}
                    ),
                    principal_id
                );
                return;
            }
            idem_client = ctx.principal ? ctx.principal->subject : "anonymous";
            const auto begun = idempotency_->begin(
                idem_client,
                ctx.idempotency_key,
                idempotency_request_hash(request->method, request->path, request->body)
            );
            switch (begun.action) {
                case IdempotencyAction::kProceed:
                    break;
                case IdempotencyAction::kReplay: {
                    HttpResponse r;
                    r.status = begun.replay.status;
                    r.content_type = begun.replay.content_type;
                    r.body = begun.replay.body;
                    if (!begun.replay.location.empty()) {
                        r.headers.emplace_back("Location", begun.replay.location);
                    }
                    r.headers.emplace_back("Idempotent-Replayed", "true");
                    early(std::move(r), principal_id);
                    return;
                }
                case IdempotencyAction::kConflictOtherRequest:
                    early(
                        problem(
                            409,
                            "idempotency-key-reused",
                            "Idempotency-Key already used",
                            "this key was used for a different request; use a new key for a new "
                            "request"
                        ),
                        principal_id
                    );
                    return;
                case IdempotencyAction::kConflictInProgress: {
                    auto r = problem(
                        409,
                        "request-in-progress",
                        "Request in progress",
                        "a request with this Idempotency-Key is still being processed; retry "
                        "shortly"
                    );
                    r.headers.emplace_back("Retry-After", "1");
                    early(std::move(r), principal_id);
                    return;
                }
            }
        }

        // 5. Do it.
        auto done = finisher(
            request, &op, request_id, principal_id, idem_client, ctx.idempotency_key, respond
        );
        try {
            handlers_.at(op.operation_id)(ctx, done);
        } catch (const std::exception& e) {
            spdlog::error("operation {} failed: {}", op.operation_id, e.what());
            done(problem(
                500,
                "internal-error",
                "Internal error",
                "something went wrong on our side; quote request id " + request_id
            ));
        }
    } catch (const std::exception& e) {
        spdlog::error("request pipeline for {} failed: {}", op.operation_id, e.what());
        early(problem(
            500,
            "internal-error",
            "Internal error",
            "something went wrong on our side; quote request id " + request_id
        ));
    }
}

}  // namespace chelete::gateway
