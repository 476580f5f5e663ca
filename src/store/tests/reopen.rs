//! Closing and reopening the database under a shared store (`SledStore::reopen`), as
//! retention does after a prune.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

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
    let reads = AtomicUsize::new(0);
    // Waits for one more read, so that reads and reopens interleave however the threads
    // are scheduled; a reader that failed has finished.
    let one_more_read = |reader: &std::thread::ScopedJoinHandle<'_, ()>| {
        let n = reads.load(Ordering::SeqCst);
        while reads.load(Ordering::SeqCst) == n && !reader.is_finished() {
            std::thread::yield_now();
        }
    };
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                assert!(store.item("a").unwrap().is_some());
                assert_eq!(
                    store.lookup_key("u:c").unwrap(),
                    Some(KeyHit::Live("c".into()))
                );
                reads.fetch_add(1, Ordering::SeqCst);
            }
        });
        for _ in 0..3 {
            one_more_read(&reader);
            store.after_prune().unwrap();
        }
        one_more_read(&reader);
        done.store(true, Ordering::SeqCst);
        // A failed read panics the reader, and the join reports it.
        reader.join().unwrap();
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
