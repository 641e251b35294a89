//! What the sender wrote, without the history their client quoted below it.
//!
//! Pure text functions: `strip_quoted` cuts at the first attribution line (Gmail's
//! `On … wrote:`, the Italian `Il giorno … ha scritto:`, Apple Mail's `On …, at …, … wrote:`),
//! at Outlook's `-----Original Message-----` or its `From: … Sent: …` / `Da: … Inviato: …`
//! header block, and drops `>` quoted lines. `html_to_text` turns an HTML-only reply into
//! text first (blockquotes dropped, block elements on their own lines); `unflow` undoes
//! `format=flowed` (RFC 3676).

/// Suffixes of an attribution line, in the languages our students write in.
const ATTRIBUTION_ENDS: [&str; 7] = ["wrote:", "ha scritto:", "a écrit :", "a écrit:", "schrieb:", "escribió:", "escreveu:"];
/// How an attribution line starts (`On`, `Il`, `Le`, `Am`, `El`, `Em`).
const ATTRIBUTION_STARTS: [&str; 6] = ["on ", "il ", "le ", "am ", "el ", "em "];
/// Outlook's separator text between dashes.
const SEPARATORS: [&str; 6] = [
    "original message",
    "messaggio originale",
    "message d'origine",
    "ursprüngliche nachricht",
    "mensaje original",
    "mensagem original",
];
/// First and second field of a quoted header block (`From:` then `Sent:` within a few lines).
const FROM_FIELDS: [&str; 5] = ["from:", "da:", "de:", "de :", "von:"];
const SENT_FIELDS: [&str; 9] = ["sent:", "inviato:", "date:", "data:", "envoyé :", "envoyé:", "gesendet:", "enviado:", "enviado el:"];

/// The reply without the quoted history; trimmed, at most one blank line in a row.
pub fn strip_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let cut = history_start(&lines).unwrap_or(lines.len());
    let kept = lines[..cut].iter().filter(|line| !line.trim_start().starts_with('>'));
    tidy(kept.copied())
}

/// Index of the first line of the quoted history, if there is one.
fn history_start(lines: &[&str]) -> Option<usize> {
    (0..lines.len()).find(|&i| is_separator(lines[i]) || is_rule_before_headers(lines, i) || is_header_block(lines, i) || is_attribution(lines, i))
}

/// A line as compared: trimmed, lower case, without the `*` of bold text converted from HTML.
fn norm(line: &str) -> String {
    line.trim().trim_matches('*').trim().to_lowercase()
}

/// `-----Original Message-----`, `-----Messaggio originale-----`, `-------- Original Message --------`.
fn is_separator(line: &str) -> bool {
    let line = norm(line);
    if !line.starts_with("---") || !line.ends_with("---") {
        return false;
    }
    let inner = line.trim_matches('-').trim();
    SEPARATORS.contains(&inner)
}

fn starts_with_any(line: &str, fields: &[&str]) -> bool {
    fields.iter().any(|f| line.starts_with(f))
}

/// `From:`/`Da:` followed within four lines by `Sent:`/`Inviato:`/`Date:`/`Data:`.
fn is_header_block(lines: &[&str], i: usize) -> bool {
    if !starts_with_any(&norm(lines[i]), &FROM_FIELDS) {
        return false;
    }
    lines.iter().skip(i + 1).take(4).any(|next| starts_with_any(&norm(next), &SENT_FIELDS))
}

/// Outlook's `________________________________` rule right above the header block.
fn is_rule_before_headers(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    if line.chars().count() < 10 || !line.chars().all(|c| c == '_') {
        return false;
    }
    (i + 1..lines.len().min(i + 4)).any(|j| is_header_block(lines, j))
}

/// An attribution line, possibly wrapped over up to three lines by the client:
/// it starts with `On`/`Il`/… and ends with `wrote:`/`ha scritto:`/…; or it just ends so
/// and the next non-empty line is quoted with `>`.
fn is_attribution(lines: &[&str], i: usize) -> bool {
    let first = norm(lines[i]);
    if first.is_empty() {
        return false;
    }
    let ends = |s: &str| ATTRIBUTION_ENDS.iter().any(|end| s.ends_with(end));
    if starts_with_any(&first, &ATTRIBUTION_STARTS) {
        let mut joined = first.clone();
        for extra in 0..3 {
            if extra > 0 {
                match lines.get(i + extra) {
                    Some(next) if !next.trim().is_empty() => {
                        joined.push(' ');
                        joined.push_str(&norm(next));
                    }
                    _ => break,
                }
            }
            if ends(&joined) {
                return joined.chars().count() <= 400;
            }
        }
    }
    ends(&first)
        && lines
            .iter()
            .skip(i + 1)
            .find(|next| !next.trim().is_empty())
            .is_some_and(|next| next.trim_start().starts_with('>'))
}

/// Trailing spaces off, blank lines at both ends off, runs of blank lines down to one.
fn tidy<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in lines {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if out.last().is_some_and(|last| !last.is_empty()) {
                out.push("");
            }
        } else {
            out.push(line);
        }
    }
    while out.last().is_some_and(|last| last.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// Undoes `format=flowed`: a line ending in a space continues on the next one (RFC 3676).
/// With `delsp=yes` that space was added by the sender and goes away.
pub fn unflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open = false;
    for raw in text.lines() {
        let quoted = raw.starts_with('>');
        // Space-stuffing: a leading space protects a line that would start with `>`, `From `.
        let line = if !quoted { raw.strip_prefix(' ').unwrap_or(raw) } else { raw };
        let soft = line.ends_with(' ') && line != "-- " && !quoted;
        if open && quoted {
            out.push('\n');
        }
        if soft {
            out.push_str(if delsp { &line[..line.len() - 1] } else { line });
            open = true;
        } else {
            out.push_str(line);
            out.push('\n');
            open = false;
        }
    }
    if open {
        out.push('\n');
    }
    out
}

/// Marks a block boundary in the HTML (a private-use character, removed from the input
/// first); a run of them becomes one line break.
const BLOCK: char = '\u{E000}';

/// Text of an HTML reply: quoted `<blockquote>`s dropped, block elements on their own line.
pub fn html_to_text(html: &str) -> String {
    let html: String = html.chars().filter(|&c| c != BLOCK).collect();
    let without_quotes = drop_blockquotes(&html);
    let with_marks = mark_blocks(&without_quotes);
    let text = mail_parser::decoders::html::html_to_text(&with_marks);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == BLOCK {
            while chars.next_if(|&n| n == BLOCK || n == ' ').is_some() {}
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    tidy(out.lines())
}

/// The position of the next `<tag` or `</tag` (case-insensitive) at or after `from`, and
/// whether it closes. Only whole tag names match (`<b` does not match `<br>`).
fn next_tag(lower: &str, from: usize, name: &str) -> Option<(usize, bool)> {
    let mut at = from;
    while let Some(found) = lower.get(at..).and_then(|rest| rest.find('<')) {
        let start = at + found;
        let rest = &lower[start + 1..];
        let (closing, rest) = match rest.strip_prefix('/') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if let Some(after) = rest.strip_prefix(name) {
            if after.starts_with(|c: char| c == '>' || c == '/' || c.is_ascii_whitespace()) {
                return Some((start, closing));
            }
        }
        at = start + 1;
    }
    None
}

/// Removes every `<blockquote>…</blockquote>` (nested ones with it). An unclosed one runs
/// to the end.
fn drop_blockquotes(html: &str) -> String {
    // ASCII lower-casing keeps byte offsets, so positions found in `lower` index `html`.
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    let mut depth = 0usize;
    let mut at = 0;
    while let Some((pos, closing)) = next_tag(&lower, at, "blockquote") {
        let end = lower[pos..].find('>').map_or(lower.len(), |e| pos + e + 1);
        if !closing {
            if depth == 0 {
                out.push_str(&html[copied..pos]);
            }
            depth += 1;
        } else if depth > 0 {
            depth -= 1;
            if depth == 0 {
                copied = end;
            }
        }
        at = end;
    }
    if depth == 0 {
        out.push_str(&html[copied..]);
    }
    out
}

/// Puts a `BLOCK` mark before block elements' tags, so that mail-parser's converter (which
/// breaks lines only at `<br>` and `</p>`) keeps `<div>` lines apart.
fn mark_blocks(html: &str) -> String {
    const BLOCKS: [&str; 13] = ["div", "p", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "ul"];
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut copied = 0;
    for (pos, _) in lower.match_indices('<') {
        let rest = lower[pos + 1..].trim_start_matches('/');
        let name_len = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
        if BLOCKS.contains(&&rest[..name_len]) {
            out.push_str(&html[copied..pos]);
            out.push(BLOCK);
            copied = pos;
        }
    }
    out.push_str(&html[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_english_attribution_and_quotes() {
        let text = "Thank you, I uploaded the form.\r\n\r\nMario\r\n\r\nOn Mon, 23 Nov 2026 at 10:00, Help Desk <helpdesk+HD-2026-000042@unibg.it> wrote:\r\n\r\n> Please send the form.\r\n> \r\n> Regards\r\n";
        assert_eq!(strip_quoted(text), "Thank you, I uploaded the form.\n\nMario");
    }

    #[test]
    fn gmail_italian_attribution_wrapped_over_two_lines() {
        let text = "Buongiorno,\nho caricato il modulo.\n\nIl giorno lun 23 nov 2026 alle ore 10:00 Segreteria Studenti <\nhelpdesk+HD-2026-000042@unibg.it> ha scritto:\n\n> Gentile studente,\n> le chiediamo il modulo.\n";
        assert_eq!(strip_quoted(text), "Buongiorno,\nho caricato il modulo.");
    }

    #[test]
    fn apple_mail_attribution() {
        let text = "Here it is.\n\nSent from my iPhone\n\n> On 23 Nov 2026, at 10:00, Help Desk <helpdesk@unibg.it> wrote:\n> \n> Please reply.\n";
        assert_eq!(strip_quoted(text), "Here it is.\n\nSent from my iPhone");
        let text = "Here it is.\n\nOn 23 Nov 2026, at 10:00, Help Desk <helpdesk@unibg.it> wrote:\n\n> Please reply.\n";
        assert_eq!(strip_quoted(text), "Here it is.");
    }

    #[test]
    fn outlook_italian_header_block_after_a_rule() {
        let text = "Grazie, allego il documento.\n\nMario Rossi\n\n________________________________\nDa: Segreteria Studenti <helpdesk+HD-2026-000042@unibg.it>\nInviato: lunedì 23 novembre 2026 10:00\nA: Mario Rossi <mario.rossi@studenti.unibg.it>\nOggetto: [HD-2026-000042] Piano di studio\n\nGentile studente, ...\n";
        assert_eq!(strip_quoted(text), "Grazie, allego il documento.\n\nMario Rossi");
    }

    #[test]
    fn outlook_header_block_without_a_rule_and_original_message_separators() {
        let text = "Done.\n\nFrom: Help Desk <helpdesk@unibg.it>\nSent: Monday, November 23, 2026 10:00 AM\nTo: Mario\nSubject: RE: x\n\nold text";
        assert_eq!(strip_quoted(text), "Done.");
        let text = "Fatto.\n\n-----Messaggio originale-----\nDa: Help Desk\nInviato: lunedì\n\nvecchio";
        assert_eq!(strip_quoted(text), "Fatto.");
        let text = "Done.\n-----Original Message-----\nFrom: Help Desk\n";
        assert_eq!(strip_quoted(text), "Done.");
    }

    #[test]
    fn keeps_what_only_looks_like_history() {
        // "Da:" without a "Sent:"/"Inviato:" line after it is the student's own text.
        let text = "Da: lunedì non riesco ad accedere.\nGrazie";
        assert_eq!(strip_quoted(text), text);
        // A sentence that ends in "wrote:" but is followed by the student's text, not a quote.
        let text = "This is what my professor wrote:\nthe exam is on Monday.";
        assert_eq!(strip_quoted(text), text);
        let text = "On Monday I wrote to you but nobody answered.";
        assert_eq!(strip_quoted(text), text);
    }

    #[test]
    fn interleaved_quotes_are_dropped_and_answers_kept() {
        let text = "> Which course?\nIngegneria informatica\n> Which year?\nSecondo anno\n";
        assert_eq!(strip_quoted(text), "Ingegneria informatica\nSecondo anno");
    }

    #[test]
    fn a_reply_that_is_only_quotes_is_empty() {
        assert_eq!(strip_quoted("\n\nOn Mon, 23 Nov 2026 at 10:00, X <x@y.it> wrote:\n> hello\n"), "");
        assert_eq!(strip_quoted("> only a quote\n>\n"), "");
    }

    #[test]
    fn blank_lines_collapse() {
        assert_eq!(strip_quoted("a\n\n\n\nb  \n\n"), "a\n\nb");
    }

    #[test]
    fn unflows_soft_breaks() {
        assert_eq!(unflow("Buongiorno, ho caricato \nil modulo.\n-- \nMario\n", false), "Buongiorno, ho caricato il modulo.\n-- \nMario\n");
        assert_eq!(unflow("split-\nword \nend\n", false), "split-\nword end\n");
        assert_eq!(unflow("abc \ndef\n", true), "abcdef\n");
        assert_eq!(unflow(" >not a quote\n> a quote\n", false), ">not a quote\n> a quote\n");
    }

    #[test]
    fn html_replies_lose_blockquotes_and_keep_lines() {
        let html = r#"<html><head><style>p{}</style></head><body><div dir="ltr"><div>Buongiorno,</div><div>ho caricato il modulo.</div><div><br></div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">Il giorno lun 23 nov 2026 alle ore 10:00 Segreteria &lt;<a href="mailto:h@unibg.it">h@unibg.it</a>&gt; ha scritto:<br></div><blockquote class="gmail_quote" style="margin:0"><div>Gentile studente</div><blockquote><div>older</div></blockquote><div>still quoted</div></blockquote></div></body></html>"#;
        let text = html_to_text(html);
        assert!(!text.contains("Gentile"), "{text}");
        assert!(!text.contains("still quoted"), "{text}");
        assert_eq!(strip_quoted(&text), "Buongiorno,\nho caricato il modulo.");
    }

    #[test]
    fn outlook_html_reply() {
        let html = r#"<html><body><div style="font-family:Calibri">Grazie,<br>ecco il modulo.</div><div id="appendonsend"></div><hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>Da:</b> Segreteria &lt;helpdesk@unibg.it&gt;<br><b>Inviato:</b> lunedì 23 novembre 2026 10:00<br><b>A:</b> Mario<br><b>Oggetto:</b> [HD-2026-000042] Piano</font><div>&nbsp;</div></div><div>Gentile studente, testo vecchio</div></body></html>"#;
        assert_eq!(strip_quoted(&html_to_text(html)), "Grazie,\necco il modulo.");
    }

    #[test]
    fn blockquote_matching_is_by_whole_tag_names() {
        assert_eq!(drop_blockquotes("a<BLOCKQUOTE type=cite>q<blockquote>qq</blockquote>q</BLOCKQUOTE>b"), "ab");
        assert_eq!(drop_blockquotes("a<blockquotex>b"), "a<blockquotex>b");
        assert_eq!(drop_blockquotes("a<blockquote>unclosed"), "a");
        assert_eq!(mark_blocks("<b>x</b><div>y</div>"), "<b>x</b>\u{E000}<div>y\u{E000}</div>");
        assert_eq!(html_to_text("<div>a</div>\n <div>b</div><div><br></div><div>c</div>"), "a\nb\n\nc");
    }
}
