//! Start-up: the catalog and the story index rebuilt from the store's index records.

use std::sync::Arc;

use chrono::DateTime;

use super::catalog::Catalog;
use crate::dedup::StoryIndex;
use crate::store::{IndexEntry, Store, StoreError};

/// Index entries handed to the two builders at a time: large enough that the channel
/// costs nothing per entry, small enough that little is held at once.
const LOAD_CHUNK: usize = if cfg!(test) { 16 } else { 512 };

type Chunk = Arc<Vec<(String, IndexEntry)>>;

/// Read every index entry once and build the catalog and the story index from them, each
/// on a thread of its own while this one reads and decodes the store. Start-up is what
/// `zonewire poll` and every restart pay; on one thread it was the sum of the three
/// (BENCHMARKS.md §4). Both builders see the entries in the store's order, so what they
/// build does not depend on the threads.
///
/// The store is opened by `open` once the builders and the thread that will reopen it
/// have started, and handed back through [`Store::after_scan`] while the builders finish.
pub(super) fn load(
    open: impl FnOnce() -> Result<Arc<dyn Store>, StoreError>,
) -> Result<(Arc<dyn Store>, Catalog, StoryIndex), StoreError> {
    use std::sync::mpsc::{channel, sync_channel};
    let started = std::sync::Barrier::new(4);
    let started = &started;
    std::thread::scope(|scope| {
        // glibc gives a thread its malloc arena at its first allocation, a new one only
        // while there are fewer than 8 per core; past that, threads share, starting with
        // the main thread's arena, where the daemon walks the store. Opening sled starts
        // 7-10 threads of its own, so a builder started after it sometimes shared that
        // arena with the walk's decoded records: once those were freed, the index's
        // allocations between them pinned their pages, and one idle daemon in five held
        // 160-180 MiB instead of 131 at 100k items (BENCHMARKS.md §4). Started, and
        // allocating, before the store opens, the three long-lived threads get arenas of
        // their own.
        let (to_catalog, for_catalog) = sync_channel::<Chunk>(8);
        let (to_stories, for_stories) = sync_channel::<Chunk>(8);
        let (to_reopen, for_reopen) = sync_channel::<Arc<dyn Store>>(1);
        // Chunks come back to be freed here, where they were allocated: freeing on the
        // builders' threads contended for this thread's malloc arena on every string.
        let (done, returned) = channel::<Chunk>();
        let catalog_done = done.clone();
        let catalog = scope.spawn(move || {
            claim_arena(started);
            let mut catalog = Catalog::loading();
            for chunk in for_catalog {
                for (id, entry) in chunk.iter() {
                    catalog.insert(id, entry);
                }
                let _ = catalog_done.send(chunk);
            }
            catalog.finish_load();
            catalog
        });
        let stories = scope.spawn(move || {
            claim_arena(started);
            let mut stories = StoryIndex::loading();
            for chunk in for_stories {
                // Every item goes into the story index, whatever its age: sources backfill
                // and late reports of old events must still find their story after a
                // restart.
                for (id, entry) in chunk.iter() {
                    if let Some(published) = DateTime::from_timestamp(entry.published, 0) {
                        stories.insert(
                            id,
                            &entry.story,
                            &entry.source,
                            published.with_timezone(&crate::model::vn_offset()),
                            &entry.fingerprint,
                        );
                    }
                }
                let _ = done.send(chunk);
            }
            stories.finish_load();
            stories
        });
        // A builder that panicked has dropped its receiver; its join below reports it.
        let send = move |chunk: Vec<(String, IndexEntry)>| {
            let chunk = Arc::new(chunk);
            let _ = to_catalog.send(chunk.clone());
            let _ = to_stories.send(chunk);
        };
        // Reopened on a thread of its own, so the reopened store's long-lived allocations
        // land in that thread's arena. Made here, they fell between the chunks still
        // being freed and pinned their pages: idle RSS at 100k items varied by 12 MiB
        // from one start-up to the next (BENCHMARKS.md, history, 2026-12-05).
        let reopen = scope.spawn(move || {
            claim_arena(started);
            for_reopen.recv().ok().map(|store| store.after_scan())
        });
        started.wait();
        let store = open()?;
        let mut chunk = Vec::with_capacity(LOAD_CHUNK);
        let walked = store.for_each_index_entry(&mut |id, entry| {
            chunk.push((id, entry));
            if chunk.len() == LOAD_CHUNK {
                send(std::mem::replace(
                    &mut chunk,
                    Vec::with_capacity(LOAD_CHUNK),
                ));
                while let Ok(old) = returned.try_recv() {
                    drop(old);
                }
            }
        });
        if !chunk.is_empty() {
            send(chunk);
        }
        drop(send); // the builders stop once both channels close
        if walked.is_ok() {
            // The reopen thread has not gone: it waits on this channel.
            let _ = to_reopen.send(store);
        } else {
            drop((to_reopen, store));
        }
        for old in returned {
            drop(old);
        }
        let built = |what: &str| StoreError::Io(format!("building the {what} panicked"));
        let reopened = reopen.join().map_err(|_| built("store reopen"))?;
        walked?;
        let catalog = catalog.join().map_err(|_| built("catalog"))?;
        let stories = stories.join().map_err(|_| built("story index"))?;
        let store = reopened.ok_or_else(|| {
            StoreError::Io("the store was not handed back for its reopen".into())
        })??;
        Ok((store, catalog, stories))
    })
}

/// Make the calling thread take its malloc arena now (an allocation the optimiser cannot
/// remove), then wait for the other threads of [`load`] to do the same.
fn claim_arena(started: &std::sync::Barrier) {
    drop(std::hint::black_box(Box::new(0u8)));
    started.wait();
}
