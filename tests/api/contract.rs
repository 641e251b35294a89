//! The OpenAPI document is generated from the registered routes; this checks it the other way:
//! every documented operation is served, and the contract of API.md is documented.
//! Also: both migration folders hold the same versions and apply up → down → up.

use diesel::Connection;
use diesel_migrations::MigrationHarness;
use reqwest::Method;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{fresh_pg_database, spawn_app, Backend};

both_backends!(every_documented_operation_is_served, migrations_go_up_down_up, the_calendar_migration_moves_existing_windows_and_dates);

/// The routes of ../shared/API.md that this build implements.
const CONTRACT: [(&str, &str); 14] = [
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/sign-in-link"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/admin/agents"),
    ("get", "/api/v1/categories"),
    ("post", "/api/v1/tickets"),
    ("get", "/api/v1/tickets"),
    ("get", "/api/v1/tickets/{number}"),
    ("patch", "/api/v1/tickets/{number}"),
    ("post", "/api/v1/tickets/{number}/messages"),
    ("post", "/api/v1/tickets/{number}/attachments"),
    ("get", "/api/v1/tickets/{number}/events"),
];

async fn every_documented_operation_is_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc: Value = app.get("/api/v1/openapi.json", None).await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in CONTRACT {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is not documented");
    }
    for (path, operations) in paths {
        let concrete = path.replace("{number}", "HD-2025-000001").replace("{id}", "01a209fe-0000-7000-8000-000000000000").replace("{slug}", "it");
        for method in operations.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app.client.request(method.clone(), app.url(&concrete)).send().await.unwrap();
            let status = res.status();
            assert!(!status.is_server_error(), "{method} {path}: {status}");
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert_ne!(body["type"], "/problems/no-such-route", "{method} {path} is documented but not served");
        }
    }
    // And the check can fail: an undocumented path is not served.
    let body: Value = app.get("/api/v1/tickets-typo", None).await.json().await.unwrap();
    assert_eq!(body["type"], "/problems/no-such-route");
}

fn versions(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn migrations_go_up_down_up(backend: Backend) {
    assert_eq!(versions("sqlite"), versions("postgres"), "the two migration folders differ");
    let dir = tempfile::tempdir().unwrap();
    tokio::task::spawn_blocking(move || match backend {
        Backend::Sqlite => {
            let path = dir.path().join("m.db");
            let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
            const M: diesel_migrations::EmbeddedMigrations = helpdesk::db::SQLITE_MIGRATIONS;
            assert_eq!(conn.run_pending_migrations(M).unwrap().len(), versions("sqlite").len());
            conn.revert_all_migrations(M).unwrap();
            assert_eq!(conn.run_pending_migrations(M).unwrap().len(), versions("sqlite").len());
        }
        Backend::Postgres => {
            let mut conn = diesel::PgConnection::establish(&fresh_pg_database()).unwrap();
            const M: diesel_migrations::EmbeddedMigrations = helpdesk::db::POSTGRES_MIGRATIONS;
            assert_eq!(conn.run_pending_migrations(M).unwrap().len(), versions("postgres").len());
            conn.revert_all_migrations(M).unwrap();
            assert_eq!(conn.run_pending_migrations(M).unwrap().len(), versions("postgres").len());
        }
    })
    .await
    .unwrap();
}

/// Whether the calendar migration (or a later one) is applied.
fn calendars_applied<C: MigrationHarness<DB>, DB: diesel::backend::Backend>(conn: &mut C) -> bool {
    conn.applied_migrations().unwrap().iter().any(|v| v.to_string().replace('-', "").as_str() >= "20261206000130")
}

/// A desk from before the calendars: windows in each type's definition, a procedure with no
/// submission day. The migration moves the windows into the year their last day is in and
/// gives the procedure the Italian day of its creation.
async fn the_calendar_migration_moves_existing_windows_and_dates(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    const BEFORE: &str = "INSERT INTO users (id, email, display_name, role, created_at, updated_at) \
        VALUES ('u1', 's@unibg.it', 'S', 'student', '2025-10-01 10:00:00', '2025-10-01 10:00:00'); \
        INSERT INTO career_action_types (slug, position, name_it, name_en, guide_section, definition, active, updated_at) \
        VALUES ('piano', 1, 'Piano', 'Plan', 'cap. 11', \
        '{\"windows\":[{\"from\":\"2025-10-15\",\"to\":\"2025-11-17\",\"kind\":\"regular\"},{\"from\":\"2025-11-18\",\"to\":\"2025-12-01\",\"kind\":\"late\",\"late_fee_eur\":50,\"note\":{\"it\":\"tardi\",\"en\":\"late\"}}],\"fees\":[],\"late_fee_eur\":null,\"required_documents\":[],\"fields\":[]}', \
        TRUE, '2025-10-01 10:00:00'); \
        INSERT INTO career_actions (id, type_slug, student_id, status, data, version, created_at, updated_at) \
        VALUES ('a1', 'piano', 'u1', 'submitted', '{}', 1, '2025-11-17 23:30:00', '2025-11-17 23:30:00');";
    const CHECK_YEARS: &str = "SELECT code || ' ' || status AS v FROM academic_years";
    const CHECK_WINDOWS: &str = "SELECT academic_year || ' ' || type_slug || ' ' || CAST(position AS TEXT) || ' ' || COALESCE(opens_on, '-') || ' ' \
        || closes_on || ' ' || kind || ' ' || COALESCE(CAST(late_fee_cents AS TEXT), '-') || ' ' || COALESCE(note_en, '-') AS v \
        FROM calendar_windows ORDER BY position";
    const CHECK_REST: &str = "SELECT (SELECT submitted_on FROM career_actions) || ' ' || \
        CASE WHEN (SELECT definition FROM career_action_types) LIKE '%windows%' THEN 'kept' ELSE 'moved' END AS v";
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    fn texts<C: diesel::Connection>(conn: &mut C, sql: &str) -> Vec<String>
    where
        C::Backend: diesel::backend::Backend,
        Row: diesel::deserialize::QueryableByName<C::Backend>,
        diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'static, C, Row>,
    {
        use diesel::RunQueryDsl;
        diesel::sql_query(sql).load::<Row>(conn).unwrap().into_iter().map(|r| r.v).collect()
    }
    let (years, windows, rest) = tokio::task::spawn_blocking(move || {
        use diesel::connection::SimpleConnection;
        match backend {
            Backend::Sqlite => {
                let path = dir.path().join("m.db");
                let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
                const M: diesel_migrations::EmbeddedMigrations = helpdesk::db::SQLITE_MIGRATIONS;
                conn.run_pending_migrations(M).unwrap();
                // Back to before the calendar migration (and any after it).
                while calendars_applied(&mut conn) {
                    conn.revert_last_migration(M).unwrap();
                }
                conn.batch_execute(BEFORE).unwrap();
                conn.run_pending_migrations(M).unwrap();
                (texts(&mut conn, CHECK_YEARS), texts(&mut conn, CHECK_WINDOWS), texts(&mut conn, CHECK_REST))
            }
            Backend::Postgres => {
                let mut conn = diesel::PgConnection::establish(&fresh_pg_database()).unwrap();
                const M: diesel_migrations::EmbeddedMigrations = helpdesk::db::POSTGRES_MIGRATIONS;
                conn.run_pending_migrations(M).unwrap();
                // Back to before the calendar migration (and any after it).
                while calendars_applied(&mut conn) {
                    conn.revert_last_migration(M).unwrap();
                }
                conn.batch_execute(BEFORE).unwrap();
                conn.run_pending_migrations(M).unwrap();
                (texts(&mut conn, CHECK_YEARS), texts(&mut conn, CHECK_WINDOWS), texts(&mut conn, CHECK_REST))
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(years, ["2025/2026 published"]);
    assert_eq!(
        windows,
        ["2025/2026 piano 0 2025-10-15 2025-11-17 regular - -", "2025/2026 piano 1 2025-11-18 2025-12-01 late 5000 late"]
    );
    // 23:30 UTC on 17 November is 00:30 on the 18th in Rome.
    assert_eq!(rest, ["2025-11-18 moved"]);
}
