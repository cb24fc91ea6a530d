-- The registry (docs/registry.md): people, permits, agencies, complaints, consents, access log.
-- Identity numbers are stored only encrypted (AES-256-GCM envelope, the row id as associated
-- data) with a keyed hash for look-ups; PINs and passwords only as Argon2id/PBKDF2 hashes.

CREATE TABLE staff (
    id            uuid        PRIMARY KEY,
    username      text        NOT NULL UNIQUE,
    password_hash text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('agent', 'ministry_officer', 'compliance_officer', 'finance', 'admin')),
    display_name  text        NOT NULL,
    country       text        CHECK (country IN ('ZA', 'LS')),
    failed_logins integer     NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    token_version bigint      NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text        NOT NULL
);

CREATE TABLE agencies (
    id              uuid        PRIMARY KEY,
    name            text        NOT NULL,
    registration_no text        NOT NULL UNIQUE,
    licence_no      text        UNIQUE,
    address         text        NOT NULL,
    contact_phone   text        NOT NULL,
    directors       jsonb       NOT NULL,
    bond            jsonb,
    status          text        NOT NULL,
    valid_until     date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agencies_status ON agencies (status);

-- Every officer decision, append-only (a trigger refuses UPDATE and DELETE).
CREATE TABLE agency_decisions (
    id          bigserial   PRIMARY KEY,
    agency_id   uuid        NOT NULL REFERENCES agencies (id),
    action      text        NOT NULL,
    from_status text        NOT NULL,
    to_status   text        NOT NULL,
    reason      text        NOT NULL,
    officer_id  text        NOT NULL,
    decided_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agency_decisions_agency ON agency_decisions (agency_id, id);

CREATE TABLE workers (
    id                  uuid        PRIMARY KEY,
    given_name          text        NOT NULL,
    family_name         text        NOT NULL,
    date_of_birth       date        NOT NULL,
    phone               text        NOT NULL UNIQUE,
    pin_hash            text        NOT NULL,
    failed_logins       integer     NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    token_version       bigint      NOT NULL DEFAULT 0,
    lesotho_id_enc      text,
    lesotho_id_hash     text        UNIQUE,
    lesotho_id_masked   text,
    passport_enc        text        NOT NULL,
    passport_hash       text        NOT NULL UNIQUE,
    passport_masked     text        NOT NULL,
    employer_name       text,
    agency_id           uuid        REFERENCES agencies (id),
    proof_of_income     boolean     NOT NULL DEFAULT false,
    status              text        NOT NULL DEFAULT 'active',
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE directives (
    id           uuid        PRIMARY KEY,
    permit_type  text        NOT NULL,
    valid_until  date        NOT NULL,
    reference    text        NOT NULL UNIQUE,
    published_on date        NOT NULL,
    recorded_by  text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE permits (
    id              uuid        PRIMARY KEY,
    worker_id       uuid        NOT NULL REFERENCES workers (id),
    type            text        NOT NULL,
    number          text        NOT NULL,
    issued_on       date        NOT NULL,
    printed_expiry  date        NOT NULL,
    status          text        NOT NULL,
    legal_expiry    date        NOT NULL,
    directive_ref   text,
    verified_at     timestamptz,
    verified_by     text,
    verification    jsonb,
    expiry_notified date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (type, number)
);
CREATE INDEX permits_worker ON permits (worker_id);

-- Every status a permit took, with why (directive, officer, registry check), append-only.
CREATE TABLE permit_history (
    id          bigserial   PRIMARY KEY,
    permit_id   uuid        NOT NULL REFERENCES permits (id),
    from_status text,
    to_status   text        NOT NULL,
    reason      text        NOT NULL,
    actor       text        NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE beneficiaries (
    id             uuid        PRIMARY KEY,
    worker_id      uuid        NOT NULL REFERENCES workers (id),
    full_name      text        NOT NULL,
    phone          text        NOT NULL,
    relationship   text        NOT NULL,
    payout_method  text        NOT NULL CHECK (payout_method IN ('mpesa', 'ecocash', 'cash_pickup')),
    national_id_enc    text,
    national_id_masked text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (worker_id, phone)
);

CREATE TABLE complaints (
    id          uuid        PRIMARY KEY,
    tracking_no text        NOT NULL UNIQUE,
    agency_id   uuid        NOT NULL REFERENCES agencies (id),
    worker_id   uuid        NOT NULL REFERENCES workers (id),
    category    text        NOT NULL,
    description text        NOT NULL,
    status      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX complaints_agency ON complaints (agency_id, status);

CREATE TABLE complaint_decisions (
    id           bigserial   PRIMARY KEY,
    complaint_id uuid        NOT NULL REFERENCES complaints (id),
    action       text        NOT NULL,
    from_status  text        NOT NULL,
    to_status    text        NOT NULL,
    note         text        NOT NULL,
    officer_id   text        NOT NULL,
    decided_at   timestamptz NOT NULL DEFAULT now()
);

-- Consent per purpose (DOMAIN.md 8); a withdrawal is a new row, history is kept.
CREATE TABLE consents (
    id          bigserial   PRIMARY KEY,
    subject_id  uuid        NOT NULL,
    purpose     text        NOT NULL,
    granted     boolean     NOT NULL,
    legal_basis text        NOT NULL,
    channel     text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consents_subject ON consents (subject_id, purpose, id);

-- Who read or changed a person's data, when, what and why. Append-only.
CREATE TABLE access_log (
    id          bigserial   PRIMARY KEY,
    subject_id  uuid        NOT NULL,
    actor_id    text        NOT NULL,
    actor_role  text        NOT NULL,
    action      text        NOT NULL CHECK (action IN ('read', 'create', 'update')),
    record      text        NOT NULL,
    fields      text        NOT NULL,
    purpose     text        NOT NULL,
    request_id  text        NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_log_subject ON access_log (subject_id, id);

CREATE FUNCTION registry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER agency_decisions_append_only BEFORE UPDATE OR DELETE ON agency_decisions
    FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
CREATE TRIGGER permit_history_append_only BEFORE UPDATE OR DELETE ON permit_history
    FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
CREATE TRIGGER complaint_decisions_append_only BEFORE UPDATE OR DELETE ON complaint_decisions
    FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();

-- Licence numbers (LS-RA-<year>-<n>) and complaint tracking numbers (CMP-<year>-<n>).
CREATE SEQUENCE licence_numbers;
CREATE SEQUENCE complaint_numbers;
