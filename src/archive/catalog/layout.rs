//! Where a load puts things: names numbered and search texts laid out in the order a
//! query walks them, words ranked by use. A load meets entries in the store's key order
//! (hashes), and a walk that jumps across memory costs a cache miss per story.

use super::intern::Interner;
use super::{Catalog, EMPTY, Entry, NO_STORY, NONE, StoryRec};

impl Catalog {
    /// Number the names in the order a query walks them: newest lead first, each followed
    /// by its story's members. A load interns names in the store's key order (hashes), so
    /// a `q=` that matched little read `entries` and `stories` at 100k scattered places, a
    /// cache miss each: ~35 ms of a ~40 ms walk that takes 4 ms in time order (BENCHMARKS.md
    /// §5). Member lists keep their order, so `members` does not change.
    pub(super) fn renumber(&mut self) {
        let n = self.names.len();
        let mut order: Vec<u32> = Vec::with_capacity(n);
        let mut placed = vec![false; n];
        let mut place = |sym: u32, order: &mut Vec<u32>| {
            if let Some(p) = placed.get_mut(sym as usize)
                && !*p
            {
                *p = true;
                order.push(sym);
            }
        };
        for &(_, lead) in self.leads.iter().rev() {
            let story = self.entry(lead).story;
            for m in self.member_syms(story) {
                place(m, &mut order);
            }
            place(story, &mut order);
        }
        // Removed items and the like: no walk reaches them, but no name may be lost.
        for sym in 0..n {
            place(u32::try_from(sym).unwrap_or(NONE), &mut order);
        }
        let mut names = Interner::default();
        let mut new_of = vec![NONE; n];
        for &old in &order {
            new_of[old as usize] = names.intern(self.names.get(old));
        }
        let map = |sym: u32| new_of.get(sym as usize).copied().unwrap_or(NONE);
        let mut entries = vec![EMPTY; names.len()];
        let mut stories = vec![NO_STORY; names.len()];
        for &old in &order {
            let new = map(old) as usize;
            if let Some(e) = self.entries.get(old as usize) {
                entries[new] = Entry {
                    story: map(e.story),
                    next: map(e.next),
                    ..*e
                };
            }
            if let Some(r) = self.stories.get(old as usize) {
                stories[new] = StoryRec {
                    head: map(r.head),
                    tail: map(r.tail),
                    lead: map(r.lead),
                };
            }
        }
        for lead in &mut self.leads {
            lead.1 = map(lead.1);
        }
        self.names = names;
        self.entries = entries;
        self.stories = stories;
    }

    /// Rewrite the search arena in the order a query reads it: newest lead first, each
    /// followed by its members. A load fills the arena in the store's key order (hashes),
    /// so a `q=` that matched little jumped across the whole arena (84 MiB at 100k items
    /// before word codes), a cache and TLB miss per story (BENCHMARKS.md §5). Items added
    /// later go to the end; compaction lays out again.
    pub(super) fn lay_out_search(&mut self) {
        let mut order: Vec<u32> = Vec::with_capacity(self.live);
        for &(_, lead) in self.leads.iter().rev() {
            order.extend(self.member_syms(self.entry(lead).story));
        }
        let mut placed = vec![false; self.entries.len()];
        for &m in &order {
            if let Some(p) = placed.get_mut(m as usize) {
                *p = true;
            }
        }
        // Live entries no lead reaches cannot exist, but a text must never be lost.
        order.extend(
            (0..self.entries.len())
                .filter(|&m| !placed[m] && self.entries[m].story != NONE)
                .map(|m| u32::try_from(m).unwrap_or(NONE)),
        );
        // A load too small to have ranked its words (`RANK_SAMPLE`) ranks them here.
        let ranking = (!self.search.is_ranked()).then(|| self.search.ranking());
        let mut arena = Vec::with_capacity(self.search.len().saturating_sub(self.dead_search));
        for m in order {
            let Some(e) = self.entries.get_mut(m as usize) else {
                continue;
            };
            let start = arena.len();
            match &ranking {
                Some(r) => self
                    .search
                    .recode(r, e.search_start, e.search_len, &mut arena),
                None => arena.extend_from_slice(self.search.encoded(e.search_start, e.search_len)),
            }
            e.search_start = start;
            e.search_len = arena.len() - start;
        }
        match ranking {
            Some(r) => self.search.finish_recode(r, arena),
            None => self.search.replace_arena(arena),
        }
        self.dead_search = 0;
    }

    /// Rank the search texts' words by their use so far and recode every live text.
    pub(super) fn rank_search(&mut self) {
        let ranking = self.search.ranking();
        let mut arena = Vec::with_capacity(self.search.len());
        for e in self.entries.iter_mut().filter(|e| e.story != NONE) {
            let start = arena.len();
            self.search
                .recode(&ranking, e.search_start, e.search_len, &mut arena);
            e.search_start = start;
            e.search_len = arena.len() - start;
        }
        self.search.finish_recode(ranking, arena);
        self.dead_search = 0;
    }
}
