//! Web addresses in messages become links, safely: the text is escaped first, only `http://`
//! and `https://` addresses are linked (never `javascript:` or `data:`), the address ends at
//! white space or at a character that cannot be in it unescaped (`<`, `>`, `"`, `'`), trailing
//! punctuation stays text, and links carry `rel="noopener noreferrer nofollow"`.

use crate::kb::text::escape_html as html_escape;

const SCHEMES: [&str; 2] = ["https://", "http://"];

/// `text` as HTML: escaped, with its web addresses as links.
pub fn linkify(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some((start, len)) = next_url(rest) {
        out.push_str(&html_escape(&rest[..start]));
        let url = &rest[start..start + len];
        let escaped = html_escape(url);
        out.push_str(&format!(r#"<a href="{escaped}" rel="noopener noreferrer nofollow">{escaped}</a>"#));
        rest = &rest[start + len..];
    }
    out.push_str(&html_escape(rest));
    out
}

/// Where the next address starts in `text` and how long it is.
fn next_url(text: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    loop {
        let lower = text[from..].to_ascii_lowercase();
        let (at, scheme) = SCHEMES.iter().filter_map(|s| lower.find(s).map(|i| (i, s.len()))).min_by_key(|(i, _)| *i)?;
        let start = from + at;
        // An address starts a word: not the tail of `xhttp://` or of another address.
        let starts_word = text[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric() && c != '/' && c != '.');
        let body_end = text[start..].find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`')).map_or(text.len(), |i| start + i);
        let end = trim_punctuation(&text[start..body_end]) + start;
        if starts_word && end > start + scheme {
            return Some((start, end - start));
        }
        from = start + scheme;
    }
}

/// The length of `url` without the punctuation that ends a sentence, or an unmatched `)`.
fn trim_punctuation(url: &str) -> usize {
    let mut end = url.len();
    loop {
        let Some(last) = url[..end].chars().next_back() else { return end };
        let unmatched_paren = last == ')' && url[..end].matches('(').count() < url[..end].matches(')').count();
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | ']' | '}') || unmatched_paren {
            end -= last.len_utf8();
        } else {
            return end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::linkify;

    #[test]
    fn addresses_become_links_and_everything_else_stays_text() {
        assert_eq!(
            linkify("Vedi https://www.unibg.it/studenti. Grazie"),
            r#"Vedi <a href="https://www.unibg.it/studenti" rel="noopener noreferrer nofollow">https://www.unibg.it/studenti</a>. Grazie"#
        );
        assert_eq!(
            linkify("(http://x.it/a?b=1&c=2)"),
            r#"(<a href="http://x.it/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">http://x.it/a?b=1&amp;c=2</a>)"#
        );
        assert_eq!(linkify("https://it.wikipedia.org/wiki/Bergamo_(città)"), r#"<a href="https://it.wikipedia.org/wiki/Bergamo_(città)" rel="noopener noreferrer nofollow">https://it.wikipedia.org/wiki/Bergamo_(città)</a>"#);
    }

    #[test]
    fn nothing_but_http_is_linked_and_nothing_escapes_the_attribute() {
        assert_eq!(linkify("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(linkify("data:text/html,<b>x</b>"), "data:text/html,&lt;b&gt;x&lt;/b&gt;");
        assert_eq!(linkify("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        let quoted = linkify(r#"https://x.it/"onmouseover="alert(1)"#);
        assert!(quoted.starts_with(r#"<a href="https://x.it/" rel"#), "{quoted}");
        assert!(quoted.ends_with("</a>&quot;onmouseover=&quot;alert(1)"), "{quoted}");
        assert_eq!(linkify("xhttps://a.it"), "xhttps://a.it");
        assert_eq!(linkify("https://"), "https://");
        // Only the http address is linked: the href never starts with another scheme.
        assert!(linkify("javascript:https://a.it").starts_with(r#"javascript:<a href="https://a.it""#));
        let nested = linkify("<a href='https://a.it'>x</a>");
        assert!(nested.starts_with("&lt;a href=&#39;<a href=\"https://a.it\""), "{nested}");
    }
}
