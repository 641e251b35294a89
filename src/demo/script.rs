//! The demo's tickets: a few of today's in every status and category with their threads and
//! files, and a month of history (opened, answered, resolved or closed, rated) for the
//! reports. Each is opened with `tickets::open` and lived through the ticket services, as
//! people would; `history::relive` then lays the month's ones over their days.

use chrono::{Duration, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde_json::{json, Value};

use super::cast::Cast;
use super::history;
use crate::accounts::User;
use crate::categories::Category;
use crate::db::Db;
use crate::domain::{Status, TicketNumber};
use crate::error::ServiceError;
use crate::files::FileStore;
use crate::tickets::open::{self, GuestInput, NewTicket, Place, Request};
use crate::tickets::update::{self, NewMessage, TicketPatch};
use crate::tickets::{query, rating};

const PDF: &[u8] = b"%PDF-1.4\n% demo: diploma\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00];

/// Who opens a ticket: a demo student (by index) or a guest.
enum Who {
    Student(usize),
    Guest(&'static str, &'static str),
}

/// What happens to a ticket after it is opened, in order.
enum Step {
    /// The team's first agent takes it (a new ticket becomes open).
    Assign,
    Reply(&'static str, Option<Status>),
    Note(&'static str),
    StudentReply(&'static str),
    Close,
    Rate(i32, &'static str),
}

struct Scene {
    who: Who,
    category: &'static str,
    subject: &'static str,
    body: &'static str,
    fields: Value,
    files: &'static [(&'static str, &'static str, &'static [u8])],
    steps: Vec<Step>,
}

fn today_scenes() -> Vec<Scene> {
    use Step::*;
    vec![
        Scene {
            who: Who::Student(0),
            category: "segreteria",
            subject: "Seconda rata: non trovo il bollettino",
            body: "Buongiorno, nello Sportello Internet non vedo ancora il bollettino della seconda rata. Quando sarà disponibile?",
            fields: json!({"matricola": "1054321", "course": "Economia aziendale", "topic": "iscrizione-tasse"}),
            files: &[],
            steps: vec![],
        },
        Scene {
            who: Who::Student(1),
            category: "segreteria",
            subject: "Piano di studio: esame a scelta di un altro corso",
            body: "Vorrei inserire come esame a scelta Diritto dell'Unione europea, che è di Giurisprudenza. È possibile?",
            fields: json!({"matricola": "1049876", "course": "Ingegneria gestionale", "topic": "piano-di-studio", "career_action": "piano-di-studio"}),
            files: &[],
            steps: vec![Assign, Note("Sentire il CdS: l'esame è di un altro dipartimento, serve il nulla osta.")],
        },
        Scene {
            who: Who::Student(0),
            category: "segreteria",
            subject: "Esame non registrato nel libretto",
            body: "Ho superato Statistica il 12 del mese scorso ma il voto non compare nel libretto.",
            fields: json!({"matricola": "1054321", "course": "Economia aziendale", "topic": "esami"}),
            files: &[],
            steps: vec![
                Assign,
                Reply("Buongiorno Giulia, ci indica il nome del docente e la data esatta dell'appello? Così lo segnaliamo al dipartimento.", Some(Status::WaitingStudent)),
            ],
        },
        Scene {
            who: Who::Student(2),
            category: "stranieri",
            subject: "Copy of my diploma for the declaration of value",
            body: "Hello, I attach the copy of my secondary-school diploma. Is it enough for the declaration of value?",
            fields: json!({"nationality": "Morocco", "programme": "laurea", "topic": "diploma-copy"}),
            files: &[("diploma", "diploma.pdf", PDF)],
            steps: vec![
                Assign,
                Reply("Thank you Amina, the copy is readable. The declaration of value is issued by the Italian embassy: did you already ask for it?", None),
                StudentReply("Yes, I have an appointment at the embassy next week."),
            ],
        },
        Scene {
            who: Who::Student(3),
            category: "ita-l2",
            subject: "ITA-L2 test booking",
            body: "Good morning, I would like to book the Italian language test.",
            fields: json!({"nationality": "China", "passport_number": "EA1234567", "universitaly_ref": "UNI-PRE-0042"}),
            files: &[],
            steps: vec![Assign, Reply("Dear Chen, you are booked for the next session: you will find the details on your request.", None)],
        },
        Scene {
            who: Who::Guest("Francesca Galli", "francesca.galli@example.org"),
            category: "credenziali",
            subject: "Password dimenticata",
            body: "Non ricordo più la password dello Sportello Internet e il recupero non mi arriva.",
            fields: json!({"full_name": "Francesca Galli", "codice_fiscale": "GLLFNC99A41A794X", "birth_date": "1999-01-01", "situation": "forgotten-password"}),
            files: &[],
            steps: vec![],
        },
        Scene {
            who: Who::Student(1),
            category: "credenziali",
            subject: "Credenziali mai ricevute",
            body: "Mi sono immatricolato a settembre ma non ho mai ricevuto le credenziali. Allego il documento.",
            fields: json!({"full_name": "Luca Moretti", "codice_fiscale": "MRTLCU02B15A794H", "birth_date": "2002-02-15", "situation": "never-received"}),
            files: &[("id_front", "fronte.jpg", JPEG), ("id_back", "retro.jpg", JPEG)],
            steps: vec![Assign, Reply("Buongiorno Luca, abbiamo reinviato le credenziali al suo indirizzo personale.", Some(Status::Resolved))],
        },
        Scene {
            who: Who::Student(0),
            category: "segreteria",
            subject: "Passaggio al part-time",
            body: "Lavoro 30 ore a settimana: posso passare al part-time quest'anno?",
            fields: json!({"matricola": "1054321", "course": "Economia aziendale", "topic": "part-time"}),
            files: &[],
            steps: vec![
                Assign,
                Reply("Sì: la domanda si presenta dallo Sportello Internet con il contratto di lavoro allegato.", Some(Status::Resolved)),
                Rate(5, "Grazie, chiarissimo."),
                Close,
            ],
        },
        Scene {
            who: Who::Student(2),
            category: "stranieri",
            subject: "Residence permit renewal",
            body: "My residence permit expires next month. Which enrolment certificate do I need for the renewal?",
            fields: json!({"nationality": "Morocco", "topic": "residence-permit"}),
            files: &[("residence_permit", "permesso.pdf", PDF)],
            steps: vec![
                Assign,
                Reply("You need the enrolment certificate in English: you can download it from the Sportello Internet.", Some(Status::Resolved)),
                Rate(4, "Quick answer, thanks."),
            ],
        },
        Scene {
            who: Who::Student(3),
            category: "stranieri",
            subject: "A letter for the consulate",
            body: "The consulate asks for a letter from the university for my study visa. Can you send it?",
            fields: json!({"nationality": "China", "topic": "other"}),
            files: &[],
            steps: vec![],
        },
    ]
}

/// The kinds of request the month's history repeats, by category: (subject, body, fields).
fn history_kinds() -> Vec<(&'static str, &'static str, &'static str, Value)> {
    vec![
        ("segreteria", "Certificato di iscrizione", "Mi serve un certificato di iscrizione per la borsa di studio.",
            json!({"matricola": "1054321", "course": "Economia aziendale", "topic": "iscrizione-tasse"})),
        ("credenziali", "Password scaduta", "La password è scaduta e non riesco a cambiarla.",
            json!({"full_name": "Luca Moretti", "codice_fiscale": "MRTLCU02B15A794H", "birth_date": "2002-02-15", "situation": "forgotten-password"})),
        ("stranieri", "Enrolment certificate in English", "I need an enrolment certificate in English for my embassy.",
            json!({"nationality": "Morocco", "topic": "other"})),
        ("segreteria", "Appello d'esame non visibile", "Non vedo l'appello di febbraio tra quelli prenotabili.",
            json!({"matricola": "1049876", "course": "Ingegneria gestionale", "topic": "esami"})),
        ("ita-l2", "ITA-L2 test results", "When are the results of the last ITA-L2 test published?",
            json!({"nationality": "China", "passport_number": "EA1234567", "universitaly_ref": "UNI-PRE-0042"})),
    ]
}

/// Today's tickets: how many were opened, and the students' ITA-L2 ones (to book).
pub async fn current(db: &Db, files: &FileStore, cast: &Cast, place: &Place) -> Result<(usize, Vec<(TicketNumber, usize)>), ServiceError> {
    let categories = db.read(crate::categories::list).await?;
    let scenes = today_scenes();
    let mut ita_l2 = Vec::new();
    for scene in &scenes {
        let (number, team) = open_scene(db, files, &categories, cast, scene, place).await?;
        play(db, cast, &number, &team, scene, place).await?;
        if let (Who::Student(i), "ita-l2") = (&scene.who, scene.category) {
            ita_l2.push((number, *i));
        }
    }
    Ok((scenes.len(), ita_l2))
}

/// A ticket a day or two over the last 30 days, answered within hours or days, resolved,
/// closed after a week, most rated; how many were opened.
pub async fn history(db: &Db, files: &FileStore, cast: &Cast, place: &Place) -> Result<usize, ServiceError> {
    use Step::*;
    let categories = db.read(crate::categories::list).await?;
    let kinds = history_kinds();
    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
    let today = crate::career::instances::today();
    let mut opened = 0;
    for day in 1..=30_i64 {
        for k in 0..(1 + day % 2) {
            let n = (day * 2 + k) as usize;
            let (category, subject, body, fields) = &kinds[n % kinds.len()];
            // English kinds are asked by the English-speaking students.
            let student = if matches!(*category, "stranieri" | "ita-l2") { 2 + n % 2 } else { n % 2 };
            let stars = [5, 4, 5, 3, 4, 2, 5][n % 7];
            let mut steps = vec![Assign, Reply(reply_for(category), Some(Status::Resolved))];
            if !n.is_multiple_of(3) {
                steps.push(Rate(stars, ""));
            }
            if day > 7 {
                steps.push(Close);
            }
            let scene = Scene { who: Who::Student(student), category, subject, body, fields: fields.clone(), files: &[], steps };
            let (number, team) = open_scene(db, files, &categories, cast, &scene, place).await?;
            play(db, cast, &number, &team, &scene, place).await?;
            let local = (today - Duration::days(day)).and_time(nine) + Duration::minutes(37 * (n as i64 % 13));
            let at = rome_to_utc(local);
            let span = Duration::hours(2 + 9 * (n as i64 % 5));
            let id = ticket_id(db, cast, &number).await?;
            db.write(move |conn| history::relive(conn, &id, at, span)).await?;
            opened += 1;
        }
    }
    Ok(opened)
}

fn reply_for(category: &str) -> &'static str {
    match category {
        "stranieri" | "ita-l2" => "Thank you for writing: you will find what you asked for in your reserved area.",
        "credenziali" => "Abbiamo reimpostato la password: segua il link che le è arrivato per sceglierne una nuova.",
        _ => "Buongiorno, abbiamo risolto: trova quanto richiesto nello Sportello Internet.",
    }
}

pub(super) fn rome_to_utc(local: NaiveDateTime) -> NaiveDateTime {
    chrono_tz::Europe::Rome.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc).naive_utc()).unwrap_or(local)
}

async fn open_scene(
    db: &Db,
    files: &FileStore,
    categories: &[Category],
    cast: &Cast,
    scene: &Scene,
    place: &Place,
) -> Result<(TicketNumber, String), ServiceError> {
    let mut uploads = Vec::new();
    for (key, filename, bytes) in scene.files {
        uploads.push(files.put(key, filename, bytes)?);
    }
    let (user, guest) = match scene.who {
        Who::Student(i) => (Some(student(cast, i)?.clone()), None),
        Who::Guest(name, email) => (None, Some(GuestInput { email: email.into(), name: name.into() })),
    };
    let mut fields = scene.fields.clone();
    // A procedure named in the form is started with the ticket, as the portal's form does.
    let career_action = fields
        .as_object_mut()
        .and_then(|f| f.remove(open::CAREER_ACTION_FIELD))
        .and_then(|kind| kind.as_str().map(str::to_owned))
        .map(|kind| crate::career::instances::NewCareerAction { kind, data: Some(json!({"programme": "laurea", "year": "2"})), external_ref: None });
    // The demo's students have read the category's privacy notice, as the form asks.
    let privacy_notice_version = categories
        .iter()
        .find(|c| c.row.slug == scene.category)
        .and_then(|c| c.notice.as_ref())
        .map(|n| i64::from(n.version.get()));
    let input = NewTicket {
        privacy_notice_version,
        category: scene.category.into(),
        subject: scene.subject.into(),
        body: scene.body.into(),
        fields,
        locale: user.as_ref().map(|u| u.locale),
        career_action,
        guest,
    };
    let opened = open::open(db, categories, Request { input, user, uploads, errors: Vec::new() }, place).await?;
    let number = opened.ticket.number.parse().map_err(|_| ServiceError::Internal(format!("bad number {}", opened.ticket.number)))?;
    Ok((number, opened.ticket.team))
}

fn student(cast: &Cast, i: usize) -> Result<&User, ServiceError> {
    cast.students.get(i).ok_or_else(|| ServiceError::Internal(format!("no demo student {i}")))
}

async fn play(db: &Db, cast: &Cast, number: &TicketNumber, team: &str, scene: &Scene, place: &Place) -> Result<(), ServiceError> {
    let agent = cast.agents_of(team)?[0].clone();
    let requester = match scene.who {
        Who::Student(i) => Some(student(cast, i)?.clone()),
        Who::Guest(..) => None,
    };
    for step in &scene.steps {
        let (agent, number, base) = (agent.clone(), number.clone(), place.base_url.clone());
        match step {
            Step::Assign => {
                let me = agent.id.clone();
                let patch = move |version| TicketPatch { version, status: None, priority: None, category: None, team: None, assignee: Some(Some(me)) };
                change(db, &agent, &number, patch, &base).await?;
            }
            Step::Close => {
                let patch = |version| TicketPatch { version, status: Some(Status::Closed), priority: None, category: None, team: None, assignee: None };
                change(db, &agent, &number, patch, &base).await?;
            }
            Step::Reply(body, status) => say(db, agent, number, body, *status, false, base).await?,
            Step::Note(body) => say(db, agent, number, body, None, true, base).await?,
            Step::StudentReply(body) => {
                let who = requester.clone().ok_or_else(|| ServiceError::Internal("a guest's scene has no student reply".into()))?;
                say(db, who, number, body, None, false, base).await?
            }
            Step::Rate(stars, comment) => {
                let who = requester.clone().ok_or_else(|| ServiceError::Internal("a guest's scene has no rating".into()))?;
                let (stars, comment) = (*stars, *comment);
                db.write(move |conn| rating::rate(conn, &who, &number, stars, comment)).await?;
            }
        }
    }
    Ok(())
}

async fn change(
    db: &Db,
    agent: &User,
    number: &TicketNumber,
    patch: impl FnOnce(i32) -> TicketPatch + Send + 'static,
    base: &str,
) -> Result<(), ServiceError> {
    let (agent, number, base) = (agent.clone(), number.clone(), base.to_owned());
    db.write(move |conn| {
        let version = query::get(conn, &agent, &number)?.version;
        update::patch(conn, &agent, &number, patch(version), &base)
    })
    .await
    .map(drop)
}

async fn say(db: &Db, who: User, number: TicketNumber, body: &str, status: Option<Status>, internal: bool, base: String) -> Result<(), ServiceError> {
    let input = NewMessage { body: body.into(), internal, status };
    db.write(move |conn| update::add_message(conn, &who, &number, input, &[], &base)).await.map(drop)
}

async fn ticket_id(db: &Db, cast: &Cast, number: &TicketNumber) -> Result<String, ServiceError> {
    let (admin, number) = (cast.admin.clone(), number.clone());
    db.read(move |conn| query::get(conn, &admin, &number).map(|t| t.id)).await
}
