-- The notifier's schema (docs/notifier.md "Storage"): one row per notify.sms request.
CREATE TABLE messages (
    id                 uuid        PRIMARY KEY,  -- derived from dedupe_key; the gateway reference
    dedupe_key         text        NOT NULL UNIQUE,
    to_phone           text        NOT NULL,     -- E.164
    subject_id         text        NOT NULL DEFAULT '',
    template           text        NOT NULL,
    language           text        NOT NULL CHECK (language IN ('en', 'st')),
    -- A secret template (a PIN): its text is never stored, and it is sent by the consumer at
    -- once instead of queued.
    secret             boolean     NOT NULL,
    body               text,
    status             text        NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts           integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at    timestamptz NOT NULL,
    gateway_message_id text,
    segments           integer     NOT NULL CHECK (segments >= 1),
    error              text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    sent_at            timestamptz,
    CHECK (NOT secret OR body IS NULL),
    CHECK (secret OR body IS NOT NULL),
    CHECK (NOT secret OR status <> 'queued'),
    CHECK (status <> 'sent' OR gateway_message_id IS NOT NULL)
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'queued';
CREATE INDEX messages_subject ON messages (subject_id, created_at);
