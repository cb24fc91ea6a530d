-- Idempotency-Key records (STYLE.md §4): one row per client and key, kept for the TTL.
CREATE TABLE idempotency_keys (
    client_id       text        NOT NULL,
    idempotency_key text        NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_hash    text        NOT NULL,
    completed       boolean     NOT NULL DEFAULT false,
    locked_until    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    status_code     integer,
    content_type    text,
    location        text,
    response_body   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, idempotency_key)
);

CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
