//! The 34 provincial units in force since 1 July 2025 (Resolution 202/2025/QH15), the 63
//! old provinces each absorbed, their aliases, and tagging of text with provinces.
//!
//! `resolve` is lenient (it is given a field that is known to be a province name);
//! `tag` is cautious (it reads running text, where most province names are also people's
//! names, common words or street names) — its rules are documented in `tagger`.

mod data;
mod syllables;
mod tagger;

use std::collections::HashMap;
use std::sync::LazyLock;

/// One of the 34 units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Province {
    /// ASCII slug, e.g. `khanh-hoa`, `ho-chi-minh`.
    pub slug: &'static str,
    /// Official name without "Tỉnh"/"Thành phố", NFC, traditional tone placement.
    pub name: &'static str,
    /// "tỉnh" or "thành phố".
    pub kind: &'static str,
    /// Old provinces merged into it (itself included when it kept its name).
    pub merged_from: &'static [&'static str],
}

/// All 34 units, in a stable order.
pub fn all() -> &'static [Province] {
    &data::UNITS
}

/// The unit with this slug (exact, as in `Province::slug`).
pub fn by_slug(slug: &str) -> Option<&'static Province> {
    data::UNITS.iter().find(|p| p.slug == slug)
}

/// Every spelling `resolve` knows, keyed by `syllables::key`, plus the same keys with the
/// spaces removed (domains and hashtags write `khanhhoa`, `bariavungtau`).
struct ResolveIndex {
    spaced: HashMap<String, &'static Province>,
    joined: HashMap<String, &'static Province>,
}

static RESOLVE: LazyLock<ResolveIndex> = LazyLock::new(|| {
    let mut spaced = HashMap::new();
    for p in all() {
        spaced.insert(syllables::key(p.slug), p);
        spaced.insert(syllables::key(p.name), p);
        for old in p.merged_from {
            spaced.insert(syllables::key(old), p);
        }
    }
    for a in data::ALIASES {
        if let Some(p) = by_slug(a.slug) {
            spaced.insert(syllables::key(a.spelling), p);
        }
    }
    let joined = spaced
        .iter()
        .map(|(k, p)| (k.replace(' ', ""), *p))
        .collect();
    ResolveIndex { spaced, joined }
});

/// Leading words that say what kind of unit follows, as keys; longest first.
const PREFIXES: &[&str] = &["thanh pho ", "thu do ", "tinh ", "tp "];
/// Trailing English words (`Hanoi City`, `Long An Province`).
const SUFFIXES: &[&str] = &[" province", " city"];

/// Resolve any spelling (slug, name with/without diacritics or prefix, old province name,
/// alias such as TP.HCM, BR-VT, Thừa Thiên Huế) to its unit.
pub fn resolve(name: &str) -> Option<&'static Province> {
    let index = &*RESOLVE;
    let full = syllables::key(name);
    if let Some(p) = index.spaced.get(&full) {
        return Some(p);
    }
    let mut key = full.as_str();
    while let Some(rest) = PREFIXES.iter().find_map(|pre| key.strip_prefix(pre)) {
        key = rest;
    }
    if let Some(rest) = SUFFIXES.iter().find_map(|suf| key.strip_suffix(suf)) {
        key = rest;
    }
    if key.is_empty() {
        return None;
    }
    index
        .spaced
        .get(key)
        .or_else(|| index.joined.get(&key.replace(' ', "")))
        .copied()
}

/// Slugs of every unit the text names (longest match, word boundaries), in order of
/// first mention, without repeats.
pub fn tag(text: &str) -> Vec<&'static str> {
    tagger::tag(text)
}

#[cfg(test)]
mod tests;
