//! In-memory index of recent items for story clustering.
//!
//! Items are bucketed by their calendar day in Vietnam time, so a lookup scans only the
//! buckets inside the window (±3 days by default): at the volumes this product sees
//! (hundreds of items a day) that is a few thousand 64-slot comparisons, well under a
//! millisecond, so MinHash LSH banding would add memory and code for nothing. The
//! measurement is in the `find_is_fast_with_100k_items` test (run with `--ignored`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, FixedOffset};

use super::fingerprint::{Fingerprint, similarity};

/// Similarity at or above which two reports from different sources are one story.
/// Chosen from the labelled set in `tests/fixtures/dedup/` (see `eval_tests.rs` and the
/// module docs of `dedup` for the measured precision and recall).
pub const DEFAULT_THRESHOLD: f64 = 0.5;
/// Calendar days either side of an item's date in which another report may be the same
/// story: boards often publish a visit two or three days after it happened.
pub const DEFAULT_WINDOW_DAYS: u32 = 3;

#[derive(Debug, Clone)]
struct Entry {
    story: String,
    source: String,
    day: i32,
    published: DateTime<FixedOffset>,
    fp: Fingerprint,
}

/// In-memory index of recent items for story clustering.
#[derive(Debug)]
pub struct StoryIndex {
    threshold: f64,
    window_days: u32,
    entries: HashMap<String, Entry>,
    by_day: BTreeMap<i32, Vec<String>>,
}

impl Default for StoryIndex {
    fn default() -> Self {
        Self::new()
    }
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
            entries: HashMap::new(),
            by_day: BTreeMap::new(),
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
        self.by_day
            .entry(day)
            .or_default()
            .push(item_id.to_string());
        self.entries.insert(
            item_id.to_string(),
            Entry {
                story: story_id.to_string(),
                source: source.to_string(),
                day,
                published,
                fp: fp.clone(),
            },
        );
    }

    /// Story of the best near-duplicate from *another* source within the date window,
    /// if its similarity passes the threshold.
    pub fn find(
        &self,
        source: &str,
        published: DateTime<FixedOffset>,
        fp: &Fingerprint,
    ) -> Option<String> {
        self.find_scored(source, published, fp).map(|(s, _)| s)
    }

    /// Like [`find`](Self::find), also returning the similarity of the best match. Ties
    /// go to the earlier report, then the smaller item id, so results do not depend on
    /// insertion order.
    pub fn find_scored(
        &self,
        source: &str,
        published: DateTime<FixedOffset>,
        fp: &Fingerprint,
    ) -> Option<(String, f64)> {
        let day = vn_day(published);
        let w = i32::try_from(self.window_days).unwrap_or(i32::MAX);
        let mut best: Option<(f64, &Entry, &str)> = None;
        for (_, ids) in self
            .by_day
            .range(day.saturating_sub(w)..=day.saturating_add(w))
        {
            for id in ids {
                let Some(e) = self.entries.get(id) else {
                    continue;
                };
                if e.source == source {
                    continue;
                }
                let sim = similarity(fp, &e.fp);
                if sim < self.threshold {
                    continue;
                }
                let better = match &best {
                    None => true,
                    Some((bs, be, bid)) => {
                        sim > *bs
                            || (sim == *bs && (e.published, id.as_str()) < (be.published, *bid))
                    }
                };
                if better {
                    best = Some((sim, e, id));
                }
            }
        }
        best.map(|(s, e, _)| (e.story.clone(), s))
    }

    pub fn remove(&mut self, item_id: &str) {
        if let Some(e) = self.entries.remove(item_id)
            && let Some(ids) = self.by_day.get_mut(&e.day)
        {
            ids.retain(|i| i != item_id);
            if ids.is_empty() {
                self.by_day.remove(&e.day);
            }
        }
    }

    /// Forget every item dated before `cutoff` (Vietnam calendar day), returning how
    /// many were dropped; keeps memory bounded in a long-running daemon.
    pub fn prune_before(&mut self, cutoff: DateTime<FixedOffset>) -> usize {
        let day = vn_day(cutoff);
        let keep = self.by_day.split_off(&day);
        let old = std::mem::replace(&mut self.by_day, keep);
        let mut n = 0;
        for ids in old.into_values() {
            for id in ids {
                self.entries.remove(&id);
                n += 1;
            }
        }
        n
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
