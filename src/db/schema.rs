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
    ticket_counters (year) {
        year -> Integer,
        last -> BigInt,
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
    ticket_counters,
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
    }
}

diesel::table! {
    kb_deflections (article_id) {
        article_id -> Text,
        views -> Integer,
    }
}

diesel::table! {
    inbound_mail (sender, message_id) {
        sender -> Text,
        message_id -> Text,
        received_at -> Timestamp,
        outcome -> Text,
    }
}
