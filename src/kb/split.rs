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
//! - **a web page** (the Bologna credentials page): the first line is the page's title, and a
//!   heading is a one-line paragraph, short, not ending like a sentence ("Can't remember your
//!   password?", "What happens after you have completed your studies").

use std::collections::HashSet;

/// One section of a guide, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading of the section.
    pub title: String,
    /// The chapter it belongs to (its own title for a chapter or a page section).
    pub chapter: String,
    pub body: String,
}

pub fn split(text: &str) -> Vec<Section> {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let chapters = chapter_starts(&lines);
    let sections = if chapters.len() >= 2 { split_chapters(&lines, &chapters) } else { split_page(&lines) };
    sections.into_iter().filter(|s| !s.body.trim().is_empty()).collect()
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

/// Line indexes of the chapter headings (numbers strictly increasing).
fn chapter_starts(lines: &[&str]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut last = 0;
    for (i, line) in lines.iter().enumerate() {
        if let Some((n, _)) = numbered_heading(line) {
            if n > last && n <= last + 5 {
                starts.push(i);
                last = n;
            }
        }
    }
    starts
}

fn toc_entry(line: &str) -> Option<&str> {
    let entry = line.strip_prefix("- ")?.trim();
    (!entry.is_empty() && numbered_heading(entry).is_none()).then_some(entry)
}

fn split_chapters(lines: &[&str], starts: &[usize]) -> Vec<Section> {
    // The sub-section headings: the guide's table of contents, then each chapter's own.
    // Compared without case: the contents may say "(sportello internet)" and the heading
    // "(Sportello internet)".
    let mut headings: HashSet<String> = lines[..starts[0]].iter().filter_map(|l| toc_entry(l)).map(str::to_lowercase).collect();
    for &s in starts {
        headings.extend(lines[s + 1..].iter().map_while(|l| toc_entry(l)).map(str::to_lowercase));
    }
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(lines.len());
        let chapter = lines[s].trim().to_owned();
        // Skip the chapter's own list of contents.
        let mut i = s + 1;
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
    match paragraph {
        [line] => {
            let line = line.trim();
            line.chars().count() <= 90 && !line.ends_with(['.', ':', ';', ',']) && !line.starts_with("- ")
        }
        _ => false,
    }
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

    const GUIDE: &str = "a.a. 2025-2026 GUIDA\nInhaltsverzeichnis\n- 1. IMMATRICOLARSI: DOVE E QUANDO\n\
        - 2. L'ABC DELLA PROCEDURA\n- Titoli necessari\n- Corsi ad accesso libero\n\
        1. IMMATRICOLARSI: DOVE E QUANDO\nLa Segreteria è aperta.\n1. Sul portale www.universitaly.it;\n\
        2. L'ABC DELLA PROCEDURA\n- Titoli necessari\n- Corsi ad accesso libero\nTitoli necessari\nServe il diploma.\n\
        1. CORSI DI LAUREA AD ACCESSO LIBERO\nCorsi ad accesso libero\nSi paga la prima rata.\n\
        3. RINUNCIA AGLI STUDI UNIVERSITARI\n- Procedura online di rinuncia agli studi\n\
        Procedura online di rinuncia agli studi\nAl termine della domanda di rinuncia…\n";

    #[test]
    fn numbered_chapters_and_their_table_of_contents_make_the_sections() {
        let s = split(GUIDE);
        let titles: Vec<&str> = s.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(
            titles,
            ["1. IMMATRICOLARSI: DOVE E QUANDO", "Titoli necessari", "Corsi ad accesso libero", "Procedura online di rinuncia agli studi"]
        );
        // A numbered list inside a chapter stays in its text.
        assert!(s[0].body.contains("1. Sul portale"));
        assert!(s[1].body.contains("1. CORSI DI LAUREA AD ACCESSO LIBERO"), "{:?}", s[1]);
        assert_eq!(s[3].chapter, "3. RINUNCIA AGLI STUDI UNIVERSITARI");
        assert!(s[3].body.starts_with("Al termine"));
    }

    #[test]
    fn a_web_page_splits_at_its_question_headings() {
        let page = "Institutional credentials\n\nHelp with problems.\n\nCan't remember your password?\n\n\
                    If you can't remember your password you can reset it.\n\n\
                    What happens after you have completed your studies\n\nThe account is kept active.\n";
        let s = split(page);
        let titles: Vec<&str> = s.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Institutional credentials", "Can't remember your password?", "What happens after you have completed your studies"]);
        assert!(s[1].body.contains("reset it"));
        assert_eq!(s[1].chapter, "Institutional credentials");
    }

    #[test]
    fn the_bergamo_guide_gives_its_chapters_and_sub_sections() {
        let guide = include_str!("../../seeds/guides/unibg-guida-2025-2026.it.txt");
        let s = split(guide);
        assert!(s.len() >= 10, "{} sections", s.len());
        assert!(s.iter().any(|s| s.chapter == "12. RINUNCIA AGLI STUDI UNIVERSITARI" && s.body.contains("rinuncia agli studi")));
        assert!(s.iter().any(|s| s.title == "Obblighi formativi aggiuntivi (OFA)"));
        assert!(s.iter().any(|s| s.title == "Registrati al portale dell'Università (Sportello internet)"));
        assert!(!s.iter().any(|s| s.body.contains("Inhaltsverzeichnis")), "the preamble is dropped");
    }
}
