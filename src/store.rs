//! The embedded store. This is the only module that names sled; everything else talks to
//! the [`Store`] trait, so another engine can be added if our measurements ever demand it.
//!
//! Trees (design.md "Store", format 2): `items_by_seq` (sequence number → record),
//! `item_seq` (id → sequence number), `keys` (dedup key → id; kept after pruning),
//! `stories` (story id → member ids, for stories of two items or more: an item alone is
//! its own story), `idx_by_seq` (sequence number → id and compact index entry, what the
//! in-memory catalog is rebuilt from), `sources` (source id → state), `gone` (ids removed
//! by retention: a key pointing at one is a tombstone), `meta` (format version). `gone`
//! came after format 2 without changing it: a build that does not know the tree reads a
//! pruned item's keys as pointing at a missing item, which it skips the same way. Each batch (one poll's writes, or several polls' together)
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

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::dedup::Fingerprint;
use crate::model::{Item, SourceState};

mod codec;
mod migrate;
mod sled_store;

pub use sled_store::SledStore;

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
    /// allocator kept as resident memory long after start-up. `f` must not call back into
    /// the store: the store may hold a lock while it walks.
    fn for_each_index_entry(&self, f: &mut dyn FnMut(String, IndexEntry)) -> Result<()>;
    /// Called once a full [`Store::for_each_index_entry`] is done, with the only handle
    /// on the store: give back what the scan left in memory. Returns the handle to use
    /// from then on (the same one by default).
    fn after_scan(self: Arc<Self>) -> Result<Arc<dyn Store>>;
    /// Remove items, keeping their dedup keys as tombstones.
    fn prune(&self, ids: &[String]) -> Result<usize>;
    /// Called once the [`Store::prune`] calls of one retention pass are done: give back
    /// what the removals left in memory. Store operations may wait for it.
    fn after_prune(&self) -> Result<()>;
    fn size_on_disk(&self) -> Result<u64>;
    fn item_count(&self) -> usize;
    fn flush(&self) -> Result<()>;
}

#[cfg(test)]
mod tests;
