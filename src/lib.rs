//! zonewire: watches Vietnamese industrial-zone and economic-zone boards and republishes
//! one clean, deduplicated feed.
//!
//! # Layout
//! Data flows one way (design.md):
//! `config` → `schedule` → `poller`, which runs `fetch` (+ `charset`) → `parse` (feeds) or
//! `extract` (HTML, with `dates`) → `normalize` (with `text`, `sanitize`, `urlnorm`,
//! `provinces`) → `archive` (dedup decisions with `dedup`; the in-memory catalog) →
//! `store` (sled, behind a trait) → `render` → `http`. `app` wires the commands together.

pub mod app;
pub mod archive;
pub mod charset;
pub mod config;
pub mod dates;
pub mod dedup;
pub mod extract;
pub mod fetch;
pub mod heap;
pub mod http;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod opml;
pub mod parse;
pub mod poller;
pub mod provinces;
pub mod recover;
pub mod render;
pub mod sanitize;
pub mod schedule;
pub mod store;
pub mod text;
pub mod urlnorm;

/// Lower-case hex of `bytes`: item ids, ETags, feed ids and body digests. A `format!`
/// per byte was 16 allocations for every new item's id.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_is_lower_case_and_two_digits_a_byte() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa0, 0xff, 0x42]), "000fa0ff42");
        assert_eq!(super::hex(&[]), "");
    }
}
