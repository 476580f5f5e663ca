//! The read side at 100k items: `Archive::query` answering render-cache misses, and what
//! the in-memory catalog costs per item.
//!
//! Run: `cargo bench --bench query`. The store is in memory (the `Store` trait), so the
//! figures are the catalog walk plus cloning the page's items, without sled page-ins.

#[path = "../bench/gen.rs"]
mod generator;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use zonewire::archive::{Archive, Query};
use zonewire::dedup::{self, StoryIndex};
use zonewire::model::{Item, SourceState, vn_offset};
use zonewire::store::{Batch, IndexEntry, KeyHit, Store, StoreError};
use zonewire::{provinces, text};

/// Live heap bytes, to size the catalog without guessing at struct layouts.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const ITEMS: usize = 100_000;
const SOURCES: usize = 1_000;
/// The newest item; 100 items a source spread over two years.
const BASE: i64 = 1_795_000_000;
const SPACING: i64 = 730 * 86_400 / 100;

/// Just enough of a store for `Archive::new` and `Archive::query`.
struct MemStore {
    entries: Vec<(String, IndexEntry)>,
    items: HashMap<String, Item>,
}

impl Store for MemStore {
    fn lookup_key(&self, _key: &str) -> Result<Option<KeyHit>, StoreError> {
        Ok(None)
    }
    fn item(&self, id: &str) -> Result<Option<Item>, StoreError> {
        Ok(self.items.get(id).cloned())
    }
    fn story_members(&self, _story: &str) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }
    fn source_state(&self, _source: &str) -> Result<Option<SourceState>, StoreError> {
        Ok(None)
    }
    fn all_source_states(&self) -> Result<Vec<(String, SourceState)>, StoreError> {
        Ok(Vec::new())
    }
    fn commit(&self, _batch: Batch) -> Result<(), StoreError> {
        Ok(())
    }
    fn after_scan(self: Arc<Self>) -> Result<Arc<dyn Store>, StoreError> {
        Ok(self)
    }

    fn for_each_index_entry(
        &self,
        f: &mut dyn FnMut(String, IndexEntry),
    ) -> Result<(), StoreError> {
        for (id, e) in &self.entries {
            f(id.clone(), e.clone());
        }
        Ok(())
    }
    fn prune(&self, _ids: &[String]) -> Result<usize, StoreError> {
        Ok(0)
    }
    fn after_prune(&self) -> Result<(), StoreError> {
        Ok(())
    }
    fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(0)
    }
    fn item_count(&self) -> usize {
        self.items.len()
    }
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Roughly what `normalize` indexes: folded title, summary and the body's first 600 chars.
fn search_text(g: &generator::GenItem) -> String {
    let mut body = String::new();
    let mut in_tag = false;
    for c in g.body_html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                body.push(' ');
            }
            c if !in_tag => body.push(c),
            _ => {}
        }
    }
    let body: String = body.chars().take(600).collect();
    text::fold(&format!("{} {} {body}", g.title, g.summary))
}

fn build_store() -> MemStore {
    let slugs: Vec<&str> = provinces::all().iter().map(|p| p.slug).collect();
    let mut rng = generator::Mix::new(7);
    let mut entries = Vec::with_capacity(ITEMS);
    let mut items = HashMap::with_capacity(ITEMS);
    for n in 0..ITEMS {
        let (source, k) = (n % SOURCES, n / SOURCES);
        let g = generator::item_spaced(source, k, BASE, SPACING);
        let id = dedup::item_id(&format!("g:{source}:{k}"));
        // One item in ten reports a story an earlier item (another source, same round) leads.
        let story = if n >= SOURCES && rng.below(10) == 0 {
            entries
                .get(n - 1 - rng.below(SOURCES / 2))
                .map(|(_, e): &(String, IndexEntry)| e.story.clone())
                .unwrap_or_else(|| id.clone())
        } else {
            id.clone()
        };
        let mut provinces = vec![slugs[source % slugs.len()].to_string()];
        if rng.below(4) == 0 {
            provinces.push(slugs[rng.below(slugs.len())].to_string());
            provinces.dedup();
        }
        let published = vn_offset()
            .timestamp_opt(g.published, 0)
            .single()
            .unwrap_or_else(|| vn_offset().timestamp_opt(BASE, 0).unwrap());
        let source_id = format!("s{source}");
        let search = search_text(&g);
        entries.push((
            id.clone(),
            IndexEntry {
                published: g.published,
                source: source_id.clone(),
                provinces: provinces.clone(),
                story,
                search,
                fingerprint: dedup::fingerprint(&g.title, &g.summary),
                // What the poller stores; any non-zero value costs the same.
                digest: entries.len() as u64 + 1,
            },
        ));
        items.insert(
            id.clone(),
            Item {
                id,
                source: source_id,
                title: g.title,
                link: format!("https://{}/{}", generator::host_of(source), g.slug),
                published,
                date_is_first_seen: false,
                first_seen: published.with_timezone(&Utc),
                updated: None,
                summary: g.summary,
                content_html: None,
                authors: Vec::new(),
                categories: Vec::new(),
                image: None,
                provinces,
                revisions: Vec::new(),
            },
        );
    }
    MemStore { entries, items }
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn bench_query(c: &mut Criterion) {
    let store = Arc::new(build_store());
    let search_bytes: usize = store.entries.iter().map(|(_, e)| e.search.len()).sum();

    // The story index is built by `Archive::new` too; size it alone to subtract it. "RSS
    // growth" also holds what the allocator keeps of freed load data, so it overstates.
    let before = LIVE.load(Ordering::Relaxed);
    let mut index = StoryIndex::loading();
    for (id, e) in &store.entries {
        if let Some(t) = DateTime::from_timestamp(e.published, 0) {
            index.insert(
                id,
                &e.story,
                &e.source,
                t.with_timezone(&vn_offset()),
                &e.fingerprint,
            );
        }
    }
    index.finish_load();
    let index_bytes = LIVE.load(Ordering::Relaxed) - before;
    drop(index);

    let rss_before = rss_kib();
    let before = LIVE.load(Ordering::Relaxed);
    let started = std::time::Instant::now();
    let archive = Archive::new(store.clone()).expect("archive over the in-memory store");
    let built = started.elapsed();
    let archive_bytes = LIVE.load(Ordering::Relaxed) - before;
    let rss_after = rss_kib();
    let catalog_bytes = archive_bytes - index_bytes;
    eprintln!(
        "catalog: {ITEMS} items, search text {:.0} B/item; Archive::new {:.2} s; \
         heap: archive {:.1} MiB, story index {:.1} MiB, catalog {:.1} MiB = {:.0} B/item; \
         RSS growth {} MiB",
        search_bytes as f64 / ITEMS as f64,
        built.as_secs_f64(),
        archive_bytes as f64 / 1048576.0,
        index_bytes as f64 / 1048576.0,
        catalog_bytes as f64 / 1048576.0,
        catalog_bytes as f64 / ITEMS as f64,
        match (rss_before, rss_after) {
            (Some(a), Some(b)) => format!("{}", (b.saturating_sub(a)) / 1024),
            _ => "?".into(),
        }
    );

    let mut group = c.benchmark_group("query 100k");
    let cases: [(&str, Query); 7] = [
        ("unfiltered first page", Query::default()),
        (
            "province=khanh-hoa",
            Query {
                province: Some("khanh-hoa".into()),
                ..Query::default()
            },
        ),
        (
            "q= few stories",
            Query {
                q: Some(text::fold("số 4242")),
                ..Query::default()
            },
        ),
        (
            "q= common phrase",
            Query {
                q: Some(text::fold("đầu tư")),
                ..Query::default()
            },
        ),
        (
            "q= no match",
            Query {
                q: Some("khong co trong kho".into()),
                ..Query::default()
            },
        ),
        (
            // Every word is in some text, the phrase in none: each story is read.
            "q= no match, known words",
            Query {
                q: Some(text::fold("Vĩnh Long Lạng Sơn")),
                ..Query::default()
            },
        ),
        (
            "cooperation=1, before= a year back",
            Query {
                cooperation: true,
                before: Some(BASE - 365 * 86_400),
                ..Query::default()
            },
        ),
    ];
    for (name, q) in cases {
        let page = archive.query(&q).expect("query");
        eprintln!("{name}: {} stories", page.stories.len());
        group.bench_function(name, |b| b.iter(|| black_box(archive.query(black_box(&q)))));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench_query
}
criterion_main!(benches);
