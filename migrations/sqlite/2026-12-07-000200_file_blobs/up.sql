-- Attachment bytes in the database (used on PostgreSQL so every instance serves every upload;
-- SQLite's desk keeps its files in the data folder, the table stays empty).
CREATE TABLE file_blobs (
    sha256 TEXT PRIMARY KEY NOT NULL,
    bytes BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);
