//! When each source is polled next, and the loop that polls them.
//!
//! Polite by default (design.md): the interval gets ±10% jitter so that sources configured
//! alike drift apart; failures back off exponentially (with jitter, capped, reset by a
//! success); `Retry-After` is honoured; `Cache-Control: max-age` and RSS `<ttl>` lengthen
//! the interval when they ask for more, within the cap. Next-poll times live in the store,
//! so a restart does not re-poll everything at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::warn;

use crate::config::Source;
use crate::model::SourceState;
use crate::poller::Poller;

/// Longest wait a server's `Retry-After` can impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

fn jitter(d: Duration) -> Duration {
    d.mul_f64(0.9 + fastrand::f64() * 0.2)
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Next poll after a success. `hint` is the server's max-age or the feed's ttl.
pub fn after_success(
    now: DateTime<Utc>,
    interval: Duration,
    hint: Option<Duration>,
    cap: Duration,
) -> DateTime<Utc> {
    let base = match hint {
        Some(h) if h > interval => h.min(cap.max(interval)),
        _ => interval,
    };
    now + chrono_dur(jitter(base))
}

/// Backoff delay after `failures` consecutive failures (1 = first failure).
pub fn backoff(interval: Duration, cap: Duration, failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
    interval.saturating_mul(factor).min(cap.max(interval))
}

/// Next poll after a failure: exponential backoff with jitter, never earlier than the
/// server's `Retry-After`.
pub fn after_failure(
    now: DateTime<Utc>,
    interval: Duration,
    cap: Duration,
    failures: u32,
    retry_after: Option<Duration>,
) -> DateTime<Utc> {
    let mut delay = jitter(backoff(interval, cap, failures));
    if let Some(r) = retry_after {
        delay = delay.max(r.min(MAX_RETRY_AFTER));
    }
    now + chrono_dur(delay)
}

/// How long until `source` is due, from its persisted state: a source polled before (for
/// the same URL) waits for its saved next-poll time, so a restart does not re-poll
/// everything at once; a new source is due now.
pub fn due_in(state: Option<&SourceState>, source: &Source, now: DateTime<Utc>) -> Duration {
    state
        .filter(|st| st.configured_url.as_deref() == Some(source.url.as_str()))
        .and_then(|st| st.next_poll)
        .map(|n| (n - now).to_std().unwrap_or(Duration::ZERO))
        .unwrap_or(Duration::ZERO)
}

/// Owns one polling task per source and swaps them on reload. At most `concurrency`
/// polls run at once; per-host limits are the fetcher's. The owner of the tasks stops
/// them: cancel the root token and wait on the tracker.
pub struct Supervisor {
    poller: Arc<Poller>,
    permits: Arc<Semaphore>,
    root: CancellationToken,
    tracker: TaskTracker,
    /// One copy of each source, shared with its task: a `Source` clone also clones its
    /// compiled patterns' caches (~1.7 KB a source; massif at 2,000 sources).
    tasks: std::sync::Mutex<HashMap<String, (Arc<Source>, CancellationToken)>>,
}

/// What a reload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadSummary {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

/// Two configs of one source poll the same way (compiled selectors compare by their
/// config text).
fn same_source(a: &Source, b: &Source) -> bool {
    a.url == b.url
        && a.kind == b.kind
        && a.interval == b.interval
        && a.insecure_tls == b.insecure_tls
        && a.html_config == b.html_config
        && a.province == b.province
        && a.name == b.name
}

impl Supervisor {
    pub fn new(poller: Arc<Poller>, concurrency: usize, root: CancellationToken) -> Self {
        Supervisor {
            poller,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            root,
            tracker: TaskTracker::new(),
            tasks: std::sync::Mutex::new(HashMap::new()),
        }
    }

    pub fn tracker(&self) -> &TaskTracker {
        &self.tracker
    }

    /// Make the running tasks match `sources`: start new ones, stop removed ones (their
    /// items stay), restart changed ones.
    pub fn apply(&self, sources: &[Source]) -> ReloadSummary {
        let mut summary = ReloadSummary::default();
        let Ok(mut tasks) = self.tasks.lock() else {
            return summary;
        };
        let wanted: HashMap<&str, &Source> = sources.iter().map(|s| (s.id.as_str(), s)).collect();
        tasks.retain(|id, (old, token)| match wanted.get(id.as_str()) {
            Some(new) if same_source(old, new) => true,
            Some(_) => {
                token.cancel();
                summary.changed.push(id.clone());
                false
            }
            None => {
                token.cancel();
                summary.removed.push(id.clone());
                false
            }
        });
        for source in sources {
            if tasks.contains_key(&source.id) {
                continue;
            }
            if !summary.changed.contains(&source.id) {
                summary.added.push(source.id.clone());
            }
            let token = self.root.child_token();
            let source = Arc::new(source.clone());
            self.spawn(source.clone(), token.clone());
            tasks.insert(source.id.clone(), (source, token));
        }
        summary
    }

    fn spawn(&self, source: Arc<Source>, cancel: CancellationToken) {
        self.tracker.spawn(source_loop(
            self.poller.clone(),
            self.permits.clone(),
            source,
            cancel,
        ));
    }
}

/// One source's task: wait until due, take a permit, poll, again until cancelled.
///
/// A task's future lives in its tokio cell for as long as the source is configured, and a
/// future is as large as its largest state: with the poll inline, that was the poll's
/// ~6 KB (request, parse and store futures), 12.5 MB for 2,000 idle sources (massif).
/// Boxed, the poll's state exists only while it runs.
async fn source_loop(
    poller: Arc<Poller>,
    permits: Arc<Semaphore>,
    source: Arc<Source>,
    cancel: CancellationToken,
) {
    loop {
        // On the runtime, unlike the poll's store calls (`Archive::off_runtime`): a read
        // takes no archive lock and waits only out a reopen after retention (~0.1 s a day),
        // while a blocking-pool trip per source started a thread for each of 1,000 sources
        // at start-up (+5 MiB idle RSS).
        let state = match poller.archive.source_state(&source.id) {
            Ok(st) => st,
            Err(e) => {
                warn!(source = %source.id, error = %e, "cannot read schedule");
                None
            }
        };
        let now = Utc::now();
        let wait = due_in(state.as_ref(), &source, now);
        let next = (!wait.is_zero()).then(|| now + chrono_dur(wait));
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(wait) => {}
        }
        let permit = tokio::select! {
            _ = cancel.cancelled() => break,
            p = permits.clone().acquire_owned() => p,
        };
        let Ok(_permit) = permit else { break };
        if let Some(due) = next {
            let lag = (Utc::now() - due).num_milliseconds().max(0) as f64 / 1000.0;
            crate::metrics::get()
                .poll_lag_seconds
                .get_or_create(&crate::metrics::labels(&[("source", &source.id)]))
                .set(lag);
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = Box::pin(poller.poll(&source)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    /// Every configured source keeps one of these futures alive for the life of the
    /// daemon; the poll inside must stay boxed (it was ~6 KB inline).
    #[test]
    fn an_idle_source_task_is_small() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = crate::config::Config::parse(
            "[[source]]\nid = \"a\"\nurl = \"https://a.vn/feed\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let store: Arc<dyn crate::store::Store> =
            Arc::new(crate::store::SledStore::open(&dir.path().join("db")).unwrap());
        let archive = Arc::new(crate::archive::Archive::new(store).unwrap());
        let poller = crate::app::poller(&cfg, archive).unwrap();
        let task = source_loop(
            poller,
            Arc::new(Semaphore::new(1)),
            Arc::new(cfg.sources[0].clone()),
            CancellationToken::new(),
        );
        let size = std::mem::size_of_val(&task);
        assert!(size <= 1024, "a source's task future is {size} bytes");
    }

    #[test]
    fn saved_schedule_survives_restart_and_url_change() {
        let cfg = crate::config::Config::parse(
            "[[source]]\nid = \"a\"\nurl = \"https://a.vn/feed\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let source = &cfg.sources[0];
        let now = Utc::now();
        let mut st = SourceState {
            configured_url: Some("https://a.vn/feed".into()),
            next_poll: Some(now + chrono::Duration::minutes(20)),
            ..SourceState::default()
        };
        assert_eq!(due_in(None, source, now), Duration::ZERO);
        assert_eq!(due_in(Some(&st), source, now), Duration::from_secs(20 * 60));
        st.next_poll = Some(now - chrono::Duration::minutes(5));
        assert_eq!(due_in(Some(&st), source, now), Duration::ZERO);
        // A schedule learned for another URL does not apply.
        st.next_poll = Some(now + chrono::Duration::minutes(20));
        st.configured_url = Some("https://old.vn/feed".into());
        assert_eq!(due_in(Some(&st), source, now), Duration::ZERO);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let cap = Duration::from_secs(6 * 3600);
        let i = 15 * MIN;
        assert_eq!(backoff(i, cap, 1), i);
        assert_eq!(backoff(i, cap, 2), 2 * i);
        assert_eq!(backoff(i, cap, 3), 4 * i);
        assert_eq!(backoff(i, cap, 10), cap);
        assert_eq!(backoff(i, cap, u32::MAX), cap);
    }

    #[test]
    fn failure_then_success_resets() {
        let now = Utc::now();
        let cap = Duration::from_secs(6 * 3600);
        let i = 10 * MIN;
        let fail = after_failure(now, i, cap, 4, None) - now;
        // 8 × interval, ±10%.
        assert!(fail >= chrono_dur(i * 8).checked_mul(9).unwrap() / 10);
        let ok = after_success(now, i, None, cap) - now;
        assert!(ok <= chrono_dur(i) * 11 / 10 && ok >= chrono_dur(i) * 9 / 10);
    }

    #[test]
    fn retry_after_is_a_floor() {
        let now = Utc::now();
        let d = after_failure(
            now,
            MIN,
            Duration::from_secs(3600),
            1,
            Some(Duration::from_secs(7200)),
        ) - now;
        assert!(d >= chrono::Duration::seconds(7200));
        let d = after_failure(
            now,
            MIN,
            Duration::from_secs(3600),
            1,
            Some(Duration::from_secs(10 * 86400)),
        ) - now;
        assert!(d <= chrono::Duration::seconds(24 * 3600 + 1));
    }

    #[test]
    fn max_age_lengthens_within_cap() {
        let now = Utc::now();
        let cap = Duration::from_secs(6 * 3600);
        let d = after_success(now, 10 * MIN, Some(Duration::from_secs(3600)), cap) - now;
        assert!(d >= chrono::Duration::seconds(3240) && d <= chrono::Duration::seconds(3960));
        let d = after_success(now, 10 * MIN, Some(Duration::from_secs(86400 * 7)), cap) - now;
        assert!(d <= chrono::Duration::seconds(6 * 3600 * 11 / 10));
        // A shorter max-age never makes us poll more often.
        let d = after_success(now, 10 * MIN, Some(Duration::from_secs(5)), cap) - now;
        assert!(d >= chrono::Duration::seconds(540));
    }
}
