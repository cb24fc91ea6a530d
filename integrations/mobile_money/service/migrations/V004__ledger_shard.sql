-- The ledger shard a posting goes to (docs/scaling.md "The ledger: account shards"): a payout's
-- legs go to its sender's shard, top-ups and reconciliation breaks to shard 0. A posting sent
-- again goes where it went first. 0 for everything before shards.
ALTER TABLE ledger_postings ADD COLUMN ledger_shard integer NOT NULL DEFAULT 0 CHECK (ledger_shard >= 0);
