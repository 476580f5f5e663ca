//! The polite HTTP client: conditional GET, timeouts, streaming size caps, redirect and
//! SSRF policy, per-host concurrency. `file://` URLs are read from disk.
//!
//! Redirects are followed by hand rather than by reqwest's policy so that every hop is
//! scheme- and SSRF-checked, counted, and its status known (301/308 chains are remembered
//! as the source's new URL). One timeout budget covers all hops and the body; waiting for
//! a per-host slot does not consume it.

mod error;
mod headers;
mod local;
pub mod ssrf;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, Response, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

pub use error::FetchError;
pub use headers::{parse_max_age, parse_retry_after};

use error::{error_chain, map_reqwest_error};

/// Settings from `[poll]`.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchConfig {
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// Total deadline for one request, body included.
    pub timeout: Duration,
    /// Cap on the *decoded* body size.
    pub max_body: u64,
    pub max_redirects: usize,
    /// Allow loopback/private/link-local targets (tests, intranet sources).
    pub allow_private: bool,
    /// Concurrent requests per host.
    pub per_host: usize,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            user_agent: concat!(
                "zonewire/",
                env!("CARGO_PKG_VERSION"),
                " (+https://github.com/zonewire/zonewire)"
            )
            .to_string(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body: 10 * 1024 * 1024,
            max_redirects: 5,
            allow_private: false,
            per_host: 1,
        }
    }
}

/// One request.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchRequest {
    pub url: Url,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Accept invalid certificates for this request (per-source `insecure_tls`).
    pub insecure_tls: bool,
}

/// A successful response (2xx) with its body read under the cap.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// URL after redirects.
    pub final_url: Url,
    pub status: u16,
    pub body: Bytes,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Set when every redirect hop was permanent (301/308): the new URL to remember.
    pub permanent_redirect: Option<Url>,
    /// `Cache-Control: max-age`, if the server sent one.
    pub max_age: Option<Duration>,
}

// Not boxed: one outcome per request, moved once, and the shape is the shared contract.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum FetchOutcome {
    /// 304: nothing to parse.
    NotModified,
    Fetched(Fetched),
}

/// Shared by every poll task.
#[derive(Debug, Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cfg: FetchConfig,
    client: Client,
    /// Built on first use: most deployments never need it.
    insecure_client: OnceLock<Client>,
    /// Keyed by host name (not port): politeness is owed to the machine, not the socket.
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Sent with every request: feeds first, HTML next, Vietnamese preferred.
const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
                      application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5";
const ACCEPT_LANGUAGE: &str = "vi, en;q=0.7";

/// What one request/response exchange led to.
#[allow(clippy::large_enum_variant)] // Short-lived, never stored.
enum Hop {
    Redirect { status: StatusCode, to: Url },
    Done(FetchOutcome),
}

impl Fetcher {
    pub fn new(cfg: FetchConfig) -> Result<Self, FetchError> {
        let client = build_client(&cfg, false)?;
        Ok(Self {
            inner: Arc::new(Inner {
                cfg,
                client,
                insecure_client: OnceLock::new(),
                hosts: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn config(&self) -> &FetchConfig {
        &self.inner.cfg
    }

    /// Fetch one URL politely (waits for a per-host slot).
    pub async fn fetch(&self, req: &FetchRequest) -> Result<FetchOutcome, FetchError> {
        match req.url.scheme() {
            "file" => return local::read_file(&req.url, self.inner.cfg.max_body).await,
            "http" | "https" => {}
            other => {
                return Err(FetchError::InvalidUrl(format!(
                    "{}: unsupported scheme {other:?}",
                    req.url
                )));
            }
        }
        let cfg = &self.inner.cfg;
        let client = self.client_for(req.insecure_tls)?;
        let mut url = req.url.clone();
        let mut budget = cfg.timeout;
        let mut redirects = 0usize;
        let mut all_permanent = true;
        loop {
            ssrf::check_url(&url, cfg.allow_private).map_err(|refusal| FetchError::Blocked {
                url: url.to_string(),
                reason: refusal.to_string(),
            })?;
            let _slot = self.host_slot(&url).await?;
            let started = Instant::now();
            let hop = tokio::time::timeout(budget, self.exchange(client, &url, req))
                .await
                .map_err(|_| FetchError::Timeout(cfg.timeout))??;
            budget = budget.saturating_sub(started.elapsed());
            match hop {
                Hop::Done(FetchOutcome::Fetched(mut fetched)) => {
                    if redirects > 0 && all_permanent {
                        fetched.permanent_redirect = Some(fetched.final_url.clone());
                    }
                    return Ok(FetchOutcome::Fetched(fetched));
                }
                Hop::Done(outcome) => return Ok(outcome),
                Hop::Redirect { status, to } => {
                    redirects += 1;
                    if redirects > cfg.max_redirects {
                        return Err(FetchError::TooManyRedirects(cfg.max_redirects));
                    }
                    all_permanent &= matches!(
                        status,
                        StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                    );
                    tracing::debug!(from = %url, to = %to, status = status.as_u16(), "redirect");
                    url = to;
                }
            }
        }
    }

    fn client_for(&self, insecure_tls: bool) -> Result<&Client, FetchError> {
        if !insecure_tls {
            return Ok(&self.inner.client);
        }
        if let Some(client) = self.inner.insecure_client.get() {
            return Ok(client);
        }
        tracing::warn!(
            "building an HTTP client that accepts invalid TLS certificates (insecure_tls)"
        );
        let built = build_client(&self.inner.cfg, true)?;
        Ok(self.inner.insecure_client.get_or_init(|| built))
    }

    async fn host_slot(&self, url: &Url) -> Result<OwnedSemaphorePermit, FetchError> {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let semaphore = {
            // A poisoned map is still a valid map: the panicking holder only inserted.
            let mut hosts = self
                .inner
                .hosts
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            Arc::clone(
                hosts
                    .entry(host)
                    .or_insert_with(|| Arc::new(Semaphore::new(self.inner.cfg.per_host.max(1)))),
            )
        };
        semaphore
            .acquire_owned()
            .await
            .map_err(|_| FetchError::Other("per-host limiter closed".into()))
    }

    /// One request to `url`; reads the body when the answer is a 2xx.
    async fn exchange(
        &self,
        client: &Client,
        url: &Url,
        req: &FetchRequest,
    ) -> Result<Hop, FetchError> {
        let cfg = &self.inner.cfg;
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT));
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static(ACCEPT_LANGUAGE),
        );
        // Stored validators are echoed back verbatim; a corrupt one just costs a full GET.
        if let Some(v) = req
            .etag
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(header::IF_NONE_MATCH, v);
        }
        if let Some(v) = req
            .last_modified
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(header::IF_MODIFIED_SINCE, v);
        }
        let mut resp = client
            .get(url.clone())
            .headers(headers)
            .send()
            .await
            .map_err(|e| map_reqwest_error(&e, url, cfg))?;
        let status = resp.status();

        if status == StatusCode::NOT_MODIFIED {
            return Ok(Hop::Done(FetchOutcome::NotModified));
        }
        // A redirect without Location is reported as its status below.
        if is_followed_redirect(status)
            && let Some(location) = header_string(&resp, header::LOCATION)
        {
            let to = url.join(&location).map_err(|e| {
                FetchError::InvalidUrl(format!("redirect from {url} to {location:?}: {e}"))
            })?;
            return Ok(Hop::Redirect { status, to });
        }
        if !status.is_success() {
            let retry_after = match status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                    header_string(&resp, header::RETRY_AFTER)
                        .and_then(|v| parse_retry_after(&v, SystemTime::now()))
                }
                _ => None,
            };
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after,
            });
        }

        let body = read_capped(&mut resp, url, cfg).await?;
        Ok(Hop::Done(FetchOutcome::Fetched(Fetched {
            final_url: url.clone(),
            status: status.as_u16(),
            content_type: header_string(&resp, header::CONTENT_TYPE),
            etag: header_string(&resp, header::ETAG),
            last_modified: header_string(&resp, header::LAST_MODIFIED),
            permanent_redirect: None,
            max_age: header_string(&resp, header::CACHE_CONTROL).and_then(|v| parse_max_age(&v)),
            body,
        })))
    }
}

fn build_client(cfg: &FetchConfig, insecure_tls: bool) -> Result<Client, FetchError> {
    let mut builder = Client::builder()
        .user_agent(cfg.user_agent.clone())
        .connect_timeout(cfg.connect_timeout)
        .timeout(cfg.timeout)
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve names itself, bypassing the SSRF resolver.
        .no_proxy()
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(cfg.per_host.max(1));
    if !cfg.allow_private {
        builder = builder.dns_resolver(ssrf::PublicOnlyResolver);
    }
    if insecure_tls {
        builder = builder
            .tls_danger_accept_invalid_certs(true)
            .tls_danger_accept_invalid_hostnames(true);
    }
    builder
        .build()
        .map_err(|e| FetchError::Other(format!("building the HTTP client: {}", error_chain(&e))))
}

fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

fn header_string(resp: &Response, name: header::HeaderName) -> Option<String> {
    let value = resp.headers().get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// Reads the (already decompressed) body, stopping as soon as it outgrows the cap so a
/// compression bomb costs at most `max_body` bytes of memory.
async fn read_capped(
    resp: &mut Response,
    url: &Url,
    cfg: &FetchConfig,
) -> Result<Bytes, FetchError> {
    let cap = cfg.max_body;
    let too_large = FetchError::TooLarge { cap };
    // reqwest reports no length for bodies it decodes, so this is the raw, honest size.
    let declared = resp.content_length();
    if declared.is_some_and(|len| len > cap) {
        return Err(too_large);
    }
    let initial = declared.unwrap_or(0).min(cap).min(1 << 20);
    let mut body = Vec::with_capacity(usize::try_from(initial).unwrap_or(0));
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| map_reqwest_error(&e, url, cfg))?
    {
        if (body.len() + chunk.len()) as u64 > cap {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_and_retry_after() {
        let err = FetchError::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(5)),
        };
        assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
        assert_eq!(err.kind(), "http-status");
        assert_eq!(
            FetchError::Timeout(Duration::from_secs(1)).retry_after(),
            None
        );
    }

    #[test]
    fn only_real_redirects_are_followed() {
        for (code, followed) in [
            (301, true),
            (302, true),
            (303, true),
            (307, true),
            (308, true),
            (300, false),
            (304, false),
            (305, false),
            (200, false),
        ] {
            let status = StatusCode::from_u16(code).expect("valid code");
            assert_eq!(is_followed_redirect(status), followed, "{code}");
        }
    }

    #[tokio::test]
    async fn unsupported_scheme_is_invalid() {
        let fetcher = Fetcher::new(FetchConfig::default()).expect("client builds");
        let req = FetchRequest {
            url: Url::parse("ftp://example.vn/feed.xml").expect("test URL"),
            etag: None,
            last_modified: None,
            insecure_tls: false,
        };
        assert!(matches!(
            fetcher.fetch(&req).await,
            Err(FetchError::InvalidUrl(_))
        ));
    }
}
