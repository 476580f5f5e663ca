//! One poll of one source: fetch → parse or extract (→ follow article pages) → normalise →
//! dedup/store, and the source's new state. Errors never escape: they become the
//! source's state, so one broken source never stops the others.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tracing::{Instrument, info, info_span, warn};
use url::Url;

use crate::archive::{Archive, IngestReport};
use crate::config::{PollConfig, Source};
use crate::fetch::{FetchError, FetchOutcome, FetchRequest, Fetcher};
use crate::model::SourceState;
use crate::schedule;

mod harvest;

/// What happened to one source in one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollStatus {
    New,
    Updated,
    Unchanged,
    NotModified,
    Error(String),
}

impl PollStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            PollStatus::New => "new",
            PollStatus::Updated => "updated",
            PollStatus::Unchanged => "unchanged",
            PollStatus::NotModified => "not-modified",
            PollStatus::Error(_) => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PollOutcome {
    pub source: String,
    pub status: PollStatus,
    pub report: IngestReport,
    /// Entries the source offered in this poll.
    pub entries: usize,
    pub next_poll: DateTime<Utc>,
}

/// Everything a poll needs, shared by all poll tasks.
pub struct Poller {
    pub archive: Arc<Archive>,
    pub fetcher: Fetcher,
    pub poll: PollConfig,
    /// Count of finished polls: explicit readiness for tests and tools, no sleeping.
    pub completed: tokio::sync::watch::Sender<u64>,
}

/// Why a poll failed, with a reason for people and a delay request for the scheduler.
struct Failure {
    message: String,
    retry_after: Option<Duration>,
    /// Short kind for metrics: the fetch error kind, or parse/extract/store.
    kind: &'static str,
}

impl From<FetchError> for Failure {
    fn from(e: FetchError) -> Self {
        Failure {
            retry_after: e.retry_after(),
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

impl Failure {
    fn new(kind: &'static str, message: String) -> Self {
        Failure {
            message,
            retry_after: None,
            kind,
        }
    }
}

impl Poller {
    pub async fn poll(&self, source: &Source) -> PollOutcome {
        let span = info_span!("poll", source = %source.id, url = %source.url);
        let outcome = self.poll_inner(source).instrument(span).await;
        record_metrics(&outcome);
        self.completed.send_modify(|n| *n += 1);
        outcome
    }

    async fn save_state(&self, source: &str, state: SourceState) {
        let id = source.to_string();
        let saved = self
            .archive
            .off_runtime(move |a| a.put_source_state(&id, state))
            .await;
        if let Err(e) = saved {
            warn!(error = %e, "cannot save source state");
        }
    }

    async fn poll_inner(&self, source: &Source) -> PollOutcome {
        let now = Utc::now();
        let id = source.id.clone();
        let loaded = self.archive.off_runtime(move |a| a.source_state(&id)).await;
        let mut state = match loaded {
            Ok(s) => s.unwrap_or_default(),
            Err(e) => {
                warn!(error = %e, "cannot read source state; starting fresh");
                SourceState::default()
            }
        };
        // A remembered permanent redirect and validators only hold for the URL they were
        // learned for: editing the config's URL starts over.
        if state.configured_url.as_deref() != Some(source.url.as_str()) {
            state = SourceState {
                items_seen: state.items_seen,
                configured_url: Some(source.url.to_string()),
                ..SourceState::default()
            };
        }
        state.last_attempt = Some(now);
        let url = state
            .effective_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .unwrap_or_else(|| source.url.clone());
        let request = FetchRequest {
            url,
            etag: state.etag.clone(),
            last_modified: state.last_modified.clone(),
            insecure_tls: source.insecure_tls,
        };

        // Read before the poll: a successful one overwrites the status.
        let recovering = state.last_status.as_deref() == Some("error");
        let result = self.fetch_and_ingest(source, &request, &mut state).await;
        let (status, report, entries, hint) = match result {
            Ok((status, report, entries, hint)) => (status, report, entries, hint),
            Err(f) => {
                state.consecutive_failures += 1;
                let first = state.last_status.as_deref() != Some("error")
                    || state.last_error.as_deref() != Some(f.message.as_str());
                // Log once per change of state, not once per retry.
                if first {
                    warn!(error = %f.message, failures = state.consecutive_failures, "poll failed");
                }
                state.last_error = Some(f.message.clone());
                let m = crate::metrics::get();
                m.polls
                    .get_or_create(&crate::metrics::labels(&[
                        ("source", &source.id),
                        ("outcome", &format!("error-{}", f.kind)),
                    ]))
                    .inc();
                m.consecutive_failures
                    .get_or_create(&crate::metrics::labels(&[("source", &source.id)]))
                    .set(i64::from(state.consecutive_failures));
                let next = schedule::after_failure(
                    now,
                    source.interval,
                    self.poll.max_backoff,
                    state.consecutive_failures,
                    f.retry_after,
                );
                state.last_status = Some("error".into());
                state.next_poll = Some(next);
                self.save_state(&source.id, state).await;
                return PollOutcome {
                    source: source.id.clone(),
                    status: PollStatus::Error(f.message),
                    report: IngestReport::default(),
                    entries: 0,
                    next_poll: next,
                };
            }
        };
        let next = schedule::after_success(now, source.interval, hint, self.poll.max_backoff);
        if recovering {
            info!("source recovered");
        }
        info!(
            status = status.as_str(),
            new = report.new,
            updated = report.updated,
            "polled"
        );
        state.next_poll = Some(next);
        // The state was already committed with the items; save the schedule too.
        self.save_state(&source.id, state).await;
        PollOutcome {
            source: source.id.clone(),
            status,
            report,
            entries,
            next_poll: next,
        }
    }

    async fn fetch_and_ingest(
        &self,
        source: &Source,
        request: &FetchRequest,
        state: &mut SourceState,
    ) -> Result<(PollStatus, IngestReport, usize, Option<Duration>), Failure> {
        let started = std::time::Instant::now();
        let fetched = self.fetcher.fetch(request).await;
        let m = crate::metrics::get();
        m.fetch_seconds.observe(started.elapsed().as_secs_f64());
        if let Ok(FetchOutcome::Fetched(f)) = &fetched {
            m.fetched_bytes
                .get_or_create(&crate::metrics::labels(&[("source", &source.id)]))
                .inc_by(f.body.len() as u64);
        }
        let fetched = match fetched? {
            FetchOutcome::NotModified => {
                mark_success(state, "not-modified");
                return Ok((PollStatus::NotModified, IngestReport::default(), 0, None));
            }
            FetchOutcome::Fetched(f) => f,
        };
        if let Some(to) = &fetched.permanent_redirect {
            info!(to = %to, "source moved permanently; polling the new URL from now on");
            state.effective_url = Some(to.to_string());
        }
        let hash = crate::hex(&Sha256::digest(&fetched.body));
        // Servers that ignore validators resend the same bytes: skip all the work.
        if state.body_hash.as_deref() == Some(hash.as_str()) {
            state.etag = fetched.etag.clone().or(state.etag.take());
            state.last_modified = fetched.last_modified.clone().or(state.last_modified.take());
            mark_success(state, "unchanged");
            return Ok((
                PollStatus::Unchanged,
                IngestReport::default(),
                0,
                fetched.max_age,
            ));
        }
        let harvest = self.harvest(source, &fetched).await?;
        let max_age = fetched.max_age;
        let hint = match (max_age, harvest.ttl) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let entries = harvest.entries.len();
        let now = Utc::now();
        let unseen = self
            .normalize_all(source, harvest.entries, &harvest.base, now)
            .await?;
        let skipped = unseen.skipped;
        let mut candidates = unseen.candidates;
        if source.html.as_ref().is_some_and(|h| h.follow) {
            candidates = self
                .follow_articles(source, unseen.raw, candidates, now)
                .await;
        }
        let date_missing = candidates.iter().filter(|c| c.date_missing).count() as u64;
        let mojibake = candidates.iter().filter(|c| c.mojibake).count() as u64;
        if mojibake > 0 {
            warn!(
                items = mojibake,
                "text looks double-decoded (mojibake); check the source's charset"
            );
        }
        // The validators and body hash describe what is stored, so they change only
        // together with the items: if the ingest fails, the next poll must not take the
        // same body for already processed (a 304 or an "unchanged" would lose it).
        let mut st = state.clone();
        st.etag = fetched.etag.clone();
        st.last_modified = fetched.last_modified.clone();
        st.body_hash = Some(hash);
        st.unparsed_dates += date_missing;
        st.mojibake += mojibake;
        mark_success(&mut st, "unchanged");
        let archive = self.archive.clone();
        let id = source.id.clone();
        let report = tokio::task::spawn_blocking(move || {
            let mut r = archive.ingest(&id, candidates, st.clone())?;
            r.unchanged += skipped;
            r.skipped = skipped;
            // The schedule and these counters are saved by the caller right after.
            st.items_seen += r.new as u64;
            st.last_status = Some(status_of(&r).as_str().to_string());
            Ok::<_, crate::store::StoreError>((r, st))
        })
        .await
        .map_err(|e| Failure::new("store", format!("ingest task failed: {e}")))?
        .map_err(|e| Failure::new("store", format!("store error: {e}")))?;
        let (report, st) = report;
        *state = st;
        Ok((status_of(&report), report, entries, hint))
    }
}

/// Successful polls only: failures are counted where their kind is known.
fn record_metrics(o: &PollOutcome) {
    if matches!(o.status, PollStatus::Error(_)) {
        return;
    }
    let m = crate::metrics::get();
    let source = o.source.as_str();
    m.polls
        .get_or_create(&crate::metrics::labels(&[
            ("source", source),
            ("outcome", o.status.as_str()),
        ]))
        .inc();
    m.consecutive_failures
        .get_or_create(&crate::metrics::labels(&[("source", source)]))
        .set(0);
    for (kind, n) in [
        ("new", o.report.new),
        ("updated", o.report.updated),
        ("clustered", o.report.clustered),
    ] {
        if n > 0 {
            m.items
                .get_or_create(&crate::metrics::labels(&[
                    ("source", source),
                    ("kind", kind),
                ]))
                .inc_by(n as u64);
        }
    }
}

fn status_of(r: &IngestReport) -> PollStatus {
    if r.new > 0 {
        PollStatus::New
    } else if r.updated > 0 {
        PollStatus::Updated
    } else {
        PollStatus::Unchanged
    }
}

fn mark_success(state: &mut SourceState, status: &str) {
    state.last_success = state.last_attempt;
    state.last_status = Some(status.to_string());
    state.last_error = None;
    state.consecutive_failures = 0;
}
