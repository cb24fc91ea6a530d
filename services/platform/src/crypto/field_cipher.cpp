#include <algorithm>
#include <climits>
#include <memory>
#include <stdexcept>

#include <openssl/evp.h>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/field_cipher.hpp>

namespace chelete::platform::crypto {
namespace {

constexpr std::string_view kVersionPrefix = "v1.";
constexpr char kSeparator = '.';
// EVP_CIPHER_CTX_ctrl takes int lengths.
constexpr int kNonceLength = static_cast<int>(FieldCipher::kNonceBytes);
constexpr int kTagLength = static_cast<int>(FieldCipher::kTagBytes);
constexpr std::size_t kOverheadBytes = FieldCipher::kNonceBytes + FieldCipher::kTagBytes;
// The base64url text of kMaxPlaintextBytes plus overhead, rounded up: anything longer cannot
// be one of ours and is refused before decoding.
constexpr std::size_t kMaxBodyChars =
    (FieldCipher::kMaxPlaintextBytes + kOverheadBytes) / 3 * 4 + 4;

struct CipherCtxDeleter {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): OpenSSL takes unsigned char*
const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}
unsigned char* bytes_of(std::string& text) {
    return reinterpret_cast<unsigned char*>(text.data());
}
// NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)

bool is_valid_key_id(std::string_view id) {
    if (id.empty() || id.size() > FieldCipher::kMaxKeyIdLength) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// The same checks for the constructor (which throws) and parse_keys (which reports).
std::optional<std::string> ring_problem(const std::vector<FieldKey>& keys) {
    if (keys.empty()) {
        return "the field key ring is empty: at least one key is needed";
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const FieldKey& key = keys[i];
        const std::string entry = "field key entry " + std::to_string(i + 1);
        if (!is_valid_key_id(key.id)) {
            // The id is not echoed: a malformed id may be a pasted key.
            return entry + ": the key id must match [a-z0-9_-]{1,16}";
        }
        if (key.bytes.size() != FieldCipher::kKeyBytes) {
            return entry + " ('" + key.id + "'): the key must be 32 bytes (64 hex characters)";
        }
        if (std::all_of(key.bytes.begin(), key.bytes.end(), [](char c) { return c == '\0'; })) {
            return entry + " ('" + key.id + "'): the key is all zeros, a placeholder";
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (keys[j].id == key.id) {
                return entry + ": duplicate key id '" + key.id + "'";
            }
        }
    }
    return std::nullopt;
}

std::string_view trim(std::string_view text) {
    constexpr std::string_view kBlank = " \t\r\n";
    const auto first = text.find_first_not_of(kBlank);
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(kBlank);
    return text.substr(first, last - first + 1);
}

struct EnvelopeParts {
    std::string_view key_id;
    std::string_view body;  // base64url, not yet decoded
};

std::optional<EnvelopeParts> split_envelope(std::string_view envelope) {
    if (envelope.substr(0, kVersionPrefix.size()) != kVersionPrefix) {
        return std::nullopt;
    }
    const std::string_view rest = envelope.substr(kVersionPrefix.size());
    const auto dot = rest.find(kSeparator);
    if (dot == std::string_view::npos) {
        return std::nullopt;
    }
    EnvelopeParts parts{rest.substr(0, dot), rest.substr(dot + 1)};
    if (!is_valid_key_id(parts.key_id) || parts.body.empty() || parts.body.size() > kMaxBodyChars) {
        return std::nullopt;
    }
    return parts;
}

// What GCM authenticates besides the ciphertext: "v1.<key_id>." then the caller's data. The key
// id holds no '.', so the split between header and data is unambiguous.
std::string authenticated_header(std::string_view key_id) {
    std::string header(kVersionPrefix);
    header += key_id;
    header += kSeparator;
    return header;
}

CipherCtx new_gcm_context() {
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx) {
        throw std::runtime_error("EVP_CIPHER_CTX_new failed");
    }
    return ctx;
}

}  // namespace

FieldCipher::FieldCipher(std::vector<FieldKey> keys) : keys_(std::move(keys)) {
    if (const auto problem = ring_problem(keys_)) {
        throw std::invalid_argument(*problem);
    }
}

Result<std::vector<FieldKey>, std::string> FieldCipher::parse_keys(std::string_view spec) {
    std::vector<FieldKey> keys;
    std::string_view rest = trim(spec);
    if (rest.empty()) {
        return err(std::string("the field key list is empty: expected <id>:<64 hex chars>[,...]"));
    }
    std::size_t entry_number = 0;
    while (true) {
        ++entry_number;
        const auto comma = rest.find(',');
        const std::string_view entry = trim(rest.substr(0, comma));
        const std::string label = "field key entry " + std::to_string(entry_number);
        if (entry.empty()) {
            return err(label + " is empty");
        }
        const auto colon = entry.find(':');
        if (colon == std::string_view::npos) {
            return err(label + ": expected <id>:<64 hex chars>");
        }
        const std::string_view id = entry.substr(0, colon);
        const std::string_view hex = entry.substr(colon + 1);
        if (!is_valid_key_id(id)) {
            return err(label + ": the key id must match [a-z0-9_-]{1,16}");
        }
        const std::string named = label + " ('" + std::string(id) + "')";
        if (hex.size() != kKeyBytes * 2) {
            return err(
                named + ": the key must be 64 hex characters (32 bytes), got " +
                std::to_string(hex.size())
            );
        }
        auto bytes = from_hex(hex);
        if (!bytes) {
            return err(named + ": the key is not hexadecimal");
        }
        keys.push_back(FieldKey{std::string(id), std::move(*bytes)});
        if (comma == std::string_view::npos) {
            break;
        }
        rest = rest.substr(comma + 1);
    }
    if (const auto problem = ring_problem(keys)) {
        return err(*problem);
    }
    return keys;
}

std::string FieldCipher::encrypt(std::string_view plaintext, std::string_view associated_data)
    const {
    if (plaintext.size() > kMaxPlaintextBytes) {
        throw std::length_error("FieldCipher::encrypt: plaintext larger than kMaxPlaintextBytes");
    }
    if (associated_data.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::length_error("FieldCipher::encrypt: associated data too large");
    }
    const FieldKey& key = keys_.front();
    const std::string header = authenticated_header(key.id);
    const std::string nonce = random_bytes(kNonceBytes);

    // nonce || ciphertext || tag, filled in place.
    std::string sealed(kNonceBytes + plaintext.size() + kTagBytes, '\0');
    std::copy(nonce.begin(), nonce.end(), sealed.begin());
    unsigned char* const out = bytes_of(sealed);

    const CipherCtx ctx = new_gcm_context();
    int len = 0;
    bool ok =
        EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceLength, nullptr) == 1 &&
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes_of(key.bytes), bytes_of(nonce)) ==
            1 &&
        EVP_EncryptUpdate(
            ctx.get(), nullptr, &len, bytes_of(header), static_cast<int>(header.size())
        ) == 1;
    if (ok && !associated_data.empty()) {
        ok = EVP_EncryptUpdate(
                 ctx.get(),
                 nullptr,
                 &len,
                 bytes_of(associated_data),
                 static_cast<int>(associated_data.size())
             ) == 1;
    }
    std::size_t written = 0;
    if (ok && !plaintext.empty()) {
        ok = EVP_EncryptUpdate(
                 ctx.get(),
                 out + kNonceBytes,
                 &len,
                 bytes_of(plaintext),
                 static_cast<int>(plaintext.size())
             ) == 1;
        written = static_cast<std::size_t>(len);
    }
    if (ok) {
        // GCM is a stream mode: Final writes nothing, but it must be called.
        ok = EVP_EncryptFinal_ex(ctx.get(), out + kNonceBytes + written, &len) == 1;
        written += static_cast<std::size_t>(len);
    }
    if (ok) {
        ok = written == plaintext.size() &&
             EVP_CIPHER_CTX_ctrl(
                 ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagLength, out + kNonceBytes + written
             ) == 1;
    }
    if (!ok) {
        throw std::runtime_error("AES-256-GCM encryption failed");
    }
    return header + base64url_encode(sealed);
}

std::optional<std::string> FieldCipher::decrypt(
    std::string_view envelope, std::string_view associated_data
) const {
    const auto parts = split_envelope(envelope);
    if (!parts || associated_data.size() > static_cast<std::size_t>(INT_MAX)) {
        return std::nullopt;
    }
    const FieldKey* const key = find_key(parts->key_id);
    if (key == nullptr) {
        return std::nullopt;
    }
    auto sealed = base64url_decode(parts->body);
    if (!sealed || sealed->size() < kOverheadBytes) {
        return std::nullopt;
    }
    const std::size_t ciphertext_size = sealed->size() - kOverheadBytes;
    unsigned char* const in = bytes_of(*sealed);
    const std::string header = authenticated_header(parts->key_id);

    std::string plaintext(ciphertext_size, '\0');
    const CipherCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx) {
        return std::nullopt;
    }
    int len = 0;
    bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceLength, nullptr) == 1 &&
              EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes_of(key->bytes), in) == 1 &&
              EVP_DecryptUpdate(
                  ctx.get(), nullptr, &len, bytes_of(header), static_cast<int>(header.size())
              ) == 1;
    if (ok && !associated_data.empty()) {
        ok = EVP_DecryptUpdate(
                 ctx.get(),
                 nullptr,
                 &len,
                 bytes_of(associated_data),
                 static_cast<int>(associated_data.size())
             ) == 1;
    }
    std::size_t written = 0;
    if (ok && ciphertext_size > 0) {
        ok = EVP_DecryptUpdate(
                 ctx.get(),
                 bytes_of(plaintext),
                 &len,
                 in + kNonceBytes,
                 static_cast<int>(ciphertext_size)
             ) == 1;
        written = static_cast<std::size_t>(len);
    }
    // The tag is checked in Final; until it passes, the plaintext is not released.
    if (ok) {
        ok = EVP_CIPHER_CTX_ctrl(
                 ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagLength, in + kNonceBytes + ciphertext_size
             ) == 1 &&
             EVP_DecryptFinal_ex(ctx.get(), bytes_of(plaintext) + written, &len) == 1;
        written += static_cast<std::size_t>(len);
    }
    if (!ok || written != ciphertext_size) {
        return std::nullopt;
    }
    return plaintext;
}

std::optional<std::string> FieldCipher::key_id_of(std::string_view envelope) {
    const auto parts = split_envelope(envelope);
    if (!parts) {
        return std::nullopt;
    }
    return std::string(parts->key_id);
}

const FieldKey* FieldCipher::find_key(std::string_view id) const {
    for (const FieldKey& key : keys_) {
        if (key.id == id) {
            return &key;
        }
    }
    return nullptr;
}

}  // namespace chelete::platform::crypto
