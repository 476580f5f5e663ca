//! Strings interned as `u32` symbols, each held once.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;

use hashbrown::HashTable;

/// Each distinct string once, in one buffer; a `u32` symbol names it.
#[derive(Debug, Default)]
pub(super) struct Interner {
    bytes: String,
    /// `ends[s]` is where symbol `s` ends in `bytes`; it starts where `s - 1` ends.
    ends: Vec<usize>,
    /// Symbols, found by the hash of their text (the text itself is only in `bytes`).
    table: HashTable<u32>,
    hasher: RandomState,
}

impl Interner {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
        let hasher = &self.hasher;
        let (bytes, ends) = (&self.bytes, &self.ends);
        self.table
            .shrink_to_fit(|&sym| hasher.hash_one(span(bytes, ends, sym)));
    }

    pub(super) fn get(&self, sym: u32) -> &str {
        span(&self.bytes, &self.ends, sym)
    }

    pub(super) fn find(&self, s: &str) -> Option<u32> {
        self.find_hashed(s, self.hasher.hash_one(s))
    }

    fn find_hashed(&self, s: &str, hash: u64) -> Option<u32> {
        self.table
            .find(hash, |&sym| span(&self.bytes, &self.ends, sym) == s)
            .copied()
    }

    pub(super) fn intern(&mut self, s: &str) -> u32 {
        let hash = self.hasher.hash_one(s);
        if let Some(sym) = self.find_hashed(s, hash) {
            return sym;
        }
        // Four billion distinct strings would need far more memory than any host has
        // before this cast could wrap.
        let sym = self.ends.len() as u32;
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len());
        let (bytes, ends, hasher) = (&self.bytes, &self.ends, &self.hasher);
        self.table.insert_unique(hash, sym, |&other| {
            hasher.hash_one(span(bytes, ends, other))
        });
        sym
    }
}

fn span<'a>(bytes: &'a str, ends: &[usize], sym: u32) -> &'a str {
    let i = sym as usize;
    let end = ends.get(i).copied().unwrap_or(0);
    let start = if i == 0 {
        0
    } else {
        ends.get(i - 1).copied().unwrap_or(end)
    };
    bytes.get(start..end).unwrap_or("")
}
