//! The 34 provincial units in force since 1 July 2025 (Resolution 202/2025/QH15), the 63
//! old provinces each absorbed, their aliases, and tagging of text with provinces.
//!
//! STUB — to be completed (provinces helper). Signatures are the contract.

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
    &[]
}

/// Resolve any spelling (slug, name with/without diacritics or prefix, old province name,
/// alias such as TP.HCM, BR-VT, Thừa Thiên Huế) to its unit.
pub fn resolve(_name: &str) -> Option<&'static Province> {
    None
}

/// Slugs of every unit the text names (longest match, word boundaries), in order of
/// first mention, without repeats.
pub fn tag(_text: &str) -> Vec<&'static str> {
    Vec::new()
}
