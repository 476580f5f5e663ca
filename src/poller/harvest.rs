//! What a fetched body yields: entries parsed from a feed or extracted from a news-list
//! page, normalised where they differ from what is stored, and completed from their
//! article pages for sources that follow them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::{info, warn};
use url::Url;

use super::{Failure, Poller};
use crate::config::{Source, SourceKind};
use crate::fetch::{FetchOutcome, FetchRequest, Fetched};
use crate::model::{RawEntry, vn_offset};
use crate::normalize::{Candidate, Unseen, normalize, normalize_unseen};
use crate::{charset, extract, parse};

/// The entries of a successful fetch plus the scheduling hints it carried.
pub(super) struct Harvest {
    pub(super) entries: Vec<RawEntry>,
    pub(super) base: Url,
    pub(super) ttl: Option<Duration>,
}

impl Poller {
    /// Parse or extract the fetched body according to the source's kind.
    pub(super) async fn harvest(
        &self,
        source: &Source,
        fetched: &Fetched,
    ) -> Result<Harvest, Failure> {
        let header_charset = fetched
            .content_type
            .as_deref()
            .and_then(charset::charset_from_content_type);
        let is_feed = match source.kind {
            SourceKind::Feed => true,
            SourceKind::Html => false,
            SourceKind::Auto => parse::looks_like_feed(&fetched.body),
        };
        if is_feed {
            let feed = parse::parse_feed_async(
                fetched.body.clone(),
                fetched.content_type.clone(),
                fetched.final_url.clone(),
            )
            .await
            .map_err(|e| Failure::new("parse", e.to_string()))?;
            if feed.truncated > 0 {
                warn!(
                    dropped = feed.truncated,
                    "feed has too many entries; kept the first {}",
                    parse::MAX_ENTRIES
                );
            }
            return Ok(Harvest {
                entries: feed.entries,
                base: fetched.final_url.clone(),
                ttl: feed.ttl,
            });
        }
        let text = charset::decode_text(&fetched.body, header_charset.as_deref());
        let Some(rules) = source.html.clone() else {
            // `auto` found a page without selectors: use the feed it advertises, if any.
            let links = extract::feed_links(&text, &fetched.final_url);
            let Some(feed_url) = links.first().and_then(|l| Url::parse(l).ok()) else {
                return Err(Failure::new(
                    "extract",
                    format!(
                        "{} is an HTML page with no feed link and the source has no [source.html] selectors (try `zonewire probe {}`)",
                        fetched.final_url, fetched.final_url
                    ),
                ));
            };
            info!(feed = %feed_url, "page advertises a feed; reading it");
            let req = FetchRequest {
                url: feed_url,
                etag: None,
                last_modified: None,
                insecure_tls: source.insecure_tls,
            };
            let f = match self.fetcher.fetch(&req).await? {
                FetchOutcome::Fetched(f) => f,
                FetchOutcome::NotModified => {
                    return Err(Failure::new(
                        "http-status",
                        "advertised feed answered 304 to an unconditional request".to_string(),
                    ));
                }
            };
            let feed = parse::parse_feed_async(
                f.body.clone(),
                f.content_type.clone(),
                f.final_url.clone(),
            )
            .await
            .map_err(|e| Failure::new("parse", format!("advertised feed {}: {e}", f.final_url)))?;
            return Ok(Harvest {
                entries: feed.entries,
                base: f.final_url,
                ttl: feed.ttl,
            });
        };
        let page_url = fetched.final_url.clone();
        let entries = tokio::task::spawn_blocking(move || {
            extract::extract_list(
                &text,
                &page_url,
                &rules,
                Utc::now().with_timezone(&vn_offset()),
            )
        })
        .await
        .map_err(|e| Failure::new("extract", format!("extraction task failed: {e}")))?
        .map_err(|e| Failure::new("extract", e.to_string()))?;
        Ok(Harvest {
            entries,
            base: fetched.final_url.clone(),
            ttl: None,
        })
    }

    /// Normalise the entries that differ from what is stored (the rest are skipped:
    /// `normalize::normalize_unseen`).
    pub(super) async fn normalize_all(
        &self,
        source: &Source,
        entries: Vec<RawEntry>,
        base: &Url,
        now: DateTime<Utc>,
    ) -> Result<Unseen, Failure> {
        let id = source.id.clone();
        let province = source.province.clone();
        let base = base.clone();
        let archive = self.archive.clone();
        tokio::task::spawn_blocking(move || {
            normalize_unseen(entries, &id, province.as_deref(), &base, now, |d| {
                archive.knows_entry(d)
            })
        })
        .await
        .map_err(|e| Failure::new("normalize", format!("normalisation task failed: {e}")))
    }

    /// Fetch the article page of each *new* entry (once, politely, bounded per poll) and
    /// merge body, exact date and canonical link into it.
    pub(super) async fn follow_articles(
        &self,
        source: &Source,
        entries: Vec<RawEntry>,
        candidates: Vec<Candidate>,
        now: DateTime<Utc>,
    ) -> Vec<Candidate> {
        let Some(rules) = source.html.clone() else {
            return candidates;
        };
        let mut out = Vec::with_capacity(candidates.len());
        let mut followed = 0usize;
        // One trip to the blocking pool for all of them (`Archive::off_runtime`). An entry
        // that cannot be checked counts as known: it is not followed.
        let keys: Vec<Vec<String>> = candidates.iter().map(|c| c.keys.clone()).collect();
        let known = self
            .archive
            .off_runtime(move |a| Ok(keys.iter().map(|k| a.is_known(k).unwrap_or(true)).collect()))
            .await
            .unwrap_or_else(|_| vec![true; candidates.len()]);
        // `normalize_unseen` gives each candidate's raw entry at the same position.
        for ((cand, raw), known) in candidates.into_iter().zip(entries).zip(known) {
            let (false, mut raw, true) = (known, raw, followed < self.poll.max_follow) else {
                out.push(cand);
                continue;
            };
            let Ok(url) = Url::parse(&cand.item.link) else {
                out.push(cand);
                continue;
            };
            followed += 1;
            let req = FetchRequest {
                url: url.clone(),
                etag: None,
                last_modified: None,
                insecure_tls: source.insecure_tls,
            };
            match self.fetcher.fetch(&req).await {
                Ok(FetchOutcome::Fetched(page)) => {
                    let cs = page
                        .content_type
                        .as_deref()
                        .and_then(charset::charset_from_content_type);
                    let html = charset::decode_text(&page.body, cs.as_deref());
                    let rules = rules.clone();
                    let page_url = page.final_url.clone();
                    let article = tokio::task::spawn_blocking(move || {
                        extract::extract_article(
                            &html,
                            &page_url,
                            &rules,
                            now.with_timezone(&vn_offset()),
                        )
                    })
                    .await
                    .unwrap_or_default();
                    merge_article(&mut raw, article);
                    match normalize(
                        raw,
                        &source.id,
                        source.province.as_deref(),
                        &page.final_url,
                        now,
                    ) {
                        // The list entry's digest: the next poll sees the list, not
                        // the article page, and must recognise this entry.
                        Some(c) => out.push(Candidate {
                            digest: cand.digest,
                            ..c
                        }),
                        None => out.push(cand),
                    }
                }
                Ok(FetchOutcome::NotModified) => out.push(cand),
                Err(e) => {
                    // The list entry is still worth publishing without its body.
                    warn!(article = %url, error = %e, "article page fetch failed");
                    out.push(cand);
                }
            }
        }
        out
    }
}

fn merge_article(raw: &mut RawEntry, article: extract::Article) {
    if article.body_html.is_some() {
        raw.content = article.body_html;
    }
    if article.published.is_some() {
        raw.published = article.published;
    }
    if article.canonical.is_some() {
        raw.canonical = article.canonical;
    }
    if raw.image.is_none() {
        raw.image = article.image;
    }
    if raw.title.trim().is_empty()
        && let Some(t) = article.title
    {
        raw.title = t;
    }
}
