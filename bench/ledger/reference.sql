-- The common PostgreSQL design the engine is measured against: lock both account rows in id
-- order, check the limit, update the balances, insert the transfer and its two entries, commit.
-- One transfer per transaction. Created in the schema the benchmark passes as search_path.

CREATE TABLE ref_accounts (
    id             uuid   PRIMARY KEY,
    debits_posted  bigint NOT NULL DEFAULT 0,
    credits_posted bigint NOT NULL DEFAULT 0,
    debits_must_not_exceed_credits boolean NOT NULL DEFAULT false
);

CREATE TABLE ref_transfers (
    id                uuid        PRIMARY KEY,
    debit_account_id  uuid        NOT NULL,
    credit_account_id uuid        NOT NULL,
    amount            bigint      NOT NULL CHECK (amount > 0),
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE ref_entries (
    account_id     uuid   NOT NULL,
    transfer_id    uuid   NOT NULL,
    amount         bigint NOT NULL,
    debit          boolean NOT NULL,
    balance_after  bigint NOT NULL,
    PRIMARY KEY (account_id, transfer_id)
);

CREATE FUNCTION ref_transfer(p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    d ref_accounts;
    c ref_accounts;
BEGIN
    IF p_debit = p_credit THEN
        RETURN 'accounts_must_be_different';
    END IF;
    -- Lock in id order so that opposite transfers cannot deadlock.
    IF p_debit < p_credit THEN
        SELECT * INTO d FROM ref_accounts WHERE id = p_debit FOR UPDATE;
        SELECT * INTO c FROM ref_accounts WHERE id = p_credit FOR UPDATE;
    ELSE
        SELECT * INTO c FROM ref_accounts WHERE id = p_credit FOR UPDATE;
        SELECT * INTO d FROM ref_accounts WHERE id = p_debit FOR UPDATE;
    END IF;
    IF d.id IS NULL THEN
        RETURN 'debit_account_not_found';
    END IF;
    IF c.id IS NULL THEN
        RETURN 'credit_account_not_found';
    END IF;
    IF d.debits_must_not_exceed_credits AND d.debits_posted + p_amount > d.credits_posted THEN
        RETURN 'exceeds_credits';
    END IF;
    INSERT INTO ref_transfers (id, debit_account_id, credit_account_id, amount) VALUES (p_id, p_debit, p_credit, p_amount);
    UPDATE ref_accounts SET debits_posted = debits_posted + p_amount WHERE id = p_debit;
    UPDATE ref_accounts SET credits_posted = credits_posted + p_amount WHERE id = p_credit;
    INSERT INTO ref_entries VALUES (p_debit, p_id, p_amount, true, d.debits_posted + p_amount);
    INSERT INTO ref_entries VALUES (p_credit, p_id, p_amount, false, c.credits_posted + p_amount);
    RETURN 'ok';
EXCEPTION WHEN unique_violation THEN
    RETURN 'exists';
END;
$$;
