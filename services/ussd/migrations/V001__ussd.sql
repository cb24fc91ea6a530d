-- The USSD service's schema (docs/ussd.md "Actions"). Sessions live in Redis with a TTL; what
-- stays here is one row per finished session that asked for something, written with its outbox
-- message, so a final turn answered twice (the aggregator retrying) sends its action once. No PIN
-- is stored: a PIN change travels only in the outbox row, pruned after delivery.
CREATE TABLE actions (
    session_id    text        PRIMARY KEY,
    phone         text        NOT NULL,
    kind          text        NOT NULL
                  CHECK (kind IN ('resend_voucher', 'choose_method', 'change_pin')),
    remittance_id uuid,
    method        text        CHECK (method IN ('mpesa', 'ecocash', 'cash_pickup')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
