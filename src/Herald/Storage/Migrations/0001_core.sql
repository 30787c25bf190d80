-- Herald's core schema. The same SQL runs on SQLite and PostgreSQL: ids come from $identity$,
-- times are Unix milliseconds (BIGINT), flags are 0/1 (INTEGER), enums are snake_case text.

CREATE TABLE schools (
    id $identity$,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    from_address TEXT NULL,
    from_name TEXT NULL,
    reply_to TEXT NULL,
    default_region TEXT NOT NULL DEFAULT 'GB',
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id $identity$,
    school_id BIGINT NULL REFERENCES schools(id),
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    is_operator INTEGER NOT NULL CHECK (is_operator IN (0, 1)),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT NULL
);

CREATE TABLE contacts (
    id $identity$,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    external_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('student', 'guardian', 'staff')),
    name TEXT NOT NULL,
    email TEXT NULL,
    mobile TEXT NULL,
    digest INTEGER NOT NULL DEFAULT 0 CHECK (digest IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (school_id, external_id)
);

CREATE TABLE contact_groups (
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    school_id BIGINT NOT NULL,
    group_name TEXT NOT NULL,
    PRIMARY KEY (contact_id, group_name)
);
CREATE INDEX ix_contact_groups_school_group ON contact_groups (school_id, group_name);

-- channel NULL: the opt-out covers every channel.
CREATE TABLE contact_opt_outs (
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    channel TEXT NULL CHECK (channel IN ('email', 'sms')),
    UNIQUE (contact_id, category, channel)
);

CREATE TABLE announcements (
    id $identity$,
    school_id BIGINT NOT NULL REFERENCES schools(id),
    subject TEXT NOT NULL,
    text_body TEXT NULL,
    html_body TEXT NULL,
    sms_text TEXT NULL,
    channels TEXT NOT NULL,
    category TEXT NOT NULL,
    essential INTEGER NOT NULL CHECK (essential IN (0, 1)),
    audience TEXT NOT NULL,
    sender TEXT NOT NULL CHECK (sender IN ('school', 'default')),
    state TEXT NOT NULL CHECK (state IN ('draft', 'sent')),
    created_at BIGINT NOT NULL,
    sent_at BIGINT NULL
);
CREATE INDEX ix_announcements_school ON announcements (school_id, id);

-- One row per recipient, channel and announcement; a resend makes a new attempt of the same row.
CREATE TABLE deliveries (
    id $identity$,
    school_id BIGINT NOT NULL,
    announcement_id BIGINT NOT NULL REFERENCES announcements(id),
    contact_id BIGINT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    address TEXT NULL,
    status TEXT NOT NULL,
    status_at BIGINT NOT NULL,
    reason TEXT NULL,
    attempt INTEGER NOT NULL DEFAULT 1,
    tries INTEGER NOT NULL DEFAULT 0,
    first_try_at BIGINT NULL,
    next_try_at BIGINT NULL,
    claimed_until BIGINT NULL,
    message_id TEXT NULL,
    UNIQUE (announcement_id, contact_id, channel)
);
-- The report's recipient pages, filtered by status.
CREATE INDEX ix_deliveries_report ON deliveries (announcement_id, status, id);
-- The report's unfiltered pages, in delivery order without a sort.
CREATE INDEX ix_deliveries_announcement ON deliveries (announcement_id, id);
-- The dispatcher's claim.
CREATE INDEX ix_deliveries_due ON deliveries (status, next_try_at);
-- The stuck-queue alert, per announcement and overall: only queued rows are indexed.
CREATE INDEX ix_deliveries_queued ON deliveries (announcement_id, status_at) WHERE status = 'queued';
CREATE INDEX ix_deliveries_queued_at ON deliveries (status_at) WHERE status = 'queued';
CREATE INDEX ix_deliveries_contact ON deliveries (contact_id);
CREATE INDEX ix_deliveries_message_id ON deliveries (message_id);

-- The full log: every attempt and event. status NULL: an event that carries no status (an auto-reply, a reset).
CREATE TABLE events (
    id $identity$,
    school_id BIGINT NOT NULL,
    contact_id BIGINT NULL,
    delivery_id BIGINT NULL,
    announcement_id BIGINT NULL,
    channel TEXT NULL,
    attempt INTEGER NULL,
    status TEXT NULL,
    changed INTEGER NOT NULL CHECK (changed IN (0, 1)),
    source TEXT NOT NULL,
    detail TEXT NULL,
    provider_event_id TEXT NULL,
    occurred_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX ix_events_contact ON events (contact_id, occurred_at, id);
CREATE UNIQUE INDEX ux_events_provider_id ON events (delivery_id, provider_event_id);

-- The report's counts, kept in the same transaction as every status change so they cost nothing to read.
CREATE TABLE announcement_counts (
    announcement_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (announcement_id, channel, status)
);

-- Addresses and numbers that later sends must drop, per school.
CREATE TABLE address_states (
    school_id BIGINT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    address TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('failed', 'suppressed')),
    reason TEXT NULL,
    delivery_id BIGINT NULL,
    since BIGINT NOT NULL,
    PRIMARY KEY (school_id, channel, address)
);

-- Who set or lifted an address state, and why.
CREATE TABLE address_history (
    id $identity$,
    school_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    change TEXT NOT NULL CHECK (change IN ('failed', 'suppressed', 'reset')),
    by_whom TEXT NULL,
    why TEXT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX ix_address_history ON address_history (address, at);
