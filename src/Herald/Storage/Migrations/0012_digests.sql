-- Digests (docs/preferences.md, "Digests"): a contact on digest gets one email at a scheduled local time carrying every
-- non-essential announcement held for them since the last one.

-- The school's clock (an IANA time zone name) and the schedule of its default digest, for contacts whose digest is
-- 'yes'. Schedules are written as DigestSchedule prints them: daily@17:00, weekly:fri@17:00.
ALTER TABLE schools ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/London';
ALTER TABLE schools ADD COLUMN digest_schedule TEXT NOT NULL DEFAULT 'daily@17:00';

-- A contact's own schedule when digest = 1; NULL with digest = 1: the school's default.
ALTER TABLE contacts ADD COLUMN digest_schedule TEXT NULL;

-- One row per digest email: made when its deliveries fall due (the ledger's pack), then sent as the lead delivery's
-- message. The lead holds the claim and the retry schedule for the whole digest; the others follow it.
CREATE TABLE digests (
    id $identity$,
    school_id BIGINT NOT NULL,
    contact_id BIGINT NOT NULL,
    address TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    packed_at BIGINT NOT NULL,
    lead_delivery_id BIGINT NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX ix_digests_contact ON digests (contact_id, id);

-- The digest that carries (or carried) a delivery; NULL for every delivery sent on its own.
ALTER TABLE deliveries ADD COLUMN digest_id BIGINT NULL;
CREATE INDEX ix_deliveries_digest ON deliveries (digest_id) WHERE digest_id IS NOT NULL;

-- A pending_digest delivery's next_try_at is when its digest is due (the dispatcher's pack reads it through
-- ix_deliveries_due). Deliveries held before digests were sent had none: they are due at once, so what was held
-- goes out at the first dispatch after the upgrade instead of never.
UPDATE deliveries SET next_try_at = status_at WHERE status = 'pending_digest' AND next_try_at IS NULL;
