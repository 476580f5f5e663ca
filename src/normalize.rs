//! `RawEntry` → identified, cleaned item candidate: every string cleaned (NFC, invisibles,
//! entities), links canonical, HTML sanitised, date in +07:00 (or first-seen), provinces
//! tagged, identity keys and fingerprint computed. Pure: no I/O.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use url::Url;

use crate::dedup::{self, Fingerprint};
use crate::model::{Item, RawEntry, vn_offset};
use crate::{dates, provinces, sanitize, text, urlnorm};

/// Length of body text kept in the search index (title and summary are always kept).
const SEARCH_BODY_CHARS: usize = 600;
/// Syllables of lead text used for the near-duplicate fingerprint.
const LEAD_CHARS: usize = 400;

/// Bumped whenever a change here (or in text, sanitize, urlnorm, provinces, dedup) makes
/// the same raw entry normalise differently, so that [`entry_digest`]s stored by an
/// older release stop matching and every entry is looked at once more.
pub const NORMALIZE_VERSION: u8 = 1;

/// A normalised entry, ready for dedup and storage. `item.id` is empty until the dedup
/// stage decides whether it is new.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub item: Item,
    /// Identity keys, strongest first.
    pub keys: Vec<String>,
    pub fingerprint: Fingerprint,
    /// Folded text for `q=`.
    pub search: String,
    pub mojibake: bool,
    /// The source gave no usable date; `published` is the first-seen time.
    pub date_missing: bool,
    /// [`entry_digest`] of the raw entry this came from (of the news-list entry, for a
    /// source whose article pages are followed).
    pub digest: u64,
}

/// Digest of everything [`normalize`] reads from a raw entry, its source and its base
/// URL. A re-poll whose entry has the digest of a stored item's current version would
/// normalise to what is stored, so the poller skips it: on a feed that changed, most
/// entries are old, and normalising one (tokenising, province tagging, sanitising) costs
/// far more than parsing it. Never 0 (0 marks records stored before digests existed).
pub fn entry_digest(
    entry: &RawEntry,
    source_id: &str,
    source_province: Option<&str>,
    base: &Url,
) -> u64 {
    let mut h = Sha256::new();
    h.update([NORMALIZE_VERSION]);
    // Length-prefixed, so that no two different field lists hash the same bytes.
    let mut field = |tag: u8, value: Option<&str>| {
        h.update([tag]);
        match value {
            Some(v) => {
                h.update((v.len() as u64).to_le_bytes());
                h.update(v.as_bytes());
            }
            None => h.update(u64::MAX.to_le_bytes()),
        }
    };
    field(1, Some(source_id));
    field(2, source_province);
    field(3, Some(base.as_str()));
    field(4, entry.guid.as_deref());
    field(5, Some(&entry.title));
    field(6, entry.link.as_deref());
    field(7, entry.canonical.as_deref());
    field(8, entry.published.map(|d| d.to_rfc3339()).as_deref());
    field(9, entry.summary.as_deref());
    field(10, entry.content.as_deref());
    field(11, entry.image.as_deref());
    for a in &entry.authors {
        field(12, Some(a));
    }
    for c in &entry.categories {
        field(13, Some(c));
    }
    let d = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    u64::from_le_bytes(first).max(1)
}

/// What [`normalize_unseen`] kept of a poll's entries.
#[derive(Debug, Default)]
pub struct Unseen {
    /// Candidates of the entries not skipped, in feed order.
    pub candidates: Vec<Candidate>,
    /// The raw entries behind `candidates`, in the same order and with the same length
    /// (the article follower pairs them up).
    pub raw: Vec<RawEntry>,
    /// Entries skipped because `known` had their digest.
    pub skipped: usize,
}

/// Normalise the entries whose [`entry_digest`] `known` does not have; entries without a
/// title or link are dropped as in [`normalize`].
pub fn normalize_unseen(
    entries: Vec<RawEntry>,
    source_id: &str,
    source_province: Option<&str>,
    base: &Url,
    now: DateTime<Utc>,
    known: impl Fn(u64) -> bool,
) -> Unseen {
    let mut out = Unseen::default();
    for e in entries {
        let digest = entry_digest(&e, source_id, source_province, base);
        if known(digest) {
            out.skipped += 1;
            continue;
        }
        if let Some(c) =
            normalize_digested(e.clone(), digest, source_id, source_province, base, now)
        {
            out.candidates.push(c);
            out.raw.push(e);
        }
    }
    out
}

/// Normalise one entry of source `source_id` (province slug `source_province`). `base` is
/// the page or feed URL that relative links resolve against. `None` when the entry has
/// neither a title nor a link (nothing a reader could use).
pub fn normalize(
    entry: RawEntry,
    source_id: &str,
    source_province: Option<&str>,
    base: &Url,
    now: DateTime<Utc>,
) -> Option<Candidate> {
    let digest = entry_digest(&entry, source_id, source_province, base);
    normalize_digested(entry, digest, source_id, source_province, base, now)
}

/// The first `n` characters of `s`, borrowed (collecting them char by char into a new
/// String was 1.5 % of a cold round's instructions).
fn first_chars(s: &str, n: usize) -> &str {
    // A text of at most `n` bytes has at most `n` characters, and counting the bytes that
    // start one is cheaper than decoding each (`char_indices().nth`: 0.6 % of a cold
    // round's instructions, for the lead and the search prefix of every item).
    if s.len() <= n {
        return s;
    }
    let mut seen = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        // Every byte but a continuation byte (0b10xx_xxxx) starts a character.
        if b & 0xC0 != 0x80 {
            if seen == n {
                return s.get(..i).unwrap_or(s);
            }
            seen += 1;
        }
    }
    s
}

fn normalize_digested(
    entry: RawEntry,
    digest: u64,
    source_id: &str,
    source_province: Option<&str>,
    base: &Url,
    now: DateTime<Utc>,
) -> Option<Candidate> {
    let link = entry
        .canonical
        .as_deref()
        .and_then(|c| urlnorm::canonicalize(c, Some(base)))
        .or_else(|| {
            entry
                .link
                .as_deref()
                .and_then(|l| urlnorm::canonicalize(l, Some(base)))
        });
    let title = text::html_to_text(&entry.title);
    if title.is_empty() && link.is_none() {
        return None;
    }
    let article_base = link.as_deref().and_then(|l| Url::parse(l).ok());
    let summary_html = entry.summary.unwrap_or_default();
    let summary = text::html_to_text(&summary_html);
    let content_html = entry
        .content
        .filter(|c| !c.trim().is_empty())
        .map(|c| sanitize::sanitize_html(&c, article_base.as_ref().or(Some(base))))
        .filter(|c| !c.trim().is_empty());
    let body_text = content_html
        .as_deref()
        .map(text::sanitized_html_to_text)
        .unwrap_or_default();

    let url_date = link.as_deref().and_then(dates::date_from_url);
    let date_missing = entry.published.is_none() && url_date.is_none();
    let published = entry
        .published
        .or(url_date)
        .unwrap_or_else(|| now.with_timezone(&vn_offset()));
    // A date in the future is a source's clock or parser error; clamp it to now so it
    // cannot pin itself to the top of every feed.
    let published = if published.with_timezone(&Utc) > now + chrono::Duration::hours(1) {
        now.with_timezone(&vn_offset())
    } else {
        published
    };

    let mut provinces: Vec<String> = source_province
        .map(|p| vec![p.to_string()])
        .unwrap_or_default();
    let tag_text = format!("{title}\n{summary}\n{body_text}");
    for slug in provinces::tag(&tag_text) {
        if !provinces.iter().any(|p| p == slug) {
            provinces.push(slug.to_string());
        }
    }

    let mojibake = text::has_mojibake(&title) || text::has_mojibake(&summary);
    let lead_source = if summary.is_empty() {
        &body_text
    } else {
        &summary
    };
    let lead = first_chars(lead_source, LEAD_CHARS);
    let fingerprint = dedup::fingerprint(&title, lead);
    let body_prefix = first_chars(&body_text, SEARCH_BODY_CHARS);
    let search = text::fold(&format!("{title} {summary} {body_prefix}"));
    let guid = entry
        .guid
        .map(|g| text::normalize_text(&g))
        .filter(|g| !g.is_empty());
    // `link` came out of `urlnorm::canonicalize` above.
    let keys = dedup::identity_keys_of_canonical(
        source_id,
        guid.as_deref(),
        link.as_deref(),
        &title,
        (!date_missing).then_some(published),
    );
    let clean_list = |v: Vec<String>| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in v
            .iter()
            .map(|s| text::normalize_text(s))
            .filter(|s| !s.is_empty())
        {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    };
    let item = Item {
        id: String::new(),
        source: source_id.to_string(),
        title: if title.is_empty() {
            link.clone().unwrap_or_default()
        } else {
            title
        },
        link: link.unwrap_or_else(|| base.to_string()),
        published,
        date_is_first_seen: date_missing,
        first_seen: now,
        updated: None,
        summary,
        content_html,
        authors: clean_list(entry.authors),
        categories: clean_list(entry.categories),
        image: entry
            .image
            .as_deref()
            .and_then(|i| urlnorm::canonicalize(i, article_base.as_ref().or(Some(base)))),
        provinces,
        revisions: Vec::new(),
    };
    Some(Candidate {
        item,
        keys,
        fingerprint,
        search,
        mojibake,
        date_missing,
        digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_chars_counts_characters_not_bytes() {
        assert_eq!(first_chars("Khánh Hòa", 4), "Khán");
        assert_eq!(first_chars("Khánh Hòa", 9), "Khánh Hòa");
        assert_eq!(first_chars("Khánh Hòa", 99), "Khánh Hòa");
        assert_eq!(first_chars("ệ", 0), "");
        for text in ["Khánh Hòa ệ", "Nghệ An ⁂ 𝔸 x", "abc", ""] {
            for n in 0..20 {
                let want: String = text.chars().take(n).collect();
                assert_eq!(first_chars(text, n), want, "{text:?} {n}");
            }
        }
    }

    fn entry() -> RawEntry {
        RawEntry {
            guid: Some("g-1".into()),
            title: "Khánh Hòa đón đoàn Hưng Yên".into(),
            link: Some("/tin/1.html".into()),
            summary: Some("<p>Ngày 06/9/2025 …</p>".into()),
            authors: vec!["A".into(), "B".into()],
            ..RawEntry::default()
        }
    }

    #[test]
    fn digest_covers_every_field_normalize_reads() {
        let base = Url::parse("http://board.test/feed.xml").unwrap();
        let d = entry_digest(&entry(), "s", Some("khanh-hoa"), &base);
        assert_ne!(d, 0);
        assert_eq!(d, entry_digest(&entry(), "s", Some("khanh-hoa"), &base));
        let other_base = Url::parse("http://board.test/other/feed.xml").unwrap();
        let mut variants: Vec<u64> = vec![
            entry_digest(&entry(), "t", Some("khanh-hoa"), &base),
            entry_digest(&entry(), "s", None, &base),
            entry_digest(&entry(), "s", Some("khanh-hoa"), &other_base),
        ];
        let edits: [fn(&mut RawEntry); 9] = [
            |e| e.guid = None,
            |e| e.title.push('.'),
            |e| e.link = Some("/tin/2.html".into()),
            |e| e.canonical = Some("/tin/1.html".into()),
            |e| e.published = DateTime::parse_from_rfc3339("2025-09-06T08:00:00+07:00").ok(),
            |e| e.summary = None,
            |e| e.content = Some(String::new()),
            |e| e.image = Some("/a.jpg".into()),
            // Two lists that concatenate alike must still differ.
            |e| {
                e.authors = vec!["AB".into()];
            },
        ];
        for edit in edits {
            let mut e = entry();
            edit(&mut e);
            variants.push(entry_digest(&e, "s", Some("khanh-hoa"), &base));
        }
        let mut e = entry();
        e.categories = e.authors.split_off(1);
        variants.push(entry_digest(&e, "s", Some("khanh-hoa"), &base));
        for (i, v) in variants.iter().enumerate() {
            assert_ne!(*v, d, "variant {i} hashes like the original");
        }
        variants.sort_unstable();
        variants.dedup();
        assert_eq!(variants.len(), 13);
    }

    #[test]
    fn unseen_entries_keep_their_raw_entry_beside_them() {
        let base = Url::parse("http://board.test/feed.xml").unwrap();
        let mut second = entry();
        second.title = "Tin khác".into();
        second.link = Some("/tin/2.html".into());
        let nameless = RawEntry::default();
        let known = entry_digest(&entry(), "s", None, &base);
        let out = normalize_unseen(
            vec![entry(), nameless, second.clone()],
            "s",
            None,
            &base,
            Utc::now(),
            |d| d == known,
        );
        assert_eq!(out.skipped, 1);
        assert_eq!(
            out.candidates.len(),
            1,
            "the entry without title or link is dropped"
        );
        assert_eq!(out.raw, vec![second.clone()]);
        assert_eq!(
            out.candidates[0].digest,
            entry_digest(&second, "s", None, &base)
        );
        assert_eq!(out.candidates[0].item.link, "http://board.test/tin/2.html");
    }
}
