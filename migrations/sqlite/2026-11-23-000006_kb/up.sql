-- The knowledge base: the guides' sections as articles (see src/kb/).
CREATE TABLE kb_articles (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    locale TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    section TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX kb_articles_source ON kb_articles (source, position);

-- Full text (SQLite): a plain FTS5 table kept in step by the import, holding the Snowball
-- stems of title and body (src/kb/text.rs), so inflected forms meet; bm25 ranks.
CREATE VIRTUAL TABLE kb_fts USING fts5(
    article_id UNINDEXED,
    title,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Article views that came from the new-ticket page's suggestions (deflection).
CREATE TABLE kb_deflections (
    article_id TEXT PRIMARY KEY REFERENCES kb_articles(id) ON DELETE CASCADE,
    views INTEGER NOT NULL
);
