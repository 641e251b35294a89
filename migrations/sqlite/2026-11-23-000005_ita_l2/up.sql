-- ITA-L2 test sessions and their bookings. A booking is confirmed while seats remain, else
-- waitlisted (ordered by position); a cancelled booking stays as history.
CREATE TABLE ita_l2_sessions (
    id TEXT PRIMARY KEY,
    starts_at TIMESTAMP NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('online', 'in_person')),
    location TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity > 0),
    booking_opens_at TIMESTAMP,
    booking_closes_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ita_l2_sessions_starts_at ON ita_l2_sessions (starts_at);

CREATE TABLE ita_l2_bookings (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES ita_l2_sessions(id),
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    student_id TEXT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    position INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    cancelled_at TIMESTAMP
);
-- At most one live booking per ticket and per student in a session.
CREATE UNIQUE INDEX ita_l2_bookings_live_ticket ON ita_l2_bookings (session_id, ticket_id) WHERE status <> 'cancelled';
CREATE UNIQUE INDEX ita_l2_bookings_live_student ON ita_l2_bookings (session_id, student_id) WHERE status <> 'cancelled';
CREATE INDEX ita_l2_bookings_session_status ON ita_l2_bookings (session_id, status, position);
CREATE INDEX ita_l2_bookings_ticket ON ita_l2_bookings (ticket_id);
