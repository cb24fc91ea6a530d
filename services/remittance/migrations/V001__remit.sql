-- The remittance service's schema (docs/remittance.md "Storage"). Money is bigint minor units.

-- Ledger accounts the service opened, by owner ("wallet:<worker>", "agent:<agent>",
-- "system:in_transit", "system:fee_revenue"); the ids are derived, so this is a record, not a key.
CREATE TABLE ledger_accounts (
    owner       text        PRIMARY KEY,
    account_id  uuid        NOT NULL UNIQUE,
    code        integer     NOT NULL,
    currency    text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Cash-in at a South African agent: pending until the ledger confirms the transfer.
CREATE TABLE deposits (
    id              uuid        PRIMARY KEY,
    agent_id        text        NOT NULL,
    idempotency_key text        NOT NULL,
    worker_id       uuid        NOT NULL,
    amount_minor    bigint      NOT NULL CHECK (amount_minor > 0),
    transfer_id     uuid        NOT NULL UNIQUE,
    status          text        NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
    failure         text,
    created_at      timestamptz NOT NULL,
    requested_at    timestamptz NOT NULL,  -- the last time the transfer was sent to the ledger
    completed_at    timestamptz,
    UNIQUE (agent_id, idempotency_key)
);
CREATE INDEX deposits_worker ON deposits (worker_id, created_at);
CREATE INDEX deposits_pending ON deposits (requested_at) WHERE status = 'pending';

-- Quotes: 'expired' is not stored, it is computed from expires_at; 'used' is set once (a
-- compare-and-set on state = 'issued').
CREATE TABLE quotes (
    id               uuid        PRIMARY KEY,
    worker_id        uuid        NOT NULL,
    basis            text        NOT NULL CHECK (basis IN ('send_amount', 'receive_amount')),
    requested_minor  bigint      NOT NULL,
    payout_method    text        NOT NULL,
    send_minor       bigint      NOT NULL CHECK (send_minor > 0),
    fee_minor        bigint      NOT NULL CHECK (fee_minor >= 0),
    receive_minor    bigint      NOT NULL CHECK (receive_minor > 0),
    fee_flat         bigint      NOT NULL,
    fee_percentage   bigint      NOT NULL,
    fee_payout       bigint      NOT NULL,
    rate_numerator   bigint      NOT NULL,
    rate_denominator bigint      NOT NULL,
    issued_at        timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    state            text        NOT NULL CHECK (state IN ('issued', 'used')),
    used_by          uuid        UNIQUE
);
CREATE INDEX quotes_worker ON quotes (worker_id, issued_at);

CREATE TABLE remittances (
    id                      uuid        PRIMARY KEY,
    sender_id               uuid        NOT NULL,
    idempotency_key         text        NOT NULL,
    quote_id                uuid        NOT NULL UNIQUE REFERENCES quotes (id),
    sender_name             text        NOT NULL,
    sender_date_of_birth    date,
    sender_kyc_tier         text        NOT NULL,
    beneficiary_id          uuid        NOT NULL,
    beneficiary_name        text        NOT NULL,
    beneficiary_phone       text        NOT NULL,
    payout_method           text        NOT NULL,
    send_minor              bigint      NOT NULL CHECK (send_minor > 0),
    fee_minor               bigint      NOT NULL CHECK (fee_minor >= 0 AND fee_minor < send_minor),
    receive_minor           bigint      NOT NULL CHECK (receive_minor > 0),
    purpose                 text        NOT NULL,
    source_of_funds         text        NOT NULL,
    status                  text        NOT NULL,
    wallet_account_id       uuid        NOT NULL,
    reserve_transfer_id     uuid        NOT NULL UNIQUE,
    reserve_fee_transfer_id uuid        NOT NULL UNIQUE,
    settle_transfer_id      uuid        UNIQUE,
    -- What the ledger has confirmed (or been asked), kept beside the status so the two can be
    -- compared at any moment: none, reserve_requested, reserved, reserve_refused,
    -- post_requested, posted, void_requested, voided.
    ledger_state            text        NOT NULL DEFAULT 'none',
    -- When the last request of an unfinished step (screening or a ledger command) was sent: the
    -- sweeper asks again after CHELETE_REMIT_STUCK_AFTER.
    step_requested_at       timestamptz,
    payout_reference        text        NOT NULL UNIQUE,
    partner_reference       text,
    compliance_case_id      uuid,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    UNIQUE (sender_id, idempotency_key)
);
CREATE INDEX remittances_sender ON remittances (sender_id, created_at DESC, id DESC);
CREATE INDEX remittances_all ON remittances (created_at DESC, id DESC);
CREATE INDEX remittances_open ON remittances (status, updated_at)
    WHERE status IN ('screening', 'approved', 'failed', 'paid', 'cancelled');

-- Every transition, append-only: the status history of API.md.
CREATE TABLE remittance_history (
    remittance_id uuid        NOT NULL REFERENCES remittances (id),
    seq           integer     NOT NULL,
    status        text        NOT NULL,
    at            timestamptz NOT NULL,
    reason        text        NOT NULL,
    actor         text        NOT NULL,
    PRIMARY KEY (remittance_id, seq)
);

CREATE FUNCTION remittance_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'remittance_history is append-only';
END;
$$;
CREATE TRIGGER remittance_history_append_only BEFORE UPDATE OR DELETE ON remittance_history
    FOR EACH ROW EXECUTE FUNCTION remittance_history_is_append_only();

-- Every read of a remittance's personal data (names, phone) by someone other than its sender.
CREATE TABLE access_log (
    id          bigserial   PRIMARY KEY,
    subject_id  uuid        NOT NULL,
    actor_id    text        NOT NULL,
    actor_role  text        NOT NULL,
    record      text        NOT NULL,
    record_id   text        NOT NULL,
    purpose     text        NOT NULL,
    request_id  text        NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
