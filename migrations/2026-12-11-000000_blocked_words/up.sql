-- A room's word filter: the owner's blocked words and phrases, a JSON array of strings like
-- `hashtags`. Posts that match are held for approval (state `pending`).
ALTER TABLE rooms ADD COLUMN blocked_words TEXT NOT NULL DEFAULT '[]';
