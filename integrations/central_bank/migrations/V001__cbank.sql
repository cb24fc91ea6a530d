-- The central-bank integration (docs/central-bank.md "Storage"). Money is bigint minor units.

-- One row per remittance in a final state, from remit.completed: the typed columns the reports
-- select on, and the whole record as received (identity numbers masked only). Refunded,
-- cancelled and rejected remittances are kept for the record but are in no report.
CREATE TABLE remittances (
    remittance_id  uuid        PRIMARY KEY,
    status         text        NOT NULL CHECK (status IN ('paid', 'refunded', 'cancelled', 'rejected')),
    sender_id      text        NOT NULL,
    payout_method  text        NOT NULL,
    send_minor     bigint      NOT NULL CHECK (send_minor > 0),
    fee_minor      bigint      NOT NULL CHECK (fee_minor >= 0 AND fee_minor < send_minor),
    receive_minor  bigint      NOT NULL CHECK (receive_minor >= 0),
    created_at     timestamptz NOT NULL,
    completed_at   timestamptz NOT NULL,
    record         jsonb       NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX remittances_paid_by_day ON remittances (completed_at) WHERE status = 'paid';

-- Cash deposits at agents (remit.deposit_received), for the cash threshold report.
CREATE TABLE deposits (
    deposit_id   uuid        PRIMARY KEY,
    worker_id    text        NOT NULL,
    agent_id     text        NOT NULL,
    amount_minor bigint      NOT NULL CHECK (amount_minor > 0),
    at           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deposits_at ON deposits (at);

-- The files produced, one per report, business day and format; `version` counts explicit
-- regenerations (the versions they replaced are in return_history). `stale` is set when a
-- remittance of that day arrived after the file was produced.
CREATE TABLE returns (
    report        text        NOT NULL CHECK (report IN ('cross_border', 'thresholds')),
    business_date date        NOT NULL,
    format        text        NOT NULL CHECK (format IN ('csv', 'json')),
    version       integer     NOT NULL DEFAULT 1 CHECK (version > 0),
    content       text        NOT NULL,
    sha256        text        NOT NULL,
    row_count     integer     NOT NULL CHECK (row_count >= 0),
    produced_at   timestamptz NOT NULL,
    produced_by   text        NOT NULL,
    reason        text        NOT NULL,
    stale         boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (report, business_date, format)
);

CREATE TABLE return_history (
    id            bigserial   PRIMARY KEY,
    report        text        NOT NULL,
    business_date date        NOT NULL,
    format        text        NOT NULL,
    version       integer     NOT NULL,
    content       text        NOT NULL,
    sha256        text        NOT NULL,
    row_count     integer     NOT NULL,
    produced_at   timestamptz NOT NULL,
    produced_by   text        NOT NULL,
    reason        text        NOT NULL,
    replaced_at   timestamptz NOT NULL,
    replaced_by   text        NOT NULL,
    UNIQUE (report, business_date, format, version)
);

CREATE FUNCTION cbank_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER return_history_append_only BEFORE UPDATE OR DELETE ON return_history
    FOR EACH ROW EXECUTE FUNCTION cbank_refuse_change();

-- Who read a report holding personal data, one row per person in it (POPIA s23).
CREATE TABLE access_log (
    id          bigserial   PRIMARY KEY,
    subject_id  text        NOT NULL,
    actor_id    text        NOT NULL,
    actor_role  text        NOT NULL,
    record      text        NOT NULL,
    record_id   text        NOT NULL,
    purpose     text        NOT NULL,
    request_id  text        NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_log_subject ON access_log (subject_id, id);
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION cbank_refuse_change();
