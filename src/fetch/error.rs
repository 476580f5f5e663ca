//! What a fetch can fail with, and how reqwest's errors map onto it: the kind that
//! metrics count, and a message that names the cause instead of repeating the URL.

use std::time::Duration;

use url::Url;

use super::{FetchConfig, ssrf};

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

pub(super) fn map_reqwest_error(err: &reqwest::Error, url: &Url, cfg: &FetchConfig) -> FetchError {
    if let Some(blocked) = find_source::<ssrf::BlockedAddress>(err) {
        return FetchError::Blocked {
            url: url.to_string(),
            reason: blocked.to_string(),
        };
    }
    if err.is_timeout() {
        return FetchError::Timeout(cfg.timeout);
    }
    let host = url.host_str().unwrap_or_default();
    if err.is_connect() {
        return FetchError::Connect(format!("{host}: {}", error_chain(err)));
    }
    FetchError::Other(format!("{url}: {}", error_chain(err)))
}

fn find_source<'e, T: std::error::Error + 'static>(
    err: &'e (dyn std::error::Error + 'static),
) -> Option<&'e T> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The causes below reqwest's own "error sending request for url (…)", which repeats the
/// URL and hides the reason (refused, TLS handshake, DNS…).
pub(super) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}
