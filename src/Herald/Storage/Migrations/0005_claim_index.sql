-- The claim takes due deliveries in next_try_at order: an index on exactly those rows, in that order, lets it read the
-- first batch instead of sorting every queued delivery each time (PostgreSQL did, with ix_deliveries_due).
CREATE INDEX ix_deliveries_claimable ON deliveries (next_try_at, id) WHERE status IN ('queued', 'soft_bounce');
DROP INDEX ix_deliveries_due;
