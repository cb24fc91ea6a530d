-- Reconciliation of a day that has not closed is a report only (docs/payout.md
-- "Reconciliation"): its findings are kept with the run, nothing goes to suspense, and the
-- scheduled run of the closed day still happens.
ALTER TABLE recon_runs ADD COLUMN final boolean NOT NULL DEFAULT false;
ALTER TABLE recon_runs ADD COLUMN findings text NOT NULL DEFAULT '[]';

-- Every statement line a run read, so a payout we learn was paid days after the partner paid it
-- is found on the statement of the day it was really paid.
CREATE TABLE recon_lines (
    partner        text        NOT NULL,
    day            date        NOT NULL,
    reference      text        NOT NULL,
    amount_minor   bigint      NOT NULL,
    transaction_id text        NOT NULL DEFAULT '',
    completed_at   text        NOT NULL DEFAULT '',
    PRIMARY KEY (partner, reference, day)
);

-- Payouts paid before paid_reference existed were paid under their current reference.
UPDATE payouts SET paid_reference = current_reference, paid_at = updated_at
WHERE state = 'paid' AND paid_reference IS NULL;
