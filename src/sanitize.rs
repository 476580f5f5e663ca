//! The one ammonia configuration every republished HTML fragment passes through.
//!
//! Policy (dependencies.md §6.1, modelled on Miniflux):
//! - ammonia's default tag allowlist (paragraphs, headings, lists, tables, figures, inline
//!   formatting, `img` with alt/title/width/height…) plus `iframe`; no `style`/`class`/`id`
//!   attributes; `script`, `style`, `noscript`, `template`, form controls, `svg`, `math`,
//!   `object`/`embed` are dropped *with* their content; `form` itself is only unwrapped,
//!   because ASP.NET portals wrap the whole article in one.
//! - URL attributes (`href`, `src`, `cite`) must be http(s) (`mailto:`/`tel:` on links);
//!   `data:` only as a raster image in `<img src>`. Relative URLs are resolved against
//!   `base`; without a base they are dropped (a relative link in a merged feed points at
//!   our own host, which is always wrong), except protocol-relative `//host/…`, which is
//!   read as https.
//! - `<iframe>` survives only with an https/http `src` on YouTube / youtube-nocookie /
//!   player.vimeo.com, and always gets `sandbox` and `loading="lazy"`.
//! - Tracking pixels (`width` and `height` both 0 or 1) and images from tracker hosts are
//!   removed, as are images left without a usable `src`.
//! - Links get `rel="noopener noreferrer"`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};
use scraper::{Html, Selector};
use url::Url;

mod prescan;

use prescan::may_prune;

const IFRAME_HOSTS: &[&str] = &[
    "youtube.com",
    "www.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
    "player.vimeo.com",
];

/// Value forced onto every kept iframe.
pub const IFRAME_SANDBOX: &str = "allow-scripts allow-same-origin allow-popups";

/// Image hosts that only serve tracking pixels (any subdomain).
const TRACKER_HOSTS: &[&str] = &["stats.wordpress.com", "pixel.wp.com", "feedsportal.com"];

/// Raster `data:` images; SVG is left out because it is a document format.
const DATA_IMAGE_PREFIXES: &[&str] = &[
    "data:image/png",
    "data:image/jpeg",
    "data:image/jpg",
    "data:image/gif",
    "data:image/webp",
    "data:image/avif",
];

// Why a thread-local base instead of a builder per call: `ammonia::Builder` is not `Clone`
// and its `attribute_filter` / `UrlRelative::Custom` callbacks must be `'static`, so the
// per-article base cannot be captured. Building a fresh Builder per call means a dozen
// HashSet/HashMap allocations and hashing ~150 strings for every article. ammonia runs the
// filter synchronously inside `clean` on the calling thread, so a thread-local "current
// base" set by a guard around that one call is exactly scoped, costs one `Url` clone, and
// lets the single static Builder below do the rewrite.
thread_local! {
    static BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
}

/// Sets the thread's base for the duration of one `sanitize_html` call; clears it on drop
/// (also on unwind), so a base can never leak into the next article.
struct BaseGuard;

impl BaseGuard {
    fn set(base: Option<&Url>) -> BaseGuard {
        let base = base
            .filter(|b| matches!(b.scheme(), "http" | "https"))
            .cloned();
        BASE.with_borrow_mut(|slot| *slot = base);
        BaseGuard
    }
}

impl Drop for BaseGuard {
    fn drop(&mut self) {
        BASE.with_borrow_mut(|slot| *slot = None);
    }
}

static BUILDER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::default();
    b.add_tags(&["iframe"])
        .add_tag_attributes("iframe", &["src", "width", "height", "allowfullscreen"])
        .set_tag_attribute_value("iframe", "sandbox", IFRAME_SANDBOX)
        .set_tag_attribute_value("iframe", "loading", "lazy")
        .add_clean_content_tags(&[
            "noscript", "template", "button", "select", "textarea", "svg", "math", "object",
            "embed", "applet", "frame", "frameset",
        ])
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel", "data"]))
        // Our filter already resolved or dropped every relative URL; anything still
        // relative afterwards is a bug, and dropping it is the safe failure.
        .url_relative(UrlRelative::Custom(Box::new(drop_relative)))
        .attribute_filter(filter_attribute)
        // `rel` is set in place rather than appended (ammonia's `link_rel`): when the
        // filter drops an `href`, ammonia's `swap_remove` moves the last attribute into
        // its slot, so an appended `rel` came out first and a second pass put it last
        // again. Set in place, it keeps its slot and the output is a fixed point (found
        // by fuzzing).
        .link_rel(None)
        .add_tag_attributes("a", &["rel"])
        .set_tag_attribute_value("a", "rel", "noopener noreferrer")
        .strip_comments(true);
    b
});

fn drop_relative(_: &str) -> Option<Cow<'_, str>> {
    None
}

/// Sanitise an HTML fragment from the network for republishing: no scripts, styles,
/// handlers, forms, `javascript:`/`vbscript:`/non-image `data:` URLs; iframes only from
/// an allowlist (YouTube, Vimeo) with `sandbox`; relative URLs rewritten against `base`;
/// 1×1 tracking pixels dropped; links get `rel="noopener noreferrer"`.
pub fn sanitize_html(html: &str, base: Option<&Url>) -> String {
    let _guard = BaseGuard::set(base);
    let unlazied = promote_lazy_images(html);
    let html = unlazied.as_deref().unwrap_or(html);
    let pruned = prune_elements(html);
    let out = BUILDER.clean(pruned.as_deref().unwrap_or(html)).to_string();
    settle(out)
}

/// Make the output a fixed point of sanitising (found by fuzzing): the serializer writes
/// a decoded `&#13;` as a raw CR, which the next parse turns into LF, and a leading
/// U+FEFF survives once but is dropped by the next parse as a byte-order mark.
///
/// One exception is left: the sanitised tree can nest elements in a way no parse builds,
/// through a table's foster parenting (`<a>x<table><a>y` puts one link inside another)
/// or an unknown element unwrapped between two headings (`<h6>x<custom><h6>y`). The next
/// parse, a reader's included, moves end tags to split them and re-opens the formatting
/// elements (`<i>`, `<a>`…) it closed; the text stays as it was, so nothing is lost.
/// Making it a fixed point would take further sanitising passes over every body, until
/// one changes nothing: a re-parse can leave a nesting the next one undoes (fuzzing found
/// `<a><h6><s><h5><s><s><table><s><a>`, which settles at the third pass).
fn settle(out: String) -> String {
    let out = if out.contains('\r') {
        out.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        out
    };
    let out = if out.contains("<pre") {
        double_pre_line_feeds(&out)
    } else {
        out
    };
    match out.strip_prefix('\u{feff}') {
        Some(rest) => rest.trim_start_matches('\u{feff}').to_string(),
        None => out,
    }
}

/// A parser drops a line feed right after `<pre>`, and html5ever's serializer does not
/// write one back, so a `<pre>` whose text started with a blank line lost it, once more at
/// every pass (found by fuzzing). Writing that line feed twice makes the text parse back
/// as it was.
///
/// Serializer output is read a tag at a time ([`crate::text::read_tag`], the reader of
/// its shape that body text is scanned with).
fn double_pre_line_feeds(out: &str) -> String {
    let b = out.as_bytes();
    let mut fixed = String::with_capacity(out.len() + 8);
    let (mut copied, mut at) = (0, 0);
    while let Some(lt) = b.get(at..).and_then(|rest| memchr::memchr(b'<', rest)) {
        let start = at + lt;
        at = start + 1;
        let Some(tag) = crate::text::read_tag(b, start) else {
            continue;
        };
        at = tag.end;
        if tag.name == "pre" && !tag.closing && b.get(tag.end) == Some(&b'\n') {
            fixed.push_str(out.get(copied..tag.end).unwrap_or_default());
            fixed.push('\n');
            copied = tag.end;
        }
    }
    fixed.push_str(out.get(copied..).unwrap_or_default());
    fixed
}

/// Whether a URL attribute value is empty once URL parsing has stripped its leading and
/// trailing C0 controls and spaces.
fn is_empty_url(value: &str) -> bool {
    value.trim_matches(|c: char| c <= ' ').is_empty()
}

/// Resolve a URL attribute value to an absolute URL, using the thread's base.
fn absolute(value: &str) -> Option<(Url, bool)> {
    // An empty reference is the document itself: joined to the base it made an image of
    // the list or article page, or a link back to it.
    if is_empty_url(value) {
        return None;
    }
    match Url::parse(value) {
        Ok(url) => Some((url, false)),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            let resolved = BASE.with_borrow(|base| match base {
                Some(base) => base.join(value).ok(),
                None => {
                    let v = value.trim_start();
                    v.starts_with("//")
                        .then(|| Url::parse(&format!("https:{v}")).ok())
                        .flatten()
                }
            });
            resolved.map(|u| (u, true))
        }
        Err(_) => None,
    }
}

fn host_matches(url: &Url, domain: &str) -> bool {
    url.host_str()
        .is_some_and(|h| h == domain || h.strip_suffix(domain).is_some_and(|p| p.ends_with('.')))
}

fn is_allowed_embed(url: &Url) -> bool {
    matches!(url.scheme(), "https" | "http")
        && url.host_str().is_some_and(|h| IFRAME_HOSTS.contains(&h))
}

fn is_tracker(url: &Url) -> bool {
    TRACKER_HOSTS.iter().any(|d| host_matches(url, d))
        || (url.host_str() == Some("feeds.feedburner.com") && url.path().starts_with("/~"))
}

fn is_data_image(value: &str) -> bool {
    let v = value.trim_start().as_bytes();
    DATA_IMAGE_PREFIXES
        .iter()
        .any(|p| v.len() >= p.len() && v[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
}

/// The attribute rule shared by the pre-pass and ammonia: `Some(url)` when `value` may
/// stay in `element`'s `attribute`, with `rewritten` telling whether it changed.
fn allowed_url(element: &str, attribute: &str, value: &str) -> Option<(Url, bool)> {
    let (url, rewritten) = absolute(value)?;
    let ok = match url.scheme() {
        "http" | "https" => match element {
            "iframe" => is_allowed_embed(&url),
            "img" => !is_tracker(&url),
            _ => true,
        },
        "mailto" | "tel" => element == "a" && attribute == "href",
        "data" => element == "img" && attribute == "src" && is_data_image(value),
        _ => false,
    };
    ok.then_some((url, rewritten))
}

/// ammonia calls this for every surviving attribute, after its scheme allowlist and before
/// its relative-URL handling; the return value is not re-checked, so it must be safe.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    if !matches!(attribute, "href" | "src" | "cite") {
        return Some(Cow::Borrowed(value));
    }
    let (url, rewritten) = allowed_url(element, attribute, value)?;
    Some(if rewritten {
        Cow::Owned(url.into())
    } else {
        Cow::Borrowed(value)
    })
}

/// True for a `width`/`height` value of 0 or 1 (`"1"`, `" 1px"`, `"0.5"`).
fn is_tiny(value: Option<&str>) -> bool {
    let Some(v) = value else { return false };
    let v = v.trim();
    let v = v.strip_suffix("px").unwrap_or(v).trim();
    v.parse::<f32>().is_ok_and(|n| (0.0..=1.0).contains(&n))
}

/// Jumps between occurrences of the needle's first byte (either case) with `memchr2`:
/// comparing a window at every byte, for four needles, was a quarter of sanitising.
fn contains_ignore_ascii_case(hay: &str, needle: &str) -> bool {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = needle.first() else {
        return true;
    };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut at = 0;
    while let Some(i) = hay
        .get(at..)
        .and_then(|rest| memchr::memchr2(lower, upper, rest))
    {
        let start = at + i;
        if hay
            .get(start..start + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        {
            return true;
        }
        at = start + 1;
    }
    false
}

/// Vietnamese CMSs lazy-load article images: `src` holds a placeholder and the real
/// image sits in `data-src` (or `data-original`), which the sanitizer would drop. Make the
/// real one the `src` before sanitising; the URL is then checked like any other.
///
/// The real URL goes in as a new first `src`: the tokenizer keeps the first of duplicate
/// attributes, so the placeholder is ignored without editing the rest of the tag. Tags are
/// read by the tokenizer's rules ([`prescan::lazy_images`]); the patterns this replaced
/// stopped at a `>` inside a quoted value and removed `src=` from inside other values.
fn promote_lazy_images(html: &str) -> Option<String> {
    if !prescan::LAZY_ATTRIBUTES
        .iter()
        .any(|name| contains_ignore_ascii_case(html, name))
    {
        return None;
    }
    let mut out = String::with_capacity(html.len() + 64);
    let mut copied = 0;
    for (name_end, lazy) in prescan::lazy_images(html) {
        out.push_str(html.get(copied..name_end)?);
        // Quoted as it was, so that it reads back the same; an unquoted value may hold
        // either quote, and `&quot;` reads back as `"` in any attribute value.
        let (quote, value) = match lazy.quote {
            Some(q) => (char::from(q), Cow::Borrowed(lazy.value)),
            None => ('"', Cow::Owned(lazy.value.replace('"', "&quot;"))),
        };
        out.push_str(" src=");
        out.push(quote);
        out.push_str(&value);
        out.push(quote);
        copied = name_end;
    }
    if copied == 0 {
        return None;
    }
    out.push_str(html.get(copied..)?);
    Some(out)
}

static PRUNE_SELECTOR: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("img, iframe").expect("constant selector parses"));

/// Remove whole elements that ammonia cannot: its hooks see one attribute at a time and can
/// only drop attributes, but a pixel needs width *and* height, and a refused iframe or
/// image should vanish rather than linger empty, and a kept iframe's raw-text children
/// should go. Runs only when the input has `<img` or
/// `<iframe`, and re-serialises only when something was removed. ammonia stays the last
/// pass, and the attribute filter repeats the host checks, so if the two parsers ever
/// disagree the worst outcome is an `img`/`iframe` without `src`, never an unsafe one.
fn prune_elements(html: &str) -> Option<String> {
    if !may_prune(html) {
        return None;
    }
    let mut doc = Html::parse_fragment(html);
    let mut doomed = Vec::new();
    for el in doc.select(&PRUNE_SELECTOR) {
        let e = el.value();
        let src_ok = e
            .attr("src")
            .is_some_and(|src| allowed_url(e.name(), "src", src).is_some());
        let drop = match e.name() {
            "img" => !src_ok || (is_tiny(e.attr("width")) && is_tiny(e.attr("height"))),
            _ => !src_ok,
        };
        if drop {
            doomed.push(el.id());
        } else if e.name() == "iframe" {
            // Fallback content is never shown by a browser that supports iframes, and it
            // is serialised raw, so there is no reason to carry it.
            doomed.extend(el.children().map(|c| c.id()));
        }
    }
    if doomed.is_empty() {
        return None;
    }
    for id in doomed {
        if let Some(mut node) = doc.tree.get_mut(id) {
            node.detach();
        }
    }
    Some(doc.root_element().inner_html())
}

#[cfg(test)]
mod scan_tests;
#[cfg(test)]
mod tests;
