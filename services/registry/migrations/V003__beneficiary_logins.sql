-- Family members log in too (phone + PIN): one login per phone, shared by every worker who sends
-- to that person. The first PIN is made by the service and sent by SMS; it must be changed.
CREATE TABLE beneficiary_logins (
    id              uuid        PRIMARY KEY,
    phone           text        NOT NULL UNIQUE,
    pin_hash        text        NOT NULL,
    must_change_pin boolean     NOT NULL DEFAULT true,
    failed_logins   integer     NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    token_version   bigint      NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE beneficiaries ADD COLUMN login_id uuid REFERENCES beneficiary_logins (id);
