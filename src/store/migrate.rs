//! Format 1 → 2: item and index records move from id keys to sequence numbers (module
//! docs of `store.rs`).
//!
//! Crash safety: the new trees are filled and flushed first, then `meta` says "2" and is
//! flushed, then the old trees are dropped (by every open, `RETIRED_TREES`). A crash
//! before the format changes leaves a format 1 store with half-filled new trees, which
//! the next open clears and fills again; one after leaves old trees that open drops.

use std::collections::HashMap;
use std::time::Instant;

use super::codec::{decode, encode_index, seq_key};
use super::{IDX, ITEM_SEQ, ITEMS, IndexEntry, Result, SCHEMA_VERSION};

/// Records written to sled per batch: bounds what the copy holds in memory.
const BATCH: usize = 1024;

pub(super) fn from_v1(db: &sled::Db, meta: &sled::Tree) -> Result<()> {
    let started = Instant::now();
    let old_items = db.open_tree("items")?;
    let old_idx = db.open_tree("idx")?;
    let items = db.open_tree(ITEMS)?;
    let item_seq = db.open_tree(ITEM_SEQ)?;
    let idx = db.open_tree(IDX)?;
    for tree in [&items, &item_seq, &idx] {
        tree.clear()?;
    }
    tracing::info!("migrating the store to format 2 (records keyed by sequence number)");

    // Item records are copied as they are: only their key changes.
    let mut seqs: HashMap<sled::IVec, [u8; 8]> = HashMap::new();
    let mut new_items = sled::Batch::default();
    let mut new_seqs = sled::Batch::default();
    let mut pending = 0;
    for kv in old_items.iter() {
        let (id, record) = kv?;
        let seq = seq_key(db.generate_id()?);
        new_items.insert(&seq[..], record);
        new_seqs.insert(id.clone(), &seq[..]);
        seqs.insert(id, seq);
        pending += 1;
        if pending == BATCH {
            items.apply_batch(std::mem::take(&mut new_items))?;
            item_seq.apply_batch(std::mem::take(&mut new_seqs))?;
            pending = 0;
        }
    }
    items.apply_batch(new_items)?;
    item_seq.apply_batch(new_seqs)?;

    // Index records of either format 1 encoding (JSON, postcard) become V3 records. An
    // index record without an item (none is written so, but format 1 allowed it) keeps
    // its entry under a number of its own, as a commit would give it.
    let mut new_idx = sled::Batch::default();
    let mut new_seqs = sled::Batch::default();
    let mut pending = 0;
    let mut entries = 0usize;
    for kv in old_idx.iter() {
        let (key, record) = kv?;
        let id = String::from_utf8_lossy(&key).into_owned();
        let entry: IndexEntry = decode("idx", &id, &record)?;
        let seq = match seqs.get(&key) {
            Some(seq) => *seq,
            None => {
                let seq = seq_key(db.generate_id()?);
                new_seqs.insert(key, &seq[..]);
                seq
            }
        };
        new_idx.insert(&seq[..], encode_index(&id, &entry)?);
        entries += 1;
        pending += 1;
        if pending == BATCH {
            idx.apply_batch(std::mem::take(&mut new_idx))?;
            item_seq.apply_batch(std::mem::take(&mut new_seqs))?;
            pending = 0;
        }
    }
    idx.apply_batch(new_idx)?;
    item_seq.apply_batch(new_seqs)?;

    db.flush()?;
    meta.insert("schema", SCHEMA_VERSION)?;
    db.flush()?;
    tracing::info!(
        items = seqs.len(),
        index_entries = entries,
        seconds = started.elapsed().as_secs_f64(),
        "store migrated to format 2"
    );
    Ok(())
}
