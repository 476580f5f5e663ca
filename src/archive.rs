//! The dedup stage and the read side: decides whether a candidate is a new item, an
//! update of a known one, or a new report of a known story; commits each poll's writes as
//! one store transaction; answers feed queries from a compact in-memory catalog so that no
//! request path scans the store (design.md "Store").

mod catalog;
mod load;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::dedup::{self, Mark, Match, StoryIndex};
use crate::model::{Item, Revision, SourceState, Story};
use crate::normalize::Candidate;
use crate::store::{Batch, IndexEntry, KeyHit, Store, StoreError};
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
    /// Serialises ingestion: dedup decisions read, then write, and must not interleave.
    write: std::sync::Mutex<()>,
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
        let (store, catalog, stories) = load::load(store)?;
        Ok(Archive {
            store,
            inner: RwLock::new(Inner { catalog, stories }),
            write: std::sync::Mutex::new(()),
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

    /// Ingest one poll's candidates and the source's new state as one transaction.
    /// Blocking (sled I/O and flush): call from `spawn_blocking`.
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
        let _writer = self.write.lock().map_err(|_| poisoned())?;
        let mut report = IngestReport::default();
        let mut batch = Batch::default();
        // Decisions made earlier in this batch, which the store does not see yet.
        let mut batch_keys: HashMap<String, String> = HashMap::new();
        let mut batch_items: HashMap<String, usize> = HashMap::new();
        let mut story_members: HashMap<String, Vec<String>> = HashMap::new();
        let mut new_index: Vec<(String, IndexEntry, crate::dedup::Fingerprint)> = Vec::new();

        // `early` is one per candidate; a missing one only costs a lookup under the lock.
        let mut early = early.into_iter();
        for cand in candidates {
            let found = early.next().flatten();
            let mut hit: Option<KeyHit> = None;
            for k in lookup_keys(&cand.keys) {
                if let Some(id) = batch_keys.get(k) {
                    hit = Some(KeyHit::Live(id.clone()));
                    break;
                }
                if let Some(h) = self.store.lookup_key(k)? {
                    hit = Some(h);
                    break;
                }
            }
            match hit {
                Some(KeyHit::Tombstone(_)) => report.tombstoned += 1,
                Some(KeyHit::Live(id)) => {
                    for k in &cand.keys {
                        if !batch_keys.contains_key(k) {
                            if self.store.lookup_key(k)?.is_none() {
                                batch.keys.push((k.clone(), id.clone()));
                            }
                            batch_keys.insert(k.clone(), id.clone());
                        }
                    }
                    let existing = match batch_items.get(&id) {
                        Some(&i) => Some(batch.items[i].clone()),
                        None => self.store.item(&id)?,
                    };
                    let Some(old) = existing else {
                        // A key without its item (e.g. a crash between trees is impossible
                        // with transactions, but be safe): treat as unchanged.
                        report.unchanged += 1;
                        continue;
                    };
                    if let Some(updated) = apply_update(&old, &cand) {
                        let story = self
                            .inner
                            .read()
                            .map_err(|_| poisoned())?
                            .catalog
                            .story_of(&id)
                            .unwrap_or_else(|| id.clone());
                        let entry = index_entry(&updated, &cand, story);
                        new_index.push((id.clone(), entry.clone(), cand.fingerprint.clone()));
                        batch.index.push((id.clone(), entry));
                        match batch_items.get(&id) {
                            Some(&i) => batch.items[i] = updated,
                            None => {
                                batch_items.insert(id.clone(), batch.items.len());
                                batch.items.push(updated);
                            }
                        }
                        report.updated += 1;
                    } else {
                        report.unchanged += 1;
                        // Same item, raw entry written differently (an upgrade from
                        // records without digests, a tracking parameter in the link):
                        // remember this wording so the next poll skips it.
                        let known = self.inner.read().map_err(|_| poisoned())?;
                        let story = (cand.digest != 0
                            && known.catalog.digest_of(&id) != Some(cand.digest)
                            && !batch_items.contains_key(&id))
                        .then(|| known.catalog.story_of(&id).unwrap_or_else(|| id.clone()));
                        drop(known);
                        if let Some(story) = story {
                            let entry = index_entry(&old, &cand, story);
                            new_index.push((id.clone(), entry.clone(), cand.fingerprint.clone()));
                            batch.index.push((id.clone(), entry));
                        }
                    }
                }
                None => {
                    let Some(first) = cand.keys.first() else {
                        continue;
                    };
                    let id = dedup::item_id(first);
                    let inner = self.inner.read().map_err(|_| poisoned())?;
                    let (published, fp) = (cand.item.published, &cand.fingerprint);
                    let best = match found.and_then(|(mark, before)| {
                        let since = inner.stories.find_since(mark, source, published, fp)?;
                        Some(Match::best(before, since))
                    }) {
                        Some(best) => best,
                        None => inner.stories.find_match(source, published, fp),
                    };
                    let story = best.map(|m| m.story).filter(|s| s != &id);
                    let story_id = story.clone().unwrap_or_else(|| id.clone());
                    let mut members = match story_members.get(&story_id) {
                        Some(m) => m.clone(),
                        None => inner.catalog.members(&story_id).unwrap_or_default(),
                    };
                    drop(inner);
                    if story.is_some() {
                        report.clustered += 1;
                    }
                    if !members.contains(&id) {
                        members.push(id.clone());
                    }
                    story_members.insert(story_id.clone(), members);
                    let mut item = cand.item.clone();
                    item.id = id.clone();
                    for k in &cand.keys {
                        batch.keys.push((k.clone(), id.clone()));
                        batch_keys.insert(k.clone(), id.clone());
                    }
                    let entry = index_entry(&item, &cand, story_id);
                    new_index.push((id.clone(), entry.clone(), cand.fingerprint.clone()));
                    batch.index.push((id.clone(), entry));
                    batch_items.insert(id.clone(), batch.items.len());
                    batch.items.push(item);
                    report.new += 1;
                }
            }
        }
        // A story of one item is that item: its record would only repeat the item's id,
        // and writing it was one more insert per new item in the commit, where sled's
        // transactions also read every key they write. Clusters are written in full.
        batch.stories = story_members
            .into_iter()
            .filter(|(story, members)| members.as_slice() != std::slice::from_ref(story))
            .collect();
        batch.source_state = Some((source.to_string(), state));
        self.store.commit(batch)?;

        // Only what is durable becomes visible.
        let changed = !new_index.is_empty();
        let mut inner = self.inner.write().map_err(|_| poisoned())?;
        for (id, entry, fp) in new_index {
            if let Some(published) = DateTime::from_timestamp(entry.published, 0) {
                inner.stories.remove(&id);
                inner.stories.insert(
                    &id,
                    &entry.story,
                    &entry.source,
                    published.with_timezone(&crate::model::vn_offset()),
                    &fp,
                );
            }
            inner.catalog.insert(&id, &entry);
        }
        drop(inner);
        if changed {
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
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
        self.store.commit(Batch {
            source_state: Some((source.to_string(), state)),
            ..Batch::default()
        })
    }

    pub fn source_state(&self, source: &str) -> Result<Option<SourceState>, StoreError> {
        self.store.source_state(source)
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
        let _writer = self.write.lock().map_err(|_| poisoned())?;
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
