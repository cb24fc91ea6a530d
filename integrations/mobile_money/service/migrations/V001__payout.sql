-- The payout service (docs/partners.md "The payout service"): one row per remittance handed over
-- on payout.cmd, every attempt at a partner, every query and callback, in the payout schema.

CREATE TABLE payouts (
    remittance_id          uuid        PRIMARY KEY,
    payout_reference       text        NOT NULL,
    method                 text        NOT NULL CHECK (method IN ('mpesa', 'ecocash', 'cash_pickup')),
    amount_minor           bigint      NOT NULL CHECK (amount_minor > 0),
    currency               text        NOT NULL CHECK (currency = 'LSL'),
    msisdn                 text        NOT NULL,
    recipient_name         text        NOT NULL,
    beneficiary_id         uuid,
    sender_id              uuid,
    sender_name            text        NOT NULL,
    purpose                text        NOT NULL,
    -- requested -> sending -> accepted | unknown | confirm_failure | retry_wait -> paid | failed
    state                  text        NOT NULL CHECK (state IN ('requested', 'sending', 'accepted',
                                'unknown', 'confirm_failure', 'retry_wait', 'paid', 'failed')),
    attempt_no             integer     NOT NULL CHECK (attempt_no >= 1),
    current_reference      text        NOT NULL,
    queries                integer     NOT NULL DEFAULT 0,
    retry_since            timestamptz,
    next_check_at          timestamptz NOT NULL,
    lease_until            timestamptz,
    unknown_reported       boolean     NOT NULL DEFAULT false,
    partner_transaction_id text,
    outcome_reason         text,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);
-- The worker's queue: open payouts by when they are due.
CREATE INDEX payouts_due ON payouts (next_check_at) WHERE state NOT IN ('paid', 'failed');

-- One row per attempt; `reference` is the partner's idempotency key for it, never reused.
CREATE TABLE attempts (
    reference       text        PRIMARY KEY,
    remittance_id   uuid        NOT NULL REFERENCES payouts (remittance_id),
    attempt_no      integer     NOT NULL,
    partner         text        NOT NULL,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    verdict         text,       -- accepted | failed | unknown | not_sent, of the last submit
    failure         text,
    partner_code    text,
    conversation_id text,
    transaction_id  text,
    UNIQUE (remittance_id, attempt_no)
);

-- Everything that happened to an attempt, append-only: submits, status queries, callbacks.
CREATE TABLE attempt_log (
    id           bigserial   PRIMARY KEY,
    reference    text        NOT NULL,
    at           timestamptz NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('submit', 'query', 'callback')),
    result       text        NOT NULL,
    partner_code text        NOT NULL DEFAULT '',
    detail       text        NOT NULL DEFAULT ''
);
CREATE INDEX attempt_log_reference ON attempt_log (reference, id);

-- Every authenticated callback; the signature is unique, so a replayed one is refused.
CREATE TABLE callbacks (
    id             bigserial   PRIMARY KEY,
    partner        text        NOT NULL,
    signature      text        NOT NULL UNIQUE,
    received_at    timestamptz NOT NULL,
    reference      text        NOT NULL DEFAULT '',
    status         text        NOT NULL DEFAULT '',
    partner_code   text        NOT NULL DEFAULT '',
    transaction_id text        NOT NULL DEFAULT '',
    effect         text        NOT NULL DEFAULT '',
    body_sha256    text        NOT NULL
);
CREATE INDEX callbacks_reference ON callbacks (reference);
