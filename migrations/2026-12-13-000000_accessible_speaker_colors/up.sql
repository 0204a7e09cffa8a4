-- Speaker colours that reach 4.5:1 contrast on the light page (engine/speaker_colors.rs): each
-- stored colour of the old palette becomes the entry of the same index, so a participant keeps
-- the same colour family. Colours already accessible (#30638e, #6a4c93, #b5179e) stay.
UPDATE messages SET color = CASE color
    WHEN '#d1495b' THEN '#bf3043'
    WHEN '#00798c' THEN '#007283'
    WHEN '#edae49' THEN '#8e5d0e'
    WHEN '#2a9d8f' THEN '#1f7369'
    WHEN '#e76f51' THEN '#bb3a1a'
    WHEN '#8ab17d' THEN '#4f7043'
    WHEN '#3a86ff' THEN '#005bed'
    WHEN '#8d6e63' THEN '#7d6158'
    WHEN '#ef476f' THEN '#cc123e'
    ELSE color END
WHERE color IN ('#d1495b', '#00798c', '#edae49', '#2a9d8f', '#e76f51', '#8ab17d', '#3a86ff', '#8d6e63', '#ef476f');
