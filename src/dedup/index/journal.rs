//! Lookups made before the archive's write lock and completed under it: the index
//! journals its latest inserts, and [`StoryIndex::find_since`] scores only those.

use chrono::{DateTime, FixedOffset};

use super::{FP_VERSION, SLOTS, StoryIndex, similarity_at_least, vn_day};
use crate::dedup::Fingerprint;

/// Inserts remembered for [`StoryIndex::find_since`]. A lookup made outside the archive's
/// write lock is completed under it; between the two, the other polls that took the lock
/// commit at most a few batches of 50 items each.
pub(crate) const JOURNAL: usize = 4096;

/// Where the index stood when a lookup was made (see [`StoryIndex::find_since`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    inserted: u64,
    removals: u64,
}

/// The best near-duplicate a lookup found.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub story: String,
    pub score: f64,
    pub(super) item: Box<str>,
    pub(super) published: i64,
}

impl Match {
    /// Higher score wins; ties go to the earlier report, then the smaller item id, so that
    /// results do not depend on insertion order.
    fn beats(&self, score: f64, published: i64, item: &str) -> bool {
        self.score > score
            || (self.score == score && (self.published, &*self.item) < (published, item))
    }

    /// The better of two results, by `Match::beats`.
    pub fn best(a: Option<Match>, b: Option<Match>) -> Option<Match> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.beats(a.score, a.published, &a.item) {
                b
            } else {
                a
            }),
            (a, b) => a.or(b),
        }
    }
}

impl StoryIndex {
    /// The index's state now, for a [`find_since`](Self::find_since) later.
    pub fn mark(&self) -> Mark {
        Mark {
            inserted: self.inserted,
            removals: self.removals,
        }
    }

    /// The best match among the items inserted after `mark`, so that a lookup made then
    /// (under a read lock, without the archive's write lock) and completed with this one
    /// under the write lock finds what one lookup made now would. Those items are few and
    /// are scored exactly, without the posting lists, so the pair finds at least what one
    /// lookup would (the banding's rare misses included). `None` when the journal cannot
    /// tell: something was removed since, or more was inserted than it remembers; the
    /// caller then makes a full lookup.
    pub fn find_since(
        &self,
        mark: Mark,
        source: &str,
        published: DateTime<FixedOffset>,
        fp: &Fingerprint,
    ) -> Option<Option<Match>> {
        let fresh = usize::try_from(self.inserted.checked_sub(mark.inserted)?).ok()?;
        if mark.removals != self.removals || fresh > self.journal.len() || self.threshold <= 0.0 {
            return None;
        }
        let q = fp.as_ref();
        if q.v != FP_VERSION || q.mh.len() != SLOTS {
            return Some(None);
        }
        let own = self.sources.get(source).copied();
        let day = vn_day(published);
        let w = i64::from(self.window_days);
        let mut best: Option<Match> = None;
        for &s in self.journal.iter().skip(self.journal.len() - fresh) {
            let (Some(h), Some(Some(e))) = (self.hot.get(s as usize), self.slots.get(s as usize))
            else {
                continue;
            };
            if !h.live || Some(h.source) == own || (i64::from(e.day) - i64::from(day)).abs() > w {
                continue;
            }
            let Some(score) = similarity_at_least(&q, &e.fp(), self.threshold) else {
                continue;
            };
            if best
                .as_ref()
                .is_none_or(|b| !b.beats(score, e.published, &e.id))
            {
                best = Some(Match {
                    story: e.story().to_string(),
                    score,
                    item: e.id.clone(),
                    published: e.published,
                });
            }
        }
        Some(best)
    }
}
