//! Measurements of the story index, run by hand (`--ignored`): printed, never timed
//! against a limit (BENCHMARKS.md has the numbers).

use std::collections::HashMap;

use chrono::{Duration, TimeZone};

use super::generator;
use super::*;

/// Measurement, run with `cargo test --release --lib find_is_fast -- --ignored --nocapture`.
#[test]
#[ignore]
fn find_is_fast_with_100k_items() {
    let mut idx = StoryIndex::new();
    let t0 = std::time::Instant::now();
    let fps: Vec<Fingerprint> = (0..500)
        .map(|i| {
            fingerprint(
                &format!("Tin số {i} về khu công nghiệp Dự Án{i}"),
                &format!(
                    "Nội dung {i} của doanh nghiệp Công Ty{i} tại tỉnh {}",
                    i % 34
                ),
            )
        })
        .collect();
    let start = at(2025, 1, 1, 8);
    for i in 0..100_000u32 {
        let when = start + Duration::minutes(i64::from(i) * 5);
        idx.insert(
            &format!("id{i}"),
            &format!("id{i}"),
            &format!("s{}", i % 50),
            when,
            &fps[(i % 500) as usize],
        );
    }
    let built = t0.elapsed();
    let probe = fp_visit();
    let t1 = std::time::Instant::now();
    let n = 200;
    for k in 0..n {
        let _ = idx.find("probe", start + Duration::days(100 + k), &probe);
    }
    eprintln!(
        "StoryIndex: 100k items inserted in {built:?}; find over ±3 days (~2000 items) {:?} each",
        t1.elapsed() / n as u32
    );
}

/// The cold round's dedup work without the rest: 1,000 boards × 50 daily items, looked up
/// then inserted, with the generator's ground truth (which items report one shared
/// event) scored against the joins.
/// `cargo test --release --lib cold_round_lookups -- --ignored --nocapture`
#[test]
#[ignore]
fn cold_round_lookups() {
    let base = 1_790_000_000i64;
    let zone = crate::model::vn_offset();
    let mut items = Vec::new();
    for source in 0..1_000usize {
        for item in 0..50usize {
            let g = generator::item(source, item, base);
            items.push((
                source,
                zone.timestamp_opt(g.published, 0).unwrap(),
                fingerprint(&g.title, &g.summary),
                format!("{} // {}", g.title, g.summary),
                g.event,
            ));
        }
    }
    let t0 = std::time::Instant::now();
    let mut idx = StoryIndex::new();
    let (mut right, mut wrong) = (0usize, 0usize);
    let mut shown = 0;
    for (k, (source, when, fp, text, event)) in items.iter().enumerate() {
        let src = format!("s{source}");
        let id = format!("i{k}");
        let found = idx.find_scored(&src, *when, fp);
        if let Some((st, sc)) = &found {
            let other: usize = st[1..].parse().unwrap();
            if event.is_some() && *event == items[other].4 {
                right += 1;
            } else {
                wrong += 1;
                if shown < 6 && std::env::var("SHOW").is_ok() {
                    shown += 1;
                    eprintln!(
                        "{sc:.3}\n  {text}\n  {}\n  {:?}",
                        items[other].3,
                        signals(fp, &items[other].2)
                    );
                }
            }
        }
        let story = found.map(|f| f.0);
        idx.insert(&id, story.as_deref().unwrap_or(&id), &src, *when, fp);
    }
    let elapsed = t0.elapsed();
    // Every report of an event after its first one should join it.
    let mut per_event: HashMap<u64, usize> = HashMap::new();
    for e in items.iter().filter_map(|i| i.4) {
        *per_event.entry(e).or_default() += 1;
    }
    let expected: usize = per_event.values().map(|n| n - 1).sum();
    eprintln!(
        "cold round lookups: {} items in {elapsed:?}; joins: {right} right, {wrong} wrong \
         (precision {:.3}); {expected} expected (recall {:.3})",
        items.len(),
        right as f64 / (right + wrong).max(1) as f64,
        right as f64 / expected.max(1) as f64,
    );
}
