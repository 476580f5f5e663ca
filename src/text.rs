//! Vietnamese text hygiene: normalisation of every stored string, and the one folding
//! function used for keys and search.
//!
//! STUB — to be completed (text helper). Signatures are the contract.

/// Clean one field for storage: decode HTML entities, NFC, strip zero-width, soft hyphen,
/// BOM and control characters, collapse whitespace (NBSP included), trim.
pub fn normalize_text(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fold for keys and search: case-folded, diacritics removed, đ/Đ/Ð → d, whitespace
/// collapsed. `Khánh Hòa`, `Khánh Hoà`, `KHÁNH HÒA`, `khanh hoa` all fold to `khanh hoa`.
pub fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        match c {
            'đ' | 'Đ' | 'Ð' | 'ð' => out.push('d'),
            c if unicode_normalization::char::is_combining_mark(c) => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when the text shows signs of double decoding (`á»`, `Ã`, `Ä‘`, `√°`…).
pub fn has_mojibake(_s: &str) -> bool {
    false
}

/// Plain text of an HTML fragment (block elements become line/space breaks), normalised.
pub fn html_to_text(html: &str) -> String {
    normalize_text(html)
}

/// First `max_chars` characters of `s`, cut at a word boundary, with `…` when cut.
pub fn truncate_words(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}
