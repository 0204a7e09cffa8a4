-- Admin sessions can be revoked: every tm_admin cookie names its admin's session nonce, and
-- logging out, a password reset or deleting the admin replaces (or removes) it. '' means no
-- session is valid until the next sign-in.
ALTER TABLE admin_users ADD COLUMN session_nonce VARCHAR(64) NOT NULL DEFAULT '';
