-- Privacy notices per category (issue 17, item 4), versioned as the forms are: an edit retires
-- the current text and adds the next version; a ticket keeps the version its requester
-- acknowledged (none for tickets opened by mail, or in a category without a notice).
CREATE TABLE category_notices (
    id TEXT PRIMARY KEY NOT NULL,
    category_id TEXT NOT NULL REFERENCES categories (id),
    version INTEGER NOT NULL,
    text_it TEXT NOT NULL,
    text_en TEXT NOT NULL,
    retired BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (category_id, version)
);
CREATE TABLE ticket_notice_acks (
    ticket_id TEXT PRIMARY KEY NOT NULL REFERENCES tickets (id),
    notice_id TEXT NOT NULL REFERENCES category_notices (id),
    version INTEGER NOT NULL,
    acknowledged_at TIMESTAMP NOT NULL
);
