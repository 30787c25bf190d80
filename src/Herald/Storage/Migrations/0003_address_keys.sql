-- Failed and suppressed email addresses are keyed in lower case (AddressKey): fold existing rows, keeping the
-- stronger state when two spellings of one address were marked.
DELETE FROM address_states
WHERE channel = 'email' AND address <> LOWER(address)
  AND EXISTS (SELECT 1 FROM address_states o WHERE o.school_id = address_states.school_id AND o.channel = 'email'
              AND o.address = LOWER(address_states.address)
              AND (o.state = 'suppressed' OR address_states.state = 'failed'));
UPDATE address_states SET address = LOWER(address)
WHERE channel = 'email' AND address <> LOWER(address)
  AND NOT EXISTS (SELECT 1 FROM address_states o WHERE o.school_id = address_states.school_id AND o.channel = 'email'
                  AND o.address = LOWER(address_states.address));
DELETE FROM address_states WHERE channel = 'email' AND address <> LOWER(address);
