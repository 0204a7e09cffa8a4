DROP TABLE moderation_log;
DROP TABLE mutes;
