//! The staff console at scale: seeds BENCH_TICKETS tickets (default 1,000,000) with two
//! messages each by bulk SQL, then times over HTTP, one request at a time, the main queue page
//! (`unassigned` for a segreteria agent, sorted by due time) as JSON and as the `/staff` page, the
//! queue counts, and a search.
//! SQLite always; PostgreSQL when HELPDESK_TEST_PG_URL names a server.
//!
//! Run: `cargo bench --bench console`. BENCH_TICKETS (tickets seeded) and BENCH_REQUESTS
//! (timed requests per probe, default 300, after 30 unmeasured) tune it; BENCH_HOLD=<file>
//! keeps each database until that file is removed, for profiling; BENCH_KEEP=<dir> keeps the seeded
//! databases for the next run with as many tickets (no second seeding). Target: p99 < 50 ms.

#[allow(dead_code)]
mod common;

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use common::{backends, env_or, Backend};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use helpdesk::db::schema::categories;
use helpdesk::db::DbConn;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "bench-password-123";
/// Words of the seeded messages; a search for two of them matches about 1 ticket in 2,500.
const WORDS: [&str; 50] = [
    "iscrizione",
    "tasse",
    "esame",
    "piano",
    "laurea",
    "tirocinio",
    "erasmus",
    "borsa",
    "rinuncia",
    "trasferimento",
    "certificato",
    "diploma",
    "libretto",
    "badge",
    "password",
    "credenziali",
    "pagamento",
    "rimborso",
    "scadenza",
    "modulo",
    "domanda",
    "riconoscimento",
    "titolo",
    "visto",
    "permesso",
    "soggiorno",
    "dichiarazione",
    "valore",
    "cimea",
    "passaporto",
    "sessione",
    "prenotazione",
    "appello",
    "voto",
    "crediti",
    "magistrale",
    "triennale",
    "ingegneria",
    "economia",
    "giurisprudenza",
    "lettere",
    "lingue",
    "psicologia",
    "medicina",
    "scienze",
    "bergamo",
    "dalmine",
    "segreteria",
    "sportello",
    "carriera",
];

fn main() -> Result<()> {
    let tickets: i64 = env_or("BENCH_TICKETS", 1_000_000)?;
    let requests: usize = env_or("BENCH_REQUESTS", 300)?;
    if tickets < 1000 || requests == 0 {
        bail!("BENCH_TICKETS must be at least 1000 and BENCH_REQUESTS positive");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    println!("# helpdesk console benchmark\n");
    println!("{tickets} tickets with 2 messages each; {requests} sequential requests per probe after 30 unmeasured; one client.\n");
    let mut rows = Vec::new();
    for backend in backends() {
        eprintln!("== {}", backend.name());
        rows.extend(rt.block_on(bench_backend(&backend, tickets, requests))?);
    }
    println!("| backend | probe | median ms | p99 ms | seed s |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {:.0} |",
            r.backend, r.probe, r.median, r.p99, r.seed_secs
        );
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Agent,
    Admin,
    Page,
}

/// The path of a probe's `i`-th request.
type PathOf = Box<dyn Fn(usize) -> String>;

struct Row {
    backend: &'static str,
    probe: String,
    median: String,
    p99: String,
    seed_secs: f64,
}

async fn bench_backend(backend: &Backend, tickets: i64, requests: usize) -> Result<Vec<Row>> {
    // BENCH_KEEP=<dir>: the seeded database outlives the run and the next run reuses it.
    let (_temp, dir) = match std::env::var("BENCH_KEEP") {
        Ok(keep) if !keep.trim().is_empty() => {
            let dir = std::path::PathBuf::from(keep.trim()).join(format!("sqlite-{tickets}"));
            std::fs::create_dir_all(&dir)?;
            (None, dir)
        }
        _ => {
            let temp = tempfile::tempdir()?;
            let dir = temp.path().to_owned();
            (Some(temp), dir)
        }
    };
    let (url, _guard) = if _temp.is_some() {
        backend.fresh_database(&dir)?
    } else {
        backend.kept_database(&dir, &format!("hd_bench_keep_{tickets}"))?
    };
    // The app in this process, configured as `helpdesk serve` would be from the environment.
    for (k, v) in [
        ("HELPDESK_DATA_DIR", dir.display().to_string()),
        ("HELPDESK_DATABASE_URL", url.clone()),
        ("HELPDESK_BIND", "127.0.0.1:0".into()),
        (
            "HELPDESK_JWT_SECRET",
            "a secret for the console benchmark".into(),
        ),
        ("HELPDESK_WORKERS", "1".into()),
        ("RUST_LOG", "error".into()),
    ] {
        std::env::set_var(k, v);
    }
    let settings = helpdesk::config::Settings::from_env()?;
    let app = helpdesk::startup::Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let db = app.state().db.clone();
    let server = tokio::spawn(app.run_until_stopped());
    let client = Client::new();

    // Staff: an admin (as create-admin makes it) and a segreteria agent (through the API).
    let admin_db = db.clone();
    let seeded = tokio::task::spawn_blocking(move || -> Result<i64> {
        let hash = helpdesk::auth::hash_password(PASSWORD)?;
        let mut conn = admin_db.get_writer()?;
        let email =
            helpdesk::domain::Email::parse("admin@bench.it").map_err(|e| anyhow::anyhow!("{e}"))?;
        helpdesk::accounts::upsert_admin(&mut conn, &email, &hash, "Admin")?;
        use helpdesk::db::schema::tickets;
        Ok(tickets::table.count().get_result(&mut *conn)?)
    })
    .await??;
    let admin = login(&client, &base, "admin@bench.it").await?;
    let res = client
        .post(format!("{base}/api/v1/admin/agents"))
        .bearer_auth(&admin)
        .json(&json!({"email": "agent@bench.it", "password": PASSWORD, "display_name": "Agent", "role": "agent", "teams": ["segreteria"]}))
        .send()
        .await?;
    let agent_id = match res.status() {
        StatusCode::CREATED => Some(
            res.json::<Value>().await?["user"]["id"]
                .as_str()
                .context("agent id")?
                .to_owned(),
        ),
        // A kept database: the agent and the tickets are there from an earlier run.
        StatusCode::CONFLICT if seeded == tickets => None,
        other => bail!("creating the agent: {other}"),
    };
    let agent = login(&client, &base, "agent@bench.it").await?;
    let pages = signed_in(&base, "agent@bench.it").await?;

    let started = Instant::now();
    if let Some(agent_id) = agent_id {
        let seed_db = db.clone();
        tokio::task::spawn_blocking(move || seed(&mut *seed_db.get_writer()?, tickets, &agent_id))
            .await??;
    }
    let seed_secs = started.elapsed().as_secs_f64();
    eprintln!("  seeded {tickets} tickets in {seed_secs:.0} s");

    let searches: Vec<String> = (0..10)
        .map(|i| format!("{} {}", WORDS[i * 3 % 50], WORDS[(i * 7 + 11) % 50]))
        .collect();
    // Each probe: its name, who asks (the agent through the API or its signed-in browser, or the
    // administrator, who sees every team and the queue of all tickets), the path.
    let probes: [(&str, Who, PathOf); 5] = [
        (
            "queue page (API): unassigned, by due, 50",
            Who::Agent,
            Box::new(|_| "/api/v1/queues/unassigned/tickets?sort=due".to_owned()),
        ),
        (
            "queue counts (API)",
            Who::Agent,
            Box::new(|_| "/api/v1/queues".to_owned()),
        ),
        (
            "queue counts (API), administrator: every team and all",
            Who::Admin,
            Box::new(|_| "/api/v1/queues".to_owned()),
        ),
        (
            "search (API), two words",
            Who::Agent,
            Box::new(move |i| {
                format!(
                    "/api/v1/search?q={}",
                    searches[i % searches.len()].replace(' ', "+")
                )
            }),
        ),
        (
            "queue page (HTML): /staff, unassigned by due, with counts",
            Who::Page,
            Box::new(|_| "/staff?queue=unassigned&sort=due".to_owned()),
        ),
    ];
    let mut rows = Vec::new();
    for (name, who, path) in probes {
        let html = who == Who::Page;
        let mut times = Vec::with_capacity(requests);
        for i in 0..requests + 30 {
            let t = Instant::now();
            let url = format!("{base}{}", path(i));
            let request = match who {
                Who::Page => pages.get(url),
                Who::Agent => client.get(url).bearer_auth(&agent),
                Who::Admin => client.get(url).bearer_auth(&admin),
            };
            let res = request.send().await?;
            let status = res.status();
            let body = res.bytes().await?;
            if status != StatusCode::OK {
                bail!("{name}: {status} {}", String::from_utf8_lossy(&body));
            }
            // The pages and the search must find something, or their times mean nothing.
            let found: &[u8] = if html { b"/staff/tickets/HD-" } else { b"\"number\"" };
            if i == 0
                && !name.starts_with("queue counts")
                && !body.windows(found.len()).any(|w| w == found)
            {
                bail!("{name}: nothing found: {}", String::from_utf8_lossy(&body));
            }
            if i >= 30 {
                times.push(t.elapsed());
            }
        }
        times.sort_unstable();
        let (median, p99) = (ms(percentile(&times, 0.5)), ms(percentile(&times, 0.99)));
        eprintln!("  {name}: median {median} ms, p99 {p99} ms");
        rows.push(Row {
            backend: backend.name(),
            probe: name.to_owned(),
            median,
            p99,
            seed_secs,
        });
    }
    hold(&url)?;
    server.abort();
    Ok(rows)
}

/// A browser signed in to the staff pages through the sign-in form (cookies, CSRF token).
async fn signed_in(base: &str, email: &str) -> Result<Client> {
    let browser = Client::builder().cookie_store(true).build()?;
    let form = browser.get(format!("{base}/sign-in")).send().await?.text().await?;
    let marker = r#"name="csrf" value=""#;
    let at = form.find(marker).context("the sign-in form's CSRF token")? + marker.len();
    let csrf = form[at..].split('"').next().unwrap_or_default().to_owned();
    let res = browser
        .post(format!("{base}/sign-in"))
        .form(&[("csrf", csrf.as_str()), ("email", email), ("password", PASSWORD), ("next", "/staff")])
        .send()
        .await?;
    if res.url().path() == "/sign-in" {
        bail!("signing in {email} through the form failed: {}", res.status());
    }
    Ok(browser)
}

/// With BENCH_HOLD=<file>: before the database is dropped, creates that file and waits until
/// it is removed, so the seeded database can be examined (EXPLAIN, psql, sqlite3) meanwhile.
fn hold(url: &str) -> Result<()> {
    let Ok(flag) = std::env::var("BENCH_HOLD") else {
        return Ok(());
    };
    std::fs::write(&flag, url)?;
    eprintln!("  holding {url} until {flag} is removed");
    while std::path::Path::new(&flag).exists() {
        std::thread::sleep(Duration::from_secs(1));
    }
    Ok(())
}

async fn login(client: &Client, base: &str, email: &str) -> Result<String> {
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await?;
    let body: Value = res.json().await?;
    Ok(body["token"]
        .as_str()
        .with_context(|| format!("login of {email}: {body}"))?
        .to_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// A SQL `CASE` picking one of `items` by `expr` modulo their number.
fn pick(expr: &str, items: &[String]) -> String {
    let arms: String = items
        .iter()
        .enumerate()
        .map(|(i, v)| format!(" WHEN {i} THEN {v}"))
        .collect();
    format!("(CASE ({expr}) % {}{arms} END)", items.len())
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Bulk SQL: 2,000 students, `n` tickets over five years (the newest 5 % still being worked:
/// new, open, waiting, resolved; the rest closed; half of them assigned to the agent), a
/// student message and a staff reply each, then the search index.
fn seed(conn: &mut DbConn, n: i64, agent_id: &str) -> Result<()> {
    let pg = matches!(conn, DbConn::Pg(_));
    let cats: Vec<(String, String, String)> = {
        use helpdesk::db::schema::category_forms;
        categories::table
            .inner_join(category_forms::table)
            .order(categories::position.asc())
            .select((categories::id, categories::team_id, category_forms::id))
            .load(conn)?
    };
    if cats.is_empty() {
        bail!("no categories seeded");
    }
    let col = |f: fn(&(String, String, String)) -> &String| {
        cats.iter().map(|c| quoted(f(c))).collect::<Vec<_>>()
    };
    let (cat_ids, team_ids, form_ids) = (col(|c| &c.0), col(|c| &c.1), col(|c| &c.2));
    let words: Vec<String> = WORDS.iter().map(|w| quoted(w)).collect();
    // Dialect pieces: a series of integers, ids, and times `minutes` before now.
    let series = |count: &str| {
        if pg {
            format!("SELECT i FROM generate_series(1, {count}) AS s(i)")
        } else {
            format!("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count}) SELECT i FROM s")
        }
    };
    let uuid = |prefix: &str, expr: &str| {
        if pg {
            format!("'{prefix}-0000-7000-8000-' || lpad(to_hex({expr}), 12, '0')")
        } else {
            format!("printf('{prefix}-0000-7000-8000-%012x', {expr})")
        }
    };
    let ago = |minutes: &str| {
        if pg {
            format!("((now() AT TIME ZONE 'utc') - ({minutes}) * interval '1 minute')")
        } else {
            format!("datetime('now', (-({minutes})) || ' minutes')")
        }
    };
    let pad = |expr: &str, width: usize| {
        if pg {
            format!("lpad(({expr})::text, {width}, '0')")
        } else {
            format!("printf('%0{width}d', {expr})")
        }
    };
    let text = |expr: &str| {
        if pg {
            format!("({expr})::text")
        } else {
            format!("({expr})")
        }
    };

    conn.batch_execute(&format!(
        "INSERT INTO users (id, email, display_name, password_hash, role, locale, email_verified, disabled, created_at, updated_at) \
         SELECT {id}, 'studente' || {i} || '@studenti.bench.it', 'Studente ' || {i}, NULL, 'student', 'it', TRUE, FALSE, {now}, {now} \
         FROM ({series}) s",
        id = uuid("00000001", "i"),
        i = text("i"),
        now = ago("0"),
        series = series("2000"),
    ))?;
    // Creation: 2.5 minutes apart, the newest now. Status by position; due times from creation.
    let recent = n - n / 20;
    let status = format!(
        "(CASE WHEN i <= {recent} THEN 'closed' ELSE (CASE i % 5 WHEN 0 THEN 'new' WHEN 1 THEN 'open' WHEN 2 THEN 'waiting_student' WHEN 3 THEN 'resolved' ELSE 'new' END) END)"
    );
    let created_min = format!("(({n} - i) * 5 / 2)");
    let batch = 100_000;
    let mut from = 0;
    while from < n {
        let to = (from + batch).min(n);
        conn.batch_execute(&format!(
            "INSERT INTO tickets (id, number, year, seq, category_id, form_id, subject, status, priority, requester_id, assignee_id, team_id, \
                                  fields, locale, version, created_at, updated_at, first_response_due_at, due_at, first_responded_at, \
                                  resolved_at, closed_at, merged_into_id, guest_secret_hash, follow_up_of) \
             SELECT {id}, 'HD-' || {year} || '-' || {seq_text}, 2021 + i % 5, i / 5 + 1, {cat}, {form}, \
                    'Richiesta: ' || {w1} || ' e ' || {w2}, {status}, 'normal', {requester}, \
                    CASE WHEN (i / 7) % 2 = 0 THEN '{agent_id}' END, {team}, \
                    '{{\"matricola\": \"' || {matricola} || '\"}}', 'it', 1, {created}, {created}, {first_due}, {due}, \
                    CASE WHEN {status} = 'new' THEN NULL ELSE {responded} END, NULL, NULL, NULL, NULL, NULL \
             FROM (SELECT i + {from} AS i FROM ({series}) s) s",
            id = uuid("00000002", "i"),
            year = text("2021 + i % 5"),
            seq_text = pad("i / 5 + 1", 6),
            cat = pick("i", &cat_ids),
            form = pick("i", &form_ids),
            team = pick("i", &team_ids),
            w1 = pick("i", &words),
            w2 = pick("i / 50", &words),
            requester = uuid("00000001", "(i % 2000) + 1"),
            matricola = text("1000000 + i"),
            created = ago(&created_min),
            first_due = ago(&format!("{created_min} - 1440")),
            due = ago(&format!("{created_min} - 4320")),
            responded = ago(&format!("{created_min} - 120")),
            series = series(&(to - from).to_string()),
        ))?;
        from = to;
        eprintln!("  tickets: {to}");
    }
    // Messages: the student's question and a staff reply, words drawn from the ticket's number.
    conn.batch_execute(&format!(
        "INSERT INTO messages (id, ticket_id, kind, author_id, body, created_at) \
         SELECT {mid}, id, 'public', requester_id, 'Buongiorno, ho una domanda su ' || {w3} || ' e ' || {w4} || ' per la mia pratica.', created_at \
         FROM (SELECT t.*, seq * 5 + year AS i FROM tickets t) t",
        mid = uuid("00000003", "i"),
        w3 = pick("i / 2500", &words),
        w4 = pick("i / 7", &words),
    ))?;
    eprintln!("  messages: questions");
    conn.batch_execute(&format!(
        "INSERT INTO messages (id, ticket_id, kind, author_id, body, created_at) \
         SELECT {mid}, id, 'public', '{agent_id}', 'Gentile studente, per ' || {w5} || ' consulti la guida dello sportello.', first_responded_at \
         FROM (SELECT t.*, seq * 5 + year AS i FROM tickets t WHERE first_responded_at IS NOT NULL) t",
        mid = uuid("00000004", "i"),
        w5 = pick("i / 13", &words),
    ))?;
    eprintln!("  messages: replies");
    // The search index, as the migration's backfill builds it.
    if pg {
        conn.batch_execute("INSERT INTO ticket_search (ticket_id, document) SELECT id, ticket_search_document(id) FROM tickets")?;
        // The newest tickets' documents apart, as migration 000850 puts them.
        helpdesk::db::search_newest::split(conn, helpdesk::tickets::search_index::Ranking::default().newest)?;
        // What autovacuum does to a table soon after a bulk load: statistics, and the
        // visibility map that lets the counts read an index without visiting the table.
        conn.batch_execute("VACUUM ANALYZE")?;
    } else {
        conn.batch_execute(
            "INSERT INTO ticket_search_docs (ticket_id, indexed) SELECT id, FALSE FROM tickets",
        )?;
        helpdesk::tickets::search_index::backfill(conn).map_err(|e| anyhow::anyhow!("{e}"))?;
        conn.batch_execute("ANALYZE; PRAGMA optimize;")?;
        // The app's readers were opened before the seeding: they reload the statistics as
        // they would after the desk's own statistics job.
        helpdesk::db::statistics::publish(conn)?;
    }
    eprintln!("  search index built");
    Ok(())
}
