//! One-level HTML character-reference decoding for metadata strings (`og:title`, RSS
//! titles, copyright lines) that reach us as text, not through an HTML parser.

use std::borrow::Cow;

use super::entity_table::NAMED;

/// Longest name we look up; longer runs cannot be one of our entities, and the cap keeps
/// a hostile `&aaaa…` from costing more than a short scan.
const MAX_NAME_LEN: usize = 32;

/// Decode `&name;`, `&#NNN;` and `&#xHHH;` exactly once, so `&amp;lt;` becomes `&lt;`
/// (the author's literal text) and never `<`.
///
/// Named references need their `;`: legacy HTML also accepts `&copy` without one, but in
/// plain-text fields that mostly hits query strings (`?a=1&copy=2`). Numeric references
/// accept a missing `;`, as browsers do, because sloppy CMS templates emit `&#237` and the
/// digits cannot be confused with a word. Unknown names stay literal.
pub(super) fn decode_entities(s: &str) -> Cow<'_, str> {
    let Some(first) = s.find('&') else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..first]);
    let mut rest = &s[first..];
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match decode_one(rest) {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Decode the reference at the start of `s` (which begins with `&`); returns the character
/// and the number of bytes consumed.
fn decode_one(s: &str) -> Option<(char, usize)> {
    let bytes = s.as_bytes();
    if bytes.get(1) == Some(&b'#') {
        return decode_numeric(bytes);
    }
    let name_len = bytes[1..]
        .iter()
        .take(MAX_NAME_LEN + 1)
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    if name_len == 0 || name_len > MAX_NAME_LEN || bytes.get(1 + name_len) != Some(&b';') {
        return None;
    }
    let name = &s[1..1 + name_len];
    let idx = NAMED.binary_search_by(|(n, _)| n.cmp(&name)).ok()?;
    let c = char::from_u32(NAMED[idx].1)?;
    Some((c, name_len + 2))
}

fn decode_numeric(bytes: &[u8]) -> Option<(char, usize)> {
    let (radix, start) = match bytes.get(2) {
        Some(b'x' | b'X') => (16, 3),
        _ => (10, 2),
    };
    let digits = bytes[start..]
        .iter()
        .take_while(|b| match radix {
            16 => b.is_ascii_hexdigit(),
            _ => b.is_ascii_digit(),
        })
        .count();
    if digits == 0 {
        return None;
    }
    let mut value: u32 = 0;
    for &b in &bytes[start..start + digits] {
        let d = (b as char).to_digit(radix).unwrap_or(0);
        // Saturate instead of overflowing: anything past U+10FFFF becomes U+FFFD anyway.
        value = value.saturating_mul(radix).saturating_add(d);
    }
    let mut used = start + digits;
    if bytes.get(used) == Some(&b';') {
        used += 1;
    }
    Some((numeric_char(value), used))
}

/// HTML5 numeric-reference rules: NUL, surrogates and out-of-range values become U+FFFD,
/// and 0x80–0x9F are read as windows-1252, because `&#150;` from old Windows tools means
/// an en dash, not a C1 control.
fn numeric_char(value: u32) -> char {
    const CP1252_C1: [u32; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    let value = match value {
        0 => 0xFFFD,
        0x80..=0x9F => CP1252_C1[(value - 0x80) as usize],
        v => v,
    };
    char::from_u32(value).unwrap_or('\u{FFFD}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique_for_binary_search() {
        for pair in NAMED.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} !< {}", pair[0].0, pair[1].0);
        }
        for (name, cp) in NAMED {
            assert!(char::from_u32(*cp).is_some(), "{name}");
        }
    }

    #[test]
    fn decodes_table() {
        let cases: &[(&str, &str)] = &[
            ("a &amp; b", "a & b"),
            ("&lt;p&gt;", "<p>"),
            ("&amp;lt;", "&lt;"),
            ("&quot;x&quot; &apos;y&apos;", "\"x\" 'y'"),
            ("&laquo;a&raquo; &ndash; &mdash; &hellip;", "«a» – — …"),
            ("&lsquo;&rsquo;&ldquo;&rdquo;", "‘’“”"),
            ("&copy; &reg; &deg; &middot; &bull; &times;", "© ® ° · • ×"),
            ("&Agrave;&Aacute;&Acirc;&Atilde;", "ÀÁÂÃ"),
            ("&egrave;&eacute;&ecirc;&igrave;&iacute;", "èéêìí"),
            (
                "&ograve;&oacute;&ocirc;&otilde;&ugrave;&uacute;&yacute;",
                "òóôõùúý",
            ),
            ("&Dstrok;&dstrok;&abreve;&Utilde;", "ĐđăŨ"),
            ("&nbsp;", "\u{A0}"),
            ("Văn ph&#242;ng Ch&#237;nh phủ", "Văn phòng Chính phủ"),
            ("C&#x1ED4;NG TH&#xD4;NG TIN", "CỔNG THÔNG TIN"),
            ("&#X1ed4;", "Ổ"),
            ("&#237 x", "í x"),
            ("&#150;", "–"),
            ("&#0;", "\u{FFFD}"),
            ("&#xD800;", "\u{FFFD}"),
            ("&#99999999999999999999;", "\u{FFFD}"),
            (
                "&unknown; &copy &#; &#x; & x",
                "&unknown; &copy &#; &#x; & x",
            ),
            ("?a=1&copy=2", "?a=1&copy=2"),
            ("tail &", "tail &"),
            ("&&amp;", "&&"),
        ];
        for (input, want) in cases {
            assert_eq!(decode_entities(input), *want, "input {input:?}");
        }
    }

    #[test]
    fn no_ampersand_borrows() {
        assert!(matches!(decode_entities("Khánh Hòa"), Cow::Borrowed(_)));
    }
}
