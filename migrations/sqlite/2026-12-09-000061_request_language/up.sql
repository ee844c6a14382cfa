-- The language a request was filed in: every email about it is written in it.
-- NULL (requests filed before languages were offered) means the default language.
ALTER TABLE requests ADD COLUMN language TEXT;
