//! The dedup stage and the read side: decides whether a candidate is a new item, an
//! update of a known one, or a new report of a known story (`decide`); commits each
//! poll's writes atomically, several polls' in one transaction when they wait together
//! (`pipeline`); answers feed queries from a compact in-memory catalog so that no
//! request path scans the store (design.md "Store").

mod catalog;
mod decide;
mod load;
mod pipeline;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};

use crate::dedup::{Mark, Match, StoryIndex};
use crate::model::{Item, Revision, SourceState, Story};
use crate::normalize::Candidate;
use crate::store::{Batch, IndexEntry, Store, StoreError};
use catalog::Catalog;

/// Outcome of ingesting one poll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// New items that joined an existing story from another source.
    pub clustered: usize,
    /// Entries whose keys were pruned earlier (tombstones) and were ignored.
    pub tombstoned: usize,
    /// Of `unchanged`, the entries the poller recognised before normalising them
    /// (`normalize::normalize_unseen`); set by the poller, not by [`Archive::ingest`].
    pub skipped: usize,
}

/// A feed query (the HTTP and export filters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Province slug.
    pub province: Option<String>,
    pub source: Option<String>,
    /// Already folded search phrase.
    pub q: Option<String>,
    pub cooperation: bool,
    pub limit: usize,
    /// Only stories whose lead was published strictly before this Unix time.
    pub before: Option<i64>,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            province: None,
            source: None,
            q: None,
            cooperation: false,
            limit: 50,
            before: None,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub stories: Vec<Story>,
    /// Cursor for the next (older) page, when the page was full.
    pub next_before: Option<DateTime<Utc>>,
}

struct Inner {
    catalog: Catalog,
    stories: StoryIndex,
}

pub struct Archive {
    store: Arc<dyn Store>,
    inner: RwLock<Inner>,
    /// Serialises dedup decisions: each reads what the ones before it decided.
    write: Mutex<()>,
    /// Decisions not durable yet, which later decisions must see (`pipeline`).
    pending: Mutex<pipeline::Pending>,
    /// Decided batches waiting for the store.
    commits: pipeline::Commits,
    /// Set when a commit panicked: the pending decisions can no longer be trusted.
    broken: AtomicBool,
    /// Bumped once the catalog shows a change to items (see [`Archive::generation`]).
    generation: AtomicU64,
}

/// A story lookup made before the write lock: the index's mark then, and what it found.
type EarlyLookup = (Mark, Option<Match>);

fn poisoned() -> StoreError {
    StoreError::Io("internal lock poisoned by an earlier panic".into())
}

impl Archive {
    /// Build the in-memory indexes from the store's compact index tree.
    pub fn new(store: Arc<dyn Store>) -> Result<Archive, StoreError> {
        Archive::open(move || Ok(store))
    }

    /// [`Archive::new`] on the store that `open` opens. The threads that build the indexes
    /// start before the store is opened, so that each gets a malloc arena of its own (see
    /// `load::load`): the daemon opens its store this way.
    pub fn open(
        open: impl FnOnce() -> Result<Arc<dyn Store>, StoreError>,
    ) -> Result<Archive, StoreError> {
        let (store, catalog, stories) = load::load(open)?;
        Ok(Archive {
            store,
            inner: RwLock::new(Inner { catalog, stories }),
            write: Mutex::new(()),
            pending: Mutex::default(),
            commits: pipeline::Commits::default(),
            broken: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        })
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Changes every time what [`Archive::query`] answers may have changed. It moves only
    /// after the catalog has taken the change, so that a render keyed by it never holds
    /// an answer older than its key (the store's own counter moved before the catalog did,
    /// and a render made in between stayed cached without the new items).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn len(&self) -> usize {
        self.inner.read().map(|i| i.catalog.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when any strong key (guid or URL) of the candidate is already known (live or
    /// tombstoned): such entries need no article-page fetch.
    pub fn is_known(&self, keys: &[String]) -> Result<bool, StoreError> {
        for k in lookup_keys(keys) {
            if self.store.lookup_key(k)?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// True when some stored item's current version came from a raw entry with this
    /// `normalize::entry_digest`: the entry is unchanged and needs no normalisation.
    pub fn knows_entry(&self, digest: u64) -> bool {
        self.inner
            .read()
            .is_ok_and(|i| i.catalog.knows_digest(digest))
    }

    /// Ingest one poll's candidates and the source's new state. They commit atomically,
    /// possibly in one transaction with other polls' batches, and the call returns once
    /// they are durable and visible to queries (or failed: nothing of them is then
    /// stored). Blocking (sled I/O and flush): call from `spawn_blocking`.
    pub fn ingest(
        &self,
        source: &str,
        candidates: Vec<Candidate>,
        state: SourceState,
    ) -> Result<IngestReport, StoreError> {
        let early = self.look_up_stories(source, &candidates)?;
        self.ingest_looked_up(source, candidates, early, state)
    }

    /// [`Archive::ingest`] after its story lookups: a separate step so that tests can
    /// let another poll commit in between, as a concurrent one may.
    fn ingest_looked_up(
        &self,
        source: &str,
        candidates: Vec<Candidate>,
        early: Vec<Option<EarlyLookup>>,
        state: SourceState,
    ) -> Result<IngestReport, StoreError> {
        let (ticket, report) = self.decide(source, candidates, early, state)?;
        self.await_commit(ticket)?;
        Ok(report)
    }

    /// Story lookups for the candidates no key identifies, made before the write lock:
    /// they are most of the dedup work, and polls that finish together can make them in
    /// parallel. Each comes with the index's [`Mark`], so that under the lock it is
    /// completed with what other polls inserted meanwhile ([`StoryIndex::find_since`]).
    fn look_up_stories(
        &self,
        source: &str,
        candidates: &[Candidate],
    ) -> Result<Vec<Option<EarlyLookup>>, StoreError> {
        let mut found = Vec::with_capacity(candidates.len());
        for cand in candidates {
            if cand.keys.is_empty() || self.is_known(&cand.keys)? {
                found.push(None);
                continue;
            }
            let inner = self.inner.read().map_err(|_| poisoned())?;
            let m = inner
                .stories
                .find_match(source, cand.item.published, &cand.fingerprint);
            found.push(Some((inner.stories.mark(), m)));
        }
        Ok(found)
    }

    /// Record a source's state without items (errors, 304s, unchanged bodies).
    pub fn put_source_state(&self, source: &str, state: SourceState) -> Result<(), StoreError> {
        let _writer = self.write.lock().map_err(|_| poisoned())?;
        self.store.commit(Batch::source_state(source, state))
    }

    pub fn source_state(&self, source: &str) -> Result<Option<SourceState>, StoreError> {
        self.store.source_state(source)
    }

    /// Run store work from async code on the blocking pool. Store calls can wait on
    /// locks: the decision lock (held through a retention pass) and the store's own
    /// while it reopens after one. On a runtime worker that wait would stall every task
    /// scheduled there, the HTTP server's included.
    pub async fn off_runtime<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Archive) -> Result<T, StoreError> + Send + 'static,
    {
        let archive = self.clone();
        tokio::task::spawn_blocking(move || f(&archive))
            .await
            .map_err(|e| StoreError::Io(format!("store task failed: {e}")))?
    }

    /// Stories matching the query, newest lead first.
    pub fn query(&self, q: &Query) -> Result<Page, StoreError> {
        let (picked, next_before) = self.inner.read().map_err(|_| poisoned())?.catalog.page(q);
        let next_before = next_before.and_then(|t| DateTime::from_timestamp(t, 0));
        let mut stories = Vec::with_capacity(picked.len());
        for (lead, others) in picked {
            let Some(lead) = self.store.item(&lead)? else {
                continue;
            };
            let mut items = Vec::new();
            for o in others {
                if let Some(item) = self.store.item(&o)? {
                    items.push(item);
                }
            }
            stories.push(Story {
                lead,
                others: items,
            });
        }
        Ok(Page {
            stories,
            next_before,
        })
    }

    /// Item counts per province slug (stories counted once per province).
    pub fn province_counts(&self) -> HashMap<String, usize> {
        self.inner
            .read()
            .map(|i| i.catalog.province_counts())
            .unwrap_or_default()
    }

    /// Items per source.
    pub fn source_counts(&self) -> HashMap<String, usize> {
        self.inner
            .read()
            .map(|i| i.catalog.source_counts())
            .unwrap_or_default()
    }

    /// Remove items published before `before` (keys stay as tombstones).
    pub fn prune_before(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        // A batch decided before the prune but committed after it could write back an
        // item the prune removed, or a key over its tombstone: wait for the queue to drain,
        // and hold the decision lock so that nothing new is queued.
        let _writer = loop {
            let writer = self.write.lock().map_err(|_| poisoned())?;
            if self.commits.idle() {
                break writer;
            }
            drop(writer);
            self.commits.wait_idle();
        };
        let mut total = 0;
        loop {
            let ids = self
                .inner
                .read()
                .map_err(|_| poisoned())?
                .catalog
                .older_than(before.timestamp(), 500);
            if ids.is_empty() {
                break;
            }
            total += self.store.prune(&ids)?;
            let mut inner = self.inner.write().map_err(|_| poisoned())?;
            for id in &ids {
                inner.catalog.remove(id);
                inner.stories.remove(id);
            }
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        if total > 0 {
            // What is pruned is pruned; a store that keeps its cache still serves.
            if let Err(e) = self.store.after_prune() {
                tracing::warn!(error = %e, "cannot release the store's memory after pruning");
            }
        }
        Ok(total)
    }
}

/// Keys used to recognise a known item. The folded-title key is only consulted when the
/// entry has no guid and no link: two different notices titled "Thông báo" on one day
/// must not merge just because their titles fold alike.
fn lookup_keys(keys: &[String]) -> impl Iterator<Item = &String> {
    let strong = keys.iter().any(|k| !k.starts_with("t:"));
    keys.iter().filter(move |k| !strong || !k.starts_with("t:"))
}

fn index_entry(item: &Item, cand: &Candidate, story: String) -> IndexEntry {
    IndexEntry {
        published: item.published.timestamp(),
        source: item.source.clone(),
        provinces: item.provinces.clone(),
        story,
        search: cand.search.clone(),
        fingerprint: cand.fingerprint.clone(),
        digest: cand.digest,
    }
}

/// The updated record when the source changed title, summary or body; `None` when nothing
/// a reader would notice changed.
fn apply_update(old: &Item, cand: &Candidate) -> Option<Item> {
    let new = &cand.item;
    let content_changed = new.content_html.is_some() && new.content_html != old.content_html;
    let summary_changed = !new.summary.is_empty() && new.summary != old.summary;
    if new.title == old.title && !content_changed && !summary_changed {
        return None;
    }
    let mut item = old.clone();
    item.revisions.push(Revision {
        title: old.title.clone(),
        summary: old.summary.clone(),
        content_html: old.content_html.clone(),
        replaced_at: new.first_seen,
    });
    item.title = new.title.clone();
    if summary_changed {
        item.summary = new.summary.clone();
    }
    if content_changed {
        item.content_html = new.content_html.clone();
    }
    for p in &new.provinces {
        if !item.provinces.contains(p) {
            item.provinces.push(p.clone());
        }
    }
    item.updated = Some(new.first_seen);
    Some(item)
}

#[cfg(test)]
mod tests;
