//! Small DOM helpers shared by list, article and suggestion code: compiled field
//! selectors (`css@attr`), readable text of an element, and URL resolution.

use std::sync::LazyLock;

use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use super::ExtractError;

/// One alternative of a field: a selector (None = the scope element itself, written
/// `:scope` or empty) and an optional attribute to read instead of the text.
#[derive(Debug, Clone)]
struct Alt {
    sel: Option<Selector>,
    attr: Option<String>,
}

/// A compiled field selector. `a.title@href, a@title` is two alternatives, tried left
/// to right; the first that yields a non-empty value wins.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) source: String,
    alts: Vec<Alt>,
}

/// Split a selector list on top-level commas (not inside `()`, `[]` or quotes).
fn split_top_level(spec: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    for (i, c) in spec.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(&spec[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&spec[start..]);
    out
}

/// `a.x@href` → (`a.x`, Some(`href`)); an `@` inside brackets or quotes is left alone.
fn split_attr(alt: &str) -> (&str, Option<&str>) {
    if let Some((css, attr)) = alt.rsplit_once('@') {
        let valid = !attr.is_empty()
            && attr
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
        if valid {
            return (css.trim(), Some(attr));
        }
    }
    (alt.trim(), None)
}

impl Field {
    pub(crate) fn parse(field: &'static str, spec: &str) -> Result<Self, ExtractError> {
        let bad = |reason: String| ExtractError::BadSelector {
            field,
            selector: spec.to_string(),
            reason,
        };
        let mut alts = Vec::new();
        for raw in split_top_level(spec) {
            let (css, attr) = split_attr(raw.trim());
            let sel = if css.is_empty() || css == ":scope" {
                None
            } else {
                Some(Selector::parse(css).map_err(|e| bad(format!("{css:?}: {e}")))?)
            };
            alts.push(Alt {
                sel,
                attr: attr.map(str::to_ascii_lowercase),
            });
        }
        if alts.is_empty() {
            return Err(bad("empty selector".into()));
        }
        Ok(Self {
            source: spec.to_string(),
            alts,
        })
    }

    /// Every (element, value) the field yields inside `scope`, best first, values
    /// non-empty.
    pub(crate) fn values<'a>(
        &'a self,
        scope: ElementRef<'a>,
    ) -> impl Iterator<Item = (ElementRef<'a>, String)> + 'a {
        self.alts.iter().flat_map(move |alt| {
            let els: Box<dyn Iterator<Item = ElementRef<'a>> + 'a> = match &alt.sel {
                None => Box::new(std::iter::once(scope)),
                Some(sel) => Box::new(scope.select(sel)),
            };
            els.filter_map(move |el| {
                let v = match &alt.attr {
                    Some(a) => attr_value(el, a)?,
                    None => element_text(el),
                };
                (!v.is_empty()).then_some((el, v))
            })
        })
    }

    pub(crate) fn first<'a>(&'a self, scope: ElementRef<'a>) -> Option<(ElementRef<'a>, String)> {
        self.values(scope).next()
    }
}

/// An attribute, trimmed. Lazy-loading themes put a `data:` placeholder in `src` and the
/// real image in `data-src`; prefer the real one.
fn attr_value(el: ElementRef<'_>, attr: &str) -> Option<String> {
    let v = el.attr(attr).map(str::trim).unwrap_or("");
    if attr == "src" && (v.is_empty() || v.starts_with("data:")) {
        for lazy in ["data-src", "data-original", "data-lazy-src"] {
            if let Some(l) = el.attr(lazy).map(str::trim).filter(|l| !l.is_empty()) {
                return Some(l.to_string());
            }
        }
    }
    if attr == "content" || attr == "title" || attr == "alt" {
        return Some(clean_text(v));
    }
    Some(v.to_string())
}

/// NFC, every whitespace run (NBSP included) as one space, zero-width characters and
/// soft hyphens gone, trimmed.
pub(crate) fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in crate::text::nfc_chars(s) {
        if matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}' | '\u{00AD}') {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// Visible text of an element: script/style skipped, block boundaries as spaces (so
/// `<p>a</p><p>b</p>` is "a b" but `Hư<b>ng</b>` stays one word), then `clean_text`.
pub(crate) fn element_text(el: ElementRef<'_>) -> String {
    let mut raw = String::new();
    let mut skip_depth = 0usize;
    for edge in el.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) => {
                    if matches!(e.name(), "script" | "style" | "noscript" | "template") {
                        skip_depth += 1;
                    } else if crate::text::is_block(e.name()) {
                        raw.push(' ');
                    }
                }
                Node::Text(t) if skip_depth == 0 => raw.push_str(t),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    if matches!(e.name(), "script" | "style" | "noscript" | "template") {
                        skip_depth = skip_depth.saturating_sub(1);
                    } else if crate::text::is_block(e.name()) {
                        raw.push(' ');
                    }
                }
            }
        }
    }
    clean_text(&raw)
}

static BASE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("base[href]").expect("base"));

/// The URL relative links resolve against: `<base href>` (itself relative to the page)
/// or the page URL.
pub(crate) fn base_url(doc: &Html, page_url: &Url) -> Url {
    doc.select(&BASE)
        .next()
        .and_then(|b| b.attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https" | "file"))
        .unwrap_or_else(|| page_url.clone())
}

/// An absolute http(s) URL for a link or image, or None for `javascript:`, `#…`,
/// `mailto:` and other non-pages.
pub(crate) fn resolve(base: &Url, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.starts_with('#') {
        return None;
    }
    let lower = raw.get(..11).unwrap_or(raw).to_ascii_lowercase();
    if ["javascript:", "mailto:", "tel:", "data:", "about:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return None;
    }
    let u = base.join(raw).ok()?;
    matches!(u.scheme(), "http" | "https" | "file").then(|| u.to_string())
}

/// The link without its fragment: two anchors to `a.html` and `a.html#top` are one item.
pub(crate) fn dedup_key(link: &str) -> &str {
    link.split('#').next().unwrap_or(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_lists_split_at_top_level_only() {
        assert_eq!(split_top_level("a, b"), vec!["a", " b"]);
        assert_eq!(
            split_top_level("p:not(.a, .b), c"),
            vec!["p:not(.a, .b)", " c"]
        );
        assert_eq!(
            split_top_level("a[href*=\",\"]@href"),
            vec!["a[href*=\",\"]@href"]
        );
        assert_eq!(split_attr("a.title@href"), ("a.title", Some("href")));
        assert_eq!(split_attr("a[href*=\"@\"]"), ("a[href*=\"@\"]", None));
        assert_eq!(split_attr("@href"), ("", Some("href")));
    }

    #[test]
    fn text_keeps_words_and_separates_blocks() {
        let doc = Html::parse_fragment(
            "<div>Hư<b>ng</b>\u{00A0} Yên<p>Khánh\u{200B} Hòa</p><script>x()</script></div>",
        );
        let div = doc.select(&Selector::parse("div").unwrap()).next().unwrap();
        assert_eq!(element_text(div), "Hưng Yên Khánh Hòa");
    }

    #[test]
    fn resolve_drops_non_pages() {
        let base = Url::parse("https://a.gov.vn/x/list.html").unwrap();
        assert_eq!(
            resolve(&base, "b.html").as_deref(),
            Some("https://a.gov.vn/x/b.html")
        );
        assert_eq!(
            resolve(&base, "/c.html").as_deref(),
            Some("https://a.gov.vn/c.html")
        );
        for bad in [
            "javascript:void(0)",
            "JavaScript:__doPostBack('a','')",
            "#",
            "#top",
            "",
            "mailto:a@b.vn",
        ] {
            assert_eq!(resolve(&base, bad), None, "{bad}");
        }
    }
}
