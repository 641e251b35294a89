//! Full-text search over tickets for staff: number, subject, public messages, internal notes,
//! the requester's e-mail and matricola. Ranked, with a highlighted snippet.
//!
//! - SQLite: a contentless FTS5 table of Snowball stems (Italian and English, the same
//!   `kb::text` functions the knowledge base uses), one document per ticket, rewritten by
//!   `index_ticket`; every word of the query must match (in either language), `ticket_rank`
//!   (src/db/fts5_rank.rs: BM25's weighted term frequency without the corpus statistics that
//!   made FTS5's bm25 slow) ranks with the subject and number weighing most.
//! - PostgreSQL: a tsvector per ticket (italian and english configurations, weights A–D, GIN
//!   index), written by the `ticket_search_document` SQL function of the migration; every word
//!   of the query must match in one of the italian, english or simple configurations; `ts_rank`
//!   ranks.
//!
//! Only the newest matches are ranked (`Ranking`, 1,000 by default): they come first, best
//! first, and the older ones follow, newest first. Ranking costs a few microseconds per match,
//! and two common words match thousands of tickets in a large desk; staff nearly always look
//! for a recent one, and a precise query (a number, an e-mail, a rare word) is ranked whole.
//!
//! Snippets are cut here, for both backends, from the matching text (subject, a message, the
//! e-mail or the matricola) by `kb::text::snippet`: the text escaped, the matching words in
//! `<mark>` and nothing else, so they are safe HTML by construction.

use std::collections::HashMap;

use diesel::prelude::*;
use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

use super::listing::{
    checked_limit, decode_cursor, encode_cursor, views, AssigneeFilter, ListFilters, ListParams,
    Page,
};
use crate::accounts::User;
use crate::db::schema::{messages, tickets, users};
use crate::db::ticket_search::{self, matricola, Candidate, CandidateQuery, Stemmed};
use crate::db::search_file;
use crate::db::direct::Batch;
use crate::db::{write_tx, DbConn, Deferral};
use crate::domain::{Locale, Role, Status};
use crate::error::{FieldErrors, ServiceError};
use crate::kb::text::{self, term, words};
use crate::db::ticket_rows::TicketRow;
use crate::tickets::view::TicketView;

const SNIPPET_WORDS: usize = 30;
const CURSOR_TAG: &str = "rank";
/// Tickets indexed per transaction by the backfill.
const BACKFILL_BATCH: i64 = 2000;

/// How many of a search's newest matches are ranked by relevance (`HELPDESK_SEARCH_RANKED`),
/// and, on PostgreSQL, how many of the newest tickets' documents are kept apart for them
/// (`HELPDESK_SEARCH_NEWEST`, see `db::search_newest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ranking {
    pub window: i64,
    pub newest: i64,
}

impl Ranking {
    pub fn new(window: i64) -> Ranking {
        Ranking { window: window.max(1), ..Ranking::default() }
    }
}

impl Default for Ranking {
    /// A search matching one ticket in 250 or more finds its 1,000 newest matches among the
    /// 250,000 newest tickets (the common words, whose posting lists are the long ones); one
    /// matching fewer reads the whole index, as before.
    fn default() -> Ranking {
        Ranking { window: 1000, newest: 250_000 }
    }
}

/// Keeps PostgreSQL's newest documents to `ranking.newest`, moving a batch of older ones to
/// the whole index at a time (the `search_newest` job); nothing on SQLite.
pub fn prune_newest(conn: &mut DbConn, ranking: Ranking) -> Result<usize, ServiceError> {
    Ok(crate::db::search_newest::prune(conn, ranking.newest, NEWEST_BATCH)?)
}

/// Documents the `search_newest` job moves in one statement.
pub const NEWEST_BATCH: i64 = 5000;

/// `GET /api/v1/search`.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// Words, a ticket number, an e-mail address or a matricola (1 to 200 characters).
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// One ticket found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub number: String,
    pub subject: String,
    pub status: Status,
    /// Safe HTML: the matching text escaped, the matching words in `<mark>`.
    pub snippet: String,
    /// Higher is a better match (comparable within one answer only).
    pub rank: f64,
}

/// The terms one word is searched by: its Italian and English stems (one if they agree), or a
/// number as it is; none for a stop-word of either language or a single letter (an Italian
/// query's "per" or "la" must not have to match as English words).
fn word_terms(italian: &Stemmer, english: &Stemmer, word: &str) -> Vec<String> {
    if word.chars().all(|c| c.is_ascii_digit()) {
        return vec![word.to_owned()];
    }
    match (
        term(italian, Locale::It, word),
        term(english, Locale::En, word),
    ) {
        (Some(it), Some(en)) if it == en => vec![it],
        (Some(it), Some(en)) => vec![it, en],
        _ => Vec::new(),
    }
}

fn stemmers() -> (Stemmer, Stemmer) {
    (
        Stemmer::create(Algorithm::Italian),
        Stemmer::create(Algorithm::English),
    )
}

/// The stored copy of a text in the SQLite index: every word's terms, space-separated.
fn index_terms(text: &str) -> String {
    let (it, en) = stemmers();
    words(text)
        .flat_map(|(_, w)| word_terms(&it, &en, w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The query's words, each as the terms that may match it (stop-words dropped).
fn query_groups(q: &str) -> Vec<Vec<String>> {
    let (it, en) = stemmers();
    let mut groups: Vec<Vec<String>> = Vec::new();
    for (_, w) in words(q) {
        let terms = word_terms(&it, &en, w);
        if !terms.is_empty() && !groups.contains(&terms) {
            groups.push(terms);
        }
    }
    groups
}

/// The query's space-separated pieces that hold a word searched for, for PostgreSQL to parse
/// as it parsed the documents (a ticket number or an e-mail address stays whole).
fn query_pieces(q: &str) -> Vec<String> {
    let (it, en) = stemmers();
    let mut pieces: Vec<String> = Vec::new();
    for piece in q.split_whitespace() {
        let searched = words(piece).any(|(_, w)| !word_terms(&it, &en, w).is_empty());
        if searched && !pieces.iter().any(|p| p == piece) {
            pieces.push(piece.to_owned());
        }
    }
    pieces
}

/// An FTS5 expression: every group must match, any term of a group will do. Terms are letters
/// and digits only; quoting makes each a plain token.
fn fts5_expression(groups: &[Vec<String>]) -> String {
    groups
        .iter()
        .map(|g| {
            format!(
                "({})",
                g.iter()
                    .map(|t| format!("\"{t}\""))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            )
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

struct Ranked {
    ticket_id: String,
    rank: f64,
}

/// Rewrites a ticket's search document. Call inside the transaction that wrote the ticket or
/// one of its messages, so the index never lags behind the data.
pub fn index_ticket(conn: &mut DbConn, ticket_id: &str) -> Result<(), ServiceError> {
    Ok(ticket_search::write_document(conn, ticket_id, write_sqlite_documents)?)
}

/// Writes the search document of a ticket created in this transaction.
pub fn index_new_ticket<'q>(batch: &mut Batch<'_, 'q>, doc: &ticket_search::NewDocument<'q>) -> Result<(), ServiceError> {
    Ok(ticket_search::write_new_document(batch, doc, write_sqlite_documents)?)
}

/// SQLite's documents of a writer batch's tickets, made of their stems.
fn write_sqlite_documents(conn: &mut DbConn, deferred: Vec<Deferral>) -> diesel::QueryResult<()> {
    ticket_search::write_fts5(conn, deferred, index_terms)
}

/// SQLite's terms of a new ticket's texts, for `index_new_ticket`: call before the write
/// transaction (SQLite has one writer thread; stemming can run beside it).
pub fn stem_new_ticket(subject: &str, body: &str, requester_email: &str, fields: &serde_json::Value) -> Stemmed {
    Stemmed {
        subject: index_terms(subject),
        body: index_terms(body),
        requester: ticket_search::requester_terms(requester_email, ticket_search::matricola_of(fields), index_terms),
    }
}

/// Indexes the tickets a migration marked (SQLite: stems are computed here, not in SQL).
/// Returns how many it indexed; nothing to do on PostgreSQL, whose migration fills the index.
/// First, SQLite's index file is checked to be this database's (else emptied, and every
/// ticket marked).
pub fn backfill(conn: &mut DbConn) -> Result<usize, ServiceError> {
    let mut index = search_file::Backfill::open(conn)?;
    let mut done = 0;
    loop {
        let batch = ticket_search::pending(conn, BACKFILL_BATCH)?;
        if batch.is_empty() {
            if done > 0 {
                index.finish()?;
            }
            return Ok(done);
        }
        // One write of the whole batch, moved at once: FTS5 makes one segment of it; then the
        // merges that segment calls for (the writer is not serving yet).
        write_tx(conn, |conn| {
            let marked = batch.iter().map(|id| Deferral { key: id.clone(), prepared: None }).collect();
            write_sqlite_documents(conn, marked)
        })?;
        index.take(conn)?;
        done += batch.len();
    }
}

/// How many ranked candidates the first try joins to their tickets, per row of the page: an
/// agent sees well over a quarter of the desk, so four per row nearly always fill the page.
const CANDIDATES_PER_ROW: i64 = 4;

/// Where the previous page of a search ended, and where its ranked window ended (so the next
/// pages rank the same matches even when newer ones arrive meanwhile).
struct RankCursor {
    rank: f64,
    id: String,
    edge: Option<String>,
}

impl RankCursor {
    fn encode(&self) -> String {
        let mut key = format!("{:016x}", self.rank.to_bits());
        if let Some(edge) = &self.edge {
            key.push('.');
            key.push_str(edge);
        }
        encode_cursor(CURSOR_TAG, &key, &self.id)
    }

    fn decode(raw: &str) -> Result<RankCursor, String> {
        let invalid = || "is not a cursor this server gave".to_owned();
        let (key, id) = decode_cursor(raw, CURSOR_TAG)?;
        let (bits, edge) = match key.split_once('.') {
            Some((bits, edge)) if !edge.is_empty() && edge.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
                (bits.to_owned(), Some(edge.to_owned()))
            }
            Some(_) => return Err(invalid()),
            None => (key, None),
        };
        let bits = u64::from_str_radix(&bits, 16).map_err(|_| invalid())?;
        Ok(RankCursor { rank: f64::from_bits(bits), id, edge })
    }
}

/// A checked search: the query, its terms, filters, where to start, how many.
struct SearchRequest {
    /// The pieces searched for (PostgreSQL parses them), and the words' terms (SQLite's index).
    pieces: Vec<String>,
    groups: Vec<Vec<String>>,
    filters: ListFilters,
    cursor: Option<RankCursor>,
    limit: i64,
}

impl SearchRequest {
    fn parse(
        q: Option<&str>,
        cursor: Option<&str>,
        limit: Option<i64>,
        filters: ListFilters,
        mut errors: FieldErrors,
    ) -> Result<Self, ServiceError> {
        let limit = checked_limit(limit, &mut errors);
        let cursor = cursor.and_then(|raw| errors.check("cursor", RankCursor::decode(raw)));
        let q = match crate::kb::checked_query(q) {
            Ok(q) => q,
            Err(ServiceError::Validation(list)) => {
                list.into_iter()
                    .for_each(|e| errors.add(e.field, e.message));
                String::new()
            }
            Err(other) => return Err(other),
        };
        let (pieces, groups) = (query_pieces(&q), query_groups(&q));
        if !q.is_empty() && groups.is_empty() {
            errors.add(
                "q",
                "has no word to search for (only stop-words or single letters)",
            );
        }
        errors.into_result()?;
        Ok(SearchRequest {
            pieces,
            groups,
            filters,
            cursor,
            limit,
        })
    }
}

fn staff_only(user: &User) -> Result<(), ServiceError> {
    if user.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("search is for staff only".into()))
    }
}

/// The ids of the tickets matching, best first, visible to `user` and within the filters; and
/// the cursor of the next page.
///
/// The matches are ranked in the index alone and only the best few joined to their tickets
/// and filtered (`candidates`); the page is exact when every row it needs ranks above the
/// lowest candidate (anything left out ranks lower, or ties it). Otherwise more candidates are
/// tried, and at last all of them.
fn ranked(
    conn: &mut DbConn,
    user: &User,
    request: &SearchRequest,
    ranking: Ranking,
) -> Result<(Vec<Ranked>, Option<String>), ServiceError> {
    let want = request.limit + 1;
    let mut take = Some(want * CANDIDATES_PER_ROW);
    let mut rows = loop {
        let found = candidates(conn, user, request, ranking, take)?;
        let Some(limit) = take else {
            break found;
        };
        let (n, floor) = found.first().map_or((0, None), |c| (c.n, c.floor));
        let exhaustive = n < limit;
        let exact =
            found.len() as i64 == want && found.iter().all(|c| floor.is_some_and(|f| c.rank.is_some_and(|r| r > f)));
        if exhaustive || exact {
            break found;
        }
        take = (limit < 64 * want * CANDIDATES_PER_ROW).then_some(limit * 8);
    };
    let edge = rows.first().and_then(|c| c.edge.clone()).filter(|e| !e.is_empty());
    let mut rows: Vec<Ranked> = rows
        .drain(..)
        .filter_map(|c| Some(Ranked { ticket_id: c.ticket_id?, rank: c.rank? }))
        .collect();
    let next = if rows.len() as i64 > request.limit {
        rows.truncate(request.limit as usize);
        rows.last().map(|r| {
            RankCursor {
                rank: r.rank,
                id: r.ticket_id.clone(),
                edge,
            }
            .encode()
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// One try of `ranked`: the best `take` matches (all with `None`) joined to their tickets,
/// filtered, the page's rows of them in order.
fn candidates(
    conn: &mut DbConn,
    user: &User,
    request: &SearchRequest,
    ranking: Ranking,
    take: Option<i64>,
) -> Result<Vec<Candidate>, ServiceError> {
    let f = &request.filters;
    let query = CandidateQuery {
        fts5: fts5_expression(&request.groups),
        pieces: request.pieces.join(" "),
        every_ticket: user.role != Role::Agent,
        team_ids: &user.team_ids,
        user_id: &user.id,
        statuses: f.statuses.iter().map(|s| s.as_str()).collect(),
        priorities: f.priorities.iter().map(|p| p.as_str()).collect(),
        category_id: f.category_id.as_deref(),
        team_id: f.team_id.as_deref(),
        assignee: f.assignee.as_ref().map(|a| match a {
            AssigneeFilter::Nobody => String::new(),
            AssigneeFilter::User(id) => id.clone(),
        }),
        created_from: f.created_from,
        created_to: f.created_to,
        after: request.cursor.as_ref().map(|c| (c.rank, c.id.clone())),
        page_rows: request.limit + 1,
        take,
        // The window: the newest `ranking.window` matches, or (with a cursor) all from its edge on.
        edge: request.cursor.as_ref().and_then(|c| c.edge.clone()),
        window: ranking.window,
    };
    Ok(ticket_search::candidates(conn, &query)?)
}

/// The ranked rows' tickets, in rank order.
fn tickets_of(conn: &mut DbConn, ranked: &[Ranked]) -> Result<Vec<TicketRow>, ServiceError> {
    let ids: Vec<&str> = ranked.iter().map(|r| r.ticket_id.as_str()).collect();
    let mut rows: Vec<TicketRow> = tickets::table
        .filter(tickets::id.eq_any(&ids))
        .select(TicketRow::as_select())
        .load(conn)?;
    rows.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
    Ok(rows)
}

/// Which words of a page's texts match the query, per language, each word stemmed once per
/// page (`text::snippet` would stem every word of every text in both languages).
struct HitWords<'a> {
    terms: &'a [String],
    stemmers: (Stemmer, Stemmer),
    seen: HashMap<(bool, String), bool>,
}

impl<'a> HitWords<'a> {
    fn new(terms: &'a [String]) -> Self {
        HitWords { terms, stemmers: stemmers(), seen: HashMap::new() }
    }

    /// As `text::snippet` marks it: the word's term in that language is one of the query's.
    fn hit(&mut self, locale: Locale, word: &str) -> bool {
        let italian = locale == Locale::It;
        if let Some(&hit) = self.seen.get(&(italian, word.to_owned())) {
            return hit;
        }
        let stemmer = if italian { &self.stemmers.0 } else { &self.stemmers.1 };
        let hit = term(stemmer, locale, word).is_some_and(|t| self.terms.contains(&t));
        self.seen.insert((italian, word.to_owned()), hit);
        hit
    }

    /// How many words `text::snippet(text, locale, terms, SNIPPET_WORDS)` would mark: the most
    /// hits in a window of that many words.
    fn marks(&mut self, text: &str, locale: Locale) -> usize {
        let hits: Vec<bool> = words(text).map(|(_, w)| self.hit(locale, w)).collect();
        let width = SNIPPET_WORDS.min(hits.len());
        if width == 0 {
            return 0;
        }
        let mut in_window = hits[..width].iter().filter(|h| **h).count();
        let mut most = in_window;
        for start in 1..=(hits.len() - width) {
            in_window = in_window - usize::from(hits[start - 1]) + usize::from(hits[start + width - 1]);
            most = most.max(in_window);
        }
        most
    }
}

/// The best snippet among a ticket's texts: the one with the most matching words (the subject
/// first among equals); the first message, unmarked, when only the number matched. Only the
/// chosen text is cut (`hits` finds it).
fn best_snippet(texts: &[&str], hits: &mut HitWords) -> String {
    let mut best: Option<(usize, &str, Locale)> = None;
    for text in texts {
        for locale in [Locale::It, Locale::En] {
            let marks = hits.marks(text, locale);
            if best.as_ref().is_none_or(|(most, _, _)| marks > *most) {
                best = Some((marks, text, locale));
            }
        }
    }
    match best {
        Some((marks, text, locale)) if marks > 0 => text::snippet(text, locale, hits.terms, SNIPPET_WORDS),
        _ => texts
            .get(1)
            .or(texts.first())
            .map(|t| text::snippet(t, Locale::It, &[], SNIPPET_WORDS))
            .unwrap_or_default(),
    }
}

/// `GET /api/v1/search`: staff only; every visible ticket (but unverified guest ones).
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub fn search(
    conn: &mut DbConn,
    user: &User,
    params: &SearchParams,
    ranking: Ranking,
) -> Result<Page<SearchHit>, ServiceError> {
    staff_only(user)?;
    let request = SearchRequest::parse(
        params.q.as_deref(),
        params.cursor.as_deref(),
        params.limit,
        ListFilters::default(),
        FieldErrors::default(),
    )?;
    let (ranked, next_cursor) = ranked(conn, user, &request, ranking)?;
    let rows = tickets_of(conn, &ranked)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let thread: Vec<(String, String)> = messages::table
        .filter(messages::ticket_id.eq_any(&ids))
        .filter(messages::kind.ne("system"))
        .order(messages::id.asc())
        .select((messages::ticket_id, messages::body))
        .load(conn)?;
    let requester_ids: Vec<&str> = rows.iter().map(|r| r.requester_id.as_str()).collect();
    let emails: Vec<(String, String)> = users::table
        .filter(users::id.eq_any(&requester_ids))
        .select((users::id, users::email))
        .load(conn)?;
    let terms: Vec<String> = request.groups.concat();
    let mut hits = HitWords::new(&terms);
    let mut items = Vec::with_capacity(rows.len());
    for (row, rank) in rows.iter().zip(&ranked) {
        let email = emails
            .iter()
            .find(|(id, _)| *id == row.requester_id)
            .map(|(_, e)| e.as_str())
            .unwrap_or("");
        let matricola = matricola(&row.fields).unwrap_or_default();
        let mut texts: Vec<&str> = vec![&row.subject];
        texts.extend(
            thread
                .iter()
                .filter(|(t, _)| *t == row.id)
                .map(|(_, b)| b.as_str()),
        );
        texts.extend([email, matricola.as_str()]);
        items.push(SearchHit {
            number: row.number.clone(),
            subject: row.subject.clone(),
            status: row.status,
            snippet: best_snippet(&texts, &mut hits),
            rank: rank.rank,
        });
    }
    Ok(Page { items, next_cursor })
}

/// `GET /api/v1/tickets?q=words` for staff: the matching tickets as list views, best first,
/// with the list's filters (`sort` does not apply: results are ranked).
pub fn list_matching(
    conn: &mut DbConn,
    user: &User,
    params: &ListParams,
    ranking: Ranking,
) -> Result<Page<TicketView>, ServiceError> {
    staff_only(user)?;
    let mut errors = FieldErrors::default();
    let filters = ListFilters::parse(conn, user, params, &mut errors)?;
    let request = SearchRequest::parse(
        params.q.as_deref(),
        params.cursor.as_deref(),
        params.limit,
        filters,
        errors,
    )?;
    let (ranked, next_cursor) = ranked(conn, user, &request, ranking)?;
    let rows = tickets_of(conn, &ranked)?;
    Ok(Page {
        items: views(conn, user, &rows)?,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_in_either_language_and_numbers_as_they_are() {
        let groups = query_groups("Iscrizioni per la matricola 1012345 e 4");
        assert_eq!(groups.len(), 4, "{groups:?}");
        assert!(groups[0].contains(&"iscrizion".to_owned()), "{groups:?}");
        assert!(index_terms("la mia iscrizione")
            .split(' ')
            .any(|t| t == "iscrizion"));
        assert_eq!(groups[2], ["1012345"]);
        assert_eq!(groups[3], ["4"]);
        assert_eq!(
            fts5_expression(&[vec!["a1".into(), "b1".into()], vec!["42".into()]]),
            "(\"a1\" OR \"b1\") AND (\"42\")"
        );
        assert!(query_groups("?! … -").is_empty());
        assert_eq!(query_pieces("HD-2026-000003 per la mario.rossi@unibg.it iscrizione per"), ["HD-2026-000003", "mario.rossi@unibg.it", "iscrizione"]);
    }

    #[test]
    fn rank_cursors_round_trip_exactly() {
        for edge in [None, Some("1234".to_owned()), Some(uuid::Uuid::now_v7().to_string())] {
            let cursor = RankCursor { rank: -0.000_001_234_5, id: uuid::Uuid::now_v7().to_string(), edge };
            let back = RankCursor::decode(&cursor.encode()).unwrap();
            assert_eq!((back.rank.to_bits(), back.id, back.edge), (cursor.rank.to_bits(), cursor.id, cursor.edge));
        }
        assert!(RankCursor::decode("bm90IGEgY3Vyc29y").is_err());
        let id = uuid::Uuid::now_v7().to_string();
        assert!(RankCursor::decode(&encode_cursor(CURSOR_TAG, "3ff0000000000000.12'3", &id)).is_err());
        assert!(RankCursor::decode(&encode_cursor(CURSOR_TAG, "3ff0000000000000.", &id)).is_err());
    }

    #[test]
    fn the_snippet_is_the_text_that_matches_and_safe() {
        let terms = query_groups("iscrizioni").concat();
        let s = best_snippet(
            &[
                "Altro <b>argomento</b>",
                "Domanda sulla mia <script>iscrizione</script>",
            ],
            &mut HitWords::new(&terms),
        );
        assert!(s.contains("<mark>iscrizione</mark>"), "{s}");
        assert!(
            s.contains("&lt;script&gt;") && !s.contains("<script>"),
            "{s}"
        );
        assert_eq!(
            best_snippet(&["Oggetto", "Primo messaggio"], &mut HitWords::new(&terms)),
            "Primo messaggio"
        );
    }
}
