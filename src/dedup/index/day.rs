//! One calendar day of the story index: its items, and its posting lists, built when
//! something first needs them.

use std::sync::OnceLock;

use super::Entry;
use crate::dedup::postings::{Postings, band_keys};

/// One calendar day of items.
#[derive(Debug, Default)]
pub(super) struct Day {
    /// Every slot of the day.
    pub(super) all: Vec<u32>,
    /// Comparable items without names.
    pub(super) nameless: Vec<u32>,
    /// The sorted posting lists of the day's comparable named items. A load builds them
    /// for recent days only; other days get them from the first lookup or insert that
    /// reaches them ([`super::StoryIndex::finish_load`]), which a lookup can do under a shared
    /// borrow.
    pub(super) lists: OnceLock<Lists>,
    /// Comparable named items while `lists` is not built: what it will be built from.
    /// Stale, and never read, once it is.
    pub(super) pending: Vec<u32>,
    /// Comparable named items added since `lists` was built and not yet in it.
    pub(super) tail: Vec<u32>,
}

#[derive(Debug, Default)]
pub(super) struct Lists {
    /// Sorted `(name hash, slot)`.
    pub(super) names: Postings,
    /// Sorted `(band key, slot)`.
    pub(super) bands: Postings,
}

impl Lists {
    fn add(&mut self, slots: &[Option<Entry>], add: impl Iterator<Item = u32>) {
        for s in add {
            let Some(e) = slots.get(s as usize).and_then(Option::as_ref) else {
                continue;
            };
            self.names.extend(e.names().iter().map(|&n| (n, s)));
            self.bands.extend(band_keys(&e.mh).map(|k| (k, s)));
        }
        self.names.seal();
        self.bands.seal();
    }
}

impl Day {
    /// The day's posting lists, built now if they were not.
    pub(super) fn lists(&self, slots: &[Option<Entry>]) -> &Lists {
        self.lists.get_or_init(|| {
            let mut lists = Lists::default();
            lists.add(slots, self.pending.iter().copied());
            lists
        })
    }

    /// Build the posting lists if they were not, and merge the tail into them.
    pub(super) fn merge(&mut self, slots: &[Option<Entry>]) {
        self.lists(slots);
        self.pending = Vec::new();
        if let Some(lists) = self.lists.get_mut()
            && !self.tail.is_empty()
        {
            lists.add(slots, self.tail.drain(..));
        }
    }
}
