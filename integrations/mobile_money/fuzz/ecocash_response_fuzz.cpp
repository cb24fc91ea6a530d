// libFuzzer target for the EcoCash response interpreters (token, disbursement, query):
// arbitrary bytes as a body, the first byte choosing the HTTP status. Properties as for M-Pesa:
// no crash or throw; acceptance only from a 202 echoing our correlator; not-found only from the
// partner's own 404; a token only with a positive lifetime.
#include <array>
#include <cstdint>
#include <string>

#include "wire/partner_wire.hpp"

using namespace chelete::mobile_money;

namespace {
constexpr std::array<long, 10> kStatuses{200, 202, 400, 401, 404, 409, 422, 500, 503, 504};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const long status = kStatuses.at(data[0] % kStatuses.size());
    const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);  // NOLINT

    const auto submitted = wire::interpret_ecocash_disbursement(status, body, "R-1");
    if (submitted.result.verdict == SubmitVerdict::kAccepted && status != 202) {
        __builtin_trap();
    }
    if (submitted.result.verdict == SubmitVerdict::kFailed &&
        (status < 400 || status > 499 || submitted.result.failure == FailureKind::kNone)) {
        __builtin_trap();
    }
    const auto query = wire::interpret_ecocash_query(status, body, "R-1");
    if (query.result.status == PaymentStatus::kNotFound && status != 404) {
        __builtin_trap();
    }
    if (query.result.status == PaymentStatus::kPaid && status != 200) {
        __builtin_trap();
    }
    const auto token = wire::interpret_ecocash_token(status, body);
    if (token.reply == domain::ReplyClass::kSuccess &&
        (token.access_token.empty() || token.expires_in_s <= 0)) {
        __builtin_trap();
    }
    return 0;
}
