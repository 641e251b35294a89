-- A ticket's search document from its texts: the weights of ticket_search_document, written
-- once. A single expression without FROM, so PostgreSQL inlines it into the statement that
-- calls it: a new ticket's document is an insert prepared once per connection, with the texts
-- the creation already has, where calling ticket_search_document parsed and planned its query
-- on every creation (a third of PostgreSQL's time on ticket creation; BENCHMARKS.md).
CREATE FUNCTION ticket_search_text_document(number TEXT, subject TEXT, email TEXT, matricola TEXT,
                                            public_text TEXT, internal_text TEXT)
RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
    SELECT setweight(to_tsvector('simple'::regconfig, number), 'A')
        || setweight(to_tsvector('italian'::regconfig, subject), 'A')
        || setweight(to_tsvector('english'::regconfig, subject), 'A')
        || setweight(to_tsvector('simple'::regconfig, email || ' ' || translate(email, '@.', '  ') || ' '
                                 || coalesce(matricola, '')), 'B')
        || setweight(to_tsvector('italian'::regconfig, coalesce(public_text, '')), 'C')
        || setweight(to_tsvector('english'::regconfig, coalesce(public_text, '')), 'C')
        || setweight(to_tsvector('italian'::regconfig, coalesce(internal_text, '')), 'D')
        || setweight(to_tsvector('english'::regconfig, coalesce(internal_text, '')), 'D')
$$;

CREATE OR REPLACE FUNCTION ticket_search_document(tid TEXT) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT ticket_search_text_document(t.number, t.subject, u.email, t.fields::jsonb ->> 'matricola', m.public, m.internal)
    FROM tickets t
    JOIN users u ON u.id = t.requester_id
    CROSS JOIN LATERAL (
        SELECT string_agg(body, ' ' ORDER BY id) FILTER (WHERE kind = 'public') AS public,
               string_agg(body, ' ' ORDER BY id) FILTER (WHERE kind = 'internal') AS internal
        FROM messages WHERE messages.ticket_id = t.id
    ) m
    WHERE t.id = tid
$$;
