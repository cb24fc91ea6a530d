#include <stdexcept>

#include <argon2.h>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/password.hpp>

namespace chelete::platform::crypto {
namespace {

constexpr std::string_view kPrefix = "$argon2id$v=19$";
constexpr std::size_t kMinSaltBytes = 8;  // Argon2's own minimum
constexpr std::size_t kMaxSaltBytes = 64;
constexpr std::size_t kMinDigestBytes = 16;
constexpr std::size_t kMaxDigestBytes = 64;
constexpr std::uint32_t kMinMemoryKibPerLane = 8;  // Argon2: at least 8 KiB per lane

bool cost_in_bounds(const PasswordCost& cost) {
    return cost.parallelism >= 1 && cost.parallelism <= kMaxPasswordParallelism &&
           cost.iterations >= 1 && cost.iterations <= kMaxPasswordIterations &&
           cost.memory_kib >= kMinMemoryKibPerLane * cost.parallelism &&
           cost.memory_kib <= kMaxPasswordMemoryKib;
}

// The PHC format writes standard base64 without padding.
std::string b64_unpadded(std::string_view bytes) {
    std::string text = base64_encode(bytes);
    while (!text.empty() && text.back() == '=') {
        text.pop_back();
    }
    return text;
}

std::optional<std::string> from_b64_unpadded(std::string_view text) {
    if (text.find('=') != std::string_view::npos || text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string padded(text);
    padded.append((4 - text.size() % 4) % 4, '=');
    // base64_decode refuses characters outside the alphabet and non-canonical tails.
    return base64_decode(padded);
}

// Reads a stored string left to right; every method consumes only on success.
class Reader {
public:
    explicit Reader(std::string_view text) : rest_(text) {}

    [[nodiscard]] bool literal(std::string_view expected) {
        if (rest_.substr(0, expected.size()) != expected) {
            return false;
        }
        rest_.remove_prefix(expected.size());
        return true;
    }

    /// A decimal uint32 without sign or leading zeros.
    [[nodiscard]] std::optional<std::uint32_t> number() {
        constexpr std::size_t kMaxDigits = 10;
        std::size_t digits = 0;
        while (digits < rest_.size() && rest_[digits] >= '0' && rest_[digits] <= '9') {
            ++digits;
        }
        if (digits == 0 || digits > kMaxDigits || (digits > 1 && rest_[0] == '0')) {
            return std::nullopt;
        }
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < digits; ++i) {
            value = value * 10U + static_cast<std::uint64_t>(rest_[i] - '0');
        }
        if (value > UINT32_MAX) {
            return std::nullopt;
        }
        rest_.remove_prefix(digits);
        return static_cast<std::uint32_t>(value);
    }

    /// Everything up to the next '$' (or the end), which is not consumed.
    [[nodiscard]] std::string_view field() {
        const auto end = rest_.find('$');
        const std::string_view taken = rest_.substr(0, end);
        rest_.remove_prefix(taken.size());
        return taken;
    }

    [[nodiscard]] bool at_end() const { return rest_.empty(); }

private:
    std::string_view rest_;
};

// Runs Argon2id; nullopt if libargon2 refuses (bad sizes, out of memory).
std::optional<std::string> argon2id_digest(
    const PasswordCost& cost,
    std::string_view secret,
    std::string_view salt,
    std::size_t digest_bytes
) {
    std::string digest(digest_bytes, '\0');
    const int status = argon2id_hash_raw(
        cost.iterations,
        cost.memory_kib,
        cost.parallelism,
        secret.data(),
        secret.size(),
        salt.data(),
        salt.size(),
        digest.data(),
        digest.size()
    );
    if (status != ARGON2_OK) {
        return std::nullopt;
    }
    return digest;
}

}  // namespace

std::optional<PasswordHashRecord> parse_password_hash(std::string_view stored) {
    Reader reader(stored);
    PasswordHashRecord record;
    if (!reader.literal(kPrefix) || !reader.literal("m=")) {
        return std::nullopt;
    }
    const auto memory = reader.number();
    if (!memory || !reader.literal(",t=")) {
        return std::nullopt;
    }
    const auto iterations = reader.number();
    if (!iterations || !reader.literal(",p=")) {
        return std::nullopt;
    }
    const auto parallelism = reader.number();
    if (!parallelism || !reader.literal("$")) {
        return std::nullopt;
    }
    record.cost = PasswordCost{*memory, *iterations, *parallelism};
    if (!cost_in_bounds(record.cost)) {
        return std::nullopt;
    }
    auto salt = from_b64_unpadded(reader.field());
    if (!salt || salt->size() < kMinSaltBytes || salt->size() > kMaxSaltBytes ||
        !reader.literal("$")) {
        return std::nullopt;
    }
    auto digest = from_b64_unpadded(reader.field());
    if (!digest || digest->size() < kMinDigestBytes || digest->size() > kMaxDigestBytes ||
        !reader.at_end()) {
        return std::nullopt;
    }
    record.salt = std::move(*salt);
    record.digest = std::move(*digest);
    return record;
}

std::string format_password_hash(const PasswordHashRecord& record) {
    std::string out(kPrefix);
    out += "m=" + std::to_string(record.cost.memory_kib);
    out += ",t=" + std::to_string(record.cost.iterations);
    out += ",p=" + std::to_string(record.cost.parallelism);
    out += '$';
    out += b64_unpadded(record.salt);
    out += '$';
    out += b64_unpadded(record.digest);
    return out;
}

PasswordHasher::PasswordHasher(PasswordCost cost) : cost_(cost) {
    if (!cost_in_bounds(cost_)) {
        throw std::invalid_argument(
            "PasswordHasher: cost out of bounds (parallelism 1-16, iterations 1-64, memory "
            "8 KiB per lane to 1 GiB)"
        );
    }
}

std::string PasswordHasher::hash(std::string_view secret) const {
    if (secret.size() > kMaxSecretBytes) {
        throw std::invalid_argument("PasswordHasher::hash: secret longer than kMaxSecretBytes");
    }
    PasswordHashRecord record{cost_, random_bytes(kSaltBytes), {}};
    auto digest = argon2id_digest(cost_, secret, record.salt, kDigestBytes);
    if (!digest) {
        throw std::runtime_error("Argon2id hashing failed");
    }
    record.digest = std::move(*digest);
    return format_password_hash(record);
}

// A member although it reads no member: callers verify through the hasher they were given,
// like hash() and needs_rehash(); the cost used is the stored one.
// NOLINTNEXTLINE(readability-convert-member-functions-to-static)
bool PasswordHasher::verify(std::string_view secret, std::string_view stored) const {
    if (secret.size() > kMaxSecretBytes) {
        return false;
    }
    const auto record = parse_password_hash(stored);
    if (!record) {
        return false;
    }
    // The stored cost, not ours: hashes made before a cost change must still verify.
    const auto digest = argon2id_digest(record->cost, secret, record->salt, record->digest.size());
    return digest && constant_time_equal(*digest, record->digest);
}

bool PasswordHasher::needs_rehash(std::string_view stored) const {
    const auto record = parse_password_hash(stored);
    return !record || record->cost != cost_ || record->salt.size() != kSaltBytes ||
           record->digest.size() != kDigestBytes;
}

}  // namespace chelete::platform::crypto
