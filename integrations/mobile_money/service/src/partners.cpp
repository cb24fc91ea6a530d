// The production partner adapters, built from the payout service's configuration.
#include <algorithm>

#include <chelete/mobile_money/ecocash_client.hpp>
#include <chelete/mobile_money/mpesa_client.hpp>
#include <chelete/payout/service.hpp>

namespace chelete::payout {

namespace mm = chelete::mobile_money;

Partners make_partners(const PayoutSettings& settings) {
    Partners partners;
    if (!settings.mpesa.base_url.empty()) {
        mm::MpesaClientConfig c;
        c.base_url = settings.mpesa.base_url;
        c.market_path = settings.mpesa.market;
        c.api_key = settings.mpesa.api_key;
        c.public_key_pem = settings.mpesa.public_key_pem;
        c.service_provider_code = settings.mpesa.service_provider_code;
        c.timeout = settings.mpesa.timeout;
        c.connect_timeout = std::min(c.connect_timeout, settings.mpesa.timeout);
        c.session_lifetime = settings.mpesa.session_lifetime;
        c.session_renew_margin =
            std::min(c.session_renew_margin, settings.mpesa.session_lifetime / 2);
        partners[mm::PartnerId::kMpesa] = std::make_shared<mm::MpesaClient>(c);
    }
    if (!settings.ecocash.base_url.empty()) {
        mm::EcocashClientConfig c;
        c.base_url = settings.ecocash.base_url;
        c.client_id = settings.ecocash.client_id;
        c.client_secret = settings.ecocash.client_secret;
        c.notify_url = settings.ecocash.notify_url;
        c.timeout = settings.ecocash.timeout;
        c.connect_timeout = std::min(c.connect_timeout, settings.ecocash.timeout);
        partners[mm::PartnerId::kEcocash] = std::make_shared<mm::EcocashClient>(c);
    }
    return partners;
}

}  // namespace chelete::payout
