//! The HTTP side: feeds, the page for people, source health, provinces, OPML, health.
//!
//! Every feed variant (format × filter) is rendered at most once per store change and
//! held as bytes with a strong ETag and a precompressed gzip copy; conditional requests
//! get 304. The server never fetches anything.

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;

use crate::archive::Archive;
use crate::config::Config;
use crate::model::{SourceInfo, SourceState};
use crate::provinces;
use crate::render;

/// What every handler reads. axum clones the state for each request, so it is one `Arc`:
/// cloning and dropping four handles (a channel sender among them) per request was a few
/// per cent of a cached answer's CPU (BENCHMARKS §7).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub archive: Arc<Archive>,
    config: Arc<std::sync::RwLock<Arc<Config>>>,
    cache: Arc<RenderCache>,
    /// Asks the daemon to re-read its config file (`POST /admin/reload`).
    reload: Option<tokio::sync::mpsc::Sender<()>>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(archive: Arc<Archive>, config: Arc<Config>) -> Self {
        AppState(Arc::new(Shared {
            archive,
            config: Arc::new(std::sync::RwLock::new(config)),
            cache: Arc::new(RenderCache::default()),
            reload: None,
        }))
    }

    /// The same state (config and render cache shared) that also accepts reloads.
    pub fn with_reload(self, tx: tokio::sync::mpsc::Sender<()>) -> Self {
        AppState(Arc::new(Shared {
            archive: self.archive.clone(),
            config: self.config.clone(),
            cache: self.cache.clone(),
            reload: Some(tx),
        }))
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
        self.cache.clear();
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

mod cache;
mod params;

pub use cache::{Format, feed_meta, render_output, source_map};
use cache::{RenderCache, bad_request, serve_cached, server_error};
pub use params::{FeedParams, parse_params};

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

async fn source_rows(state: &AppState) -> Result<Vec<(SourceInfo, SourceState)>, String> {
    let infos: Vec<SourceInfo> = state.config().sources.iter().map(|s| s.info()).collect();
    state
        .archive
        .off_runtime(move |archive| {
            let mut rows = Vec::with_capacity(infos.len());
            for info in infos {
                let st = archive.source_state(&info.id)?.unwrap_or_default();
                rows.push((info, st));
            }
            Ok(rows)
        })
        .await
        .map_err(|e| e.to_string())
}

async fn sources_page(State(s): State<AppState>) -> Response {
    match source_rows(&s).await {
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
    match source_rows(&s).await {
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
    let resp = next.run(req).await;
    // The matched route, not the raw path: label values must stay few.
    let route = path.as_ref().map_or("unmatched", |p| p.as_str());
    crate::metrics::count_http_request(route, resp.status().as_u16());
    resp
}

async fn metrics(State(s): State<AppState>) -> Response {
    let m = crate::metrics::get();
    m.store_items.set(s.archive.len() as i64);
    // Off the runtime: it reads the store's files, and it waits while the store reopens
    // after a retention pass.
    if let Ok(bytes) = s.archive.off_runtime(|a| a.store().size_on_disk()).await {
        m.store_bytes.set(bytes as i64);
    }
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
