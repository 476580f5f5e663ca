//! Closing and reopening the database under a shared store (`SledStore::reopen`), as
//! retention does after a prune.

use std::sync::atomic::{AtomicBool, Ordering};

use super::*;

fn filled(dir: &tempfile::TempDir) -> SledStore {
    let store = open(dir);
    for (n, id) in ["a", "b", "c"].into_iter().enumerate() {
        store
            .commit(Batch {
                items: vec![item_in("kh", id, "khanh-hoa")],
                index: vec![(id.into(), entry(n as i64, id))],
                keys: vec![(format!("u:{id}"), id.into())],
                ..Batch::default()
            })
            .unwrap();
    }
    store
}

#[test]
fn after_a_prune_the_reopened_store_has_everything_and_takes_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(&dir);
    assert_eq!(store.prune(&["b".into()]).unwrap(), 1);
    store.after_prune().unwrap();
    assert_eq!(store.item_count(), 2);
    assert!(store.item("a").unwrap().is_some());
    assert_eq!(store.item("b").unwrap(), None);
    assert_eq!(
        store.lookup_key("u:b").unwrap(),
        Some(KeyHit::Tombstone("b".into()))
    );
    assert_eq!(walk(&store).len(), 2);
    store
        .commit(Batch {
            items: vec![item_in("kh", "d", "khanh-hoa")],
            index: vec![("d".into(), entry(9, "d"))],
            ..Batch::default()
        })
        .unwrap();
    drop(store);
    let store = open(&dir);
    assert_eq!(store.item_count(), 3);
    assert!(store.item("d").unwrap().is_some());
}

#[test]
fn readers_wait_for_a_reopen_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(&dir);
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut reads = 0usize;
            while !done.load(Ordering::SeqCst) {
                assert!(store.item("a").unwrap().is_some());
                assert_eq!(
                    store.lookup_key("u:c").unwrap(),
                    Some(KeyHit::Live("c".into()))
                );
                reads += 1;
            }
            reads
        });
        for _ in 0..3 {
            store.after_prune().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        assert!(reader.join().unwrap() > 0);
    });
}

#[test]
fn a_store_deleted_under_it_is_not_reopened_empty() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(&dir);
    std::fs::remove_dir_all(dir.path().join("db")).unwrap();
    let err = store.after_prune().unwrap_err().to_string();
    assert!(err.contains("no longer there"), "{err}");
    // Every later operation says so too, rather than answering from an empty store.
    let err = store.item("a").unwrap_err().to_string();
    assert!(err.contains("no longer there"), "{err}");
}
