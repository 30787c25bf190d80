-- The pages' language (docs/pages.md, "Language, dates").

-- A school's default language for its staff's pages ('en', 'es'; NULL: the browser's). A person's own choice (the
-- herald.language cookie) comes first.
ALTER TABLE schools ADD COLUMN language TEXT NULL;
