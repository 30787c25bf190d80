-- Essential messages reach every family that can be reached: a delivery opened because the contact's delivery on the
-- other channel of the same announcement could not start or failed (delivery-model.md, "Fallback") names the delivery
-- it replaces. NULL for every ordinary delivery.
ALTER TABLE deliveries ADD COLUMN fallback_for BIGINT NULL;
-- The report shows, on a failed delivery's line, the fallback that replaced it.
CREATE INDEX ix_deliveries_fallback_for ON deliveries (fallback_for) WHERE fallback_for IS NOT NULL;
