//! Ingestion when another poll commits between a poll's story lookups (made without the
//! write lock) and its decisions (made under it).

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use url::Url;

use super::*;
use crate::dedup;
use crate::model::{RawEntry, vn_offset};
use crate::normalize::normalize;
use crate::store::SledStore;

const KH_TITLE: &str = "ĐOÀN CÔNG TÁC BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP TỈNH HƯNG YÊN ĐẾN THĂM, LÀM VIỆC TẠI BAN QUẢN LÝ KHU KINH TẾ VÀ KHU CÔNG NGHIỆP TỈNH KHÁNH HÒA";
const KH_LEAD: &str = "Ngày 06/9/2025, Đoàn Công tác của Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên do ông Hoàng Văn Mai – Phó Trưởng Ban Quản lý làm Trưởng đoàn đến làm việc tại Ban Quản lý Khu kinh tế và Khu công nghiệp tỉnh Khánh Hòa để tham quan, học tập, trao đổi kinh nghiệm trong công tác quản lý các khu công nghiệp.";
const HY_TITLE: &str =
    "Ban Quản lý các KCN tỉnh Hưng Yên thăm và làm việc với Ban Quản lý KKT và KCN tỉnh Khánh Hòa";
const HY_LEAD: &str = "Ngày 06/9/2025, đoàn công tác Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên do ông Hoàng Văn Mai, Phó Trưởng Ban Quản lý làm trưởng đoàn đã đến thăm, làm việc tại Ban Quản lý Khu kinh tế và Khu công nghiệp tỉnh Khánh Hòa.";

fn when(y: i32, m: u32, d: u32) -> DateTime<chrono::FixedOffset> {
    vn_offset().with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}

fn candidate(source: &str, link: &str, title: &str, lead: &str, day: u32) -> Candidate {
    let base = Url::parse(link).unwrap();
    let entry = RawEntry {
        title: title.into(),
        link: Some(link.into()),
        published: Some(when(2025, 9, day)),
        summary: Some(lead.into()),
        ..RawEntry::default()
    };
    let now = Utc.with_ymd_and_hms(2025, 9, 10, 0, 0, 0).unwrap();
    normalize(entry, source, None, &base, now).unwrap()
}

fn kh() -> Candidate {
    candidate(
        "khanhhoa",
        "https://bqlkktkcn.khanhhoa.gov.vn/tin/doan-hung-yen.html",
        KH_TITLE,
        KH_LEAD,
        6,
    )
}

fn hy() -> Candidate {
    candidate(
        "hungyen",
        "http://banqlkcn.hungyen.gov.vn/tham-khanh-hoa-c5120.html",
        HY_TITLE,
        HY_LEAD,
        8,
    )
}

fn archive() -> (tempfile::TempDir, Archive) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&dir.path().join("db")).unwrap());
    (dir, Archive::new(store).unwrap())
}

fn story_sizes(archive: &Archive) -> Vec<usize> {
    let page = archive.query(&Query::default()).unwrap();
    page.stories.iter().map(|s| 1 + s.others.len()).collect()
}

#[test]
fn a_report_committed_after_the_lookup_is_still_joined() {
    let (_dir, archive) = archive();
    // Hưng Yên's poll looks its story up while the index is empty...
    let early = archive.look_up_stories("hungyen", &[hy()]).unwrap();
    assert!(matches!(early.as_slice(), [Some((_, None))]), "{early:?}");
    // ...then Khánh Hòa's poll commits the same visit before Hưng Yên's takes the lock.
    let first = archive
        .ingest("khanhhoa", vec![kh()], SourceState::default())
        .unwrap();
    assert_eq!((first.new, first.clustered), (1, 0));
    let second = archive
        .ingest_looked_up("hungyen", vec![hy()], early, SourceState::default())
        .unwrap();
    assert_eq!((second.new, second.clustered), (1, 1), "{second:?}");
    assert_eq!(story_sizes(&archive), vec![2]);
}

#[test]
fn a_removal_in_between_falls_back_to_a_full_lookup() {
    let (_dir, archive) = archive();
    let old = candidate(
        "portal",
        "https://khanhhoa.gov.vn/tin-cu.html",
        "Tin cũ về khu công nghiệp",
        "Một tin cũ không liên quan.",
        1,
    );
    archive
        .ingest("portal", vec![old], SourceState::default())
        .unwrap();
    let early = archive.look_up_stories("hungyen", &[hy()]).unwrap();
    archive
        .ingest("khanhhoa", vec![kh()], SourceState::default())
        .unwrap();
    // Pruning frees index slots, which the journal cannot account for.
    let cutoff = Utc.with_ymd_and_hms(2025, 9, 3, 0, 0, 0).unwrap();
    assert_eq!(archive.prune_before(cutoff).unwrap(), 1);
    let report = archive
        .ingest_looked_up("hungyen", vec![hy()], early, SourceState::default())
        .unwrap();
    assert_eq!((report.new, report.clustered), (1, 1), "{report:?}");
    assert_eq!(story_sizes(&archive), vec![2]);
}

#[test]
fn the_generation_moves_with_what_queries_answer() {
    let (_dir, archive) = archive();
    let g0 = archive.generation();
    archive
        .ingest("khanhhoa", vec![kh()], SourceState::default())
        .unwrap();
    let g1 = archive.generation();
    assert!(g1 > g0);
    assert_eq!(story_sizes(&archive), vec![1]);
    // The same entry again changes nothing a reader sees.
    let again = archive
        .ingest("khanhhoa", vec![kh()], SourceState::default())
        .unwrap();
    assert_eq!(again.unchanged, 1);
    archive
        .put_source_state("khanhhoa", SourceState::default())
        .unwrap();
    assert_eq!(archive.generation(), g1);
    let cutoff = Utc.with_ymd_and_hms(2025, 9, 7, 0, 0, 0).unwrap();
    assert_eq!(archive.prune_before(cutoff).unwrap(), 1);
    assert!(archive.generation() > g1);
    assert!(story_sizes(&archive).is_empty());
}

#[path = "../../bench/gen.rs"]
mod generator;

/// Item `item` of generated board `source`, as the poller hands it over.
fn generated(source: usize, item: usize, base: i64) -> Candidate {
    let g = generator::item(source, item, base);
    let link = format!("https://{}/tin/{}.html", generator::host_of(source), g.slug);
    let entry = RawEntry {
        title: g.title,
        link: Some(link.clone()),
        published: DateTime::from_timestamp(g.published, 0).map(|t| t.fixed_offset()),
        summary: Some(g.summary),
        content: Some(g.body_html),
        ..RawEntry::default()
    };
    let now = DateTime::from_timestamp(base + 86_400, 0).unwrap();
    normalize(
        entry,
        &format!("s{source}"),
        None,
        &Url::parse(&link).unwrap(),
        now,
    )
    .unwrap()
}

#[test]
fn a_restart_answers_what_the_archive_answered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let base = 1_790_000_000i64;
    let queries = [
        Query::default(),
        Query {
            limit: 500,
            ..Query::default()
        },
        Query {
            province: Some("khanh-hoa".into()),
            ..Query::default()
        },
        Query {
            q: Some(crate::text::fold("khu công nghiệp")),
            ..Query::default()
        },
        Query {
            cooperation: true,
            before: Some(base - 3 * 86_400),
            ..Query::default()
        },
    ];
    let answers = |archive: &Archive| -> Vec<Page> {
        queries.iter().map(|q| archive.query(q).unwrap()).collect()
    };
    let (before, clustered) = {
        let store: Arc<dyn Store> = Arc::new(SledStore::open(&path).unwrap());
        let archive = Archive::new(store).unwrap();
        let mut clustered = 0;
        for source in 0..120 {
            let cands = (0..4).map(|i| generated(source, i, base)).collect();
            let report = archive
                .ingest(&format!("s{source}"), cands, SourceState::default())
                .unwrap();
            clustered += report.clustered;
        }
        assert_eq!(archive.len(), 480);
        (answers(&archive), clustered)
    };
    // Stories of several reports are part of what must come back.
    assert!(clustered > 0);
    assert!(before[1].stories.iter().any(|s| !s.others.is_empty()));

    // Built again from the index records, in chunks on the builder threads, over a store
    // that reopened itself after the scan.
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&path).unwrap());
    let archive = Archive::new(store).unwrap();
    assert_eq!(archive.len(), 480);
    assert_eq!(answers(&archive), before);
    // The reopened store takes writes, and a new report still finds its story.
    let again = archive
        .ingest("s999", vec![kh()], SourceState::default())
        .unwrap();
    let joined = archive
        .ingest("s998", vec![hy()], SourceState::default())
        .unwrap();
    assert_eq!((again.new, joined.clustered), (1, 1));
    assert_eq!(archive.len(), 482);
}

#[test]
fn only_stories_of_several_items_get_a_member_record() {
    let (_dir, archive) = archive();
    let alone = candidate(
        "portal",
        "https://khanhhoa.gov.vn/tin-rieng.html",
        "Hội nghị tổng kết công tác năm của tỉnh",
        "Một tin không liên quan đến chuyến thăm.",
        6,
    );
    let alone_id = dedup::item_id(&alone.keys[0]);
    let kh_id = dedup::item_id(&kh().keys[0]);
    let hy_id = dedup::item_id(&hy().keys[0]);
    archive
        .ingest("portal", vec![alone], SourceState::default())
        .unwrap();
    archive
        .ingest("khanhhoa", vec![kh()], SourceState::default())
        .unwrap();
    let store = archive.store().clone();
    assert!(store.story_members(&alone_id).unwrap().is_empty());
    assert!(store.story_members(&kh_id).unwrap().is_empty());
    // The second report makes Khánh Hòa's item a story of two: now it has a record.
    let joined = archive
        .ingest("hungyen", vec![hy()], SourceState::default())
        .unwrap();
    assert_eq!(joined.clustered, 1);
    assert_eq!(store.story_members(&kh_id).unwrap(), [kh_id.clone(), hy_id]);
    assert!(store.story_members(&alone_id).unwrap().is_empty());
    let mut sizes = story_sizes(&archive);
    sizes.sort_unstable();
    assert_eq!(sizes, [1, 2]);
}

mod load;
mod pipeline;
