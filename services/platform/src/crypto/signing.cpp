#include <stdexcept>

#include <openssl/evp.h>

#include <chelete/platform/crypto.hpp>
#include <chelete/platform/signing.hpp>

namespace chelete::platform::crypto {
namespace {

struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

struct PkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): OpenSSL takes unsigned char*
const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}
unsigned char* bytes_of(std::string& text) {
    return reinterpret_cast<unsigned char*>(text.data());
}
// NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)

}  // namespace

void Ed25519Signer::KeyDeleter::operator()(evp_pkey_st* key) const {
    EVP_PKEY_free(key);
}

Ed25519Signer::Ed25519Signer(std::string_view seed) {
    if (seed.size() != kSeedBytes) {
        throw std::invalid_argument("Ed25519Signer: the private seed must be 32 bytes");
    }
    key_.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes_of(seed), seed.size())
    );
    if (!key_) {
        throw std::runtime_error("EVP_PKEY_new_raw_private_key(Ed25519) failed");
    }
    std::string public_key(kPublicKeyBytes, '\0');
    std::size_t length = public_key.size();
    if (EVP_PKEY_get_raw_public_key(key_.get(), bytes_of(public_key), &length) != 1 ||
        length != kPublicKeyBytes) {
        throw std::runtime_error("EVP_PKEY_get_raw_public_key(Ed25519) failed");
    }
    public_key_hex_ = to_hex(bytes_of(public_key), length);
}

Result<Ed25519Signer, std::string> Ed25519Signer::from_seed_hex(std::string_view seed_hex) {
    if (seed_hex.size() != kSeedBytes * 2) {
        return err(
            "the Ed25519 private seed must be 64 hex characters (32 bytes), got " +
            std::to_string(seed_hex.size())
        );
    }
    const auto seed = from_hex(seed_hex);
    if (!seed) {
        return err(std::string("the Ed25519 private seed is not hexadecimal"));
    }
    return Ed25519Signer(*seed);
}

std::string Ed25519Signer::sign(std::string_view message) const {
    const MdCtx ctx(EVP_MD_CTX_new());
    std::string signature(kSignatureBytes, '\0');
    std::size_t length = signature.size();
    // Ed25519 hashes internally: no digest is named, and the one-shot EVP_DigestSign is required.
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
        EVP_DigestSign(
            ctx.get(), bytes_of(signature), &length, bytes_of(message), message.size()
        ) != 1 ||
        length != kSignatureBytes) {
        throw std::runtime_error("Ed25519 signing failed");
    }
    return base64url_encode(signature);
}

bool verify_ed25519(
    std::string_view public_key_hex, std::string_view message, std::string_view signature_b64url
) {
    if (public_key_hex.size() != Ed25519Signer::kPublicKeyBytes * 2) {
        return false;
    }
    const auto public_key = from_hex(public_key_hex);
    const auto signature = base64url_decode(signature_b64url);
    if (!public_key || !signature || signature->size() != Ed25519Signer::kSignatureBytes) {
        return false;
    }
    // Any 32 bytes are accepted here; a string that is not a curve point fails in the verify.
    const Pkey key(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, bytes_of(*public_key), public_key->size()
    ));
    const MdCtx ctx(EVP_MD_CTX_new());
    if (!key || !ctx ||
        EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
        return false;
    }
    return EVP_DigestVerify(
               ctx.get(), bytes_of(*signature), signature->size(), bytes_of(message), message.size()
           ) == 1;
}

}  // namespace chelete::platform::crypto
