-- Resends: who last resent a delivery and when, and the idempotency keys of resend requests.
ALTER TABLE deliveries ADD COLUMN resent_at BIGINT NULL;
ALTER TABLE deliveries ADD COLUMN resent_by TEXT NULL;

CREATE TABLE resend_requests (
    school_id BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    announcement_id BIGINT NOT NULL,
    result TEXT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (school_id, idempotency_key)
);
