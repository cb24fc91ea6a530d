// libFuzzer target for the M-Pesa response interpreters (getSession, b2cPayment,
// queryTransactionStatus): arbitrary bytes as a body, the first byte choosing the HTTP status.
// Properties: nothing crashes or throws; an acceptance only from a 2xx that echoes our
// reference; a definite failure only from a 4xx; a paid status only from a 200; every answer
// that is not a success says why.
#include <array>
#include <cstdint>
#include <string>

#include "wire/partner_wire.hpp"

using namespace chelete::mobile_money;

namespace {
constexpr std::array<long, 12> kStatuses{
    200, 201, 400, 401, 404, 408, 409, 422, 500, 502, 503, 504};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const long status = kStatuses.at(data[0] % kStatuses.size());
    const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);  // NOLINT

    const auto payment = wire::interpret_mpesa_payment(status, body, "REF1");
    if (payment.result.verdict == SubmitVerdict::kAccepted &&
        (status < 200 || status > 299 || payment.result.partner_code != "INS-0")) {
        __builtin_trap();
    }
    if (payment.result.verdict == SubmitVerdict::kFailed &&
        (status < 400 || status > 499 || payment.result.failure == FailureKind::kNone)) {
        __builtin_trap();
    }
    if (payment.result.detail.empty() || payment.result.partner_code.empty()) {
        __builtin_trap();
    }
    const auto query = wire::interpret_mpesa_query(status, body);
    if (query.result.status == PaymentStatus::kPaid && status != 200) {
        __builtin_trap();
    }
    if (query.result.status == PaymentStatus::kFailed &&
        query.result.failure == FailureKind::kNone) {
        __builtin_trap();
    }
    const auto session = wire::interpret_mpesa_session(status, body);
    if (session.reply == domain::ReplyClass::kSuccess && session.session_id.empty()) {
        __builtin_trap();
    }
    return 0;
}
