//! The polite HTTP client: conditional GET, timeouts, streaming size caps, redirect and
//! SSRF policy, per-host concurrency. `file://` URLs are read from disk.
//!
//! STUB — to be completed (fetch helper). Signatures are the contract.

use std::time::Duration;

use bytes::Bytes;
use url::Url;

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

#[derive(Debug, Clone, PartialEq)]
pub enum FetchOutcome {
    /// 304: nothing to parse.
    NotModified,
    Fetched(Fetched),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL {0}")]
    InvalidUrl(String),
    #[error("refused to fetch {url}: {reason}")]
    Blocked { url: String, reason: String },
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("body larger than the {cap}-byte cap")]
    TooLarge { cap: u64 },
    #[error("HTTP {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("{0}")]
    Other(String),
}

impl FetchError {
    /// Server-requested delay (429/503 `Retry-After`), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Short machine-friendly kind for metrics and summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::InvalidUrl(_) => "invalid-url",
            FetchError::Blocked { .. } => "blocked",
            FetchError::Timeout(_) => "timeout",
            FetchError::TooLarge { .. } => "too-large",
            FetchError::Status { .. } => "http-status",
            FetchError::TooManyRedirects(_) => "redirects",
            FetchError::Connect(_) => "connect",
            FetchError::Other(_) => "other",
        }
    }
}

/// Shared by every poll task.
#[derive(Debug, Clone)]
pub struct Fetcher {
    cfg: FetchConfig,
}

impl Fetcher {
    pub fn new(cfg: FetchConfig) -> Result<Self, FetchError> {
        Ok(Self { cfg })
    }

    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    /// Fetch one URL politely (waits for a per-host slot).
    pub async fn fetch(&self, req: &FetchRequest) -> Result<FetchOutcome, FetchError> {
        if req.url.scheme() == "file" {
            let path = req
                .url
                .to_file_path()
                .map_err(|_| FetchError::InvalidUrl(req.url.to_string()))?;
            let body = tokio::fs::read(&path)
                .await
                .map_err(|e| FetchError::Other(format!("{}: {e}", path.display())))?;
            return Ok(FetchOutcome::Fetched(Fetched {
                final_url: req.url.clone(),
                status: 200,
                body: Bytes::from(body),
                content_type: None,
                etag: None,
                last_modified: None,
                permanent_redirect: None,
                max_age: None,
            }));
        }
        Err(FetchError::Other(
            "http fetching not implemented yet".into(),
        ))
    }
}
