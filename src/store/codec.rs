//! How records are written: a version byte, then the record. Item, story and source
//! records are JSON, so any sled tool can read them one at a time; index records are
//! postcard, because start-up decodes every one of them.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{IndexEntry, Result, StoreError};

/// JSON.
pub(super) const RECORD_V1: u8 = 1;
/// postcard (binary serde) of an [`IndexEntry`], keyed by item id: the `idx` records of
/// format 1 stores. Decoding JSON with hex fingerprints took about a third of start-up at
/// 100k items (BENCHMARKS.md §4). Read only by the migration.
pub(super) const RECORD_V2: u8 = 2;
/// postcard of `(item id, IndexEntry)`: format 2 keys index records by sequence number,
/// so the id travels in the value.
pub(super) const RECORD_V3: u8 = 3;

pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut out = vec![RECORD_V1];
    serde_json::to_writer(&mut out, value).map_err(|e| StoreError::Io(e.to_string()))?;
    Ok(out)
}

pub(super) fn encode_index(id: &str, entry: &IndexEntry) -> Result<Vec<u8>> {
    postcard::to_extend(&(id, entry), vec![RECORD_V3]).map_err(|e| StoreError::Io(e.to_string()))
}

/// `key` as the error shows it: the item, story or source id, or `#seq`.
fn corrupt(tree: &'static str, key: &str, reason: String) -> StoreError {
    StoreError::Corrupt {
        tree,
        key: key.to_string(),
        reason,
    }
}

/// A V1 (JSON) record, or a V2 index record for the migration.
pub(super) fn decode<T: DeserializeOwned>(
    tree: &'static str,
    key: &str,
    bytes: &[u8],
) -> Result<T> {
    match bytes.split_first() {
        Some((&RECORD_V1, rest)) => {
            serde_json::from_slice(rest).map_err(|e| corrupt(tree, key, e.to_string()))
        }
        Some((&RECORD_V2, rest)) => {
            postcard::from_bytes(rest).map_err(|e| corrupt(tree, key, e.to_string()))
        }
        Some((v, _)) => Err(corrupt(tree, key, format!("unknown record version {v}"))),
        None => Err(corrupt(tree, key, "empty record".into())),
    }
}

/// A format 2 index record: the item id and its entry. Errors name the record by its
/// sequence number, `#n`.
pub(super) fn decode_index(
    tree: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<(String, IndexEntry)> {
    let name = || match seq_of(key) {
        Some(seq) => format!("#{seq}"),
        None => String::from_utf8_lossy(key).into_owned(),
    };
    match bytes.split_first() {
        Some((&RECORD_V3, rest)) => {
            postcard::from_bytes(rest).map_err(|e| corrupt(tree, &name(), e.to_string()))
        }
        Some((v, _)) => Err(corrupt(
            tree,
            &name(),
            format!("unknown record version {v}"),
        )),
        None => Err(corrupt(tree, &name(), "empty record".into())),
    }
}

/// Big-endian, so sled's key order is the order sequence numbers were given out in and
/// new records land at the end of their tree.
pub(super) fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

pub(super) fn seq_of(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
}
