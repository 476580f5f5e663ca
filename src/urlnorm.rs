//! Canonical URLs, used as identity keys and as the links we publish.
//!
//! STUB — to be completed (dedup helper). Signatures are the contract.

use url::Url;

/// Canonical absolute form of a link: resolved against `base`, http(s) only, lower-case
/// host, no default port, no fragment, no tracking parameters (`utm_*`, `fbclid`, …) or
/// session noise (`;jsessionid=`), no trailing slash, percent-decoded path then NFC (and
/// re-encoded so the result is a valid URL). `None` for unusable input.
pub fn canonicalize(raw: &str, base: Option<&Url>) -> Option<String> {
    let url = match base {
        Some(b) => b.join(raw.trim()).ok()?,
        None => Url::parse(raw.trim()).ok()?,
    };
    Some(url.to_string())
}

/// Identity key of a canonical URL: scheme and a leading `www.` ignored, so that
/// http↔https and www variants of one article meet.
pub fn url_key(canonical: &str) -> String {
    canonical.to_string()
}
