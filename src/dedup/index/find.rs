//! The lookup: candidates from the posting lists of the days in the window, each
//! rejected from its 48-byte hot record when the bound allows, and scored otherwise.
//! Each of these steps reads cache lines scattered over the whole index, one after the
//! other, so each asks for its lines a fixed distance ahead: that halved the lookup's
//! time in a cold round (BENCHMARKS.md §1).

use chrono::{DateTime, FixedOffset};

use super::day::{Day, Lists};
use super::{Entry, Match, StoryIndex, vn_day};
use crate::dedup::fingerprint::{FP_VERSION, Fingerprint, SLOTS};
use crate::dedup::postings::{BANDS, Postings, band_keys, prefetch};
use crate::dedup::similarity::{
    name_share, score, score_upper_bound, signals_ref, similarity_at_least,
    similarity_at_least_sharing, sketch, sketch_equal,
};

/// How many candidates ahead a lookup asks for hot records.
const HOT_AHEAD: usize = 16;
/// How many kept candidates ahead a lookup asks for entries.
const ENTRY_AHEAD: usize = 4;
/// How many posting probes ahead a lookup asks for runs (and twice as far, directories).
const PROBE_AHEAD: usize = 16;

/// A lookup's working memory, kept per thread between lookups: a cold round makes
/// 50,000 lookups, and growing these afresh each time was ~1 % of its CPU in malloc.
#[derive(Default)]
struct Scratch {
    /// Per slot, all zeros between lookups: zeroing one of slot size per lookup cost
    /// more than the lookup at 100k items.
    seen: Vec<u8>,
    cands: Vec<u32>,
    /// Candidates the bound keeps, with their name share when known.
    kept: Vec<(u32, Option<Option<f64>>)>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// How a lookup reached a candidate.
#[derive(Clone, Copy)]
enum Via {
    Direct,
    Band,
    Name,
}

impl StoryIndex {
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
        self.find_match(source, published, fp)
            .map(|m| (m.story, m.score))
    }

    /// Like [`find_scored`](Self::find_scored), with what [`Match::best`] needs to
    /// combine it with [`find_since`](Self::find_since).
    pub fn find_match(
        &self,
        source: &str,
        published: DateTime<FixedOffset>,
        fp: &Fingerprint,
    ) -> Option<Match> {
        let q = fp.as_ref();
        let comparable = q.v == FP_VERSION && q.mh.len() == SLOTS;
        // A threshold at or below zero accepts pairs that are not comparable at all; the
        // posting lists cannot find those, so such an index scans (tests and tuning only).
        let scan_all = self.threshold <= 0.0;
        if !comparable && !scan_all {
            return None;
        }
        let own = self.sources.get(source).copied();
        let day = vn_day(published);
        let w = i32::try_from(self.window_days).unwrap_or(i32::MAX);
        // Per slot: 0 unseen; 1 names to compare (tail, nameless, scans); 2 + k posted
        // and found under k of the query's names. Name postings are exact, so a posted
        // slot reached only through a band shares no name at all.
        let mut scratch = SCRATCH.with(|cell| std::mem::take(&mut *cell.borrow_mut()));
        let Scratch { seen, cands, kept } = &mut scratch;
        if seen.len() < self.slots.len() {
            seen.resize(self.slots.len(), 0);
        }
        let mut visit = |s: u32, via: Via| {
            let Some(c) = seen.get_mut(s as usize) else {
                return;
            };
            if *c == 0 {
                cands.push(s);
            }
            *c = match (via, *c) {
                (Via::Direct, 0) => 1,
                (Via::Band, 0) => 2,
                (Via::Name, 0) => 3,
                (Via::Name, c) if c >= 2 => c.saturating_add(1),
                (_, c) => c,
            };
        };
        let window = self
            .days
            .range(day.saturating_sub(w)..=day.saturating_add(w));
        if scan_all || q.names.is_empty() {
            for (_, d) in window {
                d.all.iter().for_each(|&s| visit(s, Via::Direct));
            }
        } else {
            let mut bands = [0u32; BANDS];
            for (b, k) in bands.iter_mut().zip(band_keys(q.mh)) {
                *b = k;
            }
            let days: Vec<(&Day, &Lists)> =
                window.map(|(_, d)| (d, d.lists(&self.slots))).collect();
            for (d, _) in &days {
                d.nameless.iter().for_each(|&s| visit(s, Via::Direct));
                d.tail.iter().for_each(|&s| visit(s, Via::Direct));
            }
            let mut probes: Vec<(&Postings, u32, Via)> =
                Vec::with_capacity(days.len() * (q.names.len() + BANDS));
            for (_, l) in &days {
                probes.extend(q.names.iter().map(|&n| (&l.names, n, Via::Name)));
                probes.extend(bands.iter().map(|&k| (&l.bands, k, Via::Band)));
            }
            // Every probe costs two dependent reads from memory, a directory entry and
            // then the run it points at: ask for them ahead, the directory entry twice as
            // far ahead as the run, so that each miss overlaps others.
            for &(p, k, _) in probes.iter().take(2 * PROBE_AHEAD) {
                p.prefetch_dir(k);
            }
            for &(p, k, _) in probes.iter().take(PROBE_AHEAD) {
                p.prefetch_run(k);
            }
            for (i, &(p, k, via)) in probes.iter().enumerate() {
                if let Some(&(p, k, _)) = probes.get(i + 2 * PROBE_AHEAD) {
                    p.prefetch_dir(k);
                }
                if let Some(&(p, k, _)) = probes.get(i + PROBE_AHEAD) {
                    p.prefetch_run(k);
                }
                p.get(k).for_each(|s| visit(s, via));
            }
        }

        let q_sketch = sketch(q.mh);
        let mut best: Option<(f64, &Entry)> = None;
        // Candidates' hot records are as scattered as the postings were.
        let ahead = |i: usize| {
            if let Some(&s) = cands.get(i) {
                prefetch(self.hot.as_ptr().wrapping_add(s as usize));
            }
        };
        (0..HOT_AHEAD).for_each(ahead);
        for (i, &s) in cands.iter().enumerate() {
            ahead(i + HOT_AHEAD);
            let Some(h) = self.hot.get(s as usize) else {
                continue;
            };
            if Some(h.source) == own || !(h.live || scan_all) {
                continue;
            }
            let mark = seen.get(s as usize).copied().unwrap_or(1);
            // The name share, when it is known without reading the entry: counted from
            // the postings (u8 saturates at 253; MAX_NAMES keeps lists far shorter), or
            // absent because either side has no names.
            let names = if q.names.is_empty() || h.names == 0 {
                Some(None)
            } else if mark >= 2 {
                Some(name_share(
                    usize::from(mark - 2),
                    q.names.len(),
                    usize::from(h.names),
                ))
            } else {
                None
            };
            if !scan_all
                && let Some(names) = names
                && score_upper_bound(sketch_equal(&q_sketch, &h.sketch), q.w, h.w, names)
                    < self.threshold
            {
                continue;
            }
            kept.push((s, names));
        }
        for &s in cands.iter() {
            if let Some(c) = seen.get_mut(s as usize) {
                *c = 0;
            }
        }
        // The few candidates the bound keeps are scored from their entries (~250 bytes
        // each, apart from each other): ask for the next ones while scoring this one.
        let entry_ahead = |i: usize| {
            if let Some(&(s, _)) = kept.get(i) {
                let p = self.slots.as_ptr().wrapping_add(s as usize).cast::<u8>();
                for line in (0..std::mem::size_of::<Option<Entry>>()).step_by(64) {
                    prefetch(p.wrapping_add(line));
                }
            }
        };
        (0..ENTRY_AHEAD).for_each(entry_ahead);
        for (i, &(s, names)) in kept.iter().enumerate() {
            entry_ahead(i + ENTRY_AHEAD);
            let Some(e) = self.slots.get(s as usize).and_then(Option::as_ref) else {
                continue;
            };
            let ef = e.fp();
            let sim = if scan_all {
                signals_ref(&q, &ef).map_or(0.0, |s| score(&s))
            } else {
                let res = match names {
                    Some(n) => similarity_at_least_sharing(&q, &ef, n, self.threshold),
                    None => similarity_at_least(&q, &ef, self.threshold),
                };
                match res {
                    Some(s) => s,
                    None => continue,
                }
            };
            if sim < self.threshold {
                continue;
            }
            let better = match &best {
                None => true,
                Some((bs, be)) => {
                    sim > *bs || (sim == *bs && (e.published, &e.id) < (be.published, &be.id))
                }
            };
            if better {
                best = Some((sim, e));
            }
        }
        cands.clear();
        kept.clear();
        SCRATCH.with(|cell| *cell.borrow_mut() = scratch);
        best.map(|(score, e)| Match {
            story: e.story().to_string(),
            score,
            item: e.id.clone(),
            published: e.published,
        })
    }
}
