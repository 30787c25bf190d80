-- Opens and clicks (src/Herald/Tracking, docs/preferences.md (opens and clicks)).

-- Switches: a school, or one announcement, can say no to tracking (no pixel, links left as written).
ALTER TABLE schools ADD COLUMN tracking INTEGER NOT NULL DEFAULT 1 CHECK (tracking IN (0, 1));
ALTER TABLE announcements ADD COLUMN track INTEGER NOT NULL DEFAULT 1 CHECK (track IN (0, 1));

-- Per attempt of an email delivery, what its pixel and links saw. A person's opens and clicks are counted apart from
-- those the machine-open heuristics flag (image proxies that prefetch, security scanners). Written only by the
-- ledger, one upsert per request; the full log gets the first open, the first machine open and each link's first
-- click, so repeats do not flood it. Times are Unix ms.
CREATE TABLE delivery_tracking (
    delivery_id BIGINT NOT NULL,
    attempt INTEGER NOT NULL,
    announcement_id BIGINT NOT NULL,
    opens BIGINT NOT NULL DEFAULT 0,
    machine_opens BIGINT NOT NULL DEFAULT 0,
    clicks BIGINT NOT NULL DEFAULT 0,
    machine_clicks BIGINT NOT NULL DEFAULT 0,
    -- A person's first and last open (a click implies one, so it sets them too).
    first_open_at BIGINT NULL,
    last_open_at BIGINT NULL,
    last_machine_at BIGINT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
-- The report's "opened (likely automated)" count: attempts that only machines opened or clicked.
CREATE INDEX ix_delivery_tracking_announcement ON delivery_tracking (announcement_id);
