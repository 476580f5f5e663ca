//! Start-up (`archive/load.rs`): the store is opened inside the load, after the threads
//! that build the indexes have started, and every way it can fail ends the load.

use std::sync::atomic::Ordering;

use super::pipeline::GatedStore;
use super::*;

/// A store holding Khánh Hòa's and Hưng Yên's reports of one visit, closed by its archive.
fn two_reports(dir: &std::path::Path) -> Arc<GatedStore> {
    let store = Arc::new(GatedStore::open(dir));
    let archive = Archive::new(store.clone()).unwrap();
    for (source, c) in [("khanhhoa", kh()), ("hungyen", hy())] {
        archive
            .ingest(source, vec![c], SourceState::default())
            .unwrap();
    }
    store
}

#[test]
fn a_store_that_cannot_open_fails_the_load_with_its_error() {
    let err = Archive::open(|| {
        Err(StoreError::Open {
            path: "/nonexistent/db".into(),
            reason: "locked by another process".into(),
        })
    })
    .err()
    .expect("the load must fail");
    assert!(
        err.to_string().contains("locked by another process"),
        "{err}"
    );
}

#[test]
fn the_opened_store_is_loaded_and_handed_back_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = two_reports(dir.path());
    assert_eq!(store.after_scans.load(Ordering::SeqCst), 1);
    let mut opened = 0;
    let archive = Archive::open(|| {
        opened += 1;
        Ok(store.clone())
    })
    .unwrap();
    assert_eq!(opened, 1);
    assert_eq!(store.after_scans.load(Ordering::SeqCst), 2);
    assert_eq!(archive.len(), 2);
    // The story index came back too: both reports are one story again.
    let mut sizes = story_sizes(&archive);
    sizes.sort_unstable();
    assert_eq!(sizes, [2]);
}

#[test]
fn a_walk_that_fails_fails_the_load_and_the_store_is_not_handed_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = two_reports(dir.path());
    // The walk now breaks after the first record.
    store.walk_fails.store(true, Ordering::SeqCst);
    let err = Archive::open(|| Ok(store.clone()))
        .err()
        .expect("the load must fail");
    assert!(err.to_string().contains("truncated (test)"), "{err}");
    assert_eq!(
        store.after_scans.load(Ordering::SeqCst),
        1,
        "no second reopen"
    );
}
