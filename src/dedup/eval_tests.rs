//! Measured precision and recall of story clustering on the hand-labelled set in
//! `tests/fixtures/dedup/` (items.tsv: fictional but realistic board, portal and national
//! news; labelled.tsv: pairs, half positive, with hard negatives).
//!
//! The decision measured is the one `StoryIndex::find` makes: different sources, dates
//! within the window, similarity ≥ threshold. Run with `--nocapture` to see the numbers,
//! the threshold sweep and every pair's signals.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::fingerprint::{Fingerprint, fingerprint_with};
use super::similarity::signals;
use super::{DEFAULT_THRESHOLD, DEFAULT_WINDOW_DAYS, StoryIndex, score};

const ITEMS: &str = include_str!("../../tests/fixtures/dedup/items.tsv");
const PAIRS: &str = include_str!("../../tests/fixtures/dedup/labelled.tsv");

struct Item {
    id: String,
    event: String,
    source: String,
    date: NaiveDate,
}

struct Pair {
    a: String,
    b: String,
    label: bool,
    kind: String,
    split: String,
}

fn rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
}

fn load(grams: (usize, usize)) -> (HashMap<String, (Item, Fingerprint)>, Vec<Pair>) {
    let mut items = HashMap::new();
    for r in rows(ITEMS) {
        assert_eq!(r.len(), 6, "items.tsv row {r:?}");
        let item = Item {
            id: r[0].to_string(),
            event: r[1].to_string(),
            source: r[2].to_string(),
            date: NaiveDate::parse_from_str(r[3], "%Y-%m-%d").unwrap(),
        };
        let fp = fingerprint_with(r[4], r[5], grams);
        items.insert(item.id.clone(), (item, fp));
    }
    let pairs: Vec<Pair> = rows(PAIRS)
        .map(|r| {
            assert_eq!(r.len(), 5, "labelled.tsv row {r:?}");
            Pair {
                a: r[0].to_string(),
                b: r[1].to_string(),
                label: r[2] == "1",
                kind: r[3].to_string(),
                split: r[4].to_string(),
            }
        })
        .collect();
    for p in &pairs {
        let (ia, ib) = (&items[&p.a].0, &items[&p.b].0);
        // A label must agree with the event column, or the set contradicts itself.
        assert_eq!(p.label, ia.event == ib.event, "label of {} {}", p.a, p.b);
        assert_ne!(ia.source, ib.source, "same-source pair {} {}", p.a, p.b);
    }
    (items, pairs)
}

#[derive(Default, Debug, Clone, Copy)]
struct Counts {
    tp: u32,
    fp: u32,
    fn_: u32,
    tn: u32,
}

impl Counts {
    fn add(&mut self, predicted: bool, label: bool) {
        match (predicted, label) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(self.tp + self.fp)
        }
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(self.tp + self.fn_)
        }
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn within_window(a: &Item, b: &Item) -> bool {
    (a.date - b.date).num_days().unsigned_abs() <= u64::from(DEFAULT_WINDOW_DAYS)
}

/// Counts over the labelled pairs whose split passes `keep`, optionally ignoring dates.
fn evaluate(
    items: &HashMap<String, (Item, Fingerprint)>,
    pairs: &[Pair],
    threshold: f64,
    use_window: bool,
    keep: impl Fn(&Pair) -> bool,
) -> Counts {
    let mut c = Counts::default();
    for p in pairs.iter().filter(|p| keep(p)) {
        let ((ia, fa), (ib, fb)) = (&items[&p.a], &items[&p.b]);
        let sim = super::similarity(fa, fb);
        let predicted = sim >= threshold && (!use_window || within_window(ia, ib));
        c.add(predicted, p.label);
    }
    c
}

#[test]
fn labelled_set_precision_and_recall() {
    let (items, pairs) = load(super::fingerprint::GRAMS);
    let positives = pairs.iter().filter(|p| p.label).count();
    assert!(pairs.len() >= 60, "need at least 60 labelled pairs");
    assert!(positives * 3 >= pairs.len() && positives * 3 <= pairs.len() * 2);

    let mut sorted: Vec<&Pair> = pairs.iter().collect();
    sorted.sort_by(|x, y| (x.label, &x.kind).cmp(&(y.label, &y.kind)));
    for p in sorted {
        let ((ia, fa), (ib, fb)) = (&items[&p.a], &items[&p.b]);
        let s = signals(fa, fb).unwrap();
        eprintln!(
            "pair {}-{} label={} {:<28} {:>4} score={:.3} j={:.2} c={:.2} names={} figs={} period_x={} date_x={} win={}",
            p.a,
            p.b,
            u8::from(p.label),
            p.kind,
            p.split,
            score(&s),
            s.jaccard,
            s.containment,
            s.names.map_or("-".into(), |v| format!("{v:.2}")),
            s.figures.map_or("-".into(), |v| format!("{v:.2}")),
            u8::from(s.period_conflict),
            u8::from(s.date_conflict),
            u8::from(within_window(ia, ib)),
        );
    }

    eprintln!(
        "threshold sweep (window ±{DEFAULT_WINDOW_DAYS} d; P/R/F1 all | dev | hold | all, no window)"
    );
    for step in 4..=16 {
        let t = f64::from(step) * 0.05;
        let all = evaluate(&items, &pairs, t, true, |_| true);
        let dev = evaluate(&items, &pairs, t, true, |p| p.split == "dev");
        let hold = evaluate(&items, &pairs, t, true, |p| p.split == "hold");
        let nowin = evaluate(&items, &pairs, t, false, |_| true);
        eprintln!(
            "  t={t:.2}  {:.3}/{:.3}/{:.3} | {:.3}/{:.3}/{:.3} | {:.3}/{:.3}/{:.3} | {:.3}/{:.3}/{:.3}",
            all.precision(),
            all.recall(),
            all.f1(),
            dev.precision(),
            dev.recall(),
            dev.f1(),
            hold.precision(),
            hold.recall(),
            hold.f1(),
            nowin.precision(),
            nowin.recall(),
            nowin.f1(),
        );
    }

    let t = DEFAULT_THRESHOLD;
    let all = evaluate(&items, &pairs, t, true, |_| true);
    let hold = evaluate(&items, &pairs, t, true, |p| p.split == "hold");
    let nowin = evaluate(&items, &pairs, t, false, |_| true);
    eprintln!(
        "dedup labelled set: precision={:.3} recall={:.3} f1={:.3} threshold={t:.2} (pairs={}, positives={positives}, {:?})",
        all.precision(),
        all.recall(),
        all.f1(),
        pairs.len(),
        all
    );
    eprintln!(
        "dedup labelled set, held-out half: precision={:.3} recall={:.3} f1={:.3} ({:?})",
        hold.precision(),
        hold.recall(),
        hold.f1(),
        hold
    );
    eprintln!(
        "dedup labelled set, similarity alone (no date window): precision={:.3} recall={:.3} f1={:.3}",
        nowin.precision(),
        nowin.recall(),
        nowin.f1()
    );
    assert!(all.precision() >= 0.95, "precision {:.3}", all.precision());
    assert!(all.recall() >= 0.8, "recall {:.3}", all.recall());
}

/// Every cross-source pair of items within the window, labelled by the event column:
/// the easy negatives dominate here, so this mainly guards against surprise merges.
#[test]
fn all_item_pairs_within_window() {
    let (items, _) = load(super::fingerprint::GRAMS);
    let mut c = Counts::default();
    let mut v: Vec<&(Item, Fingerprint)> = items.values().collect();
    v.sort_by(|x, y| x.0.id.cmp(&y.0.id));
    for (i, (ia, fa)) in v.iter().enumerate() {
        for (ib, fb) in v.iter().skip(i + 1) {
            if ia.source == ib.source || !within_window(ia, ib) {
                continue;
            }
            let predicted = super::similarity(fa, fb) >= DEFAULT_THRESHOLD;
            if predicted != (ia.event == ib.event) {
                eprintln!("all-pairs miss: {} {} predicted={predicted}", ia.id, ib.id);
            }
            c.add(predicted, ia.event == ib.event);
        }
    }
    eprintln!(
        "dedup all cross-source pairs in window: precision={:.3} recall={:.3} f1={:.3} ({c:?})",
        c.precision(),
        c.recall(),
        c.f1()
    );
    assert!(c.precision() >= 0.9, "precision {:.3}", c.precision());
}

/// The integrated behaviour: items arrive in date order, each joins the story `find`
/// returns or starts its own. Every event should end up as few stories as possible
/// and no story should mix events.
#[test]
fn story_index_clusters_the_labelled_items() {
    let (items, _) = load(super::fingerprint::GRAMS);
    let mut v: Vec<&(Item, Fingerprint)> = items.values().collect();
    v.sort_by(|x, y| (x.0.date, &x.0.id).cmp(&(y.0.date, &y.0.id)));
    let mut index = StoryIndex::new();
    let mut story_of: HashMap<String, String> = HashMap::new();
    for (it, fp) in &v {
        let at: DateTime<FixedOffset> = it
            .date
            .and_hms_opt(8, 0, 0)
            .unwrap()
            .and_local_timezone(crate::model::vn_offset())
            .unwrap();
        let story = index
            .find(&it.source, at, fp)
            .unwrap_or_else(|| it.id.clone());
        index.insert(&it.id, &story, &it.source, at, fp);
        story_of.insert(it.id.clone(), story);
    }
    let mut mixed = 0;
    let mut stories_per_event: HashMap<&str, Vec<&str>> = HashMap::new();
    for (it, _) in &v {
        let story = story_of[&it.id].as_str();
        let lead_event = &items[story].0.event;
        if lead_event != &it.event {
            eprintln!("story mixes events: {} joined {story}", it.id);
            mixed += 1;
        }
        let e = stories_per_event.entry(it.event.as_str()).or_default();
        if !e.contains(&story) {
            e.push(story);
        }
    }
    let split: Vec<_> = stories_per_event
        .iter()
        .filter(|(_, s)| s.len() > 1)
        .collect();
    eprintln!(
        "dedup clustering: {} items, {} events, {} stories, {} events split, {mixed} wrong joins",
        v.len(),
        stories_per_event.len(),
        story_of
            .values()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        split.len()
    );
    for (e, s) in &split {
        eprintln!("  event {e} split into {s:?}");
    }
    assert_eq!(mixed, 0, "a story mixes different events");
}

/// Measurement, not a check: 2+3-gram shingles against the chosen 1+2.
#[test]
fn shingle_sizes_compared() {
    for grams in [(1, 2), (2, 3), (1, 3)] {
        let (items, pairs) = load(grams);
        let best = (4..=16)
            .map(|s| {
                let t = f64::from(s) * 0.05;
                (t, evaluate(&items, &pairs, t, true, |_| true))
            })
            .max_by(|a, b| a.1.f1().total_cmp(&b.1.f1()))
            .unwrap();
        eprintln!(
            "shingles {grams:?}: best f1={:.3} at t={:.2} (precision={:.3} recall={:.3})",
            best.1.f1(),
            best.0,
            best.1.precision(),
            best.1.recall()
        );
    }
}
