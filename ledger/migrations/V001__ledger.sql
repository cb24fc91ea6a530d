-- The ledger's storage (docs/ledger.md). Every table is append-only: a trigger refuses UPDATE,
-- DELETE and TRUNCATE. Balances are not stored in `accounts`: posted balances are the running
-- balances of the latest entry, pending balances the sum of the open pending transfers, and the
-- engine keeps both in memory.
--
-- uint64/uint32 client fields are stored in bigint with the same bit pattern.
-- A zero UUID (00000000-0000-0000-0000-000000000000) stands for "none".

CREATE TABLE batches (
    seq              bigint      PRIMARY KEY CHECK (seq > 0),
    first_timestamp  bigint      NOT NULL,
    last_timestamp   bigint      NOT NULL CHECK (last_timestamp >= first_timestamp),
    accounts         integer     NOT NULL,
    transfers        integer     NOT NULL,
    entries          integer     NOT NULL,
    snapshots        integer     NOT NULL,
    expiries         integer     NOT NULL,
    failed           integer     NOT NULL,
    prev_digest      bytea       NOT NULL CHECK (length(prev_digest) = 32),
    digest           bytea       NOT NULL CHECK (length(digest) = 32),
    committed_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
    id             uuid     PRIMARY KEY,
    currency       smallint NOT NULL,
    code           integer  NOT NULL CHECK (code > 0),
    flags          integer  NOT NULL,
    user_data_128  uuid     NOT NULL,
    user_data_64   bigint   NOT NULL,
    user_data_32   bigint   NOT NULL,
    timestamp      bigint   NOT NULL UNIQUE,
    batch          bigint   NOT NULL
);

CREATE TABLE transfers (
    id                 uuid     PRIMARY KEY,
    debit_account_id   uuid     NOT NULL,
    credit_account_id  uuid     NOT NULL,
    amount             bigint   NOT NULL CHECK (amount >= 0),
    pending_id         uuid     NOT NULL,
    currency           smallint NOT NULL,
    code               integer  NOT NULL,
    flags              integer  NOT NULL,
    timeout            bigint   NOT NULL,
    user_data_128      uuid     NOT NULL,
    user_data_64       bigint   NOT NULL,
    user_data_32       bigint   NOT NULL,
    timestamp          bigint   NOT NULL UNIQUE,
    batch              bigint   NOT NULL
);

-- One row per posted movement on one account, with that account's posted balances after it.
CREATE TABLE entries (
    account_id     uuid    NOT NULL,
    timestamp      bigint  NOT NULL,
    transfer_id    uuid    NOT NULL,
    amount         bigint  NOT NULL CHECK (amount >= 0),
    debit          boolean NOT NULL,
    debits_posted  bigint  NOT NULL,
    credits_posted bigint  NOT NULL,
    batch          bigint  NOT NULL,
    PRIMARY KEY (account_id, timestamp)
);

-- History accounts only: all four balances after each change.
CREATE TABLE account_balances (
    account_id      uuid    NOT NULL,
    timestamp       bigint  NOT NULL,
    debit_side      boolean NOT NULL,
    debits_pending  bigint  NOT NULL,
    debits_posted   bigint  NOT NULL,
    credits_pending bigint  NOT NULL,
    credits_posted  bigint  NOT NULL,
    batch           bigint  NOT NULL,
    PRIMARY KEY (account_id, timestamp)
);

CREATE TABLE expiries (
    pending_id  uuid   PRIMARY KEY,
    timestamp   bigint NOT NULL UNIQUE,
    batch       bigint NOT NULL
);

-- Ids spent by a transient failure: a retry answers id_already_failed.
CREATE TABLE failed_transfers (
    id         uuid   PRIMARY KEY,
    result     text   NOT NULL,
    timestamp  bigint NOT NULL UNIQUE,
    batch      bigint NOT NULL
);

CREATE INDEX transfers_batch ON transfers (batch);
CREATE INDEX entries_batch ON entries (batch);
CREATE INDEX transfers_pending_id ON transfers (pending_id) WHERE flags & 12 <> 0;

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['batches', 'accounts', 'transfers', 'entries', 'account_balances', 'expiries',
                             'failed_transfers'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION refuse_change()',
                       t || '_append_only', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()',
                       t || '_no_truncate', t);
    END LOOP;
END;
$$;
