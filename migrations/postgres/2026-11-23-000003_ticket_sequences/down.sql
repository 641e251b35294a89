DROP FUNCTION next_ticket_seq(integer);
DO $$
DECLARE s record;
BEGIN
    FOR s IN SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE 'ticket\_seq\_%' LOOP
        EXECUTE format('DROP SEQUENCE %I', s.relname);
    END LOOP;
END
$$;
