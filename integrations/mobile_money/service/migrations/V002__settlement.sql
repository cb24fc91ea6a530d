-- Cash pickup, the partner side of the ledger, reconciliation and settlement positions
-- (docs/payout.md "Cash pickup", "The partner side of the ledger", "Reconciliation").

-- Which attempt was paid, and when we learned it: reconciliation matches the partner's
-- statement against it.
ALTER TABLE payouts ADD COLUMN paid_reference text;
ALTER TABLE payouts ADD COLUMN paid_at timestamptz;
-- The remittance's principal in rand (send amount less fee): the ZAR leg of the payout's
-- cross-currency ledger posting. Null for payouts requested before it was sent.
ALTER TABLE payouts ADD COLUMN principal_zar_minor bigint CHECK (principal_zar_minor > 0);
CREATE INDEX payouts_paid_at ON payouts (paid_at) WHERE state = 'paid';

-- A cash-pickup voucher per cash_pickup payout. The PIN is kept only as an Argon2id hash;
-- the recipient's national id is never stored here (the registry checks it on redeem).
CREATE TABLE vouchers (
    remittance_id   uuid        PRIMARY KEY REFERENCES payouts (remittance_id),
    code            text        NOT NULL UNIQUE CHECK (code ~ '^[0-9]{10}$'),
    pin_hash        text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('issued', 'locked', 'redeemed', 'expired')),
    failed_attempts integer     NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    issued_at       timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    locked_at       timestamptz,
    redeemed_at     timestamptz,
    redeemed_by     uuid,       -- the agent's staff id
    expired_at      timestamptz
);
CREATE INDEX vouchers_expiring ON vouchers (expires_at) WHERE state IN ('issued', 'locked');

-- Every redeem attempt, append-only (who tried which voucher, and what came of it).
CREATE TABLE voucher_attempts (
    id            bigserial   PRIMARY KEY,
    remittance_id uuid        NOT NULL REFERENCES vouchers (remittance_id),
    agent_id      uuid        NOT NULL,
    at            timestamptz NOT NULL,
    result        text        NOT NULL
);
CREATE INDEX voucher_attempts_voucher ON voucher_attempts (remittance_id, id);

-- The ledger accounts the payout service moves money through, by owner name
-- ("float:mpesa", "agent:<uuid>", "system:suspense:LSL", ...); ids derived from the owner.
CREATE TABLE ledger_accounts (
    owner      text    PRIMARY KEY,
    account_id uuid    NOT NULL UNIQUE,
    code       integer NOT NULL,
    currency   text    NOT NULL CHECK (currency IN ('ZAR', 'LSL')),
    confirmed  boolean NOT NULL DEFAULT false
);

-- Every ledger command the payout service sends, until the ledger confirms it. `transfer_id`
-- is the first transfer's id (the reply names it); a transfer the ledger refused for a missing
-- account spends its id, so the command is sent again under fresh ids (`attempt`).
-- `float_effect` is what it does to `subject`'s balance (debits less credits, LSL), from which
-- settlement positions are read.
CREATE TABLE ledger_postings (
    id            uuid        PRIMARY KEY,
    transfer_id   uuid        NOT NULL UNIQUE,
    attempt       integer     NOT NULL DEFAULT 1,
    kind          text        NOT NULL CHECK (kind IN ('payout', 'cash_pickup', 'top_up', 'recon_break')),
    subject       text        NOT NULL REFERENCES ledger_accounts (owner),
    remittance_id uuid,
    float_effect  bigint      NOT NULL,
    reference     text        NOT NULL DEFAULT '',
    command       text        NOT NULL,
    state         text        NOT NULL CHECK (state IN ('sent', 'applied', 'refused')),
    result        text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    sent_at       timestamptz NOT NULL,
    answered_at   timestamptz,
    created_by    text        NOT NULL DEFAULT 'system'
);
CREATE INDEX ledger_postings_unconfirmed ON ledger_postings (sent_at) WHERE state = 'sent';
CREATE INDEX ledger_postings_subject ON ledger_postings (subject);
-- A float top-up is idempotent by the bank's reference.
CREATE UNIQUE INDEX ledger_postings_top_up ON ledger_postings (subject, reference) WHERE kind = 'top_up';

-- Reconciliation of one partner's statement for one UTC day.
CREATE TABLE recon_runs (
    id              uuid        PRIMARY KEY,
    partner         text        NOT NULL,
    day             date        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    requested_by    text        NOT NULL,
    requested_at    timestamptz NOT NULL,
    started_at      timestamptz,
    finished_at     timestamptz,
    error           text        NOT NULL DEFAULT '',
    statement_lines integer     NOT NULL DEFAULT 0,
    matched         integer     NOT NULL DEFAULT 0,
    in_flight       integer     NOT NULL DEFAULT 0,
    missing_here    integer     NOT NULL DEFAULT 0,
    missing_there   integer     NOT NULL DEFAULT 0,
    amount_mismatch integer     NOT NULL DEFAULT 0
);
CREATE INDEX recon_runs_day ON recon_runs (day, partner);
-- At most one run of a partner's day queued or running at a time.
CREATE UNIQUE INDEX recon_runs_active ON recon_runs (partner, day) WHERE state IN ('queued', 'running');

-- A break: found once (a later run of the same day finds it again and changes nothing), its
-- difference moved to the suspense account, kept open until finance resolves it.
CREATE TABLE recon_breaks (
    id             uuid        PRIMARY KEY,
    run_id         uuid        NOT NULL REFERENCES recon_runs (id),
    partner        text        NOT NULL,
    day            date        NOT NULL,
    reference      text        NOT NULL,
    kind           text        NOT NULL CHECK (kind IN ('missing_here', 'missing_there', 'amount_mismatch')),
    remittance_id  uuid,
    our_amount     bigint,
    their_amount   bigint,
    transaction_id text        NOT NULL DEFAULT '',
    posting_id     uuid        REFERENCES ledger_postings (id),
    state          text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    found_at       timestamptz NOT NULL,
    resolved_at    timestamptz,
    resolved_by    text,
    resolution     text,
    UNIQUE (partner, reference, kind)
);
CREATE INDEX recon_breaks_open ON recon_breaks (found_at) WHERE state = 'open';

-- The low-float alarm per partner: raised once when the float falls under the threshold,
-- cleared when a top-up lifts it again.
CREATE TABLE float_alarms (
    partner   text        PRIMARY KEY,
    raised_at timestamptz NOT NULL,
    float     bigint      NOT NULL,
    pending   bigint      NOT NULL
);
