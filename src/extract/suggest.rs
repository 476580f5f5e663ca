//! Selector suggestions for a page nobody has configured (`zonewire probe`).
//!
//! News lists are repeated blocks that each hold one long link (the title); menus,
//! footers and pagers are repeated blocks of short links. So: group every text link by the
//! shape of its ancestor at depths 1..4 (tag and classes, plus two levels of context),
//! score each group by how many blocks it has times how long their link texts are, damp
//! groups inside navigation, and prefer the largest block that still holds a single
//! story (so the item includes the story's date and summary, not just its link).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use chrono::Utc;
use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::Suggestion;
use super::dom::{self, Field, element_text};
use crate::dates::parse_vn_date;
use crate::model::vn_offset;

static A_HREF: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a[href]").expect("a[href]"));

const MAX_DEPTH: usize = 4;
const MIN_COUNT: usize = 3;
const MAX_SUGGESTIONS: usize = 5;

/// Class tokens that mark navigation, not content.
const NAV_TOKENS: &[&str] = &[
    "menu",
    "nav",
    "navbar",
    "navigation",
    "footer",
    "header",
    "breadcrumb",
    "breadcrumbs",
    "pagination",
    "pager",
    "paging",
    "topbar",
];

fn is_css_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !s.starts_with("--")
}

/// `div.item-new.first` → `div.item-new`: the tag and its first class. Classes with
/// digits (`post-10482`, `col-md-8`) are per-item ids or grid noise, and later classes
/// vary between blocks of one list (`has-post-thumbnail`, `featured`), so neither may
/// split a group. Classes that are not plain CSS identifiers are skipped, so the result
/// always parses.
fn sig(el: ElementRef<'_>) -> String {
    let mut s = el.value().name().to_string();
    // The attribute, not `classes()`: that is a set and loses the author's order.
    if let Some(c) = el
        .attr("class")
        .unwrap_or("")
        .split_ascii_whitespace()
        .find(|c| is_css_ident(c) && !c.chars().any(|d| d.is_ascii_digit()))
    {
        s.push('.');
        s.push_str(c);
    }
    s
}

/// The grouping form of a signature: headings are interchangeable (a featured story in
/// an `h2` above `h3` stories is still the same list).
fn loose(sig: &str) -> String {
    let (tag, rest) = sig.split_once('.').unwrap_or((sig, ""));
    let tag = if matches!(tag, "h1" | "h2" | "h3" | "h4" | "h5" | "h6") {
        "h*"
    } else {
        tag
    };
    if rest.is_empty() {
        tag.to_string()
    } else {
        format!("{tag}.{rest}")
    }
}

fn is_nav(el: ElementRef<'_>) -> bool {
    if matches!(el.value().name(), "nav" | "header" | "footer") {
        return true;
    }
    let id = el.value().id().unwrap_or("");
    el.value().classes().chain(std::iter::once(id)).any(|c| {
        c.to_ascii_lowercase()
            .split(['-', '_'])
            .any(|t| NAV_TOKENS.contains(&t))
    })
}

struct Link<'a> {
    el: ElementRef<'a>,
    text: String,
    link: String,
}

#[derive(Default)]
struct Group {
    depth: usize,
    /// Item selector candidates, shortest first: `anc`, `p > anc`, `gp > p > anc`.
    item_sels: Vec<String>,
    /// Title paths below the item (`div.info > a.title`), distinct, in document order.
    title_sels: Vec<String>,
    /// (item element id, index into the link list), in document order.
    items: Vec<(NodeId, usize)>,
}

pub(super) fn suggest(html: &str, page_url: &Url) -> Vec<Suggestion> {
    let doc = Html::parse_document(html);
    let base = dom::base_url(&doc, page_url);
    let now = Utc::now().with_timezone(&vn_offset());

    let links: Vec<Link<'_>> = doc
        .select(&A_HREF)
        .filter_map(|el| {
            let link = dom::resolve(&base, el.attr("href")?)?;
            let text = element_text(el);
            (!text.is_empty()).then_some(Link { el, text, link })
        })
        .collect();

    let mut groups: HashMap<String, Group> = HashMap::new();
    for (i, l) in links.iter().enumerate() {
        let chain: Vec<ElementRef<'_>> =
            l.el.ancestors()
                .filter_map(ElementRef::wrap)
                .take(MAX_DEPTH + 2)
                .collect();
        for depth in 1..=MAX_DEPTH {
            let Some(anc) = chain.get(depth - 1).copied() else {
                break;
            };
            if matches!(anc.value().name(), "body" | "html") {
                break;
            }
            let mut path: Vec<String> = chain[..depth - 1].iter().rev().map(|e| sig(*e)).collect();
            path.push(sig(l.el));
            let title_sel = path.join(" > ");
            let anc_sig = sig(anc);
            let ctx: Vec<String> = chain.iter().skip(depth).take(2).map(|e| sig(*e)).collect();
            let mut item_sels = vec![anc_sig.clone()];
            if let Some(p) = ctx.first() {
                item_sels.push(format!("{p} > {anc_sig}"));
            }
            if let (Some(p), Some(gp)) = (ctx.first(), ctx.get(1)) {
                item_sels.push(format!("{gp} > {p} > {anc_sig}"));
            }
            let loose_path = |p: &str| p.split(" > ").map(loose).collect::<Vec<_>>().join(" > ");
            let key = format!(
                "{depth}|{}|{}",
                loose_path(item_sels.last().map_or("", String::as_str)),
                loose_path(&title_sel)
            );
            let g = groups.entry(key).or_insert_with(|| Group {
                depth,
                item_sels,
                title_sels: Vec::new(),
                items: Vec::new(),
            });
            if !g.items.iter().any(|(id, _)| *id == anc.id()) {
                g.items.push((anc.id(), i));
                if !g.title_sels.contains(&title_sel) {
                    g.title_sels.push(title_sel);
                }
            }
        }
    }

    let mut scored: Vec<(f64, &Group)> = groups
        .values()
        .filter(|g| g.items.len() >= MIN_COUNT)
        .map(|g| (score(&doc, &base, &links, g), g))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.depth.cmp(&b.1.depth)));

    let mut covered: HashSet<usize> = HashSet::new();
    let mut out = Vec::new();
    for (_, g) in scored {
        let idx: Vec<usize> = g.items.iter().map(|(_, i)| *i).collect();
        let overlap = idx.iter().filter(|i| covered.contains(i)).count();
        if overlap * 2 >= idx.len() {
            continue;
        }
        covered.extend(idx.iter().copied());
        if let Some(s) = build(&doc, &links, g, now) {
            out.push(s);
        }
        if out.len() >= MAX_SUGGESTIONS {
            break;
        }
    }
    out
}

fn score(doc: &Html, base: &Url, links: &[Link<'_>], g: &Group) -> f64 {
    let count = g.items.len() as f64;
    let avg_len = g
        .items
        .iter()
        .map(|(_, i)| links[*i].text.chars().count() as f64)
        .sum::<f64>()
        / count;
    let distinct: HashSet<&str> = g
        .items
        .iter()
        .map(|(_, i)| dom::dedup_key(&links[*i].link))
        .collect();
    let mut s = count * avg_len * (distinct.len() as f64 / count);

    let items: Vec<ElementRef<'_>> = g
        .items
        .iter()
        .filter_map(|(id, _)| doc.tree.get(*id).and_then(ElementRef::wrap))
        .collect();
    let nav = items.first().is_some_and(|el| {
        std::iter::once(*el)
            .chain(el.ancestors().filter_map(ElementRef::wrap))
            .any(is_nav)
    });
    if nav {
        s *= 0.1;
    }
    // A block that still holds one story is a better item than its title's wrapper: it
    // also holds the date and summary. Once a block holds several stories it is a list.
    // Measured as a share of blocks, so one stray link (an editor's "Sửa") does not
    // demote the whole group to its title wrappers.
    let single_story = items
        .iter()
        .filter(|el| {
            let keys: HashSet<String> = el
                .select(&A_HREF)
                .filter_map(|a| dom::resolve(base, a.attr("href")?))
                .map(|l| dom::dedup_key(&l).to_string())
                .collect();
            keys.len() <= 1
        })
        .count() as f64
        / count;
    s * (1.0 + 0.15 * g.depth as f64 * single_story)
}

fn build(
    doc: &Html,
    links: &[Link<'_>],
    g: &Group,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Option<Suggestion> {
    let count = g.items.len();
    // The shortest item selector that selects the same blocks as the most precise one
    // (blocks whose link is unusable, `javascript:`, count too: the extractor skips them).
    let matches = |s: &str| Selector::parse(s).map_or(usize::MAX, |sel| doc.select(&sel).count());
    let precise = g.item_sels.last()?;
    let target = matches(precise);
    let item = g
        .item_sels
        .iter()
        .find(|s| matches(s) == target)
        .unwrap_or(precise)
        .clone();
    let items: Vec<ElementRef<'_>> = g
        .items
        .iter()
        .filter_map(|(id, _)| doc.tree.get(*id).and_then(ElementRef::wrap))
        .collect();
    let samples = g
        .items
        .iter()
        .take(3)
        .map(|(_, i)| (links[*i].text.clone(), links[*i].link.clone()))
        .collect();
    let title = g.title_sels.join(", ");
    let link = g
        .title_sels
        .iter()
        .map(|t| format!("{t}@href"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(Suggestion {
        date: date_selector(&items, &title, now),
        link,
        title,
        item,
        count,
        samples,
    })
}

/// A selector (relative to the item) whose first match parses as a date in most items.
fn date_selector(
    items: &[ElementRef<'_>],
    title_sel: &str,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Option<String> {
    let title = Selector::parse(title_sel).ok();
    let mut candidates: Vec<String> = Vec::new();
    for item in items {
        for el in item.descendants().skip(1).filter_map(ElementRef::wrap) {
            // The title may itself contain "ngày 03/6/2024"; that is not a date field.
            let in_title = title.as_ref().is_some_and(|t| {
                t.matches(&el)
                    || el.select(t).next().is_some()
                    || el
                        .ancestors()
                        .filter_map(ElementRef::wrap)
                        .any(|a| t.matches(&a))
            });
            if in_title {
                continue;
            }
            let text = element_text(el);
            if text.is_empty() || text.chars().count() > 60 {
                continue;
            }
            let s = sig(el);
            if !candidates.contains(&s) && parse_vn_date(&text, now).is_some() {
                candidates.push(s);
            }
        }
    }
    // Classed selectors first: `span.article-date` beats a bare `span`.
    candidates.sort_by_key(|s| !s.contains('.'));
    candidates.into_iter().find(|s| {
        let Ok(field) = Field::parse("date", s) else {
            return false;
        };
        let hits = items
            .iter()
            .filter(|it| {
                field
                    .first(**it)
                    .is_some_and(|(_, v)| parse_vn_date(&v, now).is_some())
            })
            .count();
        hits * 2 > items.len()
    })
}
