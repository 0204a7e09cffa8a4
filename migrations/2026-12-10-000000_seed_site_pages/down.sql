-- Removes the seeded pages only where an admin has not edited them (same text as seeded).
DELETE FROM pages WHERE slug = 'help' AND title = 'Help'
    AND SHA2(body_markdown, 256) = 'dc11cf86857ca8b05821c47e9e8a68ff5eee28d685e7dfca00360236d0514eaf';
DELETE FROM pages WHERE slug = 'about' AND title = 'About tm'
    AND SHA2(body_markdown, 256) = '374fd0edff59b3566f37ee8b9796b123ce9488bf75c5e7217fd74f5e076645cb';
DELETE FROM pages WHERE slug = 'privacy' AND title = 'Privacy'
    AND SHA2(body_markdown, 256) = '724fb5d77d8d2b982ea73765a6dc7e87656cf4a47f3d8428286c4b236076ba22';
