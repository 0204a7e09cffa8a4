-- Back to the palette before contrast was checked.
UPDATE messages SET color = CASE color
    WHEN '#bf3043' THEN '#d1495b'
    WHEN '#007283' THEN '#00798c'
    WHEN '#8e5d0e' THEN '#edae49'
    WHEN '#1f7369' THEN '#2a9d8f'
    WHEN '#bb3a1a' THEN '#e76f51'
    WHEN '#4f7043' THEN '#8ab17d'
    WHEN '#005bed' THEN '#3a86ff'
    WHEN '#7d6158' THEN '#8d6e63'
    WHEN '#cc123e' THEN '#ef476f'
    ELSE color END
WHERE color IN ('#bf3043', '#007283', '#8e5d0e', '#1f7369', '#bb3a1a', '#4f7043', '#005bed', '#7d6158', '#cc123e');
