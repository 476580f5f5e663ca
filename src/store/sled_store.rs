//! The sled implementation of [`Store`]: opening (with a lock retry and the format
//! migration), the one-transaction commit over the trees, and pruning to tombstones.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use sled::Transactional;
use sled::transaction::{ConflictableTransactionResult, TransactionError};

use super::codec::{decode, decode_index, encode, encode_index, seq_key};
use super::{
    Batch, IDX, ITEM_SEQ, ITEMS, IndexEntry, KeyHit, RETIRED_TREES, Result, SCHEMA_V1,
    SCHEMA_VERSION, Store, StoreError, migrate,
};
use crate::model::{Item, SourceState};

pub struct SledStore {
    path: PathBuf,
    /// Every operation holds the read lock; a reopen ([`SledStore::reopen`]) takes the
    /// write lock. `None` only after a reopen failed to open the database again: the next
    /// operation tries again.
    open: RwLock<Option<Trees>>,
}

/// The database and its trees. Visible to the rest of the store module so that its tests
/// can plant the damaged records and half-finished migrations a crash or an older build
/// leaves behind.
pub(super) struct Trees {
    pub(super) db: sled::Db,
    pub(super) items: sled::Tree,
    pub(super) item_seq: sled::Tree,
    pub(super) keys: sled::Tree,
    pub(super) stories: sled::Tree,
    pub(super) idx: sled::Tree,
    pub(super) sources: sled::Tree,
    /// Ids removed by retention (id → nothing): a key pointing at one is a tombstone.
    pub(super) gone: sled::Tree,
}

/// The open trees, read-locked.
pub(super) struct Open<'a>(RwLockReadGuard<'a, Option<Trees>>);

impl std::ops::Deref for Open<'_> {
    type Target = Trees;

    fn deref(&self) -> &Trees {
        match self.0.as_ref() {
            Some(trees) => trees,
            // `SledStore::trees` hands out only guards over an open database.
            None => unreachable!("a closed store behind an Open guard"),
        }
    }
}

pub(super) const TOMBSTONE_PREFIX: &[u8] = b"\0tomb:";

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
    /// own lock: a held lock is retried for `LOCK_WAIT` before it is reported. Another
    /// process's lock is reported after that wait.
    pub fn open(path: &Path) -> Result<SledStore> {
        Ok(SledStore {
            path: path.to_path_buf(),
            open: RwLock::new(Some(Trees::open(path, Create::Yes)?)),
        })
    }

    /// The open trees, reopening the database if an earlier reopen failed.
    pub(super) fn trees(&self) -> Result<Open<'_>> {
        loop {
            let open = self.open.read().unwrap_or_else(PoisonError::into_inner);
            if open.is_some() {
                return Ok(Open(open));
            }
            drop(open);
            let mut closed = self.open.write().unwrap_or_else(PoisonError::into_inner);
            if closed.is_none() {
                *closed = Some(Trees::open(&self.path, Create::No)?);
            }
        }
    }

    /// Close the database and open it again, which is the only way to make sled 0.34 let
    /// go of pages that were read once and never again (see [`Store::after_scan`]). Waits
    /// for the operations in flight, and holds back new ones until it is done (~0.1 s).
    fn reopen(&self) -> Result<()> {
        let mut open = self.open.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(trees) = open.as_ref()
            && let Err(e) = trees.db.flush()
        {
            // Closing would flush too, and fail the same way with the store closed: keep
            // it open, cache and all, and let the daemon serve.
            tracing::warn!(error = %e, "cannot flush the store to reopen it; keeping its cache");
            return Ok(());
        }
        // Closed before it is opened again: sled locks the directory.
        drop(open.take());
        *open = Some(Trees::open(&self.path, Create::No)?);
        Ok(())
    }

    /// The sequence number under which `id`'s item and index records are kept.
    fn seq_of(t: &Trees, id: &str) -> Result<Option<sled::IVec>> {
        match t.item_seq.get(id)? {
            Some(seq) if seq.len() != 8 => Err(StoreError::Corrupt {
                tree: ITEM_SEQ,
                key: id.to_string(),
                reason: format!("a sequence number of {} bytes", seq.len()),
            }),
            seq => Ok(seq),
        }
    }
}

/// Whether opening may create the database.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Create {
    Yes,
    /// A reopen: the database must be there. A directory moved or deleted under a running
    /// daemon must not come back as an empty store.
    No,
}

impl Trees {
    /// Open the database, retrying a held lock for `LOCK_WAIT`.
    fn open(path: &Path, create: Create) -> Result<Trees> {
        // sled 0.34 keeps its data in a file named `db` inside the directory.
        if create == Create::No && !path.join("db").is_file() {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                reason: "the store is no longer there (moved or deleted while open?)".into(),
            });
        }
        let step = std::time::Duration::from_millis(5);
        let started = std::time::Instant::now();
        loop {
            match Trees::open_once(path) {
                Err(e) if is_lock_error(&e) && started.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(step);
                }
                opened => return opened,
            }
        }
    }

    fn open_once(path: &Path) -> Result<Trees> {
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
        Ok(Trees {
            items: tree(ITEMS)?,
            item_seq: tree(ITEM_SEQ)?,
            keys: tree("keys")?,
            stories: tree("stories")?,
            idx: tree(IDX)?,
            sources: tree("sources")?,
            gone: tree("gone")?,
            db,
        })
    }
}

impl Store for SledStore {
    fn lookup_key(&self, key: &str) -> Result<Option<KeyHit>> {
        let t = self.trees()?;
        let Some(v) = t.keys.get(key)? else {
            return Ok(None);
        };
        // Marked in place by builds before `gone`.
        if let Some(id) = v.strip_prefix(TOMBSTONE_PREFIX) {
            return Ok(Some(KeyHit::Tombstone(
                String::from_utf8_lossy(id).into_owned(),
            )));
        }
        let id = String::from_utf8_lossy(&v).into_owned();
        Ok(Some(if t.gone.contains_key(&v)? {
            KeyHit::Tombstone(id)
        } else {
            KeyHit::Live(id)
        }))
    }

    fn item(&self, id: &str) -> Result<Option<Item>> {
        let t = self.trees()?;
        let Some(seq) = SledStore::seq_of(&t, id)? else {
            return Ok(None);
        };
        t.items.get(seq)?.map(|v| decode(ITEMS, id, &v)).transpose()
    }

    fn story_members(&self, story: &str) -> Result<Vec<String>> {
        let t = self.trees()?;
        Ok(t.stories
            .get(story)?
            .map(|v| decode("stories", story, &v))
            .transpose()?
            .unwrap_or_default())
    }

    fn source_state(&self, source: &str) -> Result<Option<SourceState>> {
        let t = self.trees()?;
        t.sources
            .get(source)?
            .map(|v| decode("sources", source, &v))
            .transpose()
    }

    fn all_source_states(&self) -> Result<Vec<(String, SourceState)>> {
        let t = self.trees()?;
        let mut out = Vec::new();
        for kv in t.sources.iter() {
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
        let t = self.trees()?;
        if let Some(states) = batch.only_source_states() {
            // Every poll ends with one of these, and a 304 with nothing else: a six-tree
            // transaction and a flush for it were most of a warm round's cost.
            for (id, state) in states {
                t.sources.insert(id.as_bytes(), encode(state)?)?;
            }
            return Ok(());
        }
        // Serialise outside the transaction: the closure may run more than once.
        // Numbers are drawn here, for every record that may need one: sled's
        // `generate_id` takes a lock that a transaction holds, so calling it inside one
        // blocks forever. Numbers an update does not use are skipped, never reused.
        let fresh = || -> Result<sled::IVec> { Ok(seq_key(t.db.generate_id()?)[..].into()) };
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
            &t.items,
            &t.item_seq,
            &t.keys,
            &t.stories,
            &t.idx,
            &t.sources,
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
        t.db.flush()?;
        Ok(())
    }

    fn for_each_index_entry(&self, f: &mut dyn FnMut(String, IndexEntry)) -> Result<()> {
        let t = self.trees()?;
        for kv in t.idx.iter() {
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
        self.reopen()?;
        Ok(self)
    }

    fn prune(&self, ids: &[String]) -> Result<usize> {
        if ids.is_empty() {
            return Ok(0);
        }
        let t = self.trees()?;
        // Listed first, so that the items never come back: their keys read as tombstones
        // from here on. Builds before `gone` marked each key in place, which took a pass
        // over the whole keys tree (it is not indexed by id), and sled keeps every page a
        // scan reads (`after_scan`): after one day's prune of ~1,000 items, a daemon at 50k
        // items held 54 MiB more for the rest of its life (BENCHMARKS.md §4).
        let mut gone = sled::Batch::default();
        for id in ids {
            gone.insert(id.as_bytes(), &[][..]);
        }
        t.gone.apply_batch(gone)?;
        let mut removed = 0;
        for id in ids {
            let Some(seq) = SledStore::seq_of(&t, id)? else {
                continue;
            };
            t.idx.remove(&seq)?;
            if t.items.remove(&seq)?.is_some() {
                removed += 1;
            }
            // Last: an id whose records are gone reads as unknown either way.
            t.item_seq.remove(id.as_bytes())?;
        }
        t.db.flush()?;
        Ok(removed)
    }

    /// A removal pages in the leaf it changes, and sled keeps it (see `after_scan`). The
    /// oldest items of a store filled by a first round sit in random leaves: at 100k items,
    /// a prune of 2,000 of them held 64 MiB more at idle (BENCHMARKS.md §4). Reopening
    /// drops them.
    fn after_prune(&self) -> Result<()> {
        self.reopen()
    }

    fn size_on_disk(&self) -> Result<u64> {
        let t = self.trees()?;
        Ok(t.db.size_on_disk()?)
    }

    fn item_count(&self) -> usize {
        self.trees().map_or(0, |t| t.items.len())
    }

    fn flush(&self) -> Result<()> {
        let t = self.trees()?;
        t.db.flush()?;
        Ok(())
    }
}
