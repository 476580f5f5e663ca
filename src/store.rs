//! The embedded store. This is the only module that names sled; everything else talks to
//! the [`Store`] trait, so another engine can be added if our measurements ever demand it.
//!
//! Trees (design.md "Store", format 2): `items_by_seq` (sequence number → record),
//! `item_seq` (id → sequence number), `keys` (dedup key → id; kept after pruning as
//! tombstones), `stories` (story id → member ids, for stories of two items or more: an
//! item alone is its own story), `idx_by_seq` (sequence number → id and compact index
//! entry, what the in-memory catalog is rebuilt from), `sources` (source id → state),
//! `meta` (format version). Each batch (one poll's writes, or several polls' together)
//! commits in one transaction, then `flush()`.
//!
//! design.md keys `items` and `idx` by item id, as format 1 did. Ids are hashes, so each
//! new item landed in a random leaf of two trees that reach 300 MiB at 100k items, and a
//! 16 MiB cache re-read most leaves it wrote to: a quarter of a cold round's wall time
//! went to sled (BENCHMARKS.md §1). Sequence numbers from [`sled::Db::generate_id`] only
//! grow, so new records append to the last leaf of each big tree, and the random inserts
//! go to `item_seq`, 40 bytes per item. Format 1 stores are migrated when opened
//! (`migrate.rs`).
//!
//! design.md also names `by_time` (published + id → ()), for a newest-first walk. The
//! in-memory catalog walks stories by time and lists what retention prunes, so nothing
//! read that tree, and writing it was one more insert per item inside the commit, which
//! runs under the archive's write lock (BENCHMARKS.md §1). Stores that have it lose it
//! when they are opened ([`SledStore::open`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionResult, TransactionError};

use crate::dedup::Fingerprint;
use crate::model::{Item, SourceState};

mod codec;
mod migrate;

use codec::{decode, decode_index, encode, encode_index, seq_key};

/// The store format in `meta`'s `schema` key: "1" keyed items and index records by item
/// id; "2" by sequence number (module docs).
const SCHEMA_V1: &[u8] = b"1";
const SCHEMA_VERSION: &[u8] = b"2";

const ITEMS: &str = "items_by_seq";
const ITEM_SEQ: &str = "item_seq";
const IDX: &str = "idx_by_seq";
/// Trees of format 1, and `by_time`; the migration drops them last, and every open drops
/// what a crash left.
const RETIRED_TREES: [&str; 3] = ["by_time", "items", "idx"];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open store at {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("store I/O error: {0}")]
    Io(String),
    #[error("corrupt record in tree {tree} for key {key}: {reason}")]
    Corrupt {
        tree: &'static str,
        key: String,
        reason: String,
    },
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Io(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// What a dedup key points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyHit {
    Live(String),
    /// The item was pruned; the key must never bring it back.
    Tombstone(String),
}

/// The compact per-item record the in-memory catalog is built from, so that start-up
/// and queries never read full item records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// Published time, Unix seconds.
    pub published: i64,
    pub source: String,
    pub provinces: Vec<String>,
    /// Story this item belongs to (its own id when it leads or stands alone).
    pub story: String,
    /// Folded title + summary + body start, for `q=`.
    pub search: String,
    /// Near-duplicate fingerprint, to rebuild the story index at start-up.
    pub fingerprint: Fingerprint,
    /// `normalize::entry_digest` of the raw entry behind the stored version; 0 in records
    /// written before digests existed.
    #[serde(default)]
    pub digest: u64,
}

/// Everything one or more polls write, committed atomically. The archive commits the
/// batches of several polls as one when they wait for the store together (group commit).
#[derive(Debug, Default)]
pub struct Batch {
    /// New or updated items (full records).
    pub items: Vec<Item>,
    /// Index entries for new or changed items.
    pub index: Vec<(String, IndexEntry)>,
    /// Dedup keys to point at an item id.
    pub keys: Vec<(String, String)>,
    /// Full member lists of stories that changed.
    pub stories: Vec<(String, Vec<String>)>,
    /// Source states; a later one for the same source replaces an earlier one.
    pub sources: Vec<(String, SourceState)>,
}

impl Batch {
    /// A batch holding one source's state and nothing else.
    pub fn source_state(source: &str, state: SourceState) -> Batch {
        Batch {
            sources: vec![(source.to_string(), state)],
            ..Batch::default()
        }
    }

    /// The source states, when they are all the batch holds.
    pub fn only_source_states(&self) -> Option<&[(String, SourceState)]> {
        (!self.sources.is_empty()
            && self.items.is_empty()
            && self.index.is_empty()
            && self.keys.is_empty()
            && self.stories.is_empty())
        .then_some(self.sources.as_slice())
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
            && self.index.is_empty()
            && self.keys.is_empty()
            && self.stories.is_empty()
            && self.sources.is_empty()
    }

    /// Append a later batch: applied in order, its writes win over this one's.
    pub fn append(&mut self, later: Batch) {
        self.items.extend(later.items);
        self.index.extend(later.index);
        self.keys.extend(later.keys);
        self.stories.extend(later.stories);
        self.sources.extend(later.sources);
    }
}

/// The storage contract. Implementations must be crash-safe: a commit is all or nothing,
/// and after `commit` returns the data survives a process crash.
pub trait Store: Send + Sync + 'static {
    fn lookup_key(&self, key: &str) -> Result<Option<KeyHit>>;
    fn item(&self, id: &str) -> Result<Option<Item>>;
    /// Members of a story of two items or more; empty for an item that stands alone
    /// (no record is written for it) and for unknown ids.
    fn story_members(&self, story: &str) -> Result<Vec<String>>;
    fn source_state(&self, source: &str) -> Result<Option<SourceState>>;
    fn all_source_states(&self) -> Result<Vec<(String, SourceState)>>;
    /// Commit a batch atomically and make it durable. A batch that holds nothing but a
    /// source's state may become durable a little later (sled: at its next flush, within
    /// 0.5 s): a crash then costs that source's last schedule and validators, so one
    /// early or unconditional poll, and never an item.
    fn commit(&self, batch: Batch) -> Result<()>;
    /// Every index entry, for rebuilding in-memory indexes at start-up. One at a time,
    /// not as one Vec: at 100k items a Vec held ~100 MiB of strings at once, which the
    /// allocator kept as resident memory long after start-up.
    fn for_each_index_entry(&self, f: &mut dyn FnMut(String, IndexEntry)) -> Result<()>;
    /// Called once a full [`Store::for_each_index_entry`] is done, with the only handle
    /// on the store: give back what the scan left in memory. Returns the handle to use
    /// from then on (the same one by default).
    fn after_scan(self: Arc<Self>) -> Result<Arc<dyn Store>>;
    /// Remove items, keeping their dedup keys as tombstones.
    fn prune(&self, ids: &[String]) -> Result<usize>;
    fn size_on_disk(&self) -> Result<u64>;
    fn item_count(&self) -> usize;
    fn flush(&self) -> Result<()>;
}

pub struct SledStore {
    path: PathBuf,
    db: sled::Db,
    items: sled::Tree,
    item_seq: sled::Tree,
    keys: sled::Tree,
    stories: sled::Tree,
    idx: sled::Tree,
    sources: sled::Tree,
}

const TOMBSTONE_PREFIX: &[u8] = b"\0tomb:";

/// sled reports a held lock only in its message.
const LOCK_HELD: &str = "could not acquire lock";
/// How long [`SledStore::open`] retries a held lock.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

fn is_lock_error(e: &StoreError) -> bool {
    matches!(e, StoreError::Open { reason, .. } if reason.contains(LOCK_HELD))
}

impl SledStore {
    /// Open (or create) the store. A locked or unwritable path is a clear error naming it.
    ///
    /// sled's background threads let go of the file lock a moment after the last handle
    /// is dropped, so a process that closes and reopens a store (start-up's
    /// [`Store::after_scan`], a command after `zonewire poll` in one test) can meet its
    /// own lock: a held lock is retried for [`LOCK_WAIT`] before it is reported. Another
    /// process's lock is reported after that wait.
    pub fn open(path: &Path) -> Result<SledStore> {
        let step = std::time::Duration::from_millis(5);
        let started = std::time::Instant::now();
        loop {
            match SledStore::open_once(path) {
                Err(e) if is_lock_error(&e) && started.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(step);
                }
                opened => return opened,
            }
        }
    }

    fn open_once(path: &Path) -> Result<SledStore> {
        let open_err = |reason: String| StoreError::Open {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| open_err(e.to_string()))?;
        }
        let db = sled::Config::new()
            .path(path)
            // sled's cache does not bound scans, and request paths never scan; a small
            // cache keeps idle memory low (design.md measurements).
            .cache_capacity(16 << 20)
            .flush_every_ms(Some(500))
            .open()
            .map_err(|e| {
                let msg = e.to_string();
                if msg.contains("WouldBlock") || msg.contains("lock") {
                    open_err(format!("{msg} (is another zonewire process using it?)"))
                } else {
                    open_err(msg)
                }
            })?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| open_err(e.to_string()));
        let meta = tree("meta")?;
        match meta.get("schema")? {
            None => {
                meta.insert("schema", SCHEMA_VERSION)?;
            }
            Some(v) if v.as_ref() == SCHEMA_VERSION => {}
            Some(v) if v.as_ref() == SCHEMA_V1 => migrate::from_v1(&db, &meta)?,
            Some(v) => {
                return Err(open_err(format!(
                    "store format {} is not supported by this build",
                    String::from_utf8_lossy(&v)
                )));
            }
        }
        // Read by no build of this format. Dropping is idempotent, so a crash half way
        // only repeats it at the next open.
        for name in RETIRED_TREES {
            db.drop_tree(name)
                .map_err(|e| open_err(format!("cannot drop the retired tree {name}: {e}")))?;
        }
        Ok(SledStore {
            path: path.to_path_buf(),
            items: tree(ITEMS)?,
            item_seq: tree(ITEM_SEQ)?,
            keys: tree("keys")?,
            stories: tree("stories")?,
            idx: tree(IDX)?,
            sources: tree("sources")?,
            db,
        })
    }

    /// The sequence number under which `id`'s item and index records are kept.
    fn seq_of(&self, id: &str) -> Result<Option<sled::IVec>> {
        match self.item_seq.get(id)? {
            Some(seq) if seq.len() != 8 => Err(StoreError::Corrupt {
                tree: ITEM_SEQ,
                key: id.to_string(),
                reason: format!("a sequence number of {} bytes", seq.len()),
            }),
            seq => Ok(seq),
        }
    }
}

impl Store for SledStore {
    fn lookup_key(&self, key: &str) -> Result<Option<KeyHit>> {
        Ok(self.keys.get(key)?.map(|v| {
            if let Some(id) = v.strip_prefix(TOMBSTONE_PREFIX) {
                KeyHit::Tombstone(String::from_utf8_lossy(id).into_owned())
            } else {
                KeyHit::Live(String::from_utf8_lossy(&v).into_owned())
            }
        }))
    }

    fn item(&self, id: &str) -> Result<Option<Item>> {
        let Some(seq) = self.seq_of(id)? else {
            return Ok(None);
        };
        self.items
            .get(seq)?
            .map(|v| decode(ITEMS, id, &v))
            .transpose()
    }

    fn story_members(&self, story: &str) -> Result<Vec<String>> {
        Ok(self
            .stories
            .get(story)?
            .map(|v| decode("stories", story, &v))
            .transpose()?
            .unwrap_or_default())
    }

    fn source_state(&self, source: &str) -> Result<Option<SourceState>> {
        self.sources
            .get(source)?
            .map(|v| decode("sources", source, &v))
            .transpose()
    }

    fn all_source_states(&self) -> Result<Vec<(String, SourceState)>> {
        let mut out = Vec::new();
        for kv in self.sources.iter() {
            let (k, v) = kv?;
            let id = String::from_utf8_lossy(&k).into_owned();
            let state = decode("sources", &id, &v)?;
            out.push((id, state));
        }
        Ok(out)
    }

    fn commit(&self, batch: Batch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        if let Some(states) = batch.only_source_states() {
            // Every poll ends with one of these, and a 304 with nothing else: a six-tree
            // transaction and a flush for it were most of a warm round's cost.
            for (id, state) in states {
                self.sources.insert(id.as_bytes(), encode(state)?)?;
            }
            return Ok(());
        }
        // Serialise outside the transaction: the closure may run more than once.
        // Numbers are drawn here, for every record that may need one: sled's
        // `generate_id` takes a lock that a transaction holds, so calling it inside one
        // blocks forever. Numbers an update does not use are skipped, never reused.
        let fresh = || -> Result<sled::IVec> { Ok(seq_key(self.db.generate_id()?)[..].into()) };
        let mut items = Vec::with_capacity(batch.items.len());
        for item in &batch.items {
            items.push((item.id.as_str(), encode(item)?, fresh()?));
        }
        let mut index = Vec::with_capacity(batch.index.len());
        for (id, entry) in &batch.index {
            index.push((id.as_str(), encode_index(id, entry)?, fresh()?));
        }
        let mut stories = Vec::with_capacity(batch.stories.len());
        for (id, members) in &batch.stories {
            stories.push((id.clone(), encode(members)?));
        }
        let mut sources = Vec::with_capacity(batch.sources.len());
        for (id, st) in &batch.sources {
            sources.push((id.clone(), encode(st)?));
        }
        let result: std::result::Result<(), TransactionError<StoreError>> = (
            &self.items,
            &self.item_seq,
            &self.keys,
            &self.stories,
            &self.idx,
            &self.sources,
        )
            .transaction(|(t_items, t_seq, t_keys, t_stories, t_idx, t_sources)| {
                // A known id keeps its number (an update); a new one takes the number
                // drawn for it. Reads see this transaction's own writes, so an item and
                // its index entry in one batch share one number.
                let seq_for =
                    |id: &str,
                     fresh: &sled::IVec|
                     -> ConflictableTransactionResult<sled::IVec, StoreError> {
                        match t_seq.get(id)? {
                            Some(seq) => Ok(seq),
                            None => {
                                t_seq.insert(id.as_bytes(), fresh.clone())?;
                                Ok(fresh.clone())
                            }
                        }
                    };
                for (id, bytes, fresh) in &items {
                    t_items.insert(seq_for(id, fresh)?, bytes.as_slice())?;
                }
                for (key, id) in &batch.keys {
                    t_keys.insert(key.as_bytes(), id.as_bytes())?;
                }
                for (id, bytes) in &stories {
                    t_stories.insert(id.as_bytes(), bytes.as_slice())?;
                }
                for (id, bytes, fresh) in &index {
                    t_idx.insert(seq_for(id, fresh)?, bytes.as_slice())?;
                }
                for (id, bytes) in &sources {
                    t_sources.insert(id.as_bytes(), bytes.as_slice())?;
                }
                Ok(())
            });
        match result {
            Ok(()) => {}
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(e.into()),
        }
        self.flush()?;
        Ok(())
    }

    fn for_each_index_entry(&self, f: &mut dyn FnMut(String, IndexEntry)) -> Result<()> {
        for kv in self.idx.iter() {
            let (k, v) = kv?;
            let (id, entry) = decode_index(IDX, &k, &v)?;
            f(id, entry);
        }
        Ok(())
    }

    /// sled 0.34 keeps every page a scan reads: its LRU learns of accesses in blocks of
    /// 64 per shard of 256, and one pass over the index touches each page once, so no
    /// block fills and nothing is evicted, whatever `cache_capacity` says. At 100k items
    /// that held the whole index tree (~130 MiB) for the life of the process. Closing and
    /// reopening the database (~0.1 s, while the archive finishes its indexes) drops it.
    fn after_scan(self: Arc<Self>) -> Result<Arc<dyn Store>> {
        let store = match Arc::try_unwrap(self) {
            Ok(store) => store,
            // Someone else holds the store: keep it, cache and all.
            Err(shared) => return Ok(shared),
        };
        let path = store.path.clone();
        if let Err(e) = store.flush() {
            // Closing would flush too, and fail the same way with the store closed: keep
            // it open, cache and all, and let the daemon serve.
            tracing::warn!(error = %e, "cannot flush the store after start-up; keeping its cache");
            return Ok(Arc::new(store));
        }
        drop(store);
        // `open` waits for sled's threads to release the lock (the crash test met them).
        Ok(Arc::new(SledStore::open(&path)?))
    }

    fn prune(&self, ids: &[String]) -> Result<usize> {
        let wanted: std::collections::HashSet<&[u8]> = ids.iter().map(|i| i.as_bytes()).collect();
        if wanted.is_empty() {
            return Ok(0);
        }
        // Keys pointing at pruned ids become tombstones, so the items never come back. The
        // keys tree is not indexed by id; pruning is a daily job, so one pass is fine.
        let mut tombs = sled::Batch::default();
        for kv in self.keys.iter() {
            let (k, v) = kv?;
            if wanted.contains(v.as_ref()) {
                let mut tomb = TOMBSTONE_PREFIX.to_vec();
                tomb.extend_from_slice(&v);
                tombs.insert(k, tomb);
            }
        }
        self.keys.apply_batch(tombs)?;
        let mut removed = 0;
        for id in ids {
            let Some(seq) = self.seq_of(id)? else {
                continue;
            };
            self.idx.remove(&seq)?;
            if self.items.remove(&seq)?.is_some() {
                removed += 1;
            }
            // Last: an id whose records are gone reads as unknown either way.
            self.item_seq.remove(id.as_bytes())?;
        }
        self.flush()?;
        Ok(removed)
    }

    fn size_on_disk(&self) -> Result<u64> {
        Ok(self.db.size_on_disk()?)
    }

    fn item_count(&self) -> usize {
        self.items.len()
    }

    fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
