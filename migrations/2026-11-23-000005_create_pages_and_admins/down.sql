DROP TABLE admin_users;
DROP TABLE pages;
