//! Record encodings, sequence numbers, the format 1 migration and the start-up scan.

use super::codec::{RECORD_V1, RECORD_V2, RECORD_V3, encode, seq_key, seq_of};
use super::sled_store::TOMBSTONE_PREFIX;
use super::*;
use crate::dedup::fingerprint;
use crate::render::testdata::item_in;

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

/// `sled::open` for a store another handle in this process has just closed: sled's
/// threads let go of the file lock a moment after the last handle drops, so this waits
/// for the lock as `SledStore::open` does (the bare call failed now and then).
fn reopen_raw(path: &std::path::Path) -> sled::Db {
    let started = std::time::Instant::now();
    loop {
        match sled::open(path) {
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && started.elapsed() < std::time::Duration::from_secs(30) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            opened => return opened.unwrap(),
        }
    }
}

fn walk(store: &SledStore) -> Vec<(String, IndexEntry)> {
    let mut out = Vec::new();
    store
        .for_each_index_entry(&mut |id, e| out.push((id, e)))
        .unwrap();
    out
}

fn tree_names(store: &SledStore) -> Vec<Vec<u8>> {
    let t = store.trees().unwrap();
    t.db.tree_names().iter().map(|n| n.to_vec()).collect()
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
    let raw = store.trees().unwrap().idx.iter().next().unwrap().unwrap().1;
    assert_eq!(raw[0], RECORD_V3);
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
fn a_damaged_binary_record_names_its_tree_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .trees()
        .unwrap()
        .idx
        .insert(seq_key(1_234), &[RECORD_V3, 0xff, 0xff][..])
        .unwrap();
    let err = store.for_each_index_entry(&mut |_, _| {}).unwrap_err();
    match err {
        StoreError::Corrupt { tree, key, .. } => {
            assert_eq!((tree, key.as_str()), ("idx_by_seq", "#1234"));
        }
        other => panic!("{other:?}"),
    }
    store
        .trees()
        .unwrap()
        .idx
        .insert(seq_key(1_234), &[9u8, b'{'][..])
        .unwrap();
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
fn retired_trees_are_dropped_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        // What builds before 2026-12-05 wrote beside every item.
        let by_time = store.trees().unwrap().db.open_tree("by_time").unwrap();
        by_time
            .insert(b"\x80\0\0\0\x68\xb0\x9d\x00id-1", &[])
            .unwrap();
        // A format 1 tree that a migration cut short after the format changed left.
        store
            .trees()
            .unwrap()
            .db
            .open_tree("items")
            .unwrap()
            .insert("id-0", "x")
            .unwrap();
        store
            .commit(Batch {
                items: vec![item_in("kh", "id-1", "khanh-hoa")],
                ..Batch::default()
            })
            .unwrap();
    }
    let store = open(&dir);
    let names = tree_names(&store);
    for retired in RETIRED_TREES {
        assert!(!names.contains(&retired.as_bytes().to_vec()), "{names:?}");
    }
    assert_eq!(store.item("id-1").unwrap().unwrap().id, "id-1");
    drop(store);
    // And opening a store without them is fine.
    assert_eq!(open(&dir).item_count(), 1);
}

#[test]
fn a_new_item_takes_the_next_number_and_an_update_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let seq =
        |id: &str| seq_of(&store.trees().unwrap().item_seq.get(id).unwrap().unwrap()).unwrap();
    let add = |id: &str, title: &str, n: i64| {
        let mut item = item_in("kh", id, "khanh-hoa");
        item.title = title.into();
        store
            .commit(Batch {
                items: vec![item],
                index: vec![(id.into(), entry(n, title))],
                ..Batch::default()
            })
            .unwrap();
    };
    // Ids in the opposite order to their arrival: records follow arrival.
    add("zz", "first", 1);
    add("aa", "second", 2);
    let (zz, aa) = (seq("zz"), seq("aa"));
    assert!(zz < aa, "{zz} {aa}");
    add("zz", "first, corrected", 3);
    assert_eq!(seq("zz"), zz);
    assert_eq!(store.trees().unwrap().items.len(), 2);
    assert_eq!(store.item("zz").unwrap().unwrap().title, "first, corrected");
    assert_eq!(
        walk(&store),
        [
            ("zz".to_string(), entry(3, "first, corrected")),
            ("aa".to_string(), entry(2, "second")),
        ]
    );
    // An index entry alone (a story change) goes to the item's record too.
    store
        .commit(Batch {
            index: vec![("aa".into(), entry(4, "second"))],
            ..Batch::default()
        })
        .unwrap();
    assert_eq!(seq("aa"), aa);
    assert_eq!(walk(&store)[1], ("aa".to_string(), entry(4, "second")));

    assert_eq!(store.prune(&["zz".into(), "unknown".into()]).unwrap(), 1);
    assert_eq!(store.item("zz").unwrap(), None);
    assert_eq!(store.trees().unwrap().item_seq.get("zz").unwrap(), None);
    assert_eq!(store.trees().unwrap().items.len(), 1);
    assert_eq!(walk(&store), [("aa".to_string(), entry(4, "second"))]);
    // Numbers are never given out twice, not even after a restart.
    drop(store);
    let store = open(&dir);
    store
        .commit(Batch {
            items: vec![item_in("kh", "zz", "khanh-hoa")],
            ..Batch::default()
        })
        .unwrap();
    let again = seq_of(&store.trees().unwrap().item_seq.get("zz").unwrap().unwrap()).unwrap();
    assert!(again > aa, "{again} {aa}");
}

#[test]
fn keys_of_a_pruned_item_read_as_tombstones_without_being_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let keys = |id: &str| {
        vec![
            (format!("u:{id}.vn/a"), id.to_string()),
            (format!("g:s:{id}"), id.into()),
        ]
    };
    for (n, id) in ["gone", "kept"].into_iter().enumerate() {
        store
            .commit(Batch {
                items: vec![item_in("kh", id, "khanh-hoa")],
                index: vec![(id.into(), entry(n as i64, id))],
                keys: keys(id),
                ..Batch::default()
            })
            .unwrap();
    }
    let all_keys = |store: &SledStore| -> Vec<_> {
        let t = store.trees().unwrap();
        t.keys.iter().map(|kv| kv.unwrap()).collect()
    };
    let before = all_keys(&store);
    assert_eq!(store.prune(&["gone".into()]).unwrap(), 1);
    for (key, _) in keys("gone") {
        let hit = store.lookup_key(&key).unwrap();
        assert_eq!(hit, Some(KeyHit::Tombstone("gone".into())), "{key}");
    }
    for (key, _) in keys("kept") {
        let hit = store.lookup_key(&key).unwrap();
        assert_eq!(hit, Some(KeyHit::Live("kept".into())), "{key}");
    }
    assert_eq!(all_keys(&store), before);
    // Across a restart, and for a key marked in place by an older build.
    store
        .trees()
        .unwrap()
        .keys
        .insert("u:old.vn/a", [TOMBSTONE_PREFIX, b"old"].concat())
        .unwrap();
    drop(store);
    let store = open(&dir);
    assert_eq!(
        store.lookup_key("g:s:gone").unwrap(),
        Some(KeyHit::Tombstone("gone".into()))
    );
    assert_eq!(
        store.lookup_key("u:old.vn/a").unwrap(),
        Some(KeyHit::Tombstone("old".into()))
    );
    assert_eq!(store.lookup_key("u:none.vn/a").unwrap(), None);
}

#[test]
fn a_damaged_sequence_number_names_the_item() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .trees()
        .unwrap()
        .item_seq
        .insert("id-7", &[1u8, 2, 3][..])
        .unwrap();
    match store.item("id-7").unwrap_err() {
        StoreError::Corrupt { tree, key, reason } => {
            assert_eq!((tree, key.as_str()), ("item_seq", "id-7"));
            assert!(reason.contains("3 bytes"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_store_of_an_unknown_format_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let db = sled::open(&path).unwrap();
        db.open_tree("meta").unwrap().insert("schema", "9").unwrap();
        db.flush().unwrap();
    }
    let err = SledStore::open(&path).err().unwrap().to_string();
    assert!(err.contains("store format 9 is not supported"), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
}

/// A format 1 store as builds before format 2 wrote it: items and index records keyed by
/// id, index records in both of their encodings, and one index record without an item.
/// Returns the items and index entries it holds.
fn format_1_store(path: &std::path::Path, n: i64) -> (Vec<Item>, Vec<(String, IndexEntry)>) {
    let db = sled::open(path).unwrap();
    db.open_tree("meta").unwrap().insert("schema", "1").unwrap();
    let (items, idx, keys) = (
        db.open_tree("items").unwrap(),
        db.open_tree("idx").unwrap(),
        db.open_tree("keys").unwrap(),
    );
    let mut all_items = Vec::new();
    let mut entries = Vec::new();
    for n in 0..n {
        let id = format!("id-{n:05}");
        let item = item_in("kh", &id, "khanh-hoa");
        items.insert(id.as_bytes(), encode(&item).unwrap()).unwrap();
        let e = entry(n, &format!("tin so {n}"));
        let record = if n % 2 == 0 {
            encode(&e).unwrap()
        } else {
            postcard::to_extend(&e, vec![RECORD_V2]).unwrap()
        };
        idx.insert(id.as_bytes(), record).unwrap();
        keys.insert(format!("u:kh/{n}"), id.as_bytes()).unwrap();
        all_items.push(item);
        entries.push((id, e));
    }
    let lone = ("id-lone".to_string(), entry(n, "chi co chi muc"));
    idx.insert("id-lone", encode(&lone.1).unwrap()).unwrap();
    entries.insert(entries.partition_point(|(id, _)| id < &lone.0), lone);
    db.flush().unwrap();
    (all_items, entries)
}

fn sorted(mut entries: Vec<(String, IndexEntry)>) -> Vec<(String, IndexEntry)> {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries
}

#[test]
fn a_format_1_store_is_migrated_once_with_everything_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    // Past the migration's batch size, so batches are written part way too.
    let (items, entries) = format_1_store(&path, 2_500);
    let numbers = {
        let store = SledStore::open(&path).unwrap();
        assert_eq!(sorted(walk(&store)), entries);
        for item in [&items[0], &items[1_234], &items[2_499]] {
            assert_eq!(store.item(&item.id).unwrap().as_ref(), Some(item));
        }
        assert_eq!(
            store.lookup_key("u:kh/1234").unwrap(),
            Some(KeyHit::Live("id-01234".into()))
        );
        assert_eq!(store.item("id-lone").unwrap(), None);
        assert_eq!(store.item_count(), 2_500);
        for kv in store.trees().unwrap().idx.iter() {
            assert_eq!(kv.unwrap().1[0], RECORD_V3);
        }
        let names = tree_names(&store);
        assert!(!names.contains(&b"items".to_vec()), "{names:?}");
        assert!(!names.contains(&b"idx".to_vec()), "{names:?}");
        let meta = store.trees().unwrap().db.open_tree("meta").unwrap();
        assert_eq!(
            meta.get("schema").unwrap().unwrap().as_ref(),
            SCHEMA_VERSION
        );
        store
            .trees()
            .unwrap()
            .item_seq
            .iter()
            .collect::<std::result::Result<Vec<_>, _>>()
            .unwrap()
    };
    // Durable, and done once: a restart reads the same records under the same numbers.
    let store = SledStore::open(&path).unwrap();
    assert_eq!(sorted(walk(&store)), entries);
    let again: Vec<_> = store
        .trees()
        .unwrap()
        .item_seq
        .iter()
        .map(|kv| kv.unwrap())
        .collect();
    assert_eq!(again, numbers);
}

#[test]
fn a_migration_cut_short_is_started_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (items, entries) = format_1_store(&path, 40);
    {
        // What a crash before the format changed leaves: new trees half filled.
        let db = reopen_raw(&path);
        db.open_tree(ITEMS)
            .unwrap()
            .insert(seq_key(3), "half")
            .unwrap();
        db.open_tree(ITEM_SEQ)
            .unwrap()
            .insert("id-00000", &seq_key(3)[..])
            .unwrap();
        db.open_tree(IDX)
            .unwrap()
            .insert(seq_key(3), &[RECORD_V1][..])
            .unwrap();
        db.flush().unwrap();
    }
    let store = SledStore::open(&path).unwrap();
    assert_eq!(sorted(walk(&store)), entries);
    assert_eq!(store.item("id-00000").unwrap().as_ref(), Some(&items[0]));
    assert_eq!(store.trees().unwrap().items.len(), 40);
    assert_eq!(store.trees().unwrap().item_seq.len(), 41);
}

mod reopen;
