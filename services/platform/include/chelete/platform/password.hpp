#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chelete::platform::crypto {

/// The OWASP Password Storage Cheat Sheet minimum for Argon2id (m=19 MiB, t=2, p=1): the least
/// that configuration accepts (CHELETE_PASSWORD_MEMORY_KIB, CHELETE_PASSWORD_ITERATIONS).
inline constexpr std::uint32_t kMinConfiguredPasswordMemoryKib = 19 * 1024;
inline constexpr std::uint32_t kMinConfiguredPasswordIterations = 2;

/// Argon2id cost parameters. The defaults are the OWASP minimum above; the hasher itself takes
/// smaller values (its own unit tests and the fuzzer use them to stay fast), configuration not.
struct PasswordCost {
    std::uint32_t memory_kib = kMinConfiguredPasswordMemoryKib;
    std::uint32_t iterations = kMinConfiguredPasswordIterations;
    std::uint32_t parallelism = 1;

    friend bool operator==(const PasswordCost&, const PasswordCost&) = default;
};

/// Bounds on what is accepted, from configuration or from a stored string: a corrupt or hostile
/// row must not make one verify() allocate gigabytes or spin for minutes.
inline constexpr std::uint32_t kMaxPasswordMemoryKib = 1024 * 1024;  // 1 GiB
inline constexpr std::uint32_t kMaxPasswordIterations = 64;
inline constexpr std::uint32_t kMaxPasswordParallelism = 16;

/// The parts of a stored PHC string `$argon2id$v=19$m=<kib>,t=<n>,p=<n>$<salt>$<digest>`, salt
/// and digest in standard base64 without padding (as libargon2 and the PHC format write them).
struct PasswordHashRecord {
    PasswordCost cost;
    std::string salt;    // raw bytes, 8 to 64
    std::string digest;  // raw bytes, 16 to 64

    friend bool operator==(const PasswordHashRecord&, const PasswordHashRecord&) = default;
};

/// Strict parse: only argon2id version 19, parameters in that order without leading zeros and
/// within the bounds above, canonical base64. Exactly one text per record, so
/// format_password_hash(*parse_password_hash(s)) == s. nullopt for anything else; never throws
/// for bad input.
[[nodiscard]] std::optional<PasswordHashRecord> parse_password_hash(std::string_view stored);
[[nodiscard]] std::string format_password_hash(const PasswordHashRecord& record);

/// Password and PIN hashing with Argon2id (libargon2).
///
/// verify() uses the cost written in the stored string, so hashes made under older settings
/// keep working; after a successful verify(), callers check needs_rehash() and store a fresh
/// hash() when it says so. Thread-safe (const, no shared state).
///
/// A 4-6 digit PIN has so few values that no hash protects a stolen table against an offline
/// search; lockout after failed attempts and keeping the table secret are what protect PINs.
class PasswordHasher {
public:
    static constexpr std::size_t kSaltBytes = 16;
    static constexpr std::size_t kDigestBytes = 32;
    /// Longer secrets are refused: hash() throws, verify() answers false.
    static constexpr std::size_t kMaxSecretBytes = 1024;

    /// Throws std::invalid_argument if the cost is outside the bounds above or memory is below
    /// Argon2's minimum of 8 KiB per lane.
    explicit PasswordHasher(PasswordCost cost = PasswordCost{});

    /// A PHC string with a fresh 16-byte random salt. Throws std::invalid_argument for a secret
    /// over kMaxSecretBytes and std::runtime_error if hashing fails (e.g. out of memory).
    [[nodiscard]] std::string hash(std::string_view secret) const;

    /// True only if `stored` is a well-formed hash of `secret`; the digests are compared in
    /// constant time. False for malformed stored strings; never throws for bad input.
    [[nodiscard]] bool verify(std::string_view secret, std::string_view stored) const;

    /// True if `stored` was not made with this hasher's cost and sizes (or is malformed), so the
    /// next successful login should replace it.
    [[nodiscard]] bool needs_rehash(std::string_view stored) const;

    [[nodiscard]] const PasswordCost& cost() const { return cost_; }

private:
    PasswordCost cost_;
};

}  // namespace chelete::platform::crypto
