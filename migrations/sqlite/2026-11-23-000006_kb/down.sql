DROP TABLE kb_deflections;
DROP TABLE kb_fts;
DROP TABLE kb_articles;
