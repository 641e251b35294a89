-- SLA as data: weekly office hours per team (no rows: Mon-Fri 09:00-17:00) and closure days
-- beyond the national holidays (global when team_id is NULL; `yearly` repeats month and day).
-- Times of day are 'HH:MM' and dates 'YYYY-MM-DD' text, the same on both backends.
CREATE TABLE office_hours (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    weekday INTEGER NOT NULL,
    opens TEXT NOT NULL,
    closes TEXT NOT NULL
);
CREATE INDEX office_hours_team ON office_hours (team_id, weekday);

CREATE TABLE closures (
    id TEXT PRIMARY KEY,
    team_id TEXT REFERENCES teams(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    yearly BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX closures_team ON closures (team_id);

-- The SLA clock of a ticket while paused (waiting for the student), and the business minutes
-- it has been paused in all.
CREATE TABLE ticket_sla (
    ticket_id TEXT PRIMARY KEY REFERENCES tickets(id),
    paused_at TIMESTAMP,
    paused_minutes BIGINT NOT NULL DEFAULT 0
);

-- SLA-risk notifications sent: one per ticket, target and due time.
CREATE TABLE sla_alerts (
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    target TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticket_id, target, due_at)
);

-- Scheduled jobs: whoever moves locked_until forward (a conditional UPDATE) runs the job for
-- that period; the other instances skip it.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    locked_until TIMESTAMP NOT NULL,
    runs BIGINT NOT NULL DEFAULT 0,
    last_started_at TIMESTAMP,
    last_finished_at TIMESTAMP,
    last_error TEXT
);

-- Canned responses: global (team_id NULL) or a team's; deleted ones are kept inactive so a
-- seeded answer an admin removed is not seeded again.
CREATE TABLE canned_responses (
    id TEXT PRIMARY KEY,
    team_id TEXT REFERENCES teams(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body_it TEXT NOT NULL,
    body_en TEXT NOT NULL,
    seed_key TEXT UNIQUE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by TEXT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX canned_responses_team ON canned_responses (team_id, active);

-- What the jobs look for: resolved tickets by resolution time (auto-close) and unverified
-- guest tickets by age (expiry). Partial, so they cost nothing for the other tickets.
CREATE INDEX tickets_resolved_at ON tickets (resolved_at) WHERE status = 'resolved';
CREATE INDEX tickets_unverified_created ON tickets (created_at) WHERE status = 'unverified';
