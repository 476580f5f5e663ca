//! Character and entity references, decoded the way a liberal feed reader does: the five
//! XML entities, numeric references (decimal, `&#x`, and the invalid-but-common `&#X`),
//! and the HTML 4 named entities that feeds copy from web pages (`&nbsp;`, `&hellip;`).
//! Anything else stays literal, so `&doesnotexist;` survives as text and nothing declared
//! in a DTD is ever expanded.
//!
//! The table is the complete HTML 4.01 set (252 names), which covers what feeds use in
//! practice. A full HTML5 table is being written in `text`; once it lands this one can
//! defer to it.

use std::borrow::Cow;

/// Latin-1 supplement, U+00A0..=U+00FF, in code point order.
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// Greek capitals from U+0391 (U+03A2 is unassigned) and small letters from U+03B1.
const GREEK_UPPER: [&str; 25] = [
    "Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota", "Kappa",
    "Lambda", "Mu", "Nu", "Xi", "Omicron", "Pi", "Rho", "", "Sigma", "Tau", "Upsilon", "Phi",
    "Chi", "Psi", "Omega",
];
const GREEK_LOWER: [&str; 25] = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigmaf", "sigma", "tau", "upsilon", "phi",
    "chi", "psi", "omega",
];

/// The rest of HTML 4: symbols, punctuation and mathematical operators.
const OTHER: [(&str, u32); 103] = [
    ("quot", 34),
    ("amp", 38),
    ("apos", 39),
    ("lt", 60),
    ("gt", 62),
    ("OElig", 338),
    ("oelig", 339),
    ("Scaron", 352),
    ("scaron", 353),
    ("Yuml", 376),
    ("fnof", 402),
    ("circ", 710),
    ("tilde", 732),
    ("thetasym", 977),
    ("upsih", 978),
    ("piv", 982),
    ("ensp", 8194),
    ("emsp", 8195),
    ("thinsp", 8201),
    ("zwnj", 8204),
    ("zwj", 8205),
    ("lrm", 8206),
    ("rlm", 8207),
    ("ndash", 8211),
    ("mdash", 8212),
    ("lsquo", 8216),
    ("rsquo", 8217),
    ("sbquo", 8218),
    ("ldquo", 8220),
    ("rdquo", 8221),
    ("bdquo", 8222),
    ("dagger", 8224),
    ("Dagger", 8225),
    ("bull", 8226),
    ("hellip", 8230),
    ("permil", 8240),
    ("prime", 8242),
    ("Prime", 8243),
    ("lsaquo", 8249),
    ("rsaquo", 8250),
    ("oline", 8254),
    ("frasl", 8260),
    ("euro", 8364),
    ("image", 8465),
    ("weierp", 8472),
    ("real", 8476),
    ("trade", 8482),
    ("alefsym", 8501),
    ("larr", 8592),
    ("uarr", 8593),
    ("rarr", 8594),
    ("darr", 8595),
    ("harr", 8596),
    ("crarr", 8629),
    ("lArr", 8656),
    ("uArr", 8657),
    ("rArr", 8658),
    ("dArr", 8659),
    ("hArr", 8660),
    ("forall", 8704),
    ("part", 8706),
    ("exist", 8707),
    ("empty", 8709),
    ("nabla", 8711),
    ("isin", 8712),
    ("notin", 8713),
    ("ni", 8715),
    ("prod", 8719),
    ("sum", 8721),
    ("minus", 8722),
    ("lowast", 8727),
    ("radic", 8730),
    ("prop", 8733),
    ("infin", 8734),
    ("ang", 8736),
    ("and", 8743),
    ("or", 8744),
    ("cap", 8745),
    ("cup", 8746),
    ("int", 8747),
    ("there4", 8756),
    ("sim", 8764),
    ("cong", 8773),
    ("asymp", 8776),
    ("ne", 8800),
    ("equiv", 8801),
    ("le", 8804),
    ("ge", 8805),
    ("sub", 8834),
    ("sup", 8835),
    ("nsub", 8836),
    ("sube", 8838),
    ("supe", 8839),
    ("oplus", 8853),
    ("otimes", 8855),
    ("perp", 8869),
    ("sdot", 8901),
    ("lceil", 8968),
    ("rceil", 8969),
    ("lfloor", 8970),
    ("rfloor", 8971),
    ("lang", 9001),
    ("rang", 9002),
];
const SUITS: [(&str, u32); 5] = [
    ("loz", 9674),
    ("spades", 9824),
    ("clubs", 9827),
    ("hearts", 9829),
    ("diams", 9830),
];

/// The entities XML itself defines; every parser knows them.
pub(crate) fn is_xml_entity(name: &str) -> bool {
    matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
}

/// The character a named entity stands for (XML or HTML 4), case-sensitive as in HTML.
pub(crate) fn named(name: &str) -> Option<char> {
    let code = if let Some(i) = LATIN1.iter().position(|n| *n == name) {
        0xA0 + i as u32
    } else if let Some(i) = GREEK_UPPER.iter().position(|n| !n.is_empty() && *n == name) {
        0x391 + i as u32
    } else if let Some(i) = GREEK_LOWER.iter().position(|n| *n == name) {
        0x3B1 + i as u32
    } else {
        OTHER
            .iter()
            .chain(SUITS.iter())
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)?
    };
    char::from_u32(code)
}

/// A character XML 1.0 allows in a document.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A reference starting at `s[0] == '&'`: what it stands for and its length in bytes
/// (including `;`). `None` for a bare `&` or an unknown name.
pub(crate) enum Reference {
    /// `&#...;` with the character it names (`None` when out of range or not an XML char).
    Numeric(Option<char>, usize),
    Named(char, usize),
    /// Syntactically `&name;` but not a name we know.
    Unknown,
}

pub(crate) fn reference_at(s: &str) -> Option<Reference> {
    let b = s.as_bytes();
    if b.first() != Some(&b'&') {
        return None;
    }
    // Longest HTML 4 name is 8 characters; numeric references need at most 8 digits.
    let window = &b[1..b.len().min(34)];
    let semi = window.iter().position(|&c| c == b';')?;
    let body = &s[1..1 + semi];
    let len = semi + 2;
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        let c = u32::from_str_radix(digits, radix)
            .ok()
            .and_then(char::from_u32)
            .filter(|c| is_xml_char(*c));
        return Some(Reference::Numeric(c, len));
    }
    let mut chars = body.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    {
        return None;
    }
    Some(match named(body) {
        Some(c) => Reference::Named(c, len),
        None => Reference::Unknown,
    })
}

/// Decode every reference we know; leave the rest (and bare `&`) as written.
pub(crate) fn decode(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match reference_at(rest) {
            Some(Reference::Numeric(Some(c), len)) | Some(Reference::Named(c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            Some(Reference::Numeric(None, len)) => {
                out.push('\u{FFFD}');
                rest = &rest[len..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lookups() {
        let cases = [
            ("nbsp", '\u{a0}'),
            ("yuml", 'ÿ'),
            ("Alpha", 'Α'),
            ("Omega", 'Ω'),
            ("sigmaf", 'ς'),
            ("omega", 'ω'),
            ("hellip", '…'),
            ("diams", '♦'),
            ("amp", '&'),
        ];
        for (name, c) in cases {
            assert_eq!(named(name), Some(c), "{name}");
        }
        assert_eq!(named("doesnotexist"), None);
        assert_eq!(named("NBSP"), None);
    }

    #[test]
    fn decodes_known_and_keeps_unknown() {
        let cases = [
            ("a &amp; b", "a & b"),
            ("testing &nbsp; entity", "testing \u{a0} entity"),
            ("&#X41;&#x42;&#67;", "ABC"),
            (
                "testing &doesnotexist; entity",
                "testing &doesnotexist; entity",
            ),
            ("Fish & Chips", "Fish & Chips"),
            ("bad &#0; ref", "bad \u{FFFD} ref"),
            ("no refs", "no refs"),
        ];
        for (input, want) in cases {
            assert_eq!(decode(input), want, "{input}");
        }
    }
}
