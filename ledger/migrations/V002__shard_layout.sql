-- The shard layout this schema was first started in (docs/scaling.md "The ledger: account
-- shards"): shard `shard` of `shards`. A worker's wallet lives in shard_of(worker id, shards), so
-- a process started later with another CHELETE_LEDGER_SHARDS would look for about half the
-- wallets in shards that do not hold them. Resharding is not built: the ledger refuses to start
-- in another layout (LedgerService::start). One row, written once, append-only like the rest.

CREATE TABLE shard_layout (
    singleton    boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    shard        integer     NOT NULL CHECK (shard >= 0),
    shards       integer     NOT NULL CHECK (shards >= 1 AND shard < shards),
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER shard_layout_append_only BEFORE UPDATE OR DELETE ON shard_layout
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER shard_layout_no_truncate BEFORE TRUNCATE ON shard_layout
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
