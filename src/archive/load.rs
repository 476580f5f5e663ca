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
/// The store is handed back through [`Store::after_scan`] while the builders finish.
pub(super) fn load(
    store: Arc<dyn Store>,
) -> Result<(Arc<dyn Store>, Catalog, StoryIndex), StoreError> {
    use std::sync::mpsc::{channel, sync_channel};
    std::thread::scope(|scope| {
        let (to_catalog, for_catalog) = sync_channel::<Chunk>(8);
        let (to_stories, for_stories) = sync_channel::<Chunk>(8);
        // Chunks come back to be freed here, where they were allocated: freeing on the
        // builders' threads contended for this thread's malloc arena on every string.
        let (done, returned) = channel::<Chunk>();
        let catalog_done = done.clone();
        let catalog = scope.spawn(move || {
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
        // Reopened on a thread of its own, so the reopened store's long-lived allocations
        // land in that thread's malloc arena. Made here, they fell between the chunks
        // still being freed and pinned their pages: idle RSS at 100k items varied by
        // 12 MiB from one start-up to the next (BENCHMARKS.md, history, 2026-12-05).
        let reopened = walked.map(|()| scope.spawn(move || store.after_scan()));
        for old in returned {
            drop(old);
        }
        let built = |what: &str| StoreError::Io(format!("building the {what} panicked"));
        let store = reopened?.join().map_err(|_| built("store reopen"))?;
        let catalog = catalog.join().map_err(|_| built("catalog"))?;
        let stories = stories.join().map_err(|_| built("story index"))?;
        Ok((store?, catalog, stories))
    })
}
