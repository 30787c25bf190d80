-- API key lifecycle (herald keys create|list|revoke|rotate) and the key recorded on every write.

-- When the key stops working (NULL: never); a rotated key's grace ends here too.
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT NULL;
-- When the key last authenticated, to within a minute (written at most once a minute per key, not per request).
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT NULL;
-- 1: the key may only read (GET), for dashboards and monitoring.
ALTER TABLE api_keys ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1));
-- The key that replaced this one (herald keys rotate); this one works until its expires_at (the grace).
ALTER TABLE api_keys ADD COLUMN replaced_by BIGINT NULL;

-- Which key (api_keys.id) made a write; NULL for the CLI and for Herald's own work (the dispatcher, bounces, receipts).
-- No foreign key: keys are never deleted (a revoked key stays for the record), and the ledger's bulk inserts need no
-- extra lookup per row.
-- events: every event a key posted, the decisions of a send or resend it made, every reset entry in a contact's log.
ALTER TABLE events ADD COLUMN key_id BIGINT NULL;
-- contacts: the key that created the contact, and the one that last changed it (by hand or by an import).
ALTER TABLE contacts ADD COLUMN created_key_id BIGINT NULL;
ALTER TABLE contacts ADD COLUMN updated_key_id BIGINT NULL;
-- announcements: the key that created it, and the one that sent it.
ALTER TABLE announcements ADD COLUMN created_key_id BIGINT NULL;
ALTER TABLE announcements ADD COLUMN sent_key_id BIGINT NULL;
-- resend requests (kept for their idempotency key): who asked.
ALTER TABLE resend_requests ADD COLUMN key_id BIGINT NULL;
-- address history: the key that reset an address, or whose posted event (a hard bounce, a complaint) marked it.
ALTER TABLE address_history ADD COLUMN key_id BIGINT NULL;
