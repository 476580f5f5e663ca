//! Dedup decisions overlap store commits.
//!
//! A poll's decisions are made under the archive's decision lock, then its batch waits
//! in a queue for the store. Whichever waiting poll finds the store idle commits every
//! queued batch as one transaction and one flush (group commit), in decision order, then
//! publishes them to the in-memory catalog. Meanwhile the next polls decide: what was
//! decided but is not durable yet is in [`Pending`], which decisions consult before the
//! store and the catalog. Readers (queries, exports) still see only what is durable.
//!
//! Before this, the sled commit ran under the decision lock, and the lock was held for
//! about three quarters of a cold round (BENCHMARKS.md §1).
//!
//! A failed commit fails its batches and every batch decided after them (they may rest on
//! the failed decisions: a key, a story lead), and forgets their pending decisions; their
//! polls report the error, keep their old validators, and fetch again next time.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

use chrono::DateTime;

use super::Archive;
use crate::dedup::StoryIndex;
use crate::model::Item;
use crate::store::{Batch, IndexEntry, StoreError};

/// Maps consulted for every decision: foldhash, because SipHash over their string keys
/// was 1 % of a cold round's instructions. Its per-process random seed still keeps
/// crafted collisions impractical (the keys come from feeds).
pub(super) type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Decisions made but not durable yet, each tagged with the ticket of its batch.
#[derive(Default)]
pub(super) struct Pending {
    keys: Map<String, (String, u64)>,
    items: Map<String, (Item, u64)>,
    story_of: Map<String, (String, u64)>,
    digests: Map<String, (u64, u64)>,
    members: Map<String, (Vec<String>, u64)>,
}

impl Pending {
    pub(super) fn key(&self, key: &str) -> Option<String> {
        self.keys.get(key).map(|(id, _)| id.clone())
    }

    pub(super) fn item(&self, id: &str) -> Option<Item> {
        self.items.get(id).map(|(item, _)| item.clone())
    }

    pub(super) fn story_of(&self, id: &str) -> Option<String> {
        self.story_of.get(id).map(|(s, _)| s.clone())
    }

    pub(super) fn digest_of(&self, id: &str) -> Option<u64> {
        self.digests.get(id).map(|&(d, _)| d)
    }

    pub(super) fn members(&self, story: &str) -> Option<Vec<String>> {
        self.members.get(story).map(|(m, _)| m.clone())
    }

    /// Remember one batch's decisions under its ticket.
    pub(super) fn record(&mut self, ticket: u64, batch: &Batch) {
        for (key, id) in &batch.keys {
            self.keys.insert(key.clone(), (id.clone(), ticket));
        }
        for item in &batch.items {
            self.items.insert(item.id.clone(), (item.clone(), ticket));
        }
        for (id, entry) in &batch.index {
            self.story_of
                .insert(id.clone(), (entry.story.clone(), ticket));
            self.digests.insert(id.clone(), (entry.digest, ticket));
        }
        for (story, members) in &batch.stories {
            self.members
                .insert(story.clone(), (members.clone(), ticket));
        }
    }

    /// Remember the member lists of stories that get no record of their own (a lone new
    /// item is its own story).
    pub(super) fn record_members(&mut self, ticket: u64, members: Vec<(String, Vec<String>)>) {
        for (story, m) in members {
            self.members.insert(story, (m, ticket));
        }
    }

    /// Forget the decisions of every batch up to `ticket`: the store and the catalog
    /// hold them now. Later batches' decisions about the same ids stay.
    fn settle(&mut self, ticket: u64) {
        self.keys.retain(|_, (_, t)| *t > ticket);
        self.items.retain(|_, (_, t)| *t > ticket);
        self.story_of.retain(|_, (_, t)| *t > ticket);
        self.digests.retain(|_, (_, t)| *t > ticket);
        self.members.retain(|_, (_, t)| *t > ticket);
    }

    fn clear(&mut self) {
        *self = Pending::default();
    }

    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.keys.is_empty()
            && self.items.is_empty()
            && self.story_of.is_empty()
            && self.digests.is_empty()
            && self.members.is_empty()
    }
}

/// One poll's decided batch, waiting for the store.
pub(super) struct Decided {
    pub(super) ticket: u64,
    pub(super) batch: Batch,
    /// Index entries to publish once durable.
    pub(super) publish: Vec<Publish>,
}

impl Decided {
    fn new_ids(&self) -> impl Iterator<Item = String> + '_ {
        self.publish.iter().filter(|p| p.new).map(|p| p.id.clone())
    }
}

/// An index entry for the catalog and the story index.
pub(super) struct Publish {
    pub(super) id: String,
    pub(super) entry: IndexEntry,
    /// A new item, which the story index took when it was decided; an update's new
    /// fingerprint replaces the old one only once it is durable.
    pub(super) new: bool,
}

impl Publish {
    pub(super) fn new_item(id: &str, entry: &IndexEntry) -> Publish {
        Publish {
            id: id.to_string(),
            entry: entry.clone(),
            new: true,
        }
    }

    pub(super) fn update(id: &str, entry: &IndexEntry) -> Publish {
        Publish {
            new: false,
            ..Publish::new_item(id, entry)
        }
    }

    /// Put the entry's fingerprint in the story index (replacing the item's earlier one).
    pub(super) fn index_story(&self, stories: &mut StoryIndex) {
        let e = &self.entry;
        if let Some(published) = DateTime::from_timestamp(e.published, 0) {
            stories.insert(
                &self.id,
                &e.story,
                &e.source,
                published.with_timezone(&crate::model::vn_offset()),
                &e.fingerprint,
            );
        }
    }
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Decided>,
    /// The last ticket handed out.
    issued: u64,
    /// Every ticket up to this one is durable and published, or failed.
    committed: u64,
    /// Failed tickets, until their poll has read the reason.
    failed: HashMap<u64, String>,
    /// A poll is committing (without the queue's lock).
    busy: bool,
    /// Callers blocked in [`Commits::wait_idle`] (tests wait for a prune to get there).
    idle_waiters: usize,
}

#[derive(Default)]
pub(super) struct Commits {
    queue: Mutex<Queue>,
    changed: Condvar,
}

impl Commits {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // The queue's invariants hold between statements, so a panic elsewhere while it
        // was held leaves it usable.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The ticket the next [`Commits::enqueue`] hands out. Only the holder of the
    /// decision lock enqueues, so it stays valid until then.
    pub(super) fn next_ticket(&self) -> u64 {
        self.lock().issued + 1
    }

    pub(super) fn enqueue(&self, decided: Decided) {
        let mut q = self.lock();
        q.issued = decided.ticket;
        q.waiting.push(decided);
    }

    /// True when no batch waits and none is being committed.
    pub(super) fn idle(&self) -> bool {
        let q = self.lock();
        q.waiting.is_empty() && !q.busy
    }

    /// Block until no batch waits or is being committed. The polls that own the waiting
    /// batches commit them; the caller must not hold the decision lock.
    pub(super) fn wait_idle(&self) {
        let mut q = self.lock();
        q.idle_waiters += 1;
        while !q.waiting.is_empty() || q.busy {
            q = self.changed.wait(q).unwrap_or_else(|p| p.into_inner());
        }
        q.idle_waiters -= 1;
    }

    #[cfg(test)]
    pub(super) fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    #[cfg(test)]
    pub(super) fn idle_waiters(&self) -> usize {
        self.lock().idle_waiters
    }
}

/// Clears `busy` even when committing panics, failing what it held and what waits, so
/// that no poll waits for a commit that will never come.
struct Committing<'a> {
    archive: &'a Archive,
    tickets: Vec<u64>,
    done: bool,
}

impl Drop for Committing<'_> {
    fn drop(&mut self) {
        let mut q = self.archive.commits.lock();
        q.busy = false;
        if !self.done {
            // The pending decisions and the story index may now hold what never reached
            // the store; deciding on them could hide items, so ingestion stops here.
            self.archive
                .broken
                .store(true, std::sync::atomic::Ordering::SeqCst);
            let waiting: Vec<u64> = q.waiting.drain(..).map(|d| d.ticket).collect();
            let reason = "an internal error stopped a commit; restart the daemon".to_string();
            for t in self.tickets.iter().chain(&waiting) {
                q.failed.insert(*t, reason.clone());
            }
        }
        self.archive.commits.changed.notify_all();
    }
}

impl Archive {
    /// Wait until the batch of `ticket` is durable and published, committing queued
    /// batches when no other poll is.
    pub(super) fn await_commit(&self, ticket: u64) -> Result<(), StoreError> {
        let mut q = self.commits.lock();
        loop {
            if let Some(reason) = q.failed.remove(&ticket) {
                return Err(StoreError::Io(reason));
            }
            if q.committed >= ticket {
                return Ok(());
            }
            if !q.busy && !q.waiting.is_empty() {
                q.busy = true;
                let group = std::mem::take(&mut q.waiting);
                drop(q);
                let mut guard = Committing {
                    archive: self,
                    tickets: group.iter().map(|d| d.ticket).collect(),
                    done: false,
                };
                let last = guard.tickets.last().copied().unwrap_or(0);
                let outcome = self.commit_group(group);
                guard.done = true;
                q = self.commits.lock();
                match outcome {
                    Ok(()) => q.committed = q.committed.max(last),
                    Err(failed) => {
                        for (t, reason) in failed {
                            q.failed.insert(t, reason);
                        }
                    }
                }
                // Dropping the guard clears `busy` and wakes the waiters; the queue's
                // lock is released first so that it can take it.
                drop(q);
                drop(guard);
                q = self.commits.lock();
                continue;
            }
            q = self
                .commits
                .changed
                .wait(q)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Commit a group of batches as one, then publish them; on failure, fail them and
    /// every batch decided since, returning each failed ticket with its reason.
    fn commit_group(&self, group: Vec<Decided>) -> Result<(), Vec<(u64, String)>> {
        let Some(last) = group.last().map(|d| d.ticket) else {
            return Ok(());
        };
        let mut merged = Batch::default();
        let mut publish = Vec::new();
        let mut new_ids = Vec::new();
        for d in group {
            new_ids.extend(d.new_ids());
            merged.append(d.batch);
            publish.push((d.ticket, d.publish));
        }
        if let Err(e) = self.store.commit(merged) {
            tracing::error!(error = %e, "store commit failed; the polls that wait for it will retry");
            let tickets = publish.iter().map(|(t, _)| *t).collect();
            return Err(self.abort(tickets, new_ids, &e));
        }
        // Only what is durable becomes visible.
        let mut changed = false;
        {
            let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
            for p in publish.into_iter().flat_map(|(_, p)| p) {
                changed = true;
                if !p.new {
                    p.index_story(&mut inner.stories);
                }
                inner.catalog.insert(&p.id, &p.entry);
            }
        }
        self.pending_lock().settle(last);
        if changed {
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(())
    }

    /// Undo every decision that is not durable: the failed group's and those of the
    /// batches queued since. Takes the decision lock so that no poll decides on them
    /// meanwhile.
    fn abort(
        &self,
        mut tickets: Vec<u64>,
        mut new_ids: Vec<String>,
        e: &StoreError,
    ) -> Vec<(u64, String)> {
        let _decisions = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let queued = std::mem::take(&mut self.commits.lock().waiting);
        for d in &queued {
            tickets.push(d.ticket);
            new_ids.extend(d.new_ids());
        }
        self.pending_lock().clear();
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        for id in &new_ids {
            inner.stories.remove(id);
        }
        drop(inner);
        let reason = format!("not stored: {e}");
        tickets.into_iter().map(|t| (t, reason.clone())).collect()
    }

    pub(super) fn pending_lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}
