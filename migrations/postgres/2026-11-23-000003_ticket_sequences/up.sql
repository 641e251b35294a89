-- Ticket numbers on PostgreSQL: one sequence per year, made on first use. A row counter
-- (what SQLite uses, where one writer runs at a time anyway) would serialise every creation
-- on its row lock until commit. nextval never hands a number out twice, across any number of
-- instances; a rolled-back creation leaves a gap rather than a reused number.
CREATE FUNCTION next_ticket_seq(y integer) RETURNS bigint AS $$
DECLARE
    name text := 'ticket_seq_' || y;
BEGIN
    IF to_regclass(name) IS NULL THEN
        -- Only the first ticket of a year pays for this block (a subtransaction).
        BEGIN
            EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I', name);
        EXCEPTION WHEN unique_violation OR duplicate_table THEN
            NULL; -- another instance made it at the same moment
        END;
    END IF;
    RETURN nextval(name::regclass);
END
$$ LANGUAGE plpgsql;
