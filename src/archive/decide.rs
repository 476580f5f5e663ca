//! Dedup decisions: is each candidate a new item, an update of a known one, or a new
//! report of a known story? Made under the decision lock, against what is durable (the
//! store, the catalog) and what earlier polls decided that is not durable yet
//! ([`Pending`]); the batch then waits for the store ([`Archive::await_commit`]).

use std::sync::atomic::Ordering;

use super::pipeline::{Decided, Map, Publish};
use super::{Archive, EarlyLookup, IngestReport, apply_update, index_entry, lookup_keys, poisoned};
use crate::dedup::{self, Match};
use crate::model::{Item, SourceState};
use crate::normalize::Candidate;
use crate::store::{Batch, KeyHit, StoreError};

impl Archive {
    /// Decide one poll's candidates and queue its batch; returns the batch's ticket.
    pub(super) fn decide(
        &self,
        source: &str,
        candidates: Vec<Candidate>,
        early: Vec<Option<EarlyLookup>>,
        state: SourceState,
    ) -> Result<(u64, IngestReport), StoreError> {
        let _decisions = self.write.lock().map_err(|_| poisoned())?;
        if self.broken.load(Ordering::SeqCst) {
            return Err(StoreError::Io(
                "ingestion stopped after an internal error; restart the daemon".into(),
            ));
        }
        let mut report = IngestReport::default();
        let mut batch = Batch::default();
        // Decisions made earlier in this batch, which neither the store nor `Pending`
        // holds yet.
        let n = candidates.len();
        let mut batch_keys: Map<String, String> =
            Map::with_capacity_and_hasher(4 * n, Default::default());
        let mut batch_items: Map<String, usize> =
            Map::with_capacity_and_hasher(n, Default::default());
        let mut story_members: Map<String, Vec<String>> =
            Map::with_capacity_and_hasher(n, Default::default());
        let mut publish = Vec::new();

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
                if let Some(h) = self.key_hit(k)? {
                    hit = Some(h);
                    break;
                }
            }
            match hit {
                Some(KeyHit::Tombstone(_)) => report.tombstoned += 1,
                Some(KeyHit::Live(id)) => {
                    for k in &cand.keys {
                        if !batch_keys.contains_key(k) {
                            if self.key_hit(k)?.is_none() {
                                batch.keys.push((k.clone(), id.clone()));
                            }
                            batch_keys.insert(k.clone(), id.clone());
                        }
                    }
                    let existing = match batch_items.get(&id) {
                        Some(&i) => Some(batch.items[i].clone()),
                        None => self.current_item(&id)?,
                    };
                    let Some(old) = existing else {
                        // A key without its item (e.g. a crash between trees is impossible
                        // with transactions, but be safe): treat as unchanged.
                        report.unchanged += 1;
                        continue;
                    };
                    if let Some(updated) = apply_update(&old, &cand) {
                        let story = self.story_of(&id)?;
                        let entry = index_entry(&updated, &cand, story);
                        publish.push(Publish::update(&id, &entry));
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
                        if cand.digest != 0
                            && !batch_items.contains_key(&id)
                            && self.digest_of(&id)? != Some(cand.digest)
                        {
                            let story = self.story_of(&id)?;
                            let entry = index_entry(&old, &cand, story);
                            publish.push(Publish::update(&id, &entry));
                            batch.index.push((id.clone(), entry));
                        }
                    }
                }
                None => {
                    let Some(first) = cand.keys.first() else {
                        continue;
                    };
                    let id = dedup::item_id(first);
                    let (published, fp) = (cand.item.published, &cand.fingerprint);
                    let best = {
                        let inner = self.inner.read().map_err(|_| poisoned())?;
                        match found.and_then(|(mark, before)| {
                            let since = inner.stories.find_since(mark, source, published, fp)?;
                            Some(Match::best(before, since))
                        }) {
                            Some(best) => best,
                            None => inner.stories.find_match(source, published, fp),
                        }
                    };
                    let story = best.map(|m| m.story).filter(|s| s != &id);
                    let story_id = story.clone().unwrap_or_else(|| id.clone());
                    let mut members = match story_members.get(&story_id) {
                        Some(m) => m.clone(),
                        None => self.members(&story_id)?,
                    };
                    if story.is_some() {
                        report.clustered += 1;
                    }
                    if !members.contains(&id) {
                        members.push(id.clone());
                    }
                    story_members.insert(story_id.clone(), members);
                    for k in &cand.keys {
                        batch.keys.push((k.clone(), id.clone()));
                        batch_keys.insert(k.clone(), id.clone());
                    }
                    let entry = index_entry(&cand.item, &cand, story_id);
                    // Moved, not cloned: a body is kilobytes, and the candidate is spent.
                    let mut item: Item = cand.item;
                    item.id = id.clone();
                    publish.push(Publish::new_item(&id, &entry));
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
        let mut pending_members = Vec::new();
        for (story, members) in story_members {
            if members.as_slice() == std::slice::from_ref(&story) {
                pending_members.push((story, members));
            } else {
                batch.stories.push((story, members));
            }
        }
        batch.sources.push((source.to_string(), state));

        let ticket = self.commits.next_ticket();
        {
            let mut pending = self.pending_lock();
            pending.record(ticket, &batch);
            // Catalog answers for a lone new item, until the catalog has it.
            pending.record_members(ticket, pending_members);
        }
        // New items join the story index now, so that the next polls' reports of the
        // same story find them before they are durable. Nothing reads the story index
        // but these decisions; an aborted batch takes its items out again.
        if publish.iter().any(|p| p.new) {
            let mut inner = self.inner.write().map_err(|_| poisoned())?;
            for p in publish.iter().filter(|p| p.new) {
                p.index_story(&mut inner.stories);
            }
        }
        self.commits.enqueue(Decided {
            ticket,
            batch,
            publish,
        });
        Ok((ticket, report))
    }

    /// What a key points at: a pending decision first, then the store.
    fn key_hit(&self, key: &str) -> Result<Option<KeyHit>, StoreError> {
        if let Some(id) = self.pending_lock().key(key) {
            return Ok(Some(KeyHit::Live(id)));
        }
        self.store.lookup_key(key)
    }

    /// The item's latest record: a pending one first, then the store's. `Pending` is
    /// cleared of a batch only after the store and the catalog have it, so reading it
    /// first never misses a decision.
    fn current_item(&self, id: &str) -> Result<Option<Item>, StoreError> {
        if let Some(item) = self.pending_lock().item(id) {
            return Ok(Some(item));
        }
        self.store.item(id)
    }

    fn story_of(&self, id: &str) -> Result<String, StoreError> {
        if let Some(story) = self.pending_lock().story_of(id) {
            return Ok(story);
        }
        let inner = self.inner.read().map_err(|_| poisoned())?;
        Ok(inner.catalog.story_of(id).unwrap_or_else(|| id.to_string()))
    }

    fn digest_of(&self, id: &str) -> Result<Option<u64>, StoreError> {
        if let Some(d) = self.pending_lock().digest_of(id) {
            return Ok(Some(d));
        }
        let inner = self.inner.read().map_err(|_| poisoned())?;
        Ok(inner.catalog.digest_of(id))
    }

    fn members(&self, story: &str) -> Result<Vec<String>, StoreError> {
        if let Some(m) = self.pending_lock().members(story) {
            return Ok(m);
        }
        let inner = self.inner.read().map_err(|_| poisoned())?;
        Ok(inner.catalog.members(story).unwrap_or_default())
    }
}
