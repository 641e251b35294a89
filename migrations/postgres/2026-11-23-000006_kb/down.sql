DROP TABLE kb_deflections;
DROP TABLE kb_articles;
