//! Deterministic Vietnamese test feeds for the benchmarks: RSS 2.0, Atom 1.0 and HTML
//! news-list pages in the shape the IZ/EZ boards publish (vietnamese-sources.md), with
//! NFC text, `+07:00` dates and per-item links. Shared by `benches/` (via `#[path]`) and
//! the `zonewire-farm` binary, so the micro and macro benchmarks parse the same bytes.
//!
//! Everything derives from `(source, item)` and a fixed base date: the same arguments give
//! the same bytes in every process, which the "unchanged body" rounds rely on.

#![allow(dead_code)]

use std::fmt::Write;

#[path = "gen_words.rs"]
mod words;
pub use words::PROVINCES;
use words::*;

/// Which document a source serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Rss,
    Atom,
    Html,
}

impl Kind {
    /// The farm's mix: one source in ten is an HTML list page, and of the feeds two in
    /// three are RSS (most boards that have a feed run RSS).
    pub fn of_source(source: usize) -> Kind {
        if source % 10 == 9 {
            Kind::Html
        } else if source % 3 == 2 {
            Kind::Atom
        } else {
            Kind::Rss
        }
    }

    pub fn path(self, source: usize) -> String {
        match self {
            Kind::Rss => format!("/s{source}/rss.xml"),
            Kind::Atom => format!("/s{source}/atom.xml"),
            Kind::Html => format!("/s{source}/tin-tuc.html"),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Rss => "application/rss+xml; charset=utf-8",
            Kind::Atom => "application/atom+xml; charset=utf-8",
            Kind::Html => "text/html; charset=utf-8",
        }
    }
}

/// The loopback address a source lives on: 127.0.0.2 … 127.0.0.254, round robin, so
/// per-host politeness limits apply as they would across real boards.
pub fn host_of(source: usize) -> String {
    format!("127.0.0.{}", 2 + source % 253)
}

/// One item in twenty reports an event that other boards also report (a delegation
/// visit, a conference): the cross-source duplicates story dedup exists for. The rest are
/// each board's own news. The first farm drew every text from one pool of ten sentences
/// and ~60 names, so 97 % of items were "the same story" as another board's, which no
/// real set of boards produces.
const SHARED_EVENT_ONE_IN: usize = 20;
/// Shared events per calendar day; with 1,000 daily boards each gets ~2.5 reports.
const SHARED_EVENTS_PER_DAY: usize = 20;

/// A small deterministic PRNG (SplitMix64): no dependency, same sequence everywhere.
pub struct Mix(u64);

impl Mix {
    pub fn new(seed: u64) -> Mix {
        Mix(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
}

/// One generated news item.
pub struct GenItem {
    pub title: String,
    pub slug: String,
    /// Unix seconds.
    pub published: i64,
    pub summary: String,
    pub body_html: String,
    /// The shared event this item reports, when other boards report it too (the ground
    /// truth for story dedup on the farm).
    pub event: Option<u64>,
}

fn slugify(s: &str) -> String {
    // Good enough for URLs in a test farm: ASCII letters kept, the rest become dashes.
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(60).collect()
}

/// The entities and figures of one event.
struct Event {
    province: &'static str,
    other: &'static str,
    zone: &'static str,
    action: &'static str,
    company: String,
    person: String,
    role: &'static str,
    facts: Vec<String>,
    figures: [usize; 4],
}

impl Event {
    fn new(rng: &mut Mix) -> Event {
        let company = match rng.below(3) {
            0 => format!("Công ty TNHH {} Việt Nam", rng.pick(FOREIGN)),
            1 => format!("Tập đoàn {}", rng.pick(FOREIGN)),
            _ => format!("Công ty CP {} {}", rng.pick(FIRM_A), rng.pick(FIRM_B)),
        };
        let person = format!(
            "{} {} {}",
            rng.pick(FAMILY),
            rng.pick(MIDDLE),
            rng.pick(GIVEN)
        );
        let role = rng.pick(ROLES);
        let facts = (0..3)
            .map(|_| {
                let fig = rng.pick(FIGURES);
                format!(
                    "{} {} {}{}{} {}.",
                    rng.pick(SUBJECTS),
                    rng.pick(VERBS),
                    rng.pick(OBJECTS),
                    if fig.is_empty() { "" } else { " " },
                    fig,
                    rng.pick(WHEN)
                )
            })
            .collect();
        Event {
            province: rng.pick(PROVINCES),
            other: rng.pick(PROVINCES),
            zone: rng.pick(ZONES),
            action: rng.pick(ACTIONS),
            company,
            person,
            role,
            facts,
            figures: [
                10 + rng.below(990),
                1 + rng.below(9),
                1 + rng.below(9),
                1 + rng.below(4),
            ],
        }
    }

    fn fill(&self, template: &str) -> String {
        let [n, m, k, q] = self.figures;
        template
            .replace("{p}", &self.person)
            .replace("{r}", self.role)
            .replace("{c}", &self.company)
            .replace("{z}", self.zone)
            .replace("{n}", &n.to_string())
            .replace("{m}", &m.to_string())
            .replace("{k}", &k.to_string())
            .replace("{q}", &q.to_string())
    }
}

/// Default gap between a source's items: a board posts about once a day (a 50-item feed
/// covers seven weeks), at a time of day that differs per source. 1,000 such feeds put
/// ~1,000 items on each day, so the story index's ±3-day window holds ~7,000 candidates:
/// dense, but what 1,000 boards would produce.
pub const DAILY: i64 = 86_400;

/// Item `item` of source `source`, the newest at `base` (Unix time), one a day.
pub fn item(source: usize, item: usize, base: i64) -> GenItem {
    item_spaced(source, item, base, DAILY)
}

/// Like [`item`], with `spacing` seconds between a source's items.
pub fn item_spaced(source: usize, item: usize, base: i64, spacing: i64) -> GenItem {
    let mut rng = Mix::new((source as u64) << 20 | item as u64);
    let published = base - (item as i64) * spacing - (source as i64 * 7_919 % 1_440) * 60;
    let shared = rng.below(SHARED_EVENT_ONE_IN) == 0;
    let (ev, event) = if shared {
        // Keyed by the Vietnam calendar day, so reports of one event by different boards
        // carry the same facts and fall inside the story window.
        let day = (published + 7 * 3_600).div_euclid(86_400) as u64;
        let key = (day << 8) ^ rng.below(SHARED_EVENTS_PER_DAY) as u64;
        (Event::new(&mut Mix::new(0x5e4e_d000 ^ key)), Some(key))
    } else {
        (Event::new(&mut rng), None)
    };
    // Each board words the headline its own way.
    let title = match rng.below(3) {
        0 => format!(
            "Ban Quản lý các KCN tỉnh {} {} {}",
            ev.province, ev.action, ev.zone
        ),
        1 => format!("{} {} {}", ev.company, ev.action, ev.zone),
        _ => format!(
            "Đoàn công tác tỉnh {} làm việc với {} về {}",
            ev.other,
            ev.province,
            ev.zone.to_lowercase()
        ),
    };
    let summary = format!("{} {}", ev.fill(&ev.facts[0]), ev.fill(&ev.facts[1]));
    let mut body_html = format!(
        "<p><strong>{}</strong></p>",
        xml_escape(&format!("({}) – {summary}", ev.province))
    );
    let _ = write!(body_html, "<p>{}</p>", xml_escape(&ev.fill(&ev.facts[2])));
    for _ in 0..(2 + rng.below(4)) {
        let _ = write!(body_html, "<p>{}</p>", xml_escape(rng.pick(BOILERPLATE)));
    }
    let _ = write!(
        body_html,
        "<p><img src=\"/uploads/2025/anh-{source}-{item}.jpg\" alt=\"Ảnh minh họa\"></p><p style=\"text-align:right\"><em>Phòng Quản lý Đầu tư</em></p>"
    );
    GenItem {
        event,
        slug: format!("{}-{source}-{item}", slugify(&title)),
        title,
        published,
        summary,
        body_html,
    }
}

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm), to avoid a
/// date-library dependency in a file also compiled into benches.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Local (+07:00) parts of a Unix time.
fn vn_parts(t: i64) -> (i64, u32, u32, i64, i64, i64, usize) {
    let local = t + 7 * 3600;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    let wd = days.rem_euclid(7) as usize;
    (y, m, d, secs / 3600, secs / 60 % 60, secs % 60, wd)
}

pub fn rfc2822(t: i64) -> String {
    let (y, m, d, hh, mm, ss, wd) = vn_parts(t);
    format!(
        "{}, {d:02} {} {y} {hh:02}:{mm:02}:{ss:02} +0700",
        DAYS[wd],
        MONTHS[m as usize - 1]
    )
}

pub fn rfc3339(t: i64) -> String {
    let (y, m, d, hh, mm, ss, _) = vn_parts(t);
    format!("{y}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}+07:00")
}

/// The Vietnamese list-page date form: `27/11/2026 08:30`.
pub fn vn_date(t: i64) -> String {
    let (y, m, d, hh, mm, _, _) = vn_parts(t);
    format!("{d:02}/{m:02}/{y} {hh:02}:{mm:02}")
}

/// The document source `source` serves, with `items` items `spacing` seconds apart, as if
/// hosted at `origin` (`http://127.0.0.5:18080`).
pub fn document(
    kind: Kind,
    source: usize,
    items: usize,
    base: i64,
    spacing: i64,
    origin: &str,
) -> String {
    match kind {
        Kind::Rss => rss(source, items, base, spacing, origin),
        Kind::Atom => atom(source, items, base, spacing, origin),
        Kind::Html => html(source, items, base, spacing, origin),
    }
}

fn board_name(source: usize) -> String {
    format!(
        "Ban Quản lý các Khu công nghiệp tỉnh {} (nguồn {source})",
        PROVINCES[source % PROVINCES.len()]
    )
}

pub fn rss(source: usize, items: usize, base: i64, spacing: i64, origin: &str) -> String {
    let mut out = String::with_capacity(items * 2600 + 1024);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:media=\"http://search.yahoo.com/mrss/\">\n<channel>\n<title>{}</title>\n<link>{origin}/</link>\n<description>Tin tức – Sự kiện</description>\n<language>vi-VN</language>\n<lastBuildDate>{}</lastBuildDate>\n",
        xml_escape(&board_name(source)),
        rfc2822(base)
    );
    for i in 0..items {
        let it = item_spaced(source, i, base, spacing);
        let link = format!("{origin}/tin-tuc/{}.html", it.slug);
        let _ = write!(
            out,
            "<item>\n<title>{}</title>\n<link>{link}</link>\n<guid isPermaLink=\"false\">tin-{source}-{i}</guid>\n<pubDate>{}</pubDate>\n<description>{}</description>\n<content:encoded><![CDATA[{}]]></content:encoded>\n<category>Tin tức – Sự kiện</category>\n<media:thumbnail url=\"{origin}/uploads/2025/anh-{source}-{i}.jpg\"/>\n</item>\n",
            xml_escape(&it.title),
            rfc2822(it.published),
            xml_escape(&it.summary),
            it.body_html
        );
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

pub fn atom(source: usize, items: usize, base: i64, spacing: i64, origin: &str) -> String {
    let mut out = String::with_capacity(items * 2600 + 1024);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">\n<title>{}</title>\n<id>{origin}/</id>\n<link rel=\"alternate\" href=\"{origin}/\"/>\n<updated>{}</updated>\n",
        xml_escape(&board_name(source)),
        rfc3339(base)
    );
    for i in 0..items {
        let it = item_spaced(source, i, base, spacing);
        let link = format!("{origin}/tin-tuc/{}.html", it.slug);
        let _ = write!(
            out,
            "<entry>\n<title>{}</title>\n<link rel=\"alternate\" href=\"{link}\"/>\n<id>tag:{},2025:tin-{source}-{i}</id>\n<published>{}</published>\n<updated>{}</updated>\n<author><name>Phòng Xúc tiến Đầu tư</name></author>\n<summary>{}</summary>\n<content type=\"html\">{}</content>\n</entry>\n",
            xml_escape(&it.title),
            host_of(source),
            rfc3339(it.published),
            rfc3339(it.published),
            xml_escape(&it.summary),
            xml_escape(&it.body_html)
        );
    }
    out.push_str("</feed>\n");
    out
}

/// A board's news-list page: the selectors are in [`HTML_SELECTORS`].
pub fn html(source: usize, items: usize, base: i64, spacing: i64, origin: &str) -> String {
    let mut out = String::with_capacity(items * 900 + 4096);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Tin tức – {}</title>\n<link rel=\"stylesheet\" href=\"/css/site.css\"></head>\n<body><header><nav><a href=\"/\">Trang chủ</a> <a href=\"/gioi-thieu\">Giới thiệu</a> <a href=\"/tin-tuc\">Tin tức</a></nav></header>\n<main><h1>Tin tức – Sự kiện</h1>\n<ul class=\"news-list\">\n",
        xml_escape(&board_name(source))
    );
    for i in 0..items {
        let it = item_spaced(source, i, base, spacing);
        let _ = write!(
            out,
            "<li class=\"news-item\"><a class=\"news-title\" href=\"/tin-tuc/{}.html\">{}</a>\n<span class=\"news-date\">{}</span>\n<p class=\"news-sapo\">{}</p></li>\n",
            it.slug,
            xml_escape(&it.title),
            vn_date(it.published),
            xml_escape(&it.summary)
        );
    }
    let _ = write!(
        out,
        "</ul>\n<div class=\"paging\"><a href=\"?page=2\">Trang sau</a></div></main>\n<footer>© {origin} – Cơ quan chủ quản: UBND tỉnh</footer></body></html>\n"
    );
    out
}

/// `[source.html]` keys (TOML) matching [`html`].
pub const HTML_SELECTORS: &str = "item = \"li.news-item\"\ntitle = \"a.news-title\"\nlink = \"a.news-title@href\"\ndate = \"span.news-date\"\nsummary = \"p.news-sapo\"\n";
