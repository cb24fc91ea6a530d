#include <algorithm>

#include <chelete/gateway/idempotency.hpp>
#include <chelete/platform/crypto.hpp>

namespace chelete::gateway {

IdempotencyAction decide_idempotency(
    const std::optional<IdempotencyRecord>& existing,
    const std::string& request_hash,
    platform::TimePoint now
) {
    if (!existing || existing->expires_at <= now) {
        return IdempotencyAction::kProceed;
    }
    if (existing->request_hash != request_hash) {
        return IdempotencyAction::kConflictOtherRequest;
    }
    if (existing->completed) {
        return IdempotencyAction::kReplay;
    }
    // The attempt holding the key may have died with its process: once its lock lapses, a retry
    // takes over. The service behind the gateway dedupes on the same key, so resuming is safe.
    return existing->locked_until > now ? IdempotencyAction::kConflictInProgress
                                        : IdempotencyAction::kProceed;
}

std::string idempotency_request_hash(
    const std::string& method, const std::string& path, const std::string& body
) {
    return platform::crypto::sha256_hex(method + " " + path + "\n" + body);
}

bool is_valid_idempotency_key(const std::string& key) {
    if (key.empty() || key.size() > 255) {
        return false;
    }
    return std::ranges::all_of(key, [](char c) { return c >= 0x21 && c <= 0x7e; });
}

}  // namespace chelete::gateway
