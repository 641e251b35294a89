//! A guide's text into articles, one per section.
//!
//! Two shapes of guide are known:
//! - **numbered chapters** (the Bergamo student guide): a chapter starts at a line `N. TITLE`
//!   whose first word is in capitals and whose number is higher than the chapter before (so
//!   the numbered lists inside a chapter, "1. CORSI DI LAUREA…", "1. compilare…", are not
//!   chapters). Its sub-sections are the entries of the guide's tables of contents: the `- …`
//!   lines before the first chapter and the `- …` lines right under a chapter's heading; a
//!   later line equal to one of them starts a sub-section. Text before the first chapter (print
//!   metadata, the table of contents) is dropped; a chapter's text before its first
//!   sub-section is an article of its own when there is any.
//!   Some chapters the table of contents lists have lost their heading line in the text (the
//!   Bergamo guide's 6, 10 and 11: their text follows the chapter before, once even on the same
//!   line, "…e sconti.Condizioni per iscriversi…"). They are placed by `missing`: at one of the
//!   heading-like lines between the chapters found, where the words of the titles say.
//! - **a web page** (the Bologna credentials page): the first line is the page's title, and a
//!   heading is a one-line paragraph, short, not ending like a sentence ("Can't remember your
//!   password?", "What happens after you have completed your studies").

use std::collections::HashSet;

use crate::domain::Locale;

mod missing;

/// One section of a guide, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading of the section.
    pub title: String,
    /// The chapter it belongs to (its own title for a chapter or a page section).
    pub chapter: String,
    pub body: String,
}

/// An article at most this long: a longer section is cut at the guide's uppercase headings
/// inside it ("AMMISSIONE AD ANNI SUCCESSIVI AL PRIMO"), then between lines.
pub const MAX_ARTICLE_WORDS: usize = 700;
/// A part cut at a heading has at least this many words, else it stays with the part before.
const MIN_PART_WORDS: usize = 150;

/// A line the guide writes as a heading in capitals: letters all uppercase, short, not a
/// sentence ("NB: GLI STUDENTI NON CORRETTAMENTE PRENOTATI …." is one) nor a lead-in ("ATTENZIONE:").
pub fn is_uppercase_heading(line: &str) -> bool {
    let t = line.trim();
    let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 6
        && letters.iter().all(|c| c.is_uppercase())
        && t.chars().count() <= 120
        && !t.starts_with("- ")
        && !t.ends_with(['.', ':', ';', ','])
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// A section cut to article size: at its uppercase headings (each part titled "section –
/// heading"), then parts still too long between lines ("section (2)").
fn to_article_size(section: Section) -> Vec<Section> {
    if word_count(&section.body) <= MAX_ARTICLE_WORDS {
        return vec![section];
    }
    let mut parts = vec![Section { body: String::new(), ..section.clone() }];
    for line in section.body.lines() {
        if is_uppercase_heading(line) {
            let title = format!("{} – {}", section.title, line.trim());
            parts.push(Section { title, chapter: section.chapter.clone(), body: String::new() });
        } else if let Some(part) = parts.last_mut() {
            push_line(&mut part.body, line);
        }
    }
    // A heading with little under it ("CORSI DI LAUREA" and its three lines) stays in the part
    // before it, as text.
    let mut merged: Vec<Section> = Vec::new();
    for part in parts {
        match merged.last_mut() {
            Some(previous) if word_count(&part.body) < MIN_PART_WORDS => {
                let heading = part.title.rsplit(" – ").next().unwrap_or(&part.title).to_owned();
                push_line(&mut previous.body, &heading);
                previous.body.push_str(&part.body);
            }
            _ => merged.push(part),
        }
    }
    let mut out = Vec::new();
    for part in merged.into_iter().filter(|p| !p.body.trim().is_empty()) {
        if word_count(&part.body) <= MAX_ARTICLE_WORDS {
            out.push(part);
            continue;
        }
        let mut chunks: Vec<String> = vec![String::new()];
        for line in part.body.lines() {
            let full = chunks.last().is_some_and(|c| word_count(c) + word_count(line) > MAX_ARTICLE_WORDS && !c.is_empty());
            if full {
                chunks.push(String::new());
            }
            if let Some(chunk) = chunks.last_mut() {
                push_line(chunk, line);
            }
        }
        for (i, body) in chunks.into_iter().enumerate() {
            let title = if i == 0 { part.title.clone() } else { format!("{} ({})", part.title, i + 1) };
            out.push(Section { title, chapter: part.chapter.clone(), body });
        }
    }
    out
}

/// The guide's text in `locale` (the words that place a chapter without a heading are
/// compared by their stems).
pub fn split(text: &str, locale: Locale) -> Vec<Section> {
    let lines: Vec<&str> = text.lines().flat_map(unglue).map(str::trim_end).collect();
    let found = chapter_starts(&lines);
    let sections = if found.len() >= 2 {
        let chapters = missing::with_missing(&lines, &found, locale);
        split_chapters(&lines, &chapters)
    } else {
        split_page(&lines)
    };
    sections.into_iter().filter(|s| !s.body.trim().is_empty()).flat_map(to_article_size).collect()
}

/// A heading glued to the sentence before it, when a line break was lost
/// ("…visita la pagina Convenzioni e sconti.Condizioni per iscriversi come studente part-time"):
/// the line as two. Only a short, heading-like tail right after a word's full stop counts.
fn unglue(line: &str) -> impl Iterator<Item = &str> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let cut = chars.windows(3).find_map(|w| {
        let &[(_, before), (_, dot), (at, after)] = w else { return None };
        let glued = dot == '.' && before.is_lowercase() && after.is_uppercase();
        (glued && is_heading_like(&line[at..])).then_some(at)
    });
    let (head, tail) = match cut {
        Some(at) => (&line[..at], Some(&line[at..])),
        None => (line, None),
    };
    std::iter::once(head).chain(tail)
}

/// A line that may be a heading: short, starting with a capital, not ending like a sentence
/// or a lead-in, not a list item.
fn is_heading_like(line: &str) -> bool {
    let line = line.trim();
    let count = line.chars().count();
    (3..=90).contains(&count) && line.chars().next().is_some_and(char::is_uppercase) && !line.ends_with(['.', ':', ';', ','])
}

/// `N. TITLE`: the number and the title, when the first word of the title is in capitals.
fn numbered_heading(line: &str) -> Option<(u32, &str)> {
    let (number, title) = line.split_once(". ")?;
    let number: u32 = number.parse().ok()?;
    let first = title.split_whitespace().next()?;
    let letters: Vec<char> = first.chars().filter(|c| c.is_alphabetic()).collect();
    let capitals = letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase());
    capitals.then_some((number, title.trim()))
}

/// The chapter headings found: line index and number (numbers strictly increasing).
fn chapter_starts(lines: &[&str]) -> Vec<(usize, u32)> {
    let mut starts = Vec::new();
    let mut last = 0;
    for (i, line) in lines.iter().enumerate() {
        if let Some((n, _)) = numbered_heading(line) {
            if n > last && n <= last + 5 {
                starts.push((i, n));
                last = n;
            }
        }
    }
    starts
}

/// The chapters a table of contents lists: its `- N. TITLE` lines.
fn listed_chapters<'a>(lines: &[&'a str]) -> Vec<(u32, &'a str)> {
    lines.iter().filter_map(|l| numbered_heading(l.strip_prefix("- ")?.trim())).collect()
}

fn toc_entry(line: &str) -> Option<&str> {
    let entry = line.strip_prefix("- ")?.trim();
    (!entry.is_empty() && numbered_heading(entry).is_none()).then_some(entry)
}

/// Where a chapter starts and its title; `heading` when the line is its heading (not text).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Chapter {
    line: usize,
    title: String,
    heading: bool,
}

fn split_chapters(lines: &[&str], chapters: &[Chapter]) -> Vec<Section> {
    let first = chapters.first().map_or(0, |c| c.line);
    // The sub-section headings: the guide's table of contents, then each chapter's own.
    // Compared without case: the contents may say "(sportello internet)" and the heading
    // "(Sportello internet)".
    let mut headings: HashSet<String> = lines[..first].iter().filter_map(|l| toc_entry(l)).map(str::to_lowercase).collect();
    for c in chapters.iter().filter(|c| c.heading) {
        headings.extend(lines[c.line + 1..].iter().map_while(|l| toc_entry(l)).map(str::to_lowercase));
    }
    let mut out = Vec::new();
    for (k, c) in chapters.iter().enumerate() {
        let end = chapters.get(k + 1).map_or(lines.len(), |next| next.line);
        let chapter = c.title.clone();
        // Skip the heading and the chapter's own list of contents.
        let mut i = if c.heading { c.line + 1 } else { c.line };
        while i < end && toc_entry(lines[i]).is_some_and(|e| headings.contains(&e.to_lowercase())) {
            i += 1;
        }
        let mut current = Section { title: chapter.clone(), chapter: chapter.clone(), body: String::new() };
        for line in &lines[i..end] {
            let trimmed = line.trim();
            if headings.contains(&trimmed.to_lowercase()) {
                out.push(std::mem::replace(
                    &mut current,
                    Section { title: trimmed.to_owned(), chapter: chapter.clone(), body: String::new() },
                ));
            } else {
                push_line(&mut current.body, line);
            }
        }
        out.push(current);
    }
    out
}

/// A short one-line paragraph that does not end like a sentence.
fn is_page_heading(paragraph: &[&str]) -> bool {
    matches!(paragraph, [line] if is_heading_like(line))
}

fn split_page(lines: &[&str]) -> Vec<Section> {
    let mut paragraphs: Vec<Vec<&str>> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in lines {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    let Some((first, rest)) = paragraphs.split_first() else { return Vec::new() };
    let page_title = first.join(" ").trim().to_owned();
    let mut out = Vec::new();
    let mut section = Section { title: page_title.clone(), chapter: page_title.clone(), body: String::new() };
    for paragraph in rest {
        if is_page_heading(paragraph) {
            let title = paragraph[0].trim().to_owned();
            out.push(std::mem::replace(&mut section, Section { title, chapter: page_title.clone(), body: String::new() }));
        } else {
            for line in paragraph {
                push_line(&mut section.body, line);
            }
            section.body.push('\n');
        }
    }
    out.push(section);
    out
}

fn push_line(body: &mut String, line: &str) {
    if body.is_empty() && line.trim().is_empty() {
        return;
    }
    body.push_str(line.trim_end());
    body.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(sections: &[Section]) -> Vec<&str> {
        sections.iter().map(|s| s.title.as_str()).collect()
    }

    const GUIDE: &str = "a.a. 2025-2026 GUIDA\nInhaltsverzeichnis\n- 1. IMMATRICOLARSI: DOVE E QUANDO\n\
        - 2. L'ABC DELLA PROCEDURA\n- Titoli necessari\n- Corsi ad accesso libero\n\
        1. IMMATRICOLARSI: DOVE E QUANDO\nLa Segreteria è aperta.\n1. Sul portale www.universitaly.it;\n\
        2. L'ABC DELLA PROCEDURA\n- Titoli necessari\n- Corsi ad accesso libero\nTitoli necessari\nServe il diploma.\n\
        1. CORSI DI LAUREA AD ACCESSO LIBERO\nCorsi ad accesso libero\nSi paga la prima rata.\n\
        3. RINUNCIA AGLI STUDI UNIVERSITARI\n- Procedura online di rinuncia agli studi\n\
        Procedura online di rinuncia agli studi\nAl termine della domanda di rinuncia…\n";

    #[test]
    fn numbered_chapters_and_their_table_of_contents_make_the_sections() {
        let s = split(GUIDE, Locale::It);
        assert_eq!(
            titles(&s),
            ["1. IMMATRICOLARSI: DOVE E QUANDO", "Titoli necessari", "Corsi ad accesso libero", "Procedura online di rinuncia agli studi"]
        );
        // A numbered list inside a chapter stays in its text.
        assert!(s[0].body.contains("1. Sul portale"));
        assert!(s[1].body.contains("1. CORSI DI LAUREA AD ACCESSO LIBERO"), "{:?}", s[1]);
        assert_eq!(s[3].chapter, "3. RINUNCIA AGLI STUDI UNIVERSITARI");
        assert!(s[3].body.starts_with("Al termine"));
    }

    #[test]
    fn a_long_section_is_cut_at_its_uppercase_headings_then_between_lines() {
        let filler = |n: usize| vec!["parola"; n].join(" ");
        let body = format!("{}\nAMMISSIONE AD ANNI SUCCESSIVI AL PRIMO\n{}\nATTENZIONE:\n{}\n", filler(400), filler(400), filler(500));
        let parts = to_article_size(Section { title: "Abbreviazione".into(), chapter: "7. ABBREVIAZIONE".into(), body });
        let titles: Vec<&str> = parts.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(
            titles,
            ["Abbreviazione", "Abbreviazione – AMMISSIONE AD ANNI SUCCESSIVI AL PRIMO", "Abbreviazione – AMMISSIONE AD ANNI SUCCESSIVI AL PRIMO (2)"]
        );
        assert!(parts.iter().all(|p| word_count(&p.body) <= MAX_ARTICLE_WORDS));
        assert!(is_uppercase_heading("MODALITÀ DI ACCESSO CANDIDATI EUROPEI O LEGALMENTE SOGGIORNANTI"));
        assert!(!is_uppercase_heading("NB: GLI STUDENTI NON CORRETTAMENTE PRENOTATI NON POSSONO ESSERE AMMESSI AGLI ESAMI."));
        assert!(!is_uppercase_heading("ATTENZIONE:"));
    }

    #[test]
    fn a_web_page_splits_at_its_question_headings() {
        let page = "Institutional credentials\n\nHelp with problems.\n\nCan't remember your password?\n\n\
                    If you can't remember your password you can reset it.\n\n\
                    What happens after you have completed your studies\n\nThe account is kept active.\n";
        let s = split(page, Locale::En);
        assert_eq!(titles(&s), ["Institutional credentials", "Can't remember your password?", "What happens after you have completed your studies"]);
        assert!(s[1].body.contains("reset it"));
        assert_eq!(s[1].chapter, "Institutional credentials");
    }

    /// Excerpts of the Bergamo guide around its chapters 6, 10 and 11, which have no heading
    /// line (the contents list them; their text follows chapters 5 and 9).
    const HEADINGLESS: &str = "A.A. 2025-2026 GUIDA DELLO STUDENTE - FUTURI STUDENTI\nInhaltsverzeichnis\n\
        - 5. TESSERA UNIVERSITARIA FLASH UP STUDIO\n- 6. IMMATRICOLAZIONE PART-TIME\n\
        - 7. ABBREVIAZIONE DI CARRIERA (lauree triennali e quinquennali a ciclo unico)\n\
        - 9. ISCRIZIONE A CORSI SINGOLI a.a. 2025-2026\n- 10. CONTRIBUZIONE STUDENTESCA\n\
        - 11. PIANI DI STUDIO - LEZIONI - ESAMI\n- 12. RINUNCIA AGLI STUDI UNIVERSITARI\n\
        5. TESSERA UNIVERSITARIA FLASH UP STUDIO\n\
        Gli studenti dell'Università degli studi di Bergamo avranno a disposizione la tessera universitaria Flash Up Studio.\n\
        Come richiedere la tessera Flash Up Studio\n\
        Durante la procedura di immatricolazione online, ti verrà richiesto di effettuare l'upload della tua fotografia \
        necessaria per il rilascio della tessera.\n\
        Per maggiori informazioni visita la pagina Convenzioni e sconti.Condizioni per iscriversi come studente part-time\n\
        Puoi richiedere l'iscrizione a tempo parziale se sei iscritto IN CORSO ai corsi di laurea.\n\
        Presentazione della domanda di iscrizione a tempo parziale\n\
        I corsi di studio potranno definire il percorso formativo a tempo parziale.\n\
        Qual è la contribuzione prevista per gli studenti part-time?\n\
        Se intendi iscriverti a tempo parziale, dovrai versare per intero la rata relativa alla tassa regionale e al bollo.\n\
        7. ABBREVIAZIONE DI CARRIERA (lauree triennali e quinquennali a ciclo unico)\n\
        Dovrai richiedere al tuo ateneo di provenienza il rilascio del foglio di congedo.\n\
        9. ISCRIZIONE A CORSI SINGOLI a.a. 2025-2026\n\
        TITOLO DI STUDIO RICHIESTO\n\
        Il titolo di studio richiesto per l'iscrizione a singoli moduli e insegnamenti è quello richiesto per il corso stesso.\n\
        TERMINI DI PRESENTAZIONE DELLA DOMANDA (a.a. 2025-2026)\n\
        Devi presentare la domanda di iscrizione ai corsi singoli nel periodo 1° agosto 2025 - 15 luglio 2026.\n\
        COSTI DI ISCRIZIONE\n\
        Il contributo di iscrizione è pari ad € 25,00 per ogni credito formativo che compone l’insegnamento.\n\
        STUDENTE ISCRITTO CON RISERVA AD UN CORSO DI LAUREA MAGISTRALE\n\
        Potrai sostenere i relativi esami dopo il conseguimento della laurea, previa iscrizione ai corsi singoli.\n\
        Rateizzazione pagamenti\n\
        Le scadenze per i pagamenti sono le seguenti:\n\
        - prima rata del contributo onnicomprensivo, a titolo di acconto, entro il 17 febbraio 2026;\n\
        Per approfondimenti consulta la pagina web Contribuzione studentesca.\n\
        Scadenza Attestazione ISEEU\n\
        La fascia di contribuzione viene determinata in base all'attestazione ISEEU. All’interno del REGOLAMENTO PER LA \
        CONTRIBUZIONE STUDENTESCA a.a. 2025-2026 trovi le fasce.\n\
        Contributo onnicomprensivo\n\
        Puoi trovare tutte le informazioni sul calcolo del contributo onnicomprensivo alla pagina web Contribuzione studentesca.\n\
        Borse di studio\n\
        Puoi trovare ogni informazione utile per la richiesta di una borsa di studio alla pagina web Borse di studio.\n\
        Piano di studio e periodo di compilazione\n\
        Il piano di studio è lo strumento di pianificazione della tua carriera universitaria.\n\
        Orari delle lezioni\n\
        Puoi trovare gli orari delle lezioni alla pagina web del Portale Studenti.\n\
        Esami di profitto: informazioni utili\n\
        La verifica della preparazione degli studenti consiste in esami orali e/o scritti o test.\n\
        12. RINUNCIA AGLI STUDI UNIVERSITARI\n\
        Al termine della compilazione della domanda di rinuncia agli studi online, il sistema genera il contributo di € 16,00.\n";

    /// A chapter's text: its articles' bodies in order, with the headings it was cut at (a long
    /// chapter is cut in parts).
    fn chapter(sections: &[Section], title: &str) -> Section {
        let parts: Vec<&Section> = sections.iter().filter(|s| s.chapter == title).collect();
        assert!(!parts.is_empty(), "no section {title}: {:?}", titles(sections));
        let body = parts
            .iter()
            .enumerate()
            .map(|(i, p)| if i == 0 { p.body.clone() } else { format!("{}\n{}", p.title, p.body) })
            .collect::<String>();
        Section { title: title.to_owned(), chapter: title.to_owned(), body }
    }

    #[test]
    fn chapters_without_a_heading_start_where_their_titles_words_do() {
        let s = split(HEADINGLESS, Locale::It);
        assert_eq!(
            titles(&s),
            [
                "5. TESSERA UNIVERSITARIA FLASH UP STUDIO",
                "6. IMMATRICOLAZIONE PART-TIME",
                "7. ABBREVIAZIONE DI CARRIERA (lauree triennali e quinquennali a ciclo unico)",
                "9. ISCRIZIONE A CORSI SINGOLI a.a. 2025-2026",
                "10. CONTRIBUZIONE STUDENTESCA",
                "11. PIANI DI STUDIO - LEZIONI - ESAMI",
                "12. RINUNCIA AGLI STUDI UNIVERSITARI",
            ]
        );
        // The heading glued to the last sentence of chapter 5 starts chapter 6.
        assert!(s[0].body.ends_with("Convenzioni e sconti.\n"), "{:?}", s[0].body);
        assert!(s[1].body.starts_with("Condizioni per iscriversi come studente part-time\n"), "{:?}", s[1].body);
        assert!(s[1].body.contains("Qual è la contribuzione prevista"));
        // Chapter 9 keeps its own sections; chapter 10 starts at its first (payments), keeps
        // the scholarships line no title word claims, and 11 starts at the study plan.
        assert!(s[3].body.ends_with("previa iscrizione ai corsi singoli.\n"), "{:?}", s[3].body);
        assert!(s[4].body.starts_with("Rateizzazione pagamenti\n"), "{:?}", s[4].body);
        assert!(s[4].body.ends_with("alla pagina web Borse di studio.\n"), "{:?}", s[4].body);
        assert!(s[5].body.starts_with("Piano di studio e periodo di compilazione\n"), "{:?}", s[5].body);
        assert!(s[5].body.contains("Orari delle lezioni") && s[5].body.contains("Esami di profitto"));
        assert_eq!(s[5].chapter, "11. PIANI DI STUDIO - LEZIONI - ESAMI");
    }

    #[test]
    fn a_heading_glued_to_the_sentence_before_is_cut_off_and_nothing_else() {
        let glued =
            "Per maggiori informazioni visita la pagina Convenzioni e sconti.Condizioni per iscriversi come studente part-time";
        let cut: Vec<&str> = unglue(glued).collect();
        assert_eq!(
            cut,
            [
                "Per maggiori informazioni visita la pagina Convenzioni e sconti.",
                "Condizioni per iscriversi come studente part-time"
            ]
        );
        for line in [
            "Per maggiori informazioni scrivi a immatricolazione.fit@unibg.",
            "N.B: l’istanza di rinuncia agli studi si intende perfezionata solo se lo studente procede al pagamento.",
            "Il modulo è reperibile alla pagina web Modulistica> Domanda di inserimento esami - sovrannumerari.",
            "la pagina Contribuzione studentesca.Le rate si pagano con PagoPA entro le scadenze indicate dalla Segreteria studenti.",
        ] {
            assert_eq!(unglue(line).collect::<Vec<_>>(), [line], "a sentence stays whole");
        }
    }

    #[test]
    fn a_chapter_no_text_speaks_of_stays_unplaced() {
        let guide = "Inhaltsverzeichnis\n- 1. IMMATRICOLARSI\n- 2. TESSERA FLASH UP\n- 3. RINUNCIA AGLI STUDI\n\
                     1. IMMATRICOLARSI\nLa Segreteria è aperta.\nOrari di apertura\nDal lunedì al venerdì.\n\
                     3. RINUNCIA AGLI STUDI\nLa domanda si presenta online.\n";
        assert_eq!(titles(&split(guide, Locale::It)), ["1. IMMATRICOLARSI", "3. RINUNCIA AGLI STUDI"]);
    }

    #[test]
    fn the_bergamo_guide_gives_its_chapters_and_sub_sections() {
        let guide = include_str!("../../seeds/guides/unibg-guida-2025-2026.it.txt");
        let s = split(guide, Locale::It);
        assert!(s.len() >= 10, "{} sections", s.len());
        assert!(s.iter().any(|s| s.chapter == "12. RINUNCIA AGLI STUDI UNIVERSITARI" && s.body.contains("rinuncia agli studi")));
        assert!(s.iter().any(|s| s.title == "Obblighi formativi aggiuntivi (OFA)"));
        assert!(s.iter().any(|s| s.title == "Registrati al portale dell'Università (Sportello internet)"));
        assert!(!s.iter().any(|s| s.body.contains("Inhaltsverzeichnis")), "the preamble is dropped");
        // Every chapter of the contents, those without a heading line too.
        let chapters: Vec<&str> = s.iter().map(|s| s.chapter.as_str()).collect::<Vec<_>>();
        for n in 1..=12 {
            assert!(chapters.iter().any(|c| c.starts_with(&format!("{n}. "))), "chapter {n} in {chapters:?}");
        }
        let part_time = chapter(&s, "6. IMMATRICOLAZIONE PART-TIME");
        assert!(part_time.body.starts_with("Condizioni per iscriversi come studente part-time"), "{part_time:?}");
        assert!(part_time.body.contains("Google Form per la variazione di status da tempo parziale a tempo pieno"));
        let fees = chapter(&s, "10. CONTRIBUZIONE STUDENTESCA");
        assert!(fees.body.starts_with("Rateizzazione pagamenti\n"), "{fees:?}");
        assert!(
            fees.body.contains("Scadenza Attestazione ISEEU") && fees.body.contains("Importi aggiuntivi per ritardati pagamenti")
        );
        let plans = chapter(&s, "11. PIANI DI STUDIO - LEZIONI - ESAMI");
        assert!(plans.body.starts_with("Piano di studio e periodo di compilazione\n"), "{plans:?}");
        assert!(plans.body.contains("VERBALIZZAZIONE ONLINE DEGLI ESAMI DI PROFITTO"));
        // Chapters 5 and 9 end where those begin.
        let card = chapter(&s, "5. TESSERA UNIVERSITARIA FLASH UP STUDIO");
        assert!(card.body.trim_end().ends_with("Convenzioni e sconti.") && !card.body.contains("part-time"), "{card:?}");
        let single = chapter(&s, "9. ISCRIZIONE A CORSI SINGOLI a.a. 2025-2026");
        assert!(!single.body.contains("Rateizzazione") && !single.body.contains("Piano di studio e periodo"), "{single:?}");
    }
}
