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

-- Full text (PostgreSQL): the article's language picks the stemmer; src/kb/search.rs uses
-- exactly this expression so the index serves it.
CREATE INDEX kb_articles_fts ON kb_articles USING GIN (
    to_tsvector(CASE locale WHEN 'it' THEN 'italian'::regconfig ELSE 'english'::regconfig END, title || ' ' || body)
);

-- Article views that came from the new-ticket page's suggestions (deflection).
CREATE TABLE kb_deflections (
    article_id TEXT PRIMARY KEY REFERENCES kb_articles(id) ON DELETE CASCADE,
    views INTEGER NOT NULL
);
