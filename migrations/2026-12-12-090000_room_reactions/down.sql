ALTER TABLE rooms DROP COLUMN reactions;
