-- A resend's Idempotency-Key is scoped to the API key that sent it and to the announcement: before, the same value
-- from another key, or on another announcement, replayed the first request's answer. The body's hash is kept so that
-- the same key with a different body is refused instead of replayed.
-- The stored keys only serve retries of a request in flight (minutes); they are not carried over, since the API key
-- that sent them was not recorded: a retry that spans this upgrade is taken as a new request.
DROP TABLE resend_requests;

CREATE TABLE resend_requests (
    school_id BIGINT NOT NULL,
    key_id BIGINT NOT NULL,
    announcement_id BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    result TEXT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (school_id, key_id, announcement_id, idempotency_key)
);
