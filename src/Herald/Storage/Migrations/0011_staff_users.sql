-- Staff of a school and the operator's support team, who sign in to Herald's pages (herald users ...).
CREATE TABLE staff_users (
    id $identity$,
    -- Lower-case: one person, one account, however the address is typed.
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('staff', 'support')),
    -- Staff belong to one school; support sees every school.
    school_id BIGINT NULL REFERENCES schools(id),
    -- ASP.NET Core Identity's PasswordHasher format (PBKDF2 with a per-password salt).
    password_hash TEXT NOT NULL,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT NULL,
    disabled_at BIGINT NULL,
    last_sign_in_at BIGINT NULL,
    -- Changes on a password reset or a disable: sessions signed in before it end.
    security_stamp TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK ((role = 'staff' AND school_id IS NOT NULL) OR (role = 'support' AND school_id IS NULL))
);
