//! Queries over the catalog: a page of stories newest first under the filters, and the
//! per-province and per-source counts.

use std::collections::HashMap;

use super::intern::Interner;
use super::words::Matcher;
use super::{Catalog, NONE, lead_order};
use crate::archive::Query;

impl Catalog {
    /// The page a query asks for: each picked story's lead and its other members
    /// (oldest first), and the cursor of the next page when this one is full.
    pub(in crate::archive) fn page(&self, q: &Query) -> (Vec<(String, Vec<String>)>, Option<i64>) {
        let nothing = (Vec::new(), None);
        // A province or source no entry names matches no story.
        let province = match q.province.as_deref().map(|p| self.province_names.find(p)) {
            Some(None) => return nothing,
            other => other.flatten(),
        };
        let source = match q.source.as_deref().map(|s| self.sources.find(s)) {
            Some(None) => return nothing,
            other => other.flatten(),
        };
        let filter = Filter {
            province,
            source,
            text: q.q.as_deref().map(|t| self.search.matcher(t)),
            cooperation: q.cooperation,
        };
        let upper = q.before.unwrap_or(i64::MAX);
        let end = self.leads.partition_point(|&(t, _)| t < upper);
        let mut picked: Vec<(u32, i64)> = Vec::new();
        let mut next_before = None;
        for &(ts, lead) in self.leads[..end].iter().rev() {
            if !self.story_matches(self.entry(lead).story, &filter) {
                continue;
            }
            // A full page ends only between two different seconds: the cursor is a
            // time, and stories sharing the last second (boards that give dates without
            // times all sit at 00:00) must not fall between two pages.
            if picked.len() >= q.limit
                && let Some(&(_, last)) = picked.last()
                && last != ts
            {
                next_before = Some(last);
                break;
            }
            picked.push((lead, ts));
        }
        let names = &self.names;
        let stories = picked
            .into_iter()
            .map(|(lead, _)| {
                let mut others: Vec<(i64, u32)> = self
                    .member_syms(self.entry(lead).story)
                    .filter(|&m| m != lead)
                    .map(|m| (self.entry(m).published, m))
                    .collect();
                others.sort_by(|a, b| lead_order(names, *a, *b));
                (
                    names.get(lead).to_string(),
                    others
                        .into_iter()
                        .map(|(_, m)| names.get(m).to_string())
                        .collect(),
                )
            })
            .collect();
        (stories, next_before)
    }

    fn story_matches(&self, story: u32, f: &Filter) -> bool {
        let members = || self.member_syms(story).map(|m| self.entry(m));
        if let Some(s) = f.source
            && !members().any(|e| e.source == s)
        {
            return false;
        }
        if let Some(p) = f.province
            && !members().any(|e| self.provinces_of(e).contains(&p))
        {
            return false;
        }
        if f.cooperation {
            // Two provinces differ: that is all "at least two distinct" needs to know.
            let mut all = members().flat_map(|e| self.provinces_of(e).iter().copied());
            let two = all
                .next()
                .is_some_and(|first| all.any(|other| other != first));
            if !two {
                return false;
            }
        }
        if let Some(text) = &f.text
            && !members().any(|e| text.matches(self.search_of(e)))
        {
            return false;
        }
        true
    }

    /// Items per province slug, as many times as an entry lists it.
    pub(in crate::archive) fn province_counts(&self) -> HashMap<String, usize> {
        let mut counts = vec![0usize; self.province_names.len()];
        for e in self.entries.iter().filter(|e| e.story != NONE) {
            for &p in self.provinces_of(e) {
                counts[p as usize] += 1;
            }
        }
        named_counts(&self.province_names, &counts)
    }

    /// Items per source.
    pub(in crate::archive) fn source_counts(&self) -> HashMap<String, usize> {
        let mut counts = vec![0usize; self.sources.len()];
        for e in self.entries.iter().filter(|e| e.story != NONE) {
            counts[e.source as usize] += 1;
        }
        named_counts(&self.sources, &counts)
    }
}

fn named_counts(names: &Interner, counts: &[usize]) -> HashMap<String, usize> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(sym, n)| (names.get(sym as u32).to_string(), *n))
        .collect()
}

/// A query's filters, resolved to symbols once.
struct Filter {
    province: Option<u32>,
    source: Option<u32>,
    text: Option<Matcher>,
    cooperation: bool,
}
