// libFuzzer: arbitrary bytes as the body (and query value) of every partner-API request of the
// mpesa, ecocash and sms simulators, and as SMS text. Nothing may crash, hang or throw out of
// handle(): a bad request is a 4xx (respond_safely would turn an escaped exception into a 500,
// which this target treats as a bug).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include <chelete/platform/clock.hpp>

#include "common/callbacks.hpp"
#include "common/sim_crypto.hpp"
#include "ecocash/ecocash_app.hpp"
#include "mpesa/mpesa_app.hpp"
#include "sms/segments.hpp"
#include "sms/sms_app.hpp"

namespace {

using namespace chelete::simulators;

struct Apps {
    chelete::platform::ManualClock clock;
    CallbackOutbox outbox;
    RsaKey key = RsaKey::generate(2048);
    std::unique_ptr<mpesa::MpesaApp> mpesa_app;
    std::unique_ptr<ecocash::EcocashApp> ecocash_app;
    std::unique_ptr<sms::SmsApp> sms_app;
    std::string mpesa_bearer;
    std::string ecocash_bearer;

    Apps() {
        outbox.close();  // callbacks are not the point here; keep memory flat
        mpesa::MpesaOptions m;
        m.api_key = "k";
        m.callback_url = "http://127.0.0.1:9/cb";
        mpesa_app = std::make_unique<mpesa::MpesaApp>(m, key, clock, outbox);
        ecocash::EcocashOptions e;
        e.client_id = "id";
        e.client_secret = "secret";
        ecocash_app = std::make_unique<ecocash::EcocashApp>(e, clock, outbox);
        sms::SmsOptions s;
        s.api_key = "k";
        sms_app = std::make_unique<sms::SmsApp>(s, clock);

        SimRequest session;
        session.method = "GET";
        session.path = std::string{mpesa::kBasePath} + "/getSession/";
        session.headers["origin"] = "*";
        session.headers["authorization"] = "Bearer " + base64_encode(key.encrypt("k"));
        const auto id = nlohmann::json::parse(mpesa_app->handle(session).body)["output_SessionID"];
        mpesa_bearer = "Bearer " + base64_encode(key.encrypt(id.get<std::string>()));

        SimRequest token;
        token.method = "POST";
        token.path = "/oauth/token";
        token.headers["authorization"] = "Basic " + base64_encode("id:secret");
        token.body = "grant_type=client_credentials";
        ecocash_bearer =
            "Bearer " +
            nlohmann::json::parse(ecocash_app->handle(token).body)["access_token"].get<std::string>(
            );
    }
};

void check(const SimResponse& response) {
    if (response.status >= 500 && response.status != 503) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Apps apps;
    if (size == 0) {
        return 0;
    }
    const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);  // NOLINT
    SimRequest r;
    r.body = input;
    switch (data[0] % 6) {
        case 0:
            r.method = "POST";
            r.path = std::string{mpesa::kBasePath} + "/b2cPayment/";
            r.headers = {{"origin", "*"}, {"authorization", apps.mpesa_bearer}};
            check(apps.mpesa_app->handle(r));
            break;
        case 1:
            r.method = "GET";
            r.path = std::string{mpesa::kBasePath} + "/queryTransactionStatus/";
            r.headers = {{"origin", "*"}, {"authorization", apps.mpesa_bearer}};
            r.query = {
                {"input_QueryReference", input},
                {"input_ServiceProviderCode", "000000"},
                {"input_ThirdPartyConversationID", input},
                {"input_Country", "LES"}};
            check(apps.mpesa_app->handle(r));
            break;
        case 2:
            r.method = "POST";
            r.path = "/v1/disbursements";
            r.headers = {{"authorization", apps.ecocash_bearer}};
            check(apps.ecocash_app->handle(r));
            break;
        case 3:
            r.method = "POST";
            r.path = "/oauth/token";
            r.headers = {{"authorization", "Basic " + input}};
            check(apps.ecocash_app->handle(r));
            break;
        case 4:
            r.method = "POST";
            r.path = "/v1/messages";
            r.headers = {{"x-api-key", "k"}};
            check(apps.sms_app->handle(r));
            break;
        default:
            (void)sms::count_segments(input);
            break;
    }
    return 0;
}
