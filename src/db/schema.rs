//! One schema for both backends: portable column types only.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        locale -> Text,
        email_verified -> Bool,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    teams (id) {
        id -> Text,
        slug -> Text,
        name_it -> Text,
        name_en -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    team_members (team_id, user_id) {
        team_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    categories (id) {
        id -> Text,
        slug -> Text,
        name_it -> Text,
        name_en -> Text,
        description_it -> Text,
        description_en -> Text,
        team_id -> Text,
        guests_allowed -> Bool,
        first_response_hours -> Integer,
        resolution_hours -> Integer,
        position -> Integer,
        active -> Bool,
    }
}

diesel::table! {
    category_forms (id) {
        id -> Text,
        category_id -> Text,
        version -> Integer,
        fields -> Text,
        required_attachments -> Text,
        retired -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tickets (id) {
        id -> Text,
        number -> Text,
        year -> Integer,
        seq -> BigInt,
        category_id -> Text,
        form_id -> Text,
        subject -> Text,
        status -> Text,
        priority -> Text,
        requester_id -> Text,
        assignee_id -> Nullable<Text>,
        team_id -> Text,
        fields -> Text,
        locale -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        first_response_due_at -> Nullable<Timestamp>,
        due_at -> Nullable<Timestamp>,
        first_responded_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        merged_into_id -> Nullable<Text>,
        guest_secret_hash -> Nullable<Text>,
        follow_up_of -> Nullable<Text>,
        deadline_at -> Nullable<Timestamp>,
        guest_seen_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        ticket_id -> Text,
        kind -> Text,
        author_id -> Nullable<Text>,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        ticket_id -> Text,
        message_id -> Nullable<Text>,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        uploaded_by -> Nullable<Text>,
        identity_document -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_events (id) {
        id -> Text,
        ticket_id -> Text,
        actor_id -> Nullable<Text>,
        kind -> Text,
        data -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        kind -> Text,
        recipient -> Text,
        locale -> Text,
        ticket_id -> Nullable<Text>,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        requeued_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mail_quarantine (id) {
        id -> Text,
        received_at -> Timestamp,
        sender -> Text,
        subject -> Text,
        ticket_number -> Nullable<Text>,
        reason -> Text,
        raw_path -> Text,
        released -> Bool,
    }
}

diesel::table! {
    ticket_ratings (ticket_id) {
        ticket_id -> Text,
        rated_by -> Text,
        stars -> Integer,
        comment -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ita_l2_sessions (id) {
        id -> Text,
        starts_at -> Timestamp,
        mode -> Text,
        location -> Text,
        capacity -> Integer,
        booking_opens_at -> Nullable<Timestamp>,
        booking_closes_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ita_l2_bookings (id) {
        id -> Text,
        session_id -> Text,
        ticket_id -> Text,
        student_id -> Text,
        status -> Text,
        position -> Integer,
        created_at -> Timestamp,
        cancelled_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(team_members -> teams (team_id));
diesel::joinable!(team_members -> users (user_id));
diesel::joinable!(categories -> teams (team_id));
diesel::joinable!(category_forms -> categories (category_id));
diesel::joinable!(tickets -> categories (category_id));
diesel::joinable!(tickets -> teams (team_id));
diesel::joinable!(messages -> tickets (ticket_id));
diesel::joinable!(attachments -> tickets (ticket_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(ticket_ratings -> tickets (ticket_id));
diesel::joinable!(ita_l2_bookings -> ita_l2_sessions (session_id));
diesel::joinable!(ita_l2_bookings -> tickets (ticket_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    teams,
    team_members,
    categories,
    category_forms,
    tickets,
    messages,
    attachments,
    ticket_events,
    revoked_tokens,
    outbox,
    mail_quarantine,
    ticket_ratings,
    ita_l2_sessions,
    ita_l2_bookings,
);

diesel::table! {
    kb_articles (id) {
        id -> Text,
        slug -> Text,
        locale -> Text,
        title -> Text,
        body -> Text,
        source -> Text,
        section -> Text,
        position -> Integer,
        created_at -> Timestamp,
        past_year -> Bool,
    }
}

diesel::table! {
    kb_deflections (article_id) {
        article_id -> Text,
        views -> Integer,
    }
}

diesel::table! {
    career_action_types (slug) {
        slug -> Text,
        position -> Integer,
        name_it -> Text,
        name_en -> Text,
        guide_section -> Text,
        category_slug -> Nullable<Text>,
        fee_rule -> Nullable<Text>,
        definition -> Text,
        active -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    career_actions (id) {
        id -> Text,
        type_slug -> Text,
        student_id -> Text,
        external_ref -> Nullable<Text>,
        status -> Text,
        data -> Text,
        amounts -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_on -> Text,
    }
}

diesel::table! {
    career_action_history (id) {
        id -> Text,
        career_action_id -> Text,
        actor_id -> Nullable<Text>,
        source -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_career_actions (ticket_id, career_action_id) {
        ticket_id -> Text,
        career_action_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    academic_years (code) {
        code -> Text,
        status -> Text,
        dates -> Text,
        copied_from -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    calendar_windows (academic_year, type_slug, position) {
        academic_year -> Text,
        type_slug -> Text,
        position -> Integer,
        programme -> Nullable<Text>,
        course_year -> Nullable<Integer>,
        access -> Nullable<Text>,
        opens_on -> Nullable<Text>,
        closes_on -> Text,
        kind -> Text,
        late_fee_cents -> Nullable<BigInt>,
        after_close -> Text,
        note_it -> Nullable<Text>,
        note_en -> Nullable<Text>,
    }
}

diesel::joinable!(calendar_windows -> academic_years (academic_year));
diesel::joinable!(calendar_windows -> career_action_types (type_slug));
diesel::allow_tables_to_appear_in_same_query!(academic_years, calendar_windows, career_action_types);

diesel::joinable!(career_actions -> career_action_types (type_slug));
diesel::joinable!(career_action_history -> career_actions (career_action_id));
diesel::joinable!(ticket_career_actions -> career_actions (career_action_id));
diesel::joinable!(ticket_career_actions -> tickets (ticket_id));

diesel::allow_tables_to_appear_in_same_query!(career_action_types, career_actions, career_action_history, ticket_career_actions,);
diesel::allow_tables_to_appear_in_same_query!(tickets, ticket_career_actions);
diesel::allow_tables_to_appear_in_same_query!(tickets, career_actions);
diesel::allow_tables_to_appear_in_same_query!(tickets, career_action_types);
diesel::allow_tables_to_appear_in_same_query!(users, career_actions);
diesel::allow_tables_to_appear_in_same_query!(users, career_action_history);

diesel::table! {
    office_hours (id) {
        id -> Text,
        team_id -> Text,
        weekday -> Integer,
        opens -> Text,
        closes -> Text,
    }
}

diesel::table! {
    closures (id) {
        id -> Text,
        team_id -> Nullable<Text>,
        name -> Text,
        starts_on -> Text,
        ends_on -> Text,
        yearly -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_sla (ticket_id) {
        ticket_id -> Text,
        paused_at -> Nullable<Timestamp>,
        paused_minutes -> BigInt,
    }
}

diesel::table! {
    sla_alerts (ticket_id, target, due_at) {
        ticket_id -> Text,
        target -> Text,
        due_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    job_leases (name) {
        name -> Text,
        holder -> Text,
        locked_until -> Timestamp,
        runs -> BigInt,
        last_started_at -> Nullable<Timestamp>,
        last_finished_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    canned_responses (id) {
        id -> Text,
        team_id -> Nullable<Text>,
        title -> Text,
        body_it -> Text,
        body_en -> Text,
        seed_key -> Nullable<Text>,
        active -> Bool,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(tickets, sla_alerts);
diesel::allow_tables_to_appear_in_same_query!(canned_responses, teams);

diesel::table! {
    inbound_mail (sender, message_id) {
        sender -> Text,
        message_id -> Text,
        received_at -> Timestamp,
        outcome -> Text,
    }
}

// Single sign-on (migration 2026-12-06-000110_sso_identities).
diesel::table! {
    user_identities (id) {
        id -> Text,
        user_id -> Text,
        issuer -> Text,
        subject -> Text,
        email -> Nullable<Text>,
        matricola -> Nullable<Text>,
        codice_fiscale -> Nullable<Text>,
        granted_role -> Nullable<Text>,
        linked_by -> Text,
        linked_at -> Timestamp,
        last_login_at -> Timestamp,
    }
}

diesel::table! {
    sso_flows (state_hash) {
        state_hash -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        next_path -> Text,
        link_user_id -> Nullable<Text>,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sso_sessions (jti) {
        jti -> Text,
        identity_id -> Text,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(user_identities -> users (user_id));
diesel::joinable!(sso_sessions -> user_identities (identity_id));
diesel::allow_tables_to_appear_in_same_query!(users, user_identities);
diesel::allow_tables_to_appear_in_same_query!(user_identities, sso_sessions);

diesel::table! {
    idempotency_keys (scope, idem_key) {
        scope -> Text,
        idem_key -> Text,
        request_hash -> Text,
        status -> Integer,
        location -> Nullable<Text>,
        body -> Text,
        created_at -> Timestamp,
    }
}
