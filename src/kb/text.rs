//! Words to search terms: lower case, split on anything not a letter or digit, stop-words
//! dropped, reduced to their Snowball stem (Italian or English). The same function prepares the
//! stored copy of an article (SQLite) and the words of a query, so "rinuncio" finds "rinuncia".

use rust_stemmers::{Algorithm, Stemmer};

use crate::domain::Locale;

const STOP_IT: &[&str] = &[
    "a", "ad", "agli", "ai", "al", "alla", "alle", "allo", "anche", "che", "chi", "ci", "come", "con", "cosa", "da",
    "dal", "dalla", "dalle", "dei", "del", "della", "delle", "dello", "di", "dove", "e", "ed", "gli", "ha", "hai", "ho",
    "i", "il", "in", "io", "la", "le", "lo", "ma", "mi", "mio", "mia", "ne", "nei", "nel", "nella", "nelle", "non", "o",
    "per", "perché", "più", "posso", "può", "quale", "quando", "se", "si", "sono", "su", "sul", "sulla", "ti", "tra",
    "tu", "tuo", "tua", "un", "una", "uno", "vorrei", "è",
];

const STOP_EN: &[&str] = &[
    "a", "about", "am", "an", "and", "are", "as", "at", "be", "been", "by", "can", "can't", "cannot", "could", "do",
    "does", "for", "from", "has", "have", "how", "i", "if", "in", "is", "it", "its", "me", "my", "of", "on", "or",
    "should", "so", "that", "the", "their", "there", "this", "to", "was", "we", "what", "when", "where", "which", "who",
    "why", "will", "with", "would", "you", "your",
];

fn algorithm(locale: Locale) -> Algorithm {
    match locale {
        Locale::It => Algorithm::Italian,
        Locale::En => Algorithm::English,
    }
}

fn is_stop(word: &str, locale: Locale) -> bool {
    match locale {
        Locale::It => STOP_IT.contains(&word),
        Locale::En => STOP_EN.contains(&word),
    }
}

/// The words of `text` with their byte ranges (letters and digits; apostrophes split).
pub fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(move |w| {
        // `split` yields sub-slices of `text`: their offset is the pointer difference.
        let start = w.as_ptr() as usize - text.as_ptr() as usize;
        (start, w)
    })
}

/// One word's search term, or None for a stop-word or a single letter.
pub fn term(stemmer: &Stemmer, locale: Locale, word: &str) -> Option<String> {
    let lower = word.to_lowercase();
    if lower.chars().count() < 2 || is_stop(&lower, locale) {
        return None;
    }
    Some(stemmer.stem(&lower).into_owned())
}

/// The search terms of `text` in `locale`, in order (repeats kept: they count for ranking).
pub fn terms(text: &str, locale: Locale) -> Vec<String> {
    let stemmer = Stemmer::create(algorithm(locale));
    words(text).filter_map(|(_, w)| term(&stemmer, locale, w)).collect()
}

/// The stored, stemmed copy of a text (space-separated terms).
pub fn stemmed(text: &str, locale: Locale) -> String {
    terms(text, locale).join(" ")
}

/// The distinct terms of a query in each language asked (both when none is).
pub fn query_terms(query: &str, locales: &[Locale]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for &locale in locales {
        for t in terms(query, locale) {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// An FTS5 MATCH expression: any of the terms (OR), ranked by bm25, so an extra word never
/// empties the answer. Terms are letters and digits only; quoting makes each a plain token.
pub fn fts5_match(terms: &[String]) -> Option<String> {
    if terms.is_empty() {
        return None;
    }
    Some(terms.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(" OR "))
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Marks of the highlighted words that the database writes (PostgreSQL's ts_headline): turned
/// into `<mark>` only after the rest is escaped.
pub const START_MARK: char = '\u{2}';
pub const STOP_MARK: char = '\u{3}';

/// A text with `START_MARK`/`STOP_MARK` as safe HTML with `<mark>` elements.
pub fn marked_to_html(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    escape_html(&collapsed).replace(START_MARK, "<mark>").replace(STOP_MARK, "</mark>")
}

/// About `width` words of `body` around the densest run of words whose term is one of
/// `terms`, as safe HTML: those words in `<mark>`, "…" where the text is cut.
pub fn snippet(body: &str, locale: Locale, terms: &[String], width: usize) -> String {
    let stemmer = Stemmer::create(algorithm(locale));
    let all: Vec<(usize, &str, bool)> = words(body)
        .map(|(at, w)| {
            let hit = term(&stemmer, locale, w).is_some_and(|t| terms.contains(&t));
            (at, w, hit)
        })
        .collect();
    if all.is_empty() {
        return String::new();
    }
    let width = width.max(1).min(all.len());
    // The window with the most hits (the first of equals).
    let mut hits: usize = all[..width].iter().filter(|w| w.2).count();
    let (mut best, mut best_hits) = (0, hits);
    for start in 1..=(all.len() - width) {
        hits = hits - usize::from(all[start - 1].2) + usize::from(all[start + width - 1].2);
        if hits > best_hits {
            best = start;
            best_hits = hits;
        }
    }
    // Start a little before the first hit, so it has some context.
    let first_hit = all[best..best + width].iter().position(|w| w.2).unwrap_or(0);
    let start = best + first_hit.saturating_sub(3);
    let start = start.min(all.len() - width);
    let window = &all[start..start + width];
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut cursor = window[0].0;
    for &(at, w, hit) in window {
        out.push_str(&escape_html(&collapse(&body[cursor..at])));
        if hit {
            out.push_str("<mark>");
            out.push_str(&escape_html(w));
            out.push_str("</mark>");
        } else {
            out.push_str(&escape_html(w));
        }
        cursor = at + w.len();
    }
    if start + width < all.len() {
        out.push_str(" …");
    }
    out
}

/// The text between two words on one line: its whitespace as single spaces at its ends.
fn collapse(between: &str) -> String {
    let kept = between.split_whitespace().collect::<Vec<_>>().join(" ");
    if kept.is_empty() {
        return if between.is_empty() { String::new() } else { " ".to_owned() };
    }
    let before = if between.starts_with(char::is_whitespace) { " " } else { "" };
    let after = if between.ends_with(char::is_whitespace) { " " } else { "" };
    format!("{before}{kept}{after}")
}

/// The language a query is written in, when its little words tell (it has "come", "agli"…
/// or "how", "my"…); None when they do not, or tell both.
pub fn guess_locale(query: &str) -> Option<Locale> {
    let (mut it, mut en) = (0, 0);
    for (_, word) in words(query) {
        let w = word.to_lowercase();
        let (in_it, in_en) = (STOP_IT.contains(&w.as_str()), STOP_EN.contains(&w.as_str()));
        if in_it && !in_en {
            it += 1;
        }
        if in_en && !in_it {
            en += 1;
        }
        // Other words by their look: accented vowels or an ending in -a, -i, -o are Italian
        // ("dimenticata", "corsi singoli"), a consonant ending English ("forgot password").
        if !in_it && !in_en && w.chars().count() >= 4 {
            if w.contains(['à', 'è', 'é', 'ì', 'ò', 'ù']) || w.ends_with(['a', 'i', 'o']) {
                it += 1;
            } else if w.ends_with(|c: char| c.is_ascii_alphabetic() && !"aeiou".contains(c)) {
                en += 1;
            }
        }
    }
    match it.cmp(&en) {
        std::cmp::Ordering::Greater => Some(Locale::It),
        std::cmp::Ordering::Less => Some(Locale::En),
        std::cmp::Ordering::Equal => None,
    }
}

/// A URL-safe slug: ASCII letters and digits (accents dropped), dashes between words.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    // Long headings make long URLs: keep whole words up to about 60 characters.
    match trimmed.char_indices().rev().find(|&(i, c)| c == '-' && i <= 60) {
        Some((cut, _)) if trimmed.len() > 60 => trimmed[..cut].to_owned(),
        _ => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_inflections_share_a_stem_and_stop_words_go() {
        // "come rinuncio agli studi" must meet "RINUNCIA AGLI STUDI UNIVERSITARI".
        let query = terms("come rinuncio agli studi", Locale::It);
        let title = terms("RINUNCIA AGLI STUDI UNIVERSITARI", Locale::It);
        assert_eq!(query.len(), 2, "{query:?}");
        assert!(query.iter().all(|t| title.contains(t)), "{query:?} vs {title:?}");
    }

    #[test]
    fn english_terms_are_stemmed() {
        assert_eq!(terms("Can't remember your passwords?", Locale::En), ["rememb", "password"]);
    }

    #[test]
    fn a_query_is_an_or_of_quoted_terms_in_both_languages() {
        let t = query_terms("forgot password", &[Locale::It, Locale::En]);
        assert!(t.contains(&"password".to_owned()));
        assert_eq!(fts5_match(&t[..1]), Some(format!("\"{}\"", t[0])));
        assert!(fts5_match(&t).is_some_and(|m| m.contains(" OR ")));
        assert_eq!(fts5_match(&query_terms("come e di", &[Locale::It])), None);
    }

    #[test]
    fn snippets_mark_matching_words_and_escape_the_rest() {
        let body = "Prima <b>nota</b>. La domanda di rinuncia agli studi si presenta online. Altro testo.";
        let terms = query_terms("rinuncio studi", &[Locale::It]);
        let s = snippet(body, Locale::It, &terms, 8);
        assert!(s.contains("<mark>rinuncia</mark>"), "{s}");
        assert!(s.contains("<mark>studi</mark>"), "{s}");
        assert!(!s.contains("<b>"), "{s}");
        assert!(snippet("Carriera >\n Domanda;\n- istanza", Locale::It, &[], 10).contains("Carriera &gt; Domanda; - istanza"));
        assert_eq!(marked_to_html("a \u{2}x<y\u{3}\n b"), "a <mark>x&lt;y</mark> b");
    }

    #[test]
    fn words_without_little_words_tell_by_their_look() {
        assert_eq!(guess_locale("corsi singoli"), Some(Locale::It));
        assert_eq!(guess_locale("recupero password dimenticata"), Some(Locale::It));
        assert_eq!(guess_locale("forgot password"), Some(Locale::En));
        assert_eq!(guess_locale("password dimenticata"), None);
    }

    #[test]
    fn the_little_words_tell_the_query_language() {
        assert_eq!(guess_locale("come rinuncio agli studi"), Some(Locale::It));
        assert_eq!(guess_locale("how do I reset my password"), Some(Locale::En));
        assert_eq!(guess_locale("ISEEU"), None);
    }

    #[test]
    fn slugs_are_ascii_and_short() {
        assert_eq!(slugify("12. RINUNCIA AGLI STUDI UNIVERSITARI"), "12-rinuncia-agli-studi-universitari");
        assert_eq!(slugify("Can't remember your password?"), "can-t-remember-your-password");
        assert_eq!(slugify("Università: è così"), "universita-e-cosi");
        assert!(slugify(&"parola ".repeat(30)).len() <= 60);
    }
}
