-- Signed permit-status letters (DOMAIN.md 6: "a verifiable status letter"): what was signed is
-- kept verbatim, so a check years later compares the very same bytes.
CREATE TABLE status_letters (
    id          uuid        PRIMARY KEY,
    worker_id   uuid        NOT NULL REFERENCES workers (id),
    signed_text text        NOT NULL,
    signature   text        NOT NULL,
    public_key  text        NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_letters_worker ON status_letters (worker_id);
CREATE TRIGGER status_letters_append_only BEFORE UPDATE OR DELETE ON status_letters
    FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
