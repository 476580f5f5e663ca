//! Bodies of the zonewire fuzz targets.
//!
//! They live in a library rather than in `fuzz_targets/` so that two harnesses share them:
//! the libFuzzer binaries that `cargo fuzz` builds, and `tests/replay.rs`, which runs on
//! the stable toolchain without libFuzzer (seed replay plus a small time-boxed mutator).
//!
//! Every body takes arbitrary bytes and must never panic; the assertions below are the
//! properties that the daemon relies on, so a failing one is a finding, not noise.
//!
//! Inputs of `feed_ingest` and `html_extract` start with one selector byte that picks a
//! variant (Content-Type header, extraction preset); the rest is the document. Seeds
//! spell it as an ASCII digit so they stay readable.

use std::cell::Cell;
use std::sync::{LazyLock, Once};

use chrono::{DateTime, FixedOffset, Utc};
use unicode_normalization::{UnicodeNormalization, is_nfc};
use url::Url;
use zonewire::extract::{self, HtmlConfig, HtmlRules};
use zonewire::{dates, normalize, parse, sanitize, text as ztext, urlnorm};

/// Every target is deterministic: a fixed "now" instead of the clock, so a crash replays.
fn vn_now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-05-20T09:30:00+07:00").expect("constant date")
}

/// New Year's Eve, where inferring a missing year is most fragile.
fn vn_new_year() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-01-01T00:05:00+07:00").expect("constant date")
}

fn utc_now() -> DateTime<Utc> {
    vn_now().with_timezone(&Utc)
}

static FEED_URL: LazyLock<Url> = LazyLock::new(|| {
    Url::parse("https://bqlkcn.example.gov.vn/rss/tin-tuc.rss").expect("constant URL")
});

static PAGE_URL: LazyLock<Url> = LazyLock::new(|| {
    Url::parse("https://kkt.example.gov.vn/vi/tin-tuc/hoat-dong.html?page=2").expect("constant URL")
});

/// Content-Type headers the daemon sees in practice, including lying ones.
const CONTENT_TYPES: [Option<&str>; 7] = [
    None,
    Some("application/rss+xml"),
    Some("application/atom+xml; charset=utf-8"),
    Some("text/xml; charset=windows-1258"),
    Some("text/html; charset=iso-8859-1"),
    Some("application/feed+json"),
    Some("text/plain; charset=\"x-user-defined\""),
];

/// Split off the selector byte; an empty input selects variant 0 with an empty document.
fn selector(data: &[u8]) -> (usize, &[u8]) {
    match data.split_first() {
        Some((first, rest)) => (usize::from(*first), rest),
        None => (0, data),
    }
}

/// Dependency panics that `parse::parse_feed` already turns into `ParseError::Panicked`
/// (it runs feed-rs under `catch_unwind` for exactly this). libFuzzer's panic hook aborts
/// before any `catch_unwind` is reached, so without this list one known quick-xml bug
/// would stop every `feed_ingest` run within seconds. Each entry is reported upstream-ward
/// in the README's "Fuzzing" section and has a reproducer in `regressions/feed_ingest/`;
/// `ZONEWIRE_FUZZ_STRICT=1` makes them fatal again.
const KNOWN_FEED_PANICS: &[&str] = &[
    // quick-xml 0.42.0 (via feed-rs 3.0.0), encoding.rs: a second `<?xml … encoding=…?>`
    // after the root element has started.
    "set_encoding() called after prefix buffer was drained",
];

thread_local! {
    static IN_FEED_PARSE: Cell<bool> = const { Cell::new(false) };
}

static FEED_HOOK: Once = Once::new();

/// Wrap whatever panic hook is installed (libFuzzer's aborting one, or std's) so that a
/// listed panic raised inside `feed_entries` unwinds quietly into zonewire's own
/// `catch_unwind`; every other panic still goes to the previous hook.
fn tolerate_known_feed_panics() {
    FEED_HOOK.call_once(|| {
        if std::env::var_os("ZONEWIRE_FUZZ_STRICT").is_some_and(|v| v != "0") {
            return;
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let known = IN_FEED_PARSE.with(Cell::get)
                && info
                    .payload_as_str()
                    .is_some_and(|m| KNOWN_FEED_PANICS.iter().any(|k| m.contains(k)));
            if !known {
                previous(info);
            }
        }));
    });
}

/// bytes → items, the daemon's feed path: charset handling and parsing
/// (`parse::feed_entries`), then `normalize::normalize` of every entry.
pub fn feed_ingest(data: &[u8]) {
    let (sel, body) = selector(data);
    let content_type = CONTENT_TYPES[sel % CONTENT_TYPES.len()];
    // Called only for its panics: the poller asks it first when the kind is `auto`.
    let _ = parse::looks_like_feed(body);
    tolerate_known_feed_panics();
    IN_FEED_PARSE.with(|f| f.set(true));
    let parsed = parse::feed_entries(body, content_type, &FEED_URL);
    IN_FEED_PARSE.with(|f| f.set(false));
    let Ok(feed) = parsed else {
        return;
    };
    let province = if sel & 0x80 == 0 {
        Some("khanh-hoa")
    } else {
        None
    };
    for entry in feed.entries {
        if let Some(c) = normalize::normalize(entry, "fuzz-feed", province, &FEED_URL, utc_now()) {
            check_candidate(&c);
        }
    }
}

/// Properties every stored item must have, whatever the source sent.
fn check_candidate(c: &normalize::Candidate) {
    let item = &c.item;
    let body = item.content_html.as_deref().unwrap_or_default();
    assert!(
        !body.to_ascii_lowercase().contains("<script"),
        "normalised body keeps a script: {body:?}"
    );
    // An item without a title is titled with its link, which is no cleaned text.
    if item.title != item.link {
        check_clean("item title", &item.title, &item.title);
    }
    check_clean("item summary", &item.summary, &item.summary);
    for field in item.authors.iter().chain(&item.categories) {
        check_clean("item author or category", field, field);
    }
    check_folded("item search text", &c.search, &c.search);
    for slug in &item.provinces {
        assert!(
            zonewire::provinces::by_slug(slug).is_some(),
            "item tagged with an unknown province {slug:?}"
        );
    }
}

/// Invisible characters `text` promises to drop (its `is_invisible`, minus the
/// whitespace controls, which become spaces).
fn is_invisible(c: char) -> bool {
    !c.is_whitespace()
        && matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}' | '\u{0}'..='\u{1F}'
                | '\u{7F}'..='\u{9F}'
        )
}

/// What every cleaned string (`normalize_text`, `html_to_text`, stored titles and
/// summaries) is: NFC, no invisible characters, every whitespace run one plain space,
/// trimmed. Search, keys and fingerprints rely on it, and the cleaner skips its NFC pass
/// when its byte scan saw nothing that needs one: a wrong skip shows here.
fn check_clean(what: &str, input: &str, out: &str) {
    assert!(is_nfc(out), "{what} is not NFC: {input:?} gave {out:?}");
    assert!(
        !out.chars().any(is_invisible),
        "{what} keeps an invisible character: {input:?} gave {out:?}"
    );
    assert!(
        !out.chars().any(|c| c.is_whitespace() && c != ' '),
        "{what} keeps whitespace other than a space: {input:?} gave {out:?}"
    );
    assert!(
        !out.starts_with(' ') && !out.ends_with(' ') && !out.contains("  "),
        "{what} is not trimmed and collapsed: {input:?} gave {out:?}"
    );
}

/// What `fold` promises: letters and digits (no combining marks) and single spaces,
/// trimmed.
fn check_folded(what: &str, input: &str, out: &str) {
    assert!(
        out.chars().all(|c| c == ' '
            || (c.is_alphanumeric() && !unicode_normalization::char::is_combining_mark(c))),
        "{what}: fold kept something other than letters, digits and spaces: {input:?} gave {out:?}"
    );
    assert!(
        !out.starts_with(' ') && !out.ends_with(' ') && !out.contains("  "),
        "{what}: fold is not trimmed and collapsed: {input:?} gave {out:?}"
    );
}

/// Extraction rules the target rotates through: every built-in preset, plus one custom
/// configuration with the selector syntax presets do not use (`@attr`, comma lists,
/// `:scope`).
static RULES: LazyLock<Vec<HtmlRules>> = LazyLock::new(|| {
    let mut rules: Vec<HtmlRules> = extract::preset_names()
        .into_iter()
        .map(|name| {
            HtmlRules::compile(&HtmlConfig {
                preset: Some(name.to_string()),
                ..Default::default()
            })
            .expect("built-in preset compiles")
        })
        .collect();
    let custom = HtmlConfig {
        item: Some("li.news-item, div.item, article".to_string()),
        title: Some("h3 a, a.title@title, a".to_string()),
        link: Some("a.title@href, a@href".to_string()),
        date: Some("span.date, time@datetime, :scope@data-date".to_string()),
        summary: Some("p.sapo, p".to_string()),
        image: Some("img@data-src, img@src".to_string()),
        follow: Some(true),
        body: Some("div.content, article".to_string()),
        article_date: Some(
            "span.date, meta[property='article:published_time']@content".to_string(),
        ),
        stop_at: Some(vec!["Tin liên quan".to_string(), "Tin khác".to_string()]),
        ..Default::default()
    };
    rules.push(HtmlRules::compile(&custom).expect("constant custom rules compile"));
    rules
});

/// bytes → lossy UTF-8 → list extraction (and normalisation of what it finds), article
/// extraction, selector suggestion and feed autodiscovery.
pub fn html_extract(data: &[u8]) {
    let (sel, body) = selector(data);
    let html = String::from_utf8_lossy(body);
    let rules = &RULES[sel % RULES.len()];
    let now = if sel & 0x80 == 0 {
        vn_now()
    } else {
        vn_new_year()
    };
    let _ = extract::looks_like_html(&html);
    match extract::extract_list(&html, &PAGE_URL, rules, now) {
        Ok(entries) => {
            assert!(
                !entries.is_empty(),
                "extract_list returned Ok with no entries"
            );
            for entry in entries {
                assert!(entry.link.is_some(), "list entry without a link: {entry:?}");
                if let Some(c) =
                    normalize::normalize(entry, "fuzz-html", None, &PAGE_URL, utc_now())
                {
                    check_candidate(&c);
                }
            }
        }
        // The message is shown to operators: it must format.
        Err(e) => drop(e.to_string()),
    }
    let _ = extract::extract_article(&html, &PAGE_URL, rules, now);
    let _ = extract::suggest(&html, &PAGE_URL);
    for link in extract::feed_links(&html, &PAGE_URL) {
        assert!(
            Url::parse(&link).is_ok(),
            "feed link is not absolute: {link:?}"
        );
    }
}

/// The date parsers, each on the whole input as text.
pub fn dates(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let _ = dates::parse_vn_date(&s, vn_now());
    let _ = dates::parse_vn_date(&s, vn_new_year());
    let _ = dates::date_from_url(&s);
    let _ = dates::parse_feed_timestamp(&s);
}

static BASES: LazyLock<[Url; 2]> = LazyLock::new(|| {
    [
        Url::parse("https://banqlkcn.example.gov.vn/tin-tuc/").expect("constant URL"),
        Url::parse("http://xn--bc-ninh-2ya.example.vn/Pages/TinTuc.aspx?ID=7#top")
            .expect("constant URL"),
    ]
});

/// Canonical URLs are identity: canonicalising one must give it back unchanged, or the
/// same article would get two keys depending on how many times it was processed.
fn assert_fixed_point(input: &str, canonical: &str) {
    let again = urlnorm::canonicalize(canonical, None);
    assert_eq!(
        again.as_deref(),
        Some(canonical),
        "canonicalize is not idempotent: input {input:?} gave {canonical:?}, which gives {again:?}"
    );
    let _ = urlnorm::url_key(canonical);
}

/// URL canonicalisation with and without a base, and `url_key`; a first line that parses
/// as a URL is also tried as the base of the rest.
pub fn urlnorm(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let _ = urlnorm::url_key(&s);
    if let Some(c) = urlnorm::canonicalize(&s, None) {
        assert_fixed_point(&s, &c);
    }
    for base in BASES.iter() {
        if let Some(c) = urlnorm::canonicalize(&s, Some(base)) {
            assert_fixed_point(&s, &c);
        }
    }
    if let Some((first, rest)) = s.split_once('\n')
        && let Ok(base) = Url::parse(first)
        && let Some(c) = urlnorm::canonicalize(rest, Some(&base))
    {
        assert_fixed_point(&s, &c);
    }
}

/// Text hygiene and HTML sanitising.
pub fn text(data: &[u8]) {
    let s = String::from_utf8_lossy(data);

    // Keys and search fold both sides; a folded key must stay put when folded again.
    let folded = ztext::fold(&s);
    let refolded = ztext::fold(&folded);
    assert_eq!(
        refolded, folded,
        "fold is not idempotent on {s:?}: {folded:?} then {refolded:?}"
    );
    check_folded("fold", &s, &folded);
    // A query typed on a system that sends NFD (macOS) must meet text stored in NFC.
    for (form, other) in [
        ("NFD", s.nfd().collect::<String>()),
        ("NFC", s.nfc().collect()),
    ] {
        let of_other = ztext::fold(&other);
        assert_eq!(
            of_other, folded,
            "fold of the {form} form differs: {s:?} gave {folded:?}, {other:?} gave {of_other:?}"
        );
    }

    // Documented exception: text whose decoded form still spells an entity. Without an
    // `&` left, a second pass has nothing to decode and must change nothing.
    let normal = ztext::normalize_text(&s);
    if !normal.contains('&') {
        let again = ztext::normalize_text(&normal);
        assert_eq!(
            again, normal,
            "normalize_text is not idempotent on {s:?}: {normal:?} then {again:?}"
        );
    }
    check_clean("normalize_text", &s, &normal);
    check_clean("html_to_text", &s, &ztext::html_to_text(&s));
    let _ = ztext::has_mojibake(&s);
    let max = data.first().map_or(0, |b| usize::from(*b % 64));
    let cut = ztext::truncate_words(&s, max);
    assert!(
        cut.chars().count() <= max,
        "truncate_words({max}) gave {} chars: {cut:?}",
        cut.chars().count()
    );

    for base in [None, Some(&BASES[0])] {
        let clean = sanitize::sanitize_html(&s, base);
        assert!(
            !clean.to_ascii_lowercase().contains("<script"),
            "sanitize_html kept a script: {s:?} gave {clean:?}"
        );
        // Accepted (README, "Fuzzing"): the sanitised tree can nest elements in a way no
        // parse builds (a table's foster parenting, an element unwrapped between two
        // headings or links: `<a>x<table><a>y`), and the next parse, a reader's too,
        // moves end tags to split them and re-opens formatting elements. One re-parse
        // can leave a nesting that the next one undoes (`<a><h6><s><h5><s><s><table><s><a>`
        // settles at the third pass), so each further pass must keep the text, the
        // other start tags, and each distinct formatting start tag (attributes in order),
        // and the passes must settle within a few.
        let mut prev = clean.clone();
        let mut renested = false;
        for pass in 2.. {
            let next = sanitize::sanitize_html(&prev, base);
            if next == prev {
                break;
            }
            renested = true;
            assert_eq!(
                renesting_only(&clean),
                renesting_only(&next),
                "sanitize_html is not idempotent on {s:?} (base {base:?}): {clean:?} then, at pass {pass}, {next:?}"
            );
            assert!(
                pass < SETTLE_PASSES,
                "sanitize_html does not settle within {SETTLE_PASSES} passes on {s:?} (base {base:?}): {prev:?} then {next:?}"
            );
            prev = next;
        }
        // Stored bodies are read as text by a scan of the serializer's shape, falling
        // back to the parser: both must read the same text. Of a re-nested tree, the
        // scan reads the tree as written and the parse the one the next pass builds
        // (an `<h6>` inside an `<h6>` closes the outer one, and its end tag is then
        // ignored), so the two differ only in where block breaks fall: the same
        // characters, not always the same spaces (regression `text/scan-renested-h6`).
        let scanned = ztext::sanitized_html_to_text(&clean);
        let parsed = ztext::html_to_text(&clean);
        if renested {
            let squeezed = |t: &str| t.split_whitespace().collect::<String>();
            assert_eq!(
                squeezed(&scanned),
                squeezed(&parsed),
                "re-nested body text by scan differs from the parse beyond spaces: {s:?} sanitised to {clean:?}"
            );
        } else {
            assert_eq!(
                scanned, parsed,
                "body text by scan differs from the parse: {s:?} sanitised to {clean:?}"
            );
        }
    }
}

/// The elements a parser re-opens when it meets them misnested (the HTML spec's
/// "formatting elements", reconstructed by the adoption agency algorithm).
const FORMATTING: &[&str] = &[
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];

/// Passes of `sanitize_html` over its own output within which it must reach a fixed
/// point. The worst case fuzzing has found settles at the third; each re-parse undoes
/// one level of a nesting no parse builds, so a longer chain is worth a look.
const SETTLE_PASSES: usize = 6;

/// What re-nesting by a parser leaves alone in serializer output: its text (tags
/// removed), its other start tags in order, and which distinct formatting start tags
/// occur (re-opening clones them, attributes and all). End tags may move. Text escapes
/// every `<`, so each one starts a tag, and a tag ends at the first `>` outside the
/// double-quoted values the serializer writes.
fn renesting_only(html: &str) -> (String, Vec<&str>, std::collections::BTreeSet<&str>) {
    let mut text = String::with_capacity(html.len());
    let (mut others, mut formatting) = (Vec::new(), std::collections::BTreeSet::new());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        text.push_str(&rest[..lt]);
        let tag = &rest[lt..];
        let mut quoted = false;
        let end = tag
            .char_indices()
            .find(|&(_, c)| {
                quoted ^= c == '"';
                c == '>' && !quoted
            })
            .map_or(tag.len(), |(i, _)| i + 1);
        let start = &tag[..end];
        if !start.starts_with("</") {
            let name = start[1..].split([' ', '>', '/']).next().unwrap_or_default();
            if FORMATTING.contains(&name) {
                formatting.insert(start);
            } else {
                others.push(start);
            }
        }
        rest = &tag[end..];
    }
    text.push_str(rest);
    (text, others, formatting)
}

/// A target body: arbitrary bytes in, a panic on a finding.
pub type Target = fn(&[u8]);

/// The targets by name, for harnesses that pick one at run time.
pub const TARGETS: [(&str, Target); 5] = [
    ("feed_ingest", feed_ingest),
    ("html_extract", html_extract),
    ("dates", dates),
    ("urlnorm", urlnorm),
    ("text", text),
];
