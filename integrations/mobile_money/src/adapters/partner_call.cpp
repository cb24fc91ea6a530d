#include "adapters/partner_call.hpp"

#include <algorithm>
#include <thread>

namespace chelete::mobile_money::call {

std::chrono::milliseconds retry_wait(
    const RetryPolicy& policy, int attempt, std::optional<std::chrono::seconds> retry_after
) {
    auto wait = policy.backoff;
    for (int i = 1; i < attempt && wait < policy.max_wait; ++i) {
        wait *= 2;
    }
    if (retry_after) {
        wait = std::max<std::chrono::milliseconds>(wait, *retry_after);
    }
    return std::min(wait, policy.max_wait);
}

CredentialCache::CredentialCache(
    Fetch fetch, const platform::Clock& clock, std::chrono::seconds renew_margin
)
    : fetch_(std::move(fetch)), clock_(clock), renew_margin_(renew_margin) {}

std::optional<Credential> CredentialCache::usable(std::optional<std::uint64_t> stale) const {
    const std::lock_guard lock{mutex_};
    if (value_.empty() || clock_.now() >= renew_at_ || (stale && *stale == generation_)) {
        return std::nullopt;
    }
    return Credential{value_, generation_};
}

platform::Result<Credential, CredentialFailure> CredentialCache::get(
    std::optional<std::uint64_t> stale_generation
) {
    if (auto current = usable(stale_generation)) {
        return *current;
    }
    const std::lock_guard fetching{fetch_mutex_};
    // Another thread may have renewed while this one waited for the fetch lock.
    if (auto current = usable(stale_generation)) {
        return *current;
    }
    auto fetched = fetch_();
    if (!fetched.ok()) {
        return platform::err(fetched.error());
    }
    const std::lock_guard lock{mutex_};
    value_ = fetched.value().value;
    const auto lifetime = fetched.value().lifetime;
    // Renew a margin before the end; a lifetime shorter than the margin is used for its first half.
    const auto usable_for = lifetime > renew_margin_ ? lifetime - renew_margin_ : lifetime / 2;
    renew_at_ = clock_.now() + usable_for;
    ++generation_;
    return Credential{value_, generation_};
}

Outcome perform(
    http::Transport& transport,
    CredentialCache& credentials,
    const RetryPolicy& policy,
    const std::function<http::Request(const std::string& credential)>& build,
    const std::function<domain::ReplyClass(const http::Response&)>& classify
) {
    Outcome out;
    std::optional<std::uint64_t> stale;
    bool renewed = false;
    int certain_failures = 0;
    for (;;) {
        auto credential = credentials.get(stale);
        if (!credential.ok()) {
            out.ending = Ending::kNoCredential;
            out.credential = credential.error();
            return out;
        }
        ++out.attempts;
        out.response = transport.perform(build(credential.value().value));
        std::optional<Ending> certain;
        switch (out.response.failure) {
            case http::Failure::kNone:
                break;
            case http::Failure::kNotConnected:
                certain = Ending::kNotConnected;
                break;
            case http::Failure::kTimeout:
                out.ending = Ending::kTimeout;
                return out;
            case http::Failure::kTooLarge:
            case http::Failure::kOther:
                out.ending = Ending::kTransport;
                return out;
        }
        if (!certain) {
            const auto reply = classify(out.response);
            if (reply == domain::ReplyClass::kAuthExpired) {
                if (renewed) {
                    out.ending = Ending::kAuthExpired;
                    return out;
                }
                // Certainly not processed: renew (once) and resend at once.
                renewed = true;
                stale = credential.value().generation;
                continue;
            }
            if (reply != domain::ReplyClass::kRefused) {
                out.ending = Ending::kAnswered;
                return out;
            }
            certain = Ending::kRefused;
        }
        ++certain_failures;
        if (certain_failures >= policy.max_attempts) {
            out.ending = *certain;
            return out;
        }
        std::this_thread::sleep_for(retry_wait(policy, certain_failures, out.response.retry_after));
    }
}

std::string describe(const Outcome& outcome) {
    const std::string tries = " (" + std::to_string(outcome.attempts) + " attempt" +
                              (outcome.attempts == 1 ? "" : "s") + ")";
    switch (outcome.ending) {
        case Ending::kAnswered:
            return "answered " + std::to_string(outcome.response.status) + tries;
        case Ending::kNotConnected:
            return "could not connect: " + outcome.response.error + tries;
        case Ending::kRefused:
            return "refused before processing (503)" + tries;
        case Ending::kAuthExpired:
            return "credential refused as expired even after renewal" + tries;
        case Ending::kNoCredential:
            return "no credential: " + outcome.credential.detail;
        case Ending::kTimeout:
            return "no answer in time: " + outcome.response.error + tries;
        case Ending::kTransport:
            return "broken exchange: " + outcome.response.error + tries;
    }
    return "unknown ending";
}

}  // namespace chelete::mobile_money::call
