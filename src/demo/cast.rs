//! The demo's people: an administrator, agents in every team (and a supervisor), students.
//! Addresses are under example.org (reserved: the mails the demo queues reach nobody); one
//! random password per run, printed by the command.

use rand::distributions::{Alphanumeric, DistString};

use crate::accounts::{self, NewAccount, NewStaff, User};
use crate::db::Db;
use crate::domain::{Email, Locale, Role};
use crate::error::ServiceError;

pub struct DemoAccount {
    pub role: Role,
    pub email: String,
    pub name: String,
    pub password: String,
}

/// The people the script acts as.
pub struct Cast {
    pub password: String,
    pub admin: User,
    /// Per team slug, its agents (the first one does most of the work).
    pub agents: Vec<(&'static str, Vec<User>)>,
    pub students: Vec<User>,
}

impl Cast {
    /// The team's agents (every team of the seeded categories has some).
    pub fn agents_of(&self, team: &str) -> Result<&[User], ServiceError> {
        self.agents
            .iter()
            .find(|(slug, _)| *slug == team)
            .map(|(_, users)| users.as_slice())
            .filter(|users| !users.is_empty())
            .ok_or_else(|| ServiceError::Internal(format!("the demo has no agent in team {team}")))
    }

    pub fn accounts(&self) -> Vec<DemoAccount> {
        let staff = std::iter::once(&self.admin).chain(self.agents.iter().flat_map(|(_, users)| users));
        let mut seen = std::collections::HashSet::new();
        staff
            .chain(&self.students)
            .filter(|u| seen.insert(u.id.clone()))
            .map(|u| DemoAccount { role: u.role, email: u.email.clone(), name: u.display_name.clone(), password: self.password.clone() })
            .collect()
    }
}

const STAFF: &[(&str, &str, Role, &[&str])] = &[
    ("admin@example.org", "Anna Amministratrice", Role::Admin, &["segreteria", "stranieri", "it"]),
    ("laura.colombo@example.org", "Laura Colombo", Role::Agent, &["segreteria"]),
    ("marco.ferrari@example.org", "Marco Ferrari", Role::Supervisor, &["segreteria", "stranieri"]),
    ("sara.conti@example.org", "Sara Conti", Role::Agent, &["stranieri"]),
    ("paolo.ricci@example.org", "Paolo Ricci", Role::Agent, &["it"]),
];

const STUDENTS: &[(&str, &str, Locale)] = &[
    ("giulia.bianchi@studenti.example.org", "Giulia Bianchi", Locale::It),
    ("luca.moretti@studenti.example.org", "Luca Moretti", Locale::It),
    ("amina.haddad@studenti.example.org", "Amina Haddad", Locale::En),
    ("chen.wei@studenti.example.org", "Chen Wei", Locale::En),
];

pub async fn create(db: &Db) -> Result<Cast, ServiceError> {
    let password = format!("demo-{}", Alphanumeric.sample_string(&mut rand::thread_rng(), 10));
    let mut staff = Vec::new();
    for (email, name, role, teams) in STAFF {
        let input = NewStaff {
            email: (*email).into(),
            password: password.clone(),
            display_name: (*name).into(),
            role: *role,
            teams: teams.iter().map(|t| (*t).to_owned()).collect(),
            locale: Locale::It,
        };
        staff.push(accounts::create_staff(db, input).await?);
    }
    let mut students = Vec::new();
    for (email, name, locale) in STUDENTS {
        students.push(student(db, email, name, *locale, &password).await?);
    }
    let admin = staff.remove(0);
    let agents = ["segreteria", "stranieri", "it"]
        .into_iter()
        .map(|team| (team, staff.iter().filter(|u| u.teams.iter().any(|t| t == team)).cloned().collect()))
        .collect();
    Ok(Cast { password, admin, agents, students })
}

/// A student account as a registration makes it, its address vouched for (no mail to follow).
async fn student(db: &Db, email: &str, name: &str, locale: Locale, password: &str) -> Result<User, ServiceError> {
    let email = Email::parse(email).map_err(|e| ServiceError::Internal(format!("demo address {email}: {e}")))?;
    let password_hash = accounts::hash_off_thread(password.to_owned()).await?;
    let account = NewAccount { email, password_hash, display_name: name.into(), role: Role::Student, locale, team_ids: Vec::new() };
    db.write(move |conn| {
        let user = accounts::create_account(conn, account)?;
        accounts::vouch_for_address(conn, &user.id)?;
        accounts::find_user(conn, &user.id)
    })
    .await
}
