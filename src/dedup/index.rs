//! In-memory index of items for story clustering.
//!
//! A lookup must find, among the items of *other* sources dated within ±3 calendar days,
//! the one most similar to a new item. Scoring every item in the window is quadratic: a
//! thousand boards posting daily put ~7,000 items in the window, and the first version of
//! this index spent 86 % of a cold round there (BENCHMARKS.md). So the index only scores
//! *candidates*, found through posting lists kept per calendar day:
//!
//! - **names**: every item is posted under each of its name hashes. Two items that both
//!   carry names and share one are always candidates.
//! - **nameless items** are kept in a list of their own and always scored, and a new item
//!   without names is scored against the whole window, because without names the score is
//!   the text overlap alone and no posting list bounds it.
//! - **MinHash bands** (32 bands of 2 slots): the only pairs left are items that both have
//!   names and share none. Their name share is 0, so the score needs a text overlap of at
//!   least 0.686, which means at least 24 of the 64 MinHash slots equal (see
//!   [`MIN_SLOTS_EQUAL`]). Such a pair shares a whole band unless every equal slot falls in a
//!   different band: with 24 equal slots that happens with probability 7·10⁻⁴, with 28
//!   about 10⁻⁵, and never from 33 on. This is the one approximation; the
//!   `banding_agrees_with_a_full_scan` test measures it against a full scan.
//!
//! Candidates are then scored with [`similarity_at_least`], which drops most of them from
//! the text and names alone. Posting lists are sorted `(key, slot)` arrays per day (8 bytes
//! a posting); new items wait in a short unsorted tail that is scored directly and merged
//! in batches, so inserting stays cheap.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::BuildHasher;

use chrono::{DateTime, Datelike, FixedOffset};
use foldhash::fast::RandomState;
use hashbrown::HashTable;

mod day;
mod find;
mod forget;
mod journal;

use day::Day;

pub(crate) use journal::JOURNAL;
pub use journal::{Mark, Match};

use super::fingerprint::{FP_VERSION, Fingerprint, SLOTS};
use super::similarity::{FpRef, similarity_at_least, sketch};

/// Similarity at or above which two reports from different sources are one story.
/// Chosen from the labelled set in `tests/fixtures/dedup/` (see `eval_tests.rs` and the
/// module docs of `dedup` for the measured precision and recall).
pub const DEFAULT_THRESHOLD: f64 = 0.5;
/// Calendar days either side of an item's date in which another report may be the same
/// story: boards often publish a visit two or three days after it happened.
pub const DEFAULT_WINDOW_DAYS: u32 = 3;

/// Fewest equal MinHash slots a pair needs to reach [`DEFAULT_THRESHOLD`] when both carry
/// names and share none: the score is then at most `0.85 · 0.6 · text + 0.15`, so text
/// must reach 0.686; with containment at its maximum of 1 that needs a Jaccard estimate of
/// 0.372, i.e. 24 of 64 slots. A higher threshold only raises this number, which makes
/// the banding more reliable; a lower one lowers it.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const MIN_SLOTS_EQUAL: usize = 24;
/// Items inserted into a day since its posting lists were last sorted. Scored directly.
pub(crate) const TAIL: usize = 64;
/// Days behind the newest item (or today) whose posting lists a load builds at once.
/// Items are looked up within [`DEFAULT_WINDOW_DAYS`] of their date, and boards publish
/// within days of an event, so a month covers what new items meet.
const RECENT_DAYS: i32 = 30;

#[derive(Debug)]
struct Entry {
    id: Box<str>,
    /// `None` when the item is its own story, as most are: one copy of the id less.
    story: Option<Box<str>>,
    source: u32,
    day: i32,
    published: i64,
    v: u8,
    w: u32,
    /// Inline, not boxed: every candidate reads it, and a pointer chase per candidate
    /// showed in the profile. Zeros when the item had no text (`has_text` false).
    mh: [u16; SLOTS],
    has_text: bool,
    /// How many of `feats` are name hashes (at most `MAX_NAMES`); the rest are numbers.
    n_names: u16,
    /// Names then numbers in one allocation: two boxes cost ~40 bytes more an item.
    feats: Box<[u32]>,
}

impl Entry {
    fn story(&self) -> &str {
        self.story.as_deref().unwrap_or(&self.id)
    }

    fn names(&self) -> &[u32] {
        self.feats.get(..usize::from(self.n_names)).unwrap_or(&[])
    }

    fn nums(&self) -> &[u32] {
        self.feats.get(usize::from(self.n_names)..).unwrap_or(&[])
    }

    fn fp(&self) -> FpRef<'_> {
        FpRef {
            v: self.v,
            mh: if self.has_text { &self.mh } else { &[] },
            w: self.w,
            names: self.names(),
            nums: self.nums(),
        }
    }

    /// Can ever be similar to anything (same fingerprint version, some text).
    fn comparable(&self) -> bool {
        self.v == FP_VERSION && self.has_text
    }
}

/// What a lookup reads for every candidate, apart from the entry: 48 bytes instead of
/// the ~250 of an entry, so rejecting a candidate costs one cache line.
#[derive(Debug, Clone, Copy, Default)]
struct Hot {
    sketch: [u64; 4],
    w: u32,
    source: u32,
    /// Name count, saturating (only compared against the query's to form the share).
    names: u8,
    /// Live and comparable.
    live: bool,
}

/// In-memory index of items for story clustering.
#[derive(Debug)]
pub struct StoryIndex {
    threshold: f64,
    window_days: u32,
    slots: Vec<Option<Entry>>,
    hot: Vec<Hot>,
    free: Vec<u32>,
    /// Live slots, found by the hash of their entry's id (the id itself is held once, in
    /// the entry: a map keyed by a copy cost ~70 bytes an item).
    by_id: HashTable<u32>,
    hasher: RandomState,
    sources: HashMap<Box<str>, u32>,
    days: BTreeMap<i32, Day>,
    /// Set while loading: tails grow without merging and [`StoryIndex::finish_load`]
    /// sorts each day once. Merging every 64 inserts re-sorted a day's whole posting
    /// lists each time, which made a start-up on 50k items about a second slower.
    loading: bool,
    /// The most recent inserts (slots), oldest first, and the count of inserts ever made:
    /// what [`StoryIndex::find_since`] completes a lookup with.
    journal: VecDeque<u32>,
    inserted: u64,
    /// Removals ever made (replacements included). A removal may free the best match of
    /// an earlier lookup or reuse a journalled slot, so it ends every [`Mark`].
    removals: u64,
}

impl Default for StoryIndex {
    fn default() -> Self {
        Self::new()
    }
}

/// The id of the entry in a slot ("" for an empty one, which `by_id` never holds).
fn slot_id(slots: &[Option<Entry>], slot: u32) -> &str {
    slots
        .get(slot as usize)
        .and_then(Option::as_ref)
        .map_or("", |e| &e.id)
}

/// Day number of an instant in Vietnam time, so that "±3 days" means calendar days as
/// the boards date their articles (often a bare date, read as midnight +07:00).
fn vn_day(t: DateTime<FixedOffset>) -> i32 {
    t.with_timezone(&crate::model::vn_offset())
        .date_naive()
        .num_days_from_ce()
}

impl StoryIndex {
    pub fn new() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
            window_days: DEFAULT_WINDOW_DAYS,
            slots: Vec::new(),
            hot: Vec::new(),
            free: Vec::new(),
            by_id: HashTable::new(),
            hasher: RandomState::default(),
            sources: HashMap::new(),
            days: BTreeMap::new(),
            loading: false,
            journal: VecDeque::new(),
            inserted: 0,
            removals: 0,
        }
    }

    /// An index for a bulk load: call [`StoryIndex::finish_load`] after the inserts
    /// (lookups before that are correct, only slower: tails are scanned directly).
    pub fn loading() -> Self {
        Self {
            loading: true,
            ..Self::new()
        }
    }

    /// Builds the posting lists of the days that new items will look at: the last
    /// `RECENT_DAYS` (30) before the newest item or before today. Older days get theirs from
    /// the first lookup or insert that reaches them. A two-year store holds some 700 days
    /// that no new item's window reaches; their posting lists were most of the index's
    /// memory and an eighth of start-up (BENCHMARKS.md §4).
    pub fn finish_load(&mut self) {
        self.loading = false;
        let today = vn_day(chrono::Utc::now().fixed_offset());
        let newest = self.days.keys().next_back().copied().unwrap_or(today);
        let recent = newest.min(today).saturating_sub(RECENT_DAYS);
        for day in self.days.range_mut(recent..).map(|(_, day)| day) {
            day.merge(&self.slots);
        }
    }

    /// Same index with another similarity threshold (0.0..=1.0).
    pub fn with_threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }

    /// Same index with another window, in calendar days either side.
    pub fn with_window(mut self, days: u32) -> Self {
        self.window_days = days;
        self
    }

    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    pub fn window_days(&self) -> u32 {
        self.window_days
    }

    fn source_id(&mut self, source: &str) -> u32 {
        if let Some(&id) = self.sources.get(source) {
            return id;
        }
        let id = u32::try_from(self.sources.len()).unwrap_or(u32::MAX);
        self.sources.insert(source.into(), id);
        id
    }

    /// Remember an item (its story id is the story it belongs to, or its own id).
    /// Inserting an id again replaces the earlier entry.
    pub fn insert(
        &mut self,
        item_id: &str,
        story_id: &str,
        source: &str,
        published: DateTime<FixedOffset>,
        fp: &Fingerprint,
    ) {
        self.remove(item_id);
        let day = vn_day(published);
        // A stored fingerprint is bounded by MAX_NAMES; the cap only keeps a corrupt one
        // from shifting names into numbers.
        let n_names = u16::try_from(fp.names.len()).unwrap_or(u16::MAX);
        let names = &fp.names[..usize::from(n_names)];
        let entry = Entry {
            id: item_id.into(),
            story: (story_id != item_id).then(|| story_id.into()),
            source: self.source_id(source),
            day,
            published: published.timestamp(),
            v: fp.v,
            w: fp.w,
            mh: <[u16; SLOTS]>::try_from(fp.mh.as_slice()).unwrap_or([0; SLOTS]),
            has_text: fp.mh.len() == SLOTS,
            n_names,
            feats: names.iter().chain(&fp.nums).copied().collect(),
        };
        let comparable = entry.comparable();
        let named = entry.n_names > 0;
        let hot = Hot {
            sketch: sketch(&entry.mh),
            w: entry.w,
            source: entry.source,
            names: u8::try_from(entry.n_names).unwrap_or(u8::MAX),
            live: comparable,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(entry);
                self.hot[s as usize] = hot;
                s
            }
            None => {
                self.slots.push(Some(entry));
                self.hot.push(hot);
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.by_id
            .insert_unique(hasher.hash_one(item_id), slot, |&s| {
                hasher.hash_one(slot_id(slots, s))
            });
        if !self.loading {
            self.journal.push_back(slot);
            if self.journal.len() > JOURNAL {
                self.journal.pop_front();
            }
            self.inserted += 1;
        }
        let bucket = self.days.entry(day).or_default();
        bucket.all.push(slot);
        if !comparable {
            return;
        }
        if !named {
            bucket.nameless.push(slot);
            return;
        }
        if bucket.lists.get().is_none() {
            bucket.pending.push(slot);
            return;
        }
        bucket.tail.push(slot);
        if bucket.tail.len() >= TAIL {
            bucket.merge(&self.slots);
        }
    }

    /// Days whose posting lists are not built, and days whose lists are.
    #[cfg(test)]
    pub(crate) fn days_unbuilt_and_built(&self) -> (usize, usize) {
        let built = self
            .days
            .values()
            .filter(|d| d.lists.get().is_some())
            .count();
        (self.days.len() - built, built)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
