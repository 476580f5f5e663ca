//! Character sets: BOM → XML declaration → HTTP charset → HTML `<meta charset>` →
//! chardetng guess (with a `.vn` hint). Feeds that declare their own encoding are handed
//! to the parser as raw bytes, so nothing is ever decoded twice.
//!
//! Two refinements over the plain order, both because Vietnamese government portals get
//! their labels wrong far more often than UTF-8 text happens to validate by accident:
//! a non-UTF-8 label on a body that is valid UTF-8 *with* non-ASCII text is ignored, and a
//! body that is UTF-8 apart from a few stray bytes is decoded as (lossy) UTF-8 instead of
//! being handed to the detector, which would turn the whole page into mojibake. Conversely a
//! UTF-8 label (or declaration) on bytes that are far from UTF-8 is treated as absent.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, REPLACEMENT, UTF_8, UTF_16BE, UTF_16LE};
use regex::bytes::Regex;
use unicode_normalization::{UnicodeNormalization, is_nfc};

/// How far into an HTML page `<meta charset>` is looked for.
const META_PRESCAN: usize = 2048;
/// The XML declaration must open the document; anything longer is not one.
const DECL_PRESCAN: usize = 512;

/// The `charset` parameter of a Content-Type header, if any.
pub fn charset_from_content_type(ct: &str) -> Option<String> {
    ct.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then(|| value.to_ascii_lowercase())
    })
}

/// Bytes fit for an XML feed parser: unchanged when a BOM or the XML declaration names the
/// encoding (or they are UTF-8 already); otherwise transcoded to UTF-8 using the header
/// charset or a guess, with the declaration removed.
pub fn feed_bytes<'a>(body: &'a [u8], header_charset: Option<&str>) -> Cow<'a, [u8]> {
    if let Some((enc, bom_len)) = Encoding::for_bom(body) {
        let rest = &body[bom_len..];
        if enc == UTF_8 {
            // quick-xml switches decoders when the declaration disagrees with the BOM;
            // the BOM is the stronger signal, so silence the declaration.
            return match xml_decl_encoding(rest) {
                Some(decl) if usable_label(&decl.label) != Some(UTF_8) => {
                    Cow::Owned(remove_range(rest, decl.attr))
                }
                _ => Cow::Borrowed(body),
            };
        }
        // feed-rs panics or garbles when a UTF-16 BOM meets a declaration naming another
        // encoding, so UTF-16 is never handed over as such.
        return Cow::Owned(utf8_without_decl_encoding(enc, rest));
    }
    if let Some(enc) = bomless_utf16(body) {
        return Cow::Owned(utf8_without_decl_encoding(enc, body));
    }

    let decl = xml_decl_encoding(body);
    if let Some(decl) = &decl {
        match usable_label(&decl.label) {
            Some(enc) if enc != UTF_8 => return Cow::Borrowed(body),
            Some(_) if std::str::from_utf8(body).is_ok() => return Cow::Borrowed(body),
            // Unknown, non-ASCII-compatible or untrue: decide as if there were none.
            _ => {}
        }
    }

    let enc = choose_encoding(body, header_charset.and_then(usable_label));
    match (&decl, enc == UTF_8 && std::str::from_utf8(body).is_ok()) {
        (None, true) => Cow::Borrowed(body),
        (Some(decl), true) => Cow::Owned(remove_range(body, decl.attr.clone())),
        (_, false) => Cow::Owned(utf8_without_decl_encoding(enc, body)),
    }
}

/// Decode an HTML page (or any text) to a UTF-8, NFC string.
pub fn decode_text(body: &[u8], header_charset: Option<&str>) -> String {
    let decoded = match Encoding::for_bom(body) {
        Some((enc, bom_len)) => enc.decode_without_bom_handling(&body[bom_len..]).0,
        None => {
            let label = header_charset
                .and_then(usable_label)
                .or_else(|| meta_charset(body).as_deref().and_then(usable_label));
            choose_encoding(body, label)
                .decode_without_bom_handling(body)
                .0
        }
    };
    if is_nfc(&decoded) {
        decoded.into_owned()
    } else {
        decoded.nfc().collect()
    }
}

/// The encoding a label names, if a streaming ASCII-based parser can use it: UTF-16 and
/// friends cannot even be recognised from an ASCII declaration, and the "replacement"
/// encoding would turn the document into U+FFFD.
fn usable_label(label: &str) -> Option<&'static Encoding> {
    let enc = Encoding::for_label(label.trim().as_bytes())?;
    (enc.is_ascii_compatible() && enc != REPLACEMENT).then_some(enc)
}

/// Labelled encoding (if any) → UTF-8 when valid → lossy UTF-8 when nearly valid →
/// chardetng with the `.vn` hint.
fn choose_encoding(body: &[u8], label: Option<&'static Encoding>) -> &'static Encoding {
    let valid_utf8 = std::str::from_utf8(body).is_ok();
    match label {
        Some(enc) if enc == UTF_8 && valid_utf8 => return UTF_8,
        // A legacy label on valid, non-ASCII UTF-8 is a misconfigured server.
        Some(enc) if enc != UTF_8 && (!valid_utf8 || body.is_ascii()) => return enc,
        _ => {}
    }
    if valid_utf8 || mostly_utf8(body) {
        return UTF_8;
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(body, true);
    detector.guess(Some(b"vn"), Utf8Detection::Deny)
}

/// UTF-8 with a handful of broken bytes (a truncated excerpt, one pasted Latin-1 word).
fn mostly_utf8(body: &[u8]) -> bool {
    let (mut multibyte, mut invalid) = (0usize, 0usize);
    for chunk in body.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += chunk.invalid().len();
    }
    multibyte >= 4 && invalid * 8 <= multibyte
}

/// UTF-16 without a BOM is still recognisable by the NULs around `<?`.
fn bomless_utf16(body: &[u8]) -> Option<&'static Encoding> {
    match body {
        [b'<', 0, b'?', 0, ..] => Some(UTF_16LE),
        [0, b'<', 0, b'?', ..] => Some(UTF_16BE),
        _ => None,
    }
}

/// Transcode and drop the declaration's `encoding=`, which no longer describes the bytes.
fn utf8_without_decl_encoding(enc: &'static Encoding, bytes: &[u8]) -> Vec<u8> {
    let text = enc.decode_without_bom_handling(bytes).0;
    let text = text.as_bytes();
    match xml_decl_encoding(text) {
        Some(decl) => remove_range(text, decl.attr),
        None => text.to_vec(),
    }
}

fn remove_range(bytes: &[u8], range: Range<usize>) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() - range.len());
    out.extend_from_slice(&bytes[..range.start]);
    out.extend_from_slice(&bytes[range.end..]);
    out
}

struct DeclEncoding {
    label: String,
    /// The ` encoding="…"` pseudo-attribute including its leading whitespace.
    attr: Range<usize>,
}

static XML_DECL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\A[ \t\r\n]*<\?xml(?:[ \t\r\n][^>]*?)?(?P<attr>[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*["'](?P<label>[^"'>]*)["'])"#)
        .expect("constant regex")
});

fn xml_decl_encoding(bytes: &[u8]) -> Option<DeclEncoding> {
    let head = &bytes[..bytes.len().min(DECL_PRESCAN)];
    let caps = XML_DECL.captures(head)?;
    let attr = caps.name("attr")?.range();
    let label = String::from_utf8_lossy(caps.name("label")?.as_bytes()).into_owned();
    Some(DeclEncoding { label, attr })
}

/// Covers both `<meta charset="…">` and `<meta http-equiv="Content-Type"
/// content="text/html; charset=…">`.
static META_CHARSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)<meta\b[^>]*?charset[ \t\r\n]*=[ \t\r\n]*["']?[ \t\r\n]*(?P<label>[a-z0-9_:.\-]+)"#,
    )
    .expect("constant regex")
});

fn meta_charset(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(META_PRESCAN)];
    let caps = META_CHARSET.captures(head)?;
    let label = String::from_utf8_lossy(caps.name("label")?.as_bytes()).to_ascii_lowercase();
    // A page cannot be UTF-16 if its meta tag was readable as ASCII (HTML spec rule).
    Some(if label.starts_with("utf-16") {
        "utf-8".into()
    } else {
        label
    })
}

#[cfg(test)]
mod tests;
