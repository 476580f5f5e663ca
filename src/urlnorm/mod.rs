//! Canonical URLs, used as identity keys and as the links we publish.
//!
//! Two forms exist on purpose. [`canonicalize`] gives a URL we can still publish: it
//! only removes what never selects content (tracking tags, session ids, view state,
//! fragments). [`url_key`] goes further and keeps only what identifies the article, so
//! that http↔https, `www.` and per-session tokens meet; it is never shown to anyone.
//!
//! This module knows nothing about items or sources; it only rewrites strings.

use url::Url;

/// Canonical absolute form of a link: resolved against `base`, http(s) only, lower-case
/// host, no default port, no fragment, no tracking parameters (`utm_*`, `fbclid`, …) or
/// session noise (`;jsessionid=`), no trailing slash, percent-decoded path then NFC (and
/// re-encoded so the result is a valid URL). `None` for unusable input.
///
/// Decisions worth knowing:
/// - `&amp;` (and `&#38;`, `&#x26;`) in a raw `href` is decoded: scrapers that read the
///   attribute text without entity decoding are common, and the encoded form would give
///   a second, different query string.
/// - A protocol-relative link (`//host/x`) without a base gets `http:`. Many `.gov.vn`
///   hosts have no working TLS while the https-capable ones redirect http → https, so
///   http is the form that always reaches the article. Identity ignores the scheme
///   anyway ([`url_key`]).
/// - A fragment-only link (`#`, `#top`) is `None`: it points back at the list page, and
///   list pages built on `onclick` handlers use it for every item, which would make all
///   of them one item. A hash-bang or hash-route fragment (`#!…`, `#/…`) is kept because
///   on such sites it *is* the article's address.
/// - Credentials (`user:pass@`) are dropped: never part of an article's identity and
///   never something to republish.
/// - Escapes of reserved characters (`%2F`, `%3D`, `%26`, …) are kept (upper-cased) because
///   decoding them can change what the server sees (RFC 3986 §6.2.2.2); only escapes of
///   unreserved ASCII and of UTF-8 text are decoded, then the text is NFC-normalised and
///   re-encoded, so `%C4%91`, raw `đ` and NFD spellings all give one string.
/// - See [`is_tracking_param`] for the query parameters removed.
pub fn canonicalize(raw: &str, base: Option<&Url>) -> Option<String> {
    if raw.len() > MAX_URL_BYTES {
        return None;
    }
    let cleaned = clean_raw(raw);
    // A base carrying escaped ampersands would pass them into the joined URL, which the
    // next canonicalisation would decode: clean the base the same way (found by fuzzing).
    let cleaned_base = base.and_then(|b| {
        let c = clean_raw(b.as_str());
        (c != b.as_str()).then(|| Url::parse(&c).ok()).flatten()
    });
    let base = cleaned_base.as_ref().or(base);
    if cleaned.is_empty() {
        return None;
    }
    let keep_fragment = if let Some(frag) = cleaned.strip_prefix('#') {
        if !(frag.starts_with('!') || frag.starts_with('/')) {
            return None;
        }
        true
    } else {
        false
    };
    let mut url = match base {
        Some(b) => b.join(&cleaned).ok()?,
        None if cleaned.starts_with("//") => Url::parse(&format!("http:{cleaned}")).ok()?,
        None => Url::parse(&cleaned).ok()?,
    };
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    if url.host_str() != Some(host.as_str()) {
        url.set_host(Some(&host)).ok()?;
    }
    // Both only fail for cannot-be-a-base URLs, which http(s) never are.
    let _ = url.set_username("");
    let _ = url.set_password(None);

    let fragment = url
        .fragment()
        .filter(|f| keep_fragment || f.starts_with('!') || f.starts_with('/'))
        .map(str::to_string);
    url.set_fragment(None);

    let path = normalize_path(url.path());
    url.set_path(&path);

    let query = url.query().map(normalize_query).unwrap_or_default();
    url.set_query(if query.is_empty() { None } else { Some(&query) });
    url.set_fragment(fragment.as_deref());
    // Escaping can take a link under the limit over it; such a result would be refused
    // when canonicalised again, and keys rely on canonical links being fixed points
    // (found by fuzzing).
    let out = url.to_string();
    (out.len() <= MAX_URL_BYTES).then_some(out)
}

/// Identity key of a canonical URL: scheme and a leading `www.` ignored, so that
/// http↔https and www variants of one article meet.
///
/// Beyond that, the key drops what is session-bound but may be needed to *render* the
/// page, so it cannot go from the published link: Liferay's `p_p_auth` and `p_auth`
/// tokens. Paths stay case-sensitive in general (Apache and nginx serve `/A` and `/a` as
/// different files), with one exception: ASP.NET pages (`.aspx`, `.asp`, `.ashx`,
/// `.asmx`) run on IIS, whose paths and query keys are case-insensitive; Vietnamese
/// SharePoint portals link the same page as `/portal/Pages/…` and `/portal/pages/…`, so
/// for those the path and the query keys are lower-cased.
///
/// The input should come from [`canonicalize`]; anything else is canonicalised first
/// when possible, and otherwise keyed as text with the scheme stripped.
pub fn url_key(canonical: &str) -> String {
    let parsed = Url::parse(canonical.trim()).ok().and_then(|u| {
        if matches!(u.scheme(), "http" | "https") {
            canonicalize(u.as_str(), None).and_then(|c| Url::parse(&c).ok())
        } else {
            None
        }
    });
    let Some(url) = parsed else {
        let t = canonical.trim();
        let t = t
            .strip_prefix("https://")
            .or_else(|| t.strip_prefix("http://"))
            .unwrap_or(t);
        return t.strip_prefix("www.").unwrap_or(t).to_string();
    };
    key_of_canonical(&url)
}

/// [`url_key`] of `raw` canonicalised, or `None` when it is not an http(s) URL. One
/// canonicalisation instead of [`url_key`]'s second, which [`canonicalize`] being
/// idempotent makes a no-op: keying an item's link and guid this way took five
/// canonicalisations an item, 2.5 % of a cold round's CPU.
pub fn key_of_raw(raw: &str) -> Option<String> {
    key_of_canonicalized(&canonicalize(raw, None)?)
}

/// [`url_key`] of a string [`canonicalize`] returned, without canonicalising it again
/// (which, [`canonicalize`] being idempotent, changes nothing): `None` if it does not
/// parse. For a caller that holds such a string, this is one canonicalisation an item
/// less (1.3 % of a cold round's instructions).
pub fn key_of_canonicalized(canonical: &str) -> Option<String> {
    Url::parse(canonical).ok().map(|u| key_of_canonical(&u))
}

fn key_of_canonical(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let host = match host.strip_prefix("www.") {
        Some(rest) if rest.contains('.') => rest,
        _ => host,
    };
    let mut key = String::with_capacity(url.as_str().len());
    key.push_str(host);
    if let Some(port) = url.port() {
        key.push(':');
        key.push_str(&port.to_string());
    }
    let iis = is_iis_path(url.path());
    if iis {
        key.push_str(&url.path().to_ascii_lowercase());
    } else {
        key.push_str(url.path());
    }
    if let Some(q) = url.query() {
        let mut pairs: Vec<String> = q
            .split('&')
            .filter(|p| {
                let k = decoded_key(p);
                k != "p_p_auth" && k != "p_auth"
            })
            .map(|p| match (iis, p.split_once('=')) {
                (true, Some((k, v))) => format!("{}={v}", k.to_ascii_lowercase()),
                (true, None) => p.to_ascii_lowercase(),
                (false, _) => p.to_string(),
            })
            .collect();
        if iis {
            pairs.sort_by(|a, b| pair_key(a).cmp(pair_key(b)));
        }
        if !pairs.is_empty() {
            key.push('?');
            key.push_str(&pairs.join("&"));
        }
    }
    if let Some(f) = url.fragment() {
        key.push('#');
        key.push_str(f);
    }
    key
}

/// True when a URL key names a site's front page (`host/`), which is never one article:
/// feeds that put the home page in every `<link>` must not make all items one.
pub fn is_site_root_key(key: &str) -> bool {
    key.find('/') == Some(key.len() - 1)
}

/// Whether a query parameter is tracking, session or view-state noise that never selects
/// content. `key` is compared case-insensitively; some rules look at the value so that a
/// generic name used for real content survives.
///
/// - Campaign tags: `utm_*`, `fbclid`, `gclid`, `dclid`, `gbraid`, `wbraid`, `msclkid`,
///   `yclid`, `igshid`, `twclid`, `ttclid`, `li_fat_id`, `mc_cid`, `mc_eid`, `_ga`, `_gl`,
///   `_hsenc`, `_hsmi`, `mkt_tok`, `zarsrc` and `zacc` (Zalo shares), `ref_src`, `ref_url`.
/// - `ref` only when its value is not a bare number: `?ref=rss`, `?ref=home`,
///   `?ref=https://…` are referral labels, while a numeric `ref` is plausibly a record id
///   on some CMS, and dropping a real id would merge different articles (worse than
///   one duplicate).
/// - Sessions: `jsessionid`, `phpsessid`, `asp.net_sessionid`, `sessionid`, and `sid` only
///   when the value looks like a session token (16+ alphanumerics): a short `sid` can be
///   a story or section id.
/// - Liferay view state, which changes how the portlet is drawn but not which article:
///   `p_p_state`, `p_p_col_id`, `p_p_col_pos`, `p_p_col_count`, `p_p_mode=view` and
///   `p_p_lifecycle=0` (render, the default). `p_p_id` and the portlet's own namespaced
///   parameters select the article and stay; `p_p_lifecycle=1|2` (action, resource)
///   return different content and stay; `p_p_auth` stays here (it can be required to
///   render) and is dropped only from the identity key, see [`url_key`].
pub fn is_tracking_param(key: &str, value: &str) -> bool {
    let k = key.to_ascii_lowercase();
    if k.starts_with("utm_") {
        return true;
    }
    match k.as_str() {
        "fbclid" | "gclid" | "dclid" | "gbraid" | "wbraid" | "msclkid" | "yclid" | "igshid"
        | "twclid" | "ttclid" | "li_fat_id" | "mc_cid" | "mc_eid" | "_ga" | "_gl" | "_hsenc"
        | "_hsmi" | "mkt_tok" | "zarsrc" | "zacc" | "ref_src" | "ref_url" => true,
        "ref" => value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()),
        "jsessionid" | "phpsessid" | "asp.net_sessionid" | "sessionid" => true,
        "sid" => value.len() >= 16 && value.bytes().all(|b| b.is_ascii_alphanumeric()),
        "p_p_state" | "p_p_col_id" | "p_p_col_pos" | "p_p_col_count" => true,
        "p_p_mode" => value.eq_ignore_ascii_case("view"),
        "p_p_lifecycle" => value == "0",
        _ => false,
    }
}

/// Trim (including zero-width and BOM, which copy-paste and CMS editors leave around
/// links) and decode the `&` entity that undecoded `href` text carries.
fn clean_raw(raw: &str) -> String {
    let t = raw.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{200B}' | '\u{FEFF}'));
    // The URL parser drops tabs and newlines anyway; dropping them first keeps an
    // entity split by a newline (`&a\nmp;`) from surviving one pass and not the next.
    let mut s: String = t
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    // Multiply escaped ampersands (`&amp;amp;`) shrink one level per round until none is
    // left, so canonical output is a fixed point. Each round shrinks the string, and
    // `canonicalize` refuses very long input, so this is bounded.
    loop {
        let before = s.len();
        for ent in ["&amp;", "&#38;", "&#x26;", "&#X26;"] {
            if s.contains(ent) {
                s = s.replace(ent, "&");
            }
        }
        if s.len() == before {
            return s;
        }
    }
}

/// Links longer than this are not URLs anyone publishes; refusing them bounds the work.
const MAX_URL_BYTES: usize = 16 * 1024;

fn is_iis_path(path: &str) -> bool {
    let last = path
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    [".aspx", ".asp", ".ashx", ".asmx"]
        .iter()
        .any(|ext| last.ends_with(ext))
}

fn pair_key(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(k, _)| k)
}

fn decoded_key(pair: &str) -> String {
    let k = pair_key(pair);
    let bytes = percent_decode(k);
    String::from_utf8_lossy(&bytes).to_ascii_lowercase()
}

fn normalize_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for seg in path.split('/').skip(1) {
        out.push('/');
        if is_aspnet_cookieless_segment(seg) {
            // `/(S(x1y2…))/page.aspx`: ASP.NET's cookieless session id, not content.
            out.pop();
            continue;
        }
        let seg = strip_session_params(seg);
        out.push_str(&normalize_component(&seg));
    }
    while out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// `(S(lit3py55t21z5v55vlm25s55))` or `(A(…)S(…))`.
fn is_aspnet_cookieless_segment(seg: &str) -> bool {
    let Some(inner) = seg.strip_prefix('(').and_then(|s| s.strip_suffix(')')) else {
        return false;
    };
    let mut rest = inner;
    let mut parts = 0;
    while !rest.is_empty() {
        let mut chars = rest.chars();
        let (Some(tag), Some('(')) = (chars.next(), chars.next()) else {
            return false;
        };
        if !tag.is_ascii_uppercase() {
            return false;
        }
        let body = &rest[2..];
        let Some(end) = body.find(')') else {
            return false;
        };
        rest = &body[end + 1..];
        parts += 1;
    }
    parts > 0
}

/// Remove `;jsessionid=…` (any case) and similar path parameters; other path parameters
/// are kept because some servers route on them.
fn strip_session_params(seg: &str) -> String {
    if !seg.contains(';') {
        return seg.to_string();
    }
    let mut parts = seg.split(';');
    let mut out = parts.next().unwrap_or_default().to_string();
    for p in parts {
        let name = p.split('=').next().unwrap_or_default().to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "jsessionid" | "phpsessid" | "sessionid" | "sid"
        ) {
            continue;
        }
        out.push(';');
        out.push_str(p);
    }
    out
}

fn normalize_query(q: &str) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pair in q.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair
            .split_once('=')
            .map_or((pair, None), |(k, v)| (k, Some(v)));
        let dk = percent_decode(k);
        let dv = v.map(percent_decode).unwrap_or_default();
        if is_tracking_param(&String::from_utf8_lossy(&dk), &String::from_utf8_lossy(&dv)) {
            continue;
        }
        let nk = normalize_component(k);
        let text = match v {
            Some(v) => format!("{nk}={}", normalize_component(v)),
            None => nk.clone(),
        };
        pairs.push((nk, text));
    }
    // Stable sort by key only: the order of repeated keys (`a=1&a=2`) can carry meaning.
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join("&")
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_escape(out: &mut String, b: u8) {
    out.push('%');
    out.push(HEX[(b >> 4) as usize] as char);
    out.push(HEX[(b & 15) as usize] as char);
}

/// Decode escapes of unreserved ASCII and of non-ASCII bytes, NFC the text, re-encode
/// non-ASCII as upper-case UTF-8 escapes. Escapes of reserved ASCII stay escaped.
fn normalize_component(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut run: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2]))
        {
            let v = h << 4 | l;
            if v >= 0x80 || is_unreserved(v) {
                run.push(v);
            } else {
                flush_run(&mut out, &mut run);
                push_escape(&mut out, v);
            }
            i += 3;
            continue;
        }
        run.push(b[i]);
        i += 1;
    }
    flush_run(&mut out, &mut run);
    out
}

fn flush_run(out: &mut String, run: &mut Vec<u8>) {
    // ASCII is NFC and needs no escape, and most paths are only that: the NFC iterator
    // below cost ~200 instructions a character, most of a canonicalisation.
    if run.is_ascii()
        && let Ok(ascii) = std::str::from_utf8(run)
    {
        out.push_str(ascii);
        run.clear();
        return;
    }
    for chunk in run.utf8_chunks() {
        let push = |c: char| {
            if c.is_ascii() {
                out.push(c);
            } else {
                let mut buf = [0u8; 4];
                for &byte in c.encode_utf8(&mut buf).as_bytes() {
                    push_escape(out, byte);
                }
            }
        };
        crate::text::nfc_chars(chunk.valid()).for_each(push);
        for &byte in chunk.invalid() {
            push_escape(out, byte);
        }
    }
    run.clear();
}

#[cfg(test)]
mod tests;
