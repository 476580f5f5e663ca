//! Item identity (same item seen again) and story clustering (same event on several sites).
//!
//! STUB — to be completed (dedup helper). Signatures are the contract.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// Every key under which an item is known, strongest first. The first key decides the
/// item id. Keys: source guid (`g:`), canonical URL key (`u:`), folded title + day (`t:`).
pub fn identity_keys(
    source: &str,
    guid: Option<&str>,
    canonical_url: Option<&str>,
    title: &str,
    published: Option<DateTime<FixedOffset>>,
) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(g) = guid {
        keys.push(format!("g:{source}:{g}"));
    }
    if let Some(u) = canonical_url {
        keys.push(format!("u:{}", crate::urlnorm::url_key(u)));
    }
    keys.push(format!(
        "t:{source}:{}:{}",
        crate::text::fold(title),
        published
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    ));
    keys
}

/// Stable item id for a key: lower-case hex, 32 characters.
pub fn item_id(key: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(key.as_bytes());
    d.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Content fingerprint of an item for near-duplicate detection (folded title + lead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub minhash: Vec<u32>,
}

/// Fingerprint of an item from its plain-text title and lead (summary or body start).
pub fn fingerprint(_title: &str, _lead: &str) -> Fingerprint {
    Fingerprint {
        minhash: Vec::new(),
    }
}

/// Estimated similarity in 0.0..=1.0.
pub fn similarity(_a: &Fingerprint, _b: &Fingerprint) -> f64 {
    0.0
}

/// In-memory index of recent items for story clustering.
#[derive(Debug, Default)]
pub struct StoryIndex {}

impl StoryIndex {
    pub fn new() -> Self {
        Self {}
    }

    /// Remember an item (its story id is the story it belongs to, or its own id).
    pub fn insert(
        &mut self,
        _item_id: &str,
        _story_id: &str,
        _source: &str,
        _published: DateTime<FixedOffset>,
        _fp: &Fingerprint,
    ) {
    }

    /// Story of the best near-duplicate from *another* source within the date window,
    /// if its similarity passes the threshold.
    pub fn find(
        &self,
        _source: &str,
        _published: DateTime<FixedOffset>,
        _fp: &Fingerprint,
    ) -> Option<String> {
        None
    }

    pub fn remove(&mut self, _item_id: &str) {}

    pub fn len(&self) -> usize {
        0
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
