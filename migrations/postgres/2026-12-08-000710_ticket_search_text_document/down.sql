CREATE OR REPLACE FUNCTION ticket_search_document(tid TEXT) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('simple', t.number), 'A')
        || setweight(to_tsvector('italian', t.subject), 'A')
        || setweight(to_tsvector('english', t.subject), 'A')
        || setweight(to_tsvector('simple', u.email || ' ' || translate(u.email, '@.', '  ') || ' '
                                 || coalesce(t.fields::jsonb ->> 'matricola', '')), 'B')
        || setweight(to_tsvector('italian', coalesce(m.public, '')), 'C')
        || setweight(to_tsvector('english', coalesce(m.public, '')), 'C')
        || setweight(to_tsvector('italian', coalesce(m.internal, '')), 'D')
        || setweight(to_tsvector('english', coalesce(m.internal, '')), 'D')
    FROM tickets t
    JOIN users u ON u.id = t.requester_id
    CROSS JOIN LATERAL (
        SELECT string_agg(body, ' ' ORDER BY id) FILTER (WHERE kind = 'public') AS public,
               string_agg(body, ' ' ORDER BY id) FILTER (WHERE kind = 'internal') AS internal
        FROM messages WHERE messages.ticket_id = t.id
    ) m
    WHERE t.id = tid
$$;
DROP FUNCTION ticket_search_text_document(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT);
