//! Chapters the table of contents lists whose heading line the text has lost.
//!
//! Between two chapters found by their headings, the text is cut at its heading-like lines into
//! units (a unit: a possible heading and the lines up to the next one). The chapters listed in
//! between take consecutive runs of units, in order, after the run of the chapter found; the
//! cut chosen is the one whose units best match the titles of their chapters. A unit matches a
//! title by the title's words (their stems) it has, each weighing more the rarer it is in the
//! guide (a word every chapter uses says little); the first unit of a placed chapter counts its
//! heading's words twice more (a chapter that lost its heading most likely starts at a heading
//! that echoes its title). Units no title speaks of stay with the chapter before; a chapter no
//! unit speaks of stays unplaced.

use std::collections::{HashMap, HashSet};

use super::{is_heading_like, listed_chapters, Chapter};
use crate::domain::Locale;
use crate::kb::text;

/// The chapters found, with those of the table of contents placed among them, in order.
pub(super) fn with_missing(lines: &[&str], found: &[(usize, u32)], locale: Locale) -> Vec<Chapter> {
    let first = found.first().map_or(0, |f| f.0);
    let listed = listed_chapters(&lines[..first]);
    let weights = Weights::new(lines, locale);
    let mut out = Vec::new();
    for (k, &(line, number)) in found.iter().enumerate() {
        let title = lines[line].trim().to_owned();
        let (end, next) = found.get(k + 1).map_or((lines.len(), u32::MAX), |&(l, n)| (l, n));
        let missing: Vec<String> =
            listed.iter().filter(|(n, _)| *n > number && *n < next).map(|(n, t)| format!("{n}. {t}")).collect();
        let placed = if missing.is_empty() { Vec::new() } else { place(lines, line, end, &title, &missing, &weights) };
        out.push(Chapter { line, title, heading: true });
        out.extend(placed);
    }
    out
}

/// How much each stem says: ln(lines / lines having it).
struct Weights {
    locale: Locale,
    lines: f64,
    having: HashMap<String, usize>,
}

impl Weights {
    fn new(lines: &[&str], locale: Locale) -> Weights {
        let mut having: HashMap<String, usize> = HashMap::new();
        for line in lines {
            for term in stems(line, locale) {
                *having.entry(term).or_default() += 1;
            }
        }
        Weights { locale, lines: lines.len().max(1) as f64, having }
    }

    fn of(&self, term: &str) -> f64 {
        let having = self.having.get(term).copied().unwrap_or(0).max(1) as f64;
        (self.lines / having).ln().max(0.0)
    }
}

/// The distinct stems of a text, numbers left out (years and chapter numbers are everywhere).
fn stems(text: &str, locale: Locale) -> HashSet<String> {
    text::terms(text, locale).into_iter().filter(|t| !t.chars().all(|c| c.is_ascii_digit())).collect()
}

/// A run of lines from a possible heading to the next one: the stems of its heading and of
/// all its lines.
struct Unit {
    start: usize,
    head: HashSet<String>,
    all: HashSet<String>,
}

fn weigh(title: &HashSet<String>, words: &HashSet<String>, weights: &Weights) -> f64 {
    title.intersection(words).map(|t| weights.of(t)).sum()
}

/// The starts of the `missing` chapters in `lines[start..end]`, the text of chapter `title`;
/// none when they cannot all be placed on some evidence.
fn place(lines: &[&str], start: usize, end: usize, title: &str, missing: &[String], weights: &Weights) -> Vec<Chapter> {
    let mut starts = vec![start];
    starts.extend((start + 1..end).filter(|&i| {
        is_heading_like(lines[i]) && !lines.get(i + 1).is_some_and(|next| next.trim_start().starts_with(char::is_lowercase))
    }));
    let units: Vec<Unit> = starts
        .iter()
        .enumerate()
        .map(|(k, &s)| {
            let stop = starts.get(k + 1).copied().unwrap_or(end);
            let all = lines[s..stop].iter().flat_map(|l| stems(l, weights.locale)).collect();
            Unit { start: s, head: stems(lines[s], weights.locale), all }
        })
        .collect();
    let titles: Vec<HashSet<String>> =
        std::iter::once(title).chain(missing.iter().map(String::as_str)).map(|t| stems(t, weights.locale)).collect();
    let scores: Vec<Vec<f64>> = titles.iter().map(|t| units.iter().map(|u| weigh(t, &u.all, weights)).collect()).collect();
    let firsts: Vec<Vec<f64>> = titles.iter().map(|t| units.iter().map(|u| 2.0 * weigh(t, &u.head, weights)).collect()).collect();
    let Some(cuts) = best_cuts(&scores, &firsts) else {
        return Vec::new();
    };
    // Each placed chapter needs a unit that speaks of it.
    let spoken = cuts.iter().enumerate().all(|(j, &from)| {
        let to = cuts.get(j + 1).copied().unwrap_or(units.len());
        scores[j + 1][from..to].iter().any(|&s| s > 0.0)
    });
    if !spoken {
        return Vec::new();
    }
    cuts.iter().zip(missing).map(|(&u, title)| Chapter { line: units[u].start, title: title.clone(), heading: false }).collect()
}

/// `scores[c][u]`: how well unit `u` matches chapter `c`; `firsts[c][u]`: how much more when
/// `u` is the first unit of chapter `c`. Chapter 0 starts at unit 0, the others follow in
/// order, each with at least one unit. The first unit of each chapter after the first, for the
/// highest total; on equal totals the later cut (a unit no title claims stays with the chapter
/// before). None when there are fewer units than chapters.
fn best_cuts(scores: &[Vec<f64>], firsts: &[Vec<f64>]) -> Option<Vec<usize>> {
    let chapters = scores.len();
    let units = scores.first()?.len();
    if chapters < 2 || units < chapters || firsts.len() != chapters || firsts.iter().any(|row| row.len() != units) {
        return None;
    }
    // sums[c][u]: the score of units 0..u for chapter c.
    let sums: Vec<Vec<f64>> = scores
        .iter()
        .map(|row| {
            std::iter::once(0.0)
                .chain(row.iter().scan(0.0, |acc, s| {
                    *acc += s;
                    Some(*acc)
                }))
                .collect()
        })
        .collect();
    // best[c][u]: the best total for chapters 0..=c over units 0..u, chapter c ending at u;
    // from[c][u]: where chapter c starts then.
    let mut best = vec![vec![f64::NEG_INFINITY; units + 1]; chapters];
    let mut from = vec![vec![0; units + 1]; chapters];
    for (u, slot) in best[0].iter_mut().enumerate().skip(1) {
        *slot = sums[0][u];
    }
    for c in 1..chapters {
        for u in c + 1..=units {
            for cut in c..u {
                let total = best[c - 1][cut] + firsts[c][cut] + sums[c][u] - sums[c][cut];
                if total >= best[c][u] {
                    best[c][u] = total;
                    from[c][u] = cut;
                }
            }
        }
    }
    let mut cuts = vec![0; chapters - 1];
    let mut u = units;
    for c in (1..chapters).rev() {
        cuts[c - 1] = from[c][u];
        u = from[c][u];
    }
    Some(cuts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_follow_the_evidence_and_unclaimed_units_stay_behind() {
        // Units 0-1 speak of chapter 0, unit 3 of chapter 1, unit 2 of none.
        let none = |rows: usize, units: usize| vec![vec![0.0; units]; rows];
        let scores = vec![vec![5.0, 2.0, 0.0, 0.0, 0.0], vec![0.0, 0.0, 0.0, 4.0, 0.0]];
        assert_eq!(best_cuts(&scores, &none(2, 5)), Some(vec![3]));
        // A unit whose heading echoes the title starts the chapter, before a weaker one.
        let scores = vec![vec![5.0, 0.0, 0.0, 0.0], vec![0.0, 1.0, 3.0, 2.0]];
        let firsts = vec![vec![0.0; 4], vec![0.0, 2.0, 6.0, 0.0]];
        assert_eq!(best_cuts(&scores, &firsts), Some(vec![2]));
        assert_eq!(best_cuts(&scores, &none(2, 4)), Some(vec![1]));
        // Two chapters placed in one span, in order.
        let scores = vec![vec![3.0, 1.0, 0.0, 0.0], vec![0.0, 0.0, 2.0, 0.0], vec![0.0, 1.0, 0.0, 3.0]];
        assert_eq!(best_cuts(&scores, &none(3, 4)), Some(vec![2, 3]));
        assert_eq!(best_cuts(&[vec![1.0], vec![1.0]], &none(2, 1)), None, "fewer units than chapters");
    }
}
