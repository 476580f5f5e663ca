//! Decisions that overlap commits (`archive/pipeline.rs`): a store whose first commit
//! waits for the test holds one batch in flight while others are decided.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use super::*;
use crate::model::Item;
use crate::store::{IndexEntry, KeyHit, Store};

/// The first commit tells the test it has started, then waits for the test's word, and
/// fails when the test says so. Later commits go straight through.
pub(super) struct GatedStore {
    inner: SledStore,
    gate: Mutex<Option<(mpsc::Sender<()>, mpsc::Receiver<bool>)>>,
    commits: AtomicUsize,
    /// The index walk fails after its first entry (the load tests).
    pub(super) walk_fails: AtomicBool,
    pub(super) after_scans: AtomicUsize,
    after_prunes: AtomicUsize,
}

impl GatedStore {
    /// A store in `dir` whose commits go straight through.
    pub(super) fn open(dir: &std::path::Path) -> GatedStore {
        GatedStore {
            inner: SledStore::open(&dir.join("db")).unwrap(),
            gate: Mutex::new(None),
            commits: AtomicUsize::new(0),
            walk_fails: AtomicBool::new(false),
            after_scans: AtomicUsize::new(0),
            after_prunes: AtomicUsize::new(0),
        }
    }
}

struct Gate {
    entered: mpsc::Receiver<()>,
    release: Release,
}

/// Lets the held commit through when a test fails before it did: the thread scope would
/// otherwise wait for it forever instead of reporting the failure.
struct Release(mpsc::Sender<bool>);

impl Release {
    fn send(&self, succeed: bool) -> Result<(), mpsc::SendError<bool>> {
        self.0.send(succeed)
    }
}

impl Drop for Release {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}

fn gated() -> (tempfile::TempDir, Arc<GatedStore>, Archive, Gate) {
    let dir = tempfile::tempdir().unwrap();
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let store = Arc::new(GatedStore {
        gate: Mutex::new(Some((entered_tx, release_rx))),
        ..GatedStore::open(dir.path())
    });
    let archive = Archive::new(store.clone()).unwrap();
    (
        dir,
        store,
        archive,
        Gate {
            entered,
            release: Release(release),
        },
    )
}

impl Store for GatedStore {
    fn lookup_key(&self, key: &str) -> Result<Option<KeyHit>, StoreError> {
        self.inner.lookup_key(key)
    }
    fn item(&self, id: &str) -> Result<Option<Item>, StoreError> {
        self.inner.item(id)
    }
    fn story_members(&self, story: &str) -> Result<Vec<String>, StoreError> {
        self.inner.story_members(story)
    }
    fn source_state(&self, source: &str) -> Result<Option<SourceState>, StoreError> {
        self.inner.source_state(source)
    }
    fn all_source_states(&self) -> Result<Vec<(String, SourceState)>, StoreError> {
        self.inner.all_source_states()
    }
    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        let gate = self.gate.lock().unwrap().take();
        if !batch.items.is_empty() {
            self.commits.fetch_add(1, Ordering::SeqCst);
        }
        if let Some((entered, release)) = gate {
            entered.send(()).unwrap();
            if !release.recv().unwrap() {
                return Err(StoreError::Io("disk full (test)".into()));
            }
        }
        self.inner.commit(batch)
    }
    fn for_each_index_entry(
        &self,
        f: &mut dyn FnMut(String, IndexEntry),
    ) -> Result<(), StoreError> {
        if !self.walk_fails.load(Ordering::SeqCst) {
            return self.inner.for_each_index_entry(f);
        }
        let mut seen = 0;
        self.inner.for_each_index_entry(&mut |id, entry| {
            if seen == 0 {
                f(id, entry);
            }
            seen += 1;
        })?;
        Err(StoreError::Corrupt {
            tree: "idx",
            key: "2".into(),
            reason: "truncated (test)".into(),
        })
    }
    fn after_scan(self: Arc<Self>) -> Result<Arc<dyn Store>, StoreError> {
        self.after_scans.fetch_add(1, Ordering::SeqCst);
        Ok(self)
    }
    fn prune(&self, ids: &[String]) -> Result<usize, StoreError> {
        self.inner.prune(ids)
    }
    fn after_prune(&self) -> Result<(), StoreError> {
        self.after_prunes.fetch_add(1, Ordering::SeqCst);
        self.inner.after_prune()
    }
    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.inner.size_on_disk()
    }
    fn item_count(&self) -> usize {
        self.inner.item_count()
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush()
    }
}

/// Khánh Hòa's report again, with a corrected title: an update of the same item.
fn kh_corrected() -> Candidate {
    candidate(
        "khanhhoa",
        "https://bqlkktkcn.khanhhoa.gov.vn/tin/doan-hung-yen.html",
        &format!("{KH_TITLE} (cập nhật)"),
        KH_LEAD,
        6,
    )
}

#[test]
fn polls_decide_on_batches_that_are_not_durable_yet_and_commit_together() {
    let (_dir, store, archive, gate) = gated();
    std::thread::scope(|s| {
        let gate = gate;
        let first = s.spawn(|| archive.ingest("khanhhoa", vec![kh()], SourceState::default()));
        gate.entered.recv().unwrap();
        // Khánh Hòa's item is being committed: readers do not see it yet...
        assert!(archive.is_empty());
        assert!(story_sizes(&archive).is_empty());
        // ...but decisions do: Hưng Yên's report joins its story, and the corrected
        // title is an update of it, not a second item.
        let (hy_ticket, joined) = archive
            .decide("hungyen", vec![hy()], vec![None], SourceState::default())
            .unwrap();
        assert_eq!((joined.new, joined.clustered), (1, 1), "{joined:?}");
        let (kh_ticket, corrected) = archive
            .decide(
                "khanhhoa",
                vec![kh_corrected()],
                vec![None],
                SourceState::default(),
            )
            .unwrap();
        assert_eq!((corrected.new, corrected.updated), (0, 1), "{corrected:?}");
        assert_eq!(archive.commits.waiting(), 2);
        gate.release.send(true).unwrap();
        let first = first.join().unwrap().unwrap();
        assert_eq!(first.new, 1);
        archive.await_commit(kh_ticket).unwrap();
        archive.await_commit(hy_ticket).unwrap();
    });
    // The two batches that waited together went to the store as one commit.
    assert_eq!(store.commits.load(Ordering::SeqCst), 2);
    assert!(archive.pending_lock().is_empty());
    let page = archive.query(&Query::default()).unwrap();
    assert_eq!(page.stories.len(), 1);
    let story = &page.stories[0];
    assert_eq!(story.others.len(), 1);
    assert!(
        story.lead.title.ends_with("(cập nhật)"),
        "{}",
        story.lead.title
    );
    assert_eq!(story.lead.revisions.len(), 1);
    // What a restart rebuilds from the store is the same.
    let reopened = Archive::new(store.clone()).unwrap();
    assert_eq!(story_sizes(&reopened), vec![2]);
}

#[test]
fn a_failed_commit_fails_the_batches_decided_on_it_and_leaves_no_trace() {
    let (_dir, store, archive, gate) = gated();
    let kh_key = kh().keys[0].clone();
    std::thread::scope(|s| {
        let gate = gate;
        let first = s.spawn(|| archive.ingest("khanhhoa", vec![kh()], SourceState::default()));
        gate.entered.recv().unwrap();
        let (hy_ticket, joined) = archive
            .decide("hungyen", vec![hy()], vec![None], SourceState::default())
            .unwrap();
        assert_eq!(joined.clustered, 1, "{joined:?}");
        gate.release.send(false).unwrap();
        let err = first.join().unwrap().unwrap_err();
        assert!(err.to_string().contains("disk full (test)"), "{err}");
        // Hưng Yên's batch rested on Khánh Hòa's item being stored: it fails too.
        let err = archive.await_commit(hy_ticket).unwrap_err();
        assert!(err.to_string().contains("disk full (test)"), "{err}");
    });
    assert!(archive.is_empty());
    assert!(archive.pending_lock().is_empty());
    assert_eq!(store.lookup_key(&kh_key).unwrap(), None);
    assert_eq!(archive.source_state("hungyen").unwrap(), None);
    // The failed item left no story behind for the next report to join.
    let alone = archive
        .ingest("hungyen", vec![hy()], SourceState::default())
        .unwrap();
    assert_eq!((alone.new, alone.clustered), (1, 0), "{alone:?}");
    let joined = archive
        .ingest("khanhhoa", vec![kh()], SourceState::default())
        .unwrap();
    assert_eq!((joined.new, joined.clustered), (1, 1), "{joined:?}");
    assert_eq!(story_sizes(&archive), vec![2]);
}

#[test]
fn pruning_waits_for_the_batches_already_decided() {
    let (_dir, _store, archive, gate) = gated();
    let cutoff = Utc.with_ymd_and_hms(2025, 9, 30, 0, 0, 0).unwrap();
    let (tx, pruned) = mpsc::channel();
    std::thread::scope(|s| {
        let gate = gate;
        let first = s.spawn(|| archive.ingest("khanhhoa", vec![kh()], SourceState::default()));
        gate.entered.recv().unwrap();
        let archive = &archive;
        s.spawn(move || tx.send(archive.prune_before(cutoff)).unwrap());
        // Explicit readiness: the prune has found the commit under way and waits for it.
        while archive.commits.idle_waiters() == 0 {
            if let Ok(early) = pruned.try_recv() {
                panic!("the prune ran beside the commit: {early:?}");
            }
            std::thread::yield_now();
        }
        gate.release.send(true).unwrap();
        assert_eq!(first.join().unwrap().unwrap().new, 1);
        // It then finds the item, which a prune run beside the commit would have missed
        // and the commit would have left behind.
        assert_eq!(pruned.recv().unwrap().unwrap(), 1);
    });
    assert!(archive.is_empty());
}

#[test]
fn a_prune_that_removed_something_lets_the_store_release_memory_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(GatedStore::open(dir.path()));
    let archive = Archive::new(store.clone()).unwrap();
    // 501 items: two of the prune's chunks of 500.
    let items: Vec<Candidate> = (0..501)
        .map(|n| {
            candidate(
                "khanhhoa",
                &format!("https://bqlkktkcn.khanhhoa.gov.vn/tin/{n}.html"),
                &format!("Tin số {n} về khu công nghiệp"),
                &format!("Nội dung riêng của tin số {n}."),
                1 + (n % 5) as u32,
            )
        })
        .collect();
    let report = archive
        .ingest("khanhhoa", items, SourceState::default())
        .unwrap();
    assert_eq!(report.new, 501);
    let before_all = Utc.with_ymd_and_hms(2025, 8, 1, 0, 0, 0).unwrap();
    assert_eq!(archive.prune_before(before_all).unwrap(), 0);
    assert_eq!(store.after_prunes.load(Ordering::SeqCst), 0);
    let after_all = Utc.with_ymd_and_hms(2025, 9, 30, 0, 0, 0).unwrap();
    assert_eq!(archive.prune_before(after_all).unwrap(), 501);
    assert_eq!(store.after_prunes.load(Ordering::SeqCst), 1);
    assert!(archive.is_empty());
    // The reopened store still takes what comes next.
    assert_eq!(
        archive
            .ingest("hungyen", vec![hy()], SourceState::default())
            .unwrap()
            .new,
        1
    );
    assert_eq!(store.item_count(), 1);
}
