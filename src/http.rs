//! The HTTP side: feeds, the page for people, source health, provinces, OPML, health.
//!
//! Every feed variant (format × filter) is rendered at most once per store change and
//! held as bytes with a strong ETag and a precompressed gzip copy; conditional requests
//! get 304. The server never fetches anything.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::archive::{Archive, Query};
use crate::config::Config;
use crate::model::{SourceInfo, SourceState};
use crate::render::{self, FeedMeta};
use crate::{provinces, text};

/// Rendered variants kept in memory at most (each holds identity + gzip bytes).
const CACHE_ENTRIES: usize = 128;
const CACHE_BYTES: usize = 64 << 20;

#[derive(Clone)]
pub struct AppState {
    pub archive: Arc<Archive>,
    config: Arc<std::sync::RwLock<Arc<Config>>>,
    cache: Arc<RenderCache>,
    /// Asks the daemon to re-read its config file (`POST /admin/reload`).
    reload: Option<tokio::sync::mpsc::Sender<()>>,
}

impl AppState {
    pub fn new(archive: Arc<Archive>, config: Arc<Config>) -> Self {
        AppState {
            archive,
            config: Arc::new(std::sync::RwLock::new(config)),
            cache: Arc::new(RenderCache::default()),
            reload: None,
        }
    }

    pub fn with_reload(mut self, tx: tokio::sync::mpsc::Sender<()>) -> Self {
        self.reload = Some(tx);
        self
    }

    /// The config in force (replaced on reload).
    pub fn config(&self) -> Arc<Config> {
        match self.config.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Serve with a new config; every cached rendering is dropped (source names change).
    pub fn set_config(&self, config: Arc<Config>) {
        match self.config.write() {
            Ok(mut c) => *c = config,
            Err(poisoned) => *poisoned.into_inner() = config,
        }
        if let Ok(mut map) = self.cache.entries.lock() {
            map.clear();
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/feed.xml", get(feed_rss))
        .route("/feed.atom", get(feed_atom))
        .route("/feed.json", get(feed_json))
        .route("/", get(page))
        .route("/sources", get(sources_page))
        .route("/sources.json", get(sources_json))
        .route("/provinces.json", get(provinces_json))
        .route("/opml", get(opml))
        .route("/items/{id}", get(item_json))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/admin/reload", axum::routing::post(reload))
        .layer(axum::middleware::from_fn(count_requests))
        .with_state(state)
}

// ---- query parsing ---------------------------------------------------------------------

/// A validated query string.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedParams {
    pub query: Query,
    pub filter: render::PageFilter,
    /// Canonical query string (sorted, without `before`), used for cache keys and links.
    pub canonical: String,
}

/// Parse and validate feed query parameters; `Err` is a one-line reason for a 400.
pub fn parse_params(raw: Option<&str>) -> Result<FeedParams, String> {
    let mut query = Query::default();
    let mut filter = render::PageFilter::default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut canon: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        let v = v.trim().to_string();
        match k.as_str() {
            "province" if !v.is_empty() => {
                let unit =
                    provinces::resolve(&v).ok_or_else(|| format!("unknown province {v:?}"))?;
                query.province = Some(unit.slug.to_string());
                filter.province = Some(unit.slug.to_string());
                canon.push((k, unit.slug.to_string()));
            }
            "source" if !v.is_empty() => {
                if !v
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    return Err(format!("bad source id {v:?}"));
                }
                query.source = Some(v.clone());
                filter.source = Some(v.clone());
                canon.push((k, v));
            }
            "q" if !v.is_empty() => {
                if v.chars().count() > 200 {
                    return Err("q is longer than 200 characters".into());
                }
                let folded = text::fold(&v);
                if !folded.is_empty() {
                    query.q = Some(folded);
                    filter.q = Some(v.clone());
                    canon.push((k, v));
                }
            }
            "cooperation" => match v.as_str() {
                "1" | "true" | "on" | "yes" => {
                    query.cooperation = true;
                    filter.cooperation = true;
                    canon.push((k, "1".into()));
                }
                "0" | "false" | "no" | "" => {}
                _ => return Err(format!("cooperation must be 1 or 0, not {v:?}")),
            },
            "limit" if !v.is_empty() => {
                let n: usize = v
                    .parse()
                    .map_err(|_| format!("limit must be a number, not {v:?}"))?;
                if !(1..=500).contains(&n) {
                    return Err(format!("limit must be between 1 and 500, not {n}"));
                }
                query.limit = n;
                canon.push((k, v));
            }
            "before" if !v.is_empty() => {
                let t = DateTime::parse_from_rfc3339(&v)
                    .map_err(|_| format!("before must be an RFC 3339 time such as 2025-09-06T08:30:00+07:00, not {v:?}"))?;
                query.before = Some(t.timestamp());
            }
            // Unknown parameters (cache busters, trackers) are ignored, as readers expect.
            _ => {}
        }
    }
    canon.sort();
    let canonical = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(canon.iter())
        .finish();
    Ok(FeedParams {
        query,
        filter,
        canonical,
    })
}

// ---- render cache ----------------------------------------------------------------------

struct Rendered {
    generation: u64,
    body: Bytes,
    gzip: Bytes,
    etag: String,
    content_type: &'static str,
    last_modified: DateTime<Utc>,
    /// The older page, announced as `Link: <…>; rel="next"` (RFC 5005 / RFC 8288) so
    /// clients can page back without parsing the body.
    next_url: Option<String>,
    used: u64,
}

#[derive(Default)]
struct RenderCache {
    entries: std::sync::Mutex<HashMap<String, Arc<Rendered>>>,
    clock: std::sync::atomic::AtomicU64,
    /// Single flight: a burst of misses renders once.
    render: tokio::sync::Mutex<()>,
}

impl RenderCache {
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

fn bad_request(reason: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        reason + "\n",
    )
        .into_response()
}

fn server_error(reason: String) -> Response {
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

async fn serve_cached(
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
    let generation = state.archive.store().generation();
    let cache_metric = |result: &str| {
        crate::metrics::get()
            .render_cache
            .get_or_create(&crate::metrics::labels(&[("result", result)]))
            .inc();
    };
    let rendered = match state.cache.get(&key, generation) {
        Some(r) => {
            cache_metric("hit");
            r
        }
        None => {
            let _flight = state.cache.render.lock().await;
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
                    let etag: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
                    let gz = gzip(&body);
                    state.cache.put(
                        key,
                        Rendered {
                            generation,
                            body: Bytes::from(body),
                            gzip: gz,
                            etag,
                            content_type: format.content_type(),
                            last_modified: updated,
                            next_url,
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
    let etag = if gz {
        format!("\"{}-gz\"", r.etag)
    } else {
        format!("\"{}\"", r.etag)
    };
    let last_modified = httpdate::fmt_http_date(std::time::SystemTime::from(r.last_modified));
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        // Either variant's tag identifies the same content.
        Some(inm) => inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| {
                t == "*"
                    || t.trim_matches('"') == r.etag
                    || t.trim_matches('"') == format!("{}-gz", r.etag)
            }),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| {
                DateTime::<Utc>::from(since).timestamp() >= r.last_modified.timestamp()
            }),
    };
    let mut builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::LAST_MODIFIED, last_modified)
        .header(header::VARY, "Accept-Encoding")
        .header(header::CACHE_CONTROL, "public, max-age=60");
    if not_modified {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::NOT_MODIFIED.into_response());
    }
    builder = builder.header(header::CONTENT_TYPE, r.content_type);
    // A base_url that is not a valid header value only costs the header, not the page.
    if let Some(link) = r
        .next_url
        .as_ref()
        .and_then(|next| HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")).ok())
    {
        builder = builder.header(header::LINK, link);
    }
    let body = if gz {
        builder = builder.header(header::CONTENT_ENCODING, "gzip");
        r.gzip.clone()
    } else {
        r.body.clone()
    };
    builder
        .status(StatusCode::OK)
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn feed_rss(State(s): State<AppState>, RawQuery(q): RawQuery, h: HeaderMap) -> Response {
    serve_cached(s, Format::Rss, q, h).await
}

async fn feed_atom(State(s): State<AppState>, RawQuery(q): RawQuery, h: HeaderMap) -> Response {
    serve_cached(s, Format::Atom, q, h).await
}

async fn feed_json(State(s): State<AppState>, RawQuery(q): RawQuery, h: HeaderMap) -> Response {
    serve_cached(s, Format::Json, q, h).await
}

async fn page(State(s): State<AppState>, RawQuery(q): RawQuery, h: HeaderMap) -> Response {
    serve_cached(s, Format::Html, q, h).await
}

fn source_rows(state: &AppState) -> Result<Vec<(SourceInfo, SourceState)>, String> {
    let mut rows = Vec::new();
    for s in &state.config().sources {
        let st = state
            .archive
            .source_state(&s.id)
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        rows.push((s.info(), st));
    }
    Ok(rows)
}

async fn sources_page(State(s): State<AppState>) -> Response {
    match source_rows(&s) {
        Ok(rows) => {
            let config = s.config();
            let meta = feed_meta(
                &config,
                format!("{}/sources", config.server.base_url),
                None,
                Utc::now(),
            );
            (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                render::sources_page(&meta, &rows),
            )
                .into_response()
        }
        Err(e) => server_error(e),
    }
}

async fn sources_json(State(s): State<AppState>) -> Response {
    match source_rows(&s) {
        Ok(rows) => {
            let list: Vec<serde_json::Value> = rows
                .into_iter()
                .map(|(info, st)| {
                    serde_json::json!({
                        "id": info.id, "name": info.name, "url": info.url, "kind": info.kind,
                        "province": info.province,
                        "effective_url": st.effective_url,
                        "last_attempt": st.last_attempt, "last_success": st.last_success,
                        "status": st.last_status, "error": st.last_error,
                        "consecutive_failures": st.consecutive_failures,
                        "items": st.items_seen, "next_poll": st.next_poll,
                        "unparsed_dates": st.unparsed_dates, "mojibake": st.mojibake,
                    })
                })
                .collect();
            json_response(&serde_json::json!({ "sources": list }))
        }
        Err(e) => server_error(e),
    }
}

fn json_response(v: &serde_json::Value) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        serde_json::to_string_pretty(v).unwrap_or_default(),
    )
        .into_response()
}

async fn provinces_json(State(s): State<AppState>) -> Response {
    let counts = s.archive.province_counts();
    let list: Vec<serde_json::Value> = provinces::all()
        .iter()
        .map(|p| {
            serde_json::json!({
                "slug": p.slug, "name": p.name, "kind": p.kind,
                "merged_from": p.merged_from,
                "items": counts.get(p.slug).copied().unwrap_or(0),
            })
        })
        .collect();
    json_response(&serde_json::json!({ "provinces": list }))
}

/// One stored item as JSON, with its earlier revisions (edits the source made).
async fn item_json(
    State(s): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let id = id.strip_prefix("urn:zonewire:").unwrap_or(&id).to_string();
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return bad_request(format!("bad item id {id:?}"));
    }
    let archive = s.archive.clone();
    match tokio::task::spawn_blocking(move || archive.store().item(&id)).await {
        Ok(Ok(Some(item))) => match serde_json::to_value(&item) {
            Ok(v) => json_response(&v),
            Err(e) => server_error(e.to_string()),
        },
        Ok(Ok(None)) => (StatusCode::NOT_FOUND, "no such item\n").into_response(),
        Ok(Err(e)) => server_error(e.to_string()),
        Err(e) => server_error(e.to_string()),
    }
}

async fn opml(State(s): State<AppState>) -> Response {
    let config = s.config();
    let infos: Vec<SourceInfo> = config.sources.iter().map(|s| s.info()).collect();
    (
        [(header::CONTENT_TYPE, "text/x-opml; charset=utf-8")],
        render::opml(&config.server.title, &config.server.base_url, &infos),
    )
        .into_response()
}

/// Only local clients may ask for a reload; the request carries nothing but the wish (the
/// daemon re-reads its own config file).
async fn reload(
    State(s): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
) -> Response {
    if !peer.ip().is_loopback() {
        return (
            StatusCode::FORBIDDEN,
            "reload is only accepted from loopback\n",
        )
            .into_response();
    }
    match &s.reload {
        Some(tx) if tx.try_send(()).is_ok() => {
            (StatusCode::ACCEPTED, "reload requested\n").into_response()
        }
        Some(_) => (StatusCode::ACCEPTED, "reload already pending\n").into_response(),
        None => (StatusCode::NOT_IMPLEMENTED, "reload not available\n").into_response(),
    }
}

async fn count_requests(
    path: Option<axum::extract::MatchedPath>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // The matched route, not the raw path: label values must stay few.
    let route = path
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let resp = next.run(req).await;
    crate::metrics::get()
        .http_requests
        .get_or_create(&crate::metrics::labels(&[
            ("route", &route),
            ("status", resp.status().as_str()),
        ]))
        .inc();
    resp
}

async fn metrics(State(s): State<AppState>) -> Response {
    let m = crate::metrics::get();
    m.store_items.set(s.archive.len() as i64);
    m.store_bytes
        .set(s.archive.store().size_on_disk().unwrap_or(0) as i64);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        m.render(),
    )
        .into_response()
}

async fn healthz(State(s): State<AppState>) -> Response {
    // A cheap read proves the store answers; no flush, so health checks cost nothing.
    let archive = s.archive.clone();
    match tokio::task::spawn_blocking(move || archive.store().lookup_key("healthz")).await {
        Ok(Ok(_)) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_validate_and_canonicalise() {
        let p = parse_params(Some(
            "q=H%C6%B0ng+Y%C3%AAn&limit=10&cooperation=1&utm_source=x",
        ))
        .unwrap();
        assert_eq!(p.query.q.as_deref(), Some("hung yen"));
        assert_eq!(p.query.limit, 10);
        assert!(p.query.cooperation);
        assert_eq!(p.canonical, "cooperation=1&limit=10&q=H%C6%B0ng+Y%C3%AAn");
        assert!(parse_params(Some("limit=0")).unwrap_err().contains("limit"));
        assert!(
            parse_params(Some("limit=abc"))
                .unwrap_err()
                .contains("limit")
        );
        assert!(
            parse_params(Some("before=yesterday"))
                .unwrap_err()
                .contains("before")
        );
        assert!(
            parse_params(Some("cooperation=maybe"))
                .unwrap_err()
                .contains("cooperation")
        );
        assert!(
            parse_params(Some("source=../etc"))
                .unwrap_err()
                .contains("source")
        );
    }

    #[test]
    fn gzip_negotiation() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.8"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&h));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
