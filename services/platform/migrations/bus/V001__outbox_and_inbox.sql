-- The transactional outbox and the consumer inbox, created in every service schema.
-- ARCHITECTURE.md "How the services talk"; docs/bus.md explains the columns.

CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    stream          text        NOT NULL CHECK (stream <> ''),
    type            text        NOT NULL CHECK (type <> ''),
    correlation_id  text        NOT NULL DEFAULT '',
    reply_to        text        NOT NULL DEFAULT '',
    payload         text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- set by the relay once XADD succeeded; cleared again if Redis lost the entry
    published_at    timestamptz,
    entry_ms        bigint,
    entry_seq       bigint,
    -- set once every consumer group of the stream has acknowledged the entry
    delivered_at    timestamptz,
    publish_count   integer     NOT NULL DEFAULT 0
);

CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_undelivered ON outbox (stream, entry_ms, entry_seq)
    WHERE published_at IS NOT NULL AND delivered_at IS NULL;
CREATE INDEX outbox_delivered_at ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- One row per message a consumer group has applied, written in the same transaction as the
-- effect: a redelivered message finds its row and has no second effect. `reply` keeps the answer
-- to a request so a redelivered request is answered again without being applied again.
CREATE TABLE inbox (
    consumer      text        NOT NULL,
    message_id    text        NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    reply         text,
    PRIMARY KEY (consumer, message_id)
);

CREATE INDEX inbox_processed_at ON inbox (processed_at);
