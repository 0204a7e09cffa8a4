ALTER TABLE rooms DROP COLUMN blocked_words;
