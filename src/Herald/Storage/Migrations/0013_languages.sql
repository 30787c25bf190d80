-- The pages' language (docs/pages.md, "Language, dates") and the one-time set-password links (docs/operations.md).

-- A school's default language for its staff's pages ('en', 'es'; NULL: the browser's). A person's own choice (the
-- herald.language cookie) comes first.
ALTER TABLE schools ADD COLUMN language TEXT NULL;

-- One-time links with which a new user chooses their password (herald users add without --password-stdin). Only the
-- token's SHA-256 is kept: the link is shown once, and a copy of the database does not open any account.
CREATE TABLE staff_invites (
    id $identity$,
    user_id BIGINT NOT NULL REFERENCES staff_users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set when the password is chosen: a used link opens nothing again.
    used_at BIGINT NULL
);
CREATE INDEX ix_staff_invites_user ON staff_invites (user_id);
