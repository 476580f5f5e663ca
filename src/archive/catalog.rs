//! The in-memory read side: what `Archive::query` and the count endpoints need of every
//! index entry, in a form that costs tens of bytes per item beyond its search text.
//!
//! Every string is held once: ids (and story ids, which are item ids) in one interner,
//! sources and province slugs in two small ones; entries refer to them by `u32`. Search
//! texts (as word codes, `words.rs`) and province lists live in two arenas. Each story
//! knows its lead, so a query walks leads only, newest first, and allocates nothing for
//! stories it rejects. `layout.rs` puts all of it in walk order after a load.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::store::IndexEntry;
use intern::Interner;
use words::Texts;

mod intern;
mod layout;
mod query;
mod words;

/// "No symbol": the end of a member list, or a slot that holds no entry.
const NONE: u32 = u32::MAX;

/// A load ranks the search texts' words by their use in this many first entries (the
/// store hands them over in hash order, a fair sample), then encodes the rest with that
/// ranking: recoding all ~20M words at the end of a load cost 0.1 s of start-up.
const RANK_SAMPLE: usize = if cfg!(test) { 8 } else { 4096 };

/// Compaction is not worth a rebuild below this much garbage (tiny in tests, so that the
/// model comparisons rebuild often).
const COMPACT_MIN: usize = if cfg!(test) { 64 } else { 1 << 20 };

#[derive(Debug, Clone, Copy)]
struct Entry {
    published: i64,
    search_start: usize,
    search_len: usize,
    provinces_start: usize,
    provinces_len: usize,
    source: u32,
    /// `NONE` when this slot holds no entry (a story id that is not an item, or removed).
    story: u32,
    /// The next member of the same story, in insertion order.
    next: u32,
    /// `IndexEntry::digest` of the stored version.
    digest: u64,
}

const EMPTY: Entry = Entry {
    published: 0,
    search_start: 0,
    search_len: 0,
    provinces_start: 0,
    provinces_len: 0,
    source: NONE,
    story: NONE,
    next: NONE,
    digest: 0,
};

/// What an entry holds besides its id and story, as `add` takes it.
#[derive(Clone, Copy)]
struct Fields<'a> {
    source: &'a str,
    published: i64,
    provinces: &'a [&'a str],
    search: &'a str,
    digest: u64,
}

/// A story's members as a list threaded through `Entry::next`, and its lead.
#[derive(Debug, Clone, Copy)]
struct StoryRec {
    head: u32,
    tail: u32,
    lead: u32,
}

const NO_STORY: StoryRec = StoryRec {
    head: NONE,
    tail: NONE,
    lead: NONE,
};

#[derive(Debug, Default)]
pub(super) struct Catalog {
    names: Interner,
    sources: Interner,
    province_names: Interner,
    /// Indexed by name symbol.
    entries: Vec<Entry>,
    /// Indexed by name symbol.
    stories: Vec<StoryRec>,
    /// Every story's `(published, lead)`, ordered by time then id text: the order the
    /// feeds list stories in, oldest first.
    leads: Vec<(i64, u32)>,
    /// Set while loading: `leads` is sorted once at the end instead of per insert.
    loading: bool,
    /// Search texts as word codes (`words.rs`); `Entry` spans index its bytes.
    search: Texts,
    provinces: Vec<u32>,
    live: usize,
    /// Arena bytes and province slots no live entry points at (replaced or removed).
    dead_search: usize,
    dead_provinces: usize,
    /// How many live entries carry each non-zero digest (`Archive::knows_entry`).
    digests: HashMap<u64, u32>,
}

impl Catalog {
    /// A catalog for a bulk load: call [`Catalog::finish_load`] after the inserts.
    pub(super) fn loading() -> Catalog {
        Catalog {
            loading: true,
            ..Catalog::default()
        }
    }

    pub(super) fn finish_load(&mut self) {
        self.loading = false;
        let mut leads: Vec<(i64, u32)> = self
            .stories
            .iter()
            .filter(|s| s.lead != NONE)
            .map(|s| (self.entry(s.lead).published, s.lead))
            .collect();
        let names = &self.names;
        leads.sort_unstable_by(|a, b| lead_order(names, *a, *b));
        self.leads = leads;
        self.renumber();
        self.lay_out_search();
        // Growth by doubling leaves up to half of each buffer unused; a start-up load knows
        // its final size.
        self.search.shrink_to_fit();
        self.provinces.shrink_to_fit();
        self.entries.shrink_to_fit();
        self.stories.shrink_to_fit();
        self.names.shrink_to_fit();
    }

    pub(super) fn len(&self) -> usize {
        self.live
    }

    fn entry(&self, sym: u32) -> &Entry {
        self.entries.get(sym as usize).unwrap_or(&EMPTY)
    }

    fn live_sym(&self, id: &str) -> Option<u32> {
        self.names.find(id).filter(|&s| self.entry(s).story != NONE)
    }

    /// The story an item belongs to.
    pub(super) fn story_of(&self, id: &str) -> Option<String> {
        let sym = self.live_sym(id)?;
        Some(self.names.get(self.entry(sym).story).to_string())
    }

    /// A story's members in the order they joined it; `None` for an unknown story.
    pub(super) fn members(&self, story: &str) -> Option<Vec<String>> {
        let sym = self.names.find(story)?;
        let members: Vec<String> = self
            .member_syms(sym)
            .map(|m| self.names.get(m).to_string())
            .collect();
        (!members.is_empty()).then_some(members)
    }

    fn member_syms(&self, story: u32) -> Members<'_> {
        Members {
            entries: &self.entries,
            at: self.stories.get(story as usize).map_or(NONE, |s| s.head),
        }
    }

    fn search_of(&self, e: &Entry) -> &[u8] {
        self.search.encoded(e.search_start, e.search_len)
    }

    fn provinces_of(&self, e: &Entry) -> &[u32] {
        self.provinces
            .get(e.provinces_start..e.provinces_start + e.provinces_len)
            .unwrap_or(&[])
    }

    pub(super) fn insert(&mut self, id: &str, e: &IndexEntry) {
        let provinces: Vec<&str> = e.provinces.iter().map(String::as_str).collect();
        self.add(
            id,
            &e.story,
            &Fields {
                source: &e.source,
                published: e.published,
                provinces: &provinces,
                search: &e.search,
                digest: e.digest,
            },
        );
    }

    /// True when some live entry's stored version has this digest.
    pub(super) fn knows_digest(&self, digest: u64) -> bool {
        self.digests.contains_key(&digest)
    }

    /// The entry digest of an item's stored version (0 for records written before
    /// digests existed).
    pub(super) fn digest_of(&self, id: &str) -> Option<u64> {
        self.live_sym(id).map(|s| self.entry(s).digest)
    }

    fn add(&mut self, id: &str, story: &str, f: &Fields<'_>) {
        let Fields {
            source,
            published,
            provinces,
            search,
            digest,
        } = *f;
        self.remove(id);
        let sym = self.names.intern(id);
        let story = self.names.intern(story);
        let source = self.sources.intern(source);
        let grow = self.names.len();
        self.entries.resize(grow.max(self.entries.len()), EMPTY);
        self.stories.resize(grow.max(self.stories.len()), NO_STORY);

        let provinces_start = self.provinces.len();
        for p in provinces {
            let p = self.province_names.intern(p);
            self.provinces.push(p);
        }
        let (search_start, search_len) = self.search.push(search);
        self.entries[sym as usize] = Entry {
            published,
            search_start,
            search_len,
            provinces_start,
            provinces_len: provinces.len(),
            source,
            story,
            next: NONE,
            digest,
        };
        self.live += 1;
        if self.loading && self.live == RANK_SAMPLE && !self.search.is_ranked() {
            self.rank_search();
        }
        if digest != 0 {
            *self.digests.entry(digest).or_insert(0) += 1;
        }

        let rec = self.stories[story as usize];
        match rec.tail {
            NONE => self.stories[story as usize].head = sym,
            tail => self.entries[tail as usize].next = sym,
        }
        self.stories[story as usize].tail = sym;
        let old = (rec.lead != NONE).then(|| (self.entry(rec.lead).published, rec.lead));
        if old.is_none_or(|old| lead_order(&self.names, (published, sym), old) == Ordering::Less) {
            self.set_lead(story, old, sym);
        }
    }

    /// Ids of live items published before `before` (Unix seconds), oldest first (then by
    /// id), at most `limit`: what retention prunes. A pass over the entries, run by the
    /// daily prune only; a sled tree kept in this order cost one more write per item
    /// under the archive's write lock.
    pub(super) fn older_than(&self, before: i64, limit: usize) -> Vec<String> {
        let mut old: Vec<(i64, &str)> = (0u32..)
            .zip(&self.entries)
            .filter(|(_, e)| e.story != NONE && e.published < before)
            .map(|(sym, e)| (e.published, self.names.get(sym)))
            .collect();
        if old.len() > limit {
            old.select_nth_unstable(limit);
            old.truncate(limit);
        }
        old.sort_unstable();
        old.into_iter().map(|(_, id)| id.to_string()).collect()
    }

    pub(super) fn remove(&mut self, id: &str) {
        let Some(sym) = self.live_sym(id) else {
            return;
        };
        let e = *self.entry(sym);
        // Unlink from the story's member list.
        let story = e.story as usize;
        let mut prev = NONE;
        let mut at = self.stories[story].head;
        while at != NONE && at != sym {
            prev = at;
            at = self.entries[at as usize].next;
        }
        match prev {
            NONE => self.stories[story].head = e.next,
            p => self.entries[p as usize].next = e.next,
        }
        if self.stories[story].tail == sym {
            self.stories[story].tail = prev;
        }
        if self.stories[story].lead == sym {
            // The next earliest member takes over, as the old per-query `lead_of` would
            // have picked it.
            let names = &self.names;
            let next = self
                .member_syms(e.story)
                .map(|m| (self.entry(m).published, m))
                .min_by(|a, b| lead_order(names, *a, *b))
                .map_or(NONE, |(_, m)| m);
            self.set_lead(e.story, Some((e.published, sym)), next);
        }
        self.entries[sym as usize] = EMPTY;
        self.live -= 1;
        if let Some(n) = self.digests.get_mut(&e.digest) {
            *n -= 1;
            if *n == 0 {
                self.digests.remove(&e.digest);
            }
        }
        self.dead_search += e.search_len;
        self.dead_provinces += e.provinces_len;
        self.maybe_compact();
    }

    /// Move a story's lead from `old` to `new` (`NONE`: the story is gone), keeping
    /// `leads` ordered.
    fn set_lead(&mut self, story: u32, old: Option<(i64, u32)>, new: u32) {
        if !self.loading {
            if let Some(key) = old
                && let Ok(i) = self.lead_position(key)
            {
                self.leads.remove(i);
            }
            if new != NONE {
                let key = (self.entry(new).published, new);
                let (Ok(i) | Err(i)) = self.lead_position(key);
                self.leads.insert(i, key);
            }
        }
        self.stories[story as usize].lead = new;
    }

    fn lead_position(&self, key: (i64, u32)) -> Result<usize, usize> {
        let names = &self.names;
        self.leads
            .binary_search_by(|probe| lead_order(names, *probe, key))
    }

    /// Rebuild without the garbage once it outweighs what is live: pruning months of
    /// items, or sources rewriting their texts, must not grow memory for ever.
    fn maybe_compact(&mut self) {
        if self.loading {
            return;
        }
        let dead_names = self.names.len().saturating_sub(self.live);
        let names = dead_names > COMPACT_MIN / 64 && dead_names > self.live;
        let search = self.dead_search > COMPACT_MIN && self.dead_search > self.search.len() / 2;
        let provinces =
            self.dead_provinces > COMPACT_MIN / 4 && self.dead_provinces > self.provinces.len() / 2;
        if names || search || provinces {
            *self = self.compacted();
        }
    }

    /// The same catalog, live entries only. Members join their stories in the same
    /// order as before, so `members` (which the store persists) does not change.
    fn compacted(&self) -> Catalog {
        let mut fresh = Catalog::loading();
        for (story, rec) in self.stories.iter().enumerate() {
            if rec.head == NONE {
                continue;
            }
            for m in self.member_syms(story as u32) {
                let e = self.entry(m);
                let provinces: Vec<&str> = self
                    .provinces_of(e)
                    .iter()
                    .map(|&p| self.province_names.get(p))
                    .collect();
                let search = self.search_text(e);
                fresh.add(
                    self.names.get(m),
                    self.names.get(e.story),
                    &Fields {
                        source: self.sources.get(e.source),
                        published: e.published,
                        provinces: &provinces,
                        search: &search,
                        digest: e.digest,
                    },
                );
            }
        }
        fresh.finish_load();
        fresh
    }

    fn search_text(&self, e: &Entry) -> String {
        self.search.text(e.search_start, e.search_len)
    }
}

/// Members of one story, following `Entry::next`.
struct Members<'a> {
    entries: &'a [Entry],
    at: u32,
}

impl Iterator for Members<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        let sym = self.at;
        let e = self.entries.get(sym as usize)?;
        self.at = e.next;
        Some(sym)
    }
}

/// Earliest published first, ties by id: the rule that picks a story's lead.
fn lead_order(names: &Interner, a: (i64, u32), b: (i64, u32)) -> Ordering {
    a.0.cmp(&b.0)
        .then_with(|| names.get(a.1).cmp(names.get(b.1)))
}

#[cfg(test)]
mod tests;
