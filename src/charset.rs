//! Character sets: BOM → XML declaration → HTTP charset → HTML `<meta charset>` →
//! chardetng guess (with a `.vn` hint). Feeds that declare their own encoding are handed
//! to the parser as raw bytes, so nothing is ever decoded twice.
//!
//! STUB — to be completed (fetch helper). Signatures are the contract.

use std::borrow::Cow;

/// The `charset` parameter of a Content-Type header, if any.
pub fn charset_from_content_type(ct: &str) -> Option<String> {
    ct.split(';')
        .skip(1)
        .filter_map(|p| p.trim().strip_prefix("charset="))
        .map(|c| c.trim_matches('"').to_ascii_lowercase())
        .next()
}

/// Bytes fit for an XML feed parser: unchanged when a BOM or the XML declaration names the
/// encoding (or they are UTF-8 already); otherwise transcoded to UTF-8 using the header
/// charset or a guess, with the declaration removed.
pub fn feed_bytes<'a>(body: &'a [u8], _header_charset: Option<&str>) -> Cow<'a, [u8]> {
    Cow::Borrowed(body)
}

/// Decode an HTML page (or any text) to a UTF-8, NFC string.
pub fn decode_text(body: &[u8], _header_charset: Option<&str>) -> String {
    String::from_utf8_lossy(body).into_owned()
}
