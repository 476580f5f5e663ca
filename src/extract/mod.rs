//! HTML news-list pages and article pages, read with CSS selectors and platform presets.
//!
//! Most IZ/EZ board sites publish no feed (vietnamese-sources.md §0), so this is how the
//! product reads them: a `[source.html]` config (or a named preset, see `presets`) says
//! where the items, titles, links and dates are; `extract_list` turns a list page into
//! `RawEntry`s, `extract_article` reads a followed article page, `feed_links` finds feeds a
//! page advertises, and `suggest` proposes selectors for a page nobody has configured yet.
//!
//! Each page is parsed once with `scraper::Html::parse_document`; selectors are compiled
//! once per source (`HtmlRules::compile`).

mod article;
mod dom;
mod presets;
mod suggest;

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex, PoisonError};

use chrono::{DateTime, FixedOffset};
use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::dates::{date_from_url, parse_vn_date};
use crate::model::RawEntry;
use dom::Field;

/// `[source.html]` as written in the config. Every field is optional: a `preset` fills
/// what is not given. Selectors may end in `@attr` to take an attribute instead of text;
/// a comma list (`span.date, .post-date`) is tried left to right, each alternative with
/// its own `@attr`; `:scope` (or nothing before `@`) means the item element itself. An
/// empty string switches off a field the preset would fill.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtmlConfig {
    pub preset: Option<String>,
    pub item: Option<String>,
    pub title: Option<String>,
    pub link: Option<String>,
    pub date: Option<String>,
    pub summary: Option<String>,
    pub image: Option<String>,
    /// Fetch each new item's article page for body, exact date and canonical link.
    pub follow: Option<bool>,
    pub body: Option<String>,
    /// Date selector on the article page.
    pub article_date: Option<String>,
    pub stop_at: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExtractError {
    #[error("unknown preset {0:?} (known: {1})")]
    UnknownPreset(String, String),
    #[error("html.{field}: invalid selector {selector:?}: {reason}")]
    BadSelector {
        field: &'static str,
        selector: String,
        reason: String,
    },
    #[error("html.{0} is required (no preset gives it)")]
    Missing(&'static str),
    #[error("item selector {selector:?} matched nothing on the page (site redesigned?)")]
    NoItems { selector: String },
    #[error(
        "item selector {item:?} matched {count} blocks but link selector {link:?} found no link in any"
    )]
    NoLinks {
        item: String,
        link: String,
        count: usize,
    },
}

/// What the default link rule is called in `NoLinks` errors.
const DEFAULT_LINK: &str = "(href of the title, else first a[href])";

/// Compiled selectors for one source.
#[derive(Debug, Clone)]
pub struct HtmlRules {
    pub follow: bool,
    preset: Option<&'static str>,
    item_src: String,
    item: Selector,
    title: Field,
    link: Option<Field>,
    date: Option<Field>,
    summary: Option<Field>,
    image: Option<Field>,
    body: Option<Field>,
    article_date: Option<Field>,
    /// One case-insensitive, whitespace-tolerant pattern per `stop_at` marker.
    stop_at: Vec<Regex>,
}

/// The configured value if given (an empty string means "none"), else the preset's.
fn pick(cfg: &Option<String>, preset: Option<&'static str>) -> Option<String> {
    match cfg {
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(s.clone()),
        None => preset.map(str::to_string),
    }
}

fn field(name: &'static str, spec: Option<String>) -> Result<Option<Field>, ExtractError> {
    spec.map(|s| Field::parse(name, &s)).transpose()
}

/// `Tin tức khác` → `(?i)tin\s+tức\s+khác`, so NBSP or doubled spaces still match.
///
/// Compiled once per pattern for the whole process: every HTML source carries its
/// preset's markers, and a case-insensitive Unicode pattern compiles to ~10 KB, so 200
/// sources held ~8 MB of identical automata (BENCHMARKS.md §4). Clones share them. The
/// cache grows only with the distinct markers the configurations of this process name.
fn marker_regex(marker: &str) -> Option<Regex> {
    static COMPILED: LazyLock<Mutex<HashMap<String, Regex>>> = LazyLock::new(Mutex::default);
    let words: Vec<String> = dom::clean_text(marker)
        .split(' ')
        .map(regex::escape)
        .collect();
    if words.iter().all(|w| w.is_empty()) {
        return None;
    }
    let pattern = format!("(?i){}", words.join(r"\s+"));
    let mut compiled = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(re) = compiled.get(&pattern) {
        return Some(re.clone());
    }
    let re = Regex::new(&pattern).ok()?;
    compiled.insert(pattern, re.clone());
    Some(re)
}

impl HtmlRules {
    /// Apply the preset, then the per-field overrides, and compile every selector.
    pub fn compile(cfg: &HtmlConfig) -> Result<Self, ExtractError> {
        let preset = match &cfg.preset {
            None => None,
            Some(name) => Some(presets::find(name.trim()).ok_or_else(|| {
                ExtractError::UnknownPreset(name.clone(), preset_names().join(", "))
            })?),
        };
        let item_src =
            pick(&cfg.item, preset.map(|p| p.item)).ok_or(ExtractError::Missing("item"))?;
        let item = Selector::parse(&item_src).map_err(|e| ExtractError::BadSelector {
            field: "item",
            selector: item_src.clone(),
            reason: e.to_string(),
        })?;
        let title =
            pick(&cfg.title, preset.map(|p| p.title)).ok_or(ExtractError::Missing("title"))?;
        let title = Field::parse("title", &title)?;
        let stop_at: Vec<String> = cfg.stop_at.clone().unwrap_or_else(|| {
            presets::DEFAULT_STOP_AT
                .iter()
                .map(|s| s.to_string())
                .collect()
        });
        Ok(Self {
            follow: cfg.follow.unwrap_or(preset.is_some_and(|p| p.follow)),
            preset: preset.map(|p| p.name),
            item_src,
            item,
            title,
            link: field("link", pick(&cfg.link, preset.and_then(|p| p.link)))?,
            date: field("date", pick(&cfg.date, preset.and_then(|p| p.date)))?,
            summary: field(
                "summary",
                pick(&cfg.summary, preset.and_then(|p| p.summary)),
            )?,
            image: field("image", pick(&cfg.image, preset.and_then(|p| p.image)))?,
            body: field("body", pick(&cfg.body, preset.and_then(|p| p.body)))?,
            article_date: field(
                "article_date",
                pick(&cfg.article_date, preset.and_then(|p| p.article_date)),
            )?,
            stop_at: stop_at.iter().filter_map(|m| marker_regex(m)).collect(),
        })
    }

    /// The preset these rules started from, if any.
    pub fn preset(&self) -> Option<&'static str> {
        self.preset
    }

    /// The item selector as written (for error messages and `zonewire check`).
    pub fn item_selector(&self) -> &str {
        &self.item_src
    }
}

/// Names of the built-in presets.
pub fn preset_names() -> Vec<&'static str> {
    presets::PRESETS.iter().map(|p| p.name).collect()
}

static NGAY_DIGIT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)ngày\s*\d").expect("NGAY_DIGIT regex"));

/// A date a title or lead paragraph states as "ngày 03/6/2024". Only text starting at
/// "ngày" is read, so numbers such as "Nghị quyết 202/2025/QH15" are never taken.
pub(crate) fn date_after_ngay(
    text: &str,
    now: DateTime<FixedOffset>,
) -> Option<DateTime<FixedOffset>> {
    NGAY_DIGIT
        .find_iter(text)
        .find_map(|m| parse_vn_date(&text[m.start()..], now))
}

/// Lists often cut long titles with "…" and keep the whole one in `title=""`.
fn untruncated_title(el: ElementRef<'_>, text: String) -> String {
    let stem = text.trim_end_matches(['.', '…', ' ']);
    if stem.len() < text.len()
        && let Some(full) = el.attr("title").map(dom::clean_text)
        && full.len() > stem.len()
        && full.starts_with(stem)
    {
        return full;
    }
    text
}

static A_HREF: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a[href]").expect("a[href]"));

/// The default link: the title element's href, else an enclosing link, else the first
/// usable `a[href]` in the item.
fn default_link(item: ElementRef<'_>, title_el: ElementRef<'_>, base: &Url) -> Option<String> {
    let own = std::iter::once(title_el)
        .chain(
            title_el
                .ancestors()
                .filter_map(ElementRef::wrap)
                .take_while(|a| *a != item),
        )
        .filter(|e| e.value().name() == "a");
    own.chain(item.select(&A_HREF))
        .filter_map(|a| a.attr("href"))
        .find_map(|h| dom::resolve(base, h))
}

/// Entries of a list page. Links and images absolute against `page_url` (or `<base href>`).
/// Zero items, or items without links, is an error naming the selector.
pub fn extract_list(
    html: &str,
    page_url: &Url,
    rules: &HtmlRules,
    now: DateTime<FixedOffset>,
) -> Result<Vec<RawEntry>, ExtractError> {
    let doc = Html::parse_document(html);
    let base = dom::base_url(&doc, page_url);
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    let mut count = 0usize;
    for item in doc.select(&rules.item) {
        count += 1;
        let Some((title_el, title)) = rules.title.first(item) else {
            continue;
        };
        let title = untruncated_title(title_el, title);
        let link = match &rules.link {
            Some(f) => f.values(item).find_map(|(_, v)| dom::resolve(&base, &v)),
            None => default_link(item, title_el, &base),
        };
        let Some(link) = link else { continue };
        if !seen.insert(dom::dedup_key(&link).to_string()) {
            continue;
        }

        let raw_date = rules
            .date
            .as_ref()
            .and_then(|f| f.first(item))
            .map(|(_, v)| v);
        let published = raw_date
            .as_deref()
            .and_then(|d| parse_vn_date(d, now))
            .or_else(|| date_from_url(&link))
            .or_else(|| date_after_ngay(&title, now));
        let unparsed_date = if published.is_none() { raw_date } else { None };

        let summary = rules
            .summary
            .as_ref()
            .and_then(|f| f.first(item))
            .map(|(_, v)| v)
            .filter(|s| *s != title);
        let image = rules
            .image
            .as_ref()
            .and_then(|f| f.values(item).find_map(|(_, v)| dom::resolve(&base, &v)));

        out.push(RawEntry {
            title,
            link: Some(link),
            published,
            summary,
            image,
            unparsed_date,
            ..RawEntry::default()
        });
    }
    if count == 0 {
        return Err(ExtractError::NoItems {
            selector: rules.item_src.clone(),
        });
    }
    if out.is_empty() {
        let link = rules
            .link
            .as_ref()
            .map_or(DEFAULT_LINK.to_string(), |f| f.source.clone());
        return Err(ExtractError::NoLinks {
            item: rules.item_src.clone(),
            link,
            count,
        });
    }
    Ok(out)
}

/// What an article page adds to a list entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    /// Body HTML cut at the first `stop_at` marker, image-size artefacts removed (not yet
    /// sanitised).
    pub body_html: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub canonical: Option<String>,
    pub title: Option<String>,
    pub image: Option<String>,
}

pub fn extract_article(
    html: &str,
    page_url: &Url,
    rules: &HtmlRules,
    now: DateTime<FixedOffset>,
) -> Article {
    article::extract(html, page_url, rules, now)
}

/// True when the text looks like an HTML page rather than a feed.
pub fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    head.contains("<html") || head.contains("<!doctype html")
}

static FEED_LINK: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("link[rel][href][type]").expect("feed link selector"));

/// Feed links a page advertises (`<link rel="alternate" type="application/rss+xml">` …).
/// On a WordPress page (`/wp-content/` in it) the site's `/feed/` is added when the page
/// does not advertise it, because WordPress always serves one there.
pub fn feed_links(html: &str, page_url: &Url) -> Vec<String> {
    let doc = Html::parse_document(html);
    let base = dom::base_url(&doc, page_url);
    let mut out: Vec<String> = Vec::new();
    for l in doc.select(&FEED_LINK) {
        let rel = l.attr("rel").unwrap_or("").to_ascii_lowercase();
        let ty = l.attr("type").unwrap_or("").trim().to_ascii_lowercase();
        let is_feed = ty.starts_with("application/rss+xml")
            || ty.starts_with("application/atom+xml")
            || ty.starts_with("application/feed+json");
        if !rel.split_whitespace().any(|r| r == "alternate") || !is_feed {
            continue;
        }
        if let Some(u) = l.attr("href").and_then(|h| dom::resolve(&base, h))
            && !out.contains(&u)
        {
            out.push(u);
        }
    }
    if html.contains("/wp-content/")
        && let Ok(root_feed) = page_url.join("/feed/")
    {
        let root_feed = root_feed.to_string();
        let same = |u: &String| u.trim_end_matches('/') == root_feed.trim_end_matches('/');
        if !out.iter().any(same) {
            out.push(root_feed);
        }
    }
    out
}

/// A selector set proposed for an unconfigured page, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub item: String,
    pub title: String,
    pub link: String,
    pub date: Option<String>,
    pub count: usize,
    /// A few sample (title, link) pairs it extracts.
    pub samples: Vec<(String, String)>,
}

/// Find repeated link blocks on a page and propose item/title/link/date selectors.
pub fn suggest(html: &str, page_url: &Url) -> Vec<Suggestion> {
    suggest::suggest(html, page_url)
}

#[cfg(test)]
mod tests;
