-- Live reactions: the emoji participants may react with, a JSON array of 1 to 8 strings (the
-- owner's set, in order). Rooms that existed before get the default set. The counts themselves
-- are never stored: the gateways aggregate them.
ALTER TABLE rooms
    ADD COLUMN reactions TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '["👍","❤️","😂","😮","👏"]';
