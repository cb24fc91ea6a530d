-- Compliance (docs/compliance.md "The service"): screenings, cases and their decisions, threshold
-- report flags, and the access log of case reads. Screenings, decisions, flags and the access log
-- are the audit trail: append-only (a screening's `state`, the remittance's latest known state,
-- is the one thing that changes, with a history row each time).

CREATE FUNCTION compliance_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

-- A case for a compliance officer: a held remittance, an attempted one (rejected for a limit
-- with other findings), or a trafficking alert from the registry.
CREATE TABLE cases (
    seq           bigserial   NOT NULL UNIQUE,
    id            uuid        PRIMARY KEY,
    kind          text        NOT NULL CHECK (kind IN ('held_remittance', 'attempted_remittance', 'trafficking_alert')),
    status        text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected', 'closed')),
    remittance_id uuid        UNIQUE,
    sender_id     uuid,
    amount_minor  bigint      CHECK (amount_minor > 0),
    reasons       jsonb       NOT NULL,
    complaint_id  uuid        UNIQUE,
    alert         jsonb,
    opened_at     timestamptz NOT NULL,
    decided_at    timestamptz,
    decided_by    text,
    note          text,
    CHECK ((kind = 'trafficking_alert') = (remittance_id IS NULL)),
    CHECK ((kind = 'trafficking_alert') = (complaint_id IS NOT NULL)),
    CHECK ((status = 'open') = (decided_at IS NULL)),
    CHECK ((status = 'closed') = (kind = 'trafficking_alert' AND status <> 'open'))
);
CREATE INDEX cases_status ON cases (status, seq);
CREATE INDEX cases_kind ON cases (kind, seq);

-- One screening per remittance, as decided: the request (names included), the sums under the
-- sender's lock, the matches with their scores, the outcome and the event published.
CREATE TABLE screenings (
    id                  uuid        PRIMARY KEY,
    remittance_id       uuid        NOT NULL UNIQUE,
    sender_id           uuid        NOT NULL,
    beneficiary_id      uuid        NOT NULL,
    tier                text        NOT NULL CHECK (tier IN ('restricted', 'basic', 'standard', 'enhanced')),
    amount_minor        bigint      NOT NULL CHECK (amount_minor > 0),
    payout_method       text        NOT NULL CHECK (payout_method IN ('mpesa', 'ecocash', 'cash_pickup')),
    requested_at        timestamptz NOT NULL,
    request             jsonb       NOT NULL,
    outcome             text        NOT NULL CHECK (outcome IN ('approved', 'held', 'rejected')),
    reasons             jsonb       NOT NULL,
    sender_matches      jsonb       NOT NULL,
    beneficiary_matches jsonb       NOT NULL,
    used_today_minor    bigint      NOT NULL CHECK (used_today_minor >= 0),
    used_month_minor    bigint      NOT NULL CHECK (used_month_minor >= 0),
    available_minor     bigint      NOT NULL CHECK (available_minor >= 0),
    recent_count        integer     NOT NULL,
    watchlist_version   text        NOT NULL,
    case_id             uuid        REFERENCES cases (id),
    result              jsonb       NOT NULL,
    screened_at         timestamptz NOT NULL,
    -- The remittance's latest known state: the outcome at first, then remit.status_changed and
    -- officers' decisions. Rejected, cancelled and refunded remittances no longer count.
    state               text        NOT NULL,
    state_at            timestamptz NOT NULL,
    counts              boolean     GENERATED ALWAYS AS (state NOT IN ('rejected', 'cancelled', 'refunded')) STORED
);
CREATE INDEX screenings_sender_counting ON screenings (sender_id, requested_at) WHERE counts;

-- A final state (rejected, cancelled, refunded) that arrived before the remittance's screening:
-- remit.events and compliance.cmd are different streams, so a sender's cancel during screening
-- can overtake the screen request. Applied (and removed) when the screening is stored, so the
-- remittance never counts towards the sender's limits.
CREATE TABLE early_final_states (
    remittance_id uuid        PRIMARY KEY,
    state         text        NOT NULL,
    at            timestamptz NOT NULL
);

CREATE TABLE screening_states (
    id            bigserial   PRIMARY KEY,
    remittance_id uuid        NOT NULL REFERENCES screenings (remittance_id),
    state         text        NOT NULL,
    source        text        NOT NULL CHECK (source IN ('screening', 'remit.status_changed', 'case_decision')),
    at            timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX screening_states_remittance ON screening_states (remittance_id, id);

CREATE FUNCTION compliance_screening_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'screenings is append-only';
    END IF;
    IF (to_jsonb(NEW) - 'state' - 'state_at' - 'counts')
       IS DISTINCT FROM (to_jsonb(OLD) - 'state' - 'state_at' - 'counts') THEN
        RAISE EXCEPTION 'screenings: only the state of a screening changes';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER screenings_guard BEFORE UPDATE OR DELETE ON screenings
    FOR EACH ROW EXECUTE FUNCTION compliance_screening_guard();

-- Every officer decision (officer = the caller's subject).
CREATE TABLE case_decisions (
    id         bigserial   PRIMARY KEY,
    case_id    uuid        NOT NULL REFERENCES cases (id),
    action     text        NOT NULL CHECK (action IN ('approve', 'reject', 'close')),
    note       text        NOT NULL,
    officer_id text        NOT NULL,
    decided_at timestamptz NOT NULL
);
CREATE INDEX case_decisions_case ON case_decisions (case_id, id);

-- IFTR (remittances of R20,000.00 or more) and CTR (cash deposits of R50,000.00 or more) for the
-- central-bank integration to file.
CREATE TABLE threshold_flags (
    seq             bigserial   NOT NULL UNIQUE,
    id              uuid        PRIMARY KEY,
    kind            text        NOT NULL CHECK (kind IN ('iftr', 'ctr')),
    reference_type  text        NOT NULL CHECK (reference_type IN ('remittance', 'deposit')),
    reference_id    uuid        NOT NULL,
    subject_id      uuid        NOT NULL,
    amount_minor    bigint      NOT NULL CHECK (amount_minor > 0),
    threshold_minor bigint      NOT NULL CHECK (threshold_minor > 0),
    details         jsonb       NOT NULL DEFAULT '{}',
    at              timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, reference_type, reference_id)
);
CREATE INDEX threshold_flags_kind ON threshold_flags (kind, seq);

-- Who read which case (cases hold personal names), when and why (POPIA s23).
CREATE TABLE access_log (
    id          bigserial   PRIMARY KEY,
    actor_id    text        NOT NULL,
    actor_role  text        NOT NULL,
    action      text        NOT NULL CHECK (action IN ('read', 'list', 'decide')),
    record      text        NOT NULL,
    record_id   uuid        NOT NULL,
    subject_id  uuid,
    fields      text        NOT NULL,
    purpose     text        NOT NULL,
    request_id  text        NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_log_subject ON access_log (subject_id, id);
CREATE INDEX access_log_record ON access_log (record_id, id);

CREATE TRIGGER screening_states_append_only BEFORE UPDATE OR DELETE ON screening_states
    FOR EACH ROW EXECUTE FUNCTION compliance_refuse_change();
CREATE TRIGGER case_decisions_append_only BEFORE UPDATE OR DELETE ON case_decisions
    FOR EACH ROW EXECUTE FUNCTION compliance_refuse_change();
CREATE TRIGGER threshold_flags_append_only BEFORE UPDATE OR DELETE ON threshold_flags
    FOR EACH ROW EXECUTE FUNCTION compliance_refuse_change();
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION compliance_refuse_change();
