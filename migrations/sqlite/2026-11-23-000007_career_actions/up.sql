-- The catalog of career-action types (seeded from seeds/career_actions.json, editable by
-- admins): names, guide section, and the rest (windows, fees, documents, form fields) as JSON.
CREATE TABLE career_action_types (
    slug TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    name_it TEXT NOT NULL,
    name_en TEXT NOT NULL,
    guide_section TEXT NOT NULL,
    category_slug TEXT,
    fee_rule TEXT,
    definition TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at TIMESTAMP NOT NULL
);

-- A student's concrete procedure. external_ref is the career system's application number.
CREATE TABLE career_actions (
    id TEXT PRIMARY KEY,
    type_slug TEXT NOT NULL REFERENCES career_action_types(slug),
    student_id TEXT NOT NULL REFERENCES users(id),
    external_ref TEXT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'in_review', 'waiting_documents',
                                           'approved', 'rejected', 'completed', 'cancelled')),
    data TEXT NOT NULL,
    amounts TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX career_actions_external_ref ON career_actions (external_ref);
CREATE INDEX career_actions_student ON career_actions (student_id, id);

-- Every status change, by whom (a person, or the career system) and with which note.
CREATE TABLE career_action_history (
    id TEXT PRIMARY KEY,
    career_action_id TEXT NOT NULL REFERENCES career_actions(id),
    actor_id TEXT REFERENCES users(id),
    source TEXT NOT NULL CHECK (source IN ('student', 'staff', 'integration')),
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX career_action_history_action ON career_action_history (career_action_id, id);

CREATE TABLE ticket_career_actions (
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    career_action_id TEXT NOT NULL REFERENCES career_actions(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticket_id, career_action_id)
);
CREATE INDEX ticket_career_actions_action ON ticket_career_actions (career_action_id);

-- The close of the window of a linked procedure: the "deadline soon" queue and the
-- deadline-aware due time read it.
ALTER TABLE tickets ADD COLUMN deadline_at TIMESTAMP;
CREATE INDEX tickets_deadline ON tickets (deadline_at);
