-- Attachment bytes in the database, so every instance on it serves every upload (as RT keeps
-- its attachments). One row per content (SHA-256); rows no attachment refers to are swept.
CREATE TABLE file_blobs (
    sha256 TEXT PRIMARY KEY NOT NULL,
    bytes BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- Large files: kept out of line, not compressed again (PDF and JPEG are compressed already).
ALTER TABLE file_blobs ALTER COLUMN bytes SET STORAGE EXTERNAL;
