//! Rendered outputs: each variant (format × query) rendered at most once per store
//! change, held as bytes with a strong ETag and a precompressed gzip copy, answered with
//! 304 when the client has it, bounded in memory.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{AppState, FeedParams, parse_params};
use crate::archive::Archive;
use crate::config::Config;
use crate::provinces;
use crate::render::{self, FeedMeta};

/// Rendered variants kept in memory at most (each holds identity + gzip bytes).
const CACHE_ENTRIES: usize = 128;
const CACHE_BYTES: usize = 64 << 20;

struct Rendered {
    generation: u64,
    body: Bytes,
    gzip: Bytes,
    etag: String,
    content_type: &'static str,
    last_modified: DateTime<Utc>,
    headers: Headers,
    used: u64,
}

/// A rendering's header values, made once when it is rendered: a cached answer then
/// formats no tag or date and copies no string (BENCHMARKS §7).
struct Headers {
    etag: HeaderValue,
    etag_gz: HeaderValue,
    last_modified: HeaderValue,
    /// The older page, announced as `Link: <…>; rel="next"` (RFC 5005 / RFC 8288) so
    /// clients can page back without parsing the body. `None` also when the base_url
    /// makes no valid header value: that costs the header, not the page.
    link: Option<HeaderValue>,
}

impl Headers {
    fn new(etag: &str, last_modified: DateTime<Utc>, next_url: Option<&str>) -> Headers {
        // A hex tag and an HTTP date are always valid header values.
        let value = |s: String| HeaderValue::from_str(&s).unwrap_or(HeaderValue::from_static(""));
        Headers {
            etag: value(format!("\"{etag}\"")),
            etag_gz: value(format!("\"{etag}-gz\"")),
            last_modified: value(httpdate::fmt_http_date(std::time::SystemTime::from(
                last_modified,
            ))),
            link: next_url
                .and_then(|next| HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")).ok()),
        }
    }
}

#[derive(Default)]
pub(super) struct RenderCache {
    entries: std::sync::Mutex<HashMap<String, Arc<Rendered>>>,
    clock: std::sync::atomic::AtomicU64,
    /// Single flight per key: a burst of misses for one variant renders it once, while
    /// misses for other variants render beside it. Only keys being rendered are here.
    flights: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A place in the queue of one key's renderings; the last one out removes the key's
/// entry, whether its request finished or was dropped mid-way (client gone).
struct Flight<'a> {
    cache: &'a RenderCache,
    key: &'a str,
    slot: Arc<tokio::sync::Mutex<()>>,
}

impl Flight<'_> {
    async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.slot.lock().await
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let Ok(mut flights) = self.cache.flights.lock() else {
            return;
        };
        // Counted under the map's lock, which every new flight takes to clone the slot:
        // two references are this flight's and the map's, so nobody else waits.
        if flights
            .get(self.key)
            .is_some_and(|s| Arc::ptr_eq(s, &self.slot) && Arc::strong_count(s) == 2)
        {
            flights.remove(self.key);
        }
    }
}

impl RenderCache {
    /// Forget every rendering (the config changed: source names appear in outputs).
    pub(super) fn clear(&self) {
        if let Ok(mut map) = self.entries.lock() {
            map.clear();
        }
    }

    fn flight<'a>(&'a self, key: &'a str) -> Flight<'a> {
        let slot = match self.flights.lock() {
            Ok(mut flights) => flights.entry(key.to_string()).or_default().clone(),
            // A panic elsewhere poisoned the map: render without company rather than fail.
            Err(_) => Arc::default(),
        };
        Flight {
            cache: self,
            key,
            slot,
        }
    }

    fn get(&self, key: &str, generation: u64) -> Option<Arc<Rendered>> {
        let map = self.entries.lock().ok()?;
        map.get(key).filter(|r| r.generation == generation).cloned()
    }

    fn put(&self, key: String, value: Rendered) -> Arc<Rendered> {
        let mut value = value;
        value.used = self
            .clock
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let value = Arc::new(value);
        if let Ok(mut map) = self.entries.lock() {
            map.insert(key, value.clone());
            // Evict least recently rendered variants beyond the bounds.
            loop {
                let bytes: usize = map.values().map(|r| r.body.len() + r.gzip.len()).sum();
                if map.len() <= CACHE_ENTRIES && bytes <= CACHE_BYTES {
                    break;
                }
                let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, r)| r.used)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                map.remove(&oldest);
            }
        }
        value
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
    Html,
}

impl Format {
    fn path(self) -> &'static str {
        match self {
            Format::Rss => "/feed.xml",
            Format::Atom => "/feed.atom",
            Format::Json => "/feed.json",
            Format::Html => "/",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

pub(super) fn bad_request(reason: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        reason + "\n",
    )
        .into_response()
}

pub(super) fn server_error(reason: String) -> Response {
    tracing::error!(error = %reason, "request failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "internal error\n",
    )
        .into_response()
}

pub fn feed_meta(
    config: &Config,
    self_url: String,
    next_url: Option<String>,
    updated: DateTime<Utc>,
) -> FeedMeta {
    FeedMeta {
        title: config.server.title.clone(),
        description: config.server.description.clone(),
        base_url: config.server.base_url.clone(),
        self_url,
        next_url,
        updated,
        ttl_minutes: (config.poll.interval.as_secs() / 60).clamp(1, 24 * 60) as u32,
        province_names: provinces::all()
            .iter()
            .map(|p| (p.slug.to_string(), p.name.to_string()))
            .collect(),
    }
}

pub fn source_map(config: &Config) -> render::Sources {
    config
        .sources
        .iter()
        .map(|s| (s.id.clone(), s.info()))
        .collect()
}

/// Render one output for a query (blocking: reads the store).
pub fn render_output(
    archive: &Archive,
    config: &Config,
    format: Format,
    params: &FeedParams,
    raw_query: Option<&str>,
) -> Result<(Vec<u8>, DateTime<Utc>), String> {
    render_with_next(archive, config, format, params, raw_query).map(|r| (r.body, r.updated))
}

/// One rendered output and what the response headers need besides the body.
struct Output {
    body: Vec<u8>,
    updated: DateTime<Utc>,
    /// The next (older) page, when there is one.
    next_url: Option<String>,
}

/// [`render_output`] plus the URL of the next (older) page.
fn render_with_next(
    archive: &Archive,
    config: &Config,
    format: Format,
    params: &FeedParams,
    raw_query: Option<&str>,
) -> Result<Output, String> {
    let page = archive.query(&params.query).map_err(|e| e.to_string())?;
    let base = &config.server.base_url;
    let self_url = match raw_query.filter(|q| !q.is_empty()) {
        Some(q) => format!("{base}{}?{q}", format.path()),
        None => format!("{base}{}", format.path()),
    };
    let next_url = page.next_before.map(|t| {
        let before = t.with_timezone(&crate::model::vn_offset()).to_rfc3339();
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(params.canonical.as_bytes()) {
            s.append_pair(&k, &v);
        }
        s.append_pair("before", &before);
        format!("{base}{}?{}", format.path(), s.finish())
    });
    let updated = page
        .stories
        .iter()
        .flat_map(|s| std::iter::once(&s.lead).chain(s.others.iter()))
        .map(|i| i.updated.unwrap_or(i.first_seen))
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    let meta = feed_meta(config, self_url, next_url.clone(), updated);
    let sources = source_map(config);
    let body = match format {
        Format::Rss => render::rss(&meta, &page.stories, &sources),
        Format::Atom => render::atom(&meta, &page.stories, &sources),
        Format::Json => render::json_feed(&meta, &page.stories, &sources),
        Format::Html => render::html_page(&meta, &page.stories, &sources, &params.filter),
    };
    Ok(Output {
        body: body.into_bytes(),
        updated,
        next_url,
    })
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    Bytes::from(enc.finish().unwrap_or_default())
}

pub(super) async fn serve_cached(
    state: AppState,
    format: Format,
    raw: Option<String>,
    headers: HeaderMap,
) -> Response {
    let params = match parse_params(raw.as_deref()) {
        Ok(p) => p,
        Err(reason) => return bad_request(reason),
    };
    // `before` is part of the key through the raw query; the self link echoes it exactly.
    let key = format!("{}?{}", format.path(), raw.as_deref().unwrap_or(""));
    let generation = state.archive.generation();
    let cache_metric = crate::metrics::count_render_cache;
    let rendered = match state.cache.get(&key, generation) {
        Some(r) => {
            cache_metric("hit");
            r
        }
        None => {
            let flight = state.cache.flight(&key);
            let _turn = flight.lock().await;
            match state.cache.get(&key, generation) {
                Some(r) => r,
                None => {
                    cache_metric("miss");
                    let st = state.clone();
                    let raw2 = raw.clone();
                    let result = tokio::task::spawn_blocking(move || {
                        render_with_next(
                            &st.archive,
                            &st.config(),
                            format,
                            &params,
                            raw2.as_deref(),
                        )
                    })
                    .await;
                    let Output {
                        body,
                        updated,
                        next_url,
                    } = match result {
                        Ok(Ok(v)) => v,
                        Ok(Err(e)) => return server_error(e),
                        Err(e) => return server_error(e.to_string()),
                    };
                    let digest = Sha256::digest(&body);
                    let etag = crate::hex(&digest[..12]);
                    let gz = gzip(&body);
                    state.cache.put(
                        key.clone(),
                        Rendered {
                            generation,
                            body: Bytes::from(body),
                            gzip: gz,
                            headers: Headers::new(&etag, updated, next_url.as_deref()),
                            etag,
                            content_type: format.content_type(),
                            last_modified: updated,
                            used: 0,
                        },
                    )
                }
            }
        }
    };
    respond(&rendered, &headers)
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut it = part.trim().split(';');
            let name = it.next().unwrap_or("").trim();
            let q_zero = it.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !q_zero
        })
}

fn respond(r: &Rendered, headers: &HeaderMap) -> Response {
    let gz = accepts_gzip(headers);
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        // Either variant's tag identifies the same content.
        Some(inm) => inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
            .any(|t| t == "*" || t == r.etag || t.strip_suffix("-gz") == Some(r.etag.as_str())),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| {
                DateTime::<Utc>::from(since).timestamp() >= r.last_modified.timestamp()
            }),
    };
    let h = &r.headers;
    let mut resp = if not_modified {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
        resp
    } else if gz {
        Response::new(Body::from(r.gzip.clone()))
    } else {
        Response::new(Body::from(r.body.clone()))
    };
    let out = resp.headers_mut();
    out.insert(
        header::ETAG,
        if gz {
            h.etag_gz.clone()
        } else {
            h.etag.clone()
        },
    );
    out.insert(header::LAST_MODIFIED, h.last_modified.clone());
    out.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    if not_modified {
        return resp;
    }
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(r.content_type),
    );
    if let Some(link) = &h.link {
        out.insert(header::LINK, link.clone());
    }
    if gz {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    resp
}

#[cfg(test)]
mod tests;
