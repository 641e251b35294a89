DROP TABLE file_blobs;
