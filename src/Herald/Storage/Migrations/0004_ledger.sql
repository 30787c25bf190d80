-- The delivery ledger (src/Herald/Deliveries): claims are fenced by a token, feedback soft bounces settle by a
-- deadline, every attempt's Message-ID is kept with its transport event, and events say which caller wrote them.

-- The token of the claim that holds a delivery: a result is recorded only while its claim still holds it.
ALTER TABLE deliveries ADD COLUMN claim_token TEXT NULL;
-- 1 when the next look at a soft_bounce is a settle deadline (the relay or provider is retrying, not Herald):
-- at next_try_at it settles on sent unless a failure came first. 0: next_try_at is Herald's own retry.
ALTER TABLE deliveries ADD COLUMN settles INTEGER NOT NULL DEFAULT 0 CHECK (settles IN (0, 1));
-- Fan-out of a send in chunks: 0 while the deliveries of a sent announcement are still being created.
ALTER TABLE announcements ADD COLUMN fanout_done INTEGER NOT NULL DEFAULT 1 CHECK (fanout_done IN (0, 1));

-- The full Message-ID of the attempt a transport event is about; a bounce that quotes it (and names the delivery's
-- own address) finds its delivery without a VERP token.
ALTER TABLE events ADD COLUMN message_id TEXT NULL;
CREATE INDEX ix_events_message_id ON events (message_id) WHERE message_id IS NOT NULL;
-- Who wrote an event through the API: the key's name (school keys) or the operator key's name.
ALTER TABLE events ADD COLUMN actor TEXT NULL;

-- Soft bounces that feedback left without a next try (a delayed DSN, an API soft_bounce) settle five days after
-- they were recorded, as new ones do (Herald:Email:DelayedSettleAfter).
UPDATE deliveries SET settles = 1, next_try_at = status_at + 432000000, claimed_until = NULL
WHERE status = 'soft_bounce' AND next_try_at IS NULL;
