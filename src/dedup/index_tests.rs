//! Story index tests: window, sources, removal, the posting lists against a full scan,
//! and lookups completed under the write lock (`find_since`).

use chrono::{DateTime, Duration, FixedOffset, TimeZone};

use super::*;

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<FixedOffset> {
    crate::model::vn_offset()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
}

fn fp_visit() -> Fingerprint {
    fingerprint(
        "Ban Quản lý các KCN tỉnh Hưng Yên làm việc với Ban Quản lý KKT và KCN tỉnh Khánh Hòa",
        "Ngày 6/9, Đoàn công tác do đồng chí Hoàng Văn Mai dẫn đầu làm việc với đồng chí Trần Minh Chiến tại Khánh Hòa, tham quan Cảng quốc tế Nam Vân Phong.",
    )
}

#[test]
fn story_index_window_source_and_remove() {
    let fp = fp_visit();
    let mut idx = StoryIndex::new();
    assert!(idx.is_empty());
    idx.insert("a", "story-a", "bql-khanhhoa", at(2025, 9, 8, 9), &fp);
    assert_eq!(idx.len(), 1);
    // Another source, 2 days later: same story.
    assert_eq!(
        idx.find("bql-hungyen", at(2025, 9, 10, 20), &fp).as_deref(),
        Some("story-a")
    );
    // Same source never matches itself.
    assert_eq!(idx.find("bql-khanhhoa", at(2025, 9, 8, 10), &fp), None);
    // 5 days apart: outside the default window, inside a wider one.
    assert_eq!(idx.find("bql-hungyen", at(2025, 9, 13, 9), &fp), None);
    assert_eq!(idx.find("bql-hungyen", at(2025, 9, 3, 9), &fp), None);
    let wide = StoryIndex::new().with_window(5);
    let mut wide = wide;
    wide.insert("a", "story-a", "bql-khanhhoa", at(2025, 9, 8, 9), &fp);
    assert!(wide.find("bql-hungyen", at(2025, 9, 13, 9), &fp).is_some());
    // Window edges are calendar days in Vietnam time: 3 days + 23 h still matches.
    assert!(idx.find("x", at(2025, 9, 11, 23), &fp).is_some());
    assert!(
        idx.find("x", at(2025, 9, 8, 9) + Duration::days(4), &fp)
            .is_none()
    );
    // Threshold builder.
    let strict = StoryIndex::new().with_threshold(1.01);
    let mut strict = strict;
    strict.insert("a", "story-a", "s1", at(2025, 9, 8, 9), &fp);
    assert_eq!(strict.find("s2", at(2025, 9, 8, 9), &fp), None);
    // remove() forgets the item; re-insert replaces.
    idx.insert("b", "story-b", "portal", at(2025, 9, 9, 9), &fp);
    idx.insert("b", "story-b", "portal", at(2025, 9, 9, 9), &fp);
    assert_eq!(idx.len(), 2);
    idx.remove("a");
    assert_eq!(idx.len(), 1);
    assert_eq!(
        idx.find("bql-hungyen", at(2025, 9, 8, 9), &fp).as_deref(),
        Some("story-b")
    );
    idx.remove("b");
    idx.remove("b");
    assert!(idx.is_empty());
    assert_eq!(idx.find("bql-hungyen", at(2025, 9, 8, 9), &fp), None);
}

#[test]
fn story_index_prefers_best_match_and_ignores_unrelated() {
    let visit = fp_visit();
    let other = fingerprint(
        "Tình hình thu hút đầu tư vào các KCN tháng 8/2025",
        "Trong tháng 8/2025, các KCN trên địa bàn tỉnh Bắc Ninh thu hút 412 triệu USD vốn FDI.",
    );
    let mut idx = StoryIndex::new();
    idx.insert("fdi", "story-fdi", "bql-bacninh", at(2025, 9, 8, 9), &other);
    assert_eq!(idx.find("bql-hungyen", at(2025, 9, 8, 9), &visit), None);
    idx.insert(
        "visit",
        "story-visit",
        "bql-khanhhoa",
        at(2025, 9, 8, 9),
        &visit,
    );
    assert_eq!(
        idx.find("bql-hungyen", at(2025, 9, 8, 9), &visit)
            .as_deref(),
        Some("story-visit")
    );
    let (_, s) = idx
        .find_scored("bql-hungyen", at(2025, 9, 8, 9), &visit)
        .unwrap();
    assert!((0.0..=1.0).contains(&s));
    assert_eq!(idx.prune_before(at(2025, 9, 9, 0)), 2);
    assert!(idx.is_empty());
}

#[allow(dead_code, clippy::all)]
#[path = "../../bench/gen.rs"]
mod generator;

type Stored = (String, String, DateTime<FixedOffset>, Fingerprint);

/// What the index must answer, computed the slow way: every item of another source in
/// the window, fully scored, ties to the earlier report then the smaller id.
fn exhaustive(
    items: &[Stored],
    source: &str,
    when: DateTime<FixedOffset>,
    fp: &Fingerprint,
) -> Option<(String, f64)> {
    let day = |t: DateTime<FixedOffset>| {
        use chrono::Datelike;
        t.with_timezone(&crate::model::vn_offset())
            .date_naive()
            .num_days_from_ce()
    };
    let w = DEFAULT_WINDOW_DAYS as i32;
    let mut best: Option<(f64, &Stored)> = None;
    for it in items {
        if it.1 == source || (day(it.2) - day(when)).abs() > w {
            continue;
        }
        let sim = similarity(fp, &it.3);
        if sim < DEFAULT_THRESHOLD {
            continue;
        }
        let better = match &best {
            None => true,
            Some((bs, b)) => sim > *bs || (sim == *bs && (it.2, &it.0) < (b.2, &b.0)),
        };
        if better {
            best = Some((sim, it));
        }
    }
    best.map(|(s, it)| (it.0.clone(), s))
}

#[test]
fn posting_lists_agree_with_a_full_scan_on_generated_news() {
    // 2,000 items from 400 boards, five a day each: a dense window of templated news
    // where many items of different sources are near-duplicates (shared names, numbers).
    let base = 1_790_000_000i64;
    let zone = crate::model::vn_offset();
    let mut idx = StoryIndex::new();
    // The same items loaded in bulk, as at start-up: tails merged once at the end.
    let mut loaded = StoryIndex::loading();
    let mut items: Vec<Stored> = Vec::new();
    for k in 0..2_000usize {
        let (source, item) = (k / 5, k % 5);
        let g = generator::item(source, item, base);
        let when = zone.timestamp_opt(g.published, 0).unwrap();
        let fp = fingerprint(&g.title, &g.summary);
        let (id, src) = (format!("i{k:05}"), format!("s{source}"));
        idx.insert(&id, &id, &src, when, &fp);
        loaded.insert(&id, &id, &src, when, &fp);
        items.push((id, src, when, fp));
    }
    loaded.finish_load();
    let mut matched = 0;
    let mut probes = 0;
    for p in 0..400usize {
        let g = generator::item(900_000 + p, p % 5, base);
        let when = zone.timestamp_opt(g.published, 0).unwrap();
        let fp = fingerprint(&g.title, &g.summary);
        let want = exhaustive(&items, "probe", when, &fp);
        let got = idx.find_scored("probe", when, &fp);
        assert_eq!(got, want, "probe {p}: {:?}", g.title);
        assert_eq!(
            loaded.find_scored("probe", when, &fp),
            want,
            "bulk-loaded, probe {p}"
        );
        probes += 1;
        matched += usize::from(want.is_some());
    }
    // Stored items probed from another source find themselves or an equal twin.
    for it in items.iter().step_by(7) {
        assert_eq!(
            idx.find_scored("probe", it.2, &it.3),
            exhaustive(&items, "probe", it.2, &it.3)
        );
    }
    eprintln!("story index vs full scan: {probes} probes, {matched} matched, all equal");
    assert!(
        matched > 20 && matched < probes,
        "the set must hold both cases"
    );
}

/// A load leaves the posting lists of days long before the newest item unbuilt, and
/// lookups into those days (which build them), inserts there, and a removal still
/// answer what a full scan answers.
#[test]
fn days_left_unsorted_at_load_answer_like_a_full_scan() {
    let base = 1_790_000_000i64;
    let zone = crate::model::vn_offset();
    let spacing = 20 * 86_400;
    let mut loaded = StoryIndex::loading();
    let mut items: Vec<Stored> = Vec::new();
    // 300 boards, 6 items each, 20 days apart: six bursts of ~150 items a day over 100
    // days, the newest burst within a month of the newest item, the others not.
    for k in 0..1_800usize {
        let (source, item) = (k / 6, k % 6);
        let g = generator::item_spaced(source, item, base, spacing);
        let when = zone.timestamp_opt(g.published, 0).unwrap();
        let fp = fingerprint(&g.title, &g.summary);
        let (id, src) = (format!("i{k:05}"), format!("s{source}"));
        loaded.insert(&id, &id, &src, when, &fp);
        items.push((id, src, when, fp));
    }
    loaded.finish_load();
    let (unbuilt, built) = loaded.days_unbuilt_and_built();
    assert!(
        unbuilt >= 6 && built >= 2,
        "{unbuilt} days unbuilt, {built} built"
    );

    let check = |idx: &StoryIndex, items: &[Stored], probes: std::ops::Range<usize>| {
        let mut matched = 0;
        for p in probes {
            let g = generator::item_spaced(900_000 + p, p % 6, base, spacing);
            let when = zone.timestamp_opt(g.published, 0).unwrap();
            let fp = fingerprint(&g.title, &g.summary);
            let want = exhaustive(items, "probe", when, &fp);
            assert_eq!(idx.find_scored("probe", when, &fp), want, "probe {p}");
            matched += usize::from(want.is_some());
        }
        for it in items.iter().step_by(11) {
            let want = exhaustive(items, "probe", it.2, &it.3);
            assert_eq!(idx.find_scored("probe", it.2, &it.3), want, "{}", it.0);
        }
        matched
    };
    let matched = check(&loaded, &items, 0..300);
    assert!(matched > 5, "only {matched} probes matched");
    // The lookups built what they reached.
    assert!(loaded.days_unbuilt_and_built().1 > built);

    // A backfill into the oldest days fills their tails past the merge point.
    let oldest = items.iter().map(|i| i.2).min().unwrap();
    for k in 0..2 * super::index::TAIL {
        let g = generator::item(700_000 + k, 0, base);
        let fp = fingerprint(&g.title, &g.summary);
        let id = format!("late{k:04}");
        let src = format!("late{}", k % 7);
        loaded.insert(&id, &id, &src, oldest, &fp);
        items.push((id, src, oldest, fp));
    }
    loaded.remove("i00005");
    items.retain(|i| i.0 != "i00005");
    check(&loaded, &items, 300..450);
}

/// The one approximation: two items that both carry names, share none, and are similar
/// through their text alone are found only when they share a whole MinHash band. Build
/// such pairs directly, with 16 to 48 equal slots at random positions and texts of equal
/// or very different sizes (containment up to 1), and count how often the index misses a
/// pair a full scan accepts.
#[test]
fn banding_misses_almost_no_text_only_matches() {
    // The weakest such pair that can still pass shares a figure (worth up to 0.15).
    let mut a = fp_visit();
    assert!(!a.names.is_empty());
    a.nums.push(0x0000_1234);
    a.nums.sort_unstable();
    let mut rng = 0x5eed_u64;
    let (mut accepted, mut missed, mut lowest) = (0usize, 0usize, usize::MAX);
    for trial in 0..6_000usize {
        let eq = 16 + trial % 33;
        let mut b = a.clone();
        b.names = vec![1, 2, 3];
        b.w = a.w * (1 + (trial / 25 % 4) as u32);
        let mut pos: Vec<usize> = (0..SLOTS).collect();
        for i in (1..pos.len()).rev() {
            rng = super::minhash::splitmix64(rng);
            pos.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for &i in &pos[eq..] {
            b.mh[i] ^= 0x5a5a;
        }
        if similarity(&a, &b) < DEFAULT_THRESHOLD {
            continue;
        }
        accepted += 1;
        lowest = lowest.min(eq);
        let mut idx = StoryIndex::new();
        idx.insert("b", "story-b", "s1", at(2025, 9, 8, 9), &b);
        if idx.find("s2", at(2025, 9, 8, 9), &a).is_none() {
            missed += 1;
        }
    }
    eprintln!(
        "text-only matches: {accepted} accepted by a full scan (fewest equal slots {lowest}), {missed} missed by the index"
    );
    assert!(accepted > 1_000, "the construction must produce matches");
    assert!(
        lowest >= super::index::MIN_SLOTS_EQUAL,
        "a match with {lowest} equal slots breaks the banding argument"
    );
    assert!(missed * 200 <= accepted, "{missed} of {accepted} missed");
}

/// A lookup made before some inserts and completed with [`StoryIndex::find_since`] gives
/// what one lookup after them gives: the archive looks stories up before its write lock
/// and completes them under it. Generated news; a third of the probes also get a reworded
/// twin inserted in between, so that both halves decide some of the answers.
#[test]
fn a_lookup_completed_from_the_journal_equals_a_late_lookup() {
    let base = 1_790_000_000i64;
    let zone = crate::model::vn_offset();
    let mut idx = StoryIndex::new();
    let mut next = 0usize;
    let mut insert_next = |idx: &mut StoryIndex| {
        let g = generator::item(next / 5, next % 5, base);
        let when = zone.timestamp_opt(g.published, 0).unwrap();
        let id = format!("i{next:05}");
        idx.insert(
            &id,
            &id,
            &format!("s{}", next / 5),
            when,
            &fingerprint(&g.title, &g.summary),
        );
        next += 1;
    };
    for _ in 0..1_000 {
        insert_next(&mut idx);
    }
    let (mut early_won, mut journal_won, mut unmatched) = (0usize, 0usize, 0usize);
    for p in 0..300usize {
        let g = generator::item(900_000 + p, p % 5, base);
        let when = zone.timestamp_opt(g.published, 0).unwrap();
        let fp = fingerprint(&g.title, &g.summary);
        let mark = idx.mark();
        let early = idx.find_match("probe", when, &fp);
        // Other polls commit before this one takes the lock.
        for _ in 0..1 + (p * 7919) % 40 {
            insert_next(&mut idx);
        }
        if p % 3 == 0 {
            let twin = fingerprint(
                &g.title,
                &format!("{} Hai bên thống nhất các nội dung.", g.summary),
            );
            idx.insert(
                &format!("twin{p}"),
                &format!("twin{p}"),
                "twin",
                when,
                &twin,
            );
        }
        let since = idx
            .find_since(mark, "probe", when, &fp)
            .expect("journal covers it");
        let late = idx.find_match("probe", when, &fp);
        match &late {
            None => unmatched += 1,
            Some(l) if since.as_ref() == Some(l) => journal_won += 1,
            Some(_) => early_won += 1,
        }
        assert_eq!(Match::best(early, since), late, "probe {p}: {:?}", g.title);
    }
    eprintln!(
        "find_since: early won {early_won}, journal won {journal_won}, {unmatched} unmatched"
    );
    assert!(early_won > 10 && journal_won > 10 && unmatched > 10);
}

#[test]
fn the_journal_gives_up_rather_than_guess() {
    let fp = fp_visit();
    let day = at(2025, 9, 8, 9);
    let mut idx = StoryIndex::new();
    idx.insert("a", "story-a", "kh", day, &fp);
    // Nothing since: nothing new, and own-source and out-of-window items never match.
    let mark = idx.mark();
    assert_eq!(idx.find_since(mark, "hy", day, &fp), Some(None));
    idx.insert("b", "story-b", "kh", day, &fp);
    idx.insert("c", "story-c", "hy", day, &fp);
    idx.insert("d", "story-d", "portal", at(2025, 9, 20, 9), &fp);
    let got = idx.find_since(mark, "hy", day, &fp).unwrap().unwrap();
    assert_eq!(got.story, "story-b");
    // Ties go to the earlier report, whichever lookup found it.
    let early = idx.find_match("hy", day, &fp);
    assert_eq!(
        Match::best(early.clone(), Some(got.clone())).map(|m| m.story),
        Some("story-a".to_string())
    );
    assert_eq!(
        Match::best(Some(got), early).map(|m| m.story),
        Some("story-a".to_string())
    );
    // A removal, a replacement or a prune since the mark: the caller must look again.
    let mark = idx.mark();
    idx.remove("b");
    assert_eq!(idx.find_since(mark, "hy", day, &fp), None);
    let mark = idx.mark();
    idx.insert("c", "story-c", "hy", at(2025, 9, 9, 9), &fp);
    assert_eq!(idx.find_since(mark, "hy", day, &fp), None);
    let mark = idx.mark();
    assert_eq!(idx.prune_before(at(2025, 9, 15, 0)), 2);
    assert_eq!(idx.find_since(mark, "hy", day, &fp), None);
    // More inserts than the journal holds.
    let mark = idx.mark();
    for i in 0..=super::index::JOURNAL {
        idx.insert(&format!("x{i}"), "x", "portal", day, &fp);
    }
    assert_eq!(idx.find_since(mark, "hy", day, &fp), None);
    let mark = idx.mark();
    idx.insert("y", "story-y", "portal", day, &fp);
    assert!(idx.find_since(mark, "hy", day, &fp).unwrap().is_some());
}

mod measure;
