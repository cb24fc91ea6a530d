-- Reconciliation settles a payout still open that a closed day's statement shows paid for its
-- amount (docs/payout.md "Reconciliation"); the attempt log records it as a `statement` entry,
-- beside the submits, queries and callbacks that did not settle it.
ALTER TABLE attempt_log DROP CONSTRAINT attempt_log_kind_check;
ALTER TABLE attempt_log ADD CONSTRAINT attempt_log_kind_check
    CHECK (kind IN ('submit', 'query', 'callback', 'statement'));
