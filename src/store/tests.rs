//! Record encodings and the start-up scan.

use super::*;
use crate::dedup::fingerprint;

fn entry(n: i64, search: &str) -> IndexEntry {
    IndexEntry {
        published: 1_757_000_000 + n,
        source: format!("src-{}", n % 3),
        provinces: vec!["khanh-hoa".into(), "hung-yen".into()],
        story: format!("story-{}", n / 2),
        search: search.into(),
        fingerprint: fingerprint(
            "Đoàn công tác tỉnh Hưng Yên làm việc tại Khánh Hòa",
            &format!("Ngày {n}/9/2025, ông Hoàng Văn Mai dẫn đầu đoàn."),
        ),
        digest: 0x0123_4567_89ab_cdef ^ n as u64,
    }
}

fn open(dir: &tempfile::TempDir) -> SledStore {
    SledStore::open(&dir.path().join("db")).unwrap()
}

fn walk(store: &SledStore) -> Vec<(String, IndexEntry)> {
    let mut out = Vec::new();
    store
        .for_each_index_entry(&mut |id, e| out.push((id, e)))
        .unwrap();
    out
}

#[test]
fn index_records_are_binary_and_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut empty = entry(7, "");
    empty.fingerprint = fingerprint("", "");
    assert!(empty.fingerprint.mh.is_empty());
    let wanted = vec![
        ("a".to_string(), entry(1, "doan cong tac")),
        ("b".into(), empty),
    ];
    store
        .commit(Batch {
            index: wanted.clone(),
            ..Batch::default()
        })
        .unwrap();
    let raw = store.idx.get("a").unwrap().unwrap();
    assert_eq!(raw[0], RECORD_V2);
    // No hex in the binary form: 64 MinHash slots are 64 varints, not 256 characters.
    let json = encode(&wanted[0].1).unwrap();
    assert!(
        raw.len() + 150 < json.len(),
        "{} vs {}",
        raw.len(),
        json.len()
    );
    assert_eq!(walk(&store), wanted);
}

#[test]
fn json_index_records_are_read_and_rewritten_once() {
    let dir = tempfile::tempdir().unwrap();
    let wanted: Vec<(String, IndexEntry)> = (0..2_500)
        .map(|n| (format!("id-{n:05}"), entry(n, &format!("tin so {n}"))))
        .collect();
    {
        let store = open(&dir);
        // What stores written before the binary encoding hold.
        for (id, e) in &wanted {
            store.idx.insert(id.as_bytes(), encode(e).unwrap()).unwrap();
        }
        assert_eq!(walk(&store), wanted);
        for kv in store.idx.iter() {
            let (k, v) = kv.unwrap();
            assert_eq!(v[0], RECORD_V2, "{}", String::from_utf8_lossy(&k));
        }
    }
    // The upgrade was flushed: a restart reads the same entries from binary records.
    let store = open(&dir);
    assert_eq!(walk(&store), wanted);
}

#[test]
fn a_damaged_binary_record_names_its_tree_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .idx
        .insert("broken-id", &[RECORD_V2, 0xff, 0xff][..])
        .unwrap();
    let err = store.for_each_index_entry(&mut |_, _| {}).unwrap_err();
    match err {
        StoreError::Corrupt { tree, key, .. } => {
            assert_eq!((tree, key.as_str()), ("idx", "broken-id"));
        }
        other => panic!("{other:?}"),
    }
    store.idx.insert("broken-id", &[9u8, b'{'][..]).unwrap();
    let err = store.for_each_index_entry(&mut |_, _| {}).unwrap_err();
    assert!(
        err.to_string().contains("unknown record version 9"),
        "{err}"
    );
}

#[test]
fn after_a_scan_a_sole_handle_is_reopened_and_a_shared_one_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    store
        .commit(Batch {
            index: vec![("a".into(), entry(1, "x"))],
            keys: vec![("u:example.vn/a".into(), "a".into())],
            ..Batch::default()
        })
        .unwrap();
    let other = store.clone();
    let kept = store.after_scan().unwrap();
    assert!(std::ptr::addr_eq(Arc::as_ptr(&kept), Arc::as_ptr(&other)));
    drop(other);
    // Now the only handle: a new database on the same path, with everything in it.
    let reopened = kept.after_scan().unwrap();
    assert_eq!(
        reopened.lookup_key("u:example.vn/a").unwrap(),
        Some(KeyHit::Live("a".into()))
    );
    let mut ids = Vec::new();
    reopened
        .for_each_index_entry(&mut |id, _| ids.push(id))
        .unwrap();
    assert_eq!(ids, ["a"]);
}

#[test]
fn a_source_state_alone_is_written_without_a_transaction_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let state = SourceState {
        etag: Some("\"v2\"".into()),
        items_seen: 7,
        ..SourceState::default()
    };
    let batch = Batch::source_state("kh", state.clone());
    assert!(batch.only_source_states().is_some());
    let mut with_key = Batch {
        keys: vec![("u:a".into(), "a".into())],
        ..Batch::default()
    };
    with_key.append(Batch::source_state("kh", state.clone()));
    assert!(with_key.only_source_states().is_none());
    {
        let store = open(&dir);
        store.commit(batch).unwrap();
        assert_eq!(store.source_state("kh").unwrap(), Some(state.clone()));
    }
    // Closing flushes what the state commit left to sled's periodic flush.
    let store = open(&dir);
    assert_eq!(store.source_state("kh").unwrap(), Some(state));
    assert_eq!(store.lookup_key("u:a").unwrap(), None);
}

#[test]
fn the_by_time_tree_of_older_stores_is_dropped_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        // What builds before 2026-12-05 wrote beside every item.
        let by_time = store.db.open_tree("by_time").unwrap();
        by_time
            .insert(b"\x80\0\0\0\x68\xb0\x9d\x00id-1", &[])
            .unwrap();
        store
            .items
            .insert("id-1", encode(&"item").unwrap())
            .unwrap();
        store.flush().unwrap();
    }
    let store = open(&dir);
    let names: Vec<Vec<u8>> = store.db.tree_names().iter().map(|n| n.to_vec()).collect();
    assert!(!names.contains(&b"by_time".to_vec()), "{names:?}");
    assert!(store.items.contains_key("id-1").unwrap());
    drop(store);
    // And opening a store without it is fine.
    assert_eq!(open(&dir).item_count(), 1);
}
